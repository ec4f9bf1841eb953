#include "server/http_server.h"

#include <sys/socket.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <optional>
#include <thread>

namespace clearbox::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

const std::shared_ptr<const std::string>& EmptyBody() {
  static const auto* empty =
      new std::shared_ptr<const std::string>(std::make_shared<std::string>());
  return *empty;
}

// State every connection of one server shares (read-only after Start).
struct ServerShared {
  HttpServerOptions options;
  HttpHandler handler;
  std::atomic<uint32_t> connections{0};
};

// After a refused request the peer may still be sending its body. Closing a socket with
// unread data makes the kernel send RST, which can destroy the response in flight; so we
// stop sending, drain for a bounded time and amount, then close.
constexpr size_t kMaxDrainBytes = 4 << 20;
constexpr std::chrono::seconds kDrainTime{2};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<ServerShared> shared)
      : executor_(socket.get_executor()), stream_(std::move(socket)), shared_(std::move(shared)) {
    ++shared_->connections;
  }
  ~Session() { --shared_->connections; }

  void Start() { ReadNext(); }

 private:
  void ReadNext() {
    parser_.emplace();
    parser_->header_limit(shared_->options.max_header_bytes);
    parser_->body_limit(shared_->options.max_body_bytes);
    stream_.expires_after(shared_->options.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    head_ = req.method() == http::verb::head;
    if (auto length = parser_->content_length();
        length && *length > shared_->options.max_body_bytes) {
      return Refuse(413, shared_->options.body_too_large_message);
    }
    if (parser_->is_done()) return Dispatch();
    if (EqualsIgnoreCase(req[http::field::expect], "100-continue")) {
      // curl and others wait for this before sending a body.
      continue_.emplace(http::status::continue_, 11);
      http::async_write(stream_, *continue_,
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->OnReadError(ec);
                       self->Dispatch();
                     });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) return Refuse(413, shared_->options.body_too_large_message);
    if (ec == http::error::header_limit) return Refuse(431, "request header fields too large");
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) return Close();
    if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
      return Refuse(400, "malformed HTTP request: " + ec.message());
    }
    Close();  // timeout, reset, shutdown
  }

  void Dispatch() {
    auto& req = parser_->get();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    for (const auto& field : req) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(req.body());
    stream_.expires_never();  // the handler may take a while (an add waits for a checkpoint)
    auto self = shared_from_this();
    shared_->handler(std::move(request), [self](HttpResponse response) {
      // Runs inline when already on this connection's loop, else is queued to it.
      net::dispatch(self->executor_, [self, response = std::move(response)]() mutable {
        self->Write(std::move(response));
      });
    });
  }

  void Refuse(int status, std::string message) {
    HttpResponse response = HttpResponse::Text(status, std::move(message));
    response.close_connection = true;
    Write(std::move(response));
  }

  void Write(HttpResponse response) {
    if (response.finish) {
      auto finish = std::move(response.finish);
      response.finish = nullptr;
      finish(response);
    }
    body_ = response.body ? std::move(response.body) : EmptyBody();
    response_.emplace();
    auto& res = *response_;
    res.version(11);
    res.result(static_cast<unsigned>(response.status));
    res.set(http::field::content_type, response.content_type);
    if (!response.cache_control.empty())
      res.set(http::field::cache_control, response.cache_control);
    for (const auto& [name, value] : response.headers) res.set(name, value);
    const bool close = response.close_connection || !keep_alive_;
    res.keep_alive(!close);
    if (head_) {
      res.content_length(body_->size());  // a HEAD answer carries the length, not the bytes
    } else {
      res.body() = http::span_body<const char>::value_type(body_->data(), body_->size());
      res.prepare_payload();
    }
    stream_.expires_after(shared_->options.idle_timeout);
    http::async_write(stream_, res,
                      [self = shared_from_this(), close](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        if (close) return self->Linger();
                        self->ReadNext();
                      });
  }

  void Linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kDrainTime);
    drained_ = 0;
    Drain();
  }

  void Drain() {
    drain_buffer_.resize(16 * 1024);
    stream_.async_read_some(net::buffer(drain_buffer_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kMaxDrainBytes) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  net::any_io_executor executor_;
  beast::tcp_stream stream_;
  std::shared_ptr<ServerShared> shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::response<http::span_body<const char>>> response_;
  std::shared_ptr<const std::string> body_;
  std::vector<char> drain_buffer_;
  size_t drained_ = 0;
  bool keep_alive_ = true;
  bool head_ = false;
};

using ReusePort = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

}  // namespace

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return {};
}

