#include "server/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <optional>

namespace clearbox::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, 8) == "https://") {
    return Error::Unsupported("URL '" + std::string(url) +
                              "': https is not supported; use http:// (TLS belongs in a reverse "
                              "proxy in front of the server)");
  }
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Error::InvalidInput("URL '" + std::string(url) +
                               "': expected http://HOST[:PORT][/PATH]");
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);

  HttpUrl out;
  out.path = std::string(path);
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    std::string_view port_text = authority.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return Error::InvalidInput("URL '" + std::string(url) + "': bad port '" +
                                 std::string(port_text) + "'");
    }
    out.port = static_cast<uint16_t>(port);
    authority = authority.substr(0, colon);
  }
  if (authority.size() >= 2 && authority.front() == '[' && authority.back() == ']') {
    authority = authority.substr(1, authority.size() - 2);
  }
  if (authority.empty()) return Error::InvalidInput("URL '" + std::string(url) + "': no host");
  out.host = std::string(authority);
  return out;
}

std::string_view HttpClientResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return {};
}

struct HttpClient::Impl {
  HttpUrl url;
  HttpClientOptions options;
  net::io_context ioc{1};
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::string host_header;

  // Runs the io_context until the pending operation completes; the stream's own timer
  // bounds it, so this never hangs.
  void RunPending() {
    ioc.restart();
    ioc.run();
  }

  beast::error_code Connect() {
    stream.reset();
    buffer.clear();
    beast::error_code ec;
    tcp::resolver resolver(ioc);
    auto endpoints = resolver.resolve(url.host, std::to_string(url.port), ec);
    if (ec) return ec;
    stream.emplace(ioc);
    stream->expires_after(options.timeout);
    stream->async_connect(endpoints, [&ec](beast::error_code e, const tcp::endpoint&) { ec = e; });
    RunPending();
    if (!ec) stream->socket().set_option(tcp::no_delay(true), ec);
    if (ec) stream.reset();
    return ec;
  }

  // One exchange on the current connection. `answered` tells whether any of the answer
  // arrived (after which a retry could repeat a request the server already acted on).
  beast::error_code Exchange(const http::request<http::string_body>& request,
                             HttpClientResponse& out, bool& answered) {
    beast::error_code ec;
    answered = false;
    stream->expires_after(options.timeout);
    http::async_write(*stream, request, [&ec](beast::error_code e, size_t) { ec = e; });
    RunPending();
    if (ec) return ec;

    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_response_bytes);
    parser.header_limit(64 * 1024);
    if (request.method() == http::verb::head) parser.skip(true);
    stream->expires_after(options.timeout);
    size_t received = 0;
    http::async_read(*stream, buffer, parser, [&](beast::error_code e, size_t n) {
      ec = e;
      received = n;
    });
    RunPending();
    answered = received > 0 || parser.got_some();
    if (ec) return ec;
    auto message = parser.release();
    out.status = static_cast<int>(message.result_int());
    out.headers.clear();
    for (const auto& field : message) {
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.body = std::move(message.body());
    if (!message.keep_alive()) stream.reset();
    return {};
  }
};

HttpClient::HttpClient(std::string base_url, std::unique_ptr<Impl> impl)
    : base_url_(std::move(base_url)), impl_(std::move(impl)) {}

HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::Create(std::string_view base_url,
                                                       HttpClientOptions options) {
  CLEARBOX_ASSIGN_OR_RETURN(HttpUrl url, ParseHttpUrl(base_url));
  auto impl = std::make_unique<Impl>();
  impl->host_header = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port != 80) impl->host_header += ":" + std::to_string(url.port);
  impl->url = std::move(url);
  impl->options = options;
  std::string base(base_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(base), std::move(impl)));
}

Result<HttpClientResponse> HttpClient::Request(std::string_view method, std::string_view path,
                                               std::string_view body, const HttpHeaders& headers) {
  Impl& impl = *impl_;
  const std::string target = impl.url.path + std::string(path);
  const std::string where = std::string(method) + " " + base_url_ + std::string(path);
  http::request<http::string_body> request;
  request.method_string(method);
  request.target(target.empty() ? "/" : target);
  request.version(11);
  request.set(http::field::host, impl.host_header);
  request.set(http::field::user_agent, "clearbox/0.1");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.keep_alive(true);
  if (!body.empty() || method == "POST" || method == "PUT") {
    request.body() = std::string(body);
    request.prepare_payload();
  }

  HttpClientResponse out;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = impl.stream.has_value();
    if (!reused) {
      if (beast::error_code ec = impl.Connect()) {
        return Error::Unavailable(where + ": cannot connect: " + ec.message());
      }
    }
    bool answered = false;
    beast::error_code ec = impl.Exchange(request, out, answered);
    if (!ec) return out;
    impl.stream.reset();
    if (ec == http::error::body_limit) {
      return Error::LimitExceeded(where + ": answer larger than " +
                                  std::to_string(impl.options.max_response_bytes) + " bytes");
    }
    // A kept-alive connection the server closed in the meantime: try once more, fresh.
    if (reused && !answered) continue;
    if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
      return Error::InvalidInput(where + ": malformed HTTP answer: " + ec.message());
    }
    return Error::Unavailable(where + ": " + ec.message());
  }
  return Error::Unavailable(where + ": connection closed twice before an answer");
}

}  // namespace clearbox::server
