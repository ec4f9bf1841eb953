// The sequencer: batching, deduplication, proofs, durability order, crash recovery (roll
// forward of durable but unpublished entries, stale right edges, tampering), witnesses.
#include "clearbox/tlog/sequencer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "clearbox/core/file.h"
#include "clearbox/tlog/checkpoint.h"
#include "clearbox/tlog/cosignature.h"
#include "clearbox/tlog/proof.h"
#include "log_test_util.h"

namespace clearbox::tlog {
namespace {

using namespace std::chrono_literals;
using testing::AddAndWait;
using testing::Entry;
using testing::TempDir;

// Delegates to a real storage, with switches that make writes fail as a crash would.
class FaultyStorage : public LogStorage {
 public:
  explicit FaultyStorage(LogStorage& inner) : inner_(inner) {}
  Result<Bytes> Fetch(const std::string& path, size_t max_size) override {
    return inner_.Fetch(path, max_size);
  }
  Result<LogConfig> ReadConfig() override { return inner_.ReadConfig(); }
  Status WriteConfig(const LogConfig& c) override { return inner_.WriteConfig(c); }
  Result<std::string> ReadCheckpoint() override { return inner_.ReadCheckpoint(); }
  Status PublishCheckpoint(std::string_view note) override {
    if (fail_publish) return Error::Io("injected: publish failed");
    ++publishes;
    return inner_.PublishCheckpoint(note);
  }
  Status WriteTiles(std::span<const TileData> tiles) override {
    if (fail_write) return Error::Io("injected: write failed");
    const int call = write_calls++;
    const int overlapping = ++writes_in_flight;
    for (int seen = max_writes_in_flight; overlapping > seen;) {
      if (max_writes_in_flight.compare_exchange_weak(seen, overlapping)) break;
    }
    Status s;
    if (call == slow_write_call) {
      std::this_thread::sleep_for(300ms);
      if (fail_slow_write) s = Error::Io("injected: slow write failed");
    }
    if (s.ok()) s = inner_.WriteTiles(tiles);
    --writes_in_flight;
    return s;
  }
  Result<std::vector<std::optional<uint64_t>>> LookupEntries(std::span<const Hash> h) override {
    return inner_.LookupEntries(h);
  }
  Status IndexEntries(std::span<const IndexedEntry> e) override { return inner_.IndexEntries(e); }
  Result<uint64_t> IndexedSize() override { return inner_.IndexedSize(); }
  Status TruncateIndex(uint64_t size) override { return inner_.TruncateIndex(size); }
  Status DeleteSupersededPartials(std::span<const TileData> full) override {
    return inner_.DeleteSupersededPartials(full);
  }
  std::string Describe() const override { return "faulty " + inner_.Describe(); }

  std::atomic<bool> fail_publish{false};
  std::atomic<bool> fail_write{false};
  std::atomic<int> write_calls{0};
  std::atomic<int> slow_write_call{-1};      // this WriteTiles call (0-based) takes 300 ms...
  std::atomic<bool> fail_slow_write{false};  // ...and then fails
  std::atomic<int> writes_in_flight{0};
  std::atomic<int> max_writes_in_flight{0};
  std::atomic<int> publishes{0};

 private:
  LogStorage& inner_;
};

// Reaches an in-process Witness, or fails like an unreachable one.
class LocalWitnessTransport : public WitnessTransport {
 public:
  explicit LocalWitnessTransport(Witness& witness) : witness_(witness) {}
  Result<WitnessAnswer> AddCheckpoint(const std::string& url, const std::string& body) override {
    ++calls;
    if (!online) return Error::Unavailable(url + ": connection refused (test)");
    return witness_.AddCheckpoint(body);
  }
  std::atomic<bool> online{true};
  std::atomic<int> calls{0};

 private:
  Witness& witness_;
};

SequencerOptions QuickRetry() {
  SequencerOptions options;
  options.publish_retry = 50ms;
  return options;
}

class SequencerTest : public ::testing::Test {
 protected:
  SequencerTest() : keys_(testing::NewLogKeys()) {}

