// clearbox log init | serve | add | witness: the writing half of the transparency log.
// Argument parsing and printing only; the work is in clearbox/tlog and server/.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "clearbox/core/file.h"
#include "clearbox/crypto/note.h"
#include "clearbox/net/http_client.h"
#include "clearbox/tlog/checkpoint.h"
#include "clearbox/tlog/cosignature.h"
#include "clearbox/tlog/log_config.h"
#include "clearbox/tlog/log_server.h"
#include "clearbox/tlog/proof.h"
#include "clearbox/tlog/sequencer.h"
#include "clearbox/tlog/storage.h"
#include "clearbox/tlog/submission.h"
#include "clearbox/tlog/witness.h"
#include "commands.h"
#include "common.h"
#include "log_add.h"
#include "release_inputs.h"
#include "server/log_http.h"

namespace clearbox::cli {

namespace {

// A key file holds one key line; surrounding white space is not part of it.
Result<std::string> ReadKeyFile(const std::string& path) {
  CLEARBOX_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, 64 * 1024));
  size_t begin = text.find_first_not_of(" \t\r\n");
  size_t end = text.find_last_not_of(" \t\r\n");
  if (begin == std::string::npos) return Error::InvalidInput(path + ": empty key file");
  return text.substr(begin, end - begin + 1);
}

void LogLine(const std::string& message) {
  std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  std::fprintf(stderr, "%s %s\n", stamp, message.c_str());
}

// Blocks SIGINT/SIGTERM in this thread and every thread started after it, so that the
// servers' threads never take them; WaitForSignal then receives them synchronously.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int WaitForSignal(const sigset_t& set) {
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

// ---- log init ----

struct InitArgs {
  std::string data, key, origin;
  std::vector<std::string> submitters, witnesses;
  uint32_t quorum = 0;
  bool quorum_set = false;
  uint32_t batch_max_entries = 4096;
  uint32_t batch_max_delay_ms = 20;
  uint32_t republish_interval_s = 300;
};

int RunInit(const InitArgs& args) {
  auto signer = LoadNoteSigner(args.key);
  if (!signer.ok()) return Fail(signer.error());
  tlog::LogConfig config;
  config.origin = args.origin;
  config.log_key = (*signer)->VerifierKeyText();
  config.submitters = args.submitters;
  for (const std::string& w : args.witnesses) {
    auto endpoint = tlog::ParseWitnessEndpoint(w);
    if (!endpoint.ok()) return Fail(endpoint.error());
    config.witnesses.push_back(*endpoint);
  }
  config.witness_quorum =
      args.quorum_set ? args.quorum : static_cast<uint32_t>(config.witnesses.size());
  config.batch_max_entries = args.batch_max_entries;
  config.batch_max_delay = std::chrono::milliseconds(args.batch_max_delay_ms);
  config.republish_interval = std::chrono::seconds(args.republish_interval_s);
  if (Status s = tlog::ValidateLogConfig(config); !s.ok()) return Fail(s.error());

  auto storage = tlog::OpenDirectoryStorage(args.data, /*create=*/true);
  if (!storage.ok()) return Fail(storage.error());
  if ((*storage)->ReadConfig().ok()) {
    return Fail(Error::AlreadyExists(args.data + " already holds a log; refusing to overwrite it"));
  }
  if (Status s = (*storage)->WriteConfig(config); !s.ok()) return Fail(s.error());
  // The empty tree's checkpoint, signed by the log, so that clients can find the origin and
  // key from the first moment. Witnesses cosign from the first checkpoint that grows it.
  tlog::Checkpoint empty{config.origin, 0, tlog::EmptyRootHash(), {}};
  const crypto::NoteSigner* signers[] = {signer->get()};
  auto note = tlog::SignCheckpoint(empty, signers);
  if (!note.ok()) return Fail(note.error());
  if (Status s = (*storage)->PublishCheckpoint(*note); !s.ok()) return Fail(s.error());

  std::printf("created log %s in %s\nlog key: %s\n", config.origin.c_str(), args.data.c_str(),
              config.log_key.c_str());
  if (config.submitters.empty()) {
    std::printf("warning: no --submitter keys: ANYONE who can reach the server may add entries\n");
  }
  for (const auto& w : config.witnesses)
    std::printf("witness: %s at %s\n", w.key.c_str(), w.url.c_str());
  if (!config.witnesses.empty()) {
    std::printf("witness quorum: %u of %zu\n", config.witness_quorum, config.witnesses.size());
  }
  return kExitOk;
}

