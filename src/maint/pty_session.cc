// The session relay: poll(2) over the user's side, the command's side and a self-pipe that
// the signal handlers write to. Reads are copied to the other side first and recorded after,
// so that the recorder never holds back what the user sees for long.
#include "clearbox/maint/pty_session.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <set>

#include "clearbox/core/file.h"

namespace clearbox::maint {
namespace {

int g_signal_pipe = -1;  // write end, for the async-signal-safe handler

void OnSignal(int sig) {
  int saved = errno;
  unsigned char b = static_cast<unsigned char>(sig);
  if (g_signal_pipe >= 0) (void)!write(g_signal_pipe, &b, 1);
  errno = saved;
}

constexpr std::array<int, 5> kSignals = {SIGWINCH, SIGHUP, SIGTERM, SIGINT, SIGCHLD};

// Installs the handlers (and ignores SIGPIPE) for its lifetime; restores them after.
class SignalScope {
 public:
  SignalScope() {
    if (pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0) return;
    g_signal_pipe = pipe_[1];
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &sa, &old_[i]);
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old_pipe_);
    ok_ = true;
  }
  ~SignalScope() {
    if (!ok_) return;
    for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &old_[i], nullptr);
    sigaction(SIGPIPE, &old_pipe_, nullptr);
    g_signal_pipe = -1;
    close(pipe_[0]);
    close(pipe_[1]);
  }
  bool ok() const { return ok_; }
  int fd() const { return pipe_[0]; }

 private:
  int pipe_[2] = {-1, -1};
  bool ok_ = false;
  std::array<struct sigaction, kSignals.size()> old_{};
  struct sigaction old_pipe_ {};
};

// In the child, before exec: default signal dispositions (SIG_IGN survives exec).
void ResetSignalsInChild() {
  for (int s : kSignals) signal(s, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

[[noreturn]] void ExecChild(const SessionOptions& o) {
  std::vector<char*> argv;
  for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  if (!o.argv0.empty()) argv[0] = const_cast<char*>(o.argv0.c_str());
  argv.push_back(nullptr);
  ResetSignalsInChild();
  execvp(o.argv[0].c_str(), argv.data());
  std::string msg = "clearbox: cannot run " + o.argv[0] + ": " + std::strerror(errno) + "\r\n";
  (void)!write(2, msg.data(), msg.size());
  _exit(127);
}

// Reads all of `into` from an fd that holds at least that much already (the bytes tee(2)
// just forwarded); returns its size, or -1 on an error other than EINTR.
ssize_t ReadExactly(int fd, std::span<uint8_t> into) {
  size_t have = 0;
  while (have < into.size()) {
    ssize_t n = read(fd, into.data() + have, into.size() - have);
    if (n > 0) {
      have += size_t(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return have > 0 ? ssize_t(have) : -1;
    }
  }
  return ssize_t(have);
}

// Writes all of `data` to a possibly non-blocking fd, waiting for it to drain.
bool WriteFully(int fd, ByteView data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n > 0) {
      data = data.subspan(size_t(n));
    } else if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      poll(&p, 1, 1000);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return false;
    }
  }
  return true;
}

int ExitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

int WaitChild(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return ExitStatus(status);
}

// The recording failed: the session must not go on unrecorded.
Error EndUnrecorded(pid_t pid, int out, const Error& e) {
  std::string msg =
      "\r\nclearbox: the recording failed, ending the session: " + e.message() + "\r\n";
  (void)WriteFully(out, AsBytes(msg));
  kill(-pid, SIGHUP);
  kill(pid, SIGHUP);
  usleep(200000);
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
  (void)WaitChild(pid);
  return e;
}

