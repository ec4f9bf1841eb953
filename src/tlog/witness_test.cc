// The witness side of c2sp.org/tlog-witness add-checkpoint: every status code the spec gives,
// durability of the cosigned size, the spec's request example, and the logs file.
#include "clearbox/tlog/witness.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "clearbox/core/file.h"
#include "log_test_util.h"

namespace clearbox::tlog {
namespace {

using testing::TempDir;

class WitnessTest : public ::testing::Test {
 protected:
  WitnessTest() : log_(testing::NewLogKeys("example.com/log")) {
    auto generated = crypto::GenerateNoteKey("witness.example/w1").value();
    witness_skey_ = generated.signer_key;
    Reopen();
    // A tree of 20 leaves to take checkpoints and proofs from.
    for (int i = 0; i < 20; ++i)
      tree_.Append(LeafHash(testing::Entry("leaf " + std::to_string(i))));
  }

  void Reopen() {
    witness_.reset();
    witness_ = Witness::Open(dir_.path(), CosignatureV1Signer::FromSignerKey(witness_skey_).value(),
                             {{"example.com/log", {log_.vkey}}})
                   .value();
  }

  // The log-signed checkpoint of the first `size` leaves (a prefix tree, via a fresh store).
  std::string SignedCheckpoint(uint64_t size, const crypto::NoteSigner* signer = nullptr) {
    MemoryHashStore prefix;
    for (int i = 0; i < int(size); ++i)
      prefix.Append(LeafHash(testing::Entry("leaf " + std::to_string(i))));
    const crypto::NoteSigner* signers[] = {signer ? signer : log_.signer.get()};
    return SignCheckpoint({"example.com/log", size, prefix.Root(), {}}, signers).value();
  }

  std::string Request(uint64_t old_size, uint64_t size) {
    AddCheckpointRequest request;
    request.old_size = old_size;
    if (old_size != 0 && old_size != size) {
      request.proof = ProveConsistency(old_size, size, PrefixReader(size)).value();
    }
    request.checkpoint = SignedCheckpoint(size);
    return FormatAddCheckpointRequest(request);
  }

  // A HashReader over the first `size` leaves.
  HashReader& PrefixReader(uint64_t size) {
    prefix_ = std::make_unique<MemoryHashStore>();
    for (int i = 0; i < int(size); ++i)
      prefix_->Append(LeafHash(testing::Entry("leaf " + std::to_string(i))));
    return *prefix_;
  }

  void ExpectCosigned(const WitnessAnswer& answer, uint64_t size) {
    ASSERT_EQ(answer.status, 200) << answer.body;
    auto verifier = CosignatureV1Verifier::FromVerifierKey(witness_->VerifierKey()).value();
    const CosignatureV1Verifier* cosigners[] = {verifier.get()};
    auto cosigned = VerifyCosignatures(SignedCheckpoint(size) + answer.body, cosigners);
    ASSERT_TRUE(cosigned.ok()) << cosigned.error().ToString();
    ASSERT_EQ(cosigned->size(), 1u);
    EXPECT_NEAR(double(cosigned->front().timestamp), double(std::time(nullptr)), 5.0);
  }

