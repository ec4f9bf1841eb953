// The public entry points and the in-memory TreeCollector.
#include "clearbox/unpack/unpack.h"

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <thread>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "clearbox/core/file.h"
#include "clearbox/unpack/manifest.h"
#include "internal/engine.h"
#include "internal/scanner.h"
#include "internal/spill.h"

namespace clearbox::unpack {

Result<Summary> UnpackBuffer(ByteView data, const std::string& name, const Options& options,
                             Sink& sink) {
  internal::Engine engine(options, sink);
  return engine.Run(data, name);
}

namespace {
constexpr size_t kHashSlice = 8 << 20;
}  // namespace

Result<Summary> UnpackFile(const std::string& path, const Options& options, Sink& sink) {
  CLEARBOX_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  std::string name = std::filesystem::path(path).filename().string();
  if (name.empty()) name = path;
  // Pages of the image that handlers are done with may be dropped (peak RSS stays flat).
  internal::RegisterDroppable(file->bytes());
  // The digest is computed beside the unpack: it then fills a core that the unpack leaves
  // idle (a filesystem's directory walk is serial). Hashed a slice at a time, each dropped
  // once hashed, so the digest does not make the whole image resident either.
  std::string digest;
  std::thread hashing;
  if (options.hash_image) {
    hashing = std::thread([all = file->bytes(), &digest] {
      Sha256Hasher hasher;
      for (size_t at = 0; at < all.size(); at += kHashSlice) {
        ByteView slice = all.subspan(at, std::min(kHashSlice, all.size() - at));
        hasher.Update(slice);
        internal::DropPages(slice);
      }
      digest = HexEncode(hasher.Finish());
    });
  }
  Result<Summary> summary = UnpackBuffer(file->bytes(), name, options, sink);
  if (hashing.joinable()) hashing.join();
  if (summary.ok()) summary->image_sha256 = std::move(digest);
  internal::UnregisterDroppable(file->bytes());
  return summary;
}

std::vector<FoundContainer> ScanContainers(ByteView data, size_t max_results) {
  const auto& formats = internal::AllFormats();
  internal::MagicScanner scanner(formats);
  std::vector<FoundContainer> out;
  bool truncated = false;
  for (const internal::Candidate& c :
       scanner.Scan(data, 0, data.size(), max_results * 4, &truncated)) {
    if (out.size() >= max_results) break;
    const internal::FormatHandler& handler = *formats[c.format];
    if (handler.probe == nullptr) continue;
    std::optional<internal::Match> m = handler.probe(data.subspan(c.start));
    if (!m) continue;
    out.push_back({std::string(handler.name), c.start, m->length, m->detail,
                   handler.open != nullptr && !m->unsupported});
  }
  return out;
}

struct TreeCollector::State {
  std::mutex mu;
  std::vector<Entry> entries;
  std::vector<FilesystemInfo> filesystems;
  std::vector<Note> notes;
};

TreeCollector::TreeCollector(bool hash_contents)
    : hash_contents_(hash_contents), state_(std::make_unique<State>()) {}
TreeCollector::~TreeCollector() = default;

void TreeCollector::OnFilesystem(const FilesystemInfo& fs) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->filesystems.push_back(fs);
}

void TreeCollector::OnNote(const Note& note) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->notes.push_back(note);
}

Status TreeCollector::OnNode(const Node& node, ContentReader* content) {
  Entry entry{node, {}};
  if (hash_contents_ && content != nullptr) entry.sha256 = HashContent(*content);
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->entries.push_back(std::move(entry));
  return Status::Ok();
}

std::vector<TreeCollector::Entry> TreeCollector::TakeEntries() {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<Entry> out = std::move(state_->entries);
  state_->entries.clear();
  std::stable_sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
    return a.node.provenance < b.node.provenance;
  });
  return out;
}

std::vector<FilesystemInfo> TreeCollector::TakeFilesystems() {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<FilesystemInfo> out = std::move(state_->filesystems);
  state_->filesystems.clear();
  return out;
}

std::vector<Note> TreeCollector::TakeNotes() {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<Note> out = std::move(state_->notes);
  state_->notes.clear();
  return out;
}

}  // namespace clearbox::unpack
