// Live observers of a maintenance session (docs/maint-recording.md, "Live observers").
//
// Three parties speak one framed protocol over TCP:
//   recorder (`maint record`, on the device)  --register, output-->  relay (`maint relay`)
//   observer (`maint observe`, an approver)   <--challenge, output--  relay
// An observer proves it holds a policy approver's key by signing a challenge that binds the
// session (a random id the recorder chose, with ticket, serial and device) and a fresh nonce
// of the relay's. The relay checks the signature against the policy and forwards it to the
// recorder, which checks it again against its own copy of the policy and refuses a nonce it
// has seen: a relay (or anyone between) cannot invent or replay a join.
//
// Frames: a 4-byte big-endian length L (1..kMaxFrameBytes), then L bytes: one type byte and
// the payload. Output frames carry raw session bytes; every other payload is a JSON object
// of at most kMaxControlBytes (see RelayMessage for which fields each type carries).
//
//   FrameReader reader;
//   reader.Append(received);
//   while (true) {
//     CLEARBOX_ASSIGN_OR_RETURN(std::optional<Frame> f, reader.Next());
//     if (!f) break;
//     CLEARBOX_ASSIGN_OR_RETURN(RelayMessage m, ParseMessage(*f));
//     ...
//   }
//
// Thread-safety: the free functions are pure; RelayWatch is described below.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/crypto/ed25519.h"
#include "clearbox/maint/policy.h"
#include "clearbox/maint/pty_session.h"

namespace clearbox::maint {

// Caps on everything the relay protocol carries or keeps.
struct RelayLimits {
  static constexpr size_t kMaxFrameBytes = 64 << 10;    // type byte + payload
  static constexpr size_t kMaxControlBytes = 4 << 10;   // a JSON payload
  static constexpr size_t kMaxOutputChunk = 32 << 10;   // session bytes per output frame
  static constexpr size_t kMaxSessions = 64;            // registered at once on a relay
  static constexpr size_t kMaxObserversPerSession = 8;
  static constexpr size_t kMaxConnections = 256;        // on a relay, all kinds
  static constexpr size_t kObserverQueueBytes = 1 << 20;  // relay -> one observer, unsent
  static constexpr size_t kRecorderQueueBytes = 4 << 20;  // recorder -> relay, unsent
  static constexpr int kAuthTimeoutSeconds = 10;  // hello to authenticated
  static constexpr int kIdleTimeoutSeconds = 30;  // nothing received: the peer is gone
  static constexpr int kPingSeconds = 5;          // sent when nothing else was
};

enum class FrameType : uint8_t {
  // recorder -> relay
  kRegister = 'R',  // session
  kOutput = 'O',    // data: session output
  kAccept = 'A',    // observer, name: the recorder accepted a join
  kReject = 'X',    // observer, text: the recorder refused a join
  // relay -> recorder
  kRegistered = 'G',  // {}
  kJoin = 'J',        // observer, nonce, keyid, signature
  kLeave = 'L',       // observer
  // observer -> relay
  kHello = 'H',  // text: the ticket to watch ("" = the only session)
  kAuth = 'U',   // keyid, signature
  kBye = 'B',    // {}
  // relay -> observer
  kChallenge = 'C',  // session, nonce
  kWelcome = 'W',    // session, name: output follows
  // any direction
  kNote = 'N',   // text: a state change to show ("session paused ...")
  kError = 'E',  // text: why the sender closes the connection
  kPing = 'P',   // {}
};

struct Frame {
  FrameType type = FrameType::kPing;
  std::string payload;
};

// Appends one frame (length, type, payload) to `out`. The payload must fit kMaxFrameBytes - 1.
void AppendFrame(std::string& out, FrameType type, std::string_view payload);

// Splits a byte stream into frames. Not thread-safe.
class FrameReader {
 public:
  void Append(ByteView data);
  // The next complete frame, or nullopt when more bytes are needed. Errors (the stream is
  // then unusable: close the connection): kLimitExceeded for a length over kMaxFrameBytes,
  // kInvalidInput for a zero length or an unknown type byte.
  Result<std::optional<Frame>> Next();
  // At the end of the stream: kInvalidInput "truncated frame" when part of one is buffered.
  Status AtEnd() const;
  size_t buffered() const { return buf_.size() - head_; }

