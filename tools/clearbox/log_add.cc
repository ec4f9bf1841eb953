// `clearbox log add` and `clearbox release publish`: entries submitted to a log over HTTP,
// each proof checked and kept.
#include "log_add.h"

#include <cstdio>
#include <filesystem>
#include <memory>

#include "clearbox/core/file.h"
#include "clearbox/crypto/note.h"
#include "clearbox/net/http_client.h"
#include "clearbox/tlog/merkle.h"
#include "clearbox/tlog/proof.h"
#include "clearbox/tlog/submission.h"
#include "common.h"
#include "release_inputs.h"

namespace clearbox::cli {

int RunLogAdd(const LogAddArgs& args) {
  auto client = net::HttpClient::Create(args.url);
  if (!client.ok()) return Fail(client.error());
  std::unique_ptr<crypto::Ed25519NoteSigner> submitter;
  std::string origin = args.origin;
  if (!args.submitter_key.empty()) {
    auto signer = LoadNoteSigner(args.submitter_key);
    if (!signer.ok()) return Fail(signer.error());
    submitter = std::move(*signer);
    if (origin.empty()) {
      // The submission is bound to the log's origin: learn it from the checkpoint.
      auto checkpoint = (*client)->Request("GET", "/checkpoint");
      if (!checkpoint.ok()) return Fail(checkpoint.error());
      if (checkpoint->status != 200) {
        return Fail(Error::Unavailable(args.url + "/checkpoint answered " +
                                       std::to_string(checkpoint->status) + "; pass --origin"));
      }
      origin = checkpoint->body.substr(0, checkpoint->body.find('\n'));
    }
  }
  std::unique_ptr<crypto::Ed25519NoteVerifier> log_key;
  if (!args.log_key.empty()) {
    auto verifier = crypto::Ed25519NoteVerifier::FromVerifierKey(args.log_key);
    if (!verifier.ok()) return Fail(verifier.error().WithContext("--log-key"));
    log_key = std::move(*verifier);
  }
  int exit_code = kExitOk;
  for (const std::string& file : args.files) {
    auto entry = ReadFile(file, 64 * 1024);
    if (!entry.ok()) {
      exit_code = Fail(entry.error());
      continue;
    }
    net::HttpHeaders headers;
    if (submitter) {
      auto header = tlog::SignSubmission(origin, *entry, *submitter);
      if (!header.ok()) return Fail(header.error());
      headers.emplace_back(std::string(tlog::kSubmitterHeader), *header);
    }
    auto response = (*client)->Request("POST", "/add", AsChars(*entry), headers);
    if (!response.ok()) {
      exit_code = Fail(response.error().WithContext(file));
      continue;
    }
    if (response->status != 200) {
      std::string body = response->body.substr(0, response->body.find_last_not_of('\n') + 1);
      exit_code = Fail(Error::Unavailable(file + ": the log answered " +
                                          std::to_string(response->status) + ": " + body));
      continue;
    }
    auto proof = tlog::ParseTlogProof(response->body);
    if (!proof.ok()) {
      exit_code = Fail(proof.error().WithContext(file + ": the log's answer"));
      continue;
    }
    if (log_key) {
      auto verified = tlog::VerifyTlogProof(*proof, tlog::LeafHash(*entry), *log_key);
      if (!verified.ok()) {
        exit_code = Fail(verified.error().WithContext(file + ": the log's proof"));
        continue;
      }
    }
    if (!args.proofs_dir.empty()) {
      std::string out =
          args.proofs_dir + "/" + std::filesystem::path(file).filename().string() + ".tlog-proof";
      if (Status s = WriteFileAtomic(out, AsBytes(response->body)); !s.ok()) {
        exit_code = Fail(s.error());
        continue;
      }
    }
    std::printf("%llu %s\n", static_cast<unsigned long long>(proof->index), file.c_str());
    std::fflush(stdout);
  }
  return exit_code;
}

}  // namespace clearbox::cli
