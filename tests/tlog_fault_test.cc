// Crash faults: `clearbox log serve` is killed with SIGKILL at random moments, dozens of times,
// while concurrent clients append (the log has a witness, so each checkpoint also costs a
// witness round trip). After every kill the server restarts on the same directory. At the end:
//   - every acknowledged entry is in the log at the index it was given, with a valid
//     inclusion proof in the final tree (read back through the verifying client);
//   - every checkpoint ever served (by GET /checkpoint or inside an add's proof) verifies and
//     is consistent with the final one, so no two differ at one size;
//   - the witness, which refuses inconsistent trees, cosigned the final checkpoint.
// The random seed is printed; set CLEARBOX_FAULT_SEED to replay one.
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "clearbox/net/http_client.h"
#include "clearbox/tlog/client.h"
#include "clearbox/tlog/cosignature.h"
#include "tlog_server_test.h"

namespace clearbox {
namespace {

using namespace std::chrono_literals;
using testing::Process;
using testing::ScratchDir;

constexpr int kRounds = 30;
constexpr int kClients = 12;

const std::regex kServing("on (http://127\\.0\\.0\\.1:[0-9]+)");

struct Ack {
  std::string entry;
  uint64_t index;
};

TEST(TlogFaultTest, SigkillDuringAppendsLosesNoAcknowledgedEntry) {
  ScratchDir dir("tlog-fault-test");
  const char* seed_env = std::getenv("CLEARBOX_FAULT_SEED");
  const uint64_t seed = seed_env ? std::strtoull(seed_env, nullptr, 10) : std::random_device{}();
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);

  const std::string log_vkey = testing::WriteKey(dir / "log.key", "example.com/fault");
  testing::WriteKey(dir / "witness.key", "witness.example/fault");
  ASSERT_TRUE(WriteFileAtomic(dir / "witnessed-logs", AsBytes("log " + log_vkey + "\n")).ok());
  Process witness({"log", "witness", "--key", dir / "witness.key", "--logs", dir / "witnessed-logs",
                   "--listen", "127.0.0.1:0", "--data", dir / "wstate"},
                  dir / "witness.err");
  const std::string witness_vkey = witness.WaitForLine(std::regex("^witness key: (\\S+)"))[1];
  const std::string witness_url = witness.WaitForLine(kServing)[1];
  auto [init_status, init_out] =
      testing::RunCli({"log", "init", "--data", dir / "log", "--key", dir / "log.key", "--origin",
                       "example.com/fault", "--witness", witness_vkey + "=" + witness_url,
                       "--batch-max-entries", "64", "--batch-max-delay-ms", "2"},
                      dir / "init.err");
  ASSERT_EQ(init_status, 0) << init_out;

  std::mutex mu;
  std::vector<Ack> acks;
  std::set<std::string> checkpoints;  // every checkpoint a client was shown
  int sequence = 0;

  for (int round = 0; round < kRounds; ++round) {
    Process server({"log", "serve", "--data", dir / "log", "--key", dir / "log.key", "--listen",
                    "127.0.0.1:0"},
                   dir / "serve.err");
    const std::string url = server.WaitForLine(kServing)[1];
    ASSERT_FALSE(url.empty()) << "round " << round << ": the server did not come back; see "
                              << (dir / "serve.err");
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      int first;
      {
        std::lock_guard lock(mu);
        first = sequence;
        sequence += 100000;
      }
      clients.emplace_back([&, first] {
        net::HttpClientOptions options;
        options.timeout = 5s;
        auto http = net::HttpClient::Create(url, options).value();
        for (int i = first; !stop; ++i) {
          std::string entry = "fault entry " + std::to_string(i);
          auto r = http->Request("POST", "/add", entry);
          if (!r.ok()) break;  // the server died under us
          if (r->status != 200) continue;
          auto proof = tlog::ParseTlogProof(r->body);
          ASSERT_TRUE(proof.ok()) << proof.error().ToString();
          std::lock_guard lock(mu);
          acks.push_back({entry, proof->index});
          checkpoints.insert(proof->checkpoint);
        }
      });
    }
    clients.emplace_back([&] {  // a reader polling the checkpoint
      auto http = net::HttpClient::Create(url).value();
      while (!stop) {
        auto r = http->Request("GET", "/checkpoint");
        if (!r.ok()) break;
        if (r->status == 200) {
          std::lock_guard lock(mu);
          checkpoints.insert(r->body);
        }
        std::this_thread::sleep_for(5ms);
      }
    });
    // Kill at a random moment: sometimes right after start (recovery still fresh), mostly
    // in the middle of the load.
    std::uniform_int_distribution<int> delay_ms(0, 400);
    std::this_thread::sleep_for(
        std::chrono::milliseconds(round % 5 == 0 ? delay_ms(rng) / 20 : delay_ms(rng)));
    server.Kill(SIGKILL);
    stop = true;
    for (auto& t : clients) t.join();
  }

