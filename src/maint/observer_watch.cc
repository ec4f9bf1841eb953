// The recorder's side of the relay (observer.h, RelayWatch): one thread owns the socket; the
// session thread only appends to a bounded queue and reads events, so a slow or dead relay
// never holds the session back.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "clearbox/core/file.h"
#include "clearbox/maint/observer.h"
#include "clearbox/maint/session.h"

namespace clearbox::maint {

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxJoins = 1024;  // nonces remembered per session: more joins are refused

void Poke(int fd) {
  char b = 1;
  (void)!write(fd, &b, 1);  // non-blocking: a full pipe already wakes the reader
}

void Drain(int fd) {
  char b[64];
  while (read(fd, b, sizeof b) > 0) {
  }
}

}  // namespace

struct RelayWatch::Impl {
  RelayWatchOptions options;
  UniqueFd sock;
  int wake_io[2] = {-1, -1};       // session -> IO thread: something to send, or stop
  int wake_session[2] = {-1, -1};  // IO thread -> session: events
  std::thread io;

  mutable std::mutex mu;
  std::condition_variable registered_cv;
  bool registered = false;
  bool lost = false;
  bool stop = false;
  std::string lost_reason;
  std::string out;  // frames not yet taken by the IO thread
  uint64_t dropped = 0, dropped_unreported = 0;
  std::vector<WatchEvent> events;
  std::map<uint64_t, std::string> present;  // relay's observer number -> approver name
  std::vector<std::string> names;           // who joined, first join first
  std::set<std::string> nonces;             // accepted or refused: never again

  ~Impl() {
    for (int fd : {wake_io[0], wake_io[1], wake_session[0], wake_session[1]}) {
      if (fd >= 0) close(fd);
    }
  }

  // Under mu.
  void Enqueue(const RelayMessage& m) { out += EncodeMessage(m); }
  void Event(WatchEvent e) {
    events.push_back(std::move(e));
    Poke(wake_session[1]);
  }
  void Lose(const std::string& why) {
    if (lost) return;
    lost = true;
    lost_reason = why;
    present.clear();
    Event({WatchEvent::Kind::kLost, "", why});
    registered_cv.notify_all();
  }

  // A join forwarded by the relay: checked here again, against our policy and our session.
  void OnJoin(const RelayMessage& m) {
    RelayMessage answer;
    answer.observer = m.observer;
    auto who = VerifyObserver(options.approvers, options.session, m.nonce, m.keyid, m.signature);
    std::lock_guard lock(mu);
    if (nonces.size() >= kMaxJoins) {
      answer.type = FrameType::kReject;
      answer.text = "too many joins for this session";
    } else if (!nonces.insert(m.nonce).second) {
      answer.type = FrameType::kReject;
      answer.text = "a replayed join (this nonce was used before)";
    } else if (!who.ok()) {
      answer.type = FrameType::kReject;
      answer.text = who.error().message();
    } else if (present.size() >= RelayLimits::kMaxObserversPerSession) {
      answer.type = FrameType::kReject;
      answer.text = "the session has the most observers it takes";
    } else {
      answer.type = FrameType::kAccept;
      answer.name = (*who)->name;
      present[m.observer] = answer.name;
      if (std::find(names.begin(), names.end(), answer.name) == names.end() &&
          names.size() < kMaxObservers) {
        names.push_back(answer.name);
      }
      Event({WatchEvent::Kind::kJoined, answer.name, ""});
    }
    Enqueue(answer);
  }

