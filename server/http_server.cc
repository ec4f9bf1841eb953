#include "server/http_server.h"

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <cstring>
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
// A connection's read buffer starts at this size and grows (for a long header) up to the
// header limit plus this much.
constexpr size_t kReadChunk = 4096;

using Executor = net::io_context::executor_type;  // concrete: no type-erased executor per op
using Socket = net::basic_stream_socket<tcp, Executor>;
using Acceptor = net::basic_socket_acceptor<tcp, Executor>;
using Timer = net::basic_waitable_timer<std::chrono::steady_clock,
                                        net::wait_traits<std::chrono::steady_clock>, Executor>;
using Clock = std::chrono::steady_clock;

std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

// What the parser keeps of one request: method and target, the header fields packed in one
// string (offsets, so that the string may grow), the body. Reused by the connection's
// requests, so its capacity stays.
struct ParsedRequest {
  std::string method, target, fields;
  std::vector<std::array<uint32_t, 4>> spans;  // name offset, name size, value offset, size
  int version = 11;
  bool head = false;
  bool expect_continue = false;

  void Clear() {
    method.clear();
    target.clear();
    fields.clear();
    spans.clear();
    version = 11;
    head = false;
    expect_continue = false;
  }
};

// A Beast parser that stores the request in a ParsedRequest (no per-field allocation, unlike
// http::request_parser's fields container) and the body in `body`.
class RequestParser final : public http::basic_parser<true> {
 public:
  RequestParser(ParsedRequest& request, std::string& body) : request_(request), body_(body) {}

 private:
  void on_request_impl(http::verb method, beast::string_view method_string,
                       beast::string_view target, int version, beast::error_code&) override {
    request_.method.assign(method_string.data(), method_string.size());
    request_.target.assign(target.data(), target.size());
    request_.version = version;
    request_.head = method == http::verb::head;
  }
  void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}
  void on_field_impl(http::field field, beast::string_view name, beast::string_view value,
                     beast::error_code&) override {
    if (field == http::field::expect && EqualsIgnoreCase(View(value), "100-continue")) {
      request_.expect_continue = true;  // curl and others wait for this before the body
    }
    auto& f = request_.fields;
    const auto name_at = static_cast<uint32_t>(f.size());
    f.append(name.data(), name.size());
    const auto value_at = static_cast<uint32_t>(f.size());
    f.append(value.data(), value.size());
    request_.spans.push_back({name_at, static_cast<uint32_t>(name.size()), value_at,
                              static_cast<uint32_t>(value.size())});
  }
  void on_header_impl(beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<uint64_t>& length, beast::error_code&) override {
    if (length) body_.reserve(*length);  // already checked against the body limit
  }
  size_t on_body_impl(beast::string_view data, beast::error_code&) override {
    body_.append(data.data(), data.size());
    return data.size();
  }
  void on_chunk_header_impl(uint64_t, beast::string_view, beast::error_code&) override {}
  size_t on_chunk_body_impl(uint64_t, beast::string_view data, beast::error_code&) override {
    body_.append(data.data(), data.size());
    return data.size();
  }
  void on_finish_impl(beast::error_code&) override {}

  ParsedRequest& request_;
  std::string& body_;
};

