// HttpClient: Boost.Beast over a TCP stream, or over Boost.Asio SSL (OpenSSL) for https.
// The only file of the library that includes Beast or Asio (see the header for why).
#include "clearbox/net/http_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <charconv>
#include <optional>

namespace clearbox::net {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

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

// A space or a control character would let a URL (or a redirect's Location) smuggle a
// second request line or header into ours.
bool HasSpaceOrControl(std::string_view s) {
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f) return true;
  }
  return false;
}

// "/a/b/../c/./d" -> "/a/c/d" (RFC 3986 section 5.2.4) for a path starting with '/';
// a query after it is kept as it is.
std::string RemoveDotSegments(std::string_view path_and_query) {
  size_t q = path_and_query.find('?');
  std::string_view path = path_and_query.substr(0, q);
  std::string_view query = q == std::string_view::npos ? "" : path_and_query.substr(q);
  std::vector<std::string_view> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    bool last = slash == std::string_view::npos;
    std::string_view segment = path.substr(start, last ? std::string_view::npos : slash - start);
    if (segment == "." || segment == "..") {
      if (segment == ".." && !out.empty()) out.pop_back();
      if (last) out.emplace_back();  // "/a/.." is the directory "/"
    } else {
      out.push_back(segment);
    }
    if (last) break;
    start = slash + 1;
  }
  std::string result;
  for (std::string_view segment : out) {
    result += '/';
    result += segment;
  }
  if (result.empty()) result = "/";
  result += query;
  return result;
}

bool IsIpAddress(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

std::string Url::Origin() const {
  std::string out = tls ? "https://" : "http://";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) out += ":" + std::to_string(port);
  return out;
}

Result<Url> ParseUrl(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return Error::InvalidInput("URL '" + std::string(url) + "': " + std::string(why));
  };
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return bad("expected http://HOST[:PORT][/PATH] or https://...");
  }
  Url out;
  std::string_view scheme = url.substr(0, scheme_end);
  if (EqualsIgnoreCase(scheme, "https")) {
    out.tls = true;
  } else if (!EqualsIgnoreCase(scheme, "http")) {
    return bad("only http:// and https:// are supported");
  }
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('#'));
  if (HasSpaceOrControl(rest)) return bad("contains a space or a control character");
  size_t path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? "" : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos) return bad("user info is not supported");

  std::string_view host = authority;
  std::string_view port_text;
  if (host.starts_with('[')) {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return bad("no ']' after the IPv6 address");
    std::string_view after = host.substr(close + 1);
    if (!after.empty() && after.front() != ':') return bad("unexpected text after ']'");
    if (!after.empty()) port_text = after.substr(1);
    host = host.substr(1, close - 1);
  } else if (size_t colon = host.find(':'); colon != std::string_view::npos) {
    port_text = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  out.port = out.tls ? 443 : 80;
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return bad("bad port '" + std::string(port_text) + "'");
    }
    out.port = static_cast<uint16_t>(port);
  }
  if (host.empty()) return bad("no host");
  out.host = std::string(host);
  out.path = path.starts_with('?') ? "/" + std::string(path) : std::string(path);
  return out;
}

Result<Url> ResolveUrl(const Url& base, std::string_view reference) {
  reference = reference.substr(0, reference.find('#'));
  // An absolute URL: a scheme (letters, digits, + - .) and ':' before any '/' or '?'.
  size_t colon = reference.find(':');
  if (colon != std::string_view::npos && colon > 0 && colon < reference.find_first_of("/?") &&
      std::isalpha(static_cast<unsigned char>(reference[0]))) {
    bool scheme = true;
    for (char c : reference.substr(0, colon)) {
      scheme = scheme &&
               (std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.');
    }
    if (scheme) return ParseUrl(reference);
  }
  if (reference.starts_with("//")) {
    return ParseUrl((base.tls ? "https:" : "http:") + std::string(reference));
  }
  if (HasSpaceOrControl(reference)) {
    return Error::InvalidInput("redirect '" + std::string(reference) +
                               "': contains a space or a control character");
  }
  Url out = base;
  std::string_view base_path = std::string_view(base.path).substr(0, base.path.find('?'));
  if (reference.empty()) {
    out.path = base.path;
  } else if (reference.starts_with('?')) {
    out.path = std::string(base_path.empty() ? "/" : base_path) + std::string(reference);
  } else if (reference.starts_with('/')) {
    out.path = RemoveDotSegments(reference);
  } else {
    size_t dir_end = base_path.rfind('/');
    std::string merged =
        dir_end == std::string_view::npos ? "/" : std::string(base_path.substr(0, dir_end + 1));
    out.path = RemoveDotSegments(merged + std::string(reference));
  }
  return out;
}

std::string_view HttpClientResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return {};
}