  // Returns false when the connection must end (with Lose called).
  bool OnFrame(const Frame& f) {
    auto m = ParseMessage(f);
    if (!m.ok()) {
      std::lock_guard lock(mu);
      Lose("the relay sent a malformed frame: " + m.error().message());
      return false;
    }
    switch (m->type) {
      case FrameType::kRegistered: {
        std::lock_guard lock(mu);
        registered = true;
        registered_cv.notify_all();
        return true;
      }
      case FrameType::kJoin:
        OnJoin(*m);
        return true;
      case FrameType::kLeave: {
        std::lock_guard lock(mu);
        auto it = present.find(m->observer);
        if (it != present.end()) {
          Event({WatchEvent::Kind::kLeft, it->second, ""});
          present.erase(it);
        }
        return true;
      }
      case FrameType::kPing:
      case FrameType::kNote:
        return true;
      case FrameType::kError: {
        std::lock_guard lock(mu);
        Lose("the relay closed the connection: " + m->text);
        return false;
      }
      default: {
        std::lock_guard lock(mu);
        Lose("the relay sent an unexpected " + std::string(1, char(m->type)) + " frame");
        return false;
      }
    }
  }

  void Run() {
    FrameReader reader;
    std::string sending;
    size_t sent = 0;
    std::vector<uint8_t> buf(64 << 10);
    auto last_in = Clock::now(), last_out = Clock::now();
    for (;;) {
      {
        std::lock_guard lock(mu);
        if (stop || lost) return;
        if (sent == sending.size() && !out.empty()) {
          sending.swap(out);
          out.clear();
          sent = 0;
        }
      }
      auto now = Clock::now();
      if (sent == sending.size() && now - last_out >= std::chrono::seconds(RelayLimits::kPingSeconds)) {
        sending = EncodeMessage(RelayMessage{});  // a ping
        sent = 0;
      }
      if (now - last_in >= std::chrono::seconds(RelayLimits::kIdleTimeoutSeconds)) {
        std::lock_guard lock(mu);
        Lose("the relay stopped answering");
        return;
      }
      pollfd fds[2] = {{sock.get(), short(POLLIN | (sent < sending.size() ? POLLOUT : 0)), 0},
                       {wake_io[0], POLLIN, 0}};
      int n = poll(fds, 2, 1000);
      if (n < 0 && errno != EINTR) {
        std::lock_guard lock(mu);
        Lose(std::string("poll: ") + std::strerror(errno));
        return;
      }
      if (n <= 0) continue;
      if (fds[1].revents & POLLIN) Drain(wake_io[0]);
      if (fds[0].revents & POLLOUT) {
        ssize_t w = write(sock.get(), sending.data() + sent, sending.size() - sent);
        if (w > 0) {
          sent += size_t(w);
          last_out = Clock::now();
        } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
          std::lock_guard lock(mu);
          Lose(std::string("sending to the relay: ") + std::strerror(errno));
          return;
        }
      }
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t got = read(sock.get(), buf.data(), buf.size());
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
          std::lock_guard lock(mu);
          Lose("the relay closed the connection");
          return;
        }
        if (got < 0) continue;
        last_in = Clock::now();
        reader.Append(ByteView(buf.data(), size_t(got)));
        for (;;) {
          auto f = reader.Next();
          if (!f.ok()) {
            std::lock_guard lock(mu);
            Lose("the relay sent a malformed frame: " + f.error().message());
            return;
          }
          if (!*f) break;
          if (!OnFrame(**f)) return;
        }
      }
    }
  }
};

RelayWatch::RelayWatch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RelayWatch::~RelayWatch() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stop = true;
  }
  Poke(impl_->wake_io[1]);
  if (impl_->io.joinable()) impl_->io.join();
}

