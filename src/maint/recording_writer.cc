// RecordingWriter: asciicast v2 lines, hash-chained in chunks, written as the session goes.
//
// Durability: every closed chunk is handed to the kernel (write(2)) at once, so a crash of
// clearbox leaves every closed chunk in the file; fdatasync runs at chunk boundaries at most
// every sync_seconds, so a crash of the box loses at most that much. Either way the file is
// a verifiable prefix: the verifier reports where it was cut off. The periodic fdatasync runs
// on a thread of its own: on a slow disk it would otherwise stall the session's relay (the
// user's terminal) for as long as the disk takes; its failure is reported by the next event.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <thread>

#include "clearbox/core/encoding.h"
#include "clearbox/core/file.h"
#include "clearbox/maint/recording.h"
#include "recording_internal.h"

namespace clearbox::maint {

// fdatasync(2) of one fd, on request, on a thread of its own.
class BackgroundSync {
 public:
  explicit BackgroundSync(int fd) : fd_(fd), thread_([this] { Loop(); }) {}
  ~BackgroundSync() { Stop(); }
  void Request() {
    std::lock_guard<std::mutex> lock(mu_);
    requested_ = true;
    cv_.notify_one();
  }
  // Waits for a running sync; later requests are dropped (the caller fsyncs itself).
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      stop_ = true;
      cv_.notify_one();
    }
    thread_.join();
  }
  int error() const { return error_.load(); }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return requested_ || stop_; });
      if (stop_) return;
      requested_ = false;
      lock.unlock();
      if (fdatasync(fd_) != 0) error_ = errno;
      lock.lock();
    }
  }
  int fd_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false, stop_ = false;
  std::atomic<int> error_{0};
  std::thread thread_;
};

struct RecordingWriter::Impl {
  UniqueFd fd;
  std::unique_ptr<BackgroundSync> syncer;
  std::string path;
  RecorderOptions options;
  RecordingMetadata meta;
  std::string pending;  // lines not yet written
  Sha256Hasher file;  // the whole file so far: each chain value is its digest at a marker
  Sha256Digest prev{};
  uint64_t chunk = 1;  // number of the open chunk
  uint64_t chunk_start = 0;
  double chunk_time = 0;  // when the open chunk began
  bool chunk_has_events = false;
  uint64_t offset = 0;  // bytes appended so far (written + pending)
  uint64_t events = 0;
  double last_time = 0;
  double last_sync = 0;
  Bytes carry_out, carry_in;  // incomplete UTF-8 at the end of the last read
  bool failed = false;
  bool done = false;

  void AppendLine(std::string_view line) {
    pending.append(line);
    file.Update(AsBytes(line));
    offset += line.size();
  }

  Status Flush() {
    if (pending.empty()) return Status::Ok();
    Status s = WriteAll(fd.get(), AsBytes(pending), path);
    pending.clear();
    if (!s.ok()) failed = true;
    return s;
  }

  Status Sync(double t, bool force) {
    if (syncer && syncer->error() != 0) {
      failed = true;
      return Error::FromErrno("fdatasync", path, syncer->error());
    }
    if (!force && t - last_sync < options.sync_seconds) return Status::Ok();
    last_sync = t;
    if (!force && syncer) {
      syncer->Request();
      return Status::Ok();
    }
    if (fdatasync(fd.get()) != 0) {
      failed = true;
      return Error::FromErrno("fdatasync", path, errno);
    }
    return Status::Ok();
  }

  double Clamp(double t) {
    if (!std::isfinite(t) || t < last_time) t = last_time;
    last_time = t;
    return t;
  }