  std::unique_ptr<Sequencer> Start(LogStorage& storage, const LogConfig& config,
                                   WitnessTransport* transport = nullptr,
                                   SequencerOptions options = {}) {
    auto s = Sequencer::Start(storage, config, testing::CopySigner(keys_), transport,
                              std::move(options));
    EXPECT_TRUE(s.ok()) << s.error().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  // Verifies a proof for `entry` under the log key; returns its checkpoint.
  Checkpoint Verify(const AddResult& result, const Bytes& entry) {
    auto proof = ParseTlogProof(result.Proof().value());
    EXPECT_TRUE(proof.ok()) << proof.error().ToString();
    auto verifier = crypto::Ed25519NoteVerifier::FromVerifierKey(keys_.vkey).value();
    auto verified = VerifyTlogProof(*proof, LeafHash(entry), *verifier);
    EXPECT_TRUE(verified.ok()) << verified.error().ToString();
    EXPECT_EQ(proof->index, result.index);
    return verified.ok() ? verified->checkpoint.checkpoint : Checkpoint{};
  }

  Checkpoint Published(LogStorage& storage) {
    auto verifier = crypto::Ed25519NoteVerifier::FromVerifierKey(keys_.vkey).value();
    return OpenCheckpoint(storage.ReadCheckpoint().value(), *verifier).value().checkpoint;
  }

  TempDir dir_;
  testing::LogKeys keys_;
};

TEST_F(SequencerTest, SequencesEntriesAcrossTilesWithValidProofs) {
  LogConfig config = testing::NewConfig(keys_, 100);
  auto storage = testing::NewLogStorage(dir_.path(), config);
  auto sequencer = Start(*storage, config);
  const int kEntries = 700;  // crosses level-0 tile and bundle boundaries
  std::vector<std::promise<Result<AddResult>>> promises(kEntries);
  for (int i = 0; i < kEntries; ++i) {
    sequencer->Add(Entry("entry " + std::to_string(i)),
                   [&promises, i](Result<AddResult> r) { promises[i].set_value(std::move(r)); });
  }
  std::set<uint64_t> indexes;
  for (int i = 0; i < kEntries; ++i) {
    auto r = promises[i].get_future().get();
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_FALSE(r->duplicate);
    Checkpoint c = Verify(*r, Entry("entry " + std::to_string(i)));
    EXPECT_GT(c.size, r->index);
    indexes.insert(r->index);
  }
  EXPECT_EQ(indexes.size(), size_t(kEntries));
  EXPECT_EQ(*indexes.rbegin(), uint64_t(kEntries - 1));
  sequencer->Stop();

  // The files on disk form the tree the checkpoint names: tiles verify against its root,
  // bundles hash to the level-0 tiles.
  Checkpoint published = Published(*storage);
  EXPECT_EQ(published.size, uint64_t(kEntries));
  TileHashReader reader(published.size, published.root, *storage, /*verify=*/true);
  for (uint64_t i : {uint64_t{0}, uint64_t{255}, uint64_t{256}, uint64_t{699}}) {
    auto proof = ProveInclusion(i, published.size, reader);
    ASSERT_TRUE(proof.ok()) << proof.error().ToString();
    EXPECT_TRUE(VerifyInclusion(i, published.size, LeafHash(Entry("entry " + std::to_string(i))),
                                *proof, published.root)
                    .ok());
  }
  EXPECT_TRUE(std::filesystem::exists(dir_ / "tile/0/001"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "tile/entries/002.p/188"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "tile/1/000.p/2"));
  auto bundle =
      ParseEntryBundle(storage->Fetch("tile/entries/001", kMaxEntryBundleSize).value(), 256)
          .value();
  EXPECT_EQ(bundle[0], Entry("entry 256"));
}

TEST_F(SequencerTest, PartialTilesGoOnceTheFullTileIsPublished) {
  LogConfig config = testing::NewConfig(keys_, 100);
  auto storage = testing::NewLogStorage(dir_.path(), config);
  SequencerOptions options;
  options.partial_grace = std::chrono::seconds(0);
  auto sequencer = Start(*storage, config, nullptr, options);
  for (int round = 0; round < 3; ++round) {  // 100 entries at a time: sizes 100, 200, 300
    std::vector<std::promise<Result<AddResult>>> promises(100);
    for (int i = 0; i < 100; ++i) {
      sequencer->Add(Entry("e" + std::to_string(round * 100 + i)),
                     [&promises, i](Result<AddResult> r) { promises[i].set_value(std::move(r)); });
    }
    for (auto& p : promises) ASSERT_TRUE(p.get_future().get().ok());
    if (round == 1) {
      EXPECT_TRUE(std::filesystem::exists(dir_ / "tile/0/000.p/200"));
    }
  }
  EXPECT_TRUE(std::filesystem::exists(dir_ / "tile/0/000"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "tile/0/000.p"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "tile/entries/000.p"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "tile/0/001.p/44"));
  // What remains is enough to resume.
  sequencer.reset();
  sequencer = Start(*storage, config);
  EXPECT_EQ(AddAndWait(*sequencer, Entry("e299")).value().index, 299u);
}

TEST_F(SequencerTest, IdenticalEntriesGetTheSameIndex) {
  LogConfig config = testing::NewConfig(keys_, 64, 50ms);
  auto storage = testing::NewLogStorage(dir_.path(), config);
  auto sequencer = Start(*storage, config);
  // Twice in one batch.
  std::promise<Result<AddResult>> a, b;
  sequencer->Add(Entry("same"), [&](Result<AddResult> r) { a.set_value(std::move(r)); });
  sequencer->Add(Entry("same"), [&](Result<AddResult> r) { b.set_value(std::move(r)); });
  auto first = a.get_future().get().value();
  auto second = b.get_future().get().value();
  EXPECT_EQ(first.index, second.index);
  EXPECT_FALSE(first.duplicate);
  EXPECT_TRUE(second.duplicate);
  // Again later, after other entries: answered from the index, proof against the newest tree.
  ASSERT_TRUE(AddAndWait(*sequencer, Entry("other")).ok());
  auto third = AddAndWait(*sequencer, Entry("same")).value();
  EXPECT_EQ(third.index, first.index);
  EXPECT_TRUE(third.duplicate);
  EXPECT_EQ(Verify(third, Entry("same")).size, 2u);
  EXPECT_EQ(sequencer->stats().entries, 2u);
  EXPECT_EQ(sequencer->stats().duplicates, 2u);
  // And after a restart (the index is on disk).
  sequencer.reset();
  sequencer = Start(*storage, config);
  auto fourth = AddAndWait(*sequencer, Entry("same")).value();
  EXPECT_EQ(fourth.index, first.index);
  EXPECT_TRUE(fourth.duplicate);
}

TEST_F(SequencerTest, BatchesHoldAtMostMaxEntries) {
  LogConfig config = testing::NewConfig(keys_, 10, 200ms);
  auto storage = testing::NewLogStorage(dir_.path(), config);
  auto sequencer = Start(*storage, config);
  std::vector<std::promise<Result<AddResult>>> promises(35);
  for (int i = 0; i < 35; ++i) {
    sequencer->Add(Entry("e" + std::to_string(i)),
                   [&promises, i](Result<AddResult> r) { promises[i].set_value(std::move(r)); });
  }
  for (auto& p : promises) ASSERT_TRUE(p.get_future().get().ok());
  SequencerStats stats = sequencer->stats();
  EXPECT_EQ(stats.entries, 35u);
  EXPECT_EQ(stats.batches, 4u);  // 10 + 10 + 10 + 5
  // The empty tree's at start, then at most one per batch (fewer when the publisher
  // covers two batches with one checkpoint).
  EXPECT_GE(stats.checkpoints, 2u);
  EXPECT_LE(stats.checkpoints, 5u);
  // Every batch left a partial level-0 tile of its size.
  for (int w : {10, 20, 30, 35}) {
    EXPECT_TRUE(std::filesystem::exists(dir_ / ("tile/0/000.p/" + std::to_string(w)))) << w;
  }
}

TEST_F(SequencerTest, ASmallBatchWaitsForTheMaxDelay) {
  LogConfig config = testing::NewConfig(keys_, 1000, 150ms);
  auto storage = testing::NewLogStorage(dir_.path(), config);
  auto sequencer = Start(*storage, config);
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(AddAndWait(*sequencer, Entry("lonely")).ok());
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 140ms);
  EXPECT_LT(elapsed, 5s);
}

TEST_F(SequencerTest, RefusesAnEntryAboveTheSizeLimit) {
  LogConfig config = testing::NewConfig(keys_);
  config.max_entry_size = 100;
  auto storage = testing::NewLogStorage(dir_.path(), config);
  auto sequencer = Start(*storage, config);
  auto r = AddAndWait(*sequencer, Bytes(101, 'x'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_TRUE(AddAndWait(*sequencer, Bytes(100, 'x')).ok());
}

TEST_F(SequencerTest, RefusesAKeyThatIsNotTheLogs) {
  LogConfig config = testing::NewConfig(keys_);
  auto storage = testing::NewLogStorage(dir_.path(), config);
  auto other = testing::NewLogKeys(keys_.signer->name());
  auto s = Sequencer::Start(*storage, config, std::move(other.signer), nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidInput);
}

TEST_F(SequencerTest, NothingIsAnsweredBeforeItIsPublished) {
  LogConfig config = testing::NewConfig(keys_);
  auto real = testing::NewLogStorage(dir_.path(), config);
  FaultyStorage storage(*real);
  auto sequencer = Start(storage, config, nullptr, QuickRetry());
  ASSERT_TRUE(AddAndWait(*sequencer, Entry("a")).ok());
  storage.fail_publish = true;
  std::promise<Result<AddResult>> p;
  sequencer->Add(Entry("b"), [&](Result<AddResult> r) { p.set_value(std::move(r)); });
  auto future = p.get_future();
  EXPECT_EQ(future.wait_for(300ms), std::future_status::timeout);  // durable, not published
  storage.fail_publish = false;                                    // the next retry succeeds
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  auto r = future.get();
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->index, 1u);
  EXPECT_EQ(Verify(*r, Entry("b")).size, 2u);
}

TEST_F(SequencerTest, RecoveryPublishesDurableButUnpublishedEntries) {
  LogConfig config = testing::NewConfig(keys_, 300);
  auto real = testing::NewLogStorage(dir_.path(), config);
  {
    FaultyStorage storage(*real);
    auto sequencer = Start(storage, config);
    for (int i = 0; i < 10; ++i)
      ASSERT_TRUE(AddAndWait(*sequencer, Entry("p" + std::to_string(i))).ok());
    // "Crash" after the tiles are durable, before the checkpoint is published: nothing is
    // acknowledged.
    storage.fail_publish = true;
    std::vector<std::promise<Result<AddResult>>> promises(290);
    for (int i = 0; i < 290; ++i) {
      sequencer->Add(Entry("u" + std::to_string(i)),
                     [&promises, i](Result<AddResult> r) { promises[i].set_value(std::move(r)); });
    }
    std::this_thread::sleep_for(200ms);
    sequencer->Stop();
    for (auto& p : promises) {
      auto r = p.get_future().get();
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
    }
  }
  EXPECT_EQ(Published(*real).size, 10u);
  auto sequencer = Start(*real, config);
  EXPECT_EQ(sequencer->stats().recovered_entries, 290u);
  EXPECT_EQ(Published(*real).size, 300u);  // published at start, before any new add
  // The clients' retries find their entries where the crashed batch put them.
  auto r = AddAndWait(*sequencer, Entry("u7")).value();
  EXPECT_TRUE(r.duplicate);
  EXPECT_EQ(r.index, 17u);
  Verify(r, Entry("u7"));
  auto fresh = AddAndWait(*sequencer, Entry("new")).value();
  EXPECT_EQ(fresh.index, 300u);
}

TEST_F(SequencerTest, RecoveryIgnoresABundleThatDoesNotExtendThePublishedOne) {
  LogConfig config = testing::NewConfig(keys_);
  auto storage = testing::NewLogStorage(dir_.path(), config);
  {
    auto sequencer = Start(*storage, config);
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE(AddAndWait(*sequencer, Entry("e" + std::to_string(i))).ok());
  }
  // A leftover of an abandoned right edge: 5 entries whose first 3 are not the log's.
  Bytes stale;
  for (const char* e : {"x0", "x1", "x2", "x3", "x4"})
    ASSERT_TRUE(AppendBundleEntry(stale, Entry(e)).ok());
  ASSERT_TRUE(
      storage->WriteTiles(std::vector{TileData{{0, 0, 5}, EntryBundlePath(0, 5), stale}}).ok());
  auto sequencer = Start(*storage, config);
  EXPECT_EQ(sequencer->stats().recovered_entries, 0u);
  EXPECT_EQ(AddAndWait(*sequencer, Entry("e3")).value().index, 3u);
}

TEST_F(SequencerTest, RecoveryRejectsTilesThatDoNotMatchTheCheckpoint) {
  LogConfig config = testing::NewConfig(keys_);
  auto storage = testing::NewLogStorage(dir_.path(), config);
  {
    auto sequencer = Start(*storage, config);
    for (int i = 0; i < 5; ++i)
      ASSERT_TRUE(AddAndWait(*sequencer, Entry("e" + std::to_string(i))).ok());
  }
  Bytes tile = storage->Fetch("tile/0/000.p/5", kFullTileSize).value();
  tile[40] ^= 1;
  ASSERT_TRUE(WriteFileAtomic(dir_ / "tile/0/000.p/5", tile).ok());
  auto s = Sequencer::Start(*storage, config, testing::CopySigner(keys_), nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kVerificationFailed);
  EXPECT_NE(s.error().message().find("published checkpoint"), std::string::npos)
      << s.error().message();
}

TEST_F(SequencerTest, RecoveryRejectsACheckpointNotSignedByTheLog) {
  LogConfig config = testing::NewConfig(keys_);
  auto storage = testing::NewLogStorage(dir_.path(), config);
  auto impostor = testing::NewLogKeys(keys_.signer->name());
  const crypto::NoteSigner* signers[] = {impostor.signer.get()};
  ASSERT_TRUE(storage
                  ->PublishCheckpoint(
                      SignCheckpoint({config.origin, 0, EmptyRootHash(), {}}, signers).value())
                  .ok());
  auto s = Sequencer::Start(*storage, config, testing::CopySigner(keys_), nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kVerificationFailed);
}

TEST_F(SequencerTest, ALostIndexIsRebuiltFromTheTiles) {
  LogConfig config = testing::NewConfig(keys_);
  {
    auto storage = testing::NewLogStorage(dir_.path(), config);
    auto sequencer = Start(*storage, config);
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(AddAndWait(*sequencer, Entry("e" + std::to_string(i))).ok());
      if (i == 20) i = 279;  // a few early, a few across the tile boundary
    }
  }
  std::filesystem::remove_all(dir_ / "index");
  auto storage = OpenDirectoryStorage(dir_.path()).value();
  auto sequencer = Start(*storage, config);
  EXPECT_EQ(storage->IndexedSize().value(), 41u);
  auto r = AddAndWait(*sequencer, Entry("e290")).value();
  EXPECT_TRUE(r.duplicate);
  EXPECT_EQ(r.index, 31u);
}

TEST_F(SequencerTest, AStorageFailureStopsTheSequencerUntilRestart) {
  LogConfig config = testing::NewConfig(keys_);
  auto real = testing::NewLogStorage(dir_.path(), config);
  {
    FaultyStorage storage(*real);
    auto sequencer = Start(storage, config);
    ASSERT_TRUE(AddAndWait(*sequencer, Entry("a")).ok());
    storage.fail_write = true;
    auto r = AddAndWait(*sequencer, Entry("b"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), ErrorCode::kIo);
    storage.fail_write = false;
    auto later = AddAndWait(*sequencer, Entry("c"));  // still refused: memory is ahead of disk
    ASSERT_FALSE(later.ok());
    EXPECT_EQ(later.error().code(), ErrorCode::kIo);
  }
  auto sequencer = Start(*real, config);
  auto r = AddAndWait(*sequencer, Entry("b")).value();
  EXPECT_EQ(r.index, 1u);
  Verify(r, Entry("b"));
}

// One batch's write overlaps the next one's; the later batch is still handed over only after
// the earlier one, and not at all if the earlier write failed.
TEST_F(SequencerTest, OverlappingWritesAreHandedOverInOrder) {
  for (bool fail : {false, true}) {
    SCOPED_TRACE(fail ? "the first write fails" : "both writes succeed");
    TempDir dir;
    LogConfig config = testing::NewConfig(keys_, 1, 1ms);  // a batch per entry
    auto real = testing::NewLogStorage(dir.path(), config);
    FaultyStorage storage(*real);
    auto sequencer = Start(storage, config);
    ASSERT_TRUE(AddAndWait(*sequencer, Entry("a")).ok());
    storage.slow_write_call = storage.write_calls.load();
    storage.fail_slow_write = fail;
    std::promise<Result<AddResult>> x, y;
    std::atomic<int> order{0};
    int x_answered = 0, y_answered = 0;
    sequencer->Add(Entry("x"), [&](Result<AddResult> r) {
      x_answered = ++order;
      x.set_value(std::move(r));
    });
    std::this_thread::sleep_for(50ms);  // x's write is under way
    sequencer->Add(Entry("y"), [&](Result<AddResult> r) {
      y_answered = ++order;
      y.set_value(std::move(r));
    });
    auto rx = x.get_future().get();
    auto ry = y.get_future().get();
    EXPECT_EQ(storage.max_writes_in_flight.load(), 2);
    EXPECT_LT(x_answered, y_answered);
    if (fail) {
      ASSERT_FALSE(rx.ok());
      ASSERT_FALSE(ry.ok());  // its own write succeeded, but it follows a lost batch
      EXPECT_EQ(ry.error().code(), ErrorCode::kIo);
    } else {
      ASSERT_TRUE(rx.ok()) << rx.error().ToString();
      ASSERT_TRUE(ry.ok()) << ry.error().ToString();
      EXPECT_EQ(rx->index, 1u);
      EXPECT_EQ(ry->index, 2u);
      Verify(*ry, Entry("y"));
    }
  }
}

TEST_F(SequencerTest, StopFailsWhatIsQueued) {
  LogConfig config = testing::NewConfig(keys_, 1000, 10s);
  auto storage = testing::NewLogStorage(dir_.path(), config);
  auto sequencer = Start(*storage, config);
  std::promise<Result<AddResult>> p;
  sequencer->Add(Entry("late"), [&](Result<AddResult> r) { p.set_value(std::move(r)); });
  sequencer->Stop();
  auto r = p.get_future().get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
  auto after = AddAndWait(*sequencer, Entry("after"));
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code(), ErrorCode::kUnavailable);
}

class SequencerWitnessTest : public SequencerTest {
 protected:
  void SetUp() override {
    auto generated = crypto::GenerateNoteKey("witness.example/w1").value();
    witness_skey_ = generated.signer_key;
    OpenWitness();
    witness_vkey_ = witness_->VerifierKey();
  }
  void OpenWitness() {
    witness_ = Witness::Open(witness_dir_.path(),
                             CosignatureV1Signer::FromSignerKey(witness_skey_).value(),
                             {{keys_.signer->name(), {keys_.vkey}}})
                   .value();
  }
  LogConfig Config() {
    LogConfig config = testing::NewConfig(keys_, 50);
    config.witnesses = {{witness_vkey_, "http://witness.test"}};
    config.witness_quorum = 1;
    config.republish_interval = 1s;
    return config;
  }
  size_t Cosignatures(const std::string& note) {
    auto verifier = CosignatureV1Verifier::FromVerifierKey(witness_vkey_).value();
    const CosignatureV1Verifier* cosigners[] = {verifier.get()};
    return VerifyCosignatures(note, cosigners).value().size();
  }

