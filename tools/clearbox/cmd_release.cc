// clearbox pledge sign | release create | release evaluate | release show: signed statements
// (docs/statements.md).
// Argument parsing and printing only; the work is in clearbox/release.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clearbox/audit/check.h"
#include "clearbox/audit/pledge.h"
#include "clearbox/report/sarif.h"
#include "clearbox/core/digest.h"
#include "clearbox/core/file.h"
#include "clearbox/crypto/note.h"
#include "clearbox/release/statement.h"
#include "audit_inputs.h"
#include "commands.h"
#include "common.h"
#include "release_inputs.h"

namespace clearbox::cli {
namespace {

struct PledgeSignArgs {
  std::string pledge;
  std::string key;
  std::string output;
};

int RunPledgeSign(const PledgeSignArgs& args) {
  auto text = ReadTextFile(args.pledge, audit::kMaxPledgeBytes);
  if (!text.ok()) return Fail(text.error());
  // Only a valid pledge is signed: `clearbox pledge check` lists every problem.
  auto pledge = audit::ParsePledge(*text, args.pledge);
  if (!pledge.ok()) {
    return Fail(Error::InvalidInput(args.pledge + ": not a valid pledge (run `clearbox pledge "
                                    "check` for every problem): " +
                                    pledge.error().message().substr(
                                        0, pledge.error().message().find('\n'))));
  }
  auto key = LoadSigningKey(args.key);
  if (!key.ok()) return Fail(key.error());
  // The document travels in the statement: an evaluator needs only the envelope.
  release::PledgePredicate predicate{pledge->vendor, pledge->product, Sha256Hex(AsBytes(*text)),
                                     *text};
  auto envelope = release::SignStatement(
      release::MakePledgeStatement(ImageName(args.pledge), predicate), *key);
  if (!envelope.ok()) return Fail(envelope.error());
  Status written = WriteReport(args.output, *envelope);
  if (!written.ok()) return Fail(written.error());
  fmt::print(stderr, "signed the pledge of {} {} (sha256 {}) with key {}\n", pledge->vendor,
             pledge->product, predicate.pledge_sha256,
             release::Ed25519KeyId(key->public_key()));
  return kExitOk;
}

struct ReleaseCreateArgs {
  std::string image;
  std::string key;
  std::string signed_pledge;
  std::string version;
  uint64_t security_version = 0;
  std::string sbom;
  std::string source_revision;
  std::string build_provenance;
  std::string output;
};

int RunReleaseCreate(const ReleaseCreateArgs& args) {
  auto key = LoadSigningKey(args.key);
  if (!key.ok()) return Fail(key.error());
  // The pledge must be this vendor's: its envelope verifies with the same key.
  auto envelope_text = ReadEnvelopeText(args.signed_pledge);
  if (!envelope_text.ok()) return Fail(envelope_text.error());
  std::vector<release::TrustedKey> vendor = {
      release::TrustedKey::FromEd25519(args.key, key->public_key())};
  auto opened = release::OpenStatement(*envelope_text, vendor);
  if (!opened.ok()) {
    return Fail(opened.error().WithContext(args.signed_pledge + " (checked with " + args.key + ")"));
  }
  auto pledge = release::PledgeOf(opened->statement);
  if (!pledge.ok()) return Fail(pledge.error().WithContext(args.signed_pledge));

  release::ReleasePredicate predicate;
  predicate.vendor = pledge->vendor;
  predicate.product = pledge->product;
  predicate.version = args.version;
  predicate.security_version = args.security_version;
  predicate.pledge_sha256 = pledge->pledge_sha256;
  predicate.source_revision = args.source_revision;
  if (!args.sbom.empty()) {
    auto sbom = FileSha256(args.sbom);
    if (!sbom.ok()) return Fail(sbom.error());
    predicate.sbom_sha256 = *sbom;
  }
  if (!args.build_provenance.empty()) {
    predicate.build_provenance = release::ReleasePredicate::BuildProvenance{args.build_provenance, ""};
  }
  auto image = FileSha256(args.image);
  if (!image.ok()) return Fail(image.error());
  auto signed_release = release::SignStatement(
      release::MakeReleaseStatement(ImageName(args.image), *image, predicate), *key);
  if (!signed_release.ok()) return Fail(signed_release.error());
  Status written = WriteReport(args.output, *signed_release);
  if (!written.ok()) return Fail(written.error());
  fmt::print(stderr, "release {} {} {} (security version {}) of image sha256 {}\n",
             predicate.vendor, predicate.product, predicate.version, predicate.security_version,
             *image);
  return kExitOk;
}

struct ReleaseShowArgs {
  std::string envelope;
  std::vector<std::string> trust;
};

// Exit 0: verified by a trusted key (or no --trust given); 1: no trusted signature;
// 2: unreadable or malformed.
int RunReleaseShow(const ReleaseShowArgs& args) {
  auto text = ReadEnvelopeText(args.envelope);
  if (!text.ok()) return Fail(text.error());
  auto envelope = release::ParseEnvelope(*text);
  if (!envelope.ok()) return Fail(envelope.error().WithContext(args.envelope));
  std::vector<release::TrustedKey> trusted;
  for (const std::string& path : args.trust) {
    auto key = LoadTrustedKey(path);
    if (!key.ok()) return Fail(key.error());
    trusted.push_back(std::move(*key));
  }
  fmt::print("payloadType: {}\n", envelope->payload_type);
  auto checks = release::CheckSignatures(*envelope, trusted);
  for (size_t i = 0; i < checks.size(); ++i) {
    fmt::print("signature {}: keyid {}: {}\n", i, checks[i].keyid.empty() ? "(none)" : checks[i].keyid,
               checks[i].verified_by ? "verified by " + *checks[i].verified_by
                                     : std::string(trusted.empty() ? "not checked (no --trust)"
                                                                   : "NOT verified"));
  }
  auto statement = release::ParseStatement(AsChars(envelope->payload));
  if (!statement.ok()) return Fail(statement.error().WithContext(args.envelope));
  nlohmann::json pretty = nlohmann::json::parse(release::SerializeStatement(*statement));
  fmt::print("{}\n", pretty.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  if (trusted.empty()) return kExitOk;
  auto verified = release::VerifyEnvelope(*envelope, trusted);
  if (!verified.ok()) {
    fmt::print(stderr, "clearbox: {}: {}\n", args.envelope, verified.error().message());
    return verified.error().code() == ErrorCode::kVerificationFailed ? kExitFindings
                                                                      : kExitInputError;
  }
  std::string signers;
  for (const auto& name : verified->signed_by) signers += (signers.empty() ? "" : ", ") + name;
  fmt::print("verified: signed by {}\n", signers);
  return kExitOk;
}


struct ReleaseEvaluateArgs {
  std::string image;
  std::string signed_pledge;
  std::vector<std::string> vendor_keys;
  std::string key;
  std::string evaluator;
  std::string fail_on = "high";
  std::string sarif;
  std::string output;
  AuditInputFlags in;  // --rules, --allow, --vulndb (the pledge comes from the envelope)
  inventory::Options options;
};

// The vendor-signed pledge's predicate, with its document: verified with --vendor-key.
Result<release::PledgePredicate> OpenSignedPledge(const ReleaseEvaluateArgs& args) {
  CLEARBOX_ASSIGN_OR_RETURN(std::string text, ReadEnvelopeText(args.signed_pledge));
  std::vector<release::TrustedKey> vendor;
  for (const std::string& path : args.vendor_keys) {
    CLEARBOX_ASSIGN_OR_RETURN(release::TrustedKey key, LoadTrustedKey(path));
    vendor.push_back(std::move(key));
  }
  auto opened = release::OpenStatement(text, vendor);
  if (!opened.ok()) return opened.error().WithContext("--pledge " + args.signed_pledge);
  auto pledge = release::PledgeOf(opened->statement);
  if (!pledge.ok()) return pledge.error().WithContext("--pledge " + args.signed_pledge);
  if (pledge->document.empty()) {
    return Error::InvalidInput("--pledge " + args.signed_pledge +
                               ": the statement does not carry the pledge document (sign it "
                               "with `clearbox pledge sign`)");
  }
  return pledge;
}

// A finding's id in a verdict: its check and the first 16 hex of its SARIF fingerprint, so a
// reader finds it in the report (partialFingerprints "clearbox/v1").
std::string BlockingId(const audit::Finding& f) {
  return f.check_id + "/" + audit::FindingFingerprint(f).substr(0, 16);
}

// Exit 0: the verdict is pass; 1: it is fail (signed all the same); 2: input error.
int RunReleaseEvaluate(ReleaseEvaluateArgs& args) {
  std::optional<audit::Severity> fail_on = audit::ParseSeverity(args.fail_on);
  if (!fail_on) return Fail(Error::InvalidInput("--fail-on: unknown severity '" + args.fail_on + "'"));
  if (Status s = CheckReadable(args.image); !s.ok()) return Fail(s.error());
  auto key = LoadSigningKey(args.key);
  if (!key.ok()) return Fail(key.error());
  std::string evaluator = args.evaluator;
  if (evaluator.empty()) {
    auto name = SigningKeyName(args.key);
    if (!name.ok()) return Fail(name.error());
    evaluator = *name;
  }
  auto pledge = OpenSignedPledge(args);
  if (!pledge.ok()) return Fail(pledge.error());
  auto parsed_pledge = audit::ParsePledge(pledge->document, args.signed_pledge);
  if (!parsed_pledge.ok()) return Fail(parsed_pledge.error().WithContext("the signed pledge"));

  Result<AuditInputs> in = ReadAuditInputs(args.in);
  if (!in.ok()) return Fail(in.error());
  in->pledge = std::move(*parsed_pledge);
  auto rule_set = audit::RuleSetSha256(in->options);
  if (!rule_set.ok()) return Fail(rule_set.error());
  Result<audit::Audit> audited =
      AuditWithProgress(args.image, "evaluate " + ImageName(args.image), *in, args.options);
  if (!audited.ok()) return Fail(audited.error());
  const audit::AuditReport& report = audited->report;
  const std::string& image_sha256 = report.sha256;  // hashed by the unpack: not read twice
  ReportNotes(audited->inventory.unpack_notes, audited->inventory.partial);

  std::string sarif = report::SarifJson(report, audit::AllChecks());
  std::string sarif_path = args.sarif;
  if (sarif_path.empty()) {  // fw.verdict.dsse.json -> fw.verdict.sarif
    sarif_path = args.output;
    for (std::string_view suffix : {".json", ".dsse"}) {
      if (sarif_path.ends_with(suffix)) sarif_path.resize(sarif_path.size() - suffix.size());
    }
    sarif_path += ".sarif";
  }
  if (Status s = WriteReport(sarif_path, sarif); !s.ok()) return Fail(s.error());

  release::VerdictPredicate verdict;
  verdict.sarif_sha256 = Sha256Hex(AsBytes(sarif));
  verdict.pledge_sha256 = pledge->pledge_sha256;
  verdict.clearbox_version = kClearboxVersion;
  verdict.rule_set_sha256 = *rule_set;
  verdict.evaluator = evaluator;
  for (const audit::Finding& f : report.findings) {
    if (f.severity >= *fail_on && verdict.blocking_findings.size() < release::kMaxBlockingFindings) {
      verdict.blocking_findings.push_back(BlockingId(f));
    }
  }
  verdict.pass = verdict.blocking_findings.empty();
  auto envelope = release::SignStatement(
      release::MakeVerdictStatement(ImageName(args.image), image_sha256, verdict), *key);
  if (!envelope.ok()) return Fail(envelope.error());
  if (Status s = WriteReport(args.output, *envelope); !s.ok()) return Fail(s.error());

  fmt::print(stderr, "verdict {} for {} (sha256 {}) against the pledge of {} {}: {} finding(s), "
             "{} at or above {}; report {}\n",
             verdict.pass ? "PASS" : "FAIL", ImageName(args.image), image_sha256,
             pledge->vendor, pledge->product, report.findings.size(),
             verdict.blocking_findings.size(), args.fail_on, sarif_path);
  for (const audit::Finding& f : report.findings) {
    if (f.severity >= *fail_on) {
      fmt::print(stderr, "  blocking {} {}: {}\n", BlockingId(f), audit::SeverityName(f.severity),
                 f.message);
    }
  }
  return verdict.pass ? kExitOk : kExitFindings;
}

}  // namespace

void RegisterReleaseCommands(CLI::App& app) {
  // `pledge sign` joins the group of cmd_pledge.cc, registered before this one (main.cc).
  CLI::App* pledge = app.get_subcommand("pledge");
  auto sign_args = std::make_shared<PledgeSignArgs>();
  CLI::App* sign = pledge->add_subcommand(
      "sign", "sign a valid pledge: an in-toto statement in a DSSE envelope (docs/statements.md)");
  sign->add_option("PLEDGE", sign_args->pledge, "pledge (JSON)")->required();
  sign->add_option("--key", sign_args->key, "vendor signer key file (clearbox key generate)")
      ->required();
  sign->add_option("-o,--output", sign_args->output, "envelope to write (default: stdout)");
  sign->callback([sign_args] { ExitCode() = RunPledgeSign(*sign_args); });

  CLI::App* rel = app.add_subcommand("release", "signed release statements (docs/statements.md)");
  rel->require_subcommand(1);

  auto create_args = std::make_shared<ReleaseCreateArgs>();
  CLI::App* create = rel->add_subcommand("create", "sign a release statement for an image");
  create->add_option("IMAGE", create_args->image, "firmware image")->required();
  create->add_option("--key", create_args->key, "vendor signer key file")->required();
  create->add_option("--pledge", create_args->signed_pledge,
                     "the pledge envelope (clearbox pledge sign), signed by the same key")
      ->required();
  create->add_option("--version", create_args->version, "the release's version")->required();
  create->add_option("--security-version", create_args->security_version,
                     "monotonic security version; devices refuse a lower one")
      ->required();
  create->add_option("--sbom", create_args->sbom, "SBOM file whose SHA-256 to state");
  create->add_option("--source-revision", create_args->source_revision, "e.g. git:<commit>");
  create->add_option("--build-provenance", create_args->build_provenance,
                     "URI of the build provenance");
  create->add_option("-o,--output", create_args->output, "envelope to write (default: stdout)");
  create->callback([create_args] { ExitCode() = RunReleaseCreate(*create_args); });

  auto evaluate_args = std::make_shared<ReleaseEvaluateArgs>();
  CLI::App* evaluate = rel->add_subcommand(
      "evaluate", "audit an image against the vendor's signed pledge and sign the verdict");
  evaluate->footer(
      "Writes the verdict envelope (-o) and the audit's SARIF report (--sarif; default: -o "
      "with .sarif for .dsse.json). Exit status: 0 pass, 1 fail (the verdict is signed either "
      "way), 2 bad input.");
  evaluate->add_option("IMAGE", evaluate_args->image, "firmware image")->required();
  evaluate->add_option("--pledge", evaluate_args->signed_pledge,
                       "the vendor's signed pledge (clearbox pledge sign)")
      ->required();
  evaluate->add_option("--vendor-key", evaluate_args->vendor_keys,
                       "the vendor's key the pledge must verify with (repeatable)")
      ->required();
  evaluate->add_option("--key", evaluate_args->key, "the evaluator's signer key file")->required();
  evaluate->add_option("--evaluator", evaluate_args->evaluator,
                       "the evaluator's identity in the verdict (default: the key's name)");
  evaluate->add_option("--fail-on", evaluate_args->fail_on,
                       "findings at least this severe block the release: info, low, medium, "
                       "high, critical")
      ->check(CLI::IsMember({"info", "low", "medium", "high", "critical"}))
      ->capture_default_str();
  evaluate->add_option("--sarif", evaluate_args->sarif, "where to write the audit's SARIF report");
  evaluate->add_option("-o,--output", evaluate_args->output, "the verdict envelope to write")
      ->required();
  evaluate->add_option("--vulndb", evaluate_args->in.vulndb,
                       "a database from `clearbox vulndb import` (known vulnerabilities)");
  evaluate->add_option("--rules", evaluate_args->in.rule_dirs, "extra YARA rule directories");
  evaluate->add_option("--allow", evaluate_args->in.allow, "allow list (as clearbox audit)");
  AddLimitFlags(evaluate, &evaluate_args->options.unpack);
  evaluate->callback([evaluate_args] { ExitCode() = RunReleaseEvaluate(*evaluate_args); });

  auto show_args = std::make_shared<ReleaseShowArgs>();
  CLI::App* show = rel->add_subcommand("show", "print a signed statement and check its signatures");
  show->footer("Exit status: 0 verified (or no --trust), 1 no trusted signature, 2 bad input.");
  show->add_option("ENVELOPE", show_args->envelope, "DSSE envelope (JSON)")->required();
  show->add_option("--trust", show_args->trust,
                   "trusted key file: clearbox key (verifier or signer) or PEM public key")
      ->expected(1, -1);
  show->callback([show_args] { ExitCode() = RunReleaseShow(*show_args); });
}

}  // namespace clearbox::cli
