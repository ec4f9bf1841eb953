// `clearbox log add` and `clearbox release publish`: entries submitted to a log over HTTP,
// each proof checked and kept.
#include "log_add.h"

#include <cstdio>
#include <filesystem>

#include "clearbox/core/file.h"
#include "clearbox/crypto/note.h"
#include "clearbox/net/http_client.h"
#include "clearbox/tlog/merkle.h"
#include "clearbox/tlog/proof.h"
#include "clearbox/tlog/submission.h"
#include "common.h"
#include "release_inputs.h"

namespace clearbox::cli {

struct LogSubmitter::Impl {
  std::string url, origin;
  std::unique_ptr<net::HttpClient> client;
  std::unique_ptr<crypto::Ed25519NoteSigner> submitter;
  std::unique_ptr<crypto::Ed25519NoteVerifier> log_key;
};

LogSubmitter::LogSubmitter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LogSubmitter::LogSubmitter(LogSubmitter&&) noexcept = default;
LogSubmitter::~LogSubmitter() = default;

Result<LogSubmitter> LogSubmitter::Open(const std::string& url, const std::string& submitter_key,
                                        std::string origin, const std::string& log_key,
                                        std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  impl->url = url;
  net::HttpClientOptions options;
  options.timeout = timeout;
  CLEARBOX_ASSIGN_OR_RETURN(impl->client, net::HttpClient::Create(url, options));
  if (!submitter_key.empty()) {
    CLEARBOX_ASSIGN_OR_RETURN(impl->submitter, LoadNoteSigner(submitter_key));
    if (origin.empty()) {
      // The submission is bound to the log's origin: learn it from the checkpoint.
      CLEARBOX_ASSIGN_OR_RETURN(net::HttpClientResponse checkpoint,
                                impl->client->Request("GET", "/checkpoint"));
      if (checkpoint.status != 200) {
        return Error::Unavailable(url + "/checkpoint answered " +
                                  std::to_string(checkpoint.status) + "; pass the log's origin");
      }
      origin = checkpoint.body.substr(0, checkpoint.body.find('\n'));
    }
  }
  impl->origin = std::move(origin);
  if (!log_key.empty()) {
    auto verifier = crypto::Ed25519NoteVerifier::FromVerifierKey(log_key);
    if (!verifier.ok()) return verifier.error().WithContext("the log's key");
    impl->log_key = std::move(*verifier);
  }
  return LogSubmitter(std::move(impl));
}

Result<LogSubmitter::Added> LogSubmitter::Add(ByteView entry) {
  Impl& m = *impl_;
  net::HttpHeaders headers;
  if (m.submitter) {
    CLEARBOX_ASSIGN_OR_RETURN(std::string header,
                              tlog::SignSubmission(m.origin, entry, *m.submitter));
    headers.emplace_back(std::string(tlog::kSubmitterHeader), std::move(header));
  }
  CLEARBOX_ASSIGN_OR_RETURN(net::HttpClientResponse response,
                            m.client->Request("POST", "/add", AsChars(entry), headers));
  if (response.status != 200) {
    std::string body = response.body.substr(0, std::min<size_t>(response.body.find('\n'), 200));
    return Error::Unavailable(m.url + ": the log answered " + std::to_string(response.status) +
                              ": " + body);
  }
  auto proof = tlog::ParseTlogProof(response.body);
  if (!proof.ok()) return proof.error().WithContext(m.url + ": the log's answer");
  if (m.log_key) {
    auto verified = tlog::VerifyTlogProof(*proof, tlog::LeafHash(entry), *m.log_key);
    if (!verified.ok()) return verified.error().WithContext(m.url + ": the log's proof");
  }
  return Added{proof->index, std::move(response.body)};
}

int RunLogAdd(const LogAddArgs& args) {
  auto log = LogSubmitter::Open(args.url, args.submitter_key, args.origin, args.log_key);
  if (!log.ok()) return Fail(log.error());
  int exit_code = kExitOk;
  for (const std::string& file : args.files) {
    auto entry = ReadFile(file, 64 * 1024);
    if (!entry.ok()) {
      exit_code = Fail(entry.error());
      continue;
    }
    auto added = log->Add(*entry);
    if (!added.ok()) {
      exit_code = Fail(added.error().WithContext(file));
      continue;
    }
    if (!args.proofs_dir.empty()) {
      std::string out =
          args.proofs_dir + "/" + std::filesystem::path(file).filename().string() + ".tlog-proof";
      if (Status s = WriteFileAtomic(out, AsBytes(added->proof)); !s.ok()) {
        exit_code = Fail(s.error());
        continue;
      }
    }
    std::printf("%llu %s\n", static_cast<unsigned long long>(added->index), file.c_str());
    std::fflush(stdout);
  }
  return exit_code;
}

}  // namespace clearbox::cli
