// OpenLogFetcher and LogClient over the network, against real servers on loopback: the
// project's own log server (`clearbox log serve`), a canned HTTP server for redirects and
// failures, and `openssl s_server -WWW` with a certificate made here for https.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "clearbox/net/http_client.h"
#include "clearbox/tlog/client.h"
#include "clearbox/tlog/proof.h"
#include "tlog_server_test.h"

namespace clearbox {
namespace {

using namespace std::chrono_literals;
using testing::Process;
using testing::RunCli;
using testing::ScratchDir;
using tlog::FetchOptions;
using tlog::OpenLogFetcher;

const std::regex kServing("on (http://127\\.0\\.0\\.1:[0-9]+)");
constexpr size_t kMax = 1 << 20;

std::chrono::milliseconds Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

// Reads a whole log as a verifier does: its checkpoint, every entry (each checked against
// its tile), and an inclusion proof for the last entry, checked with the log's key `vkey`.
// Returns the entries.
std::vector<std::string> ReadWholeLog(tlog::LogClient& client, const std::string& vkey) {
  auto cp = client.FetchCheckpoint();
  EXPECT_TRUE(cp.ok()) << cp.error().ToString();
  if (!cp.ok()) return {};
  std::vector<std::string> entries;
  Status read = client.ForEachEntry(0, cp->checkpoint.size, *cp, [&](uint64_t, ByteView e) {
    entries.emplace_back(AsChars(e));
    return Status::Ok();
  });
  EXPECT_TRUE(read.ok()) << read.ToString();
  if (entries.empty()) return entries;
  auto proof = client.ProveInclusion(entries.size() - 1, *cp);
  EXPECT_TRUE(proof.ok()) << proof.error().ToString();
  if (!proof.ok()) return entries;
  auto key = crypto::Ed25519NoteVerifier::FromVerifierKey(vkey).value();
  EXPECT_TRUE(tlog::VerifyTlogProof(*proof, tlog::LeafHash(AsBytes(entries.back())), *key).ok());
  return entries;
}

// A listening socket on 127.0.0.1 at a free port.
int ListenOnLoopback(uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "cannot listen on 127.0.0.1";
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

// An HTTP server answering each request (one per connection) with what `answer` returns for
// its target: a complete raw HTTP response.
class CannedServer {
 public:
  using Handler = std::function<std::string(const std::string& target)>;
  explicit CannedServer(Handler answer) : answer_(std::move(answer)) {
    fd_ = ListenOnLoopback(&port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~CannedServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }

  static std::string Response(const std::string& status, const std::string& headers = "",
                              const std::string& body = "") {
    return "HTTP/1.1 " + status + "\r\n" + headers +
           "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
           body;
  }
  static std::string Redirect(const std::string& location) {
    return Response("302 Found", "Location: " + location + "\r\n");
  }

 private:
  void Serve() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, size_t(n));
      }
      size_t sp1 = request.find(' ');
      size_t sp2 = sp1 == std::string::npos ? sp1 : request.find(' ', sp1 + 1);
      std::string target = sp2 == std::string::npos ? "" : request.substr(sp1 + 1, sp2 - sp1 - 1);
      ++requests_;
      std::string response = answer_(target);
      (void)::send(c, response.data(), response.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  Handler answer_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// A log served by `clearbox log serve` on loopback, with three entries.
class LogFetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_vkey_ = testing::WriteKey(dir_ / "log.key", "example.com/fetch");
    auto [status, out] = RunCli({"log", "init", "--data", dir_ / "log", "--key", dir_ / "log.key",
                                 "--origin", "example.com/fetch", "--batch-max-delay-ms", "5"},
                                dir_ / "init.err");
    ASSERT_EQ(status, 0) << out;
    server_ = std::make_unique<Process>(
        std::vector<std::string>{"log", "serve", "--data", dir_ / "log", "--key", dir_ / "log.key",
                                 "--listen", "127.0.0.1:0"},
        dir_ / "serve.err");
    url_ = server_->WaitForLine(kServing)[1];
    auto http = net::HttpClient::Create(url_).value();
    for (int i = 0; i < 3; ++i) {
      auto r = http->Request("POST", "/add", "entry " + std::to_string(i));
      ASSERT_TRUE(r.ok()) << r.error().ToString();
      ASSERT_EQ(r->status, 200) << r->body;
    }
    checkpoint_ = http->Request("GET", "/checkpoint").value().body;
  }

  ScratchDir dir_{"tlog-fetch-test"};
  std::string log_vkey_, url_, checkpoint_;
  std::unique_ptr<Process> server_;
};

TEST_F(LogFetchTest, ReadsAndVerifiesTheLogServersLogOverHttp) {
  auto fetcher = OpenLogFetcher(url_ + "/");
  ASSERT_TRUE(fetcher.ok()) << fetcher.error().ToString();
  auto body = (*fetcher)->Fetch("checkpoint", kMax);
  ASSERT_TRUE(body.ok()) << body.error().ToString();
  EXPECT_EQ(AsChars(*body), checkpoint_);

  auto client = tlog::LogClient::Open(url_, log_vkey_, "example.com/fetch").value();
  EXPECT_EQ(ReadWholeLog(*client, log_vkey_),
            (std::vector<std::string>{"entry 0", "entry 1", "entry 2"}));
}

TEST_F(LogFetchTest, MissingTileIsNotFound) {
  auto fetcher = OpenLogFetcher(url_).value();
  auto r = fetcher->Fetch("tile/0/x001/234", kMax);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound) << r.error().ToString();
  EXPECT_NE(r.error().message().find("HTTP 404"), std::string::npos) << r.error().message();
}

TEST(LogFetch, NotFoundAndGoneAreNotRetried) {
  CannedServer server([](const std::string& target) {
    return CannedServer::Response(target == "/gone" ? "410 Gone" : "404 Not Found");
  });
  auto fetcher = OpenLogFetcher(server.url()).value();
  EXPECT_EQ(fetcher->Fetch("missing", kMax).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(fetcher->Fetch("gone", kMax).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(server.requests(), 2);
}

TEST_F(LogFetchTest, BodyOverTheLimitIsLimitExceeded) {
  auto fetcher = OpenLogFetcher(url_).value();
  auto r = fetcher->Fetch("checkpoint", 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kLimitExceeded) << r.error().ToString();
  // The connection is usable afterwards.
  auto ok = fetcher->Fetch("checkpoint", checkpoint_.size());
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ(AsChars(*ok), checkpoint_);
}

TEST_F(LogFetchTest, RedirectsAreFollowed) {
  // /mirror/<p> -> (relative: ../../moved/<p>) /moved/<p> -> (absolute, another origin) the
  // log's <p>.
  CannedServer mirror([&](const std::string& target) {
    if (target.starts_with("/mirror/")) {
      std::string up;
      for (size_t i = 1; i < size_t(std::count(target.begin(), target.end(), '/')); ++i)
        up += "../";
      return CannedServer::Redirect(up + "moved/" + target.substr(8));
    }
    if (target.starts_with("/moved/")) return CannedServer::Redirect(url_ + "/" + target.substr(7));
    return CannedServer::Response("404 Not Found");
  });
  auto fetcher = OpenLogFetcher(mirror.url() + "/mirror").value();
  auto body = fetcher->Fetch("checkpoint", kMax);
  ASSERT_TRUE(body.ok()) << body.error().ToString();
  EXPECT_EQ(AsChars(*body), checkpoint_);
  EXPECT_EQ(mirror.requests(), 2);

  // The whole log reads and verifies through the redirects.
  auto client = tlog::LogClient::Open(mirror.url() + "/mirror", log_vkey_).value();
  EXPECT_EQ(ReadWholeLog(*client, log_vkey_).size(), 3u);
}

TEST(LogFetch, OversizedBodiesAreRefusedHoweverFramed) {
  const std::string body(177, 'x');
  CannedServer server([&](const std::string& target) {
    if (target == "/length") return CannedServer::Response("200 OK", "", body);
    if (target == "/huge") {  // declares 1 GiB: refused from the header
      return std::string("HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n") + body;
    }
    if (target == "/chunked") {
      return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb1\r\n" + body + "\r\n0\r\n\r\n";
    }
    return "HTTP/1.0 200 OK\r\n\r\n" + body;  // to the end of the connection
  });
  auto fetcher = OpenLogFetcher(server.url()).value();
  for (const char* path : {"length", "huge", "chunked", "eof"}) {
    auto r = fetcher->Fetch(path, body.size() - 1);
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.error().code(), ErrorCode::kLimitExceeded) << path << ": " << r.error().ToString();
  }
  EXPECT_EQ(server.requests(), 4);  // not retried
  for (const char* path : {"length", "chunked", "eof"}) {
    auto r = fetcher->Fetch(path, body.size());
    ASSERT_TRUE(r.ok()) << path << ": " << r.error().ToString();
    EXPECT_EQ(AsChars(*r), body) << path;
  }
}

TEST(LogFetch, RedirectLoopsAndOtherSchemesAreRefused) {
  CannedServer server([](const std::string& target) {
    if (target == "/loop/checkpoint") return CannedServer::Redirect("/loop/checkpoint");
    if (target == "/ftp/checkpoint") return CannedServer::Redirect("ftp://127.0.0.1/checkpoint");
    if (target == "/file/checkpoint") return CannedServer::Redirect("file:///etc/passwd");
    return CannedServer::Response("302 Found");  // no Location
  });
  auto loop = OpenLogFetcher(server.url() + "/loop").value()->Fetch("checkpoint", kMax);
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.error().message().find("more than 5 redirects"), std::string::npos)
      << loop.error().ToString();
  EXPECT_EQ(server.requests(), 6);  // the first request and five redirects

  for (const char* prefix : {"/ftp", "/file"}) {
    auto r = OpenLogFetcher(server.url() + prefix).value()->Fetch("checkpoint", kMax);
    ASSERT_FALSE(r.ok()) << prefix;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput) << r.error().ToString();
  }
  auto no_location = OpenLogFetcher(server.url() + "/none").value()->Fetch("checkpoint", kMax);
  ASSERT_FALSE(no_location.ok());
  EXPECT_NE(no_location.error().message().find("without a Location"), std::string::npos)
      << no_location.error().ToString();
}

