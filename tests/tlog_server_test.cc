// End to end over loopback: `clearbox log witness`, `log init`, `log serve` and `log add` as
// real processes; the verifying client (tlog/client.h) reads the log back; hostile requests
// get the documented refusals.
#include "tlog_server_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <thread>

#include "clearbox/net/http_client.h"
#include "clearbox/tlog/client.h"
#include "clearbox/tlog/cosignature.h"
#include "clearbox/tlog/submission.h"
#include "clearbox/tlog/witness.h"
#include "server/http_server.h"

namespace clearbox {
namespace {

using testing::Process;
using testing::RunCli;
using testing::ScratchDir;

const std::regex kServing("on (http://127\\.0\\.0\\.1:[0-9]+)");
const std::regex kWitnessKey("^witness key: (\\S+)");

// Sends raw bytes on a new connection and returns whatever comes back before the server
// closes it (or 5 s pass).
std::string RawExchange(const std::string& url, const std::string& bytes) {
  auto parsed = net::ParseUrl(url).value();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(parsed.port);
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::string answer;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) answer.append(buf, size_t(n));
  ::close(fd);
  return answer;
}

class TlogServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_vkey_ = testing::WriteKey(dir_ / "log.key", "example.com/e2e");
    submitter_vkey_ = testing::WriteKey(dir_ / "vendor.key", "vendor.example");
    testing::WriteKey(dir_ / "stranger.key", "vendor.example");  // same name, unlisted key
    testing::WriteKey(dir_ / "witness.key", "witness.example/w1");
    ASSERT_TRUE(WriteFileAtomic(dir_ / "witnessed-logs",
                                AsBytes("# logs to witness\nlog " + log_vkey_ + "\n"))
                    .ok());
    witness_ = std::make_unique<Process>(
        std::vector<std::string>{"log", "witness", "--key", dir_ / "witness.key", "--logs",
                                 dir_ / "witnessed-logs", "--listen", "127.0.0.1:0", "--data",
                                 dir_ / "witness-state"},
        dir_ / "witness.err");
    witness_vkey_ = witness_->WaitForLine(kWitnessKey)[1];
    witness_url_ = witness_->WaitForLine(kServing)[1];

    auto [status, out] =
        RunCli({"log", "init", "--data", dir_ / "log", "--key", dir_ / "log.key", "--origin",
                "example.com/e2e", "--submitter", submitter_vkey_, "--witness",
                witness_vkey_ + "=" + witness_url_, "--batch-max-delay-ms", "5"},
               dir_ / "init.err");
    ASSERT_EQ(status, 0) << out;
    EXPECT_NE(out.find("created log example.com/e2e"), std::string::npos) << out;
    StartServer();
  }

  void StartServer() {
    server_ = std::make_unique<Process>(
        std::vector<std::string>{"log", "serve", "--data", dir_ / "log", "--key", dir_ / "log.key",
                                 "--listen", "127.0.0.1:0"},
        dir_ / "serve.err");
    url_ = server_->WaitForLine(kServing)[1];
  }

  std::unique_ptr<net::HttpClient> Client(const std::string& url) {
    return net::HttpClient::Create(url).value();
  }

  std::string SignedHeader(const std::string& key_file, const std::string& body) {
    auto skey = ReadTextFile(key_file).value();
    skey.erase(skey.find_last_not_of("\n") + 1);
    auto signer = crypto::Ed25519NoteSigner::FromSignerKey(skey).value();
    return tlog::SignSubmission("example.com/e2e", AsBytes(body), *signer).value();
  }

  ScratchDir dir_{"tlog-server-test"};
  std::string log_vkey_, submitter_vkey_, witness_vkey_, witness_url_, url_;
  std::unique_ptr<Process> witness_, server_;
};