  static void AppendTime(std::string& line, double t) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, t, std::chars_format::fixed, 6);
    line.append(buf, r.ptr);
  }

  // Appends [t, "<type>", "<text>"] where `text` is already JSON-escaped.
  void AppendEventLine(double t, char type, std::string_view escaped) {
    size_t start = BeginEventLine(t, type);
    pending += escaped;
    EndEventLine(start);
  }

  // An event line is built in `pending` itself (no copies of the session's bytes in between)
  // and hashed there while it is still in cache.
  size_t BeginEventLine(double t, char type) {
    size_t start = pending.size();
    pending += '[';
    AppendTime(pending, t);
    pending += ", \"";
    pending += type;
    pending += "\", \"";
    return start;
  }
  void EndEventLine(size_t start) {
    pending += "\"]\n";
    std::string_view line = std::string_view(pending).substr(start);
    file.Update(AsBytes(line));
    offset += line.size();
    ++events;
    chunk_has_events = true;
  }

  Status CloseChunk(double t, bool last) {
    Sha256Digest value = file.Peek();  // of bytes [0, offset): up to this marker line
    std::string label = last ? "clearbox:last " : "clearbox:chain ";
    label += std::to_string(chunk) + " " + std::to_string(offset) + " " + HexEncode(value);
    std::string line = "[";
    AppendTime(line, t);
    line += ", \"m\", \"" + label + "\"]\n";
    prev = value;
    chunk_start = offset;
    AppendLine(line);
    ++events;
    ++chunk;
    chunk_time = t;
    chunk_has_events = false;
    if (Status s = Flush(); !s.ok()) return s;
    return Sync(t, last);
  }

  Status AfterEvent(double t) {
    if (offset - chunk_start >= options.chunk_bytes ||
        (chunk_has_events && t - chunk_time >= options.chunk_seconds)) {
      return CloseChunk(t, false);
    }
    if (pending.size() >= options.write_buffer) return Flush();
    return Status::Ok();
  }

  Status Data(double t, char type, ByteView data, Bytes& carry, bool final) {
    if (failed || done) return Error::Io(path + ": the recording has already failed or ended");
    t = Clamp(t);
    Bytes joined;
    if (!carry.empty()) {
      joined = carry;
      joined.insert(joined.end(), data.begin(), data.end());
      data = joined;
    }
    // Large reads are cut so that no line exceeds the reader's limit (6 bytes per byte at
    // worst: \u00XX), and a chunk boundary can fall between them.
    constexpr size_t kPiece = 256 << 10;
    while (!data.empty()) {
      size_t take = std::min(data.size(), kPiece);
      bool last_piece = take == data.size();
      pending.reserve(pending.size() + take + take / 8 + 64);
      size_t start = BeginEventLine(t, type);
      size_t used = internal::AppendJsonText(pending, data.first(take), final && last_piece);
      if (used == 0) {  // only an incomplete character is left: carry it
        pending.resize(start);
        break;
      }
      EndEventLine(start);
      data = data.subspan(used);
      if (Status s = AfterEvent(t); !s.ok()) return s;
      if (last_piece) break;
    }
    carry.assign(data.begin(), data.end());
    return Status::Ok();
  }
};

RecordingWriter::RecordingWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RecordingWriter::~RecordingWriter() {
  if (impl_->syncer) impl_->syncer->Stop();  // before the fd closes
}

Result<std::unique_ptr<RecordingWriter>> RecordingWriter::Create(const std::string& path,
                                                                 const RecordingMetadata& meta,
                                                                 const RecorderOptions& options) {
  if (options.chunk_bytes == 0 || !(options.chunk_seconds > 0)) {
    return Error::InvalidInput("recorder: chunk size and chunk time must be positive");
  }
  int raw = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (raw < 0) {
    if (errno == EEXIST) return Error::AlreadyExists(path + ": a recording exists already");
    return Error::FromErrno("create", path, errno);
  }
  auto impl = std::make_unique<Impl>();
  impl->fd = UniqueFd(raw);
  impl->path = path;
  impl->options = options;
  impl->meta = meta;

  nlohmann::json header = {
      {"version", 2},
      {"width", meta.width},
      {"height", meta.height},
      {"timestamp", meta.start_unix_us / 1000000},
      {"title", BytesToText(AsBytes("maintenance " + meta.ticket + " on " + meta.device))},
      {"env", {{"TERM", BytesToText(AsBytes(meta.term))}, {"SHELL", ""}}},
      {"clearbox",
       {{"format", kRecordingFormat},
        {"ticket", BytesToText(AsBytes(meta.ticket))},
        {"serial", meta.serial},
        {"device", BytesToText(AsBytes(meta.device))},
        {"command", BytesToText(AsBytes(meta.command))},
        {"pty", meta.pty},
        {"start", FormatUnixMicros(meta.start_unix_us)}}}};
  if (!meta.command.empty()) header["command"] = BytesToText(AsBytes(meta.command));
  header["env"].erase("SHELL");
  std::string line = header.dump() + "\n";
  if (line.size() > kMaxRecordingHeaderBytes) {
    return Error::InvalidInput("recorder: the header (ticket, device, command) is over " +
                               std::to_string(kMaxRecordingHeaderBytes) + " bytes");
  }
  impl->AppendLine(line);
  ++impl->events;
  if (Status s = impl->Flush(); !s.ok()) return s.error();
  if (Status s = impl->Sync(0, true); !s.ok()) return s.error();
  impl->syncer = std::make_unique<BackgroundSync>(impl->fd.get());
  // The directory entry too: a crash must not lose the file's name.
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  if (dir.empty()) dir = "/";
  UniqueFd dfd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.valid()) (void)fsync(dfd.get());
  return std::unique_ptr<RecordingWriter>(new RecordingWriter(std::move(impl)));
}

