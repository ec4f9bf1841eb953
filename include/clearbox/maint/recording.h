// Recorded maintenance sessions: an asciicast v2 file (what asciinema plays) whose bytes are
// covered, as they are written, by a SHA-256 hash chain kept in-band in marker events.
//
// The file is plain asciicast v2: a header line (JSON object) and one event line per
// [time, "o"|"i"|"r"|"m", data]. Every chunk (at most ~1 MiB or ~1 s of session) ends with
// a marker event
//     [12.5, "m", "clearbox:chain 7 1048577 <64 hex>"]
// stating the chunk's number (from 1), the byte offset where the marker line starts, and the
// chain value c_i = SHA-256(file bytes [0, offset_i)): the digest of everything before the
// marker, previous markers included, so the file is hashed once as it is written. The
// session ends with a "clearbox:end {json}" marker (exit status, stream byte counts) and a
// closing "clearbox:last ..." chain marker: a recording without it was cut off. Session bytes
// are kept exact: see docs/maint-recording.md ("Bytes") for the escaping of invalid UTF-8.
//
//   CLEARBOX_ASSIGN_OR_RETURN(auto w, RecordingWriter::Create(path, meta, {}));
//   CLEARBOX_RETURN_IF_ERROR(w->Output(0.25, AsBytes("$ ")));
//   CLEARBOX_ASSIGN_OR_RETURN(SessionSummary s, w->Finish(3.0, end));
//   ... sign s.ToJson() into the log ...
//   CLEARBOX_ASSIGN_OR_RETURN(VerifyReport r, VerifyRecording(file->bytes(), {}));
//
// Not thread-safe: one writer per session, used from one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "clearbox/core/bytes.h"
#include "clearbox/core/digest.h"
#include "clearbox/core/result.h"

namespace clearbox::maint {

// Limits for reading untrusted recordings (and what the writer stays within).
inline constexpr uint64_t kMaxRecordingLineBytes = uint64_t(4) << 20;  // one event line
inline constexpr uint64_t kMaxRecordingHeaderBytes = 64 << 10;
inline constexpr int kMaxRecordingJsonDepth = 8;
inline constexpr std::string_view kRecordingFormat = "clearbox-maint-recording/2";

// Who and what a session is: written into the header, repeated in the summary.
struct RecordingMetadata {
  std::string ticket;   // the approved maintenance request
  uint64_t serial = 0;  // the OpenSSH certificate's serial
  std::string device;   // the box being maintained
  std::string command;  // what ran ("" for the login shell); exact bytes, any encoding
  bool pty = true;      // interactive (pty) or exec path (pipes: scp, sftp, a command)
  int width = 80;       // terminal size at start
  int height = 24;
  int64_t start_unix_us = 0;  // wall clock at start, microseconds since the Unix epoch
  std::string term;           // $TERM, for the header's env
};

// When a chunk is closed (whichever comes first) and how often the file is fdatasync'd.
struct RecorderOptions {
  uint64_t chunk_bytes = 1 << 20;
  double chunk_seconds = 1.0;
  double sync_seconds = 1.0;          // fdatasync at a chunk boundary at most this often
  uint64_t write_buffer = 256 << 10;  // bytes buffered before write(2), inside a chunk
};

// How the session ended: the "clearbox:end" marker's content.
struct SessionEnd {
  int exit_status = 0;  // the command's exit code, 128+N for signal N
  int64_t end_unix_us = 0;
  uint64_t input_bytes = 0;   // stdin of the command
  uint64_t output_bytes = 0;  // stdout (and the pty's output)
  uint64_t error_bytes = 0;   // stderr (exec path only)
  std::string note;           // why it ended, if not normally ("recording failed: ...")
};

// The chain head: what a signed statement carries to pin the whole recording.
struct ChainHead {
  Sha256Digest value{};  // c_chunks
  uint64_t chunks = 0;
  uint64_t bytes = 0;  // length of the .cast file
  bool operator==(const ChainHead&) const = default;
};

// The session statement's content, for the caller to sign into the log.
struct SessionSummary {
  std::string ticket;
  uint64_t serial = 0;
  std::string device;
  std::string command;
  bool pty = true;
  int64_t start_unix_us = 0;
  int64_t end_unix_us = 0;
  int exit_status = 0;
  Sha256Digest cast_sha256{};  // SHA-256 of the whole .cast file
  ChainHead head;
  uint64_t events = 0;  // event lines, markers included

