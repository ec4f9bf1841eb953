// The devices' own account of who logged in: sshd and login(1) lines from a syslog auth.log
// (RFC 3164 "Dec  7 05:05:55 host sshd[123]: ..." and the RFC 3339 stamps rsyslog writes on
// Debian 12, "2026-12-07T05:05:55.505028+00:00 host sshd[123]: ..."), `journalctl -o export`
// (the binary-safe export format), `journalctl -o json` lines, and bare `sshd -E FILE` lines
// (no time, no host). `clearbox maint audit` reconciles these events with the log
// (reconcile.h).
//
//   AuthLog log;
//   AuthLogOptions options;
//   options.now_us = now * 1000000;  // RFC 3164 stamps have no year: inferred from this
//   ParseAuthLog(file_bytes, "olt1/auth.log", options, &log);
//   for (const AuthEvent& e : log.events) ...   // e.file, e.line: where it was read
//   for (const std::string& n : log.notes) ...  // "olt1/auth.log:12: line of 1048576 bytes ..."
//
// What is read (OpenSSH 9.2 as Debian 12 ships it, LogLevel VERBOSE):
//   Accepted publickey|password|keyboard-interactive[/pam]|... for USER from ADDR port N ssh2[: KEY]
//     KEY = "ED25519-CERT SHA256:... ID KEYID (serial N) CA ED25519 SHA256:..." for a certificate
//   Failed publickey ... ssh2: <certificate KEY>    a refused certificate; why is taken from the
//     line before it from the same sshd process: "Certificate invalid: expired" / "not yet
//     valid", "Certificate does not contain an authorized principal", "... not from a permitted
//     source address (ADDR)", "Authentication key ... revoked by file ..."
//   Disconnected from user USER ADDR port N        the end of a session
//   login[PID]: pam_unix(login:session): session opened for user U(uid=N) ..., ROOT LOGIN ON tty1
//                                                  a console login
// Everything else is skipped. Hostile input never fails the parse: a line over the length cap,
// a malformed journal entry, more events than the cap, each is a note naming the file and line
// (or journal entry) and the parse goes on where it can.
//
// Thread-safety: pure functions over plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"

namespace clearbox::maint {

struct AuthLogLimits {
  static constexpr size_t kMaxLineBytes = 16 * 1024;  // longer lines are a note, then skipped
  static constexpr size_t kMaxEvents = 1000000;       // across everything parsed into one AuthLog
  static constexpr size_t kMaxNotes = 200;            // then one "... more" note
  static constexpr size_t kMaxJournalField = 1 << 20;  // one binary field of an export entry
  static constexpr size_t kMaxJournalFields = 1024;    // fields in one export entry
  static constexpr size_t kMaxTextBytes = 1024;        // message text kept per event
};

enum class AuthEventKind {
  kCertificateLogin,   // accepted with an OpenSSH certificate
  kKeyLogin,           // accepted with a plain public key (authorized_keys)
  kPasswordLogin,      // accepted with a password
  kKeyboardInteractiveLogin,
  kOtherLogin,         // hostbased, gssapi-with-mic, none
  kCertificateRefused,  // a certificate sshd refused (Failed publickey ... ID ...)
  kConsoleLogin,       // login(1) on a terminal
  kSessionClosed,      // Disconnected from user ...
};
std::string_view AuthEventKindName(AuthEventKind k);  // "certificate-login", ...

// Why sshd refused a certificate, from the line before the Failed line.
enum class RefusalReason {
  kUnknown,       // no reason line (at LogLevel VERBOSE: a CA sshd does not trust)
  kNotYetValid,
  kExpired,
  kPrincipal,     // the account is not among the certificate's (authorised) principals
  kSourceAddress,
  kRevoked,
  kOther,         // another "Certificate invalid: ..." or "Refused by certificate options"
};
std::string_view RefusalReasonName(RefusalReason r);  // "unknown", "not-yet-valid", ...

struct AuthEvent {
  AuthEventKind kind = AuthEventKind::kOtherLogin;
  bool has_time = false;  // false for sshd -E lines
  int64_t time_us = 0;    // UTC, microseconds since the epoch
  std::string host;       // syslog HOSTNAME or _HOSTNAME; "" when the line has none
  uint64_t pid = 0;       // 0 when unknown
  std::string file;       // the name given to ParseAuthLog
  uint64_t line = 0;      // 1-based line, or journal entry number for the export format
  std::string user;
  std::string address;    // the client's address
  uint32_t port = 0;
  std::string method;     // "publickey", "password", "keyboard-interactive/pam", ...
  std::string key_type;   // "ED25519-CERT", "ED25519"
  std::string key_fingerprint;  // "SHA256:..." of the (certified) key
  std::string key_id;     // certificates: the key id (the ticket)
  uint64_t serial = 0;
  std::string ca_type, ca_fingerprint;  // certificates: the CA that signed it
  RefusalReason reason = RefusalReason::kUnknown;  // kCertificateRefused
  std::string reason_text;  // sshd's line saying why
  uint64_t reason_line = 0;
  std::string tty;          // console logins
  std::string text;         // the message, at most kMaxTextBytes
};

// Where "line" is: "name:LINE", or "name: journal entry N".
std::string AuthEventWhere(const AuthEvent& e);

struct AuthLogOptions {
  // RFC 3164 stamps have no year and no zone: the year is the one that puts the stamp at most
  // two days after `now_us`; the zone is this offset from UTC (seconds east).
  int64_t now_us = 0;
  int64_t syslog_utc_offset = 0;
};

struct AuthLog {
  std::vector<AuthEvent> events;
  std::vector<std::string> notes;
  uint64_t lines = 0;        // text lines or journal entries read
  uint64_t skipped_notes = 0;  // notes beyond kMaxNotes
  bool truncated = false;    // kMaxEvents reached: later events were dropped
};

// Appends the events of one file to `out` (format detected from its content). Never fails:
// problems are notes in `out`, each naming `name` and the line or entry.
void ParseAuthLog(ByteView data, std::string_view name, const AuthLogOptions& options,
                  AuthLog* out);

}  // namespace clearbox::maint
