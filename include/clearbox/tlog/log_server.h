// The log's HTTP API, independent of any HTTP library: the front end (server/) parses the
// wire format and calls Handle; this decides what each request means.
//
//   POST /add           body = the entry (at most max_entry_size bytes, else 413). With
//                       submitters configured the request must carry a Clearbox-Submitter
//                       header (submission.h), else 403. Answered once the entry is durable
//                       and covered by a published checkpoint: 200 with a
//                       c2sp.org/tlog-proof@v1 body and a Clearbox-Log-Index header.
//                       Identical entries get the same index back. 503 (Retry-After) when the
//                       log is busy, shutting down, or its witnesses did not cosign.
//   GET|HEAD /checkpoint                     the latest checkpoint (Cache-Control: no-cache)
//   GET|HEAD /tile/<L>/<N>[.p/<W>]           hash tiles, as files of the log's storage
//   GET|HEAD /tile/entries/<N>[.p/<W>]       entry bundles
//                       full tiles and bundles: "public, max-age=31536000, immutable";
//                       partial ones: "public, max-age=60" (they may be deleted once full).
// Anything else: 404 (unknown path) or 405 (wrong method). Only canonical tile paths are
// served, so no request can name a file outside the tiles.
//
// Thread-safe: Handle may be called from many threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "clearbox/crypto/note.h"
#include "clearbox/tlog/log_config.h"
#include "clearbox/tlog/sequencer.h"
#include "clearbox/tlog/storage.h"

namespace clearbox::tlog {

struct LogRequest {
  std::string_view method;     // "GET", "HEAD", "POST"
  std::string_view target;     // "/tile/0/000" (a query string is ignored)
  std::string_view submitter;  // the Clearbox-Submitter header, "" if absent
  std::string body;
};

struct LogResponse {
  int status = 200;
  // Literals (static storage): a response is built without allocating for them.
  std::string_view content_type = "text/plain; charset=utf-8";
  std::string_view cache_control = "no-store";
  std::shared_ptr<const std::string> body;  // never null once finished
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the response is not complete yet: run FinishResponse on the thread that writes
  // the answer. An add's answer (status, headers, proof text) is built there, not on the
  // sequencer's thread, which only hands the result over.
  std::function<void(LogResponse&)> finish;
};

// Completes a response (runs and clears `finish`); a no-op for a complete one.
inline void FinishResponse(LogResponse& response) {
  if (!response.finish) return;
  auto finish = std::move(response.finish);
  response.finish = nullptr;
  finish(response);
}

struct LogServerOptions {
  // Bytes of tiles kept in memory (their contents never change once written).
  size_t file_cache_bytes = 64 << 20;
};

class LogServer {
 public:
  // `storage` and `sequencer` must outlive the server. Errors: kInvalidInput (a submitter key
  // in the config does not parse).
  static Result<std::unique_ptr<LogServer>> Create(LogStorage& storage, Sequencer& sequencer,
                                                   const LogConfig& config,
                                                   LogServerOptions options = {});

  // Answers one request through `done` (called exactly once, maybe on another thread).
  void Handle(LogRequest request, std::function<void(LogResponse)> done);

  // True when anyone may add entries (no submitters configured): say so loudly at start-up.
  bool open_to_anyone() const { return submitters_.empty(); }

 private:
  LogServer(LogStorage& storage, Sequencer& sequencer, const LogConfig& config,
            LogServerOptions options)
      : storage_(storage), sequencer_(sequencer), config_(config), options_(options) {}
  LogResponse Read(std::string_view path);
  void Add(LogRequest request, std::function<void(LogResponse)> done);
  std::shared_ptr<const std::string> CachedFile(const std::string& path);
  void CacheFile(const std::string& path, std::shared_ptr<const std::string> data);

  LogStorage& storage_;
  Sequencer& sequencer_;
  const LogConfig config_;
  const LogServerOptions options_;
  std::vector<std::unique_ptr<crypto::NoteVerifier>> submitter_keys_;
  std::vector<const crypto::NoteVerifier*> submitters_;

  // LRU cache of tile files: path -> bytes.
  std::mutex cache_mu_;
  std::list<std::string> lru_;  // front = most recent
  struct CacheEntry {
    std::shared_ptr<const std::string> data;
    std::list<std::string>::iterator lru;
  };
  std::unordered_map<std::string, CacheEntry> cache_;
  size_t cache_bytes_ = 0;
};

}  // namespace clearbox::tlog
