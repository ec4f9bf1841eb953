// CheckEquivalence: OLD unpacked and hashed; NEW unpacked and hashed, keeping the content of
// files whose digest differs from OLD's; when some do, OLD read again for just those files.
#include "clearbox/diff/equivalence.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <tuple>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "clearbox/diff/diff.h"
#include "elf_sections.h"

namespace clearbox::diff {
namespace {

struct FileFacts {
  unpack::Node node;
  std::string sha256;
  bool have_content = false;
  Bytes content;  // only when kept
};
using FileMap = std::map<std::string, FileFacts>;

// Collects every node by FileKey with the SHA-256 of its content; keeps the content of the
// files `keep` asks for (given the key and the digest). Thread-safe as Sink requires.
class HashingSink : public unpack::Sink {
 public:
  using KeepFn = std::function<bool(const std::string& key, const std::string& sha256)>;
  // `only`: if not null, only these files are read (hashed, kept); the others are listed
  // without their content, which is then never decompressed.
  HashingSink(KeepFn keep, uint64_t max_keep, const std::set<std::string>* only = nullptr)
      : keep_(std::move(keep)), max_keep_(max_keep), only_(only) {}

  Status OnNode(const unpack::Node& node, unpack::ContentReader* content) override {
    FileFacts facts;
    facts.node = node;
    std::string key = FileKey(node.provenance);
    if (only_ != nullptr && !only_->count(key)) content = nullptr;
    if (node.type == unpack::NodeType::kFile && content != nullptr) {
      Bytes buffer;
      bool keepable = keep_ && node.size <= max_keep_;
      if (std::optional<ByteView> whole = content->Contiguous()) {
        facts.sha256 = Sha256Hex(*whole);
        facts.have_content = keepable && keep_(key, facts.sha256);
        if (facts.have_content) facts.content.assign(whole->begin(), whole->end());
      } else {
        Sha256Hasher hasher;
        // One buffer per unpacker thread: a fresh zeroed MiB per file cost more than hashing.
        thread_local std::vector<uint8_t> chunk(1 << 20);
        for (;;) {
          Result<size_t> n = content->Read(chunk);
          if (!n.ok() || *n == 0) break;  // the engine recorded a note for a corrupt block
          ByteView got(chunk.data(), *n);
          hasher.Update(got);
          if (keepable) buffer.insert(buffer.end(), got.begin(), got.end());
        }
        Sha256Digest d = hasher.Finish();
        facts.sha256 = HexEncode(d);
        facts.have_content = keepable && keep_(key, facts.sha256);
        if (facts.have_content) facts.content = std::move(buffer);
      }
    }
    Add(std::move(key), std::move(facts));
    return Status::Ok();
  }
  bool WantsUnclaimed() const override { return true; }
  void OnUnclaimed(const std::string& provenance, uint64_t offset, ByteView bytes) override {
    // Keyed once all are in (TakeFiles): by their rank in the blob, since their offsets move
    // when a container before them grows. Small (padding, a boot loader): always kept when
    // this pass keeps anything.
    // Padding (zeros, or erased flash) only fills a container to its block size.
    if (std::all_of(bytes.begin(), bytes.end(), [&](uint8_t b) { return b == bytes[0]; }) &&
        (bytes.empty() || bytes[0] == 0 || bytes[0] == 0xff)) {
      return;
    }
    Unclaimed u{provenance, offset, {}};
    u.facts.node.size = bytes.size();
    u.facts.sha256 = Sha256Hex(bytes);
    if (keep_ && bytes.size() <= max_keep_) {
      u.facts.content.assign(bytes.begin(), bytes.end());
      u.facts.have_content = true;
    }
    std::lock_guard lock(mu_);
    unclaimed_.push_back(std::move(u));
  }
  void OnNote(const unpack::Note& note) override {
    std::lock_guard lock(mu_);
    notes_.push_back(note);
  }

  FileMap TakeFiles() {
    std::sort(unclaimed_.begin(), unclaimed_.end(), [](const Unclaimed& a, const Unclaimed& b) {
      return std::tie(a.provenance, a.offset) < std::tie(b.provenance, b.offset);
    });
    std::map<std::string, int> rank;
    for (Unclaimed& u : unclaimed_) {
      size_t bang = u.provenance.find('!');
      std::string blob = bang == std::string::npos ? "" : FileKey(u.provenance);
      std::string key = fmt::format("{}[unclaimed bytes #{}]", blob, ++rank[blob]);
      u.facts.node.provenance = fmt::format("{} at {}", u.provenance, HexOffset(u.offset));
      Add(std::move(key), std::move(u.facts));
    }
    unclaimed_.clear();
    return std::move(files_);
  }
  std::vector<unpack::Note> TakeNotes() { return std::move(notes_); }