// ---- log serve ----

struct ServeArgs {
  std::string data, key, listen = "127.0.0.1:8080";
  int threads = 2;
  uint32_t witness_timeout_ms = 5000;
};

int RunServe(const ServeArgs& args) {
  const sigset_t stop_signals = BlockStopSignals();
  tlog::DirectoryStorageOptions storage_options;
  storage_options.log = [](const std::string& line) { LogLine(line); };
  auto storage = tlog::OpenDirectoryStorage(args.data, /*create=*/false, storage_options);
  if (!storage.ok()) return Fail(storage.error());
  auto config = (*storage)->ReadConfig();
  if (!config.ok()) return Fail(config.error());
  auto signer = LoadNoteSigner(args.key);
  if (!signer.ok()) return Fail(signer.error());
  if ((*signer)->VerifierKeyText() != config->log_key) {
    return Fail(Error::InvalidInput(args.key + " is not this log's key (" + config->log_key + ")"));
  }
  if (config->submitters.empty()) {
    LogLine("WARNING: this log has no submitter keys: ANYONE who can reach " + args.listen +
            " may add entries. Re-create it with `clearbox log init --submitter VKEY` to restrict "
            "who may add.");
  }
  server::HttpWitnessTransport transport(std::chrono::milliseconds(args.witness_timeout_ms));
  tlog::SequencerOptions options;
  options.log = LogLine;
  auto sequencer = tlog::Sequencer::Start(**storage, *config, std::move(*signer), &transport,
                                          std::move(options));
  if (!sequencer.ok()) return Fail(sequencer.error());
  auto log = tlog::LogServer::Create(**storage, **sequencer, *config);
  if (!log.ok()) return Fail(log.error());
  server::HttpServerOptions http_options;
  http_options.listen = args.listen;
  http_options.threads = args.threads;
  auto http = server::StartLogHttpServer(**log, http_options);
  if (!http.ok()) return Fail(http.error());

  auto stats = (*sequencer)->stats();
  std::string host = args.listen.substr(0, args.listen.rfind(':'));
  std::printf("serving log %s (size %llu) on http://%s:%u\n", config->origin.c_str(),
              static_cast<unsigned long long>(stats.tree_size), host.c_str(), (*http)->port());
  std::fflush(stdout);

  int signal = WaitForSignal(stop_signals);
  LogLine(std::string("stopping on ") + (signal == SIGINT ? "SIGINT" : "SIGTERM"));
  (*http)->Stop();       // no new requests
  (*sequencer)->Stop();  // answer or fail what is pending (responders still valid)
  http->reset();
  return kExitOk;
}

// ---- log witness ----

struct WitnessArgs {
  std::string key, logs, listen = "127.0.0.1:8081", data;
  int threads = 2;
};

int RunWitness(const WitnessArgs& args) {
  const sigset_t stop_signals = BlockStopSignals();
  auto skey = ReadKeyFile(args.key);
  if (!skey.ok()) return Fail(skey.error());
  auto signer = tlog::CosignatureV1Signer::FromSignerKey(*skey);
  if (!signer.ok()) return Fail(signer.error().WithContext(args.key));
  auto logs_text = ReadTextFile(args.logs, 1 << 20);
  if (!logs_text.ok()) return Fail(logs_text.error());
  auto logs = tlog::ParseWitnessedLogs(*logs_text);
  if (!logs.ok()) return Fail(logs.error().WithContext(args.logs));
  auto witness = tlog::Witness::Open(args.data, std::move(*signer), *logs);
  if (!witness.ok()) return Fail(witness.error());
  server::HttpServerOptions options;
  options.listen = args.listen;
  options.threads = args.threads;
  auto http = server::StartWitnessHttpServer(**witness, options);
  if (!http.ok()) return Fail(http.error());
  std::string host = args.listen.substr(0, args.listen.rfind(':'));
  std::printf("witness key: %s\nwitnessing %zu log(s) on http://%s:%u\n",
              (*witness)->VerifierKey().c_str(), logs->size(), host.c_str(), (*http)->port());
  std::fflush(stdout);
  WaitForSignal(stop_signals);
  (*http)->Stop();
  return kExitOk;
}

}  // namespace