TEST_F(TlogServerTest, AddedEntriesAreWitnessedAndProvable) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(WriteFileAtomic(dir_ / ("entry" + std::to_string(i)),
                                AsBytes("release statement " + std::to_string(i)))
                    .ok());
  }
  auto [status, out] =
      RunCli({"log", "add", url_, dir_ / "entry0", dir_ / "entry1", dir_ / "entry2",
              "--submitter-key", dir_ / "vendor.key", "--log-key", log_vkey_},
             dir_ / "add.err");
  ASSERT_EQ(status, 0) << ReadTextFile(dir_ / "add.err").value_or("");
  EXPECT_EQ(out, "0 " + (dir_ / "entry0") + "\n1 " + (dir_ / "entry1") + "\n2 " +
                     (dir_ / "entry2") + "\n");
  // The same entry again: the same index.
  auto again = RunCli({"log", "add", url_, dir_ / "entry1", "--submitter-key", dir_ / "vendor.key"},
                      dir_ / "add.err");
  EXPECT_EQ(again.first, 0);
  EXPECT_EQ(again.second, "1 " + (dir_ / "entry1") + "\n");

  // A verifying client reads it back over HTTP: signature, witness cosignature, tiles,
  // inclusion proof, entries.
  auto client = tlog::LogClient::Open(url_, log_vkey_, "example.com/e2e").value();
  auto checkpoint = client->FetchCheckpoint();
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().ToString();
  EXPECT_EQ(checkpoint->checkpoint.size, 3u);
  auto witness_key = tlog::CosignatureV1Verifier::FromVerifierKey(witness_vkey_).value();
  const tlog::CosignatureV1Verifier* cosigners[] = {witness_key.get()};
  EXPECT_EQ(tlog::VerifyCosignatures(checkpoint->signed_note, cosigners).value().size(), 1u);
  auto proof = client->ProveInclusion(1, *checkpoint);
  ASSERT_TRUE(proof.ok()) << proof.error().ToString();
  auto verifier = crypto::Ed25519NoteVerifier::FromVerifierKey(log_vkey_).value();
  EXPECT_TRUE(
      tlog::VerifyTlogProof(*proof, tlog::LeafHash(AsBytes("release statement 1")), *verifier)
          .ok());
  std::vector<std::string> entries;
  ASSERT_TRUE(client
                  ->ForEachEntry(0, 3, *checkpoint,
                                 [&](uint64_t, ByteView e) {
                                   entries.emplace_back(AsChars(e));
                                   return Status::Ok();
                                 })
                  .ok());
  EXPECT_EQ(entries, (std::vector<std::string>{"release statement 0", "release statement 1",
                                               "release statement 2"}));

  // The CLI client: get-proof over HTTP, then verify-inclusion offline with the witness
  // quorum; and a wrong entry is refused.
  auto [proof_status, proof_out] =
      RunCli({"log", "get-proof", url_, "1", "--key", log_vkey_, "-o", dir_ / "entry1.proof"},
             dir_ / "get-proof.err");
  ASSERT_EQ(proof_status, 0) << ReadTextFile(dir_ / "get-proof.err").value_or("");
  auto verify = RunCli(
      {"log", "verify-inclusion", "--entry", dir_ / "entry1", "--proof", dir_ / "entry1.proof",
       "--key", log_vkey_, "--index", "1", "--witness", witness_vkey_, "--quorum", "1"},
      dir_ / "verify.err");
  EXPECT_EQ(verify.first, 0) << ReadTextFile(dir_ / "verify.err").value_or("");
  auto wrong = RunCli({"log", "verify-inclusion", "--entry", dir_ / "entry2", "--proof",
                       dir_ / "entry1.proof", "--key", log_vkey_},
                      dir_ / "verify.err");
  EXPECT_EQ(wrong.first, 1);

  // A restart keeps the log, and the tree grows consistently.
  EXPECT_EQ(server_->Kill(SIGTERM), 0);
  StartServer();
  ASSERT_TRUE(WriteFileAtomic(dir_ / "entry3", AsBytes("release statement 3")).ok());
  auto after = RunCli({"log", "add", url_, dir_ / "entry3", "--submitter-key", dir_ / "vendor.key"},
                      dir_ / "add.err");
  EXPECT_EQ(after.second, "3 " + (dir_ / "entry3") + "\n");
  auto client2 = tlog::LogClient::Open(url_, log_vkey_, "example.com/e2e").value();
  auto grown = client2->FetchCheckpoint().value();
  EXPECT_EQ(grown.checkpoint.size, 4u);
  EXPECT_TRUE(client2->CheckConsistency(*checkpoint, grown).ok());
}

TEST_F(TlogServerTest, ServesTilesAsStaticFilesWithCacheHeaders) {
  auto http = Client(url_);
  auto body = std::string("x");
  auto add = http->Request("POST", "/add", body,
                           {{"Clearbox-Submitter", SignedHeader(dir_ / "vendor.key", body)}});
  ASSERT_TRUE(add.ok());
  ASSERT_EQ(add->status, 200) << add->body;
  EXPECT_EQ(add->Header("Clearbox-Log-Index"), "0");
  auto checkpoint = http->Request("GET", "/checkpoint").value();
  EXPECT_EQ(checkpoint.status, 200);
  EXPECT_EQ(checkpoint.Header("Cache-Control"), "no-cache");
  auto tile = http->Request("GET", "/tile/0/000.p/1").value();
  EXPECT_EQ(tile.status, 200);
  EXPECT_EQ(tile.body.size(), 32u);
  EXPECT_EQ(tile.Header("Content-Type"), "application/octet-stream");
  auto head = http->Request("HEAD", "/tile/entries/000.p/1").value();
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("Content-Length"), "3");
  EXPECT_TRUE(head.body.empty());
  // The files on disk are exactly what is served: any static web server can serve DIR.
  EXPECT_EQ(tile.body, ReadTextFile(dir_ / "log/tile/0/000.p/1").value());
}