  TempDir witness_dir_;
  std::string witness_skey_, witness_vkey_;
  std::unique_ptr<Witness> witness_;
};

TEST_F(SequencerWitnessTest, CheckpointsCarryTheWitnessCosignature) {
  LogConfig config = Config();
  auto storage = testing::NewLogStorage(dir_.path(), config);
  LocalWitnessTransport transport(*witness_);
  auto sequencer = Start(*storage, config, &transport);
  std::vector<std::promise<Result<AddResult>>> promises(120);
  for (int i = 0; i < 120; ++i) {
    sequencer->Add(Entry("w" + std::to_string(i)),
                   [&promises, i](Result<AddResult> r) { promises[i].set_value(std::move(r)); });
  }
  for (auto& p : promises) ASSERT_TRUE(p.get_future().get().ok());
  auto r = AddAndWait(*sequencer, Entry("w0")).value();
  auto proof = ParseTlogProof(r.Proof().value()).value();
  EXPECT_EQ(Cosignatures(proof.checkpoint), 1u);
  EXPECT_EQ(Cosignatures(storage->ReadCheckpoint().value()), 1u);
  EXPECT_EQ(witness_->CosignedSize(config.origin).value(), 120u);
}

TEST_F(SequencerWitnessTest, WithoutTheQuorumNothingIsPublished) {
  LogConfig config = Config();
  auto storage = testing::NewLogStorage(dir_.path(), config);
  LocalWitnessTransport transport(*witness_);
  auto sequencer = Start(*storage, config, &transport, QuickRetry());
  ASSERT_TRUE(AddAndWait(*sequencer, Entry("a")).ok());
  transport.online = false;
  std::promise<Result<AddResult>> p;
  sequencer->Add(Entry("b"), [&](Result<AddResult> r) { p.set_value(std::move(r)); });
  auto future = p.get_future();
  EXPECT_EQ(future.wait_for(300ms), std::future_status::timeout);
  EXPECT_EQ(Published(*storage).size, 1u);
  transport.online = true;
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  auto r = future.get().value();
  EXPECT_EQ(Cosignatures(ParseTlogProof(r.Proof().value()).value().checkpoint), 1u);
}

TEST_F(SequencerWitnessTest, AWitnessThatLostItsStateIsCaughtUpFromItsSize) {
  LogConfig config = Config();
  auto storage = testing::NewLogStorage(dir_.path(), config);
  LocalWitnessTransport transport(*witness_);
  {
    auto sequencer = Start(*storage, config, &transport);
    for (int i = 0; i < 5; ++i)
      ASSERT_TRUE(AddAndWait(*sequencer, Entry("a" + std::to_string(i))).ok());
  }
  // The witness forgets (a new witness deployment): it is at 0, the log believes 5. The
  // first request gets a 409 with size 0 and the retry from 0 succeeds.
  std::filesystem::remove_all(witness_dir_.path());
  OpenWitness();
  LocalWitnessTransport fresh(*witness_);
  auto sequencer = Start(*storage, config, &fresh);
  ASSERT_TRUE(AddAndWait(*sequencer, Entry("b")).ok());
  EXPECT_EQ(fresh.calls.load(), 2);
  EXPECT_EQ(witness_->CosignedSize(config.origin).value(), 6u);
}

TEST_F(SequencerWitnessTest, AQuietLogRefreshesCosignaturesButNotTooOften) {
  LogConfig config = Config();  // republish every second
  auto storage = testing::NewLogStorage(dir_.path(), config);
  LocalWitnessTransport transport(*witness_);
  auto sequencer = Start(*storage, config, &transport);
  ASSERT_TRUE(AddAndWait(*sequencer, Entry("a")).ok());
  const int calls = transport.calls.load();
  std::this_thread::sleep_for(2500ms);
  const int republished = transport.calls.load() - calls;
  EXPECT_GE(republished, 1);
  EXPECT_LE(republished, 3);
  EXPECT_EQ(Published(*storage).size, 1u);  // same tree
  EXPECT_EQ(Cosignatures(storage->ReadCheckpoint().value()), 1u);
}

TEST_F(SequencerTest, WithoutWitnessesAQuietLogPublishesNothing) {
  LogConfig config = testing::NewConfig(keys_);
  config.republish_interval = 1s;
  auto real = testing::NewLogStorage(dir_.path(), config);
  FaultyStorage storage(*real);
  auto sequencer = Start(storage, config);
  ASSERT_TRUE(AddAndWait(*sequencer, Entry("a")).ok());
  const int publishes = storage.publishes.load();
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(storage.publishes.load(), publishes);
}

}  // namespace
}  // namespace clearbox::tlog
