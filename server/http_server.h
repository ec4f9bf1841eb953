// A small HTTP/1.1 server for the log and witness front ends (Boost.Beast inside the .cc).
//
// The server owns the sockets and the wire format; the caller's Handler owns the meaning:
// it gets a parsed request and answers through a Responder, at once (static reads) or later
// from another thread (an add answered once the sequencer has published a checkpoint).
//
//   HttpServerOptions options;
//   options.listen = "127.0.0.1:0";
//   CLEARBOX_ASSIGN_OR_RETURN(auto server, HttpServer::Start(options, handler));
//   printf("listening on port %u\n", server->port());
//   ...
//   server->Stop();
//
// Threads: `threads` event loops, each with its own acceptor on the same port (SO_REUSEPORT),
// so connections spread over the cores without locks on the hot path. A connection stays on
// its loop; requests on one connection are handled one at a time, in order.
//
// Cost per request (the log's adds are small requests on many keep-alive connections): a
// connection reuses its read buffer, parser storage and response header text, so a request
// costs no allocation in the server itself; the response goes out in one gathering write;
// the idle deadline is a timestamp checked by one lazy timer per connection, not a timer
// re-armed per request.
//
// Hostile input: headers over max_header_bytes get 431 and the connection is closed; a body
// over max_body_bytes gets 413 with body_too_large_message (checked from Content-Length
// before any of the body is read, and while reading a chunked body); a malformed request
// gets 400; idle or slow connections are closed after idle_timeout; connections beyond
// max_connections are closed at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clearbox/core/result.h"

namespace clearbox::server {

// Method, target and headers view the connection's buffers: they are valid only during the
// handler's call (copy what must outlive it). The body is the request's own (move it out).
struct HttpRequest {
  std::string_view method;  // "GET", "HEAD", "POST", ...
  std::string_view target;  // the request target as sent: "/tile/0/x001/234"
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string body;

  // The value of the first header with this name (case-insensitive), or "" if absent.
  std::string_view Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;   // empty: "text/plain; charset=utf-8" (saves an allocation)
  std::string cache_control;  // omitted when empty
  // Shared so that cached files are served without a copy. Never null after Make*.
  std::shared_ptr<const std::string> body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool close_connection = false;  // answer, then close (used after a refused body)
  // When set, run on the connection's own loop just before the response is written, and may
  // rewrite it: work a Responder's thread should not do (an add's proof text is built here,
  // not on the sequencer's thread).
  std::function<void(HttpResponse&)> finish;

  // A plain-text response; a message body gets a trailing newline if it lacks one.
  static HttpResponse Text(int status, std::string message);
};

// Delivers the response for one request. Call exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;
// Called on a server thread for each request. Must not block for long: hand slow work to
// another thread and call the Responder from there.
using HttpHandler = std::function<void(HttpRequest&&, Responder)>;

struct HttpServerOptions {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free port
  int threads = 2;
  uint64_t max_body_bytes = 64 * 1024;
  uint32_t max_header_bytes = 16 * 1024;
  std::string body_too_large_message = "request body too large";
  std::chrono::seconds idle_timeout{60};
  // Connections beyond this are closed as soon as they are accepted (a flood costs no memory).
  uint32_t max_connections = 10000;
};

class HttpServer {
 public:
  // Binds and starts serving. Errors: kInvalidInput (bad listen address), kIo (bind/listen
  // failed, naming the address).
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   HttpHandler handler);
  ~HttpServer();  // Stops if still running.
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound TCP port (useful with port 0).
  uint16_t port() const;
  // Stops accepting, stops the loops and joins their threads. Responders called after Stop
  // are ignored, but none may be called after the server is destroyed: stop whatever holds
  // Responders (the sequencer) between Stop() and destruction. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Splits "HOST:PORT" ("[::1]:80", "localhost:8080", ":8080" = all interfaces).
// kInvalidInput naming the text on failure.
Result<std::pair<std::string, uint16_t>> ParseHostPort(std::string_view text);

}  // namespace clearbox::server