CLI::App* LogCommand(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App* s) { return s->get_name() == "log"; })) {
    return sub;
  }
  CLI::App* log = app.add_subcommand("log", "a witnessed transparency log (C2SP tlog-tiles)");
  log->require_subcommand(1);
  return log;
}

void RegisterLogCommands(CLI::App& app) {
  CLI::App* log = LogCommand(app);

  auto init_args = std::make_shared<InitArgs>();
  CLI::App* init = log->add_subcommand("init", "create a log in a directory");
  init->add_option("--data", init_args->data, "the log's directory")->required();
  init->add_option("--key", init_args->key, "the log's signer key file (clearbox key generate)")
      ->required();
  init->add_option("--origin", init_args->origin,
                   "the checkpoint origin, e.g. log.example/releases")
      ->required();
  init->add_option("--submitter", init_args->submitters,
                   "verifier key allowed to add entries (repeatable; none = anyone may add)");
  init->add_option("--witness", init_args->witnesses,
                   "witness as VKEY=URL (repeatable); checkpoints need their cosignatures");
  init->add_option("--witness-quorum", init_args->quorum,
                   "cosignatures required per checkpoint (default: all witnesses)")
      ->each([init_args](const std::string&) { init_args->quorum_set = true; });
  init->add_option("--batch-max-entries", init_args->batch_max_entries,
                   "most entries per batch (default 4096)");
  init->add_option("--batch-max-delay-ms", init_args->batch_max_delay_ms,
                   "longest wait for a batch to fill (default 20)");
  init->add_option("--republish-interval-s", init_args->republish_interval_s,
                   "with witnesses, refresh cosignatures of a quiet log this often (default 300)");
  init->callback([init_args] { ExitCode() = RunInit(*init_args); });

  auto serve_args = std::make_shared<ServeArgs>();
  CLI::App* serve = log->add_subcommand("serve", "serve a log: POST /add and the tiles");
  serve->add_option("--data", serve_args->data, "the log's directory")->required();
  serve->add_option("--key", serve_args->key, "the log's signer key file")->required();
  serve->add_option("--listen", serve_args->listen, "HOST:PORT (port 0: any free port)");
  serve->add_option("--threads", serve_args->threads, "HTTP threads (default 2)");
  serve->add_option("--witness-timeout-ms", serve_args->witness_timeout_ms,
                    "how long to wait for a witness (default 5000)");
  serve->callback([serve_args] { ExitCode() = RunServe(*serve_args); });

  auto add_args = std::make_shared<LogAddArgs>();
  CLI::App* add = log->add_subcommand("add", "submit entries; prints each entry's index");
  add->add_option("url", add_args->url, "the log's URL, http://HOST:PORT")->required();
  add->add_option("files", add_args->files, "entry files (at most 64 KiB each)")->required();
  add->add_option("--submitter-key", add_args->submitter_key,
                  "signer key file of a submitter the log lists");
  add->add_option("--origin", add_args->origin, "the log's origin (default: from its checkpoint)");
  add->add_option("--log-key", add_args->log_key, "verify each returned proof with this vkey");
  add->add_option("--proofs", add_args->proofs_dir, "write <file>.tlog-proof files here");
  add->callback([add_args] { ExitCode() = RunLogAdd(*add_args); });

  auto witness_args = std::make_shared<WitnessArgs>();
  CLI::App* witness = log->add_subcommand("witness", "run a C2SP tlog-witness (add-checkpoint)");
  witness->add_option("--key", witness_args->key, "the witness's signer key file")->required();
  witness->add_option("--logs", witness_args->logs, "logs to witness: lines 'log <vkey> [origin]'")
      ->required();
  witness->add_option("--listen", witness_args->listen, "HOST:PORT (port 0: any free port)");
  witness->add_option("--data", witness_args->data, "where the latest cosigned checkpoints live")
      ->required();
  witness->add_option("--threads", witness_args->threads, "HTTP threads (default 2)");
  witness->callback([witness_args] { ExitCode() = RunWitness(*witness_args); });
}

}  // namespace clearbox::cli