 private:
  void Add(std::string key, FileFacts facts) {
    std::lock_guard lock(mu_);
    // Two entries of one name (a tar that stores a path twice): the later one is what an
    // extraction leaves, but the order is the engine's, so both are kept under distinct keys.
    std::string unique = key;
    for (int n = 2; files_.count(unique); ++n) unique = fmt::format("{}#{}", key, n);
    files_.emplace(std::move(unique), std::move(facts));
  }

  struct Unclaimed {
    std::string provenance;
    uint64_t offset = 0;
    FileFacts facts;
  };

  KeepFn keep_;
  uint64_t max_keep_;
  const std::set<std::string>* only_;
  std::vector<Unclaimed> unclaimed_;
  std::mutex mu_;
  FileMap files_;
  std::vector<unpack::Note> notes_;
};

struct Pass {
  FileMap files;
  std::vector<unpack::Note> notes;
  unpack::Summary summary;
};

Result<Pass> Unpack(const std::string& path, const EquivalenceOptions& options,
                    HashingSink::KeepFn keep, const std::set<std::string>* only = nullptr) {
  HashingSink sink(std::move(keep), options.max_compare_bytes, only);
  Result<unpack::Summary> summary = unpack::UnpackFile(path, options.unpack, sink);
  if (!summary.ok()) {
    return Error(summary.error().code(), fmt::format("{}: {}", path, summary.error().message()));
  }
  return Pass{sink.TakeFiles(), sink.TakeNotes(), *summary};
}

// A file the unpacker opened (its entries follow with "KEY!"): compared by its entries.
bool IsOpenedContainer(const FileMap& files, const std::string& key) {
  auto it = files.lower_bound(key + "!");
  return it != files.end() && it->first.compare(0, key.size() + 1, key + "!") == 0;
}

// A directory one archive stores and the other only implies by its entries' paths.
bool ImpliedDirectory(const FileMap& other, const std::string& key, const FileFacts& dir) {
  if (dir.node.type != unpack::NodeType::kDirectory) return false;
  std::string prefix = key.back() == '/' ? key : key + "/";
  auto it = other.lower_bound(prefix);
  return it != other.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

std::string Metadata(const unpack::Node& a, const unpack::Node& b) {
  std::vector<std::string> parts;
  if ((a.mode & 07777) != (b.mode & 07777)) {
    parts.push_back(fmt::format("mode {:04o} -> {:04o}", a.mode & 07777, b.mode & 07777));
  }
  if (a.uid != b.uid || a.gid != b.gid) {
    parts.push_back(fmt::format("owner {}:{} -> {}:{}", a.uid, a.gid, b.uid, b.gid));
  }
  if (a.link_target != b.link_target) {
    parts.push_back(fmt::format("link {} -> {}", a.link_target, b.link_target));
  }
  if (a.dev_major != b.dev_major || a.dev_minor != b.dev_minor) {
    parts.push_back(fmt::format("device {}:{} -> {}:{}", a.dev_major, a.dev_minor, b.dev_major,
                                b.dev_minor));
  }
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

// Where two kept contents differ; with ignore_build_id, nullopt when only the build id does.
std::optional<FileDifference> Locate(const std::string& key, FileFacts& a, FileFacts& b,
                                      const EquivalenceOptions& options,
                                      std::vector<std::string>& normalised) {
  FileDifference d;
  d.path = key;
  d.difference = "content";
  d.old_sha256 = a.sha256;
  d.new_sha256 = b.sha256;
  if (!a.have_content || !b.have_content) {
    d.detail = fmt::format("larger than {} MiB: compared by SHA-256 only",
                           options.max_compare_bytes >> 20);
    return d;
  }
  if (options.ignore_build_id && MaskBuildId(a.content) > 0 && MaskBuildId(b.content) > 0 &&
      a.content == b.content) {
    normalised.push_back(key + ": ELF build id");
    return std::nullopt;
  }
  d.offset_known = true;
  d.offset = FirstDifference(a.content, b.content);
  d.section = ElfSectionAt(b.content, d.offset);
  if (d.section.empty()) d.section = ElfSectionAt(a.content, d.offset);
  if (a.content.size() != b.content.size()) {
    d.detail = fmt::format("size {} -> {} bytes", a.content.size(), b.content.size());
  }
  return d;
}

}  // namespace

Result<EquivalenceReport> CheckEquivalence(const std::string& old_path,
                                           const std::string& new_path,
                                           const EquivalenceOptions& options) {
  EquivalenceReport r;
  CLEARBOX_ASSIGN_OR_RETURN(Pass old_pass, Unpack(old_path, options, nullptr));
  // NEW keeps what differs from OLD at the same key.
  auto differs_from_old = [&old_pass](const std::string& key, const std::string& sha256) {
    auto it = old_pass.files.find(key);
    return it != old_pass.files.end() && !it->second.sha256.empty() && it->second.sha256 != sha256;
  };
  CLEARBOX_ASSIGN_OR_RETURN(Pass new_pass, Unpack(new_path, options, differs_from_old));
  std::set<std::string> refetch;
  for (const auto& [key, facts] : new_pass.files) {
    if (facts.have_content && differs_from_old(key, facts.sha256)) refetch.insert(key);
  }
  if (!refetch.empty()) {
    auto wanted = [&refetch](const std::string& key, const std::string&) {
      return refetch.count(key) > 0;
    };
    EquivalenceOptions again_options = options;
    again_options.unpack.hash_image = false;  // known from the first pass
    // Only the differing files are read again: the rest of OLD is walked, not decompressed.
    CLEARBOX_ASSIGN_OR_RETURN(Pass again, Unpack(old_path, again_options, wanted, &refetch));
    for (const std::string& key : refetch) {
      auto it = again.files.find(key);
      if (it != again.files.end()) old_pass.files[key] = std::move(it->second);
    }
  }

  r.old_image = std::filesystem::path(old_path).filename().string();
  r.new_image = std::filesystem::path(new_path).filename().string();
  r.old_sha256 = old_pass.summary.image_sha256;
  r.new_sha256 = new_pass.summary.image_sha256;
  r.partial = old_pass.summary.partial || new_pass.summary.partial;
  r.notes = std::move(old_pass.notes);
  r.notes.insert(r.notes.end(), new_pass.notes.begin(), new_pass.notes.end());

  uint64_t timestamps = 0, containers = 0;
  for (auto& [key, b] : new_pass.files) {
    auto it = old_pass.files.find(key);
    if (it == old_pass.files.end()) {
      if (ImpliedDirectory(old_pass.files, key, b)) continue;
      r.differences.push_back({key, "only-in-new", false, 0, "", "", "", b.sha256});
      continue;
    }
    FileFacts& a = it->second;
    ++r.files_compared;
    if (a.node.mtime != b.node.mtime) ++timestamps;
    if (a.node.type != b.node.type) {
      r.differences.push_back({key, "type", false, 0, "",
                               fmt::format("{} -> {}", unpack::NodeTypeName(a.node.type),
                                           unpack::NodeTypeName(b.node.type)),
                               a.sha256, b.sha256});
      continue;
    }
    if (std::string meta = Metadata(a.node, b.node); !meta.empty()) {
      r.differences.push_back({key, "metadata", false, 0, "", meta, a.sha256, b.sha256});
    }
    if (a.sha256 == b.sha256) continue;
    if (IsOpenedContainer(new_pass.files, key) && IsOpenedContainer(old_pass.files, key)) {
      ++containers;  // its entries are compared one by one
      continue;
    }
    if (auto d = Locate(key, a, b, options, r.normalised)) r.differences.push_back(std::move(*d));
  }
  for (const auto& [key, a] : old_pass.files) {
    if (!new_pass.files.count(key) && !ImpliedDirectory(new_pass.files, key, a)) {
      r.differences.push_back({key, "only-in-old", false, 0, "", "", a.sha256, ""});
    }
  }
  std::stable_sort(r.differences.begin(), r.differences.end(),
                   [](const FileDifference& x, const FileDifference& y) { return x.path < y.path; });
  if (timestamps > 0) r.normalised.insert(r.normalised.begin(), fmt::format("{} timestamps", timestamps));
  if (containers > 0) {
    r.normalised.push_back(fmt::format("{} containers compared by their entries", containers));
  }
  r.equivalent = r.differences.empty() && !r.partial;
  return r;
}

}  // namespace clearbox::diff
