// clearbox pledge sign | release create | release show: signed statements (docs/statements.md).
// Argument parsing and printing only; the work is in clearbox/release.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "clearbox/audit/pledge.h"
#include "clearbox/core/digest.h"
#include "clearbox/core/file.h"
#include "clearbox/crypto/note.h"
#include "clearbox/release/statement.h"
#include "commands.h"
#include "common.h"

namespace clearbox::cli {
namespace {

constexpr uint64_t kMaxKeyFileBytes = 64 * 1024;

// A signer key file of `clearbox key generate` (C2SP signed-note format).
Result<crypto::Ed25519PrivateKey> LoadSigningKey(const std::string& path) {
  CLEARBOX_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, kMaxKeyFileBytes));
  size_t begin = text.find_first_not_of(" \t\r\n");
  size_t end = text.find_last_not_of(" \t\r\n");
  if (begin == std::string::npos) return Error::InvalidInput(path + ": empty key file");
  auto signer = crypto::Ed25519NoteSigner::FromSignerKey(text.substr(begin, end - begin + 1));
  if (!signer.ok()) return signer.error().WithContext(path);
  return (*signer)->private_key();
}

// A trust file: a verifier or signer key of `clearbox key`, or a PEM public key.
Result<release::TrustedKey> LoadTrustedKey(const std::string& path) {
  CLEARBOX_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, kMaxKeyFileBytes));
  auto key = release::TrustedKey::FromKeyText(text, path);
  if (!key.ok()) return key.error().WithContext(path);
  return key;
}

Result<std::string> FileSha256(const std::string& path) {
  CLEARBOX_ASSIGN_OR_RETURN(auto file, MappedFile::Open(path));
  return Sha256Hex(file->bytes());
}

Result<std::string> ReadEnvelopeText(const std::string& path) {
  auto text = ReadTextFile(path, release::kMaxEnvelopeBytes);
  if (!text.ok() && text.error().code() == ErrorCode::kLimitExceeded) {
    return Error::LimitExceeded(path + ": larger than the 16 MiB envelope limit");
  }
  return text;
}

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