  // {"ticket", "serial", "device", "command", "pty", "start", "end" (RFC 3339 UTC, µs),
  //  "exitStatus", "castSha256", "chainHead", "chunks", "bytes", "events"}.
  nlohmann::json ToJson() const;
  // The inverse; kInvalidInput naming the field.
  static Result<SessionSummary> FromJson(const nlohmann::json& j);
};

// Writes a recording as the session goes. Times are seconds since the session started,
// non-decreasing (a smaller one is raised to the last one).
class RecordingWriter {
 public:
  // Creates `path` (O_EXCL, mode 0600) and writes the header. kAlreadyExists, kIo.
  static Result<std::unique_ptr<RecordingWriter>> Create(const std::string& path,
                                                         const RecordingMetadata& meta,
                                                         const RecorderOptions& options);
  ~RecordingWriter();
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  // Events; each may close a chunk and write/fdatasync. kIo on a failed write (the
  // writer is then failed and refuses everything but Abandon).
  Status Output(double t, ByteView data);
  Status Input(double t, ByteView data);
  Status Resize(double t, int width, int height);
  // A marker event ("m") with `text`, e.g. "clearbox:observer-joined alice" (live observers).
  // kInvalidInput for text over 1 KiB or one that would pass for a chain or end marker.
  Status Marker(double t, std::string_view text);
  // Closes the open chunk if it is older than chunk_seconds (call it when idle).
  Status Tick(double t);
  // The end marker, the closing chain marker, fsync, close. The writer is done afterwards.
  Result<SessionSummary> Finish(double t, const SessionEnd& end);

  uint64_t bytes_written() const;

 private:
  struct Impl;
  explicit RecordingWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// One event of a recording, with its data decoded back to the exact session bytes.
struct RecordingEvent {
  double time = 0;
  char type = 'o';  // 'o', 'i', 'r', 'm'
  Bytes data;
  uint64_t offset = 0;  // where its line starts in the file
  uint64_t line = 0;    // 1-based line number
};

struct VerifyOptions {
  std::optional<ChainHead> expected;  // from the signed session statement
  bool allow_incomplete = false;      // a cut-off recording is a report, not an error
  // Called for every event that is not a clearbox marker, in order (for replay).
  std::function<Status(const RecordingEvent&)> on_event;
};

struct VerifyReport {
  nlohmann::json header;  // the header line
  ChainHead head;         // of the verified prefix
  uint64_t events = 0;
  bool complete = false;       // ends with the closing marker
  uint64_t covered_bytes = 0;  // bytes up to the last good chain marker line's end
  std::optional<SessionEnd> end;
  Sha256Digest cast_sha256{};
};

// Reads and checks a recording. Errors, each naming the chunk, line and byte offset:
//   kInvalidInput       a line is not JSON / not an asciicast event / too long; a bad header
//   kVerificationFailed a chunk's content does not hash to its marker ("chunk 3 (bytes
//                       1200-2400) ..."), chunks out of order, bytes after the closing
//                       marker, a cut-off recording ("ends after chunk 41 of 42, at byte
//                       12345"), or a head different from `expected`.
// on_event's errors are passed through.
Result<VerifyReport> VerifyRecording(ByteView cast, const VerifyOptions& options);

// Maps any bytes to valid UTF-8 that decodes back to the same bytes: valid UTF-8 stays
// itself, every other byte b becomes the private-use code point U+10FF00+b (and so does each
// byte of a genuine U+10FFxx, so that the mapping is one-to-one). Exposed for tests.
std::string BytesToText(ByteView data);
Bytes TextToBytes(std::string_view text);

// RFC 3339 UTC with microseconds: "2026-12-07T02:07:24.123456Z".
std::string FormatUnixMicros(int64_t us);

}  // namespace clearbox::maint