TEST(LogFetch, RefusedConnectionIsUnavailableAfterRetries) {
  uint16_t port;
  ::close(ListenOnLoopback(&port));  // a port nobody listens on
  FetchOptions options;
  options.timeout = 500ms;
  options.attempts = 3;
  auto fetcher = OpenLogFetcher("http://127.0.0.1:" + std::to_string(port), options).value();
  auto start = std::chrono::steady_clock::now();
  auto r = fetcher->Fetch("checkpoint", kMax);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable) << r.error().ToString();
  EXPECT_NE(r.error().message().find("cannot connect"), std::string::npos) << r.error().message();
  EXPECT_GE(Since(start), 1200ms);  // pauses of 400 and 800 ms between the three attempts
}

TEST(LogFetch, TransientServerErrorsAreRetried) {
  std::atomic<int> calls{0};
  CannedServer server([&](const std::string&) {
    int n = ++calls;
    if (n == 1) return CannedServer::Response("503 Service Unavailable");
    if (n == 2) return CannedServer::Response("429 Too Many Requests");
    return CannedServer::Response("200 OK", "", "tile bytes");
  });
  auto r = OpenLogFetcher(server.url()).value()->Fetch("tile/0/000", kMax);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(AsChars(*r), "tile bytes");
  EXPECT_EQ(server.requests(), 3);

  // Out of attempts: the last error.
  FetchOptions once;
  once.attempts = 1;
  CannedServer failing([](const std::string&) { return CannedServer::Response("500 Oops"); });
  auto failed = OpenLogFetcher(failing.url(), once).value()->Fetch("checkpoint", kMax);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(failed.error().message().find("HTTP 500"), std::string::npos);
  EXPECT_EQ(failing.requests(), 1);
}