  TempDir dir_;
  testing::LogKeys log_;
  std::string witness_skey_;
  std::unique_ptr<Witness> witness_;
  MemoryHashStore tree_;
  std::unique_ptr<MemoryHashStore> prefix_;
};

TEST_F(WitnessTest, CosignsFromSizeZeroWithAnEmptyProof) {
  ExpectCosigned(witness_->AddCheckpoint(Request(0, 7)), 7);
  EXPECT_EQ(witness_->CosignedSize("example.com/log").value(), 7u);
}

TEST_F(WitnessTest, CosignsAConsistentGrowthAndTheSameTreeAgain) {
  ExpectCosigned(witness_->AddCheckpoint(Request(0, 7)), 7);
  ExpectCosigned(witness_->AddCheckpoint(Request(7, 13)), 13);
  ExpectCosigned(witness_->AddCheckpoint(Request(13, 13)), 13);  // a freshness republish
  EXPECT_EQ(witness_->CosignedSize("example.com/log").value(), 13u);
}

TEST_F(WitnessTest, TheCosignedSizeSurvivesARestart) {
  ExpectCosigned(witness_->AddCheckpoint(Request(0, 9)), 9);
  Reopen();
  EXPECT_EQ(witness_->CosignedSize("example.com/log").value(), 9u);
  WitnessAnswer stale = witness_->AddCheckpoint(Request(0, 12));
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(stale.body, "9\n");
}

TEST_F(WitnessTest, AnOldSizeThatIsNotItsLatestIs409WithItsSize) {
  ExpectCosigned(witness_->AddCheckpoint(Request(0, 10)), 10);
  WitnessAnswer answer = witness_->AddCheckpoint(Request(5, 12));
  EXPECT_EQ(answer.status, 409);
  EXPECT_EQ(answer.content_type, "text/x.tlog.size");
  EXPECT_EQ(answer.body, "10\n");
}

TEST_F(WitnessTest, RefusesASmallerTree) {
  ExpectCosigned(witness_->AddCheckpoint(Request(0, 10)), 10);
  // From its own size to a smaller one: old > size is malformed.
  AddCheckpointRequest request{10, {}, SignedCheckpoint(8)};
  EXPECT_EQ(witness_->AddCheckpoint(FormatAddCheckpointRequest(request)).status, 400);
  // From an old size to a smaller tree than it has: not its size.
  EXPECT_EQ(witness_->AddCheckpoint(Request(0, 8)).status, 409);
  EXPECT_EQ(witness_->CosignedSize("example.com/log").value(), 10u);
}

TEST_F(WitnessTest, ABadConsistencyProofIs422) {
  ExpectCosigned(witness_->AddCheckpoint(Request(0, 7)), 7);
  AddCheckpointRequest request;
  request.old_size = 7;
  request.proof = ProveConsistency(7, 13, PrefixReader(13)).value();
  request.proof[0][0] ^= 1;
  request.checkpoint = SignedCheckpoint(13);
  WitnessAnswer answer = witness_->AddCheckpoint(FormatAddCheckpointRequest(request));
  EXPECT_EQ(answer.status, 422) << answer.body;
  EXPECT_EQ(witness_->CosignedSize("example.com/log").value(), 7u);
}

TEST_F(WitnessTest, AProofFromSizeZeroMustBeEmpty) {
  AddCheckpointRequest request{0, {Hash{}}, SignedCheckpoint(4)};
  EXPECT_EQ(witness_->AddCheckpoint(FormatAddCheckpointRequest(request)).status, 422);
}

TEST_F(WitnessTest, TheSameSizeWithAnotherRootIs409) {
  ExpectCosigned(witness_->AddCheckpoint(Request(0, 7)), 7);
  const crypto::NoteSigner* signers[] = {log_.signer.get()};
  Hash other{};
  other[0] = 1;
  AddCheckpointRequest fork{
      7, {}, SignCheckpoint({"example.com/log", 7, other, {}}, signers).value()};
  WitnessAnswer answer = witness_->AddCheckpoint(FormatAddCheckpointRequest(fork));
  EXPECT_EQ(answer.status, 409);
  EXPECT_EQ(answer.body, "7\n");
}

TEST_F(WitnessTest, AnUnknownOriginIs404) {
  auto stranger = testing::NewLogKeys("other.example/log");
  const crypto::NoteSigner* signers[] = {stranger.signer.get()};
  AddCheckpointRequest request{
      0, {}, SignCheckpoint({"other.example/log", 1, Hash{}, {}}, signers).value()};
  EXPECT_EQ(witness_->AddCheckpoint(FormatAddCheckpointRequest(request)).status, 404);
}

TEST_F(WitnessTest, ACheckpointWithoutAValidLogSignatureIs403) {
  // Signed by another key of the same name: no signature by a trusted key.
  auto impostor = testing::NewLogKeys("example.com/log");
  AddCheckpointRequest request{0, {}, SignedCheckpoint(5, impostor.signer.get())};
  EXPECT_EQ(witness_->AddCheckpoint(FormatAddCheckpointRequest(request)).status, 403);
  // The log's own key, but a damaged signature.
  std::string note = SignedCheckpoint(5);
  note[note.size() - 10] = note[note.size() - 10] == 'A' ? 'B' : 'A';
  AddCheckpointRequest damaged{0, {}, note};
  EXPECT_EQ(witness_->AddCheckpoint(FormatAddCheckpointRequest(damaged)).status, 403);
  EXPECT_EQ(witness_->CosignedSize("example.com/log").value(), 0u);
}

TEST_F(WitnessTest, MalformedRequestsAre400) {
  const std::string checkpoint = SignedCheckpoint(3);
  std::string too_many = "old 0\n";
  for (int i = 0; i < 64; ++i) too_many += HashToBase64(Hash{}) + "\n";
  for (const std::string& body : std::vector<std::string>{
           "", "new 0\n\n" + checkpoint, "old 00\n\n" + checkpoint, "old -1\n\n" + checkpoint,
           "old 99999999999999999999\n\n" + checkpoint, "old 0\nnot-base64\n\n" + checkpoint,
           "old 0\n" + checkpoint,  // no empty line before the checkpoint
           "old 0\n\n", "old 0\n\nnot a note\n", too_many + "\n" + checkpoint,
           "old 4\n\n" + checkpoint,  // old size above the checkpoint size
       }) {
    WitnessAnswer answer = witness_->AddCheckpoint(body);
    EXPECT_EQ(answer.status, 400) << body.substr(0, 40) << " -> " << answer.body;
  }
}

TEST_F(WitnessTest, ConcurrentRequestsNeverRollTheLogBack) {
  // Many clients race with growing checkpoints: whatever interleaving, the stored size only
  // grows (the check and the update are one atomic step).
  std::vector<std::thread> threads;
  std::atomic<int> cosigned{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int size = 1 + t; size <= 20; size += 4) {
        uint64_t old = witness_->CosignedSize("example.com/log").value();
        if (old > uint64_t(size)) continue;
        AddCheckpointRequest request;
        request.old_size = old;
        {
          MemoryHashStore prefix;
          for (int i = 0; i < size; ++i)
            prefix.Append(LeafHash(testing::Entry("leaf " + std::to_string(i))));
          if (old != 0 && old != uint64_t(size)) {
            request.proof = ProveConsistency(old, size, prefix).value();
          }
        }
        request.checkpoint = SignedCheckpoint(size);
        if (witness_->AddCheckpoint(FormatAddCheckpointRequest(request)).status == 200) ++cosigned;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(cosigned.load(), 0);
  Reopen();
  uint64_t final_size = witness_->CosignedSize("example.com/log").value();
  EXPECT_GE(final_size, 17u);  // the largest successful request stays
}

TEST(WitnessVectors, FollowsTheTesseraTestLogWithGoDerivedProofs) {
  // Real signed checkpoints of the tessera test log and consistency proofs computed by Go's
  // x/mod sumdb/tlog (shared/vectors/tlog/tessera-testdata-log).
  const std::string dir = std::string(CLEARBOX_SHARED_DIR) + "/vectors/tlog/tessera-testdata-log/";
  auto log = nlohmann::json::parse(ReadTextFile(dir + "log.json").value());
  testing::TempDir state;
  auto witness = Witness::Open(state.path(),
                               CosignatureV1Signer::FromSignerKey(
                                   crypto::GenerateNoteKey("w.example").value().signer_key)
                                   .value(),
                               {{"example.com/log/testdata", {log["vkey"].get<std::string>()}}})
                     .value();
  auto checkpoint = [&](int n) {
    return ReadTextFile(dir + "checkpoint." + std::to_string(n)).value();
  };
  auto proof = [&](int a, int b) {
    auto proofs = nlohmann::json::parse(ReadTextFile(dir + "derived-proofs.json").value());
    for (const auto& c : proofs["consistency"]) {
      if (c["size1"] == a && c["size2"] == b) {
        std::vector<Hash> out;
        for (const auto& h : c["proof"])
          out.push_back(HashFromBase64(h.get<std::string>()).value());
        return out;
      }
    }
    return std::vector<Hash>{};
  };
  EXPECT_EQ(witness->AddCheckpoint(FormatAddCheckpointRequest({0, {}, checkpoint(5)})).status, 200);
  std::vector<Hash> bad = proof(5, 15);
  bad[0] = bad[1];
  EXPECT_EQ(witness->AddCheckpoint(FormatAddCheckpointRequest({5, bad, checkpoint(15)})).status,
            422);
  WitnessAnswer good =
      witness->AddCheckpoint(FormatAddCheckpointRequest({5, proof(5, 15), checkpoint(15)}));
  EXPECT_EQ(good.status, 200) << good.body;
  EXPECT_EQ(witness->CosignedSize("example.com/log/testdata").value(), 15u);
}

TEST(AddCheckpointRequestFormat, ParsesTheSpecExample) {
  std::string body = ReadTextFile(std::string(CLEARBOX_SHARED_DIR) +
                                  "/vectors/tlog/c2sp-examples/witness-add-checkpoint-request.txt")
                         .value();
  auto request = ParseAddCheckpointRequest(body);
  ASSERT_TRUE(request.ok()) << request.error().ToString();
  EXPECT_EQ(request->old_size, 20852014u);
  ASSERT_EQ(request->proof.size(), 4u);
  EXPECT_EQ(HashToBase64(request->proof[0]), "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=");
  EXPECT_TRUE(request->checkpoint.starts_with("example.com/behind-the-sofa\n20852163\n"));
  EXPECT_EQ(FormatAddCheckpointRequest(*request), body);
}

TEST(WitnessedLogsFile, ParsesLogsWithOptionalOrigins) {
  auto a = testing::NewLogKeys("a.example/log");
  auto b = testing::NewLogKeys("b.example/log");
  auto b2 = testing::NewLogKeys("b.example/log");
  std::string text = "# logs this witness follows\n\nlog " + a.vkey + "\n  log " + b.vkey +
                     "\t \nlog " + b2.vkey + " b.example/log\nlog " + a.vkey + " renamed.example\n";
  auto logs = ParseWitnessedLogs(text).value();
  ASSERT_EQ(logs.size(), 3u);
  EXPECT_EQ(logs[0].origin, "a.example/log");
  EXPECT_EQ(logs[1].origin, "b.example/log");
  EXPECT_EQ(logs[1].keys.size(), 2u);
  EXPECT_EQ(logs[2].origin, "renamed.example");
}

TEST(WitnessedLogsFile, RejectsUnknownLinesAndBadKeys) {
  for (const char* text : {"witness foo\n", "log\n", "log not-a-key\n", "log a b c d\n"}) {
    auto logs = ParseWitnessedLogs(text);
    ASSERT_FALSE(logs.ok()) << text;
    EXPECT_EQ(logs.error().code(), ErrorCode::kInvalidInput) << text;
    EXPECT_NE(logs.error().message().find("line 1"), std::string::npos) << logs.error().message();
  }
}

}  // namespace
}  // namespace clearbox::tlog