HttpResponse HttpResponse::Text(int status, std::string message) {
  if (message.empty() || message.back() != '\n') message.push_back('\n');
  HttpResponse response;
  response.status = status;
  response.body = std::make_shared<const std::string>(std::move(message));
  response.cache_control = "no-store";
  return response;
}

Result<std::pair<std::string, uint16_t>> ParseHostPort(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return Error::InvalidInput("listen address '" + std::string(text) + "': expected HOST:PORT");
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535 ||
      port_text.empty()) {
    return Error::InvalidInput("listen address '" + std::string(text) + "': bad port '" +
                               std::string(port_text) + "'");
  }
  return std::pair<std::string, uint16_t>(host.empty() ? "0.0.0.0" : std::string(host),
                                          static_cast<uint16_t>(port));
}

struct HttpServer::Impl {
  struct Loop {
    net::io_context ioc{1};  // one thread per loop: no locking inside Asio
    std::optional<tcp::acceptor> acceptor;
    std::optional<net::steady_timer> retry_timer;
    std::thread thread;
  };

  std::shared_ptr<ServerShared> shared;
  std::vector<std::unique_ptr<Loop>> loops;
  uint16_t port = 0;
  std::atomic<bool> stopped{false};

  void Accept(Loop& loop) {
    loop.acceptor->async_accept([this, &loop](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !loop.acceptor->is_open()) return;
      if (ec) {
        // Out of descriptors or similar: back off instead of spinning.
        loop.retry_timer.emplace(loop.ioc, std::chrono::milliseconds(50));
        loop.retry_timer->async_wait([this, &loop](beast::error_code wait_ec) {
          if (!wait_ec) Accept(loop);
        });
        return;
      }
      beast::error_code ignored;
      if (shared->connections.load() >= shared->options.max_connections) {
        socket.close(ignored);  // over the limit: refuse without spending memory on it
      } else {
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Session>(std::move(socket), shared)->Start();
      }
      Accept(loop);
    });
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

uint16_t HttpServer::port() const { return impl_->port; }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      HttpHandler handler) {
  CLEARBOX_ASSIGN_OR_RETURN(auto host_port, ParseHostPort(options.listen));
  auto impl = std::make_unique<Impl>();
  auto shared = std::make_shared<ServerShared>();
  shared->options = options;
  shared->handler = std::move(handler);
  impl->shared = shared;

  beast::error_code ec;
  tcp::endpoint endpoint;
  auto address = net::ip::make_address(host_port.first, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, host_port.second);
  } else {
    net::io_context resolver_context;
    tcp::resolver resolver(resolver_context);
    auto results = resolver.resolve(host_port.first, std::to_string(host_port.second), ec);
    if (ec || results.empty()) {
      return Error::InvalidInput("listen address '" + options.listen +
                                 "': cannot resolve host: " + ec.message());
    }
    endpoint = results.begin()->endpoint();
  }

  const int threads = std::max(1, options.threads);
  for (int i = 0; i < threads; ++i) {
    auto loop = std::make_unique<Impl::Loop>();
    loop->acceptor.emplace(loop->ioc);
    auto& acceptor = *loop->acceptor;
    auto fail = [&](const char* what) {
      return Error::Io(std::string(what) + " " + options.listen + ": " + ec.message());
    };
    acceptor.open(endpoint.protocol(), ec);
    if (ec) return fail("open socket for");
    acceptor.set_option(net::socket_base::reuse_address(true), ec);
    acceptor.set_option(ReusePort(true), ec);
    acceptor.bind(endpoint, ec);
    if (ec) return fail("bind");
    acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return fail("listen on");
    if (i == 0) {
      impl->port = acceptor.local_endpoint().port();
      endpoint.port(impl->port);  // port 0: the others join the port the first one got
    }
    impl->loops.push_back(std::move(loop));
  }
  for (auto& loop : impl->loops) {
    impl->Accept(*loop);
    loop->thread = std::thread([&ioc = loop->ioc] { ioc.run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

void HttpServer::Stop() {
  if (impl_->stopped.exchange(true)) return;
  for (auto& loop : impl_->loops) loop->ioc.stop();
  for (auto& loop : impl_->loops) {
    if (loop->thread.joinable()) loop->thread.join();
    beast::error_code ignored;
    loop->acceptor->close(ignored);  // the loop is joined: safe to touch, frees the port now
  }
}

}  // namespace clearbox::server