TEST(LogFetch, SilentServerTimesOut) {
  uint16_t port;
  int fd = ListenOnLoopback(&port);  // the kernel accepts; nobody ever answers
  FetchOptions options;
  options.timeout = 300ms;
  options.attempts = 1;
  auto start = std::chrono::steady_clock::now();
  auto r = OpenLogFetcher("http://127.0.0.1:" + std::to_string(port), options)
               .value()
               ->Fetch("checkpoint", kMax);
  ::close(fd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message().find("no answer within 300 ms"), std::string::npos)
      << r.error().message();
  EXPECT_LT(Since(start), 2000ms);
}

// ---- https ----

const std::string kTessera =
    std::string(CLEARBOX_SHARED_DIR) + "/vectors/tlog/tessera-testdata-log";

// Runs a command to completion; returns its exit status.
int RunCommand(const std::vector<std::string>& args, const std::string& log) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(out, 1);
    ::dup2(out, 2);
    std::vector<char*> argv;
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// `openssl s_server -WWW` serving the tessera test log over TLS from 127.0.0.1, with a
// self-signed certificate for IP address 127.0.0.1 only, made for the test.
class TlsFetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(RunCommand({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=clearbox test log",
                          "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1", "-keyout",
                          dir_ / "key.pem", "-out", dir_ / "cert.pem"},
                         dir_ / "openssl.log"),
              0)
        << ReadTextFile(dir_ / "openssl.log").value_or("");
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::chdir(kTessera.c_str()) != 0) ::_exit(126);
      ::dup2(fds[1], 1);
      int err = ::open((dir_ / "s_server.err").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(err, 2);
      ::close(fds[0]);
      std::string cert = dir_ / "cert.pem", key = dir_ / "key.pem";
      ::execlp("openssl", "openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", cert.c_str(),
               "-key", key.c_str(), "-WWW", nullptr);
      ::_exit(127);
    }
    ::close(fds[1]);
    // "ACCEPT 127.0.0.1:PORT" once it listens.
    std::string out;
    char buf[256];
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (out.find('\n', out.find("ACCEPT")) == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      pollfd p{fds[0], POLLIN, 0};
      if (::poll(&p, 1, 1000) <= 0) continue;
      ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, size_t(n));
    }
    ::close(fds[0]);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(out, m, std::regex("ACCEPT 127\\.0\\.0\\.1:([0-9]+)")))
        << out << ReadTextFile(dir_ / "s_server.err").value_or("");
    port_ = m[1];
    meta_ = nlohmann::json::parse(ReadTextFile(kTessera + "/log.json").value());
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  FetchOptions Trusting() const {
    FetchOptions options;
    options.ca_file = dir_ / "cert.pem";
    options.timeout = 5s;
    return options;
  }

  ScratchDir dir_{"tlog-tls-fetch-test"};
  pid_t pid_ = -1;
  std::string port_;
  nlohmann::json meta_;
};

