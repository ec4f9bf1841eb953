// Sequencing throughput of the transparency log, beside its bounds, in one run.
//
// Workloads (all over the same N leaves of 256 bytes; leaf i is SHA-256("clearbox-bench-leaf"
// || uint64be(i)) repeated 8 times, as bench/go/tlog_hashes generates them):
//   hashing bound     OpenSSL SHA-256 alone (its fastest, low-level calls): every leaf hash and
//                     every interior node of the tree (what any RFC 6962 log must compute at
//                     least), one thread
//   go reference      golang.org/x/mod/sumdb/tlog.StoredHashes over the same leaves, in memory
//                     (run as a child process, --go PATH); its root must equal ours
//   tiles in memory   tlog-core's TreeTiler + EntryBundler, no I/O: the integration work
//   disk bound        the bytes the directory backend writes (bundles + level-0 tiles), one
//                     file, fdatasync every 4096 entries: what this disk can absorb
//   entries alone     the same for the 256-byte entries only: what any log, whatever its
//                     design, must make durable before it answers (the floor under 'sequencer')
//   sequencer B       Sequencer on the directory backend, batches of B entries, each batch's
//                     tiles fsynced and a signed checkpoint published, every entry answered
//                     (index, checkpoint, snapshot of the tree's hashes) once it is durable and
//                     published, as POST /add is. Entries are submitted from this thread (which
//                     computes the leaf hashes) with a window of 4 batches.
//   proof texts B     AddResult::Proof() for every answer of the run above, one thread: the
//                     tlog-proof text that POST /add's HTTP loop builds before it writes the
//                     answer (off the sequencer's threads); a sample is verified.
//
//   tlog_sequencer_benchmark --dir DIR [--entries 1000000] [--batch 1:20000 --batch 256 ...]
//                            [--go PATH]
// --batch B[:N] runs batch size B over the first N leaves (default: all). --keep leaves the
// logs in DIR/run-<pid> (for back-to-back runs: deleting them slows the next run's writes).
#include <fcntl.h>
#include <openssl/sha.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "clearbox/core/encoding.h"
#include "clearbox/crypto/note.h"
#include "clearbox/tlog/proof.h"
#include "clearbox/tlog/sequencer.h"
#include "clearbox/tlog/storage.h"
#include "clearbox/tlog/tiles.h"

namespace clearbox::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kLeafSize = 256;

// User + system CPU time of the whole process so far.
double ProcessCpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// CPU seconds (user + system) of each live thread of this process, by thread name (threads
// of one name summed). Threads that ended are not counted (the per-batch tile writers: their
// time is in the process total).
std::map<std::string, double> ThreadCpuSeconds() {
  std::map<std::string, double> out;
  const double tick = double(::sysconf(_SC_CLK_TCK));
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // "tid (comm) state ..." with comm possibly holding spaces: fields resume after ')'.
    size_t open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
    }
    out[line.substr(open + 1, close - open - 1)] += (utime + stime) / tick;
  }
  return out;
}

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<Bytes> MakeLeaves(uint64_t n) {
  std::vector<Bytes> leaves(n);
  uint8_t seed[27];
  std::memcpy(seed, "clearbox-bench-leaf", 19);
  for (uint64_t i = 0; i < n; ++i) {
    StoreBE64(seed + 19, i);
    Sha256Digest block = Sha256(ByteView(seed, sizeof seed));
    leaves[i].reserve(kLeafSize);
    for (int k = 0; k < 8; ++k) leaves[i].insert(leaves[i].end(), block.begin(), block.end());
  }
  return leaves;
}