class RawMode {
 public:
  explicit RawMode(int fd) : fd_(fd) {
    if (!isatty(fd) || tcgetattr(fd, &saved_) != 0) return;
    termios raw = saved_;
    cfmakeraw(&raw);
    active_ = tcsetattr(fd, TCSADRAIN, &raw) == 0;
  }
  ~RawMode() {
    if (active_) tcsetattr(fd_, TCSADRAIN, &saved_);
  }
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

constexpr size_t kBuf = 64 << 10;
constexpr size_t kPipeBuf = 1 << 20;  // the command's stdout pipe, and one read of it
constexpr size_t kMaxUserQueue = 1 << 20;  // output not yet taken by the user's terminal

// Sets O_NONBLOCK on an fd for its lifetime (the flag belongs to the open file description,
// which the user's shell shares: it is put back).
class NonBlocking {
 public:
  explicit NonBlocking(int fd) : fd_(fd), flags_(fcntl(fd, F_GETFL)) {
    if (flags_ >= 0 && !(flags_ & O_NONBLOCK)) fcntl(fd, F_SETFL, flags_ | O_NONBLOCK);
  }
  ~NonBlocking() {
    if (flags_ >= 0 && !(flags_ & O_NONBLOCK)) fcntl(fd_, F_SETFL, flags_);
  }
  NonBlocking(const NonBlocking&) = delete;
  NonBlocking& operator=(const NonBlocking&) = delete;

 private:
  int fd_;
  int flags_;
};
constexpr int kPollMs = 250;  // how often an idle session closes its chunk (Tick)

// Sends `sig` to every process group of the command. On a pty the command leads a session
// and a job-control shell puts each job in a group of its own: all of them are found in
// /proc (session id = pid). The shell's own group is stopped first and continued last, so
// that it never sees its jobs stopped and takes the terminal back.
void SignalCommand(pid_t pid, int sig, bool whole_session) {
  std::set<pid_t> groups;
  if (whole_session) {
    if (DIR* d = opendir("/proc")) {
      while (dirent* e = readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        // /proc files have no size: one read() of a small buffer takes the whole line.
        std::string path = std::string("/proc/") + e->d_name + "/stat";
        UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
        char line[1024];
        ssize_t got = fd.valid() ? read(fd.get(), line, sizeof line - 1) : -1;
        if (got <= 0) continue;
        line[got] = 0;
        std::string_view text(line, size_t(got));
        size_t close_paren = text.rfind(')');
        if (close_paren == std::string_view::npos) continue;
        // After the command name: state ppid pgrp session ...
        char state = 0;
        long ppid = 0, pgrp = 0, sid = 0;
        if (std::sscanf(line + close_paren + 1, " %c %ld %ld %ld", &state, &ppid, &pgrp,
                        &sid) == 4 &&
            sid == pid && pgrp > 0 && pgrp != pid) {
          groups.insert(pid_t(pgrp));
        }
      }
      closedir(d);
    }
  }
  if (sig != SIGCONT) kill(-pid, sig);
  for (pid_t g : groups) kill(-g, sig);
  if (sig == SIGCONT) kill(-pid, sig);
}

// Live observers (SessionOptions::watch): markers, pause/resume, end. Without a watch every
// call is a no-op.
class WatchGate {
 public:
  using Tell = std::function<void(std::string_view)>;
  WatchGate(const SessionOptions& o, pid_t pid, bool pty, RecordingWriter& writer,
            const SessionClock& now, Tell tell)
      : o_(o), pid_(pid), pty_(pty), writer_(writer), now_(now), tell_(std::move(tell)) {}

  int fd() const { return o_.watch ? o_.watch->wake_fd() : -1; }
  // Input is dropped while paused or after the session was ended for want of an observer.
  bool input_blocked() const { return paused_ || ended_; }
  void Output(ByteView data) {
    if (o_.watch && !data.empty()) o_.watch->Output(data);
  }
  // A hangup must reach stopped processes too.
  void BeforeHangup() {
    if (paused_) SignalCommand(pid_, SIGCONT, pty_);
    paused_ = false;
  }

