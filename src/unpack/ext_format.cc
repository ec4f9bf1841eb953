// ext2/3/4 through libext2fs (e2fsprogs), read from memory by an io_manager of our own: the
// image is never opened by name and nothing on the host is followed. Directories are walked
// with an explicit stack, loops (a directory entry naming an ancestor) are not followed.
#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>
#include <fmt/format.h>

#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "internal/format.h"

namespace clearbox::unpack::internal {
namespace {

// ---- an io_manager over a ByteView

// The channel name carries the address of a MemoryImage: libext2fs passes names through.
struct MemoryImage {
  ByteView data;
};

errcode_t MemOpen(const char* name, int flags, io_channel* channel);

errcode_t MemClose(io_channel channel) {
  if (--channel->refcount > 0) return 0;
  ext2fs_free_mem(&channel->name);
  ext2fs_free_mem(&channel);
  return 0;
}

errcode_t MemSetBlksize(io_channel channel, int blksize) {
  if (blksize <= 0 || blksize > (1 << 16)) return EXT2_ET_INVALID_ARGUMENT;
  channel->block_size = blksize;
  return 0;
}

errcode_t MemRead64(io_channel channel, unsigned long long block, int count, void* data) {
  const auto* image = static_cast<const MemoryImage*>(channel->private_data);
  // A negative count is a byte count (libext2fs convention).
  uint64_t size = count < 0 ? uint64_t(-int64_t(count)) : uint64_t(count) * channel->block_size;
  uint64_t bs = uint64_t(channel->block_size);
  if (block > UINT64_MAX / bs) return EXT2_ET_LLSEEK_FAILED;
  uint64_t offset = block * bs;
  if (!FitsIn(image->data, offset, size)) {
    // Past the end of a truncated image: zeros, as a sparse region would read.
    std::memset(data, 0, size_t(size));
    if (offset < image->data.size()) {
      std::memcpy(data, image->data.data() + offset, size_t(image->data.size() - offset));
    }
    return EXT2_ET_SHORT_READ;
  }
  std::memcpy(data, image->data.data() + offset, size_t(size));
  return 0;
}

errcode_t MemRead(io_channel channel, unsigned long block, int count, void* data) {
  return MemRead64(channel, block, count, data);
}
errcode_t MemWrite(io_channel, unsigned long, int, const void*) { return EXT2_ET_RO_FILSYS; }
errcode_t MemWrite64(io_channel, unsigned long long, int, const void*) { return EXT2_ET_RO_FILSYS; }
errcode_t MemFlush(io_channel) { return 0; }
errcode_t MemSetOption(io_channel, const char*, const char*) { return EXT2_ET_INVALID_ARGUMENT; }

struct struct_io_manager kMemoryIoManager = {
    .magic = EXT2_ET_MAGIC_IO_MANAGER,
    .name = "clearbox memory I/O manager",
    .open = MemOpen,
    .close = MemClose,
    .set_blksize = MemSetBlksize,
    .read_blk = MemRead,
    .write_blk = MemWrite,
    .flush = MemFlush,
    .write_byte = nullptr,
    .set_option = MemSetOption,
    .get_stats = nullptr,
    .read_blk64 = MemRead64,
    .write_blk64 = MemWrite64,
    .discard = nullptr,
    .cache_readahead = nullptr,
    .zeroout = nullptr,
    .reserved = {},
};

errcode_t MemOpen(const char* name, int flags, io_channel* channel) {
  void* address = nullptr;
  if (name == nullptr || std::sscanf(name, "mem:%p", &address) != 1 || address == nullptr) {
    return EXT2_ET_BAD_DEVICE_NAME;
  }
  if (flags & IO_FLAG_RW) return EXT2_ET_RO_FILSYS;
  io_channel io = nullptr;
  errcode_t rc = ext2fs_get_memzero(sizeof(struct struct_io_channel), &io);
  if (rc != 0) return rc;
  rc = ext2fs_get_mem(std::strlen(name) + 1, &io->name);
  if (rc != 0) {
    ext2fs_free_mem(&io);
    return rc;
  }
  std::strcpy(io->name, name);
  io->magic = EXT2_ET_MAGIC_IO_CHANNEL;
  io->manager = &kMemoryIoManager;
  io->block_size = 1024;
  io->refcount = 1;
  io->private_data = address;
  *channel = io;
  return 0;
}

// ---- the walk

std::string ExtErrorText(errcode_t rc) { return fmt::format("libext2fs error {}", long(rc)); }

struct FsCloser {
  void operator()(ext2_filsys fs) const { ext2fs_close_free(&fs); }
};

NodeType TypeOfMode(uint16_t mode) {
  if (LINUX_S_ISDIR(mode)) return NodeType::kDirectory;
  if (LINUX_S_ISLNK(mode)) return NodeType::kSymlink;
  if (LINUX_S_ISCHR(mode)) return NodeType::kCharDevice;
  if (LINUX_S_ISBLK(mode)) return NodeType::kBlockDevice;
  if (LINUX_S_ISFIFO(mode)) return NodeType::kFifo;
  if (LINUX_S_ISSOCK(mode)) return NodeType::kSocket;
  return NodeType::kFile;
}

class ExtFileReader : public ContentReader {
 public:
  ExtFileReader(ext2_filsys fs, ext2_ino_t ino, ext2_inode* inode, uint64_t size) : size_(size) {
    open_rc_ = ext2fs_file_open2(fs, ino, inode, 0, &file_);
  }
  ~ExtFileReader() override {
    if (open_rc_ == 0) ext2fs_file_close(file_);
  }
  uint64_t size() const override { return size_; }
  Result<size_t> Read(std::span<uint8_t> out) override {
    if (open_rc_ != 0) return Error::InvalidInput("cannot open file: " + ExtErrorText(open_rc_));
    if (position_ >= size_ || out.empty()) return size_t{0};
    unsigned int want = unsigned(std::min<uint64_t>({out.size(), size_ - position_, 1u << 30}));
    unsigned int got = 0;
    errcode_t rc = ext2fs_file_read(file_, out.data(), want, &got);
    if (rc != 0) {
      return Error::InvalidInput(
          fmt::format("file data at offset {}: {}", position_, ExtErrorText(rc)));
    }
    position_ += got;
    return size_t(got);
  }

