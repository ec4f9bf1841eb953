// clearbox log get-proof | verify-inclusion | monitor: the reading half of the transparency
// log, for anyone who does not trust the log. Argument parsing and printing only; the work is
// in clearbox/tlog (client.h, proof.h).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "clearbox/core/file.h"
#include "clearbox/tlog/client.h"
#include "clearbox/tlog/cosignature.h"
#include "clearbox/tlog/proof.h"
#include "commands.h"

namespace clearbox::cli {
namespace {

constexpr int kExitVerificationFailed = 1;

int Fail(const Error& error, int code = kExitInputError) {
  std::fprintf(stderr, "clearbox: %s\n", error.message().c_str());
  return code;
}

std::string Trim(const std::string& s) {
  size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

// --key takes a verifier key, or a file holding one.
Result<std::string> ResolveVerifierKey(const std::string& arg) {
  if (std::filesystem::is_regular_file(arg)) {
    CLEARBOX_ASSIGN_OR_RETURN(std::string text, ReadTextFile(arg, 64 * 1024));
    return Trim(text);
  }
  return arg;
}

std::string Now() {
  std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return stamp;
}

// ---- get-proof ----

struct GetProofArgs {
  std::string url;
  uint64_t index = 0;
  std::string key;
  std::string origin;
  std::string output;
};

int RunGetProof(const GetProofArgs& args) {
  std::string vkey;
  if (!args.key.empty()) {
    auto k = ResolveVerifierKey(args.key);
    if (!k.ok()) return Fail(k.error());
    vkey = *k;
  }
  auto client = tlog::LogClient::Open(args.url, vkey, args.origin);
  if (!client.ok()) return Fail(client.error());
  if (!(*client)->verifies_signatures()) {
    std::fprintf(stderr,
                 "clearbox: warning: no --key given, the checkpoint's signature is NOT checked "
                 "(tiles are still checked against its root)\n");
  }
  auto cp = (*client)->FetchCheckpoint();
  if (!cp.ok())
    return Fail(cp.error(), cp.error().code() == ErrorCode::kVerificationFailed
                                ? kExitVerificationFailed
                                : kExitInputError);
  auto proof = (*client)->ProveInclusion(args.index, *cp);
  if (!proof.ok()) {
    return Fail(proof.error(), proof.error().code() == ErrorCode::kVerificationFailed
                                   ? kExitVerificationFailed
                                   : kExitInputError);
  }
  std::string text = tlog::FormatTlogProof(*proof);
  if (args.output.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else {
    Status s = WriteFileAtomic(args.output, AsBytes(text));
    if (!s.ok()) return Fail(s.error());
  }
  return kExitOk;
}

// ---- verify-inclusion ----

struct VerifyArgs {
  std::string entry;
  std::string proof;
  std::string key;
  std::string origin;
  int64_t index = -1;
  std::vector<std::string> witnesses;
  size_t quorum = 0;
};

int RunVerifyInclusion(const VerifyArgs& args) {
  auto vkey = ResolveVerifierKey(args.key);
  if (!vkey.ok()) return Fail(vkey.error());
  auto log_key = tlog::NewNoteVerifier(*vkey);
  if (!log_key.ok()) return Fail(log_key.error().WithContext("--key"));
  std::vector<std::unique_ptr<tlog::CosignatureV1Verifier>> witnesses;
  for (const std::string& w : args.witnesses) {
    auto wk = ResolveVerifierKey(w);
    if (!wk.ok()) return Fail(wk.error());
    auto v = tlog::CosignatureV1Verifier::FromVerifierKey(*wk);
    if (!v.ok()) return Fail(v.error().WithContext("--witness"));
    witnesses.push_back(std::move(*v));
  }
  if (args.quorum > witnesses.size()) {
    return Fail(Error::InvalidInput("--quorum " + std::to_string(args.quorum) + " with only " +
                                    std::to_string(witnesses.size()) + " --witness keys"));
  }
  auto entry = ReadFile(args.entry, tlog::kMaxEntrySize);
  if (!entry.ok()) return Fail(entry.error());
  auto text = ReadTextFile(args.proof, tlog::kMaxTlogProofSize);
  if (!text.ok()) return Fail(text.error());

  auto failed = [](const std::string& why) {
    std::printf("FAILED: %s\n", why.c_str());
    return kExitVerificationFailed;
  };
  auto proof = tlog::ParseTlogProof(*text);
  if (!proof.ok()) return failed(args.proof + ": " + proof.error().message());
  if (args.index >= 0 && proof->index != static_cast<uint64_t>(args.index)) {
    return failed("the proof is for index " + std::to_string(proof->index) + ", not " +
                  std::to_string(args.index));
  }
  std::vector<const crypto::NoteVerifier*> cosigners;
  for (const auto& w : witnesses) cosigners.push_back(w.get());
  auto verified =
      tlog::VerifyTlogProof(*proof, tlog::LeafHash(*entry), **log_key, cosigners, args.origin);
  if (!verified.ok()) return failed(verified.error().message());
  std::vector<const tlog::CosignatureV1Verifier*> cs;
  for (const auto& w : witnesses) cs.push_back(w.get());
  auto cosigned = tlog::VerifyCosignatures(proof->checkpoint, cs);
  if (!cosigned.ok()) return failed(cosigned.error().message());
  if (cosigned->size() < args.quorum) {
    return failed("only " + std::to_string(cosigned->size()) + " of the required " +
                  std::to_string(args.quorum) + " witnesses cosigned the checkpoint");
  }
  const tlog::Checkpoint& cp = verified->checkpoint.checkpoint;
  std::printf("OK: entry %s (sha256 %s) is at index %llu of %s, tree size %llu, root %s\n",
              args.entry.c_str(), Sha256Hex(*entry).c_str(),
              static_cast<unsigned long long>(proof->index), cp.origin.c_str(),
              static_cast<unsigned long long>(cp.size), tlog::HashToBase64(cp.root).c_str());
  std::printf("    checkpoint signed by %s", (*log_key)->name().c_str());
  for (const auto& c : *cosigned) {
    std::printf(", cosigned by %s at %llu", c.name.c_str(),
                static_cast<unsigned long long>(c.timestamp));
  }
  std::printf("\n");
  return kExitOk;
}

// ---- monitor ----

struct MonitorArgs {
  std::string url;
  std::string key;
  std::string state;
  std::string origin;
  std::string evidence;
  double interval = 10;
  bool once = false;
  uint64_t max_entries = 100000;
};

// One printable line per entry: index, size, SHA-256 and the start of the text.
void ReportEntry(uint64_t index, ByteView entry) {
  std::string preview;
  for (uint8_t c : entry) {
    if (preview.size() >= 60) {
      preview += "...";
      break;
    }
    preview += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
  }
  std::printf("entry %llu\t%zu bytes\tsha256 %s\t%s\n", static_cast<unsigned long long>(index),
              entry.size(), Sha256Hex(entry).c_str(), preview.c_str());
}

int RunMonitor(const MonitorArgs& args) {
  auto vkey = ResolveVerifierKey(args.key);
  if (!vkey.ok()) return Fail(vkey.error());
  auto client = tlog::LogClient::Open(args.url, *vkey, args.origin);
  if (!client.ok()) return Fail(client.error());
  tlog::MonitorState state;
  if (std::filesystem::exists(args.state)) {
    auto text = ReadTextFile(args.state, tlog::kMaxCheckpointSize + 4096);
    if (!text.ok()) return Fail(text.error());
    auto parsed = tlog::ParseMonitorState(*text);
    if (!parsed.ok()) return Fail(parsed.error().WithContext(args.state));
    state = std::move(*parsed);
  }
  tlog::LogMonitor monitor(**client, std::move(state));
  const std::string evidence_path =
      args.evidence.empty() ? args.state + ".evidence" : args.evidence;
  while (true) {
    auto result = monitor.Poll(
        [](uint64_t index, ByteView entry) {
          ReportEntry(index, entry);
          return Status::Ok();
        },
        args.max_entries);
    std::fflush(stdout);
    // Save whatever progress was made, even when the round failed part way.
    Status saved = WriteFileAtomic(args.state, AsBytes(tlog::FormatMonitorState(monitor.state())));
    if (!saved.ok()) return Fail(saved.error());
    if (!result.ok()) {
      if (monitor.evidence()) {
        std::string text = monitor.evidence()->ToText();
        Status s = WriteFileAtomic(evidence_path, AsBytes(text));
        std::fprintf(stderr, "%s clearbox: LOG INCONSISTENT: %s\n", Now().c_str(),
                     result.error().message().c_str());
        if (s.ok()) {
          std::fprintf(stderr, "%s clearbox: evidence written to %s\n", Now().c_str(),
                       evidence_path.c_str());
        } else {
          std::fprintf(stderr, "clearbox: could not write the evidence: %s\n%s",
                       s.error().message().c_str(), text.c_str());
        }
        return kExitVerificationFailed;
      }
      bool verification = result.error().code() == ErrorCode::kVerificationFailed;
      std::fprintf(stderr, "%s clearbox: %s\n", Now().c_str(), result.error().message().c_str());
      if (args.once || verification) {
        return verification ? kExitVerificationFailed : kExitInputError;
      }
    } else {
      const auto& r = *result;
      if (r.stale) {
        std::fprintf(stderr, "%s clearbox: the log served an older checkpoint (consistent)\n",
                     Now().c_str());
      } else if (r.size != r.previous_size || r.entries_reported > 0) {
        std::fprintf(stderr, "%s clearbox: checkpoint size %llu verified%s, %llu new entries\n",
                     Now().c_str(), static_cast<unsigned long long>(r.size),
                     r.previous_size > 0 ? " and consistent with the last one" : "",
                     static_cast<unsigned long long>(r.entries_reported));
      }
      bool behind = monitor.state().next_index < r.size;
      if (args.once && !behind) return kExitOk;
      if (behind) continue;  // more entries to read right away
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(args.interval));
  }
}

}  // namespace

void RegisterLogClientCommands(CLI::App& app) {
  CLI::App* log = LogCommand(app);

  auto gp = std::make_shared<GetProofArgs>();
  auto* get_proof = log->add_subcommand(
      "get-proof", "print a c2sp.org/tlog-proof for an entry, from the log's verified tiles");
  get_proof->add_option("url", gp->url, "log URL (http://, https://) or directory")->required();
  get_proof->add_option("index", gp->index, "entry index")->required();
  get_proof->add_option("--key", gp->key, "the log's verifier key (or a file with it)");
  get_proof->add_option("--origin", gp->origin, "expected checkpoint origin");
  get_proof->add_option("-o,--output", gp->output, "write the proof to this file");
  get_proof->callback([gp] { ExitCode() = RunGetProof(*gp); });

  auto va = std::make_shared<VerifyArgs>();
  auto* verify = log->add_subcommand(
      "verify-inclusion",
      "check offline that an entry is in a log: exit 0 if verified, 1 with the reasons if not");
  verify->add_option("--entry", va->entry, "the entry file")->required()->check(CLI::ExistingFile);
  verify->add_option("--proof", va->proof, "its c2sp.org/tlog-proof file")
      ->required()
      ->check(CLI::ExistingFile);
  verify->add_option("--key", va->key, "the log's verifier key (or a file with it)")->required();
  verify->add_option("--origin", va->origin, "expected checkpoint origin");
  verify->add_option("--index", va->index, "the index the entry must have");
  verify->add_option("--witness", va->witnesses, "a witness's cosignature verifier key (repeat)");
  verify->add_option("--quorum", va->quorum, "how many --witness cosignatures are required");
  verify->callback([va] { ExitCode() = RunVerifyInclusion(*va); });

  auto ma = std::make_shared<MonitorArgs>();
  auto* monitor = log->add_subcommand(
      "monitor",
      "follow a log: verify each checkpoint and its consistency, report every new entry");
  monitor->add_option("url", ma->url, "log URL (http://, https://) or directory")->required();
  monitor->add_option("--key", ma->key, "the log's verifier key (or a file with it)")->required();
  monitor->add_option("--state", ma->state, "state file (last checkpoint, entries reported)")
      ->required();
  monitor->add_option("--origin", ma->origin, "expected checkpoint origin");
  monitor->add_option("--evidence", ma->evidence,
                      "where to write evidence of an inconsistency (default STATE.evidence)");
  monitor->add_option("--interval", ma->interval, "seconds between polls (default 10)")
      ->check(CLI::PositiveNumber);
  monitor->add_option("--max-entries", ma->max_entries, "entries read per round (default 100000)")
      ->check(CLI::PositiveNumber);
  monitor->add_flag("--once", ma->once, "catch up once and exit instead of following");
  monitor->callback([ma] { ExitCode() = RunMonitor(*ma); });
}

}  // namespace clearbox::cli