  // Joins, leaves, a lost relay: markers first, then what the policy says.
  Status Handle(SessionResult& r) {
    if (!o_.watch) return Status::Ok();
    bool lost = false;
    std::string lost_detail;
    for (const WatchEvent& e : o_.watch->TakeEvents()) {
      std::string marker;
      switch (e.kind) {
        case WatchEvent::Kind::kJoined:
          marker = "clearbox:observer-joined " + e.who;
          tell_("clearbox: observer " + e.who + " joined");
          break;
        case WatchEvent::Kind::kLeft:
          marker = "clearbox:observer-left " + e.who;
          break;
        case WatchEvent::Kind::kLost:
          marker = "clearbox:observer-relay-lost " + e.detail;
          lost = true;
          lost_detail = e.detail;
          break;
      }
      CLEARBOX_RETURN_IF_ERROR(writer_.Marker(now_(), marker.substr(0, 1024)));
    }
    if (ended_) return Status::Ok();
    size_t present = o_.watch->observers();
    if (lost) {
      return End(r, "ended: the observer relay was lost (" + lost_detail + ")");
    }
    if (present == 0 && !paused_) {
      if (o_.on_leave == OnObserverLeave::kEnd) {
        return End(r, "ended: the last observer left (on-leave: end)");
      }
      paused_ = true;
      SignalCommand(pid_, SIGSTOP, pty_);
      CLEARBOX_RETURN_IF_ERROR(writer_.Marker(now_(), "clearbox:session-paused no observer"));
      tell_("clearbox: the last observer left; the session is paused until an approver "
            "rejoins (input is dropped meanwhile)");
      o_.watch->Note("session paused: no observer");
    } else if (present > 0 && paused_) {
      paused_ = false;
      SignalCommand(pid_, SIGCONT, pty_);
      CLEARBOX_RETURN_IF_ERROR(writer_.Marker(now_(), "clearbox:session-resumed"));
      tell_("clearbox: an observer rejoined; the session goes on");
      o_.watch->Note("session resumed");
    }
    return Status::Ok();
  }

  // After an end: SIGKILL once the grace is over, if the command ignored the hangup.
  void Tick(bool child_exited) {
    if (!ended_ || killed_ || child_exited) return;
    if (std::chrono::steady_clock::now() >= kill_at_) {
      SignalCommand(pid_, SIGKILL, pty_);
      killed_ = true;
    }
  }

 private:
  Status End(SessionResult& r, std::string note) {
    BeforeHangup();
    ended_ = true;
    r.note = note;
    CLEARBOX_RETURN_IF_ERROR(writer_.Marker(now_(), "clearbox:session-" + note));
    tell_("clearbox: the session is " + note);
    o_.watch->Note("session " + note);
    SignalCommand(pid_, SIGHUP, pty_);
    kill_at_ = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    return Status::Ok();
  }

  const SessionOptions& o_;
  pid_t pid_;
  bool pty_;
  RecordingWriter& writer_;
  const SessionClock& now_;
  Tell tell_;
  bool paused_ = false, ended_ = false, killed_ = false;
  std::chrono::steady_clock::time_point kill_at_{};
};

}  // namespace

