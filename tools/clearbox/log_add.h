// Submitting entries to a log (`clearbox log add`, `clearbox release publish`, the maint
// commands' statements).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"

namespace clearbox::cli {

struct LogAddArgs {
  std::string url;                 // http://HOST:PORT of `clearbox log serve`
  std::vector<std::string> files;  // entries, at most 64 KiB each
  std::string submitter_key;       // signer key file; "" = an unauthenticated submission
  std::string origin;              // "" = learnt from the log's checkpoint
  std::string log_key;             // verifier key: each returned proof is checked with it
  std::string proofs_dir;          // "" = proofs not kept; else <dir>/<file name>.tlog-proof
};

// One log, as a submitter sees it: entries POSTed to <url>/add (with a signed submitter header
// when there is a submitter key), each answer parsed as a tlog proof and, when a log key is
// given, verified against the entry's leaf hash.
class LogSubmitter {
 public:
  struct Added {
    uint64_t index = 0;
    std::string proof;  // the log's answer: the entry's tlog proof
  };
  // `origin` "" with a submitter key: learnt from the log's checkpoint. `log_key` "" = proofs
  // are parsed but not verified. Errors: the key files', kUnavailable (no checkpoint).
  static Result<LogSubmitter> Open(const std::string& url, const std::string& submitter_key,
                                   std::string origin, const std::string& log_key,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(30));
  LogSubmitter(LogSubmitter&&) noexcept;
  ~LogSubmitter();
  // kUnavailable (the log refused it, with its answer), the proof's parse and check errors.
  Result<Added> Add(ByteView entry);

 private:
  struct Impl;
  explicit LogSubmitter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// POSTs each file to <url>/add, prints "<index> <file>" per entry. Returns the exit code:
// 0 all logged, 2 when any entry could not be (each failure on stderr, the rest still tried).
int RunLogAdd(const LogAddArgs& args);

}  // namespace clearbox::cli
