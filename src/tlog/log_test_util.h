// Test helpers for the log's storage, sequencer, witness and server tests: a temporary
// directory, fresh keys, a config, and a blocking wrapper around Sequencer::Add.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>

#include "clearbox/crypto/note.h"
#include "clearbox/tlog/cosignature.h"
#include "clearbox/tlog/log_config.h"
#include "clearbox/tlog/sequencer.h"
#include "clearbox/tlog/storage.h"

namespace clearbox::tlog::testing {

// A fresh directory under the build tree, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::string(CLEARBOX_BINARY_DIR) + "/tmp-tlog-test-" + std::to_string(::getpid()) +
            "-" + std::to_string(counter++);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A log signer with its key name as the origin.
struct LogKeys {
  std::unique_ptr<crypto::Ed25519NoteSigner> signer;
  std::string vkey;
  std::string skey;
};

inline LogKeys NewLogKeys(const std::string& name = "example.com/test-log") {
  auto generated = crypto::GenerateNoteKey(name).value();
  LogKeys keys;
  keys.skey = generated.signer_key;
  keys.vkey = generated.verifier_key;
  keys.signer = crypto::Ed25519NoteSigner::FromSignerKey(keys.skey).value();
  return keys;
}

inline std::unique_ptr<crypto::Ed25519NoteSigner> CopySigner(const LogKeys& keys) {
  return crypto::Ed25519NoteSigner::FromSignerKey(keys.skey).value();
}

inline LogConfig NewConfig(const LogKeys& keys, uint32_t batch = 256,
                           std::chrono::milliseconds delay = std::chrono::milliseconds(5)) {
  LogConfig config;
  config.origin = keys.signer->name();
  config.log_key = keys.vkey;
  config.batch_max_entries = batch;
  config.batch_max_delay = delay;
  return config;
}

// Opens `dir` as a new log with `config` (no checkpoint yet: the sequencer publishes one).
inline std::unique_ptr<LogStorage> NewLogStorage(const std::string& dir, const LogConfig& config) {
  auto storage = OpenDirectoryStorage(dir, /*create=*/true).value();
  EXPECT_TRUE(storage->WriteConfig(config).ok());
  return storage;
}

inline Bytes Entry(const std::string& text) { return Bytes(text.begin(), text.end()); }

// Adds and waits for the answer (at most `timeout`).
inline Result<AddResult> AddAndWait(Sequencer& sequencer, Bytes entry,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto promise = std::make_shared<std::promise<Result<AddResult>>>();
  auto future = promise->get_future();
  sequencer.Add(std::move(entry),
                [promise](Result<AddResult> r) { promise->set_value(std::move(r)); });
  if (future.wait_for(timeout) != std::future_status::ready) {
    return Error::Unavailable("test: no answer within the timeout");
  }
  return future.get();
}

}  // namespace clearbox::tlog::testing