// The hashing bound: SHA-256 of every leaf (0x00 || leaf) and every interior node
// (0x01 || left || right) of the tree, with OpenSSL alone. OpenSSL's low-level SHA256_*
// calls are used because they are its fastest path for short inputs: the one-shot SHA256()
// and EVP_DigestInit_ex(EVP_sha256()) look the algorithm up on every call (several times
// slower for a 65-byte node). Returns the root (as a check) and the time.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
std::pair<tlog::Hash, double> HashingBound(const std::vector<Bytes>& leaves) {
  SHA256_CTX ctx;
  auto start = Clock::now();
  std::vector<tlog::Hash> level(leaves.size());
  const uint8_t leaf_prefix = 0, node_prefix = 1;
  for (size_t i = 0; i < leaves.size(); ++i) {
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, &leaf_prefix, 1);
    SHA256_Update(&ctx, leaves[i].data(), leaves[i].size());
    SHA256_Final(level[i].data(), &ctx);
  }
  // RFC 6962 tree: pair complete subtrees level by level; an odd last node moves up as is
  // (its parent is formed further up, as MTH's split at the largest power of two does).
  while (level.size() > 1) {
    std::vector<tlog::Hash> up((level.size() + 1) / 2);
    for (size_t i = 0; i + 1 < level.size(); i += 2) {
      SHA256_Init(&ctx);
      SHA256_Update(&ctx, &node_prefix, 1);
      SHA256_Update(&ctx, level[i].data(), 32);
      SHA256_Update(&ctx, level[i + 1].data(), 32);
      SHA256_Final(up[i / 2].data(), &ctx);
    }
    if (level.size() % 2) up.back() = level.back();
    level = std::move(up);
  }
  double seconds = Seconds(start);
  return {level.empty() ? tlog::EmptyRootHash() : level[0], seconds};
}
#pragma GCC diagnostic pop

std::pair<tlog::Hash, double> TilesInMemory(const std::vector<Bytes>& leaves) {
  auto start = Clock::now();
  tlog::TreeTiler tiler;
  tlog::EntryBundler bundler;
  size_t bytes = 0;
  for (size_t i = 0; i < leaves.size(); ++i) {
    (void)tiler.Append(tlog::LeafHash(leaves[i]));
    (void)bundler.Append(leaves[i]);
    if ((i + 1) % 4096 == 0 || i + 1 == leaves.size()) {
      for (const auto& t : tiler.TakeChangedTiles()) bytes += t.data.size();
      for (const auto& t : bundler.TakeChangedBundles()) bytes += t.data.size();
    }
  }
  double seconds = Seconds(start);
  return {tiler.Root(), seconds};
}

// Writes, per 4096 entries, `bytes_per_4096` random bytes to one file and fdatasyncs it.
double DiskBound(const std::string& dir, uint64_t n, size_t bytes_per_4096) {
  const std::string path = dir + "/disk-bound.bin";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  // Random bytes, as entries and hashes are: a disk (or the host under a virtual one) may
  // compress or deduplicate a constant fill, and would then look several times faster than it is.
  Bytes chunk(bytes_per_4096);
  std::mt19937_64 random(42);
  for (size_t i = 0; i + 8 <= chunk.size(); i += 8) StoreBE64(chunk.data() + i, random());
  auto start = Clock::now();
  for (uint64_t done = 0; done < n; done += 4096) {
    // A different chunk each time (a rotation of the same random bytes), so that nothing
    // below can deduplicate them.
    std::rotate(chunk.begin(), chunk.begin() + 4099, chunk.end());
    size_t part = chunk.size() * std::min<uint64_t>(4096, n - done) / 4096;
    if (::write(fd, chunk.data(), part) != ssize_t(part)) break;
    ::fdatasync(fd);
  }
  double seconds = Seconds(start);
  ::close(fd);
  std::filesystem::remove(path);
  return seconds;
}

struct SequencerRun {
  double seconds = 0;
  double proof_seconds = 0;  // every answer's tlog-proof text, one thread
  uint64_t bad_proofs = 0;
  tlog::Hash root{};
  uint64_t batches = 0;
  uint64_t failures = 0;
};