struct HttpClient::Impl {
  Url url;
  std::string host_header;
  HttpClientOptions options;
  asio::io_context ioc{1};
  std::unique_ptr<ssl::context> tls;  // https only
  // The connection: one of the two, or neither.
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;

  bool Connected() const { return plain || secure; }
  void Close() {
    secure.reset();
    plain.reset();
    buffer.clear();
  }
  beast::tcp_stream& Tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  // Runs the io_context until the pending operation completes; the stream's timer (set to
  // the request's deadline) bounds it, so this never hangs.
  void RunPending() {
    ioc.restart();
    ioc.run();
  }

  std::string Describe(const beast::error_code& ec) const {
    if (ec == beast::error::timeout) {
      return "no answer within " + std::to_string(options.timeout.count()) + " ms";
    }
    return ec.message();
  }

  // Opens a new connection (and for https does the handshake, checking the certificate
  // against the CA store and the URL's host) by `deadline`.
  Status Connect(Clock::time_point deadline, const std::string& where) {
    Close();
    beast::error_code ec;
    tcp::resolver resolver(ioc);
    auto endpoints = resolver.resolve(url.host, std::to_string(url.port), ec);
    if (ec) return Error::Unavailable(where + ": cannot resolve " + url.host + ": " + ec.message());
    beast::tcp_stream stream(ioc);
    stream.expires_at(deadline);
    stream.async_connect(endpoints, [&ec](beast::error_code e, const tcp::endpoint&) { ec = e; });
    RunPending();
    if (!ec) stream.socket().set_option(tcp::no_delay(true), ec);
    if (ec) return Error::Unavailable(where + ": cannot connect: " + Describe(ec));
    if (!tls) {
      plain.emplace(std::move(stream));
      return Status::Ok();
    }

    secure.emplace(std::move(stream), *tls);
    SSL* handle = secure->native_handle();
    // The host check is OpenSSL's own (X509_check_host / X509_check_ip, as
    // asio::ssl::host_name_verification calls them) set on the connection's verify
    // parameters, so that a mismatch is reported as such (X509_V_ERR_HOSTNAME_MISMATCH)
    // instead of a bare "certificate verify failed".
    X509_VERIFY_PARAM* param = SSL_get0_param(handle);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    bool ok;
    if (IsIpAddress(url.host)) {
      ok = X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str()) == 1;
    } else {
      ok = X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), url.host.size()) == 1 &&
           SSL_set_tlsext_host_name(handle, url.host.c_str()) == 1;  // SNI
    }
    if (!ok) {
      ERR_clear_error();
      Close();
      return Error::InvalidInput(where + ": cannot check a certificate for host " + url.host);
    }
    secure->async_handshake(ssl::stream_base::client, [&ec](beast::error_code e) { ec = e; });
    RunPending();
    if (!ec) return Status::Ok();
    long verify = SSL_get_verify_result(handle);
    ERR_clear_error();
    Close();
    if (verify != X509_V_OK) {
      return Error::VerificationFailed(where + ": the server's certificate is not accepted: " +
                                       X509_verify_cert_error_string(verify));
    }
    return Error::Unavailable(where + ": TLS handshake failed: " + Describe(ec));
  }

  // One exchange on the current connection. `answered` tells whether any of the answer
  // arrived (after which a retry could repeat a request the server already acted on).
  template <class Stream>
  beast::error_code Exchange(Stream& stream, const http::request<http::string_body>& request,
                             http::response_parser<http::string_body>& parser,
                             uint64_t max_body_bytes, bool& answered) {
    beast::error_code ec;
    answered = false;
    http::async_write(stream, request, [&ec](beast::error_code e, size_t) { ec = e; });
    RunPending();
    if (ec) return ec;
    size_t received = 0;
    auto done = [&](beast::error_code e, size_t n) {
      ec = e;
      received += n;
    };
    // The header first, and its Content-Length checked here: Beast 1.74 loses the parser's
    // body_limit error when the body arrives in the same read as the header, and would then
    // read a body of any declared length. (Chunked and read-to-close bodies are bounded by
    // body_limit as they arrive.)
    http::async_read_header(stream, buffer, parser, done);
    RunPending();
    answered = received > 0 || parser.got_some();
    if (ec) return ec;
    if (auto length = parser.content_length(); length && *length > max_body_bytes) {
      return http::error::body_limit;
    }
    if (parser.is_done()) return ec;
    http::async_read(stream, buffer, parser, done);
    RunPending();
    return ec;
  }
};

