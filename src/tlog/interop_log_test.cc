// Writes a multi-level tiled log with this library, the way a sequencer does (TreeTiler,
// EntryBundler, SignCheckpoint; partial tiles kept for every published size), together with
// consistency and inclusion proofs computed by LogClient from the files, and checks it with
// our own client. tests/tlog_go_interop_test.sh runs this test with
// CLEARBOX_TLOG_INTEROP_DIR=<dir> to keep the log, and has Go's x/mod verify it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "clearbox/core/file.h"
#include "clearbox/tlog/checkpoint.h"
#include "clearbox/tlog/client.h"
#include "clearbox/tlog/proof.h"
#include "clearbox/tlog/tiles.h"

namespace clearbox::tlog {
namespace {

namespace fs = std::filesystem;

// Plain writes: a test log needs no fsync (a sequencer's durability is tested elsewhere).
void Write(const fs::path& path, ByteView data) {
  fs::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(f.good()) << path;
}

std::string Entry(uint64_t i) {
  // Varied lengths, including empty entries and a maximal one.
  if (i % 1000 == 7) return "";
  if (i == 4242) return std::string(kMaxEntrySize, 'm');
  return "clearbox entry " + std::to_string(i) + std::string(i % 23, '.');
}

TEST(InteropLogWriter, WritesAVerifiableMultiLevelLog) {
  const char* keep = std::getenv("CLEARBOX_TLOG_INTEROP_DIR");
  fs::path out =
      keep ? fs::path(keep)
           : fs::temp_directory_path() / ("clearbox-interop-log-" + std::to_string(::getpid()));
  fs::remove_all(out);
  const fs::path log_dir = out / "log";
  const std::string origin = "clearbox.example/interop";
  auto signer =
      crypto::Ed25519NoteSigner::Create(origin, crypto::Ed25519PrivateKey::Generate().value())
          .value();
  Write(out / "vkey", AsBytes(signer->VerifierKeyText() + "\n"));

  const uint64_t kSize = 70000;
  const std::vector<uint64_t> publish_at = {1, 256, 257, 4099, 65536, 65537, kSize};
  TreeTiler tiler;
  EntryBundler bundler;
  std::vector<std::string> checkpoints;
  const crypto::NoteSigner* signers[] = {signer.get()};
  for (uint64_t i = 0, p = 0; i < kSize; ++i) {
    std::string e = Entry(i);
    ASSERT_TRUE(tiler.Append(LeafHash(AsBytes(e))).ok());
    ASSERT_TRUE(bundler.Append(AsBytes(e)).ok());
    if (tiler.size() != publish_at[p]) continue;
    for (const TileData& t : tiler.TakeChangedTiles()) Write(log_dir / t.path, t.data);
    for (const TileData& t : bundler.TakeChangedBundles()) Write(log_dir / t.path, t.data);
    std::string note = SignCheckpoint({origin, tiler.size(), tiler.Root(), {}}, signers).value();
    Write(log_dir / "checkpoint", AsBytes(note));
    Write(out / "checkpoints" / ("checkpoint." + std::to_string(tiler.size())), AsBytes(note));
    checkpoints.push_back(note);
    ++p;
  }
  ASSERT_EQ(checkpoints.size(), publish_at.size());

  // Proofs computed by the client from the files, as any reader of the log would.
  auto client = LogClient::Open(log_dir.string(), signer->VerifierKeyText(), origin).value();
  auto latest = client->FetchCheckpoint();
  ASSERT_TRUE(latest.ok()) << latest.error().ToString();
  ASSERT_EQ(latest->checkpoint.size, kSize);
  for (size_t k = 0; k + 1 < checkpoints.size(); ++k) {
    auto older = client->CheckCheckpoint(checkpoints[k]).value();
    auto proof = client->CheckConsistency(older, *latest);
    ASSERT_TRUE(proof.ok()) << proof.error().ToString();
    std::string text = std::to_string(older.checkpoint.size) + " " + std::to_string(kSize) + "\n" +
                       HashToBase64(older.checkpoint.root) + "\n" +
                       HashToBase64(latest->checkpoint.root) + "\n";
    for (const Hash& h : *proof) text += HashToBase64(h) + "\n";
    Write(
        out / "consistency" / (std::to_string(older.checkpoint.size) + "-" + std::to_string(kSize)),
        AsBytes(text));
  }
  for (uint64_t index : {uint64_t(0), uint64_t(7), uint64_t(255), uint64_t(256), uint64_t(4242),
                         uint64_t(65535), uint64_t(65536), uint64_t(69999)}) {
    auto proof = client->ProveInclusion(index, *latest);
    ASSERT_TRUE(proof.ok()) << proof.error().ToString();
    std::string name = std::to_string(index);
    Write(out / "proofs" / (name + ".tlog-proof"), AsBytes(FormatTlogProof(*proof)));
    Write(out / "proofs" / (name + ".entry"), AsBytes(Entry(index)));
    // Our own verifier agrees, and the entry bundles read back verified.
    auto key = crypto::Ed25519NoteVerifier::FromVerifierKey(signer->VerifierKeyText()).value();
    EXPECT_TRUE(VerifyTlogProof(*proof, LeafHash(AsBytes(Entry(index))), *key).ok()) << index;
    auto entry = client->ReadEntry(index, *latest);
    ASSERT_TRUE(entry.ok()) << entry.error().ToString();
    EXPECT_EQ(AsChars(*entry), Entry(index));
  }
  if (!keep) fs::remove_all(out);
}

}  // namespace
}  // namespace clearbox::tlog