Status RecordingWriter::Output(double t, ByteView data) {
  return impl_->Data(t, 'o', data, impl_->carry_out, false);
}

Status RecordingWriter::Input(double t, ByteView data) {
  return impl_->Data(t, 'i', data, impl_->carry_in, false);
}

Status RecordingWriter::Resize(double t, int width, int height) {
  if (impl_->failed || impl_->done) return Error::Io(impl_->path + ": recording not writable");
  t = impl_->Clamp(t);
  impl_->AppendEventLine(t, 'r', std::to_string(width) + "x" + std::to_string(height));
  return impl_->AfterEvent(t);
}

Status RecordingWriter::Marker(double t, std::string_view text) {
  if (impl_->failed || impl_->done) return Error::Io(impl_->path + ": recording not writable");
  if (text.size() > 1024 || text.starts_with("clearbox:chain ") ||
      text.starts_with("clearbox:last ") || text.starts_with("clearbox:end ")) {
    return Error::InvalidInput("recorder: marker text over 1 KiB or a reserved marker");
  }
  t = impl_->Clamp(t);
  std::string escaped;
  internal::AppendJsonText(escaped, AsBytes(text), true);
  impl_->AppendEventLine(t, 'm', escaped);
  return impl_->AfterEvent(t);
}

Status RecordingWriter::Tick(double t) {
  if (impl_->failed || impl_->done) return Error::Io(impl_->path + ": recording not writable");
  t = impl_->Clamp(t);
  if (impl_->chunk_has_events && t - impl_->chunk_time >= impl_->options.chunk_seconds) {
    return impl_->CloseChunk(t, false);
  }
  return Status::Ok();
}

Result<SessionSummary> RecordingWriter::Finish(double t, const SessionEnd& end) {
  Impl& m = *impl_;
  // What is left of a split character is written as mapped bytes.
  for (auto [type, carry] : {std::pair{'o', &m.carry_out}, std::pair{'i', &m.carry_in}}) {
    if (carry->empty()) continue;
    Bytes rest = std::move(*carry);
    carry->clear();
    CLEARBOX_RETURN_IF_ERROR(m.Data(t, type, rest, *carry, true));
  }
  if (m.failed || m.done) return Error::Io(m.path + ": the recording has already failed or ended");
  t = m.Clamp(t);
  nlohmann::json e = {{"exitStatus", end.exit_status},
                      {"end", FormatUnixMicros(end.end_unix_us)},
                      {"inputBytes", end.input_bytes},
                      {"outputBytes", end.output_bytes},
                      {"errorBytes", end.error_bytes}};
  if (!end.note.empty()) e["note"] = BytesToText(AsBytes(end.note));
  std::string escaped;
  std::string label = "clearbox:end " + e.dump();
  internal::AppendJsonText(escaped, AsBytes(label), true);
  m.AppendEventLine(t, 'm', escaped);
  if (m.syncer) m.syncer->Stop();
  CLEARBOX_RETURN_IF_ERROR(m.CloseChunk(t, true));
  m.done = true;
  if (fsync(m.fd.get()) != 0) return Error::FromErrno("fsync", m.path, errno);
  if (close(m.fd.Release()) != 0) return Error::FromErrno("close", m.path, errno);

  SessionSummary s;
  s.ticket = m.meta.ticket;
  s.serial = m.meta.serial;
  s.device = m.meta.device;
  s.command = m.meta.command;
  s.pty = m.meta.pty;
  s.start_unix_us = m.meta.start_unix_us;
  s.end_unix_us = end.end_unix_us;
  s.exit_status = end.exit_status;
  s.cast_sha256 = m.file.Finish();
  s.head.value = m.prev;
  s.head.chunks = m.chunk - 1;
  s.head.bytes = m.offset;
  s.events = m.events;
  return s;
}

uint64_t RecordingWriter::bytes_written() const { return impl_->offset; }

}  // namespace clearbox::maint