SequencerRun RunSequencer(const std::string& dir, const std::vector<Bytes>& leaves, uint64_t n,
                          uint32_t batch) {
  auto key = crypto::GenerateNoteKey("bench.example/log").value();
  auto signer = crypto::Ed25519NoteSigner::FromSignerKey(key.signer_key).value();
  auto verifier = crypto::Ed25519NoteVerifier::FromVerifierKey(key.verifier_key).value();
  tlog::LogConfig config;
  config.origin = "bench.example/log";
  config.log_key = key.verifier_key;
  config.batch_max_entries = batch;
  // As `clearbox log serve` does by default. The producer keeps 4 batches queued, so every
  // batch but the last is full; the last does not wait a long delay for entries that never come.
  config.batch_max_delay = std::chrono::milliseconds(20);
  auto storage = tlog::OpenDirectoryStorage(dir, true).value();
  (void)storage->WriteConfig(config);
  tlog::SequencerOptions options;
  options.max_queued_entries = size_t(1) << 24;
  auto sequencer =
      tlog::Sequencer::Start(*storage, config, std::move(signer), nullptr, options).value();
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<uint64_t> answered{0}, failures{0};
  std::vector<tlog::AddResult> results(n);
  const uint64_t window = std::max<uint64_t>(4ull * batch, 64);
  const double cpu_start = ProcessCpuSeconds();
  const auto threads_start = ThreadCpuSeconds();
  auto start = Clock::now();
  for (uint64_t i = 0; i < n; ++i) {
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return i - answered < window; });
    }
    sequencer->Add(leaves[i], [&, i](Result<tlog::AddResult> r) {
      if (!r.ok()) {
        ++failures;
      } else {
        results[i] = std::move(*r);
      }
      // Wake the producer now and then, not on every answer (the window is >= 64).
      uint64_t done = ++answered;
      if (done % 64 == 0 || done == n) {
        std::lock_guard lock(mu);
        cv.notify_all();
      }
    });
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return answered == n; });
  }
  SequencerRun run;
  run.seconds = Seconds(start);
  const double cpu = ProcessCpuSeconds() - cpu_start;
  std::string per_thread;
  for (const auto& [name, seconds] : ThreadCpuSeconds()) {
    auto before = threads_start.find(name);
    const double used = seconds - (before == threads_start.end() ? 0 : before->second);
    if (used >= 0.01) per_thread += " " + name + " " + std::to_string(used).substr(0, 5);
  }
  tlog::SequencerStats stats = sequencer->stats();
  run.batches = stats.batches;
  auto ms = [](std::chrono::nanoseconds d) { return d.count() / 1e6; };
  std::fprintf(
      stderr,
      "  %.3f s (CPU %.3f s, all threads), %llu batches; sequencer thread ms: lookup %.0f, "
      "integrate %.0f, write %.0f, publish %.0f, answer %.0f\n",
      run.seconds, cpu, (unsigned long long)stats.batches, ms(stats.lookup_time),
      ms(stats.integrate_time), ms(stats.write_time), ms(stats.publish_time),
      ms(stats.answer_time));
  std::fprintf(stderr, "  CPU s by thread (the benchmark's own is the producer):%s\n",
               per_thread.c_str());
  run.failures = failures;
  // The proof texts, as the HTTP loops build them before writing each answer.
  auto proofs_start = Clock::now();
  size_t proof_bytes = 0;
  for (uint64_t i = 0; i < n; ++i) {
    auto text = results[i].Proof();
    if (!text.ok()) {
      ++run.bad_proofs;
      continue;
    }
    proof_bytes += text->size();
  }
  run.proof_seconds = Seconds(proofs_start);
  for (uint64_t i = 0; i < n; i += std::max<uint64_t>(1, n / 1000)) {
    auto proof = tlog::ParseTlogProof(results[i].Proof().value_or(""));
    if (!proof.ok() || proof->index != i ||
        !tlog::VerifyTlogProof(*proof, tlog::LeafHash(leaves[i]), *verifier).ok()) {
      ++run.bad_proofs;
    }
  }
  std::fprintf(stderr, "  proof texts: %.3f s (%.2f us each, %zu bytes in all)\n",
               run.proof_seconds, 1e6 * run.proof_seconds / double(n), proof_bytes);
  results.clear();
  sequencer->Stop();
  run.root = tlog::TreeTiler::Resume(n, *storage).value().Root();
  storage.reset();  // the log stays until the whole benchmark is done (see Main)
  return run;
}

struct Row {
  std::string name;
  uint64_t entries;
  double seconds;
};

