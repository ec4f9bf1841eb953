// Reconciling the log, the devices' auth logs, the recordings and the KRL (reconcile.h).
#include "clearbox/maint/reconcile.h"

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <map>
#include <set>
#include <tuple>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "clearbox/maint/session.h"
#include "clearbox/release/dsse.h"
#include "clearbox/release/statement.h"

namespace clearbox::maint {
namespace {

constexpr int64_t kMicros = 1000000;

std::string Time(int64_t us) { return us == 0 ? std::string("?") : FormatUnixMicros(us); }
std::string TimeS(uint64_t s) { return FormatUtcTime(s); }

struct CertInfo {
  uint64_t index = 0;
  CertificateRecord record;
  std::string issuer;
  const Evaluation* evaluation = nullptr;  // nullptr: the request is not in the log or invalid
  std::string request_problem;             // why the request does not count
  bool used = false;
};

struct SessionInfo {
  uint64_t index = 0;
  SessionRecord record;
  std::string recorder;  // "" when signed by no recorder in the policy
  bool paired = false;
  bool has_recording = false;
};

struct Login {
  const AuthEvent* event = nullptr;
  CertInfo* cert = nullptr;
  bool paired = false;
};

MaintEvidence EntryEvidence(uint64_t index, std::string text) {
  return {"log entry " + std::to_string(index), std::move(text)};
}
MaintEvidence EventEvidence(const AuthEvent& e) {
  std::string text = e.text;
  if (e.has_time) text = FormatUnixMicros(e.time_us) + (e.host.empty() ? "" : " " + e.host) + " " + text;
  return {AuthEventWhere(e), text};
}
std::string CertGist(const CertificateRecord& r) {
  return "certificate record: key id " + r.key_id + ", serial " + std::to_string(r.serial) +
         ", valid " + TimeS(r.valid_after) + " to " + TimeS(r.valid_before) + ", CA " +
         r.ca_fingerprint;
}
std::string SessionGist(const SessionRecord& s) {
  return "session statement: ticket " + s.summary.ticket + ", serial " +
         std::to_string(s.summary.serial) + ", device " + s.summary.device + ", " +
         Time(s.summary.start_unix_us) + " to " + Time(s.summary.end_unix_us) + ", recording sha256:" +
         HexEncode(s.summary.cast_sha256);
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

class Reconciler {
 public:
  explicit Reconciler(const ReconcileInput& in) : in_(in) {
    skew_us_ = static_cast<int64_t>(in.policy.max_clock_skew_seconds) * kMicros;
    if (auto ca = ParseSshPublicKey(in.policy.ca_key); ca.ok()) {
      ca_blob_ = ca->blob;
      ca_fp_ = SshFingerprint(ca->blob);
    }
  }

  MaintAuditReport Run() {
    ReadLog();
    Certificates();
    Logins();
    Sessions();
    Pair();
    Recordings();
    Unused();
    std::stable_sort(report_.findings.begin(), report_.findings.end(),
                     [](const MaintFinding& a, const MaintFinding& b) {
                       return std::tie(a.rule_id, a.time_us) < std::tie(b.rule_id, b.time_us);
                     });
    return std::move(report_);
  }

 private:
  MaintFinding& Add(std::string rule, MaintSeverity sev, std::string message) {
    MaintFinding& f = report_.findings.emplace_back();
    f.rule_id = std::move(rule);
    f.severity = sev;
    f.message = std::move(message);
    return f;
  }

  void ReadLog() {
    report_.log_entries = in_.entries.size();
    log_ = ReadMaintLog(in_.entries);
    report_.requests = log_.requests.size();
    for (const LoggedStatement& r : log_.requests) {
      auto e = Evaluate(in_.policy, r.sha256, log_, in_.now);
      if (e.ok()) {
        if (e->state == Evaluation::State::kApproved) ++report_.approved;
        evaluations_.emplace(r.sha256, std::move(*e));
      } else {
        request_errors_.emplace(r.sha256, e.error().message());
      }
    }
  }

  void Certificates() {
    std::vector<release::TrustedKey> issuer_keys = KeysOf(in_.policy.issuers);
    for (const LoggedStatement& p : log_.certificates) {
      auto record = CertificateRecordOf(p.statement);
      if (!record.ok()) continue;
      auto verified = release::VerifyEnvelope(p.envelope, issuer_keys);
      const Person* issuer = verified.ok() && !verified->signed_by.empty()
                                 ? FindPerson(in_.policy.issuers, verified->signed_by[0])
                                 : nullptr;
      if (issuer == nullptr || issuer->revoked) {
        report_.notes.push_back("log entry " + std::to_string(p.index) +
                                ": a certificate record (serial " +
                                std::to_string(record->serial) +
                                ") signed by no unrevoked issuer in the policy: not counted");
        continue;
      }
      CertInfo c;
      c.index = p.index;
      c.record = std::move(*record);
      c.issuer = issuer->name;
      if (auto it = evaluations_.find(c.record.request_sha256); it != evaluations_.end()) {
        c.evaluation = &it->second;
        if (it->second.state == Evaluation::State::kPending) {
          c.request_problem = "its request is not approved (no threshold reached)";
        } else if (it->second.state == Evaluation::State::kDenied) {
          c.request_problem = "its request was denied by \"" + it->second.decided_by + "\"";
        }
      } else if (auto er = request_errors_.find(c.record.request_sha256);
                 er != request_errors_.end()) {
        c.request_problem = "its request does not count: " + er->second;
      } else {
        c.request_problem = "its request sha256:" + c.record.request_sha256.substr(0, 16) +
                            "... is not in the log";
      }
      cert_index_[{c.record.key_id, c.record.serial}].push_back(certs_.size());
      certs_.push_back(std::move(c));
    }
    report_.certificates = certs_.size();
  }

  CertInfo* FindCert(std::string_view key_id, uint64_t serial, std::string_view ca_fp) {
    auto it = cert_index_.find({std::string(key_id), serial});
    if (it == cert_index_.end()) return nullptr;
    for (size_t i : it->second) {
      if (ca_fp.empty() || certs_[i].record.ca_fingerprint == ca_fp) return &certs_[i];
    }
    return nullptr;
  }

  bool Revoked(std::string_view key_id, uint64_t serial) const {
    if (in_.krl == nullptr) return false;
    for (const KrlCertificateSection& s : in_.krl->certificates) {
      if (!s.ca_key.empty() && s.ca_key != ca_blob_) continue;
      if (std::find(s.serials.begin(), s.serials.end(), serial) != s.serials.end()) return true;
      for (const KrlSerialRange& r : s.ranges) {
        if (serial >= r.lo && serial <= r.hi) return true;
      }
      if (std::find(s.key_ids.begin(), s.key_ids.end(), key_id) != s.key_ids.end()) return true;
    }
    return false;
  }

  void Facts(MaintFinding& f, const AuthEvent& e) {
    f.user = e.user;
    f.time_us = e.has_time ? e.time_us : 0;
    if (!e.address.empty()) f.facts["address"] = e.address + " port " + std::to_string(e.port);
    if (!e.host.empty()) f.facts["host"] = e.host;
    if (!e.method.empty()) f.facts["method"] = e.method;
    if (!e.key_fingerprint.empty()) f.facts["key"] = e.key_type + " " + e.key_fingerprint;
    if (!e.ca_fingerprint.empty()) f.facts["ca"] = e.ca_type + " " + e.ca_fingerprint;
    f.evidence.push_back(EventEvidence(e));
  }

  // Time checks shared by logins and session starts: in the window, not revoked, not ahead.
  void Judge(const CertInfo& c, int64_t t_us, const std::string& what, const std::string& user,
             const MaintEvidence& where) {
    const CertificateRecord& r = c.record;
    int64_t after = static_cast<int64_t>(r.valid_after) * kMicros;
    int64_t before = static_cast<int64_t>(r.valid_before) * kMicros;
    if (t_us < after - skew_us_ || t_us >= before + skew_us_) {
      MaintFinding& f = Add("CB-MAINT-003", MaintSeverity::kHigh,
                            what + " at " + Time(t_us) + " is outside the certificate's window " +
                                TimeS(r.valid_after) + " to " + TimeS(r.valid_before) +
                                " (ticket " + r.key_id + ", serial " + std::to_string(r.serial) +
                                ")");
      Fill(f, c, t_us, user, where);
    }
    // The KRL's date has whole seconds: a session in the same second as the KRL may have
    // started before it was made, so only a later second counts as "after".
    if (in_.krl != nullptr && Revoked(r.key_id, r.serial) &&
        t_us >= static_cast<int64_t>(in_.krl->generated_date + 1) * kMicros) {
      MaintFinding& f = Add("CB-MAINT-004", MaintSeverity::kCritical,
                            what + " at " + Time(t_us) + " used certificate serial " +
                                std::to_string(r.serial) + " (ticket " + r.key_id +
                                "), which " + in_.krl_name + " revokes since " +
                                TimeS(in_.krl->generated_date));
      Fill(f, c, t_us, user, where);
      f.evidence.push_back({in_.krl_name, "KRL version " + std::to_string(in_.krl->version) +
                                              ", generated " + TimeS(in_.krl->generated_date)});
    }
    if (t_us + 0 > static_cast<int64_t>(in_.now) * kMicros + skew_us_) {
      MaintFinding& f = Add("CB-MAINT-010", MaintSeverity::kMedium,
                            what + " is dated " + Time(t_us) + ", after the audit's time " +
                                TimeS(in_.now) + " by more than max-clock-skew: a clock is ahead");
      Fill(f, c, t_us, user, where);
    } else if (t_us < static_cast<int64_t>(r.issued_at) * kMicros - skew_us_) {
      MaintFinding& f =
          Add("CB-MAINT-010", MaintSeverity::kMedium,
              what + " at " + Time(t_us) + " is before the certificate was issued (" +
                  TimeS(r.issued_at) + ", log entry " + std::to_string(c.index) +
                  ") by more than max-clock-skew: the device's or the issuer's clock is off");
      Fill(f, c, t_us, user, where);
    }
  }

  void Fill(MaintFinding& f, const CertInfo& c, int64_t t_us, const std::string& user,
            const MaintEvidence& where) {
    f.ticket = c.record.key_id;
    f.serial = c.record.serial;
    f.user = user;
    f.time_us = t_us;
    f.evidence.push_back(where);
    f.evidence.push_back(EntryEvidence(c.index, CertGist(c.record)));
  }

  bool IsPrincipal(const std::string& user) const {
    const auto& p = in_.policy.principals;
    return std::find(p.begin(), p.end(), user) != p.end();
  }

  void Logins() {
    for (const AuthEvent& e : in_.events) {
      switch (e.kind) {
        case AuthEventKind::kCertificateLogin: CertLogin(e); break;
        case AuthEventKind::kCertificateRefused: Refused(e); break;
        case AuthEventKind::kKeyLogin:
        case AuthEventKind::kPasswordLogin:
        case AuthEventKind::kKeyboardInteractiveLogin:
        case AuthEventKind::kOtherLogin: {
          ++report_.logins;
          bool maint = IsPrincipal(e.user);
          std::string how = e.kind == AuthEventKind::kKeyLogin ? "a plain public key (" +
                                                                     e.key_type + " " +
                                                                     e.key_fingerprint + ")"
                            : e.kind == AuthEventKind::kPasswordLogin ? "a password"
                                                                      : e.method;
          MaintFinding& f = Add(
              "CB-MAINT-006", maint ? MaintSeverity::kHigh : MaintSeverity::kMedium,
              "login as " + e.user + " from " + e.address + " with " + how +
                  ", not a maintenance certificate" +
                  (maint ? " (" + e.user + " is a maintenance account of the policy)" : ""));
          Facts(f, e);
          break;
        }
        case AuthEventKind::kConsoleLogin: {
          ++report_.logins;
          MaintFinding& f =
              Add("CB-MAINT-007", e.user == "root" ? MaintSeverity::kHigh : MaintSeverity::kMedium,
                  "console login as " + e.user + (e.tty.empty() ? "" : " on " + e.tty) +
                      ": no certificate, no approval, no recording");
          Facts(f, e);
          if (!e.tty.empty()) f.facts["tty"] = e.tty;
          break;
        }
        case AuthEventKind::kSessionClosed: break;
      }
    }
  }

  void CertLogin(const AuthEvent& e) {
    ++report_.logins;
    if (e.ca_fingerprint != ca_fp_) {
      MaintFinding& f = Add("CB-MAINT-001", MaintSeverity::kHigh,
                            "login as " + e.user + " with certificate " + e.key_id + " (serial " +
                                std::to_string(e.serial) + ") signed by CA " + e.ca_fingerprint +
                                ", not the policy's CA " + ca_fp_ +
                                ": the device trusts another CA");
      f.ticket = e.key_id;
      f.serial = e.serial;
      Facts(f, e);
      return;
    }
    CertInfo* c = FindCert(e.key_id, e.serial, e.ca_fingerprint);
    if (c == nullptr) {
      MaintFinding& f = Add("CB-MAINT-001", MaintSeverity::kHigh,
                            "login as " + e.user + " with certificate " + e.key_id + " (serial " +
                                std::to_string(e.serial) +
                                ") that no certificate record in the log names: no approved "
                                "request backs it");
      f.ticket = e.key_id;
      f.serial = e.serial;
      Facts(f, e);
      return;
    }
    c->used = true;
    if (!c->request_problem.empty()) {
      MaintFinding& f = Add("CB-MAINT-001", MaintSeverity::kHigh,
                            "login as " + e.user + " with certificate " + e.key_id + " (serial " +
                                std::to_string(e.serial) + "): " + c->request_problem);
      Fill(f, *c, e.time_us, e.user, EventEvidence(e));
    }
    const auto& pr = c->record.principals;
    if (std::find(pr.begin(), pr.end(), e.user) == pr.end()) {
      MaintFinding& f = Add("CB-MAINT-001", MaintSeverity::kHigh,
                            "login as " + e.user + " with certificate " + e.key_id +
                                ", whose record approves only " + Join(pr));
      Fill(f, *c, e.time_us, e.user, EventEvidence(e));
    }
    if (e.has_time) {
      Judge(*c, e.time_us, "login as " + e.user + " (" + AuthEventWhere(e) + ")", e.user,
            EventEvidence(e));
    } else {
      report_.notes.push_back(AuthEventWhere(e) + ": login with " + e.key_id +
                              " has no time (sshd -E line): window and revocation not judged");
    }
    logins_.push_back({&e, c, false});
  }

  void Refused(const AuthEvent& e) {
    ++report_.refusals;
    CertInfo* c = e.ca_fingerprint == ca_fp_ ? FindCert(e.key_id, e.serial, e.ca_fingerprint)
                                             : nullptr;
    std::string why;
    MaintSeverity sev = MaintSeverity::kLow;
    switch (e.reason) {
      case RefusalReason::kNotYetValid:
        why = "not yet valid" +
              (c ? ": its window starts at " + TimeS(c->record.valid_after) : std::string());
        break;
      case RefusalReason::kExpired:
        why = "expired" +
              (c ? ": its window ended at " + TimeS(c->record.valid_before) : std::string());
        break;
      case RefusalReason::kPrincipal:
        why = "account " + e.user + " is not among its authorised principals" +
              (c ? " (it names " + Join(c->record.principals) + ")" : std::string());
        break;
      case RefusalReason::kSourceAddress:
        why = "the connection came from " + e.address +
              ", not from the jump host (the policy's source-address " +
              in_.policy.source_address + ")";
        break;
      case RefusalReason::kRevoked:
        why = "it is revoked (sshd's RevokedKeys lists it)";
        sev = MaintSeverity::kMedium;
        break;
      case RefusalReason::kOther:
        why = "sshd said: " + e.reason_text;
        break;
      case RefusalReason::kUnknown:
        if (e.ca_fingerprint != ca_fp_) {
          why = "it is signed by CA " + e.ca_fingerprint + ", not the policy's CA " + ca_fp_ +
                " (sshd trusts only TrustedUserCAKeys)";
          sev = MaintSeverity::kMedium;
        } else {
          why = "sshd gave no reason (LogLevel VERBOSE logs one)";
        }
        break;
    }
    if (c == nullptr && e.ca_fingerprint == ca_fp_) {
      why += "; no certificate record in the log names key id " + e.key_id + " serial " +
             std::to_string(e.serial);
    }
    MaintFinding& f = Add("CB-MAINT-009", sev,
                          "sshd refused certificate " + e.key_id + " (serial " +
                              std::to_string(e.serial) + ") for " + e.user + " from " +
                              e.address + ": " + why);
    f.ticket = e.key_id;
    f.serial = e.serial;
    Facts(f, e);
    f.facts["reason"] = std::string(RefusalReasonName(e.reason));
    if (!e.reason_text.empty()) {
      f.evidence.insert(f.evidence.begin(),
                        {e.file + ":" + std::to_string(e.reason_line), e.reason_text});
    }
    if (c != nullptr) f.evidence.push_back(EntryEvidence(c->index, CertGist(c->record)));
  }

  void Sessions() {
    std::vector<release::TrustedKey> recorder_keys = KeysOf(in_.policy.recorders);
    for (const LoggedStatement& p : log_.sessions) {
      auto record = SessionRecordOf(p.statement);
      if (!record.ok()) {
        report_.notes.push_back("log entry " + std::to_string(p.index) +
                                ": not a valid session statement: " + record.error().message());
        continue;
      }
      SessionInfo s;
      s.index = p.index;
      s.record = std::move(*record);
      const Person* recorder = nullptr;
      if (!recorder_keys.empty()) {
        auto verified = release::VerifyEnvelope(p.envelope, recorder_keys);
        if (verified.ok() && !verified->signed_by.empty()) {
          recorder = FindPerson(in_.policy.recorders, verified->signed_by[0]);
        }
      }
      const SessionSummary& sum = s.record.summary;
      if (recorder == nullptr || recorder->revoked) {
        MaintFinding& f = Add(
            "CB-MAINT-008", MaintSeverity::kHigh,
            "session statement for " + sum.ticket + " (serial " + std::to_string(sum.serial) +
                ") on " + sum.device + " is signed by " +
                (recorder ? recorder->name + ", whose recorder key is revoked"
                          : std::string(in_.policy.recorders.empty()
                                            ? "a key, but the policy lists no recorders"
                                            : "no recorder in the policy")) +
                ": it does not count");
        f.ticket = sum.ticket;
        f.serial = sum.serial;
        f.time_us = sum.start_unix_us;
        f.evidence.push_back(EntryEvidence(p.index, SessionGist(s.record)));
        continue;
      }
      s.recorder = recorder->name;
      ++report_.sessions;
      CertInfo* c = FindCert(sum.ticket, sum.serial, ca_fp_);
      MaintEvidence where = EntryEvidence(p.index, SessionGist(s.record));
      if (c == nullptr) {
        MaintFinding& f = Add("CB-MAINT-001", MaintSeverity::kHigh,
                              "session on " + sum.device + " for " + sum.ticket + " (serial " +
                                  std::to_string(sum.serial) +
                                  ") with no certificate record in the log: no approved request "
                                  "backs it");
        f.ticket = sum.ticket;
        f.serial = sum.serial;
        f.time_us = sum.start_unix_us;
        f.evidence.push_back(where);
      } else {
        c->used = true;
        if (!c->request_problem.empty()) {
          MaintFinding& f = Add("CB-MAINT-001", MaintSeverity::kHigh,
                                "session on " + sum.device + " for " + sum.ticket + ": " +
                                    c->request_problem);
          Fill(f, *c, sum.start_unix_us, "", where);
        }
        Judge(*c, sum.start_unix_us, "session on " + sum.device + " started", "", where);
        int64_t before = static_cast<int64_t>(c->record.valid_before) * kMicros;
        if (sum.end_unix_us >= before + skew_us_ && sum.start_unix_us < before + skew_us_) {
          MaintFinding& f = Add("CB-MAINT-003", MaintSeverity::kMedium,
                                "session on " + sum.device + " for " + sum.ticket +
                                    " ran until " + Time(sum.end_unix_us) +
                                    ", past the end of its window " + TimeS(c->record.valid_before) +
                                    " (sshd checks the window at login only)");
          Fill(f, *c, sum.end_unix_us, "", where);
        }
      }
      sessions_.push_back(std::move(s));
    }
  }

  // Each certificate login with the session statement of the same ticket and serial nearest in
  // time; what is left over has no statement.
  void Pair() {
    // (ticket, serial) -> sessions; (file, user, address, port) -> the last close's line.
    std::map<std::pair<std::string, uint64_t>, std::vector<SessionInfo*>> by_cert;
    for (SessionInfo& s : sessions_) {
      by_cert[{s.record.summary.ticket, s.record.summary.serial}].push_back(&s);
    }
    std::map<std::tuple<std::string, std::string, std::string, uint32_t>, uint64_t> closed_at;
    for (const AuthEvent& c : in_.events) {
      if (c.kind != AuthEventKind::kSessionClosed) continue;
      uint64_t& line = closed_at[{c.file, c.user, c.address, c.port}];
      line = std::max(line, c.line);
    }
    for (Login& login : logins_) {
      Login* l = &login;
      const AuthEvent& e = *l->event;
      SessionInfo* best = nullptr;
      int64_t best_diff = 0;
      auto group = by_cert.find({e.key_id, e.serial});
      static const std::vector<SessionInfo*> kNone;
      for (SessionInfo* sp : group == by_cert.end() ? kNone : group->second) {
        SessionInfo& s = *sp;
        if (s.paired) continue;
        int64_t diff = e.has_time ? std::llabs(s.record.summary.start_unix_us - e.time_us) : 0;
        if (best == nullptr || diff < best_diff) {
          best = &s;
          best_diff = diff;
        }
      }
      int64_t window = static_cast<int64_t>(l->cert->record.valid_before -
                                            l->cert->record.valid_after) * kMicros;
      if (best != nullptr && best_diff <= window + skew_us_) {
        best->paired = true;
        l->paired = true;
        if (best_diff > skew_us_) {
          MaintFinding& f = Add(
              "CB-MAINT-010", MaintSeverity::kMedium,
              "clock skew: sshd logged the login at " + Time(e.time_us) + " but the recorder on " +
                  best->record.summary.device + " started the session at " +
                  Time(best->record.summary.start_unix_us) + ", " +
                  std::to_string(best_diff / kMicros) + " s apart (max-clock-skew " +
                  std::to_string(in_.policy.max_clock_skew_seconds) + " s)");
          f.ticket = e.key_id;
          f.serial = e.serial;
          f.user = e.user;
          f.time_us = e.time_us;
          f.evidence.push_back(EventEvidence(e));
          f.evidence.push_back(EntryEvidence(best->index, SessionGist(best->record)));
          f.facts["skew-seconds"] = std::to_string(best_diff / kMicros);
        }
        continue;
      }
      // No statement: fine while the session is still open and its window has not ended.
      auto close = closed_at.find({e.file, e.user, e.address, e.port});
      bool closed = close != closed_at.end() && close->second > e.line;
      if (!closed && in_.now < l->cert->record.valid_before) {
        report_.notes.push_back(AuthEventWhere(e) + ": session of " + e.user + " with " +
                                e.key_id + " is still open: no session statement expected yet");
        continue;
      }
      MaintFinding& f = Add("CB-MAINT-008", MaintSeverity::kHigh,
                            "login as " + e.user + " with " + e.key_id + " (serial " +
                                std::to_string(e.serial) +
                                ") has no session statement in the log: the session was not "
                                "recorded, or its recording was not sealed");
      Fill(f, *l->cert, e.time_us, e.user, EventEvidence(e));
    }
  }

  void Recordings() {
    report_.recordings = in_.recordings.size();
    for (const RecordingCheck& r : in_.recordings) {
      std::string digest = HexEncode(r.sha256);
      SessionInfo* exact = nullptr;
      SessionInfo* same = nullptr;
      for (SessionInfo& s : sessions_) {
        const SessionSummary& sum = s.record.summary;
        if (HexEncode(sum.cast_sha256) == digest) exact = &s;
        if (sum.ticket == r.ticket && sum.serial == r.serial && sum.start_unix_us == r.start_us &&
            sum.device == r.device) {
          same = &s;
        }
      }
      auto add = [&](MaintSeverity sev, std::string message) -> MaintFinding& {
        MaintFinding& f = Add("CB-MAINT-005", sev, std::move(message));
        f.ticket = r.ticket;
        f.serial = r.serial;
        f.time_us = r.start_us;
        f.evidence.push_back({r.path, "recording sha256:" + digest +
                                          (r.error.empty() ? "" : ": " + r.error)});
        return f;
      };
      if (exact != nullptr) {
        exact->has_recording = true;
        if (!r.verified) add(MaintSeverity::kHigh, r.path + ": the chain is broken: " + r.error);
        continue;
      }
      if (same != nullptr) {
        same->has_recording = true;
        MaintFinding& f = add(
            MaintSeverity::kHigh,
            r.path + ": its SHA-256 " + digest.substr(0, 16) + "... differs from the one the " +
                "session statement at log entry " + std::to_string(same->index) + " signed (" +
                HexEncode(same->record.summary.cast_sha256).substr(0, 16) + "...)" +
                (r.verified ? (r.complete ? ": the recording was changed and re-chained"
                                          : ": the recording was cut off")
                            : ": " + r.error));
        f.evidence.push_back(EntryEvidence(same->index, SessionGist(same->record)));
        continue;
      }
      if (!r.verified) {
        add(MaintSeverity::kHigh, r.path + ": the chain is broken: " + r.error);
      } else if (!r.complete) {
        add(MaintSeverity::kMedium, r.path + ": cut off (no closing marker): " +
                                        std::to_string(r.head.chunks) + " chunks verified");
      }
      MaintFinding& f = Add("CB-MAINT-008", MaintSeverity::kHigh,
                            r.path + ": a recording of " + (r.ticket.empty() ? "?" : r.ticket) +
                                " (serial " + std::to_string(r.serial) + ") on " +
                                (r.device.empty() ? "?" : r.device) +
                                " that no session statement in the log seals");
      f.ticket = r.ticket;
      f.serial = r.serial;
      f.time_us = r.start_us;
      f.evidence.push_back({r.path, "recording sha256:" + digest});
    }
    if (!in_.recordings_given) return;
    for (const SessionInfo& s : sessions_) {
      if (s.has_recording) continue;
      const SessionSummary& sum = s.record.summary;
      MaintFinding& f = Add("CB-MAINT-005", MaintSeverity::kMedium,
                            "the recording of the session at log entry " + std::to_string(s.index) +
                                " (" + sum.ticket + ", serial " + std::to_string(sum.serial) +
                                ", " + sum.device + ") is not among the recordings given");
      f.ticket = sum.ticket;
      f.serial = sum.serial;
      f.time_us = sum.start_unix_us;
      f.evidence.push_back(EntryEvidence(s.index, SessionGist(s.record)));
    }
  }

  // Approved requests whose window ended without a login or a session.
  void Unused() {
    for (const LoggedStatement& p : log_.requests) {
      auto it = evaluations_.find(p.sha256);
      if (it == evaluations_.end() || it->second.state != Evaluation::State::kApproved) continue;
      const Evaluation& e = it->second;
      if (e.request.window_end > in_.now) continue;
      bool used = false;
      std::vector<std::string> serials;
      for (const CertInfo& c : certs_) {
        if (c.record.request_sha256 != p.sha256) continue;
        used = used || c.used;
        serials.push_back(std::to_string(c.record.serial));
      }
      if (used) continue;
      MaintFinding& f = Add(
          "CB-MAINT-002", MaintSeverity::kLow,
          "request " + e.request.ticket + " was approved (\"" + e.decided_by + "\") for " +
              TimeS(e.request.window_start) + " to " + TimeS(e.request.window_end) +
              (serials.empty() ? ", never issued," : ", certificate serial " + Join(serials) + ",") +
              " and no login or session used it");
      f.ticket = e.request.ticket;
      f.time_us = static_cast<int64_t>(e.request.window_end) * kMicros;
      f.evidence.push_back(EntryEvidence(e.request_index,
                                         "request " + e.request.ticket + " for " +
                                             Join(e.request.principals) + " on " +
                                             Join(e.request.devices)));
      f.evidence.push_back(
          EntryEvidence(e.decided_at_index, "the review that approved it (\"" + e.decided_by + "\")"));
    }
  }

  const ReconcileInput& in_;
  MaintAuditReport report_;
  int64_t skew_us_ = 0;
  Bytes ca_blob_;
  std::string ca_fp_;
  MaintLog log_;
  std::map<std::string, Evaluation> evaluations_;
  std::map<std::string, std::string> request_errors_;
  std::vector<CertInfo> certs_;
  std::map<std::pair<std::string, uint64_t>, std::vector<size_t>> cert_index_;
  std::vector<SessionInfo> sessions_;
  std::vector<Login> logins_;
};

}  // namespace

std::string_view MaintSeverityName(MaintSeverity s) {
  switch (s) {
    case MaintSeverity::kInfo: return "info";
    case MaintSeverity::kLow: return "low";
    case MaintSeverity::kMedium: return "medium";
    case MaintSeverity::kHigh: return "high";
    case MaintSeverity::kCritical: return "critical";
  }
  return "?";
}

const std::vector<MaintRuleInfo>& MaintRules() {
  static const std::vector<MaintRuleInfo> rules = {
      {"CB-MAINT-001", "session with no approved request", MaintSeverity::kHigh,
       "A device accepted a maintenance login, or a recorder sealed a session, that no approved "
       "request in the log backs: no certificate record names the certificate, its request was "
       "not approved, the account is not one the record approves, or the certificate comes "
       "from a CA other than the policy's.",
       "Find who signed the certificate (its CA fingerprint is in the evidence); remove any CA "
       "other than the policy's from TrustedUserCAKeys; revoke the certificate (maint revoke)."},
      {"CB-MAINT-002", "approval never used", MaintSeverity::kLow,
       "An approved request's window ended with no login and no session: an approval that was "
       "not needed, or a visit whose login the given auth logs do not show.",
       "Check the auth logs of the request's devices are among the inputs; otherwise close the "
       "ticket and revoke its certificate if one was issued."},
      {"CB-MAINT-003", "use outside the window", MaintSeverity::kHigh,
       "A login or a session start lies outside the certificate's window (beyond max-clock-skew), "
       "or a session ran on past the window's end (sshd checks the window only at login).",
       "Check the device's clock (a login sshd accepted outside the window means the device's "
       "clock was wrong); end sessions at the end of their window."},
      {"CB-MAINT-004", "certificate used after revocation", MaintSeverity::kCritical,
       "A login or session used a certificate that the KRL revokes, after the KRL was made: "
       "the device did not have the current KRL.",
       "Deploy the KRL to every device (RevokedKeys) and check its version there; review what "
       "the session did (its recording)."},
      {"CB-MAINT-005", "recording does not match the log", MaintSeverity::kHigh,
       "A recording's hash chain is broken, it was cut off, its digest differs from what its "
       "session statement signed, or the recording of a sealed session is missing.",
       "Treat the recording as evidence of tampering or loss; keep the file and the device's "
       "logs; restore the recording from a copy whose digest matches the statement."},
      {"CB-MAINT-006", "login without a certificate", MaintSeverity::kHigh,
       "sshd accepted a password, a plain public key or keyboard-interactive: a way in that "
       "needs no approval and leaves no recording.",
       "Set PasswordAuthentication no, KbdInteractiveAuthentication no and AuthorizedKeysFile "
       "none on the device; remove the key; rotate the account's password."},
      {"CB-MAINT-007", "console login", MaintSeverity::kMedium,
       "Someone logged in on a console or serial line: no certificate, no approval, no "
       "recording.",
       "Check who had physical access; lock the console accounts or require on-site approval."},
      {"CB-MAINT-008", "session not sealed in the log", MaintSeverity::kHigh,
       "A certificate login has no session statement in the log, a recording has none, or a "
       "session statement is signed by a key that is not a recorder of the policy.",
       "Check the recorder (force-command) ran and could reach the log (maint seal publishes a "
       "pending statement); add the device's recorder key to the policy."},
      {"CB-MAINT-009", "certificate refused", MaintSeverity::kLow,
       "sshd refused a certificate; the finding says why, from sshd's own log line: before or "
       "after its window, revoked, an account it does not name, not from the jump host, or "
       "signed by a CA the device does not trust.",
       "Usually nothing: the controls worked. Repeated refusals of revoked certificates or of "
       "another CA's certificates are worth a look."},
      {"CB-MAINT-010", "clock skew between sources", MaintSeverity::kMedium,
       "Two sources disagree about time by more than the policy's max-clock-skew: the device's "
       "sshd and its recorder, an event dated after the audit's time, or a login before the "
       "certificate was issued.",
       "Run NTP on the devices, the CA host and the recorder; the window checks rely on it."},
  };
  return rules;
}

MaintAuditReport Reconcile(const ReconcileInput& in) { return Reconciler(in).Run(); }

}  // namespace clearbox::maint
