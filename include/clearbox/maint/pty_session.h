// Running the maintenance engineer's shell or command while a RecordingWriter records it.
//
// Two paths, as sshd offers them:
//   - RunUnderPty: an interactive session (ssh with a pty). The command runs on a new pty
//     (forkpty); the user's terminal is put in raw mode while it runs, window size changes
//     (SIGWINCH) are passed on and recorded, everything the command prints goes to the user
//     and to the recording as "o" events, keystrokes as "i" events (unless record_input is
//     off). The session bytes are relayed as they are, never interpreted.
//   - RunWithPipes: no pty (ssh host CMD, scp, sftp). The command runs with pipes for
//     stdin, stdout and stderr; stdin is recorded as "i", stdout and stderr as "o", with the
//     byte count of each stream in the end marker.
// SIGHUP, SIGTERM and SIGINT sent to clearbox (sshd closing the connection) are passed on
// to the command; the recording then ends normally. If the recording cannot be written the
// command is ended (SIGHUP, then SIGKILL) and the error returned: no unrecorded session.
//
//   CLEARBOX_ASSIGN_OR_RETURN(SessionResult r, RunUnderPty(options, *writer, clock));
//   CLEARBOX_ASSIGN_OR_RETURN(SessionSummary s, writer->Finish(clock(), EndOf(r)));
//
// Live observers (SessionOptions::watch, observer.h's RelayWatch): the output is handed to the
// watch as it is read (the watch must never block), joins and leaves become "m" markers
// ("clearbox:observer-joined alice"), and when the last observer leaves the session is paused
// (input dropped, the command's process groups SIGSTOPped until one rejoins: SIGCONT) or
// ended (hung up as on SIGHUP, SIGKILL 2 s later), as on_leave says. The caller waits for the
// first observer before starting the session (RelayWatch::WaitForObserver).
//
// Not thread-safe; installs signal handlers for the duration of the call and restores them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/maint/recording.h"

namespace clearbox::maint {

// Someone watching the session live. Called from the session's thread only.
struct WatchEvent {
  enum class Kind { kJoined, kLeft, kLost };  // kLost: the relay went away (all left)
  Kind kind = Kind::kJoined;
  std::string who;     // the approver's policy name (kJoined, kLeft)
  std::string detail;  // why (kLost)
};
class SessionWatch {
 public:
  virtual ~SessionWatch() = default;
  // Becomes readable when TakeEvents has something; the session polls it.
  virtual int wake_fd() const = 0;
  // What happened since the last call, in order (and drains wake_fd).
  virtual std::vector<WatchEvent> TakeEvents() = 0;
  // Observers present now.
  virtual size_t observers() const = 0;
  // The session's output as it happens. Must not block: drop (and say so) rather than stall.
  virtual void Output(ByteView data) = 0;
  // A state change to show the observers ("session paused").
  virtual void Note(std::string_view text) = 0;
};

enum class OnObserverLeave { kPause, kEnd };

struct SessionOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  std::string argv0;              // if set, passed as argv[0] instead ("-bash": a login shell)
  bool record_input = true;       // keystrokes as "i" events (pty path; pipes always record)
  int in = 0, out = 1, err = 2;   // the user's side
  SessionWatch* watch = nullptr;  // observers required: not owned, outlives the call
  OnObserverLeave on_leave = OnObserverLeave::kPause;
};

struct SessionResult {
  int exit_status = 0;  // exit code, or 128+N after signal N
  uint64_t input_bytes = 0;
  uint64_t output_bytes = 0;
  uint64_t error_bytes = 0;
  std::string note;  // "ended by SIGHUP to clearbox", ...
};

// Seconds since the session started (a steady clock).
using SessionClock = std::function<double()>;

// Errors: kInvalidInput (empty argv), kIo (forkpty/pipe/fork/poll failed, or the recording
// could not be written: the command has then been ended).
Result<SessionResult> RunUnderPty(const SessionOptions& options, RecordingWriter& writer,
                                  const SessionClock& now);
Result<SessionResult> RunWithPipes(const SessionOptions& options, RecordingWriter& writer,
                                   const SessionClock& now);

// The terminal size (width, height) of `fd`, or nullopt if it is not a terminal.
std::optional<std::pair<int, int>> TerminalSize(int fd);

}  // namespace clearbox::maint
