// A recording against the session statements in the log (include/clearbox/maint/session.h).
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "clearbox/core/encoding.h"
#include "clearbox/maint/session.h"
#include "clearbox/release/dsse.h"

namespace clearbox::maint {
namespace {

// What the recording states about itself, in the statement's terms; a field the header lacks
// (or has with another type) stays nullopt and then never matches.
struct Stated {
  std::optional<std::string> ticket, device, command, start;
  std::optional<uint64_t> serial;
  std::optional<bool> pty;
};

Stated StatedBy(const VerifyReport& r) {
  Stated s;
  if (!r.header.is_object() || !r.header.contains("clearbox")) return s;
  const nlohmann::json& cb = r.header["clearbox"];
  if (!cb.is_object()) return s;
  auto text = [&](const char* key, std::optional<std::string>& out) {
    if (cb.contains(key) && cb[key].is_string()) {
      out = std::string(AsChars(TextToBytes(cb[key].get_ref<const std::string&>())));
    }
  };
  text("ticket", s.ticket);
  text("device", s.device);
  text("command", s.command);
  if (cb.contains("start") && cb["start"].is_string()) s.start = cb["start"].get<std::string>();
  if (cb.contains("serial") && cb["serial"].is_number_unsigned()) {
    s.serial = cb["serial"].get<uint64_t>();
  }
  if (cb.contains("pty") && cb["pty"].is_boolean()) s.pty = cb["pty"].get<bool>();
  return s;
}

std::string Shown(std::string_view bytes) {
  std::string t = BytesToText(AsBytes(bytes));
  if (t.size() > 80) t = t.substr(0, 80) + "...";
  return "\"" + t + "\"";
}

// The fields where the statement and the recording disagree, "" when none do.
std::string Differences(const SessionSummary& st, const Stated& rec, const VerifyReport& r) {
  std::vector<std::string> d;
  auto text = [&](const char* name, const std::string& said, const std::optional<std::string>& is) {
    if (!is || *is != said) {
      d.push_back(std::string(name) + " " + Shown(said) +
                  " (the recording: " + (is ? Shown(*is) : std::string("none")) + ")");
    }
  };
  auto number = [&](const char* name, uint64_t said, std::optional<uint64_t> is) {
    if (!is || *is != said) {
      d.push_back(std::string(name) + " " + std::to_string(said) +
                  " (the recording: " + (is ? std::to_string(*is) : std::string("none")) + ")");
    }
  };
  text("ticket", st.ticket, rec.ticket);
  number("serial", st.serial, rec.serial);
  text("device", st.device, rec.device);
  text("command", st.command, rec.command);
  if (!rec.pty || *rec.pty != st.pty)
    d.push_back(std::string("pty ") + (st.pty ? "true" : "false"));
  text("start", FormatUnixMicros(st.start_unix_us), rec.start);
  if (!r.end || r.end->exit_status != st.exit_status) {
    d.push_back("exit status " + std::to_string(st.exit_status) + " (the recording: " +
                (r.end ? std::to_string(r.end->exit_status) : std::string("no end marker")) + ")");
  }
  if (st.head.value != r.head.value) {
    d.push_back("chain head " + HexEncode(st.head.value) +
                " (the recording: " + HexEncode(r.head.value) + ")");
  }
  number("chunks", st.head.chunks, r.head.chunks);
  number("bytes", st.head.bytes, r.head.bytes);
  // The writer counts the header line as an event; the verifier counts event lines only.
  number("events", st.events, r.events + 1);
  std::string out;
  for (const std::string& s : d) out += (out.empty() ? "" : "; ") + s;
  return out;
}

// Who signed: "" and a problem when no unrevoked recorder did.
std::string Signer(const Policy& policy, std::span<const release::TrustedKey> keys,
                   const release::Envelope& envelope, std::string& problem) {
  // One signature, checked before verifying: an entry with many signatures must not make the
  // check cost (recorders x signatures) verifications.
  if (envelope.signatures.size() != 1) {
    problem = "signed " + std::to_string(envelope.signatures.size()) +
              " times; a session statement has one signature, by the device's recorder";
    return "";
  }
  auto verified = release::VerifyEnvelope(envelope, keys);
  const Person* p = nullptr;
  if (verified.ok() && verified->signed_by.size() == 1) {
    p = FindPerson(policy.recorders, verified->signed_by[0]);
  }
  if (p == nullptr) {
    problem = "signed by a key that is not a recorder in the policy";
    return "";
  }
  if (p->revoked) {
    problem = "signed by " + p->name + ", whose recorder key is revoked in the policy";
    return "";
  }
  return p->name;
}

std::string Describe(const SessionSeal& s) {
  const SessionSummary& m = s.record.summary;
  return "ticket " + Shown(m.ticket) + ", serial " + std::to_string(m.serial) + ", device " +
         Shown(m.device) + ", started " + FormatUnixMicros(m.start_unix_us) + ", sha256 " +
         HexEncode(m.cast_sha256) + ", " + std::to_string(m.head.chunks) + " chunks, " +
         std::to_string(m.head.bytes) + " bytes";
}

}  // namespace

const SessionSeal* SessionLogCheck::sealed() const {
  for (const SessionSeal& s : seals) {
    if (s.problem.empty()) return &s;
  }
  return nullptr;
}

std::vector<std::string> SessionLogCheck::Problems() const {
  std::vector<std::string> out;
  if (sealed() != nullptr) return out;
  for (const SessionSeal& s : seals) {
    out.push_back("log entry " + std::to_string(s.index) + ": " + s.problem);
  }
  if (seals_left_off > 0) {
    out.push_back("... and " + std::to_string(seals_left_off) + " more such statement(s)");
  }
  if (!seals.empty()) return out;
  out.push_back("not sealed: no session statement in the log (" + std::to_string(entries) +
                " entries) has this recording's sha256 " + cast_sha256);
  for (const SessionSeal& s : others) {
    std::string by = s.recorder.empty() ? "no recorder" : s.recorder;
    out.push_back("log entry " + std::to_string(s.index) + " (signed by " + by +
                  ") seals another recording of this session's ticket, serial and device: " +
                  Describe(s) + "; the digest differs");
  }
  if (others_left_off > 0) {
    out.push_back("... and " + std::to_string(others_left_off) + " more such statement(s)");
  }
  return out;
}

SessionLogCheck CheckSessionInLog(const Policy& policy, const VerifyReport& recording,
                                  std::span<const LogEntry> entries) {
  SessionLogCheck c;
  c.cast_sha256 = HexEncode(recording.cast_sha256);
  c.entries = entries.size();
  Stated stated = StatedBy(recording);
  std::vector<release::TrustedKey> keys = KeysOf(policy.recorders);
  // Anything else in the log (other statements, other submitters' entries) is skipped.
  for (const LoggedStatement& entry : ReadMaintLog(entries).sessions) {
    const auto& subjects = entry.statement.subjects;
    bool ours = subjects.size() == 1 && subjects[0].sha256 == c.cast_sha256;
    SessionSeal seal;
    seal.index = entry.index;
    auto record = SessionRecordOf(entry.statement);
    if (!ours) {
      // Another recording: worth naming only if it is of the same session's certificate.
      if (!record.ok() || !stated.ticket || !stated.serial || !stated.device ||
          record->summary.ticket != *stated.ticket || record->summary.serial != *stated.serial ||
          record->summary.device != *stated.device) {
        continue;
      }
      if (c.others.size() >= kMaxReportedSeals) {
        ++c.others_left_off;
        continue;
      }
      std::string ignored;
      seal.recorder = Signer(policy, keys, entry.envelope, ignored);
      seal.record = std::move(*record);
      c.others.push_back(std::move(seal));
      continue;
    }
    if (c.sealed() != nullptr) continue;
    seal.recorder = Signer(policy, keys, entry.envelope, seal.problem);
    if (!record.ok()) {
      if (seal.problem.empty()) {
        seal.problem = "a malformed session statement: " + record.error().message();
      }
    } else {
      seal.record = std::move(*record);
      if (seal.problem.empty()) {
        if (std::string d = Differences(seal.record.summary, stated, recording); !d.empty()) {
          seal.problem = "the statement signed by " + seal.recorder +
                         " does not describe this recording: " + d;
        }
      }
    }
    // A good statement is kept past the cap: entries anyone can add must not hide it.
    if (!seal.problem.empty() && c.seals.size() >= kMaxReportedSeals) {
      ++c.seals_left_off;
      continue;
    }
    c.seals.push_back(std::move(seal));
  }
  return c;
}

}  // namespace clearbox::maint