Result<std::unique_ptr<RelayWatch>> RelayWatch::Connect(const RelayWatchOptions& options) {
  RelayMessage reg;
  reg.type = FrameType::kRegister;
  reg.session = options.session;
  // Our own message must pass our own parser (ticket and device syntax).
  {
    std::string bytes = EncodeMessage(reg);
    FrameReader r;
    r.Append(AsBytes(bytes));
    CLEARBOX_ASSIGN_OR_RETURN(std::optional<Frame> f, r.Next());
    CLEARBOX_RETURN_IF_ERROR(ParseMessage(*f).status());
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  CLEARBOX_ASSIGN_OR_RETURN(int fd, ConnectTcp(options.relay, options.connect_timeout_ms));
  impl->sock = UniqueFd(fd);
  if (pipe2(impl->wake_io, O_CLOEXEC | O_NONBLOCK) != 0 ||
      pipe2(impl->wake_session, O_CLOEXEC | O_NONBLOCK) != 0) {
    return Error::FromErrno("pipe", "relay watch", errno);
  }
  impl->Enqueue(reg);
  Impl* raw = impl.get();
  impl->io = std::thread([raw] { raw->Run(); });
  std::unique_ptr<RelayWatch> watch(new RelayWatch(std::move(impl)));
  std::unique_lock lock(raw->mu);
  raw->registered_cv.wait_for(lock, std::chrono::milliseconds(options.connect_timeout_ms),
                              [raw] { return raw->registered || raw->lost; });
  if (raw->lost) return Error::Unavailable(options.relay + ": " + raw->lost_reason);
  if (!raw->registered) return Error::Unavailable(options.relay + ": the relay did not answer");
  return watch;
}

Status RelayWatch::WaitForObserver(double seconds, int stop_fd) {
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    {
      std::lock_guard lock(impl_->mu);
      if (!impl_->present.empty()) return Status::Ok();
      if (impl_->lost) return Error::Unavailable(impl_->options.relay + ": " + impl_->lost_reason);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return Error::LimitExceeded("no observer (approver) joined within " +
                                  std::to_string(int64_t(seconds)) + " s");
    }
    pollfd fds[2] = {{impl_->wake_session[0], POLLIN, 0}, {stop_fd, POLLIN, 0}};
    int n = poll(fds, 2, int(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) return Error::FromErrno("poll", "waiting for an observer", errno);
    if (n > 0 && (fds[1].revents & (POLLIN | POLLHUP))) {
      return Error::Io("stopped while waiting for an observer");
    }
    if (n > 0 && (fds[0].revents & POLLIN)) Drain(impl_->wake_session[0]);  // events stay queued
  }
}

int RelayWatch::wake_fd() const { return impl_->wake_session[0]; }

std::vector<WatchEvent> RelayWatch::TakeEvents() {
  Drain(impl_->wake_session[0]);
  std::lock_guard lock(impl_->mu);
  std::vector<WatchEvent> out;
  out.swap(impl_->events);
  return out;
}

size_t RelayWatch::observers() const {
  std::lock_guard lock(impl_->mu);
  return impl_->present.size();
}

void RelayWatch::Output(ByteView data) {
  bool poke = false;
  {
    std::lock_guard lock(impl_->mu);
    Impl& m = *impl_;
    if (m.lost || m.present.empty() || data.empty()) return;
    if (m.dropped_unreported > 0 && m.out.size() < RelayLimits::kRecorderQueueBytes / 2) {
      RelayMessage note;
      note.type = FrameType::kNote;
      note.text = "clearbox: " + std::to_string(m.dropped_unreported) +
                  " bytes of output were dropped here (the link to the relay was too slow)";
      m.Enqueue(note);
      m.dropped_unreported = 0;
    }
    if (m.out.size() + data.size() > RelayLimits::kRecorderQueueBytes) {
      m.dropped += data.size();
      m.dropped_unreported += data.size();
      return;
    }
    poke = m.out.empty();
    while (!data.empty()) {
      size_t take = std::min(data.size(), RelayLimits::kMaxOutputChunk);
      AppendFrame(m.out, FrameType::kOutput, AsChars(data.first(take)));
      data = data.subspan(take);
    }
  }
  if (poke) Poke(impl_->wake_io[1]);
}

void RelayWatch::Note(std::string_view text) {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->lost) return;
    RelayMessage note;
    note.type = FrameType::kNote;
    note.text = std::string(text);
    impl_->Enqueue(note);
  }
  Poke(impl_->wake_io[1]);
}

std::vector<std::string> RelayWatch::ObserverNames() const {
  std::lock_guard lock(impl_->mu);
  return impl_->names;
}

uint64_t RelayWatch::dropped_bytes() const {
  std::lock_guard lock(impl_->mu);
  return impl_->dropped;
}

}  // namespace clearbox::maint
