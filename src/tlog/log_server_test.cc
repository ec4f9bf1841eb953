// The log's HTTP API without HTTP: routing, methods, cache headers, auth, limits.
#include "clearbox/tlog/log_server.h"

#include <gtest/gtest.h>

#include <future>

#include "clearbox/tlog/proof.h"
#include "clearbox/tlog/submission.h"
#include "log_test_util.h"

namespace clearbox::tlog {
namespace {

using testing::Entry;

class LogServerTest : public ::testing::Test {
 protected:
  void Open(bool with_submitter) {
    config_ = testing::NewConfig(keys_, 256, std::chrono::milliseconds(1));
    if (with_submitter) config_.submitters = {submitter_.vkey};
    storage_ = testing::NewLogStorage(dir_.path(), config_);
    sequencer_ = Sequencer::Start(*storage_, config_, testing::CopySigner(keys_), nullptr).value();
    server_ = LogServer::Create(*storage_, *sequencer_, config_).value();
  }

  LogResponse Call(std::string method, std::string target, std::string body = "",
                   std::string submitter = "") {
    std::promise<LogResponse> promise;
    LogRequest request{method, target, submitter, std::move(body)};
    server_->Handle(std::move(request), [&](LogResponse r) { promise.set_value(std::move(r)); });
    LogResponse r = promise.get_future().get();
    FinishResponse(r);
    return r;
  }

  testing::TempDir dir_;
  testing::LogKeys keys_ = testing::NewLogKeys();
  testing::LogKeys submitter_ = testing::NewLogKeys("vendor.example");
  LogConfig config_;
  std::unique_ptr<LogStorage> storage_;
  std::unique_ptr<Sequencer> sequencer_;
  std::unique_ptr<LogServer> server_;
};

TEST_F(LogServerTest, AddAnswersWithAVerifiableProofAndIndexHeader) {
  Open(false);
  EXPECT_TRUE(server_->open_to_anyone());
  LogResponse r = Call("POST", "/add", "hello");
  ASSERT_EQ(r.status, 200) << *r.body;
  auto proof = ParseTlogProof(*r.body).value();
  auto verifier = crypto::Ed25519NoteVerifier::FromVerifierKey(keys_.vkey).value();
  EXPECT_TRUE(VerifyTlogProof(proof, LeafHash(Entry("hello")), *verifier).ok());
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], std::make_pair(std::string("Clearbox-Log-Index"), std::string("0")));
  LogResponse again = Call("POST", "/add", "hello");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.headers[0].second, "0");
}

TEST_F(LogServerTest, ServesTheCheckpointUncached) {
  Open(false);
  ASSERT_EQ(Call("POST", "/add", "x").status, 200);
  LogResponse r = Call("GET", "/checkpoint");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.cache_control, "no-cache");
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_TRUE(r.body->starts_with(config_.origin + "\n1\n"));
}

TEST_F(LogServerTest, ServesTilesWithCacheHeadersByFullness) {
  Open(false);
  std::vector<std::promise<LogResponse>> adds(257);  // concurrently: a few batches
  for (int i = 0; i < 257; ++i) {
    server_->Handle(LogRequest{"POST", "/add", "", "e" + std::to_string(i)},
                    [&adds, i](LogResponse r) { adds[i].set_value(std::move(r)); });
  }
  for (auto& a : adds) ASSERT_EQ(a.get_future().get().status, 200);
  LogResponse full = Call("GET", "/tile/0/000");
  EXPECT_EQ(full.status, 200);
  EXPECT_EQ(full.body->size(), kFullTileSize);
  EXPECT_EQ(full.cache_control, "public, max-age=31536000, immutable");
  EXPECT_EQ(full.content_type, "application/octet-stream");
  LogResponse partial = Call("GET", "/tile/0/001.p/1");
  EXPECT_EQ(partial.status, 200);
  EXPECT_EQ(partial.cache_control, "public, max-age=60");
  LogResponse bundle = Call("HEAD", "/tile/entries/000?x=1");
  EXPECT_EQ(bundle.status, 200);
  EXPECT_EQ(bundle.cache_control, "public, max-age=31536000, immutable");
  // Served from the cache the second time: same bytes.
  EXPECT_EQ(*Call("GET", "/tile/0/000").body, *full.body);
}

TEST_F(LogServerTest, UnknownAndNonCanonicalPathsAre404) {
  Open(false);
  for (const char* target :
       {"/", "/config.json", "/index/table", "/index/leaves", "/tile/0/0000", "/tile/0/x000/001",
        "/tile/0/../../config.json", "/tile/0/000.p/0", "/tile/64/000", "/tile/0/999"}) {
    EXPECT_EQ(Call("GET", target).status, 404) << target;
  }
}

TEST_F(LogServerTest, WrongMethodsAre405) {
  Open(false);
  EXPECT_EQ(Call("GET", "/add").status, 405);
  EXPECT_EQ(Call("POST", "/checkpoint", "x").status, 405);
  EXPECT_EQ(Call("DELETE", "/tile/0/000").status, 405);
}

TEST_F(LogServerTest, EmptyAndOversizedEntriesAreRefused) {
  Open(false);
  EXPECT_EQ(Call("POST", "/add", "").status, 400);
  LogResponse big = Call("POST", "/add", std::string(65536, 'x'));
  EXPECT_EQ(big.status, 413);
  EXPECT_NE(big.body->find("65535"), std::string::npos) << *big.body;
}

TEST_F(LogServerTest, AuthenticatedLogsRefuseUnsignedAndUnknownSubmitters) {
  Open(true);
  EXPECT_FALSE(server_->open_to_anyone());
  EXPECT_EQ(Call("POST", "/add", "entry").status, 403);
  auto stranger = testing::NewLogKeys("stranger.example");
  std::string bad = SignSubmission(config_.origin, AsBytes("entry"), *stranger.signer).value();
  LogResponse unknown = Call("POST", "/add", "entry", bad);
  EXPECT_EQ(unknown.status, 403);
  EXPECT_NE(unknown.body->find("unknown submitter key"), std::string::npos);
  std::string good = SignSubmission(config_.origin, AsBytes("entry"), *submitter_.signer).value();
  EXPECT_EQ(Call("POST", "/add", "entry", good).status, 200);
}

}  // namespace
}  // namespace clearbox::tlog