TEST_F(TlogServerTest, HostileRequestsAreRefused) {
  auto http = Client(url_);
  // 413: a body over 64 KiB, refused with a message saying why.
  std::string big(65 * 1024, 'x');
  auto too_big = http->Request("POST", "/add", big).value();
  EXPECT_EQ(too_big.status, 413);
  EXPECT_NE(too_big.body.find("64 KiB"), std::string::npos) << too_big.body;
  // ... also when only the header announces it (refused before the body is read).
  std::string announced =
      RawExchange(url_, "POST /add HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\nabc");
  EXPECT_TRUE(announced.starts_with("HTTP/1.1 413")) << announced;
  // 403: unsigned, unknown key, wrong signature.
  http = Client(url_);
  EXPECT_EQ(http->Request("POST", "/add", "entry").value().status, 403);
  auto unknown =
      http->Request("POST", "/add", "entry",
                    {{"Clearbox-Submitter", SignedHeader(dir_ / "stranger.key", "entry")}})
          .value();
  EXPECT_EQ(unknown.status, 403);
  EXPECT_NE(unknown.body.find("unknown submitter key"), std::string::npos) << unknown.body;
  auto wrong = http->Request("POST", "/add", "entry",
                             {{"Clearbox-Submitter", SignedHeader(dir_ / "vendor.key", "other")}})
                   .value();
  EXPECT_EQ(wrong.status, 403);
  // 400: not HTTP at all; 431: headers too large.
  EXPECT_TRUE(RawExchange(url_, "GARBAGE\r\n\r\n").starts_with("HTTP/1.1 400")) << "garbage";
  std::string huge_header =
      "GET /checkpoint HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n";
  EXPECT_TRUE(RawExchange(url_, huge_header).starts_with("HTTP/1.1 431"));
  // 404 / 405: paths outside the tiles, wrong methods.
  for (const char* path :
       {"/config.json", "/index/table", "/tile/../config.json", "/tile/0/0000", "/lock"}) {
    EXPECT_EQ(http->Request("GET", path).value().status, 404) << path;
  }
  EXPECT_EQ(http->Request("GET", "/add").value().status, 405);
  EXPECT_EQ(http->Request("PUT", "/checkpoint", "x").value().status, 405);
  // The server is still fine.
  std::string body = "after the storm";
  EXPECT_EQ(http->Request("POST", "/add", body,
                          {{"Clearbox-Submitter", SignedHeader(dir_ / "vendor.key", body)}})
                .value()
                .status,
            200);
}

TEST_F(TlogServerTest, TheWitnessAnswersPerSpec) {
  auto http = Client(witness_url_);
  EXPECT_EQ(http->Request("POST", "/add-checkpoint", "garbage").value().status, 400);
  EXPECT_EQ(http->Request("GET", "/add-checkpoint").value().status, 405);
  EXPECT_EQ(http->Request("POST", "/elsewhere", "x").value().status, 404);
  // The log's current checkpoint, offered from size 0 although the witness is further: 409
  // with its size.
  std::string body = "y";
  ASSERT_EQ(Client(url_)
                ->Request("POST", "/add", body,
                          {{"Clearbox-Submitter", SignedHeader(dir_ / "vendor.key", body)}})
                .value()
                .status,
            200);
  std::string checkpoint = Client(url_)->Request("GET", "/checkpoint").value().body;
  auto conflict = http->Request("POST", "/add-checkpoint", "old 0\n\n" + checkpoint).value();
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.Header("Content-Type"), "text/x.tlog.size");
  EXPECT_EQ(conflict.body, "1\n");
  // Same size, same tree: cosigned again.
  auto again = http->Request("POST", "/add-checkpoint", "old 1\n\n" + checkpoint).value();
  EXPECT_EQ(again.status, 200);
  EXPECT_TRUE(again.body.starts_with("\xe2\x80\x94 witness.example/w1 ")) << again.body;
}

TEST_F(TlogServerTest, ASecondServerOnTheSameLogIsRefused) {
  auto [status, out] = RunCli({"log", "serve", "--data", dir_ / "log", "--key", dir_ / "log.key",
                               "--listen", "127.0.0.1:0"},
                              dir_ / "second.err");
  EXPECT_EQ(status, 2);
  EXPECT_NE(ReadTextFile(dir_ / "second.err").value().find("one writer per log"),
            std::string::npos);
}

TEST(HttpServer, ClosesConnectionsBeyondTheLimit) {
  server::HttpServerOptions options;
  options.listen = "127.0.0.1:0";
  options.threads = 1;
  options.max_connections = 2;
  auto http = server::HttpServer::Start(options, [](server::HttpRequest&&, server::Responder r) {
                r(server::HttpResponse::Text(200, "ok"));
              }).value();
  auto connect = [&] {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(http->port());
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  };
  auto ask = [](int fd) {
    const char request[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    (void)::send(fd, request, sizeof request - 1, MSG_NOSIGNAL);
    char buf[256];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, size_t(n)) : std::string();
  };
  int a = connect(), b = connect();
  EXPECT_TRUE(ask(a).starts_with("HTTP/1.1 200"));
  EXPECT_TRUE(ask(b).starts_with("HTTP/1.1 200"));
  int c = connect();
  EXPECT_EQ(ask(c), "");  // closed without an answer
  ::close(c);
  ::close(a);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the server notices
  int d = connect();
  EXPECT_TRUE(ask(d).starts_with("HTTP/1.1 200"));
  ::close(b);
  ::close(d);
}

}  // namespace
}  // namespace clearbox