 private:
  uint64_t size_;
  uint64_t position_ = 0;
  ext2_file_t file_ = nullptr;
  errcode_t open_rc_;
};

struct DirEntry {
  std::string name;
  ext2_ino_t ino;
};

int CollectEntry(ext2_ino_t, int, struct ext2_dir_entry* dirent, int, int, char*, void* priv) {
  auto* entries = static_cast<std::vector<DirEntry>*>(priv);
  int len = ext2fs_dirent_name_len(dirent);
  std::string name(dirent->name, size_t(len));
  if (name == "." || name == "..") return 0;
  entries->push_back({std::move(name), dirent->inode});
  // A hostile directory can claim millions of entries: stop collecting at a sane bound.
  return entries->size() >= (1u << 20) ? DIRENT_ABORT : 0;
}

class ExtWalk {
 public:
  ExtWalk(ext2_filsys fs, Walker& walker) : fs_(fs), walker_(walker) {}

  Status Run() {
    struct Dir {
      ext2_ino_t ino;
      std::string path;
    };
    std::vector<Dir> stack{{EXT2_ROOT_INO, ""}};
    std::unordered_set<ext2_ino_t> seen_dirs{EXT2_ROOT_INO};
    ext2_inode root{};
    if (errcode_t rc = ext2fs_read_inode(fs_, EXT2_ROOT_INO, &root); rc != 0) {
      return Error::InvalidInput("root inode: " + ExtErrorText(rc));
    }
    CLEARBOX_RETURN_IF_ERROR(walker_.AddNode(MakeNode(root, ""), nullptr));
    while (!stack.empty()) {
      Dir dir = std::move(stack.back());
      stack.pop_back();
      std::vector<DirEntry> entries;
      errcode_t rc = ext2fs_dir_iterate2(fs_, dir.ino, 0, nullptr, CollectEntry, &entries);
      if (rc != 0) {
        walker_.AddNote(Note::Kind::kCorrupt, 0,
                        fmt::format("directory /{}: {}", dir.path, ExtErrorText(rc)));
      }
      for (DirEntry& e : entries) {
        CLEARBOX_RETURN_IF_ERROR(walker_.CheckContinue());
        std::string path = dir.path.empty() ? e.name : dir.path + "/" + e.name;
        ext2_inode inode{};
        if (e.ino == 0 || e.ino > fs_->super->s_inodes_count ||
            (rc = ext2fs_read_inode(fs_, e.ino, &inode)) != 0) {
          walker_.AddNote(Note::Kind::kCorrupt, 0,
                          fmt::format("entry /{} names inode {} that cannot be read", path, e.ino));
          continue;
        }
        Node node = MakeNode(inode, path);
        switch (node.type) {
          case NodeType::kDirectory:
            if (!seen_dirs.insert(e.ino).second) {
              walker_.AddNote(
                  Note::Kind::kCorrupt, 0,
                  fmt::format("directory /{} repeats inode {}: loop not followed", path, e.ino));
              continue;
            }
            CLEARBOX_RETURN_IF_ERROR(walker_.AddNode(std::move(node), nullptr));
            if (path.size() < walker_.limits().max_path_length) stack.push_back({e.ino, path});
            break;
          case NodeType::kSymlink:
            node.link_target = SymlinkTarget(e.ino, inode);
            CLEARBOX_RETURN_IF_ERROR(walker_.AddNode(std::move(node), nullptr));
            break;
          case NodeType::kFile: {
            if (inode.i_links_count > 1) {
              auto [it, inserted] = file_by_inode_.emplace(e.ino, path);
              if (!inserted) {
                node.type = NodeType::kHardLink;
                node.link_target = it->second;
                node.size = 0;
                CLEARBOX_RETURN_IF_ERROR(walker_.AddNode(std::move(node), nullptr));
                break;
              }
            }
            if (!walker_.WantsContent()) {
              CLEARBOX_RETURN_IF_ERROR(walker_.AddNode(std::move(node), nullptr));
              break;
            }
            ExtFileReader reader(fs_, e.ino, &inode, node.size);
            CLEARBOX_RETURN_IF_ERROR(walker_.AddNode(std::move(node), &reader));
            break;
          }
          default:
            CLEARBOX_RETURN_IF_ERROR(walker_.AddNode(std::move(node), nullptr));
        }
      }
    }
    return Status::Ok();
  }

