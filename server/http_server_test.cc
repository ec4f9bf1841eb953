// server/http_server.cc on the wire: raw bytes in, raw bytes out, over loopback.
#include "server/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace clearbox::server {
namespace {

// Echoes what it parsed: "<method> <target> <header X-Probe> <body size>:<body>", answering
// from another thread, as the log's adds are answered. The threads are joined before the
// server is destroyed (a Responder must not outlive the server).
class Echo {
 public:
  explicit Echo(HttpServerOptions options = {}) {
    options.listen = "127.0.0.1:0";
    options.threads = 1;
    options.max_body_bytes = 1024;
    server_ = HttpServer::Start(options, [this](HttpRequest&& request, Responder respond) {
                std::string text = std::string(request.method) + " " + std::string(request.target) +
                                   " " + std::string(request.Header("x-probe")) + " " +
                                   std::to_string(request.body.size()) + ":" + request.body;
                HttpResponse response = HttpResponse::Text(200, text);
                response.headers.emplace_back("X-Echo", "1");
                std::lock_guard lock(mu_);
                threads_.emplace_back(
                    [respond = std::move(respond), response = std::move(response)]() mutable {
                      respond(std::move(response));
                    });
              }).value();
  }
  ~Echo() {
    server_->Stop();
    std::lock_guard lock(mu_);
    for (auto& t : threads_) t.join();
    threads_.clear();
    server_.reset();
  }
  uint16_t port() const { return server_->port(); }

 private:
  std::mutex mu_;
  std::vector<std::thread> threads_;
  std::unique_ptr<HttpServer> server_;
};

int Connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  timeval tv{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

void Send(int fd, std::string_view bytes) {
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), ssize_t(bytes.size()));
}

// Reads until `count` responses' ends ("\n" closing each echo body) or the peer closes.
std::string Receive(int fd, size_t count = SIZE_MAX) {
  std::string answer;
  char buf[4096];
  size_t seen = 0;
  while (seen < count) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    answer.append(buf, size_t(n));
    seen = 0;
    for (size_t at = 0; (at = answer.find("HTTP/1.1 ", at)) != std::string::npos; ++at) ++seen;
  }
  return answer;
}

size_t Count(const std::string& text, std::string_view what) {
  size_t n = 0;
  for (size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) ++n;
  return n;
}

TEST(HttpServerWire, AnswersPipelinedRequestsInOrder) {
  Echo http;
  int fd = Connect(http.port());
  Send(fd,
       "POST /a HTTP/1.1\r\nHost: x\r\nX-Probe: one\r\nContent-Length: 3\r\n\r\nabc"
       "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"
       "POST /c HTTP/1.1\r\nHost: x\r\nx-probe: three\r\nContent-Length: 0\r\n\r\n");
  std::string answer = Receive(fd, 3);
  size_t a = answer.find("POST /a one 3:abc"), b = answer.find("GET /b  0:"),
         c = answer.find("POST /c three 0:");
  ASSERT_NE(a, std::string::npos) << answer;
  ASSERT_NE(b, std::string::npos) << answer;
  ASSERT_NE(c, std::string::npos) << answer;
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(Count(answer, "X-Echo: 1\r\n"), 3u);
  EXPECT_EQ(Count(answer, "Connection: close"), 0u);
  ::close(fd);
}

TEST(HttpServerWire, ParsesARequestSentByteByByte) {
  Echo http;
  int fd = Connect(http.port());
  for (char c : std::string("PUT /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody")) {
    Send(fd, std::string(1, c));
  }
  std::string answer = Receive(fd, 1);
  EXPECT_NE(answer.find("PUT /slow  4:body"), std::string::npos) << answer;
  EXPECT_NE(answer.find("Content-Length: 18\r\n"), std::string::npos) << answer;
  ::close(fd);
}

TEST(HttpServerWire, ChunkedBodiesAndExpectContinue) {
  Echo http;
  int fd = Connect(http.port());
  Send(fd,
       "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
       "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  std::string answer = Receive(fd, 1);
  EXPECT_NE(answer.find("POST /chunked  5:abcde"), std::string::npos) << answer;
  // Expect: 100-continue: the interim answer first, then the body is read.
  Send(fd, "POST /later HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  char buf[64];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, size_t(n)), "HTTP/1.1 100 Continue\r\n\r\n");
  Send(fd, "ok");
  answer = Receive(fd, 1);
  EXPECT_NE(answer.find("POST /later  2:ok"), std::string::npos) << answer;
  ::close(fd);
}

TEST(HttpServerWire, KeepAliveFollowsTheRequest) {
  Echo http;
  int fd = Connect(http.port());
  Send(fd, "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  std::string answer = Receive(fd, 1);
  EXPECT_NE(answer.find("Connection: keep-alive\r\n"), std::string::npos) << answer;
  Send(fd, "HEAD /head HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  answer = Receive(fd);  // to the close
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 OK\r\n")) << answer;
  EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos) << answer;
  // A HEAD answer: the length of the body it would have, no body.
  EXPECT_NE(answer.find("Content-Length: 15\r\n"), std::string::npos) << answer;
  EXPECT_TRUE(answer.ends_with("\r\n\r\n")) << answer;
  ::close(fd);
}

TEST(HttpServerWire, RefusesWhatItShould) {
  Echo http;
  auto refused = [&](std::string_view request) {
    int fd = Connect(http.port());
    Send(fd, request);
    std::string answer = Receive(fd);  // answered, then closed
    ::close(fd);
    return answer;
  };
  EXPECT_TRUE(refused("GARBAGE\r\n\r\n").starts_with("HTTP/1.1 400 ")) << "garbage";
  EXPECT_TRUE(refused("GET / HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n")
                  .starts_with("HTTP/1.1 431 "));
  std::string announced = refused("POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n");
  EXPECT_TRUE(announced.starts_with("HTTP/1.1 413 ")) << announced;
  EXPECT_NE(announced.find("Connection: close\r\n"), std::string::npos) << announced;
  std::string chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) chunked += "200\r\n" + std::string(512, 'z') + "\r\n";
  EXPECT_TRUE(refused(chunked).starts_with("HTTP/1.1 413 "));
}

TEST(HttpServerWire, ClosesIdleConnections) {
  HttpServerOptions options;
  options.idle_timeout = std::chrono::seconds(1);
  Echo http(options);
  int fd = Connect(http.port());
  Send(fd, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(Receive(fd, 1).find("GET /1"), std::string::npos);
  Send(fd, "GET /2 HTTP/1.1\r\n");  // and then nothing
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Receive(fd), "");  // closed without an answer
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(500));
  EXPECT_LT(waited, std::chrono::milliseconds(2900));  // before the client's own 3 s
  ::close(fd);
}

}  // namespace
}  // namespace clearbox::server
