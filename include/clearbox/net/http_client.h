// A small blocking HTTP/1.1 client over http:// and https://, for the tlog client
// (OpenLogFetcher: checkpoints and tiles), `clearbox log add`, the log's calls to its
// witnesses, and tests.
//
//   CLEARBOX_ASSIGN_OR_RETURN(auto client, HttpClient::Create("https://log.example/prefix"));
//   CLEARBOX_ASSIGN_OR_RETURN(auto response, client->Request("POST", "/add", entry));
//   if (response.status != 200) ...
//
// A non-2xx answer is a response, not an error: the caller decides what a status means.
// Redirects are answers too (the caller follows them with ResolveUrl; OpenLogFetcher does).
//
// Why a module of its own: the library's tlog client must read logs over http(s) (the device
// gate calls LogClient::Open with a URL), and the server's witness calls and `log add` need
// the same client. This module is the one place below the front ends that uses Boost.Beast
// and Boost.Asio SSL (over OpenSSL, which core links already), and they stay inside
// src/net/http_client.cc: no Boost header is reachable from this header, so only that one
// translation unit pays for compiling them. It replaced libcurl, whose ~18 shared
// libraries cost every `clearbox` start about 9 ms in the dynamic loader.
//
// TLS: certificates are checked against the system CA store (or HttpClientOptions::ca_file)
// and against the URL's host name or IP address; the host name is sent as SNI. TLS 1.2 or
// later. No proxy support, no compression (no Accept-Encoding is sent), no cookies.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clearbox/core/result.h"

namespace clearbox::net {

// An http:// or https:// URL, split for connecting.
struct Url {
  bool tls = false;   // https
  std::string host;   // a DNS name or an IP address (IPv6 without the brackets)
  uint16_t port = 0;  // 80 or 443 unless given
  std::string path;   // path and query as given ("/a/b?q"), "" for none; no fragment

  // "https://host[:port]" with the port only if it is not the scheme's default.
  std::string Origin() const;
  std::string ToString() const { return Origin() + path; }
};

// Parses "http[s]://host[:port][/path][?query][#fragment]" (the fragment is dropped).
// Errors: kInvalidInput naming the URL (another scheme, user info, no host, a bad port).
Result<Url> ParseUrl(std::string_view url);

// The URL that `reference` (a redirect's Location: absolute, "//host/path", "/path",
// "relative/path" or "?query") names relative to `base`, with "." and ".." segments removed
// (RFC 3986 section 5). Errors: ParseUrl's, so a scheme other than http and https is
// kInvalidInput.
Result<Url> ResolveUrl(const Url& base, std::string_view reference);

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpClientResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;

  // The first header with this name (case-insensitive), or "".
  std::string_view Header(std::string_view name) const;
};

struct HttpClientOptions {
  // For one request as a whole: connecting (and the TLS handshake on a new connection),
  // sending and receiving. Name resolution is the system's and is not bounded by it.
  std::chrono::milliseconds timeout{30000};
  uint64_t max_response_bytes = 32 << 20;  // body; a full entry bundle is at most 16 MiB
  // https: trust only the CA certificates in this PEM file instead of the system store
  // (a private CA; tests). Empty: the system store.
  std::string ca_file;
};

// One keep-alive connection to one server, reopened when needed. Not thread-safe: use one
// client per thread.
class HttpClient {
 public:
  // Errors: those of ParseUrl; for https, kInvalidInput if ca_file cannot be loaded. Does
  // not connect yet.
  static Result<std::unique_ptr<HttpClient>> Create(std::string_view base_url,
                                                    HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request to base_url + path ("/add") and reads the answer. A request that fails
  // on a reused connection before any answer arrives is retried once on a new connection.
  // Errors: kUnavailable (connect, TLS handshake, send or receive failed or timed out, naming
  // the URL), kVerificationFailed (the server's certificate is not trusted or is for another
  // host: the reason), kLimitExceeded (a body larger than max_response_bytes), kInvalidInput
  // (not HTTP).
  Result<HttpClientResponse> Request(std::string_view method, std::string_view path,
                                     std::string_view body = {}, const HttpHeaders& headers = {});
  // A GET whose body may be at most `max_body_bytes` (instead of max_response_bytes).
  Result<HttpClientResponse> Get(std::string_view path, uint64_t max_body_bytes);

  // The base URL without trailing slashes.
  const std::string& base_url() const { return base_url_; }

 private:
  struct Impl;
  HttpClient(std::string base_url, std::unique_ptr<Impl> impl);
  Result<HttpClientResponse> Send(std::string_view method, std::string_view path,
                                  std::string_view body, const HttpHeaders& headers,
                                  uint64_t max_body_bytes);
  std::string base_url_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace clearbox::net