std::optional<std::pair<int, int>> TerminalSize(int fd) {
  winsize ws{};
  if (ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return std::nullopt;
  return std::pair<int, int>(ws.ws_col, ws.ws_row);
}

Result<SessionResult> RunUnderPty(const SessionOptions& o, RecordingWriter& writer,
                                  const SessionClock& now) {
  if (o.argv.empty()) return Error::InvalidInput("no command to run");
  SignalScope signals;
  if (!signals.ok()) return Error::FromErrno("pipe", "signal pipe", errno);
  termios tio{};
  winsize ws{};
  bool tty = isatty(o.in) && tcgetattr(o.in, &tio) == 0;
  bool have_ws = ioctl(o.in, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0;
  if (!have_ws) ws = winsize{24, 80, 0, 0};
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, tty ? &tio : nullptr, &ws);
  if (pid < 0) return Error::FromErrno("forkpty", o.argv[0], errno);
  if (pid == 0) ExecChild(o);
  UniqueFd master_fd(master);
  fcntl(master, F_SETFD, FD_CLOEXEC);
  fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
  RawMode raw(o.in);

  SessionResult r;
  std::string to_child;
  // Output waiting for the user's terminal: the relay never blocks on it, so that the command
  // keeps writing into its pty while the terminal (sshd) takes the last batch.
  std::string to_user;
  size_t to_user_head = 0;
  bool user_gone = false;
  NonBlocking out_nb(o.out);
  bool in_open = true, child_exited = false;
  int status = 0;
  std::vector<uint8_t> buf(kBuf);
  auto record = [&](Status s) -> Status {
    if (!s.ok()) return EndUnrecorded(pid, o.out, s.error());
    return s;
  };
  WatchGate gate(o, pid, true, writer, now, [&](std::string_view msg) {
    if (user_gone) return;
    to_user += "\r\n";
    to_user += msg;
    to_user += "\r\n";
  });
  CLEARBOX_RETURN_IF_ERROR(record(gate.Handle(r)));  // the joins before the start
  for (;;) {
    size_t pending = to_user.size() - to_user_head;
    bool room = pending < kMaxUserQueue;
    pollfd fds[5] = {{master, short((room ? POLLIN : 0) | (to_child.empty() ? 0 : POLLOUT)), 0},
                     {signals.fd(), POLLIN, 0},
                     {in_open && to_child.size() < kBuf ? o.in : -1, POLLIN, 0},
                     {pending > 0 && !user_gone ? o.out : -1, POLLOUT, 0},
                     {gate.fd(), POLLIN, 0}};
    int n = poll(fds, 5, child_exited ? 0 : kPollMs);
    if (n < 0 && errno != EINTR) {
      return EndUnrecorded(pid, o.out, Error::FromErrno("poll", "session", errno));
    }
    bool master_done = false;
    if (room && ((n > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) || child_exited)) {
      // A pty hands out at most 4 KiB per read: take what is there (up to the buffer) so
      // that the user's terminal gets one write and the recording one event, not 16.
      size_t have = 0;
      ssize_t got;
      while ((got = read(master, buf.data() + have, buf.size() - have)) > 0) {
        have += size_t(got);
        if (buf.size() - have < 4096) break;
      }
      if (have > 0) {
        ByteView data(buf.data(), have);
        r.output_bytes += have;
        if (!user_gone) to_user.append(reinterpret_cast<const char*>(buf.data()), have);
        gate.Output(data);
        CLEARBOX_RETURN_IF_ERROR(record(writer.Output(now(), data)));
      } else if (got == 0 || child_exited || (errno != EAGAIN && errno != EINTR)) {
        master_done = true;  // EIO: every slave fd is closed; or the command is gone, drained
      }
    }
    if (n > 0 && (fds[3].revents & (POLLOUT | POLLERR | POLLHUP)) && pending > 0) {
      ssize_t w = write(o.out, to_user.data() + to_user_head, pending);
      if (w > 0) {
        to_user_head += size_t(w);
        if (to_user_head == to_user.size()) {
          to_user.clear();
          to_user_head = 0;
        } else if (to_user_head > kMaxUserQueue) {
          to_user.erase(0, to_user_head);
          to_user_head = 0;
        }
      } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
        user_gone = true;  // a user who went away must not end the recording
        to_user.clear();
        to_user_head = 0;
      }
    }
    if (n > 0 && (fds[0].revents & POLLOUT) && !to_child.empty()) {
      ssize_t w = write(master, to_child.data(), to_child.size());
      if (w > 0) to_child.erase(0, size_t(w));
    }
    if (n > 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t got = read(o.in, buf.data(), buf.size());
      if (got > 0 && gate.input_blocked()) {
        // Paused (or ended) for want of an observer: what is typed goes nowhere.
      } else if (got > 0) {
        ByteView data(buf.data(), size_t(got));
        r.input_bytes += uint64_t(got);
        to_child.append(reinterpret_cast<const char*>(data.data()), data.size());
        if (o.record_input) CLEARBOX_RETURN_IF_ERROR(record(writer.Input(now(), data)));
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        in_open = false;
        // No more input: tell the command as a terminal would (end-of-file character).
        termios t{};
        char eof = tcgetattr(master, &t) == 0 ? char(t.c_cc[VEOF]) : '\x04';
        to_child += eof;
      }
    }
    if (n > 0 && (fds[1].revents & POLLIN)) {
      unsigned char sigs[64];
      ssize_t got = read(signals.fd(), sigs, sizeof sigs);
      for (ssize_t i = 0; i < got; ++i) {
        int sig = sigs[i];
        if (sig == SIGWINCH) {
          winsize now_ws{};
          if (ioctl(o.in, TIOCGWINSZ, &now_ws) == 0 && now_ws.ws_col > 0) {
            ioctl(master, TIOCSWINSZ, &now_ws);
            CLEARBOX_RETURN_IF_ERROR(record(writer.Resize(now(), now_ws.ws_col, now_ws.ws_row)));
          }
        } else if (sig == SIGCHLD) {
          if (!child_exited && waitpid(pid, &status, WNOHANG) == pid) child_exited = true;
        } else {
          r.note = std::string("ended by ") + sigabbrev_np(sig) + " to clearbox";
          gate.BeforeHangup();
          kill(-pid, sig == SIGINT ? SIGINT : SIGHUP);
        }
      }
    }
    if (n > 0 && (fds[4].revents & POLLIN)) CLEARBOX_RETURN_IF_ERROR(record(gate.Handle(r)));
    gate.Tick(child_exited);
    if (master_done) break;
    CLEARBOX_RETURN_IF_ERROR(record(writer.Tick(now())));
  }
  if (!user_gone) {
    (void)WriteFully(o.out, AsBytes(std::string_view(to_user).substr(to_user_head)));
  }
  r.exit_status = child_exited ? ExitStatus(status) : WaitChild(pid);
  return r;
}