TEST_F(TlsFetchTest, LogIsReadAndVerifiedOverHttps) {
  auto client =
      tlog::LogClient::Open("https://127.0.0.1:" + port_, meta_["vkey"].get<std::string>(),
                            meta_["origin"].get<std::string>(), Trusting());
  ASSERT_TRUE(client.ok()) << client.error().ToString();
  auto entries = ReadWholeLog(**client, meta_["vkey"].get<std::string>());
  ASSERT_EQ(entries.size(), 15u);
  EXPECT_EQ(entries[0], "one");
  EXPECT_EQ(entries[14], "fivten");
}

TEST_F(TlsFetchTest, HostNameMismatchIsRefused) {
  // The certificate names 127.0.0.1, not "localhost" (which reaches the same server).
  auto fetcher = OpenLogFetcher("https://localhost:" + port_, Trusting()).value();
  auto start = std::chrono::steady_clock::now();
  auto r = fetcher->Fetch("checkpoint", kMax);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kVerificationFailed) << r.error().ToString();
  EXPECT_NE(r.error().message().find("hostname mismatch"), std::string::npos)
      << r.error().message();
  EXPECT_LT(Since(start), 400ms);  // not retried: a retry comes after a 400 ms pause
}

TEST_F(TlsFetchTest, UntrustedCertificateIsRefused) {
  // The system CA store does not know the test's self-signed certificate.
  FetchOptions options;
  options.attempts = 1;
  auto r = OpenLogFetcher("https://127.0.0.1:" + port_, options).value()->Fetch("checkpoint", kMax);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kVerificationFailed) << r.error().ToString();
  EXPECT_NE(r.error().message().find("self-signed certificate"), std::string::npos)
      << r.error().message();
}

}  // namespace
}  // namespace clearbox
