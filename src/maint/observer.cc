// The live-observer protocol: frames, messages, the challenge and its check (observer.h).
#include "clearbox/maint/observer.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "clearbox/core/encoding.h"
#include "clearbox/core/strict_json.h"
#include "clearbox/release/dsse.h"
#include "maint/maint_statements_internal.h"

namespace clearbox::maint {

using internal::Fields;
using internal::Json;

namespace {

constexpr size_t kMaxText = 1024;
constexpr uint64_t kMaxObserverId = uint64_t(1) << 53;  // exact in a JSON double too

bool KnownType(uint8_t t) {
  switch (static_cast<FrameType>(t)) {
    case FrameType::kRegister: case FrameType::kOutput: case FrameType::kAccept:
    case FrameType::kReject: case FrameType::kRegistered: case FrameType::kJoin:
    case FrameType::kLeave: case FrameType::kHello: case FrameType::kAuth:
    case FrameType::kBye: case FrameType::kChallenge: case FrameType::kWelcome:
    case FrameType::kNote: case FrameType::kError: case FrameType::kPing:
      return true;
  }
  return false;
}

std::string TypeName(FrameType t) {
  std::string s = "relay frame '";
  s += char(t);
  return s + "'";
}

// Tickets and devices reach command lines and file names: the maint statements' alphabet.
bool IsTicketLike(std::string_view s) {
  if (s.empty() || s.size() > PolicyLimits::kMaxNameBytes) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '/' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsLowerHex(std::string_view s, size_t size) {
  if (s.size() != size) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Notes and errors reach the observer's and the engineer's terminals: printable ASCII only,
// so that no one can send escape sequences through them.
bool IsPlainText(std::string_view s) {
  if (s.size() > kMaxText) return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

std::string PlainText(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, kMaxText)) out += (c >= 0x20 && c <= 0x7e) ? char(c) : '?';
  return out;
}

Result<std::string> Hex(const Fields& f, std::string_view key, size_t size) {
  CLEARBOX_ASSIGN_OR_RETURN(std::string s, f.String(key, size));
  if (!IsLowerHex(s, size)) {
    return f.Invalid(key, "expected " + std::to_string(size) + " lowercase hex digits");
  }
  return s;
}

Result<std::string> TicketLike(const Fields& f, std::string_view key) {
  CLEARBOX_ASSIGN_OR_RETURN(std::string s, f.String(key, PolicyLimits::kMaxNameBytes));
  if (!IsTicketLike(s)) return f.Invalid(key, internal::Quoted(s) + ": not A-Z a-z 0-9 . _ : / -");
  return s;
}

Status ReadSession(const Fields& f, SessionInfo& s) {
  CLEARBOX_ASSIGN_OR_RETURN(s.session, Hex(f, "session", 32));
  CLEARBOX_ASSIGN_OR_RETURN(s.ticket, TicketLike(f, "ticket"));
  CLEARBOX_ASSIGN_OR_RETURN(s.serial, f.Unsigned("serial", 0, UINT64_MAX));
  CLEARBOX_ASSIGN_OR_RETURN(s.device, TicketLike(f, "device"));
  return Status::Ok();
}

Result<std::string> Text(const Fields& f, std::string_view key, bool allow_empty) {
  CLEARBOX_ASSIGN_OR_RETURN(std::string s, f.String(key, kMaxText, allow_empty));
  if (!IsPlainText(s)) return f.Invalid(key, "not printable ASCII");
  return s;
}

void PutSession(Json& j, const SessionInfo& s) {
  j["session"] = s.session;
  j["ticket"] = s.ticket;
  j["serial"] = s.serial;
  j["device"] = s.device;
}

}  // namespace

void AppendFrame(std::string& out, FrameType type, std::string_view payload) {
  uint32_t n = uint32_t(payload.size() + 1);
  char len[4] = {char(n >> 24), char(n >> 16), char(n >> 8), char(n)};
  out.append(len, 4);
  out += char(type);
  out.append(payload);
}

void FrameReader::Append(ByteView data) {
  if (head_ > 0 && head_ == buf_.size()) {
    buf_.clear();
    head_ = 0;
  } else if (head_ > (64 << 10)) {
    buf_.erase(0, head_);
    head_ = 0;
  }
  buf_.append(reinterpret_cast<const char*>(data.data()), data.size());
}

Result<std::optional<Frame>> FrameReader::Next() {
  size_t have = buf_.size() - head_;
  if (have < 4) return std::optional<Frame>();
  const auto* p = reinterpret_cast<const uint8_t*>(buf_.data() + head_);
  uint32_t n = (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
  if (n == 0) return Error::InvalidInput("relay frame: zero length");
  if (n > RelayLimits::kMaxFrameBytes) {
    return Error::LimitExceeded("relay frame: " + std::to_string(n) + " bytes, more than " +
                                std::to_string(RelayLimits::kMaxFrameBytes));
  }
  if (have >= 5 && !KnownType(p[4])) {
    return Error::InvalidInput("relay frame: unknown type byte " + std::to_string(p[4]));
  }
  if (have - 4 < n) return std::optional<Frame>();
  Frame f;
  f.type = static_cast<FrameType>(p[4]);
  f.payload.assign(buf_, head_ + 5, n - 1);
  head_ += 4 + n;
  return std::optional<Frame>(std::move(f));
}

Status FrameReader::AtEnd() const {
  if (buffered() == 0) return Status::Ok();
  return Error::InvalidInput("relay frame: truncated: the stream ended " +
                             std::to_string(buffered()) + " bytes into a frame");
}

std::string EncodeMessage(const RelayMessage& m) {
  std::string out;
  if (m.type == FrameType::kOutput) {
    AppendFrame(out, m.type, AsChars(m.data));
    return out;
  }
  Json j = Json::object();
  switch (m.type) {
    case FrameType::kRegister: PutSession(j, m.session); break;
    case FrameType::kChallenge:
      PutSession(j, m.session);
      j["nonce"] = m.nonce;
      break;
    case FrameType::kWelcome:
      PutSession(j, m.session);
      j["name"] = m.name;
      break;
    case FrameType::kAccept:
      j["observer"] = m.observer;
      j["name"] = m.name;
      break;
    case FrameType::kReject:
      j["observer"] = m.observer;
      j["text"] = PlainText(m.text);
      break;
    case FrameType::kJoin:
      j["observer"] = m.observer;
      j["nonce"] = m.nonce;
      j["keyid"] = m.keyid;
      j["signature"] = m.signature;
      break;
    case FrameType::kLeave: j["observer"] = m.observer; break;
    case FrameType::kHello: j["ticket"] = m.text; break;
    case FrameType::kAuth:
      j["keyid"] = m.keyid;
      j["signature"] = m.signature;
      break;
    case FrameType::kNote:
    case FrameType::kError: j["text"] = PlainText(m.text); break;
    case FrameType::kRegistered:
    case FrameType::kBye:
    case FrameType::kPing:
    case FrameType::kOutput: break;
  }
  AppendFrame(out, m.type, j.dump());
  return out;
}

Result<RelayMessage> ParseMessage(const Frame& frame) {
  RelayMessage m;
  m.type = frame.type;
  std::string what = TypeName(frame.type);
  if (frame.type == FrameType::kOutput) {
    if (frame.payload.empty()) return Error::InvalidInput(what + ": empty output");
    m.data.assign(frame.payload.begin(), frame.payload.end());
    return m;
  }
  if (frame.payload.size() > RelayLimits::kMaxControlBytes) {
    return Error::LimitExceeded(what + ": " + std::to_string(frame.payload.size()) +
                                " bytes, more than " +
                                std::to_string(RelayLimits::kMaxControlBytes));
  }
  CLEARBOX_ASSIGN_OR_RETURN(Json j, ParseStrictJson(frame.payload, what, 2));
  if (!j.is_object()) return Error::InvalidInput(what + ": expected a JSON object");
  Fields f(j, what, "");
  auto observer = [&]() -> Status {
    CLEARBOX_ASSIGN_OR_RETURN(m.observer, f.Unsigned("observer", 1, kMaxObserverId));
    return Status::Ok();
  };
  switch (frame.type) {
    case FrameType::kRegister: {
      CLEARBOX_RETURN_IF_ERROR(f.OnlyKnown({"session", "ticket", "serial", "device"}));
      CLEARBOX_RETURN_IF_ERROR(ReadSession(f, m.session));
      break;
    }
    case FrameType::kChallenge: {
      CLEARBOX_RETURN_IF_ERROR(f.OnlyKnown({"session", "ticket", "serial", "device", "nonce"}));
      CLEARBOX_RETURN_IF_ERROR(ReadSession(f, m.session));
      CLEARBOX_ASSIGN_OR_RETURN(m.nonce, Hex(f, "nonce", 32));
      break;
    }
    case FrameType::kWelcome: {
      CLEARBOX_RETURN_IF_ERROR(f.OnlyKnown({"session", "ticket", "serial", "device", "name"}));
      CLEARBOX_RETURN_IF_ERROR(ReadSession(f, m.session));
      CLEARBOX_ASSIGN_OR_RETURN(m.name, f.Name("name", PolicyLimits::kMaxNameBytes));
      break;
    }
    case FrameType::kAccept: {
      CLEARBOX_RETURN_IF_ERROR(f.OnlyKnown({"observer", "name"}));
      CLEARBOX_RETURN_IF_ERROR(observer());
      CLEARBOX_ASSIGN_OR_RETURN(m.name, f.Name("name", PolicyLimits::kMaxNameBytes));
      break;
    }
    case FrameType::kReject: {
      CLEARBOX_RETURN_IF_ERROR(f.OnlyKnown({"observer", "text"}));
      CLEARBOX_RETURN_IF_ERROR(observer());
      CLEARBOX_ASSIGN_OR_RETURN(m.text, Text(f, "text", false));
      break;
    }
    case FrameType::kJoin: {
      CLEARBOX_RETURN_IF_ERROR(f.OnlyKnown({"observer", "nonce", "keyid", "signature"}));
      CLEARBOX_RETURN_IF_ERROR(observer());
      CLEARBOX_ASSIGN_OR_RETURN(m.nonce, Hex(f, "nonce", 32));
      CLEARBOX_ASSIGN_OR_RETURN(m.keyid, Hex(f, "keyid", 64));
      CLEARBOX_ASSIGN_OR_RETURN(m.signature, Hex(f, "signature", 128));
      break;
    }
    case FrameType::kLeave: {
      CLEARBOX_RETURN_IF_ERROR(f.OnlyKnown({"observer"}));
      CLEARBOX_RETURN_IF_ERROR(observer());
      break;
    }
    case FrameType::kHello: {
      CLEARBOX_RETURN_IF_ERROR(f.OnlyKnown({"ticket"}));
      CLEARBOX_ASSIGN_OR_RETURN(m.text, f.String("ticket", PolicyLimits::kMaxNameBytes, true));
      if (!m.text.empty() && !IsTicketLike(m.text)) {
        return f.Invalid("ticket", internal::Quoted(m.text) + ": not A-Z a-z 0-9 . _ : / -");
      }
      break;
    }
    case FrameType::kAuth: {
      CLEARBOX_RETURN_IF_ERROR(f.OnlyKnown({"keyid", "signature"}));
      CLEARBOX_ASSIGN_OR_RETURN(m.keyid, Hex(f, "keyid", 64));
      CLEARBOX_ASSIGN_OR_RETURN(m.signature, Hex(f, "signature", 128));
      break;
    }
    case FrameType::kNote:
    case FrameType::kError: {
      CLEARBOX_RETURN_IF_ERROR(f.OnlyKnown({"text"}));
      CLEARBOX_ASSIGN_OR_RETURN(m.text, Text(f, "text", false));
      break;
    }
    case FrameType::kRegistered:
    case FrameType::kBye:
    case FrameType::kPing: {
      CLEARBOX_RETURN_IF_ERROR(f.OnlyKnown({}));
      break;
    }
    case FrameType::kOutput: {
      break;
    }
  }
  return m;
}

Result<std::string> NewRandomId() {
  uint8_t b[16];
  if (RAND_bytes(b, sizeof b) != 1) return Error::Internal("RAND_bytes failed");
  return HexEncode(ByteView(b, sizeof b));
}

std::string ChallengeText(const SessionInfo& s, std::string_view nonce) {
  return "clearbox-maint-observe/v1\nsession " + s.session + "\nnonce " + std::string(nonce) +
         "\nticket " + s.ticket + "\nserial " + std::to_string(s.serial) + "\ndevice " +
         s.device + "\n";
}

Result<RelayMessage> SignChallenge(const SessionInfo& s, std::string_view nonce,
                                   const crypto::Ed25519PrivateKey& key) {
  CLEARBOX_ASSIGN_OR_RETURN(crypto::Ed25519Signature sig, key.Sign(AsBytes(ChallengeText(s, nonce))));
  RelayMessage m;
  m.type = FrameType::kAuth;
  m.keyid = release::Ed25519KeyId(key.public_key());
  m.signature = HexEncode(sig);
  return m;
}

Result<const Person*> VerifyObserver(const std::vector<Person>& approvers, const SessionInfo& s,
                                     std::string_view nonce, std::string_view keyid,
                                     std::string_view signature) {
  for (const Person& p : approvers) {
    if (p.key.keyid() != keyid) continue;
    if (p.revoked) return Error::PermissionDenied(p.name + "'s key is revoked in the policy");
    std::optional<Bytes> sig = HexDecode(signature);
    if (!sig || !p.key.Verify(AsBytes(ChallengeText(s, nonce)), *sig)) {
      return Error::VerificationFailed(p.name +
                                       "'s signature does not verify for this session and nonce");
    }
    return &p;
  }
  return Error::PermissionDenied("this key is not an approver in the policy");
}

Result<std::pair<std::string, uint16_t>> SplitHostPort(std::string_view text) {
  auto bad = [&] {
    return Error::InvalidInput(internal::Quoted(text) + " is not HOST:PORT");
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= text.size() || text.size() > 300) {
    return bad();
  }
  std::string host(text.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  uint32_t port = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535) return bad();
    port = port * 10 + uint32_t(c - '0');
  }
  if (port == 0 || port > 65535 || host.empty()) return bad();
  return std::pair<std::string, uint16_t>(host, uint16_t(port));
}

Result<int> ConnectTcp(std::string_view hostport, int timeout_ms) {
  CLEARBOX_ASSIGN_OR_RETURN(auto hp, SplitHostPort(hostport));
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(hp.second);
  int rc = getaddrinfo(hp.first.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    return Error::Unavailable(std::string(hostport) + ": " + gai_strerror(rc));
  }
  std::string last = "no address";
  for (addrinfo* a = res; a; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    int r = connect(fd, a->ai_addr, a->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      r = poll(&p, 1, timeout_ms) == 1 ? 0 : -1;
      int err = ETIMEDOUT;
      socklen_t len = sizeof err;
      if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
        r = 0;
      } else {
        r = -1;
        errno = err;
      }
    }
    if (r == 0) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      freeaddrinfo(res);
      return fd;
    }
    last = std::strerror(errno);
    close(fd);
  }
  freeaddrinfo(res);
  return Error::Unavailable("connect " + std::string(hostport) + ": " + last);
}

}  // namespace clearbox::maint
