// clearbox release publish | release bundle: statements into the transparency log, and out of
// it as one offline-verifiable bundle (docs/bundle.md). Argument parsing and printing only.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "clearbox/core/file.h"
#include "clearbox/gate/bundle.h"
#include "clearbox/gate/gate.h"
#include "clearbox/release/statement.h"
#include "clearbox/tlog/client.h"
#include "clearbox/tlog/merkle.h"
#include "clearbox/tlog/proof.h"
#include "commands.h"
#include "common.h"
#include "log_add.h"
#include "release_inputs.h"

namespace clearbox::cli {
namespace {

// Where the proof `release publish` kept for an envelope is: <dir>/<envelope name>.tlog-proof,
// with dir = --proofs or the envelope's own directory.
std::string ProofPathFor(const std::string& envelope, const std::string& proofs_dir) {
  std::filesystem::path p(envelope);
  std::filesystem::path dir = proofs_dir.empty() ? p.parent_path() : std::filesystem::path(proofs_dir);
  return (dir / (p.filename().string() + ".tlog-proof")).string();
}

// Only a well-formed in-toto statement in a DSSE envelope goes into the log. Returns the
// envelope's text.
Result<std::string> ReadStatementEnvelope(const std::string& path) {
  CLEARBOX_ASSIGN_OR_RETURN(std::string text, ReadEnvelopeText(path));
  auto envelope = release::ParseEnvelope(text);
  if (!envelope.ok()) return envelope.error().WithContext(path);
  if (envelope->payload_type != release::kInTotoPayloadType) {
    return Error::InvalidInput(path + ": payloadType " + envelope->payload_type + ", want " +
                               std::string(release::kInTotoPayloadType));
  }
  auto statement = release::ParseStatement(AsChars(envelope->payload));
  if (!statement.ok()) return statement.error().WithContext(path);
  return text;
}

struct PublishArgs {
  std::string url;
  std::vector<std::string> envelopes;
  std::string submitter_key, log_key, origin, proofs_dir;
};

int RunPublish(const PublishArgs& args) {
  for (const std::string& path : args.envelopes) {
    if (auto checked = ReadStatementEnvelope(path); !checked.ok()) return Fail(checked.error());
  }
  int exit_code = kExitOk;
  for (const std::string& path : args.envelopes) {
    LogAddArgs add;
    add.url = args.url;
    add.files = {path};
    add.submitter_key = args.submitter_key;
    add.origin = args.origin;
    add.log_key = args.log_key;
    add.proofs_dir = std::filesystem::path(ProofPathFor(path, args.proofs_dir)).parent_path().string();
    if (add.proofs_dir.empty()) add.proofs_dir = ".";
    int rc = RunLogAdd(add);
    if (rc != kExitOk) exit_code = rc;
  }
  return exit_code;
}

struct BundleArgs {
  std::string url;
  std::vector<std::string> envelopes;
  std::string log_key, origin, proofs_dir, consistency_from, output;
};

// The checkpoint a device holds: a state file of `clearbox verify --state`, or a bare
// checkpoint note.
Result<std::string> HeldCheckpoint(const std::string& path) {
  CLEARBOX_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, 1 << 20));
  if (!text.empty() && text.front() == '{') {
    auto state = gate::ParseDeviceState(text);
    if (!state.ok()) return state.error().WithContext(path);
    if (state->checkpoint.empty()) {
      return Error::InvalidInput(path + ": the state holds no checkpoint yet");
    }
    return state->checkpoint;
  }
  return text;
}