 private:
  Node MakeNode(const ext2_inode& inode, std::string path) {
    Node node;
    node.path = std::move(path);
    node.type = TypeOfMode(inode.i_mode);
    node.mode = inode.i_mode & 07777;
    node.uid = inode_uid(inode);
    node.gid = inode_gid(inode);
    node.mtime = int64_t(inode.i_mtime);
    if (node.type == NodeType::kFile) node.size = EXT2_I_SIZE(&inode);
    if (node.type == NodeType::kCharDevice || node.type == NodeType::kBlockDevice) {
      // Old encoding in i_block[0], new (large numbers) in i_block[1], as the kernel reads.
      uint32_t old_dev = inode.i_block[0], new_dev = inode.i_block[1];
      if (old_dev != 0) {
        node.dev_major = (old_dev >> 8) & 0xff;
        node.dev_minor = old_dev & 0xff;
      } else {
        node.dev_major = (new_dev & 0xfff00) >> 8;
        node.dev_minor = (new_dev & 0xff) | ((new_dev >> 12) & 0xfff00);
      }
    }
    return node;
  }

  std::string SymlinkTarget(ext2_ino_t ino, ext2_inode& inode) {
    uint64_t size = EXT2_I_SIZE(&inode);
    size = std::min<uint64_t>(size, walker_.limits().max_symlink_target);
    if (ext2fs_is_fast_symlink(&inode)) {
      size = std::min<uint64_t>(size, sizeof(inode.i_block));
      return std::string(reinterpret_cast<const char*>(inode.i_block), size_t(size));
    }
    std::string target(size_t(size), '\0');
    ExtFileReader reader(fs_, ino, &inode, size);
    size_t done = 0;
    while (done < size) {
      Result<size_t> n = reader.Read(std::span<uint8_t>(
          reinterpret_cast<uint8_t*>(target.data()) + done, target.size() - done));
      if (!n.ok() || *n == 0) break;
      done += *n;
    }
    target.resize(done);
    return target;
  }

