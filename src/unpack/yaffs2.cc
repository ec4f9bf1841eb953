// The YAFFS2 reader (yaffs2.h).
#include "yaffs2.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "internal/format.h"
#include "internal/inode_tree.h"

namespace clearbox::unpack::yaffs2 {
namespace {

bool AllBytes(ByteView data, uint8_t v) {
  return std::all_of(data.begin(), data.end(), [v](uint8_t b) { return b == v; });
}

// Linux's new_decode_dev, which also reads old 16-bit encodings.
void DecodeDev(uint32_t rdev, uint32_t& major, uint32_t& minor) {
  major = (rdev & 0xfff00) >> 8;
  minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
}

// Reads a file's bytes from its chunks; missing chunks and bytes past a chunk's byte count
// read as zeros.
class FileReader : public ContentReader {
 public:
  FileReader(ByteView image, uint32_t page, const Entry& e)
      : image_(image), page_(page), size_(e.size), chunks_(e.chunks) {}
  uint64_t size() const override { return size_; }
  Result<size_t> Read(std::span<uint8_t> out) override {
    size_t done = 0;
    while (done < out.size() && pos_ < size_) {
      const uint64_t chunk_id = pos_ / page_ + 1;
      const uint64_t within = pos_ % page_;
      const size_t n =
          size_t(std::min<uint64_t>({out.size() - done, page_ - within, size_ - pos_}));
      while (next_ < chunks_.size() && chunks_[next_].chunk_id < chunk_id) ++next_;
      size_t copied = 0;
      if (next_ < chunks_.size() && chunks_[next_].chunk_id == chunk_id &&
          within < chunks_[next_].byte_count) {
        copied = size_t(std::min<uint64_t>(n, chunks_[next_].byte_count - within));
        std::memcpy(out.data() + done, image_.data() + chunks_[next_].data_at + within, copied);
      }
      std::memset(out.data() + done + copied, 0, n - copied);
      done += n;
      pos_ += n;
    }
    return done;
  }

 private:
  ByteView image_;
  uint64_t page_;
  uint64_t size_;
  std::vector<ChunkRef> chunks_;
  size_t next_ = 0;
  uint64_t pos_ = 0;
};

}  // namespace

// Builds a Filesystem: one pass over the chunks keeping the latest header per object and
// the latest chunk per (object, chunk id), then the tree.
class Builder {
 public:
  Builder(ByteView image, Filesystem& fs) : image_(image), fs_(fs), l_(fs.layout_) {}

  void Scan() {
    const uint64_t stride = l_.stride();
    const uint64_t count = image_.size() / stride;
    if (count > kMaxChunks) {
      problems_.Add(Note::Kind::kLimit, "chunks", 0,
                    fmt::format("yaffs2: more than {} chunks: the rest is not read", kMaxChunks));
    }
    const uint64_t rest = image_.size() % stride;
    if (rest != 0 && !AllBytes(image_.last(rest), 0xff) && !AllBytes(image_.last(rest), 0)) {
      problems_.Add(Note::Kind::kCorrupt, "truncated", image_.size() - rest,
                    fmt::format("yaffs2: truncated: the last chunk at {:#x} has {} of {} bytes",
                                image_.size() - rest, rest, stride));
    }
    for (uint64_t index = 0; index < std::min(count, kMaxChunks); ++index) {
      const uint64_t at = index * stride;
      const uint64_t tags_at = at + l_.page_size + l_.tag_offset;
      Tags t;
      TagsState state = ReadTags(image_, tags_at, l_.endian, t);
      if (state == TagsState::kErased || state == TagsState::kCheckpoint) continue;
      if (state == TagsState::kInvalid) {
        problems_.Add(Note::Kind::kCorrupt, "tags", at,
                      fmt::format("yaffs2: the chunk at {:#x} has invalid tags: skipped", at));
        continue;
      }
      if (l_.tags_ecc && !TagsEccAgrees(image_, tags_at, l_.endian)) {
        problems_.Add(Note::Kind::kWarning, "ecc", at,
                      fmt::format("yaffs2: the tags ECC of the chunk at {:#x} does not match", at));
      }
      fs_.extent_ = at + stride;
      const Latest here{t.sequence, index, t.byte_count};
      if (t.chunk_id == 0) {
        auto [it, fresh] = headers_.try_emplace(t.object_id, here);
        if (!fresh && it->second < here) it->second = here;
        if (fresh && headers_.size() > kMaxObjects) {
          problems_.Add(
              Note::Kind::kLimit, "objects", at,
              fmt::format("yaffs2: more than {} objects: the rest is not read", kMaxObjects));
          headers_.erase(it);
          break;
        }
      } else {
        chunks_.push_back({t.object_id, t.chunk_id, here});
      }
    }
    // Per (object, chunk id) the latest write, in chunk id order.
    std::sort(chunks_.begin(), chunks_.end(), [](const DataChunk& a, const DataChunk& b) {
      if (a.object != b.object) return a.object < b.object;
      if (a.chunk_id != b.chunk_id) return a.chunk_id < b.chunk_id;
      return a.latest < b.latest;
    });
    size_t kept = 0;
    for (size_t i = 0; i < chunks_.size(); ++i) {
      const bool last_of_key = i + 1 == chunks_.size() ||
                               chunks_[i + 1].object != chunks_[i].object ||
                               chunks_[i + 1].chunk_id != chunks_[i].chunk_id;
      if (last_of_key) chunks_[kept++] = chunks_[i];
    }
    chunks_.resize(kept);
  }

