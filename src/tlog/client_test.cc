// LogClient and LogMonitor tests: the real test logs in ../shared (tessera, sunlight mirror)
// read through the directory fetcher, and logs built here and then made hostile one way at a
// time (bad signature, wrong key, truncated / oversized / altered tiles, a right edge that does
// not match the root, altered entries, a forked history).
#include "clearbox/tlog/client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "clearbox/core/file.h"
#include "clearbox/tlog/cosignature.h"

namespace clearbox::tlog {
namespace {

namespace fs = std::filesystem;
const std::string kVectors = std::string(CLEARBOX_SHARED_DIR) + "/vectors/tlog/";
const std::string kTessera = kVectors + "tessera-testdata-log";

// A log written into a temporary directory, like `clearbox log serve` lays it out.
class TestLog {
 public:
  explicit TestLog(const fs::path& dir, std::string origin = "example.com/test-log")
      : dir_(dir), origin_(std::move(origin)) {
    signer_ =
        crypto::Ed25519NoteSigner::Create(origin_, crypto::Ed25519PrivateKey::Generate().value())
            .value();
    fs::create_directories(dir_);
  }
  TestLog(const fs::path& dir, const TestLog& same_key_as)
      : dir_(dir), origin_(same_key_as.origin_) {
    signer_ =
        crypto::Ed25519NoteSigner::Create(origin_, same_key_as.signer_->private_key()).value();
    fs::create_directories(dir_);
  }

  void Append(const std::string& entry) {
    ASSERT_TRUE(tiler_.Append(LeafHash(AsBytes(entry))).ok());
    ASSERT_TRUE(bundler_.Append(AsBytes(entry)).ok());
  }
  // Writes the changed tiles and bundles, then the signed checkpoint; returns it.
  std::string Publish() {
    for (auto& t : tiler_.TakeChangedTiles()) Write(t.path, t.data);
    for (auto& t : bundler_.TakeChangedBundles()) Write(t.path, t.data);
    Checkpoint cp{origin_, tiler_.size(), tiler_.Root(), {}};
    const crypto::NoteSigner* signers[] = {signer_.get()};
    std::string note = SignCheckpoint(cp, signers).value();
    Write("checkpoint", ToBytes(note));
    return note;
  }
  void Write(const std::string& rel, ByteView data) {
    fs::create_directories((dir_ / rel).parent_path());
    EXPECT_TRUE(WriteFileAtomic((dir_ / rel).string(), data).ok());
  }
  Bytes Read(const std::string& rel) { return ReadFile((dir_ / rel).string()).value(); }
  std::string vkey() const { return signer_->VerifierKeyText(); }
  std::string dir() const { return dir_.string(); }
  const crypto::Ed25519NoteSigner& signer() const { return *signer_; }

