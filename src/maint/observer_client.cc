// The observer's side of the relay (observer.h, Observe): authenticate, then show the session
// read-only. Everything typed is dropped except the leave key.
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "clearbox/core/file.h"
#include "clearbox/maint/observer.h"

namespace clearbox::maint {

namespace {

using Clock = std::chrono::steady_clock;
constexpr unsigned char kLeaveKey = 0x1d;  // Ctrl-], as telnet's escape

class RawInput {
 public:
  explicit RawInput(int fd) : fd_(fd) {
    if (fd < 0 || !isatty(fd) || tcgetattr(fd, &saved_) != 0) return;
    termios raw = saved_;
    cfmakeraw(&raw);
    raw.c_oflag = saved_.c_oflag;  // keep output processing: status lines end in \n
    active_ = tcsetattr(fd, TCSADRAIN, &raw) == 0;
  }
  ~RawInput() {
    if (active_) tcsetattr(fd_, TCSADRAIN, &saved_);
  }
  RawInput(const RawInput&) = delete;
  RawInput& operator=(const RawInput&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

Status SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(size_t(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd p{fd, POLLOUT, 0};
      if (poll(&p, 1, 5000) == 0) return Error::Unavailable("the relay does not take data");
    } else {
      return Error::FromErrno("write", "relay", errno);
    }
  }
  return Status::Ok();
}

}  // namespace

Result<ObserveResult> Observe(const ObserveOptions& o, const crypto::Ed25519PrivateKey& key) {
  auto status = [&](const std::string& s) {
    if (o.status) o.status(s);
  };
  CLEARBOX_ASSIGN_OR_RETURN(int raw_fd, ConnectTcp(o.relay, 10000));
  UniqueFd sock(raw_fd);
  RelayMessage hello;
  hello.type = FrameType::kHello;
  hello.text = o.ticket;
  CLEARBOX_RETURN_IF_ERROR(SendAll(sock.get(), EncodeMessage(hello)));

  ObserveResult result;
  bool welcomed = false;
  FrameReader reader;
  std::vector<uint8_t> buf(64 << 10);
  std::optional<RawInput> raw;
  bool in_open = o.in_fd >= 0;
  auto auth_deadline = Clock::now() + std::chrono::seconds(RelayLimits::kAuthTimeoutSeconds * 2);
  auto last_in = Clock::now(), last_out = Clock::now();
  auto leave = [&](const std::string& why) -> Result<ObserveResult> {
    RelayMessage bye;
    bye.type = FrameType::kBye;
    (void)SendAll(sock.get(), EncodeMessage(bye));
    result.left = true;
    result.reason = why;
    return result;
  };
  for (;;) {
    auto now = Clock::now();
    if (!welcomed && now > auth_deadline) {
      return Error::Unavailable(o.relay + ": no welcome from the relay");
    }
    if (now - last_in > std::chrono::seconds(RelayLimits::kIdleTimeoutSeconds)) {
      return Error::Unavailable(o.relay + ": the relay stopped answering");
    }
    if (welcomed && now - last_out >= std::chrono::seconds(RelayLimits::kPingSeconds)) {
      CLEARBOX_RETURN_IF_ERROR(SendAll(sock.get(), EncodeMessage(RelayMessage{})));
      last_out = now;
    }
    pollfd fds[3] = {{sock.get(), POLLIN, 0},
                     {welcomed && in_open ? o.in_fd : -1, POLLIN, 0},
                     {o.stop_fd, POLLIN, 0}};
    int n = poll(fds, 3, 1000);
    if (n < 0 && errno != EINTR) return Error::FromErrno("poll", "observe", errno);
    if (n <= 0) continue;
    if (fds[2].revents & (POLLIN | POLLHUP)) return leave("stopped");
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t got = read(o.in_fd, buf.data(), buf.size());
      if (got <= 0 && !(got < 0 && (errno == EAGAIN || errno == EINTR))) in_open = false;
      for (ssize_t i = 0; i < got; ++i) {
        if (buf[size_t(i)] == kLeaveKey) return leave("the observer left");
      }
    }
    if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    ssize_t got = read(sock.get(), buf.data(), buf.size());
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (got <= 0) {
      CLEARBOX_RETURN_IF_ERROR(reader.AtEnd());
      if (!welcomed) return Error::Unavailable(o.relay + ": the relay closed the connection");
      result.reason = "the relay closed the connection";
      return result;
    }
    last_in = Clock::now();
    reader.Append(ByteView(buf.data(), size_t(got)));
    for (;;) {
      CLEARBOX_ASSIGN_OR_RETURN(std::optional<Frame> f, reader.Next());
      if (!f) break;
      CLEARBOX_ASSIGN_OR_RETURN(RelayMessage m, ParseMessage(*f));
      switch (m.type) {
        case FrameType::kChallenge: {
          if (welcomed || !result.session.session.empty()) {
            return Error::InvalidInput(o.relay + ": a second challenge");
          }
          result.session = m.session;
          status("session " + m.session.session + ": ticket " + m.session.ticket + ", serial " +
                 std::to_string(m.session.serial) + ", device " + m.session.device);
          CLEARBOX_ASSIGN_OR_RETURN(RelayMessage auth, SignChallenge(m.session, m.nonce, key));
          CLEARBOX_RETURN_IF_ERROR(SendAll(sock.get(), EncodeMessage(auth)));
          last_out = Clock::now();
          break;
        }
        case FrameType::kWelcome:
          if (welcomed || !(m.session == result.session)) {
            return Error::InvalidInput(o.relay + ": a welcome for another session");
          }
          welcomed = true;
          result.name = m.name;
          raw.emplace(o.in_fd);
          status("watching as " + m.name + " (read-only; Ctrl-] leaves)");
          break;
        case FrameType::kOutput:
          if (!welcomed) return Error::InvalidInput(o.relay + ": output before the welcome");
          CLEARBOX_RETURN_IF_ERROR(WriteAll(o.out_fd, m.data, "output"));
          break;
        case FrameType::kNote:
          status(m.text);
          break;
        case FrameType::kError:
          if (!welcomed) return Error::PermissionDenied("refused: " + m.text);
          result.reason = m.text;
          return result;
        case FrameType::kPing:
          break;
        default:
          return Error::InvalidInput(o.relay + ": an unexpected " + std::string(1, char(m.type)) +
                                     " frame");
      }
    }
  }
}

}  // namespace clearbox::maint