  ext2_filsys fs_;
  Walker& walker_;
  std::unordered_map<ext2_ino_t, std::string> file_by_inode_;
};

// Superblock at 1024: s_inodes_count(0) s_blocks_count(4) s_first_data_block(20)
// s_log_block_size(24) s_blocks_per_group(32) s_inodes_per_group(40) s_magic(56)
// s_rev_level(76) s_feature_incompat(96) s_blocks_count_hi(336).
std::optional<Match> ProbeExt(ByteView d) {
  if (d.size() < 2048) return std::nullopt;
  const uint8_t* sb = d.data() + 1024;
  uint32_t inodes = LoadLE32(sb + 0);
  uint64_t blocks = LoadLE32(sb + 4);
  uint32_t first_data_block = LoadLE32(sb + 20);
  uint32_t log_block = LoadLE32(sb + 24);
  uint32_t blocks_per_group = LoadLE32(sb + 32);
  uint32_t inodes_per_group = LoadLE32(sb + 40);
  uint32_t rev = LoadLE32(sb + 76);
  uint32_t incompat = LoadLE32(sb + 96);
  if (LoadLE16(sb + 56) != 0xef53 || log_block > 6 || rev > 1) return std::nullopt;
  if (inodes == 0 || blocks == 0 || blocks_per_group == 0 || inodes_per_group == 0) {
    return std::nullopt;
  }
  if (first_data_block != (log_block == 0 ? 1u : 0u)) return std::nullopt;
  if (blocks_per_group > 8u * (1024u << log_block)) return std::nullopt;
  if (incompat & 0x80) blocks |= uint64_t(LoadLE32(sb + 336)) << 32;  // INCOMPAT_64BIT
  uint64_t groups = (blocks + blocks_per_group - 1) / blocks_per_group;
  if (uint64_t(inodes) > groups * inodes_per_group) return std::nullopt;
  Match m;
  m.length = blocks * (1024ull << log_block);
  uint32_t compat = LoadLE32(sb + 92);
  bool ext4 = (incompat & (0x40 | 0x80 | 0x200)) != 0;  // extents, 64bit, flex_bg
  m.detail = ext4 ? "ext4" : (compat & 0x4) ? "ext3" : "ext2";
  return m;
}

Result<uint64_t> OpenExt(ByteView container, const Match& match, Walker& walker) {
  MemoryImage image{container};
  char name[64];
  std::snprintf(name, sizeof(name), "mem:%p", static_cast<void*>(&image));
  ext2_filsys raw = nullptr;
  int flags = EXT2_FLAG_64BITS | EXT2_FLAG_IGNORE_CSUM_ERRORS | EXT2_FLAG_SKIP_MMP;
  errcode_t rc = ext2fs_open2(name, nullptr, flags, 0, 0, &kMemoryIoManager, &raw);
  if (rc != 0)
    return Error::InvalidInput(fmt::format("{}: cannot open: {}", match.detail, ExtErrorText(rc)));
  std::unique_ptr<struct struct_ext2_filsys, FsCloser> fs(raw);
  ExtWalk walk(fs.get(), walker);
  CLEARBOX_RETURN_IF_ERROR(walk.Run());
  return uint64_t(ext2fs_blocks_count(fs->super)) * fs->blocksize;
}

}  // namespace

extern const FormatHandler kExtFormat = {.name = "ext",
                                         .magics = {{"\x53\xef", 0x438}},
                                         .flags = kFormatFilesystem,
                                         .probe = ProbeExt,
                                         .open = OpenExt};

}  // namespace clearbox::unpack::internal