int RunBundle(const BundleArgs& args) {
  auto client = tlog::LogClient::Open(args.url, args.log_key, args.origin);
  if (!client.ok()) return Fail(client.error().WithContext(args.url));
  auto checkpoint = (*client)->FetchCheckpoint();
  if (!checkpoint.ok()) return Fail(checkpoint.error().WithContext(args.url));
  const tlog::Checkpoint& tree = checkpoint->checkpoint;

  gate::Bundle bundle;
  bundle.checkpoint = checkpoint->signed_note;
  for (const std::string& path : args.envelopes) {
    auto envelope = ReadStatementEnvelope(path);
    if (!envelope.ok()) return Fail(envelope.error());
    std::string proof_path = ProofPathFor(path, args.proofs_dir);
    auto proof_text = ReadTextFile(proof_path, tlog::kMaxTlogProofSize);
    if (!proof_text.ok()) {
      return Fail(proof_text.error().WithContext(
          path + ": its log index is read from " + proof_path + " (clearbox release publish)"));
    }
    auto published = tlog::ParseTlogProof(*proof_text);
    if (!published.ok()) return Fail(published.error().WithContext(proof_path));
    if (published->index >= tree.size) {
      return Fail(Error::VerificationFailed(fmt::format(
          "{}: entry {} is not in the log's tree of size {} at {}", path, published->index,
          tree.size, args.url)));
    }
    // A fresh proof against the one checkpoint of the bundle, from verified tiles.
    auto proof = (*client)->ProveInclusion(published->index, *checkpoint);
    if (!proof.ok()) return Fail(proof.error().WithContext(path));
    Status included = tlog::VerifyInclusion(published->index, tree.size,
                                            tlog::LeafHash(AsBytes(*envelope)),
                                            proof->inclusion_proof, tree.root);
    if (!included.ok()) {
      return Fail(Error::VerificationFailed(fmt::format(
          "{}: entry {} of the log at {} is not this envelope", path, published->index, args.url)));
    }
    bundle.statements.push_back({std::move(*envelope), published->index, proof->inclusion_proof});
  }
  if (!args.consistency_from.empty()) {
    auto held = HeldCheckpoint(args.consistency_from);
    if (!held.ok()) return Fail(held.error());
    auto older = (*client)->CheckCheckpoint(*held);
    if (!older.ok()) return Fail(older.error().WithContext(args.consistency_from));
    if (older->checkpoint.size > tree.size) {
      return Fail(Error::VerificationFailed(fmt::format(
          "{}: its tree (size {}) is larger than the log's checkpoint (size {}): the log went back",
          args.consistency_from, older->checkpoint.size, tree.size)));
    }
    auto proof = (*client)->CheckConsistency(*older, *checkpoint);
    if (!proof.ok()) return Fail(proof.error().WithContext(args.consistency_from));
    bundle.consistency_proofs.push_back({older->checkpoint.size, std::move(*proof)});
  }
  std::string json = gate::SerializeBundle(bundle);
  if (Status s = WriteReport(args.output, json); !s.ok()) return Fail(s.error());
  fmt::print(stderr, "bundle of {} statement(s) against checkpoint {} size {}{}\n",
             bundle.statements.size(), tree.origin, tree.size,
             bundle.consistency_proofs.empty()
                 ? std::string()
                 : fmt::format(", consistent with size {}", bundle.consistency_proofs[0].from_size));
  return kExitOk;
}

}  // namespace

void RegisterReleaseLogCommands(CLI::App& app) {
  CLI::App* rel = app.get_subcommand("release");  // made by RegisterReleaseCommands

  auto publish_args = std::make_shared<PublishArgs>();
  CLI::App* publish = rel->add_subcommand(
      "publish", "add signed statements to the transparency log and keep their inclusion proofs");
  publish->footer("Each proof is written to <--proofs or the envelope's directory>/"
                  "<envelope name>.tlog-proof; `release bundle` reads it.");
  publish->add_option("URL", publish_args->url, "the log, http://HOST:PORT")->required();
  publish->add_option("ENVELOPE", publish_args->envelopes, "DSSE envelopes (statements)")
      ->required();
  publish->add_option("--submitter-key", publish_args->submitter_key,
                      "signer key the log accepts submissions from");
  publish->add_option("--log-key", publish_args->log_key,
                      "the log's verifier key: each proof is checked with it")
      ->required();
  publish->add_option("--origin", publish_args->origin, "the log's origin (default: learnt)");
  publish->add_option("--proofs", publish_args->proofs_dir, "directory for the proofs");
  publish->callback([publish_args] { ExitCode() = RunPublish(*publish_args); });

  auto bundle_args = std::make_shared<BundleArgs>();
  CLI::App* bundle = rel->add_subcommand(
      "bundle", "one offline-verifiable bundle: envelopes, inclusion proofs and the cosigned "
                "checkpoint (docs/bundle.md)");
  bundle->add_option("URL", bundle_args->url, "the log (http://, https:// or a directory)")
      ->required();
  bundle->add_option("ENVELOPE", bundle_args->envelopes,
                     "published envelopes: the pledge, the release, the verdicts")
      ->required();
  bundle->add_option("--log-key", bundle_args->log_key, "the log's verifier key")->required();
  bundle->add_option("--origin", bundle_args->origin, "the log's origin");
  bundle->add_option("--proofs", bundle_args->proofs_dir,
                     "where `release publish` kept the proofs (default: beside each envelope)");
  bundle->add_option("--consistency-from", bundle_args->consistency_from,
                     "a device's state file (or a checkpoint): add a consistency proof from it");
  bundle->add_option("-o,--output", bundle_args->output, "bundle to write (default: stdout)");
  bundle->callback([bundle_args] { ExitCode() = RunBundle(*bundle_args); });
}

}  // namespace clearbox::cli