  // The final server: recovery once more, then read everything back with the client.
  Process server(
      {"log", "serve", "--data", dir / "log", "--key", dir / "log.key", "--listen", "127.0.0.1:0"},
      dir / "serve.err");
  const std::string url = server.WaitForLine(kServing)[1];
  auto client = tlog::LogClient::Open(url, log_vkey, "example.com/fault").value();
  auto final_checkpoint = client->FetchCheckpoint();
  ASSERT_TRUE(final_checkpoint.ok()) << final_checkpoint.error().ToString();
  const uint64_t size = final_checkpoint->checkpoint.size;
  std::printf("%zu acknowledged adds over %d kills; final tree size %llu; %zu checkpoints seen\n",
              acks.size(), kRounds, static_cast<unsigned long long>(size), checkpoints.size());
  ASSERT_GT(acks.size(), size_t(kRounds));  // the load did reach the log in most rounds
  {
    // How often a kill fell between durable tiles and a published checkpoint (informative:
    // the checks below hold either way).
    std::string log = ReadTextFile(dir / "serve.err").value_or("");
    size_t recoveries = 0;
    for (size_t at = 0; (at = log.find("durable entries beyond", at)) != std::string::npos; ++at) {
      ++recoveries;
    }
    std::printf("%zu restarts rolled forward unpublished entries\n", recoveries);
  }

  std::vector<Bytes> entries;
  ASSERT_TRUE(client
                  ->ForEachEntry(0, size, *final_checkpoint,
                                 [&](uint64_t, ByteView e) {
                                   entries.emplace_back(e.begin(), e.end());
                                   return Status::Ok();
                                 })
                  .ok());
  int checked = 0;
  for (const Ack& ack : acks) {
    ASSERT_LT(ack.index, size) << ack.entry;
    ASSERT_EQ(AsChars(entries[ack.index]), ack.entry) << "index " << ack.index;
    auto proof = client->ProveInclusion(ack.index, *final_checkpoint);
    ASSERT_TRUE(proof.ok()) << proof.error().ToString();
    ASSERT_TRUE(tlog::VerifyInclusion(ack.index, size, tlog::LeafHash(AsBytes(ack.entry)),
                                      proof->inclusion_proof, final_checkpoint->checkpoint.root)
                    .ok());
    ++checked;
  }
  EXPECT_EQ(checked, int(acks.size()));

  std::map<uint64_t, tlog::Hash> root_by_size;
  for (const std::string& note : checkpoints) {
    auto seen = client->CheckCheckpoint(note);
    ASSERT_TRUE(seen.ok()) << seen.error().ToString();
    auto [it, fresh] = root_by_size.emplace(seen->checkpoint.size, seen->checkpoint.root);
    ASSERT_TRUE(fresh || it->second == seen->checkpoint.root)
        << "two checkpoints of size " << seen->checkpoint.size << " with different roots";
    auto consistent = client->CheckConsistency(*seen, *final_checkpoint);
    ASSERT_TRUE(consistent.ok()) << "checkpoint " << seen->checkpoint.size << ": "
                                 << consistent.error().ToString();
  }
  auto witness_key = tlog::CosignatureV1Verifier::FromVerifierKey(witness_vkey).value();
  const tlog::CosignatureV1Verifier* cosigners[] = {witness_key.get()};
  EXPECT_EQ(tlog::VerifyCosignatures(final_checkpoint->signed_note, cosigners).value().size(), 1u);
}

}  // namespace
}  // namespace clearbox