 private:
  fs::path dir_;
  std::string origin_;
  std::unique_ptr<crypto::Ed25519NoteSigner> signer_;
  TreeTiler tiler_;
  EntryBundler bundler_;
};

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("clearbox-client-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // A published log with `n` entries "entry <i>".
  std::unique_ptr<TestLog> MakeLog(uint64_t n, const std::string& sub = "log") {
    auto log = std::make_unique<TestLog>(dir_ / sub);
    for (uint64_t i = 0; i < n; ++i) log->Append("entry " + std::to_string(i));
    log->Publish();
    return log;
  }
  std::unique_ptr<LogClient> Client(const TestLog& log) {
    return LogClient::Open(log.dir(), log.vkey(), "example.com/test-log").value();
  }
  fs::path dir_;
};

TEST(TesseraVectors, ClientReadsVerifiesAndProves) {
  auto meta = nlohmann::json::parse(ReadTextFile(kTessera + "/log.json").value());
  auto client =
      LogClient::Open(kTessera, meta["vkey"].get<std::string>(), meta["origin"].get<std::string>());
  ASSERT_TRUE(client.ok()) << client.error().ToString();
  auto cp = (*client)->FetchCheckpoint();
  ASSERT_TRUE(cp.ok()) << cp.error().ToString();
  EXPECT_EQ(cp->checkpoint.size, 15u);
  std::vector<std::string> entries;
  ASSERT_TRUE((*client)
                  ->ForEachEntry(0, 15, *cp,
                                 [&](uint64_t i, ByteView e) {
                                   entries.emplace_back(AsChars(e));
                                   return Status::Ok();
                                 })
                  .ok());
  ASSERT_EQ(entries.size(), 15u);
  EXPECT_EQ(entries[0], "one");
  EXPECT_EQ(entries[14], "fivten");
  auto key = crypto::Ed25519NoteVerifier::FromVerifierKey(meta["vkey"].get<std::string>()).value();
  for (uint64_t i = 0; i < 15; ++i) {
    auto proof = (*client)->ProveInclusion(i, *cp);
    ASSERT_TRUE(proof.ok());
    EXPECT_TRUE(VerifyTlogProof(*proof, LeafHash(AsBytes(entries[i])), *key).ok()) << i;
  }
  // Every earlier checkpoint is consistent with the latest, proven from the latest's tiles.
  for (int n = 0; n < 15; ++n) {
    auto old = (*client)->CheckCheckpoint(
        ReadTextFile(kTessera + "/checkpoint." + std::to_string(n)).value());
    ASSERT_TRUE(old.ok());
    auto proof = (*client)->CheckConsistency(*old, *cp);
    EXPECT_TRUE(proof.ok()) << n << ": " << proof.error().ToString();
  }
}

TEST(SunlightMirror, CheckpointSignedByCosignerKeyAndTilesVerify) {
  const std::string mirror = kVectors + "cosignatures/sunlight-skylight/mirror";
  auto client = LogClient::Open(
      mirror, "mirror.example.org+3fb148ef+BAAjjch9GyYz0sJsJx7ALhbdAtz2ov0unbzSl1vMp94O",
      "rome2026h1.example.org");
  ASSERT_TRUE(client.ok());
  auto cp = (*client)->FetchCheckpoint();
  ASSERT_TRUE(cp.ok()) << cp.error().ToString();
  auto proof = (*client)->ProveInclusion(299, *cp);
  ASSERT_TRUE(proof.ok()) << proof.error().ToString();
  EXPECT_TRUE(VerifyInclusion(299, 300, LeafHash(AsBytes("record 299")), proof->inclusion_proof,
                              cp->checkpoint.root)
                  .ok());
  // The mirror publishes no entry bundles: reading entries fails cleanly.
  EXPECT_EQ((*client)->ReadEntry(3, *cp).error().code(), ErrorCode::kNotFound);
}

TEST_F(ClientTest, HonestLogAcrossTileBoundaries) {
  auto log = MakeLog(600);
  auto client = Client(*log);
  auto cp = client->FetchCheckpoint().value();
  uint64_t count = 0;
  ASSERT_TRUE(client
                  ->ForEachEntry(250, 600, cp,
                                 [&](uint64_t i, ByteView e) {
                                   EXPECT_EQ(AsChars(e), "entry " + std::to_string(i));
                                   ++count;
                                   return Status::Ok();
                                 })
                  .ok());
  EXPECT_EQ(count, 350u);
  EXPECT_EQ(AsChars(client->ReadEntry(511, cp).value()), "entry 511");
  EXPECT_EQ(client->ForEachEntry(0, 601, cp, {}).error().code(), ErrorCode::kInvalidInput);
}

TEST_F(ClientTest, DeletedPartialBundleAndTileAreReadFromFullOnes) {
  auto log = std::make_unique<TestLog>(dir_ / "log");
  for (int i = 0; i < 200; ++i) log->Append("entry " + std::to_string(i));
  log->Publish();
  auto client = Client(*log);
  auto at_200 = client->FetchCheckpoint().value();
  for (int i = 200; i < 300; ++i) log->Append("entry " + std::to_string(i));
  log->Publish();
  // The log has grown past 256 and deleted the partial tile and bundle of size 200.
  fs::remove(dir_ / "log/tile/0/000.p/200");
  fs::remove(dir_ / "log/tile/entries/000.p/200");
  EXPECT_EQ(AsChars(client->ReadEntry(199, at_200).value()), "entry 199");
  auto proof = client->ProveInclusion(150, at_200);
  ASSERT_TRUE(proof.ok()) << proof.error().ToString();
}

TEST_F(ClientTest, BadCheckpointSignatureIsRejected) {
  auto log = MakeLog(10);
  std::string note(AsChars(log->Read("checkpoint")));
  auto parsed = crypto::ParseNote(note).value();
  parsed.signatures[0].signature[3] ^= 1;
  log->Write("checkpoint", ToBytes(crypto::FormatNote(parsed)));
  auto cp = Client(*log)->FetchCheckpoint();
  ASSERT_FALSE(cp.ok());
  EXPECT_EQ(cp.error().code(), ErrorCode::kVerificationFailed);
  EXPECT_NE(cp.error().message().find("checkpoint: invalid signature for key example.com/test-log"),
            std::string::npos)
      << cp.error().message();
}

TEST_F(ClientTest, CheckpointUnderAnotherKeyIsRejected) {
  auto log = MakeLog(10);
  auto other = crypto::GenerateNoteKey("example.com/test-log").value();
  auto client = LogClient::Open(log->dir(), other.verifier_key).value();
  auto cp = client->FetchCheckpoint();
  ASSERT_FALSE(cp.ok());
  EXPECT_NE(cp.error().message().find("no verifiable signatures"), std::string::npos);
}

TEST_F(ClientTest, TruncatedTileIsNamed) {
  auto log = MakeLog(300);
  Bytes tile = log->Read("tile/0/000");
  tile.resize(8000);
  log->Write("tile/0/000", tile);
  auto client = Client(*log);
  auto cp = client->FetchCheckpoint().value();
  auto proof = client->ProveInclusion(5, cp);
  ASSERT_FALSE(proof.ok());
  EXPECT_NE(proof.error().message().find("tile/0/000: 8000 bytes, want 8192"), std::string::npos)
      << proof.error().message();
}

TEST_F(ClientTest, OversizedTileIsNamed) {
  auto log = MakeLog(300);
  Bytes tile = log->Read("tile/0/001.p/44");
  tile.resize(tile.size() + 32);
  log->Write("tile/0/001.p/44", tile);
  auto client = Client(*log);
  auto cp = client->FetchCheckpoint().value();
  auto proof = client->ProveInclusion(299, cp);
  ASSERT_FALSE(proof.ok());
  EXPECT_NE(proof.error().message().find("tile/0/001.p/44: 1440 bytes, want 1408"),
            std::string::npos)
      << proof.error().message();
}

TEST_F(ClientTest, WrongHashInTileIsNamed) {
  auto log = MakeLog(300);
  Bytes tile = log->Read("tile/0/000");
  tile[100] ^= 1;
  log->Write("tile/0/000", tile);
  auto client = Client(*log);
  auto cp = client->FetchCheckpoint().value();
  auto proof = client->ProveInclusion(2, cp);
  ASSERT_FALSE(proof.ok());
  EXPECT_EQ(proof.error().code(), ErrorCode::kVerificationFailed);
  EXPECT_NE(proof.error().message().find("tile/0/000 does not match hash 0 of tile/1/000.p/1"),
            std::string::npos)
      << proof.error().message();
}

TEST_F(ClientTest, TileNotMatchingTheCheckpointRootIsNamed) {
  auto log = MakeLog(300);
  // A validly signed checkpoint over a root the tiles do not produce.
  Checkpoint lie{"example.com/test-log", 300, LeafHash(ToBytes("not the root")), {}};
  const crypto::NoteSigner* signers[] = {&log->signer()};
  log->Write("checkpoint", ToBytes(SignCheckpoint(lie, signers).value()));
  auto client = Client(*log);
  auto cp = client->FetchCheckpoint();
  ASSERT_TRUE(cp.ok());
  auto proof = client->ProveInclusion(2, *cp);
  ASSERT_FALSE(proof.ok());
  EXPECT_NE(proof.error().message().find(
                "tiles at the right edge of tree 300 (tile/0/001.p/44, tile/1/000.p/1) do not "
                "hash to the checkpoint root"),
            std::string::npos)
      << proof.error().message();
}

TEST_F(ClientTest, AlteredEntryIsNamed) {
  auto log = MakeLog(300);
  Bytes bundle = log->Read("tile/entries/001.p/44");
  bundle[2] ^= 0x20;  // first byte of entry 256: 'e' -> 'E'
  log->Write("tile/entries/001.p/44", bundle);
  auto client = Client(*log);
  auto cp = client->FetchCheckpoint().value();
  auto entry = client->ReadEntry(256, cp);
  ASSERT_FALSE(entry.ok());
  EXPECT_NE(entry.error().message().find(
                "tile/entries/001.p/44: entry 256 does not match its hash in tile/0/001.p/44"),
            std::string::npos)
      << entry.error().message();
  // A truncated bundle.
  bundle.resize(bundle.size() - 1);
  log->Write("tile/entries/001.p/44", bundle);
  entry = client->ReadEntry(256, cp);
  ASSERT_FALSE(entry.ok());
  EXPECT_NE(entry.error().message().find("tile/entries/001.p/44: entry bundle: entry 43"),
            std::string::npos)
      << entry.error().message();
}

TEST_F(ClientTest, ForkedHistoryIsInconsistent) {
  auto log = MakeLog(20);
  auto client = Client(*log);
  auto first = client->FetchCheckpoint().value();
  // Same key, same origin, another history of 30 entries: a split view.
  TestLog fork(dir_ / "fork", *log);
  for (int i = 0; i < 30; ++i) fork.Append(i == 7 ? "rewritten" : "entry " + std::to_string(i));
  fork.Publish();
  auto fork_client = LogClient::Open(fork.dir(), log->vkey()).value();
  auto second = fork_client->FetchCheckpoint().value();
  std::vector<Hash> failed;
  auto r = fork_client->CheckConsistency(first, second, &failed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kVerificationFailed);
  EXPECT_NE(r.error().message().find("checkpoints 20 ("), std::string::npos);
  EXPECT_FALSE(failed.empty());
  // Same size, different roots.
  TestLog fork2(dir_ / "fork2", *log);
  for (int i = 0; i < 20; ++i) fork2.Append(i == 19 ? "other" : "entry " + std::to_string(i));
  fork2.Publish();
  auto same_size = LogClient::Open(fork2.dir(), log->vkey()).value();
  auto third = same_size->FetchCheckpoint().value();
  EXPECT_EQ(same_size->CheckConsistency(first, third).error().code(),
            ErrorCode::kVerificationFailed);
}

TEST_F(ClientTest, MonitorFollowsReportsOnceAndKeepsState) {
  auto log = std::make_unique<TestLog>(dir_ / "log");
  for (int i = 0; i < 5; ++i) log->Append("entry " + std::to_string(i));
  log->Publish();
  auto client = Client(*log);
  std::vector<uint64_t> seen;
  auto record = [&](uint64_t i, ByteView) {
    seen.push_back(i);
    return Status::Ok();
  };
  LogMonitor monitor(*client, {});
  auto r1 = monitor.Poll(record);
  ASSERT_TRUE(r1.ok()) << r1.error().ToString();
  EXPECT_EQ(r1->entries_reported, 5u);
  for (int i = 5; i < 300; ++i) log->Append("entry " + std::to_string(i));
  log->Publish();
  // Resume from the saved text state, as the CLI does.
  auto state = ParseMonitorState(FormatMonitorState(monitor.state()));
  ASSERT_TRUE(state.ok()) << state.error().ToString();
  LogMonitor resumed(*client, *state);
  auto r2 = resumed.Poll(record, 100);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->previous_size, 5u);
  EXPECT_EQ(r2->entries_reported, 100u);
  auto r3 = resumed.Poll(record);
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(r3->entries_reported, 195u);
  ASSERT_EQ(seen.size(), 300u);
  for (uint64_t i = 0; i < 300; ++i) EXPECT_EQ(seen[i], i);
  auto r4 = resumed.Poll(record);
  ASSERT_TRUE(r4.ok());
  EXPECT_EQ(r4->entries_reported, 0u);
}

TEST_F(ClientTest, MonitorWritesEvidenceForAFork) {
  auto log = MakeLog(20);
  auto client = Client(*log);
  LogMonitor monitor(*client, {});
  ASSERT_TRUE(monitor.Poll([](uint64_t, ByteView) { return Status::Ok(); }).ok());
  std::string first = monitor.state().checkpoint;
  // The log rewrites history under the same key.
  TestLog fork(dir_ / "log", *log);
  for (int i = 0; i < 25; ++i) fork.Append(i == 3 ? "evil" : "entry " + std::to_string(i));
  std::string second = fork.Publish();
  auto r = monitor.Poll([](uint64_t, ByteView) { return Status::Ok(); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kVerificationFailed);
  ASSERT_TRUE(monitor.evidence().has_value());
  EXPECT_EQ(monitor.evidence()->older_checkpoint, first);
  EXPECT_EQ(monitor.evidence()->newer_checkpoint, second);
  EXPECT_FALSE(monitor.evidence()->proof.empty());
  std::string text = monitor.evidence()->ToText();
  EXPECT_NE(text.find(first), std::string::npos);
  EXPECT_NE(text.find(second), std::string::npos);
  EXPECT_NE(text.find(HashToBase64(monitor.evidence()->proof[0])), std::string::npos);
  // The state did not move to the bad checkpoint.
  EXPECT_EQ(monitor.state().checkpoint, first);
}

TEST_F(ClientTest, MonitorTreatsAnOlderConsistentCheckpointAsStale) {
  auto log = std::make_unique<TestLog>(dir_ / "log");
  for (int i = 0; i < 5; ++i) log->Append("entry " + std::to_string(i));
  std::string old_note = log->Publish();
  for (int i = 5; i < 9; ++i) log->Append("entry " + std::to_string(i));
  log->Publish();
  auto client = Client(*log);
  LogMonitor monitor(*client, {});
  ASSERT_TRUE(monitor.Poll([](uint64_t, ByteView) { return Status::Ok(); }).ok());
  log->Write("checkpoint", ToBytes(old_note));  // a lagging cache serves the old one
  auto r = monitor.Poll([](uint64_t, ByteView) { return Status::Ok(); });
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(r->stale);
  EXPECT_EQ(monitor.state().next_index, 9u);
}

TEST(MonitorState, ParseRejections) {
  EXPECT_FALSE(ParseMonitorState("").ok());
  EXPECT_FALSE(ParseMonitorState("clearbox-log-monitor-state v2\nnext-index 0\n\n").ok());
  EXPECT_FALSE(ParseMonitorState("clearbox-log-monitor-state v1\nnext-index x\n\n").ok());
  EXPECT_FALSE(ParseMonitorState("clearbox-log-monitor-state v1\nnext-index 1\n\n").ok());
  EXPECT_FALSE(ParseMonitorState("clearbox-log-monitor-state v1\nnext-index 0\nx").ok());
  auto empty = ParseMonitorState("clearbox-log-monitor-state v1\nnext-index 0\n\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->checkpoint.empty());
}

TEST(LogFetcher, RefusesEscapesAndUnknownLocations) {
  auto dir = OpenLogFetcher(kTessera);
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ((*dir)->Fetch("../README.md", 1 << 20).error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ((*dir)->Fetch("/etc/passwd", 1 << 20).error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ((*dir)->Fetch("tile//0", 1 << 20).error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ((*dir)->Fetch("tile/0/000.p/15", 100).error().code(), ErrorCode::kLimitExceeded);
  EXPECT_EQ((*dir)->Fetch("tile/0/001", 1 << 20).error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(OpenLogFetcher("file://" + kTessera).ok());
  EXPECT_EQ(OpenLogFetcher("ftp://example.com/log").error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(OpenLogFetcher("/nonexistent/clearbox").error().code(), ErrorCode::kNotFound);
  // An unreachable HTTP log is kUnavailable after its attempts.
  FetchOptions quick;
  quick.timeout = std::chrono::milliseconds(500);
  quick.attempts = 1;
  auto http = OpenLogFetcher("http://127.0.0.1:9", quick);
  ASSERT_TRUE(http.ok());
  EXPECT_EQ((*http)->Fetch("checkpoint", 1000).error().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace clearbox::tlog