  void ReadObjects() {
    std::vector<uint32_t> shadowed;
    for (const auto& [id, latest] : headers_) {
      const uint64_t at = latest.index * l_.stride();
      std::optional<ObjectHeader> h = ReadObjectHeader(image_.subspan(at, l_.page_size), l_.endian);
      if (!h) {
        problems_.Add(
            Note::Kind::kCorrupt, "header", at,
            fmt::format("yaffs2: the header of object {} at {:#x} has an unknown type", id, at));
        continue;
      }
      if (id <= kDeletedId && id != kRootId && id != kLostFoundId) continue;
      if (h->parent == kUnlinkedId || h->parent == kDeletedId) {
        ++fs_.deleted_;
        deleted_ids_.insert(id);
        continue;
      }
      if (!h->name_terminated) {
        problems_.Add(Note::Kind::kCorrupt, "name", at,
                      fmt::format("yaffs2: the name of object {} at {:#x} has no end: cut to "
                                  "{} bytes",
                                  id, at, h->name.size()));
      }
      if (!h->alias_terminated) {
        problems_.Add(
            Note::Kind::kCorrupt, "name", at,
            fmt::format("yaffs2: the symlink target of object {} at {:#x} has no end", id, at));
      }
      if (h->name.empty() && id != kRootId) {
        problems_.Add(Note::Kind::kCorrupt, "name", at,
                      fmt::format("yaffs2: object {} at {:#x} has no name", id, at));
        h->name = fmt::format("#{}", id);
      }
      if (h->shadows > kDeletedId && h->shadows != id) shadowed.push_back(h->shadows);
      objects_.emplace(id, Object{std::move(*h), at});
    }
    // A rename over an existing name leaves the replaced object's header until it is
    // collected: it is deleted.
    for (uint32_t id : shadowed) {
      if (objects_.erase(id) > 0) {
        ++fs_.deleted_;
        deleted_ids_.insert(id);
      }
    }
    fs_.objects_ = objects_.size();
  }