void AppendDecimal(std::string& out, uint64_t value) {
  char digits[20];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Socket socket, std::shared_ptr<ServerShared> shared)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        shared_(std::move(shared)),
        in_(kReadChunk) {
    ++shared_->connections;
  }
  ~Session() { --shared_->connections; }

  void Start() {
    deadline_ = Clock::now() + shared_->options.idle_timeout;
    ArmTimer();
    NextRequest();
  }

 private:
  // ---- idle deadline: one lazy timer; a request only moves deadline_ ----

  void ArmTimer() {
    timer_.expires_at(deadline_);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) { self->OnTimer(ec); });
  }

  void OnTimer(beast::error_code ec) {
    if (ec || closed_) return;  // cancelled: closed, or re-armed by Linger
    const auto now = Clock::now();
    if (busy_) {
      // The handler may take a while (an add waits for a checkpoint): not idle.
      deadline_ = now + shared_->options.idle_timeout;
    } else if (now >= deadline_) {
      return Close();  // idle, or too slow sending a request
    }
    ArmTimer();
  }

  // ---- reading and parsing ----

  void NextRequest() {
    request_.Clear();
    request_body_.clear();
    continue_sent_ = false;
    parser_.emplace(request_, request_body_);
    parser_->eager(true);
    parser_->header_limit(shared_->options.max_header_bytes);
    parser_->body_limit(shared_->options.max_body_bytes);
    deadline_ = Clock::now() + shared_->options.idle_timeout;
    Parse();  // a pipelined request may be buffered already
  }

  // Feeds the buffered bytes to the parser; dispatches a complete request or reads more.
  void Parse() {
    while (begin_ < end_) {
      beast::error_code ec;
      const size_t used = parser_->put(net::buffer(in_.data() + begin_, end_ - begin_), ec);
      begin_ += used;
      if (ec == http::error::need_more) break;
      if (ec) return OnParseError(ec);
      if (parser_->is_done()) return Dispatch();
      if (used == 0) break;
    }
    if (begin_ == end_) begin_ = end_ = 0;
    if (parser_->is_header_done() && request_.expect_continue && !continue_sent_) {
      continue_sent_ = true;
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(socket_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         if (ec) return self->Close();
                         self->ReadMore();
                       });
      return;
    }
    ReadMore();
  }

  void ReadMore() {
    if (end_ == in_.size()) {
      if (begin_ > 0) {  // keep the unparsed tail, at the front
        std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
      } else if (in_.size() < shared_->options.max_header_bytes + kReadChunk) {
        in_.resize(
            std::min<size_t>(in_.size() * 2, shared_->options.max_header_bytes + kReadChunk));
      } else {
        return Refuse(431, "request header fields too large");
      }
    }
    socket_.async_read_some(net::buffer(in_.data() + end_, in_.size() - end_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->Close();  // end of stream, reset, closed
                              self->end_ += n;
                              self->Parse();
                            });
  }

  void OnParseError(beast::error_code ec) {
    if (ec == http::error::body_limit) return Refuse(413, shared_->options.body_too_large_message);
    if (ec == http::error::header_limit) return Refuse(431, "request header fields too large");
    Refuse(400, "malformed HTTP request: " + ec.message());
  }

  void Dispatch() {
    keep_alive_ = parser_->keep_alive();
    head_ = request_.head;
    version_ = request_.version;
    HttpRequest request;
    request.method = request_.method;
    request.target = request_.target;
    request.headers = std::move(headers_);
    request.headers.clear();
    const std::string_view fields = request_.fields;
    for (const auto& [name_at, name_size, value_at, value_size] : request_.spans) {
      request.headers.emplace_back(fields.substr(name_at, name_size),
                                   fields.substr(value_at, value_size));
    }
    request.body = std::move(request_body_);
    busy_ = true;
    shared_->handler(std::move(request), [self = shared_from_this()](HttpResponse response) {
      // Runs inline when already on this connection's loop, else is queued to it.
      net::dispatch(self->socket_.get_executor(), [self, response = std::move(response)]() mutable {
        self->Write(std::move(response));
      });
    });
    // `request` is gone with the handler's call: keep its header vector's capacity.
    headers_ = std::move(request.headers);
  }

  // ---- writing ----

  void Refuse(int status, std::string message) {
    HttpResponse response = HttpResponse::Text(status, std::move(message));
    response.close_connection = true;
    Write(std::move(response));
  }

  void Write(HttpResponse response) {
    busy_ = false;
    if (closed_) return;
    if (response.finish) {
      auto finish = std::move(response.finish);
      response.finish = nullptr;
      finish(response);
    }
    body_ = response.body ? std::move(response.body) : EmptyBody();
    const bool close = response.close_connection || !keep_alive_;
    std::string& out = out_;
    out.clear();
    out.append("HTTP/1.1 ");
    AppendDecimal(out, static_cast<unsigned>(response.status));
    out.push_back(' ');
    const auto reason = http::obsolete_reason(http::int_to_status(response.status));
    out.append(reason.data(), reason.size());
    out.append("\r\nContent-Type: ")
        .append(response.content_type.empty() ? std::string_view("text/plain; charset=utf-8")
                                              : std::string_view(response.content_type));
    if (!response.cache_control.empty())
      out.append("\r\nCache-Control: ").append(response.cache_control);
    for (const auto& [name, value] : response.headers) {
      out.append("\r\n").append(name).append(": ").append(value);
    }
    // A HEAD answer carries the length, not the bytes.
    out.append("\r\nContent-Length: ");
    AppendDecimal(out, body_->size());
    if (close) {
      out.append("\r\nConnection: close");
    } else if (version_ < 11) {
      out.append("\r\nConnection: keep-alive");
    }
    out.append("\r\n\r\n");
    deadline_ = Clock::now() + shared_->options.idle_timeout;
    std::array<net::const_buffer, 2> buffers{net::buffer(out_),
                                             net::buffer(body_->data(), head_ ? 0 : body_->size())};
    net::async_write(socket_, buffers,
                     [self = shared_from_this(), close](beast::error_code ec, size_t) {
                       if (ec) return self->Close();
                       if (close) return self->Linger();
                       self->body_.reset();
                       self->NextRequest();
                     });
  }

  void Linger() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    deadline_ = Clock::now() + kDrainTime;
    ArmTimer();  // cancels the wait for the longer deadline
    drained_ = 0;
    Drain();
  }

  void Drain() {
    // Reuses the read buffer: nothing more is parsed on this connection.
    socket_.async_read_some(net::buffer(in_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kMaxDrainBytes) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  Socket socket_;
  Timer timer_;
  std::shared_ptr<ServerShared> shared_;
  Clock::time_point deadline_;
  // Bytes read: in_[begin_, end_) is not parsed yet.
  std::vector<char> in_;
  size_t begin_ = 0, end_ = 0;
  ParsedRequest request_;
  std::string request_body_;
  std::vector<std::pair<std::string_view, std::string_view>> headers_;
  std::optional<RequestParser> parser_;
  std::string out_;  // the response's status line and header fields
  std::shared_ptr<const std::string> body_;
  size_t drained_ = 0;
  int version_ = 11;
  bool keep_alive_ = true;
  bool head_ = false;
  bool busy_ = false;  // a request is with the handler
  bool continue_sent_ = false;
  bool closed_ = false;
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
    std::optional<Acceptor> acceptor;
    std::optional<net::steady_timer> retry_timer;
    std::thread thread;
  };

  std::shared_ptr<ServerShared> shared;
  std::vector<std::unique_ptr<Loop>> loops;
  uint16_t port = 0;
  std::atomic<bool> stopped{false};

  void Accept(Loop& loop) {
    loop.acceptor->async_accept([this, &loop](beast::error_code ec, Socket socket) {
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
    loop->acceptor.emplace(loop->ioc.get_executor());
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