 private:
  std::string buf_;
  size_t head_ = 0;
};

// Who and what a live session is. `session` is 32 lowercase hex digits (16 random bytes the
// recorder chooses at start: NewSessionId).
struct SessionInfo {
  std::string session;
  std::string ticket;  // A-Z a-z 0-9 . _ : / -, 1..255 bytes (as maint statements)
  uint64_t serial = 0;
  std::string device;  // as ticket
  bool operator==(const SessionInfo&) const = default;
};

// One protocol message; which fields a type carries is listed at FrameType.
struct RelayMessage {
  FrameType type = FrameType::kPing;
  SessionInfo session;
  std::string nonce;      // 32 lowercase hex digits
  std::string keyid;      // release::Ed25519KeyId of the observer's key (64 hex)
  std::string signature;  // 128 hex digits: Ed25519 over ChallengeText
  uint64_t observer = 0;  // the relay's number for an observer connection (>= 1)
  std::string name;       // a policy approver's name
  std::string text;       // note, error, refusal reason, ticket (at most 1 KiB, printable)
  Bytes data;             // output
};

// The frame bytes of `m` (output longer than kMaxOutputChunk must be split by the caller).
std::string EncodeMessage(const RelayMessage& m);
// Parses and checks a frame's payload for its type: exact field set, types, lengths, hex and
// name syntax. Errors: kInvalidInput naming the frame type and field.
Result<RelayMessage> ParseMessage(const Frame& frame);

// 16 bytes from the OpenSSL CSPRNG as 32 hex digits (session ids and nonces).
Result<std::string> NewRandomId();

// What an observer signs: a fixed context line, then the session's identity and the nonce,
// one "key value" line each. Domain-separated from DSSE's PAE ("DSSEv1 ...") so that the
// signature can never pass as a signed statement.
std::string ChallengeText(const SessionInfo& s, std::string_view nonce);
// The observer's answer: its key id and the signature of ChallengeText. Errors: kInternal.
Result<RelayMessage> SignChallenge(const SessionInfo& s, std::string_view nonce,
                                   const crypto::Ed25519PrivateKey& key);
// The approver whose key made `signature` over ChallengeText(s, nonce). Errors, each its own:
//   kPermissionDenied   "this key is not an approver in the policy",
//                       "alice's key is revoked in the policy"
//   kVerificationFailed "alice's signature does not verify for this session and nonce"
Result<const Person*> VerifyObserver(const std::vector<Person>& approvers, const SessionInfo& s,
                                     std::string_view nonce, std::string_view keyid,
                                     std::string_view signature);

// "host:port", "[::1]:port". kInvalidInput naming the text.
Result<std::pair<std::string, uint16_t>> SplitHostPort(std::string_view text);
// A blocking TCP connection to `hostport`, within `timeout_ms`. kUnavailable naming it.
Result<int> ConnectTcp(std::string_view hostport, int timeout_ms);

// The recorder's side: registers the session at a relay and keeps the connection on a
// thread of its own, so that the session never waits for the network. Output is queued (at
// most kRecorderQueueBytes; beyond that it is dropped and the observers are told how much).
// Joins are checked here against `approvers` (VerifyObserver, and a nonce is accepted once).
//
// Thread-safety: the SessionWatch calls and ObserverNames may come from any one thread;
// the background thread is joined by the destructor.
struct RelayWatchOptions {
  std::string relay;  // HOST:PORT
  SessionInfo session;
  std::vector<Person> approvers;  // the policy's
  int connect_timeout_ms = 10000;
};

class RelayWatch final : public SessionWatch {
 public:
  // Connects and registers. Errors: kUnavailable (cannot connect, no answer, or refused:
  // the relay's reason), kInvalidInput (bad address or session info).
  static Result<std::unique_ptr<RelayWatch>> Connect(const RelayWatchOptions& options);
  ~RelayWatch() override;

  // Blocks until an authenticated approver is watching, at most `seconds`; returns at once if
  // one is. `stop_fd` (or -1): readable = give up (a signal). Errors: kLimitExceeded "no
  // observer (approver) joined within N s", kUnavailable (the relay went away), kIo (stop_fd).
  Status WaitForObserver(double seconds, int stop_fd);

  // SessionWatch.
  int wake_fd() const override;
  std::vector<WatchEvent> TakeEvents() override;
  size_t observers() const override;
  void Output(ByteView data) override;
  void Note(std::string_view text) override;

  // The approvers (policy names) who joined at least once, first join first, at most
  // kMaxObservers (session.h): what the session statement's `observers` lists.
  std::vector<std::string> ObserverNames() const;
  uint64_t dropped_bytes() const;

  struct Impl;

 private:
  explicit RelayWatch(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The observer's side (`maint observe`): connect, authenticate, then copy the session's
// output to `out_fd` until the session ends, the relay goes, `stop_fd` becomes readable or
// the leave key (Ctrl-], 0x1d) arrives on `in_fd` (everything else typed is dropped).
struct ObserveOptions {
  std::string relay;   // HOST:PORT
  std::string ticket;  // "" = the relay's only session
  int in_fd = -1, out_fd = 1;
  int stop_fd = -1;
  // Status lines for the observer ("joined CHG-1 serial 7 on olt1 as alice").
  std::function<void(const std::string&)> status;
};
struct ObserveResult {
  std::string name;     // the approver it joined as
  SessionInfo session;  // what it watched
  bool left = false;    // the observer left (key or stop_fd), rather than the session ending
  std::string reason;   // how it ended
};
// Errors: kUnavailable (cannot connect; the relay went away or said nothing before the
// welcome), kPermissionDenied "refused: <the relay's or the recorder's reason>" (not an
// approver, revoked, a bad signature, no such session), kInvalidInput (a malformed frame).
Result<ObserveResult> Observe(const ObserveOptions& options, const crypto::Ed25519PrivateKey& key);

}  // namespace clearbox::maint
