// The log and the witness on HTTP: glue between server/http_server.h and the library's
// LogServer (clearbox/tlog/log_server.h) and Witness (clearbox/tlog/witness.h), plus the HTTP
// WitnessTransport the sequencer uses to reach witnesses.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "clearbox/net/http_client.h"
#include "clearbox/tlog/log_server.h"
#include "clearbox/tlog/witness.h"
#include "server/http_server.h"

namespace clearbox::server {

// Serves `log` (see log_server.h for the API). Bodies above 64 KiB are refused with 413
// before they are read. `log` must outlive the server.
Result<std::unique_ptr<HttpServer>> StartLogHttpServer(tlog::LogServer& log,
                                                       HttpServerOptions options);

// Serves POST /add-checkpoint (c2sp.org/tlog-witness) for `witness`, which must outlive the
// server.
Result<std::unique_ptr<HttpServer>> StartWitnessHttpServer(tlog::Witness& witness,
                                                           HttpServerOptions options);

// POSTs add-checkpoint requests over HTTP, one keep-alive connection per witness.
class HttpWitnessTransport : public tlog::WitnessTransport {
 public:
  explicit HttpWitnessTransport(std::chrono::milliseconds timeout) : timeout_(timeout) {}
  Result<tlog::WitnessAnswer> AddCheckpoint(const std::string& witness_url,
                                            const std::string& body) override;

 private:
  struct Connection {
    std::mutex mu;
    std::unique_ptr<net::HttpClient> client;
  };
  std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Connection>> connections_;
};

}  // namespace clearbox::server