int Main(int argc, char** argv) {
  std::string dir, go;
  bool keep = false;
  uint64_t entries = 1000000;
  std::vector<std::pair<uint32_t, uint64_t>> batches;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--dir") {
      dir = value();
    } else if (a == "--entries") {
      entries = std::stoull(value());
    } else if (a == "--keep") {
      keep = true;
    } else if (a == "--go") {
      go = value();
    } else if (a == "--batch") {
      std::string spec = value();
      size_t colon = spec.find(':');
      uint32_t b = uint32_t(std::stoul(spec.substr(0, colon)));
      uint64_t n = colon == std::string::npos ? 0 : std::stoull(spec.substr(colon + 1));
      batches.emplace_back(b, n);
    } else {
      std::fprintf(stderr,
                   "usage: %s --dir DIR [--entries N] [--batch B[:N]]... [--go PATH] [--keep]\n",
                   argv[0]);
      return 2;
    }
  }
  if (dir.empty()) {
    std::fprintf(stderr, "--dir is required (a scratch directory on the disk to measure)\n");
    return 2;
  }
  if (batches.empty()) batches = {{1, 20000}, {256, 0}, {4096, 0}};
  // Every log of this run goes into a directory of its own, deleted only when all is measured:
  // on ext4 without a journal, creating a file right after thousands were deleted scans the
  // recently deleted inodes (find_inode_bit, recently_deleted) and costs up to a few ms, so
  // deleting one run's log would slow the next run's tile writes.
  dir += "/run-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);

  std::fprintf(stderr, "generating %llu leaves...\n", (unsigned long long)entries);
  std::vector<Bytes> leaves = MakeLeaves(entries);
  std::vector<Row> rows;
  bool roots_agree = true;

  auto [bound_root, bound_seconds] = HashingBound(leaves);
  rows.push_back({"hashing bound (OpenSSL SHA-256, 1 thread)", entries, bound_seconds});
  auto [tiles_root, tiles_seconds] = TilesInMemory(leaves);
  rows.push_back({"tiles in memory (TreeTiler+EntryBundler)", entries, tiles_seconds});
  roots_agree &= tiles_root == bound_root;

  double go_seconds = 0;
  if (!go.empty()) {
    std::string command = go + " -entries " + std::to_string(entries);
    FILE* p = ::popen(command.c_str(), "r");
    char line[512] = {0};
    if (p && std::fgets(line, sizeof line, p)) {
      unsigned long long n = 0;
      char root[128] = {0};
      if (std::sscanf(line, "entries %llu seconds %lf root %127s", &n, &go_seconds, root) == 3) {
        rows.push_back({"Go x/mod tlog.StoredHashes (in memory)", n, go_seconds});
        roots_agree &= std::string(root) == Base64Encode(bound_root);
      }
    }
    if (p) ::pclose(p);
  }
  // What the directory backend must make durable per 4096 entries: 16 full bundles of
  // 256 * (2 + 256) bytes and 16 level-0 tiles; and the entries alone, which any durable log
  // must write before it answers, whatever its design.
  rows.push_back({"disk bound (same bytes, fdatasync/4096)", entries,
                  DiskBound(dir, entries, 16 * (256 * (2 + kLeafSize) + tlog::kFullTileSize))});
  rows.push_back({"disk bound, entries alone (fdatasync/4096)", entries,
                  DiskBound(dir, entries, 4096 * kLeafSize)});

  for (auto [batch, n] : batches) {
    if (n == 0 || n > entries) n = entries;
    std::fprintf(stderr, "sequencer, batch %u, %llu entries...\n", batch, (unsigned long long)n);
    SequencerRun run = RunSequencer(dir + "/log-" + std::to_string(batch), leaves, n, batch);
    if (run.failures)
      std::fprintf(stderr, "  %llu adds failed!\n", (unsigned long long)run.failures);
    if (run.bad_proofs) {
      std::fprintf(stderr, "  %llu proofs failed to build or verify!\n",
                   (unsigned long long)run.bad_proofs);
      roots_agree = false;
    }
    rows.push_back({"sequencer, batch " + std::to_string(batch) + ", fsync/batch", n, run.seconds});
    rows.push_back(
        {"  proof texts of batch " + std::to_string(batch) + " (1 thread)", n, run.proof_seconds});
    if (n == entries) roots_agree &= run.root == bound_root;
  }

  const double bound_rate = double(entries) / bound_seconds;
  const double go_rate = go_seconds > 0 ? double(entries) / go_seconds : 0;
  std::printf("%-46s %9s %9s %12s %10s %8s\n", "workload", "entries", "seconds", "entries/s",
              "vs bound", "vs Go");
  for (const Row& r : rows) {
    double rate = double(r.entries) / r.seconds;
    char vs_go[16] = "-";
    if (go_rate > 0) std::snprintf(vs_go, sizeof vs_go, "%.2fx", rate / go_rate);
    std::printf("%-46s %9llu %9.3f %12.0f %9.1f%% %8s\n", r.name.c_str(),
                (unsigned long long)r.entries, r.seconds, rate, 100.0 * rate / bound_rate, vs_go);
  }
  std::printf("roots %s (OpenSSL bound, tiles, sequencer%s)\n", roots_agree ? "agree" : "DISAGREE",
              go.empty() ? "" : ", Go");
  if (!keep) std::filesystem::remove_all(dir);
  return roots_agree ? 0 : 1;
}

}  // namespace
}  // namespace clearbox::bench

int main(int argc, char** argv) { return clearbox::bench::Main(argc, argv); }
