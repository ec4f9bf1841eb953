// Fuzzes the maint approval layer's statement side: each input line is a log entry (a DSSE
// envelope), parsed as a request, a review and a certificate record, then the whole input is
// judged by Evaluate against a fixed policy whose keys come from fixed seeds (so the seeds in
// fuzz/corpus/maint_statement carry valid signatures and reach the threshold logic). The
// input is also parsed as one bare statement. Session statements: each line is parsed as one
// (SessionRecordOf), and the whole input is matched by CheckSessionInLog against the recording
// the first valid session statement describes (session.txt is signed by the recorder, seed 8),
// and against a fixed one.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "clearbox/crypto/note.h"
#include "clearbox/maint/approval.h"
#include "clearbox/maint/policy.h"
#include "clearbox/maint/session.h"
#include "clearbox/release/statement.h"

using namespace clearbox;

namespace {

constexpr uint64_t kNow = 1796601600 + 120;  // 2026-12-07T00:02:00Z, as the seeds

// Seeds: noc 1, alice 2, bob 3, carol 4, issuer 5, ca 6, log 7, recorder 8, a revoked
// recorder 9 (each byte of the seed).
std::string VKey(const char* name, uint8_t seed) {
  Bytes s(32, seed);
  auto key = crypto::Ed25519PrivateKey::FromSeed(s).value();
  return crypto::FormatVerifierKey(name, crypto::kNoteTypeEd25519, key.public_key());
}

const maint::Policy& ThePolicy() {
  static const maint::Policy* policy = [] {
    Bytes s(32, 6);
    auto ca = maint::SshCaKey::FromEd25519(crypto::Ed25519PrivateKey::FromSeed(s).value());
    auto person = [](const char* n, uint8_t seed, const char* roles) {
      return std::string("{\"name\":\"") + n + "\",\"key\":\"" + VKey(n, seed) + "\"" + roles + "}";
    };
    const char* officer = ",\"roles\":[\"officer\"]";
    std::string json =
        "{\"version\":1,\"ca-key\":\"" + maint::FormatSshPublicKey(ca.public_key()) +
        "\",\"requesters\":[" + person("noc", 1, "") + "],\"approvers\":[" +
        person("alice", 2, officer) + "," + person("bob", 3, officer) + "," +
        person("carol", 4, officer) + "],\"issuers\":[" + person("issuer", 5, "") +
        "],\"recorders\":[" + person("rec", 8, "") + "," +
        person("old", 9, ",\"revoked\":true") +
        "],\"thresholds\":[{\"name\":\"officers\",\"roles\":[\"officer\"],\"approve\":2,"
        "\"deny\":2}],\"max-window\":\"4h\",\"principals\":[\"maint-olt1\",\"maint-olt2\"],"
        "\"source-address\":\"192.0.2.10/32\",\"force-command\":\"rec {ticket} {serial} "
        "{device}\",\"observer-required\":true,\"log\":{\"url\":\"http://127.0.0.1:1\","
        "\"key\":\"" + VKey("log", 7) + "\"}}";
    auto p = maint::ParsePolicy(json, "fuzz-policy");
    if (!p.ok()) std::abort();
    return new maint::Policy(std::move(*p));
  }();
  return *policy;
}

void ParseAll(const release::Statement& s) {
  auto r = maint::RequestOf(s);
  if (r.ok()) {
    (void)maint::CheckRequest(ThePolicy(), *r, kNow);
    (void)maint::ExpandForceCommand(ThePolicy().force_command, *r, 1);
  }
  (void)maint::ReviewOf(s);
  (void)maint::CertificateRecordOf(s);
}

// The verified recording a session statement describes (what VerifyRecording would report).
maint::VerifyReport ReportOf(const maint::SessionSummary& m) {
  maint::VerifyReport r;
  r.header = {{"version", 2},
              {"clearbox",
               {{"ticket", maint::BytesToText(AsBytes(m.ticket))},
                {"serial", m.serial},
                {"device", maint::BytesToText(AsBytes(m.device))},
                {"command", maint::BytesToText(AsBytes(m.command))},
                {"pty", m.pty},
                {"start", maint::FormatUnixMicros(m.start_unix_us)}}}};
  r.head = m.head;
  r.events = m.events > 0 ? m.events - 1 : 0;
  r.complete = true;
  r.end = maint::SessionEnd{};
  r.end->exit_status = m.exit_status;
  r.cast_sha256 = m.cast_sha256;
  return r;
}

void CheckSessions(std::span<const maint::LogEntry> entries, const maint::VerifyReport& report) {
  maint::SessionLogCheck c = maint::CheckSessionInLog(ThePolicy(), report, entries);
  const maint::SessionSeal* sealed = c.sealed();
  if (sealed != nullptr && (sealed->recorder != "rec" || !sealed->problem.empty())) std::abort();
  if (sealed == nullptr && c.Problems().empty()) std::abort();
  if (c.others.size() > maint::kMaxReportedSeals) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<maint::LogEntry> entries;
  std::optional<maint::SessionSummary> described;
  size_t pos = 0;
  while (pos < text.size() && entries.size() < 64) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    ByteView line = AsBytes(text.substr(pos, nl - pos));
    entries.push_back({entries.size(), line});
    auto env = release::ParseEnvelope(AsChars(line));
    if (env.ok()) {
      auto s = release::ParseStatement(AsChars(env->payload));
      if (s.ok()) {
        ParseAll(*s);
        auto session = maint::SessionRecordOf(*s);
        if (session.ok() && !described) described = session->summary;
      }
    }
    pos = nl + 1;
  }
  auto bare = release::ParseStatement(text);
  if (bare.ok()) {
    ParseAll(*bare);
    (void)maint::SessionRecordOf(*bare);
  }
  if (described) CheckSessions(entries, ReportOf(*described));
  CheckSessions(entries, maint::VerifyReport{});
  if (!entries.empty()) {
    auto e = maint::Evaluate(ThePolicy(), Sha256Hex(entries[0].bytes), entries, kNow);
    if (e.ok()) {
      (void)maint::DescribeEvaluation(*e);
      auto c = maint::CertificateFor(ThePolicy(), *e, 1);
      if (c.ok() && e->state != maint::Evaluation::State::kApproved) std::abort();
    }
  }
  return 0;
}