  void BuildTree() {
    internal::InodeTree tree;
    tree.root = kRootId;
    tree.max_depth = kMaxDepth;
    for (const auto& [id, o] : objects_) {
      if (id == kRootId || id == kLostFoundId) continue;
      const uint64_t target = o.h.type == kTypeHardLink ? o.h.equiv : id;
      tree.children[o.h.parent].push_back({o.h.name, target, std::nullopt, o.at});
    }
    if (tree.children.contains(kLostFoundId) && !objects_.contains(kLostFoundId)) {
      tree.children[kRootId].push_back({"lost+found", kLostFoundId, NodeType::kDirectory, 0});
    }
    for (auto& [dir, links] : tree.children) {
      std::sort(links.begin(), links.end(),
                [](const internal::DirLink& a, const internal::DirLink& b) {
                  return a.name != b.name ? a.name < b.name : a.ino < b.ino;
                });
    }
    tree.mode = [&](uint64_t ino) { return ModeOf(ino); };
    auto place = [&](internal::PlacedName p) { Place(std::move(p)); };
    auto problem = [&](Note::Kind kind, const std::string& category, uint64_t at,
                       std::string message) {
      problems_.Add(kind, category, at, "yaffs2: " + message);
    };
    std::unordered_map<uint64_t, std::string> seen = internal::WalkInodeTree(tree, place, problem);

    size_t orphans = 0;
    for (const auto& [id, o] : objects_) {
      orphans += !seen.contains(id) && o.h.type != kTypeHardLink && id != kLostFoundId;
    }
    if (orphans > 0) {
      fs_.notes_.push_back({Note::Kind::kWarning, "", 0,
                            fmt::format("yaffs2: {} object{} in no directory of the tree", orphans,
                                        orphans == 1 ? " is" : "s are")});
    }
    // Chunks of objects that have no header at all (deleted ones are expected).
    uint32_t last = 0;
    for (const DataChunk& c : chunks_) {
      if (c.object == last) continue;
      last = c.object;
      if (objects_.contains(c.object) || deleted_ids_.contains(c.object)) continue;
      const uint64_t at = c.latest.index * l_.stride();
      problems_.Add(Note::Kind::kCorrupt, "orphan", at,
                    fmt::format("yaffs2: data chunks of object {} (first at {:#x}) belong to no "
                                "object header: not listed",
                                c.object, at));
    }
    if (fs_.deleted_ > 0) {
      fs_.notes_.push_back({Note::Kind::kInfo, "", 0,
                            fmt::format("yaffs2: {} deleted object{} left out", fs_.deleted_,
                                        fs_.deleted_ == 1 ? "" : "s")});
    }
    problems_.Finish();
  }

 private:
  struct Latest {
    uint32_t sequence = 0;
    uint64_t index = 0;  // chunk position in the image
    uint32_t byte_count = 0;
    bool operator<(const Latest& o) const {
      return sequence != o.sequence ? sequence < o.sequence : index < o.index;
    }
  };
  struct DataChunk {
    uint32_t object = 0;
    uint32_t chunk_id = 0;
    Latest latest;
  };
  struct Object {
    ObjectHeader h;
    uint64_t at = 0;
  };

  std::optional<uint32_t> ModeOf(uint64_t ino) const {
    auto it = objects_.find(uint32_t(ino));
    if (ino > UINT32_MAX || it == objects_.end()) {
      if (ino == kRootId) return 040755;
      if (ino == kLostFoundId) return 040700;
      return std::nullopt;
    }
    const ObjectHeader& h = it->second.h;
    const uint32_t perm = h.mode & 07777;
    switch (h.type) {
      case kTypeFile:
        return 0100000 | perm;
      case kTypeDirectory:
        return 040000 | perm;
      case kTypeSymlink:
        return 0120000 | perm;
      case kTypeSpecial:
        return h.mode;  // the device, fifo or socket type is in the mode
      default:
        return std::nullopt;  // a hard link's own object is never a target
    }
  }

  void Place(internal::PlacedName p) {
    Entry e;
    e.path = std::move(p.path);
    e.type = p.type;
    e.object_id = uint32_t(p.ino);
    e.link_target = std::move(p.link_target);
    e.mode = p.ino == kRootId ? 0755 : 0700;
    auto it = objects_.find(e.object_id);
    if (it != objects_.end()) {
      const ObjectHeader& h = it->second.h;
      e.mode = h.mode & 07777;
      e.uid = h.uid;
      e.gid = h.gid;
      e.mtime = h.mtime;
      if (e.type == NodeType::kSymlink) {
        e.link_target = h.alias;
        e.size = h.alias.size();
      } else if (e.type == NodeType::kBlockDevice || e.type == NodeType::kCharDevice) {
        DecodeDev(h.rdev, e.dev_major, e.dev_minor);
      } else if (e.type == NodeType::kFile) {
        e.size = h.size;
        CollectChunks(e, it->second.at);
      }
    }
    fs_.entries_.push_back(std::move(e));
  }