Result<SessionResult> RunWithPipes(const SessionOptions& o, RecordingWriter& writer,
                                   const SessionClock& now) {
  if (o.argv.empty()) return Error::InvalidInput("no command to run");
  SignalScope signals;
  if (!signals.ok()) return Error::FromErrno("pipe", "signal pipe", errno);
  int p_in[2], p_out[2], p_err[2];
  if (pipe2(p_in, O_CLOEXEC) != 0) return Error::FromErrno("pipe", "stdin", errno);
  if (pipe2(p_out, O_CLOEXEC) != 0) return Error::FromErrno("pipe", "stdout", errno);
  if (pipe2(p_err, O_CLOEXEC) != 0) return Error::FromErrno("pipe", "stderr", errno);
  pid_t pid = fork();
  if (pid < 0) return Error::FromErrno("fork", o.argv[0], errno);
  if (pid == 0) {
    setpgid(0, 0);  // its own group, so that a hangup reaches what it started
    dup2(p_in[0], 0);
    dup2(p_out[1], 1);
    dup2(p_err[1], 2);
    ExecChild(o);
  }
  setpgid(pid, pid);
  close(p_in[0]);
  close(p_out[1]);
  close(p_err[1]);
  UniqueFd child_in(p_in[1]), child_out(p_out[0]), child_err(p_err[0]);
  for (int fd : {child_in.get(), child_out.get(), child_err.get()}) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  // A bulk transfer (cat, scp) then wakes the relay once per 1 MiB instead of per 64 KiB.
  // Best effort: the system's pipe-max-size may refuse it.
  (void)fcntl(child_out.get(), F_SETPIPE_SZ, int(kPipeBuf));
  bool tee_out = false;  // stdout goes to a pipe (sshd's): forwarded with tee(2)
  if (struct stat st; fstat(o.out, &st) == 0 && S_ISFIFO(st.st_mode)) {
    (void)fcntl(o.out, F_SETPIPE_SZ, int(kPipeBuf));  // sshd's pipe: the same, on its side
    tee_out = true;
  }

  SessionResult r;
  std::string to_child;
  bool in_open = true;
  std::vector<uint8_t> buf(kPipeBuf);
  auto record = [&](Status s) -> Status {
    if (!s.ok()) return EndUnrecorded(pid, o.err, s.error());
    return s;
  };
  // stdout may carry scp's or sftp's protocol: messages go to stderr.
  WatchGate gate(o, pid, false, writer, now, [&](std::string_view msg) {
    (void)WriteFully(o.err, AsBytes(std::string(msg) + "\n"));
  });
  CLEARBOX_RETURN_IF_ERROR(record(gate.Handle(r)));  // the joins before the start
  while (child_out.valid() || child_err.valid()) {
    pollfd fds[6] = {{child_out.get(), POLLIN, 0},
                     {child_err.get(), POLLIN, 0},
                     {to_child.empty() ? -1 : child_in.get(), POLLOUT, 0},
                     {in_open && child_in.valid() && to_child.size() < kBuf && !gate.input_blocked()
                          ? o.in : -1, POLLIN, 0},
                     {signals.fd(), POLLIN, 0},
                     {gate.fd(), POLLIN, 0}};
    int n = poll(fds, 6, kPollMs);
    if (n < 0 && errno != EINTR) {
      return EndUnrecorded(pid, o.err, Error::FromErrno("poll", "session", errno));
    }
    for (int k = 0; k < 2 && n > 0; ++k) {
      UniqueFd& src = k == 0 ? child_out : child_err;
      if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got;
      bool forwarded = false;
      if (k == 0 && tee_out) {
        // Into sshd's pipe without a copy: tee(2) puts the same pages there, then read(2)
        // takes exactly those bytes off the command's pipe for the recording.
        ssize_t teed = tee(src.get(), o.out, buf.size(), SPLICE_F_NONBLOCK);
        if (teed < 0 && errno == EAGAIN) {  // sshd's pipe is full (or nothing came): wait
          pollfd p{o.out, POLLOUT, 0};
          (void)poll(&p, 1, 1000);
          continue;
        }
        if (teed > 0) {
          got = ReadExactly(src.get(), std::span<uint8_t>(buf.data(), size_t(teed)));
          forwarded = true;
        } else if (teed == 0) {
          got = 0;  // end of output
        } else {  // EINVAL: not a pipe after all; EPIPE: sshd stopped reading. Copy instead.
          tee_out = false;
          got = read(src.get(), buf.data(), buf.size());
        }
      } else {
        got = read(src.get(), buf.data(), buf.size());
      }
      if (got > 0) {
        ByteView data(buf.data(), size_t(got));
        (k == 0 ? r.output_bytes : r.error_bytes) += uint64_t(got);
        if (!forwarded) (void)WriteFully(k == 0 ? o.out : o.err, data);
        gate.Output(data);
        CLEARBOX_RETURN_IF_ERROR(record(writer.Output(now(), data)));
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        src.Reset();
      }
    }
    if (n > 0 && (fds[3].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t got = read(o.in, buf.data(), buf.size());
      if (got > 0) {
        ByteView data(buf.data(), size_t(got));
        r.input_bytes += uint64_t(got);
        to_child.append(reinterpret_cast<const char*>(data.data()), data.size());
        CLEARBOX_RETURN_IF_ERROR(record(writer.Input(now(), data)));
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        in_open = false;
      }
    }
    if (n > 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP)) && !to_child.empty()) {
      ssize_t w = write(child_in.get(), to_child.data(), to_child.size());
      if (w > 0) {
        to_child.erase(0, size_t(w));
      } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
        to_child.clear();  // EPIPE: the command stopped reading
        child_in.Reset();
      }
    }
    if (!in_open && to_child.empty() && child_in.valid()) child_in.Reset();  // EOF to it
    if (n > 0 && (fds[4].revents & POLLIN)) {
      unsigned char sigs[64];
      ssize_t got = read(signals.fd(), sigs, sizeof sigs);
      for (ssize_t i = 0; i < got; ++i) {
        int sig = sigs[i];
        if (sig == SIGHUP || sig == SIGTERM || sig == SIGINT) {
          r.note = std::string("ended by ") + sigabbrev_np(sig) + " to clearbox";
          gate.BeforeHangup();
          kill(-pid, sig);
        }
      }
    }
    if (n > 0 && (fds[5].revents & POLLIN)) CLEARBOX_RETURN_IF_ERROR(record(gate.Handle(r)));
    gate.Tick(false);
    CLEARBOX_RETURN_IF_ERROR(record(writer.Tick(now())));
  }
  r.exit_status = WaitChild(pid);
  return r;
}

}  // namespace clearbox::maint
