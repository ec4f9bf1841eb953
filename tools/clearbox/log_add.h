// Submitting entries to a log (`clearbox log add`, `clearbox release publish`).
#pragma once

#include <string>
#include <vector>

namespace clearbox::cli {

struct LogAddArgs {
  std::string url;                 // http://HOST:PORT of `clearbox log serve`
  std::vector<std::string> files;  // entries, at most 64 KiB each
  std::string submitter_key;       // signer key file; "" = an unauthenticated submission
  std::string origin;              // "" = learnt from the log's checkpoint
  std::string log_key;             // verifier key: each returned proof is checked with it
  std::string proofs_dir;          // "" = proofs not kept; else <dir>/<file name>.tlog-proof
};

// POSTs each file to <url>/add, prints "<index> <file>" per entry. Returns the exit code:
// 0 all logged, 2 when any entry could not be (each failure on stderr, the rest still tried).
int RunLogAdd(const LogAddArgs& args);

}  // namespace clearbox::cli