HttpClient::HttpClient(std::string base_url, std::unique_ptr<Impl> impl)
    : base_url_(std::move(base_url)), impl_(std::move(impl)) {}

HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::Create(std::string_view base_url,
                                                       HttpClientOptions options) {
  CLEARBOX_ASSIGN_OR_RETURN(Url url, ParseUrl(base_url));
  while (!url.path.empty() && url.path.back() == '/') url.path.pop_back();
  auto impl = std::make_unique<Impl>();
  if (url.tls) {
    impl->tls = std::make_unique<ssl::context>(ssl::context::tls_client);
    SSL_CTX* ctx = impl->tls->native_handle();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    impl->tls->set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    if (options.ca_file.empty()) {
      impl->tls->set_default_verify_paths(ec);
    } else {
      impl->tls->load_verify_file(options.ca_file, ec);
    }
    ERR_clear_error();
    if (ec && !options.ca_file.empty()) {
      return Error::InvalidInput("CA file " + options.ca_file + ": " + ec.message());
    }
    if (ec) return Error::Internal("cannot use the system's CA store: " + ec.message());
  }
  std::string origin = url.Origin();
  impl->host_header = origin.substr(origin.find("://") + 3);
  impl->url = std::move(url);
  impl->options = std::move(options);
  std::string base(base_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(base), std::move(impl)));
}

Result<HttpClientResponse> HttpClient::Request(std::string_view method, std::string_view path,
                                               std::string_view body, const HttpHeaders& headers) {
  return Send(method, path, body, headers, impl_->options.max_response_bytes);
}

Result<HttpClientResponse> HttpClient::Get(std::string_view path, uint64_t max_body_bytes) {
  return Send("GET", path, {}, {}, max_body_bytes);
}

Result<HttpClientResponse> HttpClient::Send(std::string_view method, std::string_view path,
                                            std::string_view body, const HttpHeaders& headers,
                                            uint64_t max_body_bytes) {
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

  const Clock::time_point deadline = Clock::now() + impl.options.timeout;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = impl.Connected();
    if (!reused) CLEARBOX_RETURN_IF_ERROR(impl.Connect(deadline, where));
    impl.Tcp().expires_at(deadline);
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_body_bytes);
    parser.header_limit(64 * 1024);
    if (request.method() == http::verb::head) parser.skip(true);
    bool answered = false;
    beast::error_code ec =
        impl.secure ? impl.Exchange(*impl.secure, request, parser, max_body_bytes, answered)
                    : impl.Exchange(*impl.plain, request, parser, max_body_bytes, answered);
    if (!ec) {
      auto message = parser.release();
      HttpClientResponse out;
      out.status = static_cast<int>(message.result_int());
      for (const auto& field : message) {
        out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      }
      out.body = std::move(message.body());
      if (!message.keep_alive()) impl.Close();
      return out;
    }
    impl.Close();
    ERR_clear_error();
    if (ec == http::error::body_limit) {
      return Error::LimitExceeded(where + ": answer larger than " + std::to_string(max_body_bytes) +
                                  " bytes");
    }
    // A kept-alive connection the server closed in the meantime: try once more, fresh.
    if (reused && !answered) continue;
    if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
      return Error::InvalidInput(where + ": malformed HTTP answer: " + ec.message());
    }
    return Error::Unavailable(where + ": " + impl.Describe(ec));
  }
  return Error::Unavailable(where + ": connection closed twice before an answer");
}

}  // namespace clearbox::net