  // The chunks of a file inside its size; a size beyond its data is cut to the data.
  void CollectChunks(Entry& e, uint64_t header_at) {
    const uint64_t page = l_.page_size;
    auto first =
        std::lower_bound(chunks_.begin(), chunks_.end(), e.object_id,
                         [](const DataChunk& c, uint32_t object) { return c.object < object; });
    uint64_t end = 0;
    for (auto c = first; c != chunks_.end() && c->object == e.object_id; ++c) {
      const uint64_t start = (uint64_t{c->chunk_id} - 1) * page;
      if (start >= e.size) break;  // left from before a truncation
      const uint64_t at = c->latest.index * l_.stride();
      uint32_t count = c->latest.byte_count;
      if (count > page) {
        problems_.Add(Note::Kind::kCorrupt, "bytes", at,
                      fmt::format("yaffs2: the chunk at {:#x} of {} says {} bytes, a page holds "
                                  "{}",
                                  at, e.path, count, page));
        count = uint32_t(page);
      }
      e.chunks.push_back({c->chunk_id, count, at});
      end = std::max(end, start + count);
    }
    if (e.size > end) {
      problems_.Add(Note::Kind::kCorrupt, "size", header_at,
                    fmt::format("yaffs2: {} says {} bytes, its data chunks hold {}: cut to {}",
                                e.path, e.size, end, end));
      e.size = end;
    }
    // Writers fill every page; a page without a chunk (a sparse file, or a lost chunk)
    // reads as zeros.
    const uint64_t missing = (e.size + page - 1) / page - e.chunks.size();
    if (missing > 0) {
      problems_.Add(Note::Kind::kWarning, "hole", header_at,
                    fmt::format("yaffs2: {} of the {} pages of {} have no data chunk: read as "
                                "zeros",
                                missing, (e.size + page - 1) / page, e.path));
    }
  }

  ByteView image_;
  Filesystem& fs_;
  const Layout& l_;
  internal::CappedNotes problems_{fs_.notes_, kMaxNotes};
  std::map<uint32_t, Latest> headers_;  // ordered: notes come out the same each run
  std::vector<DataChunk> chunks_;
  std::map<uint32_t, Object> objects_;
  std::set<uint32_t> deleted_ids_;
};

Result<Filesystem> Filesystem::Parse(ByteView image, const Layout& layout) {
  Tags t;
  if (image.size() < layout.stride() || layout.page_size < kHeaderSize ||
      ReadTags(image, layout.page_size + layout.tag_offset, layout.endian, t) !=
          TagsState::kValid ||
      t.chunk_id != 0) {
    return Error::InvalidInput("yaffs2: the first chunk is not an object header with valid tags");
  }
  Filesystem fs;
  fs.image_ = image;
  fs.layout_ = layout;
  Builder b(image, fs);
  b.Scan();
  b.ReadObjects();
  b.BuildTree();
  return fs;
}

std::unique_ptr<ContentReader> Filesystem::OpenFile(const Entry& entry) const {
  return std::make_unique<FileReader>(image_, layout_.page_size, entry);
}

Result<Bytes> Filesystem::ReadFile(const Entry& entry, uint64_t max_size) const {
  if (entry.size > max_size) {
    return Error::LimitExceeded(fmt::format("yaffs2: {} is {} bytes, over the limit of {}",
                                            entry.path, entry.size, max_size));
  }
  FileReader reader(image_, layout_.page_size, entry);
  return internal::ReadWhole(reader, entry.size);
}

}  // namespace clearbox::unpack::yaffs2
