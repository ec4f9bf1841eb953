// A small blocking HTTP/1.1 client (Boost.Beast inside the .cc) for `clearbox log add`, the
// log's calls to witnesses, and tests. Plain http:// only: put TLS in front of a log with a
// reverse proxy.
//
//   CLEARBOX_ASSIGN_OR_RETURN(auto client, HttpClient::Create("http://127.0.0.1:8080"));
//   CLEARBOX_ASSIGN_OR_RETURN(auto response, client->Request("POST", "/add", entry));
//   if (response.status != 200) ...
//
// A non-2xx answer is a response, not an error: the caller decides what a status means.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clearbox/core/result.h"

namespace clearbox::server {

struct HttpUrl {
  std::string host;
  uint16_t port = 80;
  std::string path;  // without a trailing slash; "" for the root
};

// Parses "http://host[:port][/path]". kInvalidInput naming the URL otherwise (https:// is
// kUnsupported, with advice).
Result<HttpUrl> ParseHttpUrl(std::string_view url);

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpClientResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;

  // The first header with this name (case-insensitive), or "".
  std::string_view Header(std::string_view name) const;
};

struct HttpClientOptions {
  std::chrono::milliseconds timeout{30000};  // for each connect, write and read
  uint64_t max_response_bytes = 32 << 20;    // a full entry bundle is at most 16 MiB
};

// One keep-alive connection to one server, reopened when needed. Not thread-safe: use one
// client per thread.
class HttpClient {
 public:
  // Errors: those of ParseHttpUrl. Does not connect yet.
  static Result<std::unique_ptr<HttpClient>> Create(std::string_view base_url,
                                                    HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request to base_url + path ("/add") and reads the answer. A request that fails
  // on a reused connection before any answer arrives is retried once on a new connection.
  // Errors: kUnavailable (connect, send or receive failed or timed out, naming the URL),
  // kLimitExceeded (answer larger than max_response_bytes), kInvalidInput (not HTTP).
  Result<HttpClientResponse> Request(std::string_view method, std::string_view path,
                                     std::string_view body = {}, const HttpHeaders& headers = {});

  const std::string& base_url() const { return base_url_; }

 private:
  struct Impl;
  HttpClient(std::string base_url, std::unique_ptr<Impl> impl);
  std::string base_url_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace clearbox::server
