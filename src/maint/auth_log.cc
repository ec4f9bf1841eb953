// sshd and login(1) lines from syslog files, journal exports and sshd -E files (auth_log.h).
#include "clearbox/maint/auth_log.h"

#include <charconv>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "clearbox/core/strict_json.h"

namespace clearbox::maint {
namespace {

using Limits = AuthLogLimits;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::optional<uint64_t> Number(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int YearOf(int64_t unix_seconds) {
  // civil_from_days, year only.
  int64_t z = unix_seconds / 86400 + 719468;
  if (unix_seconds < 0 && unix_seconds % 86400 != 0) --z;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return static_cast<int>(static_cast<int64_t>(yoe) + era * 400 + (m <= 2));
}

bool ValidClock(unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s) {
  return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 60;
}

unsigned Two(std::string_view s, size_t at) {
  return static_cast<unsigned>((s[at] - '0') * 10 + (s[at + 1] - '0'));
}

// "2026-12-07T05:05:55[.505028](Z|+00:00|+0000) " -> µs, and the rest after the space.
std::optional<int64_t> ParseIsoStamp(std::string_view line, size_t* consumed) {
  if (line.size() < 21) return std::nullopt;
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd";
  for (size_t i = 0; i < kShape.size(); ++i) {
    if (kShape[i] == 'd' ? !IsDigit(line[i]) : line[i] != kShape[i]) return std::nullopt;
  }
  int64_t year = (line[0] - '0') * 1000 + (line[1] - '0') * 100 + Two(line, 2);
  unsigned mo = Two(line, 5), d = Two(line, 8), h = Two(line, 11), mi = Two(line, 14),
           s = Two(line, 17);
  if (!ValidClock(mo, d, h, mi, s)) return std::nullopt;
  size_t i = 19;
  int64_t micros = 0;
  if (i < line.size() && line[i] == '.') {
    ++i;
    int digits = 0;
    while (i < line.size() && IsDigit(line[i])) {
      if (digits < 6) micros = micros * 10 + (line[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0 || digits > 12) return std::nullopt;
    for (int k = digits; k < 6; ++k) micros *= 10;
  }
  int64_t offset = 0;
  if (i < line.size() && line[i] == 'Z') {
    ++i;
  } else if (i < line.size() && (line[i] == '+' || line[i] == '-')) {
    int sign = line[i] == '-' ? -1 : 1;
    ++i;
    if (i + 2 > line.size() || !IsDigit(line[i]) || !IsDigit(line[i + 1])) return std::nullopt;
    unsigned oh = Two(line, i);
    i += 2;
    if (i < line.size() && line[i] == ':') ++i;
    if (i + 2 > line.size() || !IsDigit(line[i]) || !IsDigit(line[i + 1])) return std::nullopt;
    unsigned om = Two(line, i);
    i += 2;
    if (oh > 23 || om > 59) return std::nullopt;
    offset = sign * static_cast<int64_t>(oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  if (i >= line.size() || line[i] != ' ') return std::nullopt;
  *consumed = i + 1;
  int64_t secs = DaysFromCivil(year, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
  return secs * 1000000 + micros;
}

// "Dec  7 05:05:55 " (RFC 3164): no year, no zone.
std::optional<int64_t> ParseBsdStamp(std::string_view line, const AuthLogOptions& options,
                                     size_t* consumed) {
  if (line.size() < 16 || line[3] != ' ' || line[6] != ' ' || line[9] != ':' ||
      line[12] != ':' || line[15] != ' ') {
    return std::nullopt;
  }
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  size_t m = kMonths.find(line.substr(0, 3));
  if (m == std::string_view::npos || m % 3 != 0) return std::nullopt;
  unsigned mo = static_cast<unsigned>(m / 3 + 1);
  if (!IsDigit(line[5]) || !(line[4] == ' ' || IsDigit(line[4]))) return std::nullopt;
  unsigned d = static_cast<unsigned>((line[4] == ' ' ? 0 : line[4] - '0') * 10 + line[5] - '0');
  for (size_t k : {7, 8, 10, 11, 13, 14}) {
    if (!IsDigit(line[k])) return std::nullopt;
  }
  unsigned h = Two(line, 7), mi = Two(line, 10), s = Two(line, 13);
  if (!ValidClock(mo, d, h, mi, s)) return std::nullopt;
  *consumed = 16;
  int64_t now = options.now_us / 1000000;
  int year = YearOf(now);
  auto at = [&](int y) {
    return DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - options.syslog_utc_offset;
  };
  int64_t t = at(year);
  // A stamp more than two days ahead of now is from last year (a log spanning New Year).
  if (t > now + 2 * 86400) t = at(year - 1);
  return t * 1000000;
}

std::string Clip(std::string_view s) {
  std::string out(s.substr(0, Limits::kMaxTextBytes));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

struct Pending {
  RefusalReason reason = RefusalReason::kUnknown;
  std::string text;
  uint64_t line = 0;
};

class Parser {
 public:
  Parser(std::string_view name, const AuthLogOptions& options, AuthLog* out)
      : name_(name), options_(options), out_(out) {}

  void Note(uint64_t line, const std::string& message, bool entry = false) {
    if (out_->notes.size() >= Limits::kMaxNotes) {
      ++out_->skipped_notes;
      return;
    }
    out_->notes.push_back(std::string(name_) + (entry ? ": journal entry " : ":") +
                          std::to_string(line) + ": " + message);
  }

  // One message from program `prog` (empty for sshd -E lines).
  void Message(std::string_view prog, std::string_view msg, const AuthEvent& base) {
    if (prog.empty() || prog == "sshd" || prog == "sshd-session") {
      Sshd(msg, base);
    } else if (prog == "login") {
      Login(msg, base);
    }
  }

  void Text(std::string_view line, uint64_t number) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    AuthEvent base;
    base.file = std::string(name_);
    base.line = number;
    size_t consumed = 0;
    std::optional<int64_t> t = ParseIsoStamp(line, &consumed);
    if (!t) t = ParseBsdStamp(line, options_, &consumed);
    if (!t) {
      // sshd -E: the message alone.
      Message("", line, base);
      return;
    }
    base.has_time = true;
    base.time_us = *t;
    std::string_view rest = line.substr(consumed);
    size_t sp = rest.find(' ');
    if (sp == std::string_view::npos) return;
    base.host = Clip(rest.substr(0, std::min<size_t>(sp, 255)));
    rest.remove_prefix(sp + 1);
    // TAG: "prog[pid]:" or "prog:".
    size_t colon = rest.find(": ");
    if (colon == std::string_view::npos || colon > 128) return;
    std::string_view tag = rest.substr(0, colon);
    std::string_view msg = rest.substr(colon + 2);
    std::string_view prog = tag;
    if (size_t lb = tag.find('['); lb != std::string_view::npos && tag.back() == ']') {
      prog = tag.substr(0, lb);
      if (auto pid = Number(tag.substr(lb + 1, tag.size() - lb - 2))) base.pid = *pid;
    }
    Message(prog, msg, base);
  }

  void Emit(AuthEvent e) {
    if (out_->events.size() >= Limits::kMaxEvents) {
      if (!out_->truncated) {
        Note(e.line, "more than " + std::to_string(Limits::kMaxEvents) +
                         " login events: the rest of the input is not read");
      }
      out_->truncated = true;
      return;
    }
    out_->events.push_back(std::move(e));
  }

 private:
  // "for USER from ADDR port N ssh2[: KEY]": fills user/address/port, returns what follows.
  static std::optional<std::string_view> ForFromPort(std::string_view s, AuthEvent* e) {
    if (!StartsWith(s, "for ")) return std::nullopt;
    s.remove_prefix(4);
    if (StartsWith(s, "invalid user ")) s.remove_prefix(13);
    size_t search = 0;
    // The user name comes from the client on refused logins: try each " from ".
    for (int tries = 0; tries < 8; ++tries) {
      size_t from = s.find(" from ", search);
      if (from == std::string_view::npos) return std::nullopt;
      std::string_view rest = s.substr(from + 6);
      size_t sp = rest.find(' ');
      if (sp != std::string_view::npos && StartsWith(rest.substr(sp), " port ")) {
        std::string_view after = rest.substr(sp + 6);
        size_t digits = 0;
        while (digits < after.size() && digits < 6 && IsDigit(after[digits])) ++digits;
        auto port = Number(after.substr(0, digits));
        std::string_view tail = after.substr(digits);
        if (port && *port <= 65535 && StartsWith(tail, " ssh2")) {
          e->user = Clip(s.substr(0, std::min<size_t>(from, 255)));
          e->address = Clip(rest.substr(0, std::min<size_t>(sp, 64)));
          e->port = static_cast<uint32_t>(*port);
          tail.remove_prefix(5);
          return tail;
        }
      }
      search = from + 1;
    }
    return std::nullopt;
  }

  // "ED25519-CERT SHA256:x ID KEYID (serial N) CA ED25519 SHA256:y" or "ED25519 SHA256:x".
  static void Key(std::string_view k, AuthEvent* e) {
    size_t sp = k.find(' ');
    if (sp == std::string_view::npos) return;
    e->key_type = Clip(k.substr(0, std::min<size_t>(sp, 64)));
    std::string_view rest = k.substr(sp + 1);
    size_t sp2 = rest.find(' ');
    e->key_fingerprint = Clip(rest.substr(0, std::min<size_t>(sp2, 128)));
    if (sp2 == std::string_view::npos || !StartsWith(rest.substr(sp2), " ID ")) return;
    std::string_view cert = rest.substr(sp2 + 4);
    // From the right: the key id is the CA's to choose and may hold spaces and parentheses.
    size_t ca_fp = cert.rfind(' ');
    if (ca_fp == std::string_view::npos) return;
    size_t ca_type = cert.rfind(' ', ca_fp - 1);
    // "... (serial N) CA TYPE FP": ca_type is the blank before TYPE, ") CA" just before it.
    if (ca_type == std::string_view::npos || ca_type < 4 ||
        cert.substr(ca_type - 4, 4) != ") CA") {
      return;
    }
    size_t close = ca_type - 4;
    size_t serial = cert.rfind(" (serial ", close);
    if (serial == std::string_view::npos || serial + 9 > close) return;
    auto n = Number(cert.substr(serial + 9, close - serial - 9));
    if (!n) return;
    e->key_id = std::string(cert.substr(0, std::min<size_t>(serial, Limits::kMaxTextBytes)));
    e->serial = *n;
    e->ca_type = Clip(cert.substr(ca_type + 1, ca_fp - ca_type - 1).substr(0, 64));
    e->ca_fingerprint = Clip(cert.substr(ca_fp + 1).substr(0, 128));
  }

  void Sshd(std::string_view msg, const AuthEvent& base) {
    // The syslog path prefixes error() messages; sshd -E does not.
    for (std::string_view p : {"error: ", "fatal: ", "debug1: "}) {
      if (StartsWith(msg, p)) msg.remove_prefix(p.size());
    }
    if (StartsWith(msg, "Accepted ") || StartsWith(msg, "Failed publickey ")) {
      bool accepted = msg[0] == 'A';
      std::string_view rest = msg.substr(accepted ? 9 : 7);
      size_t sp = rest.find(' ');
      if (sp == std::string_view::npos) return;
      std::string_view method = rest.substr(0, sp);
      // "Accepted certificate ID ..." and "Accepted key ... found at" are not logins.
      if (method == "certificate" || method == "key") return;
      AuthEvent e = base;
      e.method = Clip(method.substr(0, 64));
      auto tail = ForFromPort(rest.substr(sp + 1), &e);
      if (!tail) return;
      if (StartsWith(*tail, ": ")) Key(tail->substr(2), &e);
      e.text = Clip(msg);
      bool cert = !e.ca_fingerprint.empty();
      if (!accepted) {
        if (!cert) return;  // a plain key not accepted is the client trying keys in turn
        e.kind = AuthEventKind::kCertificateRefused;
        auto it = pending_.find(e.pid);
        if (it != pending_.end()) {
          e.reason = it->second.reason;
          e.reason_text = it->second.text;
          e.reason_line = it->second.line;
          pending_.erase(it);
        }
      } else if (e.method == "publickey") {
        e.kind = cert ? AuthEventKind::kCertificateLogin : AuthEventKind::kKeyLogin;
      } else if (e.method == "password") {
        e.kind = AuthEventKind::kPasswordLogin;
      } else if (StartsWith(e.method, "keyboard-interactive")) {
        e.kind = AuthEventKind::kKeyboardInteractiveLogin;
      } else {
        e.kind = AuthEventKind::kOtherLogin;
      }
      Emit(std::move(e));
      return;
    }
    if (StartsWith(msg, "Disconnected from user ")) {
      // "Disconnected from user USER ADDR port N"
      std::string_view rest = msg.substr(23);
      size_t port = rest.rfind(" port ");
      if (port == std::string_view::npos) return;
      std::string_view head = rest.substr(0, port);
      size_t sp = head.rfind(' ');
      if (sp == std::string_view::npos) return;
      auto n = Number(rest.substr(port + 6));
      if (!n || *n > 65535) return;
      AuthEvent e = base;
      e.kind = AuthEventKind::kSessionClosed;
      e.user = Clip(head.substr(0, std::min<size_t>(sp, 255)));
      e.address = Clip(head.substr(sp + 1).substr(0, 64));
      e.port = static_cast<uint32_t>(*n);
      e.text = Clip(msg);
      Emit(std::move(e));
      return;
    }
    RefusalReason reason = RefusalReason::kUnknown;
    if (msg == "Certificate invalid: not yet valid") {
      reason = RefusalReason::kNotYetValid;
    } else if (msg == "Certificate invalid: expired") {
      reason = RefusalReason::kExpired;
    } else if (msg == "Certificate does not contain an authorized principal" ||
               msg == "Certificate invalid: name is not a listed principal") {
      reason = RefusalReason::kPrincipal;
    } else if (StartsWith(msg, "cert: Authentication tried for ") &&
               msg.find("not from a permitted source address") != std::string_view::npos) {
      reason = RefusalReason::kSourceAddress;
    } else if (StartsWith(msg, "Authentication key ") &&
               msg.find(" revoked by file ") != std::string_view::npos) {
      reason = RefusalReason::kRevoked;
    } else if (StartsWith(msg, "Certificate invalid: ") ||
               msg == "Refused by certificate options") {
      reason = RefusalReason::kOther;
    } else {
      return;
    }
    auto it = pending_.find(base.pid);
    // "Refused by certificate options" follows the line that says which option.
    if (reason == RefusalReason::kOther && it != pending_.end() &&
        it->second.reason != RefusalReason::kUnknown && it->second.line + 3 >= base.line) {
      return;
    }
    if (pending_.size() > 4096) pending_.clear();  // processes that never logged a Failed line
    pending_[base.pid] = Pending{reason, Clip(msg), base.line};
  }

  void Login(std::string_view msg, const AuthEvent& base) {
    AuthEvent e = base;
    e.kind = AuthEventKind::kConsoleLogin;
    e.method = "login";
    e.text = Clip(msg);
    constexpr std::string_view kPam = "pam_unix(login:session): session opened for user ";
    if (StartsWith(msg, kPam)) {
      std::string_view rest = msg.substr(kPam.size());
      size_t end = rest.find_first_of("( ");
      e.user = Clip(rest.substr(0, std::min<size_t>(end, 255)));
      last_console_[e.user] = e.time_us;
      Emit(std::move(e));
      return;
    }
    // util-linux: "ROOT LOGIN  on '/dev/tty1'", "ROOT LOGIN ON tty1 FROM host",
    // "LOGIN ON tty1 BY user"; busybox: "root login on 'tty1'".
    std::string user;
    std::string_view rest;
    if (StartsWith(msg, "ROOT LOGIN") || StartsWith(msg, "root login")) {
      user = "root";
      rest = msg.substr(10);
    } else if (StartsWith(msg, "LOGIN ON ")) {
      size_t by = msg.find(" BY ");
      if (by == std::string_view::npos) return;
      user = Clip(msg.substr(by + 4).substr(0, 255));
      rest = msg.substr(5, by - 5);
    } else {
      return;
    }
    size_t on = rest.find_first_not_of(' ');
    if (on != std::string_view::npos) rest.remove_prefix(on);
    if (StartsWith(rest, "on ") || StartsWith(rest, "ON ")) rest.remove_prefix(3);
    while (!rest.empty() && (rest.front() == '\'' || rest.front() == ' ')) rest.remove_prefix(1);
    size_t end = rest.find_first_of("' ");
    e.tty = Clip(rest.substr(0, std::min<size_t>(end, 255)));
    e.user = user;
    // The PAM line for the same login came just before: one login, one event.
    auto it = last_console_.find(user);
    if (it != last_console_.end() && base.has_time && e.time_us - it->second <= 60000000 &&
        e.time_us >= it->second) {
      for (auto r = out_->events.rbegin(); r != out_->events.rend(); ++r) {
        if (r->kind == AuthEventKind::kConsoleLogin && r->user == user && r->file == e.file) {
          if (r->tty.empty()) r->tty = e.tty;
          break;
        }
      }
      return;
    }
    Emit(std::move(e));
  }

  std::string_view name_;
  const AuthLogOptions& options_;
  AuthLog* out_;
  std::map<uint64_t, Pending> pending_;         // pid -> the reason sshd gave last
  std::map<std::string, int64_t> last_console_;  // user -> time of the last PAM console login
};

bool IsFieldName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_')) return false;
  }
  return true;
}

uint64_t LoadLE64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// The fields of one journal entry that matter here.
struct JournalEntry {
  std::string message, identifier, comm, hostname;
  uint64_t pid = 0;
  std::optional<int64_t> realtime, source_realtime;
  bool any = false;
};

void DispatchJournal(Parser& p, const JournalEntry& j, std::string_view name, uint64_t number) {
  if (!j.any) return;
  AuthEvent base;
  base.file = std::string(name);
  base.line = number;
  base.pid = j.pid;
  base.host = Clip(j.hostname.substr(0, 255));
  std::optional<int64_t> t = j.source_realtime ? j.source_realtime : j.realtime;
  if (t) {
    base.has_time = true;
    base.time_us = *t;
  }
  std::string_view prog = j.identifier.empty() ? std::string_view(j.comm) : j.identifier;
  if (prog.empty()) return;
  std::string_view msg = j.message;
  if (size_t nl = msg.find('\n'); nl != std::string_view::npos) msg = msg.substr(0, nl);
  p.Message(prog, msg, base);
}

void Field(JournalEntry& j, std::string_view key, std::string_view value) {
  j.any = true;
  auto micros = [](std::string_view v) -> std::optional<int64_t> {
    auto n = Number(v);
    if (!n || *n > uint64_t(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(*n);
  };
  if (key == "MESSAGE") {
    j.message = std::string(value.substr(0, Limits::kMaxLineBytes));
  } else if (key == "SYSLOG_IDENTIFIER") {
    j.identifier = std::string(value.substr(0, 64));
  } else if (key == "_COMM") {
    j.comm = std::string(value.substr(0, 64));
  } else if (key == "_HOSTNAME") {
    j.hostname = std::string(value.substr(0, 255));
  } else if (key == "SYSLOG_PID" || (key == "_PID" && j.pid == 0)) {
    if (auto n = Number(value)) j.pid = *n;
  } else if (key == "__REALTIME_TIMESTAMP") {
    j.realtime = micros(value);
  } else if (key == "_SOURCE_REALTIME_TIMESTAMP") {
    j.source_realtime = micros(value);
  }
}

// `journalctl -o export`: entries of "NAME=value\n" or "NAME\n<le64 size><bytes>\n" fields,
// separated by an empty line.
void ParseExport(Parser& p, ByteView data, std::string_view name, AuthLog* out) {
  size_t pos = 0;
  uint64_t entry = 1;
  JournalEntry j;
  size_t fields = 0;
  while (pos < data.size() && !out->truncated) {
    const uint8_t* base = data.data();
    const void* nl = std::memchr(base + pos, '\n', data.size() - pos);
    size_t end = nl ? static_cast<const uint8_t*>(nl) - base : data.size();
    std::string_view line(reinterpret_cast<const char*>(base + pos), end - pos);
    if (line.empty()) {  // end of an entry
      DispatchJournal(p, j, name, entry);
      ++out->lines;
      if (j.any) ++entry;
      j = JournalEntry();
      fields = 0;
      pos = end + 1;
      continue;
    }
    if (++fields > Limits::kMaxJournalFields) {
      p.Note(entry, "more than " + std::to_string(Limits::kMaxJournalFields) +
                        " fields in one entry (byte " + std::to_string(pos) +
                        "): the rest of the file is not read", true);
      return;
    }
    size_t eq = line.find('=');
    if (eq != std::string_view::npos) {
      std::string_view key = line.substr(0, eq);
      if (!IsFieldName(key)) {
        p.Note(entry, "byte " + std::to_string(pos) +
                          ": not a journal export field name: the rest of the file is not read",
               true);
        return;
      }
      if (line.size() > Limits::kMaxJournalField) {
        p.Note(entry, "field " + std::string(key) + " of " + std::to_string(line.size()) +
                          " bytes (at most " + std::to_string(Limits::kMaxJournalField) +
                          "): skipped", true);
      } else {
        Field(j, key, line.substr(eq + 1));
      }
      pos = nl ? end + 1 : data.size();
      continue;
    }
    // A binary field: NAME\n, little-endian 64-bit size, the bytes, \n.
    if (!IsFieldName(line) || !nl) {
      p.Note(entry, "byte " + std::to_string(pos) +
                        ": not a journal export field: the rest of the file is not read", true);
      return;
    }
    size_t size_at = end + 1;
    if (data.size() - size_at < 8) {
      p.Note(entry, "field " + std::string(line) + " at byte " + std::to_string(pos) +
                        ": truncated size", true);
      return;
    }
    uint64_t size = LoadLE64(base + size_at);
    size_t value_at = size_at + 8;
    if (size > Limits::kMaxJournalField || size >= data.size() - value_at ||
        base[value_at + size] != '\n') {
      p.Note(entry, "field " + std::string(line) + " at byte " + std::to_string(pos) +
                        ": size " + std::to_string(size) +
                        (size > Limits::kMaxJournalField ? " over the limit" : " past the end") +
                        ": the rest of the file is not read", true);
      return;
    }
    Field(j, line, std::string_view(reinterpret_cast<const char*>(base + value_at), size));
    pos = value_at + size + 1;
  }
  if (j.any) {
    DispatchJournal(p, j, name, entry);
    ++out->lines;
  }
}

// `journalctl -o json`: one object a line; binary values are arrays of byte numbers.
void ParseJsonLine(Parser& p, std::string_view line, std::string_view name, uint64_t number) {
  auto doc = ParseStrictJson(line, "line", 3);
  if (!doc.ok() || !doc->is_object()) {
    p.Note(number, "not a journal JSON object: " +
                       (doc.ok() ? std::string("not an object") : doc.error().message()));
    return;
  }
  JournalEntry j;
  for (const auto& [k, v] : doc->items()) {
    std::string value;
    if (v.is_string()) {
      value = v.get<std::string>();
    } else if (v.is_array()) {
      for (const auto& b : v) {
        if (!b.is_number_unsigned() || b.get<uint64_t>() > 255) break;
        value.push_back(static_cast<char>(b.get<uint64_t>()));
      }
    } else {
      continue;
    }
    Field(j, k, value);
  }
  DispatchJournal(p, j, name, number);
}

bool LooksLikeExport(std::string_view text) {
  size_t nl = text.find('\n');
  std::string_view first = text.substr(0, nl);
  size_t eq = first.find('=');
  return eq != std::string_view::npos && IsFieldName(first.substr(0, eq)) &&
         StartsWith(first, "__");
}

}  // namespace

std::string_view AuthEventKindName(AuthEventKind k) {
  switch (k) {
    case AuthEventKind::kCertificateLogin: return "certificate-login";
    case AuthEventKind::kKeyLogin: return "key-login";
    case AuthEventKind::kPasswordLogin: return "password-login";
    case AuthEventKind::kKeyboardInteractiveLogin: return "keyboard-interactive-login";
    case AuthEventKind::kOtherLogin: return "other-login";
    case AuthEventKind::kCertificateRefused: return "certificate-refused";
    case AuthEventKind::kConsoleLogin: return "console-login";
    case AuthEventKind::kSessionClosed: return "session-closed";
  }
  return "?";
}

std::string_view RefusalReasonName(RefusalReason r) {
  switch (r) {
    case RefusalReason::kUnknown: return "unknown";
    case RefusalReason::kNotYetValid: return "not-yet-valid";
    case RefusalReason::kExpired: return "expired";
    case RefusalReason::kPrincipal: return "principal";
    case RefusalReason::kSourceAddress: return "source-address";
    case RefusalReason::kRevoked: return "revoked";
    case RefusalReason::kOther: return "other";
  }
  return "?";
}

std::string AuthEventWhere(const AuthEvent& e) {
  return e.file + (e.line == 0 ? "" : ":" + std::to_string(e.line));
}

void ParseAuthLog(ByteView data, std::string_view name, const AuthLogOptions& options,
                  AuthLog* out) {
  Parser p(name, options, out);
  std::string_view text = AsChars(data);
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return;
  if (LooksLikeExport(text.substr(start))) {
    ParseExport(p, data, name, out);
    return;
  }
  bool json = text[start] == '{';
  uint64_t number = 0;
  size_t pos = 0;
  while (pos < text.size() && !out->truncated) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    ++number;
    ++out->lines;
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.size() > AuthLogLimits::kMaxLineBytes) {
      p.Note(number, "line of " + std::to_string(line.size()) + " bytes (at most " +
                         std::to_string(AuthLogLimits::kMaxLineBytes) + "): skipped");
      continue;
    }
    if (line.empty()) continue;
    if (json) {
      ParseJsonLine(p, line, name, number);
    } else {
      p.Text(line, number);
    }
  }
}

}  // namespace clearbox::maint
