// SquashFS 4 through libsquashfs (squashfs-tools-ng), every compressor it supports.
// The directory tree is walked once on one thread (with loop and depth checks of our own);
// regular files are then extracted in parallel, one libsquashfs data reader and compressor
// per thread, because squashfs blocks and separate files decompress independently.
#include <fmt/format.h>
#include <libdeflate.h>
#include <lzo/lzo1x.h>
#include <sqfs/block.h>
#include <sqfs/compressor.h>
#include <sqfs/data_reader.h>
#include <sqfs/dir.h>
#include <sqfs/dir_reader.h>
#include <sqfs/error.h>
#include <sqfs/frag_table.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/super.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "clearbox/core/digest.h"
#include "internal/format.h"
#include "squashfs_legacy_format.h"

namespace clearbox::unpack::internal {
namespace {

std::string SqfsErrorText(int err) {
  switch (err) {
    case SQFS_ERROR_ALLOC:
      return "out of memory";
    case SQFS_ERROR_IO:
      return "read error";
    case SQFS_ERROR_COMPRESSOR:
      return "decompression failed";
    case SQFS_ERROR_CORRUPTED:
      return "corrupted";
    case SQFS_ERROR_UNSUPPORTED:
      return "unsupported feature";
    case SQFS_ERROR_OVERFLOW:
      return "numeric overflow";
    case SQFS_ERROR_OUT_OF_BOUNDS:
      return "location out of bounds";
    case SFQS_ERROR_SUPER_MAGIC:
      return "bad superblock magic";
    case SFQS_ERROR_SUPER_VERSION:
      return "unsupported version";
    case SQFS_ERROR_SUPER_BLOCK_SIZE:
      return "bad block size";
    case SQFS_ERROR_NOT_DIR:
      return "not a directory";
    case SQFS_ERROR_LINK_LOOP:
      return "link loop";
    default:
      return fmt::format("libsquashfs error {}", err);
  }
}

struct SqfsDeleter {
  void operator()(void* p) const { sqfs_destroy(p); }
};
template <typename T>
using SqfsPtr = std::unique_ptr<T, SqfsDeleter>;
struct SqfsFree {
  void operator()(void* p) const { sqfs_free(p); }
};
using InodePtr = std::unique_ptr<sqfs_inode_generic_t, SqfsFree>;

// A read-only sqfs_file_t over the container's bytes. read_at is stateless, so one instance
// serves every thread.
struct ViewFile {
  sqfs_file_t file;  // first member: libsquashfs casts the pointer
  ByteView data;
};

int ViewReadAt(sqfs_file_t* f, sqfs_u64 offset, void* buffer, size_t size) {
  auto* v = reinterpret_cast<ViewFile*>(f);
  if (!FitsIn(v->data, offset, size)) return SQFS_ERROR_OUT_OF_BOUNDS;
  std::memcpy(buffer, v->data.data() + offset, size);
  return 0;
}
int ViewWriteAt(sqfs_file_t*, sqfs_u64, const void*, size_t) { return SQFS_ERROR_IO; }
sqfs_u64 ViewSize(const sqfs_file_t* f) {
  return reinterpret_cast<const ViewFile*>(f)->data.size();
}
int ViewTruncate(sqfs_file_t*, sqfs_u64) { return SQFS_ERROR_IO; }
void ViewDestroy(sqfs_object_t*) {}  // owned by the C++ side

void InitViewFile(ViewFile* v, ByteView data) {
  std::memset(&v->file, 0, sizeof(v->file));
  v->file.base.destroy = ViewDestroy;
  v->file.read_at = ViewReadAt;
  v->file.write_at = ViewWriteAt;
  v->file.get_size = ViewSize;
  v->file.truncate = ViewTruncate;
  v->data = data;
}

// Debian's libsquashfs is built without LZO: decompression needs only lzo1x_decompress_safe,
// so LZO images get a compressor object of our own.
struct LzoDecompressor {
  sqfs_compressor_t cmp;  // first member: libsquashfs casts the pointer
  sqfs_compressor_config_t cfg;
};

void LzoDestroy(sqfs_object_t* obj) { delete reinterpret_cast<LzoDecompressor*>(obj); }
void LzoGetConfiguration(const sqfs_compressor_t* cmp, sqfs_compressor_config_t* cfg) {
  *cfg = reinterpret_cast<const LzoDecompressor*>(cmp)->cfg;
}
int LzoWriteOptions(sqfs_compressor_t*, sqfs_file_t*) { return SQFS_ERROR_UNSUPPORTED; }
// The options (algorithm, level) only matter when compressing.
int LzoReadOptions(sqfs_compressor_t*, sqfs_file_t*) { return 0; }
sqfs_s32 LzoDoBlock(sqfs_compressor_t*, const sqfs_u8* in, sqfs_u32 size, sqfs_u8* out,
                    sqfs_u32 outsize) {
  lzo_uint out_len = outsize;
  int rc = lzo1x_decompress_safe(in, size, out, &out_len, nullptr);
  if (rc != LZO_E_OK) return SQFS_ERROR_COMPRESSOR;
  return sqfs_s32(out_len);
}

SqfsPtr<sqfs_compressor_t> MakeLzoDecompressor(const sqfs_super_t& super) {
  static std::once_flag once;
  static bool lzo_ready = false;
  std::call_once(once, [] { lzo_ready = lzo_init() == LZO_E_OK; });
  if (!lzo_ready) return nullptr;
  auto* lzo = new LzoDecompressor{};
  lzo->cmp.base.destroy = LzoDestroy;
  lzo->cmp.get_configuration = LzoGetConfiguration;
  lzo->cmp.write_options = LzoWriteOptions;
  lzo->cmp.read_options = LzoReadOptions;
  lzo->cmp.do_block = LzoDoBlock;
  lzo->cfg.id = SQFS_COMP_LZO;
  lzo->cfg.block_size = super.block_size;
  lzo->cfg.flags = SQFS_COMP_FLAG_UNCOMPRESS;
  return SqfsPtr<sqfs_compressor_t>(&lzo->cmp);
}

// gzip (zlib-wrapped DEFLATE) blocks are decompressed with libdeflate, not with the zlib
// inflate behind libsquashfs's compressor: squashfs blocks are whole buffers, which is what
// libdeflate decodes, at about twice zlib's speed (inflate was 45% of the CPU time of
// `clearbox unpack` on a gzip squashfs). The zlib header and the Adler-32 of every block are
// still checked. libsquashfs's object is kept for the configuration and the options it
// reads (and validates) from the image.
struct DeflateDecompressor {
  sqfs_compressor_t cmp;  // first member: libsquashfs casts the pointer
  sqfs_compressor_t* inner;
  libdeflate_decompressor* decompressor;
};

void DeflateDestroy(sqfs_object_t* obj) {
  auto* d = reinterpret_cast<DeflateDecompressor*>(obj);
  libdeflate_free_decompressor(d->decompressor);
  sqfs_destroy(d->inner);
  delete d;
}
void DeflateGetConfiguration(const sqfs_compressor_t* cmp, sqfs_compressor_config_t* cfg) {
  const auto* d = reinterpret_cast<const DeflateDecompressor*>(cmp);
  d->inner->get_configuration(d->inner, cfg);
}
int DeflateWriteOptions(sqfs_compressor_t*, sqfs_file_t*) { return SQFS_ERROR_UNSUPPORTED; }
int DeflateReadOptions(sqfs_compressor_t* cmp, sqfs_file_t* file) {
  auto* d = reinterpret_cast<DeflateDecompressor*>(cmp);
  return d->inner->read_options(d->inner, file);
}
sqfs_s32 DeflateDoBlock(sqfs_compressor_t* cmp, const sqfs_u8* in, sqfs_u32 size, sqfs_u8* out,
                        sqfs_u32 outsize) {
  auto* d = reinterpret_cast<DeflateDecompressor*>(cmp);
  // sqfs_s32 results: a larger buffer could not report its size.
  outsize = std::min<sqfs_u32>(outsize, INT32_MAX);
  size_t produced = 0;
  if (libdeflate_zlib_decompress(d->decompressor, in, size, out, outsize, &produced) !=
      LIBDEFLATE_SUCCESS) {
    return SQFS_ERROR_COMPRESSOR;  // corrupt, or more than `outsize` bytes
  }
  return sqfs_s32(produced);
}

SqfsPtr<sqfs_compressor_t> WithDeflate(SqfsPtr<sqfs_compressor_t> inner) {
  libdeflate_decompressor* decompressor = libdeflate_alloc_decompressor();
  if (decompressor == nullptr) return inner;  // out of memory: zlib still works
  auto* d = new DeflateDecompressor{};
  d->cmp.base.destroy = DeflateDestroy;
  d->cmp.get_configuration = DeflateGetConfiguration;
  d->cmp.write_options = DeflateWriteOptions;
  d->cmp.read_options = DeflateReadOptions;
  d->cmp.do_block = DeflateDoBlock;
  d->inner = inner.release();
  d->decompressor = decompressor;
  return SqfsPtr<sqfs_compressor_t>(&d->cmp);
}

Result<SqfsPtr<sqfs_compressor_t>> MakeCompressor(const sqfs_super_t& super, ViewFile* file) {
  if (super.compression_id == SQFS_COMP_LZO) {
    SqfsPtr<sqfs_compressor_t> lzo = MakeLzoDecompressor(super);
    if (!lzo) return Error::Internal("lzo_init failed");
    return lzo;
  }
  sqfs_compressor_config_t cfg;
  int rc = sqfs_compressor_config_init(&cfg, SQFS_COMPRESSOR(super.compression_id),
                                       super.block_size, SQFS_COMP_FLAG_UNCOMPRESS);
  if (rc != 0) {
    return Error::Unsupported(
        fmt::format("compressor {} ({})", super.compression_id, SqfsErrorText(rc)));
  }
  sqfs_compressor_t* raw = nullptr;
  rc = sqfs_compressor_create(&cfg, &raw);
  if (rc != 0 || raw == nullptr) {
    const char* name = sqfs_compressor_name_from_id(SQFS_COMPRESSOR(super.compression_id));
    return Error::Unsupported(fmt::format("compressor {} not available ({})",
                                          name ? name : "unknown", SqfsErrorText(rc)));
  }
  SqfsPtr<sqfs_compressor_t> cmp(raw);
  if (super.flags & SQFS_FLAG_COMPRESSOR_OPTIONS) {
    rc = cmp->read_options(cmp.get(), &file->file);
    if (rc != 0) return Error::InvalidInput("compressor options: " + SqfsErrorText(rc));
  }
  if (super.compression_id == SQFS_COMP_GZIP) return WithDeflate(std::move(cmp));
  return cmp;
}

// The metadata blocks of the image, decompressed once each: by helper threads while the walk
// runs (StartPrefetch; xz and lzma), which take the blocks in table order while the walk
// takes the block it needs (or waits for the one a helper is on), or by the walk itself as
// it needs them (the fast codecs). xz and lzma blocks cost ~0.18 ms each and the walk needs
// them one at a time: the walk of a Debian root filesystem waited 8.7 ms on one core for 47.
struct MetadataPrefetch {
  enum State : uint8_t { kTodo, kBusy, kDone, kFailed };
  std::vector<ByteView> blocks;                 // compressed, in the image
  std::unordered_map<uint32_t, size_t> by_crc;  // CRC-32 of a block -> its first index
  std::vector<Bytes> outputs;
  std::unique_ptr<std::atomic<uint8_t>[]> states;
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> helpers;

  ~MetadataPrefetch() { Stop(); }
  void Stop() {
    stop = true;
    for (std::thread& t : helpers) t.join();
    helpers.clear();
  }
  bool Claim(size_t i) {
    uint8_t todo = kTodo;
    return states[i].compare_exchange_strong(todo, kBusy);
  }
  void Decompress(size_t i, sqfs_compressor_t* cmp) {
    Bytes out(8192);
    sqfs_s32 n = cmp->do_block(cmp, blocks[i].data(), sqfs_u32(blocks[i].size()), out.data(),
                               sqfs_u32(out.size()));
    if (n > 0) {
      out.resize(size_t(n));
      outputs[i] = std::move(out);
    }
    states[i].store(n > 0 ? kDone : kFailed, std::memory_order_release);
  }
  // The decompressed block whose compressed bytes are `in`, if it is one of `blocks`;
  // decompressed here with `cmp` when no helper has started it. Null otherwise.
  const Bytes* Find(uint32_t crc, const sqfs_u8* in, sqfs_u32 size, sqfs_compressor_t* cmp) {
    auto it = by_crc.find(crc);
    if (it == by_crc.end()) return nullptr;
    const size_t i = it->second;
    if (blocks[i].size() != size || std::memcmp(blocks[i].data(), in, size) != 0) return nullptr;
    if (Claim(i)) Decompress(i, cmp);
    uint8_t state;
    while ((state = states[i].load(std::memory_order_acquire)) == kBusy) std::this_thread::yield();
    return state == kDone ? &outputs[i] : nullptr;
  }
};

// Wraps the compressor that reads metadata (inode and directory tables): libsquashfs keeps
// one decompressed metadata block per reader, so a walk that moves between directories
// decompresses the same 8 KiB blocks again and again. This serves the blocks of the
// prefetch table, and keeps the last blocks decompressed of those outside it (a table past
// its size limit), keyed by their compressed bytes (compared in full, so a hit is always the
// same input). Used by one thread at a time.
struct MetadataCache {
  sqfs_compressor_t cmp;  // first member: libsquashfs casts the pointer
  sqfs_compressor_t* inner;
  struct Entry {
    uint32_t crc = 0;
    Bytes input;
    Bytes output;
  };
  std::unique_ptr<MetadataPrefetch> prefetch;  // stopped before `inner` is destroyed
  std::vector<Entry> entries;                  // a ring
  size_t next = 0;
};

constexpr size_t kMetadataCacheEntries = 512;     // 512 x (8 KiB + 8 KiB): at most 8 MiB
constexpr size_t kMetadataPrefetchBlocks = 1024;  // at most 8 MiB of decompressed tables
constexpr size_t kMaxMetadataBlock = 8192 + 2;

void MetadataCacheDestroy(sqfs_object_t* obj) {
  auto* cache = reinterpret_cast<MetadataCache*>(obj);
  cache->prefetch.reset();
  sqfs_destroy(cache->inner);
  delete cache;
}
void MetadataCacheGetConfiguration(const sqfs_compressor_t* cmp, sqfs_compressor_config_t* cfg) {
  const auto* cache = reinterpret_cast<const MetadataCache*>(cmp);
  cache->inner->get_configuration(cache->inner, cfg);
}
int MetadataCacheWriteOptions(sqfs_compressor_t*, sqfs_file_t*) { return SQFS_ERROR_UNSUPPORTED; }
int MetadataCacheReadOptions(sqfs_compressor_t* cmp, sqfs_file_t* file) {
  auto* cache = reinterpret_cast<MetadataCache*>(cmp);
  return cache->inner->read_options(cache->inner, file);
}
sqfs_s32 MetadataCacheDoBlock(sqfs_compressor_t* cmp, const sqfs_u8* in, sqfs_u32 size,
                              sqfs_u8* out, sqfs_u32 outsize) {
  auto* cache = reinterpret_cast<MetadataCache*>(cmp);
  if (size > kMaxMetadataBlock) return cache->inner->do_block(cache->inner, in, size, out, outsize);
  uint32_t crc = Crc32({in, size});
  if (cache->prefetch) {
    const Bytes* found = cache->prefetch->Find(crc, in, size, cache->inner);
    if (found != nullptr && found->size() <= outsize) {
      std::memcpy(out, found->data(), found->size());
      return sqfs_s32(found->size());
    }
  }
  for (const MetadataCache::Entry& e : cache->entries) {
    if (e.crc == crc && e.input.size() == size && e.output.size() <= outsize &&
        std::memcmp(e.input.data(), in, size) == 0) {
      std::memcpy(out, e.output.data(), e.output.size());
      return sqfs_s32(e.output.size());
    }
  }
  sqfs_s32 n = cache->inner->do_block(cache->inner, in, size, out, outsize);
  if (n > 0) {
    if (cache->entries.size() < kMetadataCacheEntries) cache->entries.emplace_back();
    MetadataCache::Entry& e = cache->entries[cache->next];
    cache->next = (cache->next + 1) % kMetadataCacheEntries;
    e.crc = crc;
    e.input.assign(in, in + size);
    e.output.assign(out, out + n);
  }
  return n;
}

SqfsPtr<sqfs_compressor_t> WithMetadataCache(SqfsPtr<sqfs_compressor_t> inner) {
  auto* cache = new MetadataCache{};
  cache->cmp.base.destroy = MetadataCacheDestroy;
  cache->cmp.get_configuration = MetadataCacheGetConfiguration;
  cache->cmp.write_options = MetadataCacheWriteOptions;
  cache->cmp.read_options = MetadataCacheReadOptions;
  cache->cmp.do_block = MetadataCacheDoBlock;
  cache->inner = inner.release();
  return SqfsPtr<sqfs_compressor_t>(&cache->cmp);
}

// The compressed metadata blocks from the inode table on: the inode and directory tables and
// the fragment, export and id tables behind them, one chain of blocks each led by a 16-bit
// header (bit 15: stored; the rest: its size), up to the first table index. Stops at the
// first header that does not fit (the walk then reads, and notes, what it needs itself).
std::vector<ByteView> MetadataBlocks(ByteView image, const sqfs_super_t& super, size_t max) {
  uint64_t end = std::min<uint64_t>(super.bytes_used, image.size());
  for (uint64_t table : {super.fragment_table_start, super.export_table_start, super.id_table_start,
                         super.xattr_id_table_start}) {
    if (table > super.directory_table_start && table < end) end = table;
  }
  std::vector<ByteView> blocks;
  // Written so that nothing overflows: the table start is the image's word.
  for (uint64_t at = super.inode_table_start; at < end && end - at >= 2 && blocks.size() < max;) {
    const uint16_t header = LoadLE16(image.data() + at);
    const uint64_t size = header & 0x7fff;
    if (size == 0 || size > 8192 || size > end - at - 2) break;
    if ((header & 0x8000) == 0) blocks.push_back(image.subspan(size_t(at + 2), size_t(size)));
    at += 2 + size;
  }
  return blocks;
}

// Gives `cache` the table of `blocks` and starts `helpers` threads (none is fine: the walk
// then decompresses each block as it needs it) decompressing them, each with a compressor of
// its own from `make` (called on the helper thread).
template <typename MakeCompressor>
void StartPrefetch(MetadataCache* cache, std::vector<ByteView> blocks, int helpers,
                   MakeCompressor make) {
  if (blocks.empty()) return;
  auto p = std::make_unique<MetadataPrefetch>();
  p->outputs.resize(blocks.size());
  p->states = std::make_unique<std::atomic<uint8_t>[]>(blocks.size());
  p->by_crc.reserve(blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i) p->by_crc.try_emplace(Crc32(blocks[i]), i);
  p->blocks = std::move(blocks);
  MetadataPrefetch* raw = p.get();
  for (int i = 0; i < helpers; ++i) {
    p->helpers.emplace_back([raw, make] {
      SqfsPtr<sqfs_compressor_t> cmp = make();
      if (!cmp) return;
      for (size_t b = raw->next.fetch_add(1); b < raw->blocks.size() && !raw->stop.load();
           b = raw->next.fetch_add(1)) {
        if (raw->Claim(b)) raw->Decompress(b, cmp.get());
      }
    });
  }
  cache->prefetch = std::move(p);
}

NodeType TypeOf(const sqfs_inode_generic_t& inode) {
  switch (inode.base.type) {
    case SQFS_INODE_DIR:
    case SQFS_INODE_EXT_DIR:
      return NodeType::kDirectory;
    case SQFS_INODE_SLINK:
    case SQFS_INODE_EXT_SLINK:
      return NodeType::kSymlink;
    case SQFS_INODE_BDEV:
    case SQFS_INODE_EXT_BDEV:
      return NodeType::kBlockDevice;
    case SQFS_INODE_CDEV:
    case SQFS_INODE_EXT_CDEV:
      return NodeType::kCharDevice;
    case SQFS_INODE_FIFO:
    case SQFS_INODE_EXT_FIFO:
      return NodeType::kFifo;
    case SQFS_INODE_SOCKET:
    case SQFS_INODE_EXT_SOCKET:
      return NodeType::kSocket;
    default:
      return NodeType::kFile;
  }
}

uint32_t LinkCount(const sqfs_inode_generic_t& inode) {
  switch (inode.base.type) {
    case SQFS_INODE_EXT_FILE:
      return inode.data.file_ext.nlink;
    default:
      return 1;  // basic file inodes have no link count: never hard-linked
  }
}

uint64_t FileSize(const sqfs_inode_generic_t& inode) {
  sqfs_u64 size = 0;
  sqfs_inode_get_file_size(&inode, &size);
  return size;
}

uint64_t DataStart(const sqfs_inode_generic_t& inode) {
  sqfs_u64 start = 0;
  sqfs_inode_get_file_block_start(&inode, &start);
  return start;
}

// One file's content (the reader, compressor and scratch buffer belong to the calling
// worker thread). Full blocks are decompressed straight from the mapped image into the
// caller's buffer when it has room: no copy of the compressed bytes nor of the output. What
// does not fit goes through `scratch`; the tail in a fragment block through libsquashfs's
// data reader, which keeps the last fragment block decompressed.
class SquashfsFileReader : public ContentReader {
 public:
  SquashfsFileReader(sqfs_data_reader_t* reader, sqfs_compressor_t* cmp, ByteView image,
                     uint32_t block_size, const sqfs_inode_generic_t* inode, Bytes& scratch)
      : reader_(reader),
        cmp_(cmp),
        image_(image),
        block_size_(block_size),
        inode_(inode),
        scratch_(scratch),
        size_(FileSize(*inode)),
        disk_(DataStart(*inode)) {
    uint64_t blocks = sqfs_inode_get_file_block_count(inode);
    blocks_end_ = std::min<uint64_t>(size_, blocks * block_size);
  }
  uint64_t size() const override { return size_; }
  Result<size_t> Read(std::span<uint8_t> out) override {
    if (position_ >= size_ || out.empty()) return size_t{0};
    size_t done = 0;
    if (cached_ < cache_end_) {  // the rest of a block that did not fit last time
      done = std::min<size_t>(out.size(), cache_end_ - cached_);
      std::memcpy(out.data(), scratch_.data() + cached_, done);
      cached_ += done;
      position_ += done;
      return done;
    }
    while (position_ < blocks_end_ && done < out.size()) {
      const size_t expected = size_t(std::min<uint64_t>(block_size_, blocks_end_ - position_));
      const bool direct = out.size() - done >= expected;
      if (!direct && done > 0) break;  // next call
      uint8_t* target = direct ? out.data() + done : scratch_.data();
      CLEARBOX_RETURN_IF_ERROR(ReadBlock(target, expected));
      if (direct) {
        done += expected;
        position_ += expected;
        continue;
      }
      cache_end_ = expected;
      cached_ = std::min(out.size(), expected);
      std::memcpy(out.data(), scratch_.data(), cached_);
      position_ += cached_;
      return cached_;
    }
    if (done > 0) return done;
    // The tail, in a fragment block.
    sqfs_u32 want = sqfs_u32(std::min<uint64_t>({out.size(), size_ - position_, 1u << 30}));
    sqfs_s32 n = sqfs_data_reader_read(reader_, inode_, position_, out.data(), want);
    if (n < 0) {
      return Error::InvalidInput(
          fmt::format("squashfs data at file offset {}: {}", position_, SqfsErrorText(n)));
    }
    if (n == 0) {
      return Error::InvalidInput(fmt::format("squashfs data ends at file offset {}", position_));
    }
    position_ += sqfs_u32(n);
    return size_t(n);
  }

 private:
  // Block `position_ / block_size_` into `target` (room for `expected` bytes).
  Status ReadBlock(uint8_t* target, size_t expected) {
    const uint64_t index = position_ / block_size_;
    const sqfs_u32 raw = inode_->extra[index];
    const sqfs_u32 on_disk = SQFS_ON_DISK_BLOCK_SIZE(raw);
    auto corrupt = [&](std::string_view why) {
      return Error::InvalidInput(
          fmt::format("squashfs data at file offset {}: {}", position_, why));
    };
    if (on_disk == 0) {  // sparse
      std::memset(target, 0, expected);
      return Status::Ok();
    }
    if (on_disk > block_size_ || !FitsIn(image_, disk_, on_disk)) {
      return corrupt(SqfsErrorText(SQFS_ERROR_OUT_OF_BOUNDS));
    }
    const uint8_t* in = image_.data() + disk_;
    disk_ += on_disk;
    if (!SQFS_IS_BLOCK_COMPRESSED(raw)) {
      if (on_disk != expected) return corrupt("stored block of the wrong size");
      std::memcpy(target, in, expected);
      return Status::Ok();
    }
    sqfs_s32 n = cmp_->do_block(cmp_, in, on_disk, target, sqfs_u32(expected));
    if (n < 0) return corrupt(SqfsErrorText(n));
    if (size_t(n) != expected) return corrupt("block decompresses to the wrong size");
    return Status::Ok();
  }

  sqfs_data_reader_t* reader_;
  sqfs_compressor_t* cmp_;
  ByteView image_;
  uint64_t block_size_;
  const sqfs_inode_generic_t* inode_;
  Bytes& scratch_;
  uint64_t size_;
  uint64_t blocks_end_ = 0;  // file bytes held in full blocks (the rest is a fragment)
  uint64_t disk_;            // image offset of the next block
  uint64_t position_ = 0;
  size_t cached_ = 0, cache_end_ = 0;  // unread bytes of the block in scratch_
};

struct PendingFile {
  Node node;
  InodePtr inode;
};

class SquashfsWalk {
 public:
  SquashfsWalk(ByteView container, Walker& walker)
      : walker_(walker), container_size_(container.size()) {
    InitViewFile(&file_, container);
  }

  Result<uint64_t> Run() {
    int rc = sqfs_super_read(&super_, &file_.file);
    if (rc != 0) return Error::InvalidInput("superblock: " + SqfsErrorText(rc));
    // libsquashfs sizes the fragment table from this count alone (16 bytes an entry): a
    // hostile count reserves gigabytes. Every fragment block holds a tail of at least one
    // file and at least one byte of the image, so a larger count is a lie: the table is not
    // read, and the tails it would locate are reported as unreadable.
    if (super_.fragment_entry_count > super_.inode_count ||
        super_.fragment_entry_count > container_size_) {
      walker_.AddNote(
          Note::Kind::kCorrupt, 0,
          fmt::format("superblock: {} fragments claimed for {} inodes in {} bytes; "
                      "the fragment table is not read",
                      super_.fragment_entry_count, super_.inode_count, container_size_));
      super_.fragment_entry_count = 0;
    }
    CLEARBOX_ASSIGN_OR_RETURN(SqfsPtr<sqfs_compressor_t> cmp, MakeCompressor(super_, &file_));
    cmp_ = WithMetadataCache(std::move(cmp));
    // Asked once: the walker hands its threads out to one user (nested containers get one).
    threads_ = std::clamp<int>(walker_.threads(), 1, 64);
    // xz and lzma metadata blocks are decompressed by helpers beside the walk (on the other
    // cores); the fast decoders (gzip, lz4, zstd, lzo) are left to the walk, which still
    // keeps what it decompressed in the prefetch's table (no copy of the compressed bytes).
    const int cores = std::min<int>(threads_, int(std::thread::hardware_concurrency()));
    const bool slow_codec =
        super_.compression_id == SQFS_COMP_XZ || super_.compression_id == SQFS_COMP_LZMA;
    StartPrefetch(reinterpret_cast<MetadataCache*>(cmp_.get()),
                  MetadataBlocks(file_.data, super_, kMetadataPrefetchBlocks),
                  slow_codec ? cores - 1 : 0, [this] {
                    Result<SqfsPtr<sqfs_compressor_t>> made = MakeCompressor(super_, &file_);
                    return made.ok() ? std::move(made).value() : nullptr;
                  });
    ids_.reset(sqfs_id_table_create(0));
    if (!ids_) return Error::Internal("sqfs_id_table_create failed");
    rc = sqfs_id_table_read(ids_.get(), &file_.file, &super_, cmp_.get());
    if (rc != 0) return Error::InvalidInput("id table: " + SqfsErrorText(rc));
    dirs_.reset(sqfs_dir_reader_create(&super_, cmp_.get(), &file_.file, 0));
    if (!dirs_) return Error::Internal("sqfs_dir_reader_create failed");

    Status walked = WalkTree();
    // The helpers' cores go to the extraction.
    if (auto* p = reinterpret_cast<MetadataCache*>(cmp_.get())->prefetch.get()) p->Stop();
    CLEARBOX_RETURN_IF_ERROR(walked);
    CLEARBOX_RETURN_IF_ERROR(ExtractFiles());
    for (Node& link : hard_links_)
      CLEARBOX_RETURN_IF_ERROR(walker_.AddNode(std::move(link), nullptr));
    return super_.bytes_used;
  }

 private:
  Node MakeNode(const sqfs_inode_generic_t& inode, std::string path) {
    Node node;
    node.path = std::move(path);
    node.type = TypeOf(inode);
    node.mode = inode.base.mode & 07777;
    sqfs_u32 id = 0;
    if (sqfs_id_table_index_to_id(ids_.get(), inode.base.uid_idx, &id) == 0) node.uid = id;
    if (sqfs_id_table_index_to_id(ids_.get(), inode.base.gid_idx, &id) == 0) node.gid = id;
    node.mtime = inode.base.mod_time;
    switch (node.type) {
      case NodeType::kFile:
        node.size = FileSize(inode);
        break;
      case NodeType::kSymlink: {
        size_t n = std::min<size_t>(inode.data.slink.target_size, inode.payload_bytes_used);
        node.link_target.assign(reinterpret_cast<const char*>(inode.extra), n);
        break;
      }
      case NodeType::kCharDevice:
      case NodeType::kBlockDevice: {
        uint32_t devno = inode.data.dev.devno;  // same position in the extended inode
        node.dev_major = (devno >> 8) & 0xfff;
        node.dev_minor = (devno & 0xff) | ((devno >> 12) & 0xfff00);
        break;
      }
      default:
        break;
    }
    return node;
  }

  // Depth-first over directories with an explicit stack: a hostile image can nest deeply or
  // loop (a directory entry pointing at an ancestor) without exhausting the C++ stack.
  Status WalkTree() {
    sqfs_inode_generic_t* raw_root = nullptr;
    int rc = sqfs_dir_reader_get_root_inode(dirs_.get(), &raw_root);
    if (rc != 0) return Error::InvalidInput("root inode: " + SqfsErrorText(rc));
    struct Dir {
      InodePtr inode;
      std::string path;
    };
    std::vector<Dir> stack;
    stack.push_back({InodePtr(raw_root), ""});
    CLEARBOX_RETURN_IF_ERROR(walker_.AddNode(MakeNode(*stack.back().inode, ""), nullptr));
    std::unordered_set<uint32_t> seen_dirs{stack.back().inode->base.inode_number};
    std::unordered_map<uint32_t, std::string> file_by_inode;  // for hard links

    while (!stack.empty()) {
      Dir dir = std::move(stack.back());
      stack.pop_back();
      std::vector<Dir> subdirs;
      rc = sqfs_dir_reader_open_dir(dirs_.get(), dir.inode.get(), 0);
      if (rc != 0) {
        walker_.AddNote(Note::Kind::kCorrupt, 0,
                        fmt::format("directory /{}: {}", dir.path, SqfsErrorText(rc)));
        continue;
      }
      while (true) {
        CLEARBOX_RETURN_IF_ERROR(walker_.CheckContinue());
        sqfs_dir_entry_t* raw_entry = nullptr;
        rc = sqfs_dir_reader_read(dirs_.get(), &raw_entry);
        if (rc > 0) break;
        std::unique_ptr<sqfs_dir_entry_t, SqfsFree> entry(raw_entry);
        if (rc < 0) {
          walker_.AddNote(Note::Kind::kCorrupt, 0,
                          fmt::format("directory /{}: {}", dir.path, SqfsErrorText(rc)));
          break;
        }
        // One allocation for the path, with room for the "/" the engine puts in front.
        const size_t name_size = size_t(entry->size) + 1;
        std::string path;
        path.reserve(dir.path.size() + name_size + 2);
        if (!dir.path.empty()) {
          path += dir.path;
          path += '/';
        }
        path.append(reinterpret_cast<const char*>(entry->name), name_size);
        sqfs_inode_generic_t* raw_inode = nullptr;
        rc = sqfs_dir_reader_get_inode(dirs_.get(), &raw_inode);
        if (rc != 0) {
          walker_.AddNote(Note::Kind::kCorrupt, 0,
                          fmt::format("inode of /{}: {}", path, SqfsErrorText(rc)));
          continue;
        }
        InodePtr inode(raw_inode);
        NodeType type = TypeOf(*inode);
        if (type == NodeType::kDirectory) {
          if (!seen_dirs.insert(inode->base.inode_number).second) {
            walker_.AddNote(Note::Kind::kCorrupt, 0,
                            fmt::format("directory /{} repeats inode {}: loop not followed", path,
                                        inode->base.inode_number));
            continue;
          }
          if (walker_.WantsContent()) {
            // Created by the workers as their files need them: creating 800 directories
            // one after another before extraction starts is slow on a busy disk. The
            // workers report them after the files.
            dirs_later_.push_back(MakeNode(*inode, path));
          } else {
            CLEARBOX_RETURN_IF_ERROR(walker_.AddNode(MakeNode(*inode, path), nullptr));
          }
          if (path.size() < walker_.limits().max_path_length) {
            subdirs.push_back({std::move(inode), std::move(path)});
          }
          continue;
        }
        if (type == NodeType::kFile) {
          if (LinkCount(*inode) > 1) {
            auto [it, inserted] = file_by_inode.emplace(inode->base.inode_number, path);
            if (!inserted) {
              Node link = MakeNode(*inode, std::move(path));
              link.type = NodeType::kHardLink;
              link.size = 0;
              link.link_target = it->second;
              hard_links_.push_back(std::move(link));  // after their targets are written
              continue;
            }
          }
          Node node = MakeNode(*inode, std::move(path));  // keeps the room reserved above
          if (!walker_.WantsContent()) {
            // Listing only: no data block is decompressed, nodes come in walk order.
            CLEARBOX_RETURN_IF_ERROR(walker_.AddNode(std::move(node), nullptr));
            continue;
          }
          files_.push_back({std::move(node), std::move(inode)});
          continue;
        }
        if (walker_.WantsContent()) {
          // Symlinks, devices, fifos, sockets: written by the workers beside the first
          // files, not one after another before extraction starts (creating an inode and
          // its parent directories costs as much as a small file).
          specials_.push_back(MakeNode(*inode, std::move(path)));
          continue;
        }
        CLEARBOX_RETURN_IF_ERROR(walker_.AddNode(MakeNode(*inode, std::move(path)), nullptr));
      }
      // Depth-first in listing order.
      for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it) stack.push_back(std::move(*it));
    }
    return Status::Ok();
  }

  // Where a file's data starts on disk: its first block, or for a file that is only a tail,
  // the fragment block holding it. Sorting by it makes each thread read the image forward
  // and decompress each fragment block once.
  std::vector<uint64_t> DataOrderKeys() {
    std::vector<uint64_t> keys(files_.size(), 0);
    if (files_.empty()) return keys;  // a listing: no fragment table to read
    SqfsPtr<sqfs_frag_table_t> fragments(sqfs_frag_table_create(0));
    bool have_fragments =
        fragments && super_.fragment_entry_count > 0 &&
        sqfs_frag_table_read(fragments.get(), &file_.file, &super_, cmp_.get()) == 0;
    for (size_t i = 0; i < files_.size(); ++i) {
      const sqfs_inode_generic_t& inode = *files_[i].inode;
      keys[i] = DataStart(inode);
      sqfs_u32 index = 0, offset = 0;
      sqfs_inode_get_frag_location(&inode, &index, &offset);
      sqfs_fragment_t fragment{};
      if (sqfs_inode_get_file_block_count(&inode) == 0 && index != 0xffffffff && have_fragments &&
          sqfs_frag_table_lookup(fragments.get(), index, &fragment) == 0) {
        keys[i] = fragment.start_offset;
      }
    }
    return keys;
  }

  Status ExtractFiles() {
    // A listing has nothing here: no worker, data reader or fragment table is set up.
    if (files_.empty() && specials_.empty() && dirs_later_.empty()) return Status::Ok();
    std::vector<uint64_t> keys = DataOrderKeys();
    int threads = threads_;
    if (files_.size() < 64) threads = 1;
    // Large files first, largest first, one per work unit: a large file taken last would
    // keep one thread busy after the others ran out of work (a 50 MB package list is a
    // quarter of a Debian root filesystem). The rest in disk order.
    uint64_t total_size = 0;
    for (const PendingFile& f : files_) total_size += f.node.size;
    const uint64_t big = threads > 1 ? std::max<uint64_t>(total_size / (uint64_t(threads) * 32),
                                                          uint64_t(super_.block_size) * 4)
                                     : UINT64_MAX;
    std::vector<size_t> order;
    order.reserve(files_.size());
    for (size_t i = 0; i < files_.size(); ++i) {
      if (files_[i].node.size >= big) order.push_back(i);
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return files_[a].node.size > files_[b].node.size; });
    const size_t big_count = order.size();
    for (size_t i = 0; i < files_.size(); ++i) {
      if (files_[i].node.size < big) order.push_back(i);
    }
    std::stable_sort(order.begin() + ptrdiff_t(big_count), order.end(),
                     [&](size_t a, size_t b) { return keys[a] < keys[b]; });
    // Work units: first the special nodes (symlinks, ...), then each large file alone, then
    // runs of at least kMinUnit files, never splitting the files that share a fragment
    // block (same key) between two threads, and last the directories.
    constexpr size_t kMinUnit = 8;
    constexpr size_t kNodesPerUnit = 64;
    std::vector<Unit> units;
    for (size_t i = 0; i < specials_.size(); i += kNodesPerUnit) {
      units.push_back({Unit::kSpecials, i, std::min(specials_.size(), i + kNodesPerUnit)});
    }
    for (size_t i = 0; i < order.size(); ++i) {
      bool new_unit = units.empty() || units.back().kind != Unit::kFiles || i <= big_count ||
                      (i - units.back().begin >= kMinUnit && keys[order[i]] != keys[order[i - 1]]);
      if (new_unit) {
        if (!units.empty() && units.back().kind == Unit::kFiles) units.back().end = i;
        units.push_back({Unit::kFiles, i, order.size()});
      }
    }
    for (size_t i = 0; i < dirs_later_.size(); i += kNodesPerUnit) {
      units.push_back({Unit::kDirectories, i, std::min(dirs_later_.size(), i + kNodesPerUnit)});
    }

    std::atomic<size_t> next{0};
    std::atomic<bool> stop{false};
    std::vector<Status> results(static_cast<size_t>(threads));
    Progress progress{
        keys, std::vector<std::atomic<uint64_t>>(static_cast<size_t>(threads)), {}, 0};
    auto work = [&](int index) {
      results[size_t(index)] = Worker(order, units, next, stop, progress, size_t(index));
    };
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back(work, i);
    work(0);
    for (std::thread& t : pool) t.join();
    for (Status& s : results) CLEARBOX_RETURN_IF_ERROR(s);
    return Status::Ok();
  }

  // A run of work for one thread: indexes [begin, end) into `order` (files), `specials_`
  // or `dirs_later_`.
  struct Unit {
    enum Kind { kSpecials, kFiles, kDirectories } kind;
    size_t begin, end;
  };

  // Where the workers are in the image, to drop the data blocks they have all passed.
  struct Progress {
    const std::vector<uint64_t>& keys;
    std::vector<std::atomic<uint64_t>> at;  // per worker: data key of its unit (max: done)
    std::mutex mu;
    uint64_t released = 0;
  };

  void ReleaseBehind(Progress& p) {
    constexpr uint64_t kReleaseStep = 16 << 20;
    uint64_t low = UINT64_MAX;
    for (const auto& a : p.at) low = std::min(low, a.load());
    std::lock_guard<std::mutex> lock(p.mu);
    if (low == UINT64_MAX || low < p.released + kReleaseStep) return;
    low = std::min<uint64_t>(low, file_.data.size());
    walker_.DoneWith(file_.data.subspan(size_t(p.released), size_t(low - p.released)));
    p.released = low;
  }

  Status Worker(const std::vector<size_t>& order, const std::vector<Unit>& units,
                std::atomic<size_t>& next, std::atomic<bool>& stop, Progress& progress,
                size_t index) {
    struct Done {  // a finished (or failed) worker no longer holds data back
      std::atomic<uint64_t>& at;
      ~Done() { at.store(UINT64_MAX); }
    } done{progress.at[index]};
    CLEARBOX_ASSIGN_OR_RETURN(SqfsPtr<sqfs_compressor_t> cmp, MakeCompressor(super_, &file_));
    SqfsPtr<sqfs_data_reader_t> data(
        sqfs_data_reader_create(&file_.file, super_.block_size, cmp.get(), 0));
    if (!data) return Error::Internal("sqfs_data_reader_create failed");
    int rc = sqfs_data_reader_load_fragment_table(data.get(), &super_);
    if (rc != 0 && !fragment_table_noted_.exchange(true)) {
      walker_.AddNote(Note::Kind::kCorrupt, super_.fragment_table_start,
                      "fragment table: " + SqfsErrorText(rc));
    }
    Bytes scratch(super_.block_size);
    while (!stop.load()) {
      size_t u = next.fetch_add(1);
      if (u >= units.size()) break;
      const Unit& unit = units[u];
      if (unit.kind == Unit::kFiles) {
        progress.at[index].store(progress.keys[order[unit.begin]]);
        ReleaseBehind(progress);
      }
      for (size_t k = unit.begin; k < unit.end; ++k) {
        Status s;
        if (unit.kind == Unit::kFiles) {
          PendingFile& file = files_[order[k]];
          SquashfsFileReader reader(data.get(), cmp.get(), file_.data, super_.block_size,
                                    file.inode.get(), scratch);
          s = walker_.AddNode(std::move(file.node), &reader);
        } else {
          std::vector<Node>& nodes = unit.kind == Unit::kSpecials ? specials_ : dirs_later_;
          s = walker_.AddNode(std::move(nodes[k]), nullptr);
        }
        if (!s.ok()) {
          stop = true;
          return s;
        }
      }
    }
    return Status::Ok();
  }

  Walker& walker_;
  uint64_t container_size_;
  ViewFile file_;
  sqfs_super_t super_{};
  SqfsPtr<sqfs_compressor_t> cmp_;
  SqfsPtr<sqfs_id_table_t> ids_;
  SqfsPtr<sqfs_dir_reader_t> dirs_;
  std::vector<PendingFile> files_;
  std::vector<Node> specials_;    // symlinks, devices, ...: reported beside the first files
  std::vector<Node> dirs_later_;  // directories, reported after the files
  std::vector<Node> hard_links_;
  std::atomic<bool> fragment_table_noted_{false};
  int threads_ = 1;  // walker_.threads(), asked once
};

// Superblock fields (little-endian squashfs 4): see squashfs-tools' squashfs_fs.h.
std::optional<Match> ProbeSquashfs(ByteView d) {
  if (d.size() < 96) return std::nullopt;
  const bool little = std::memcmp(d.data(), "hsqs", 4) == 0;
  auto u16 = [&](size_t at) { return little ? LoadLE16(d.data() + at) : LoadBE16(d.data() + at); };
  auto u32 = [&](size_t at) { return little ? LoadLE32(d.data() + at) : LoadBE32(d.data() + at); };
  auto u64 = [&](size_t at) { return little ? LoadLE64(d.data() + at) : LoadBE64(d.data() + at); };
  uint16_t major = u16(28);
  Match m;
  if (little && major == 4) {
    uint32_t block_size = u32(12);
    uint16_t block_log = u16(22);
    uint16_t compression = u16(20);
    uint64_t bytes_used = u64(40);
    if (block_log < 12 || block_log > 20 || block_size != (1u << block_log)) return std::nullopt;
    if (compression < 1 || compression > 6 || u16(30) != 0) return std::nullopt;
    if (bytes_used < 96 || bytes_used > (uint64_t(1) << 48)) return std::nullopt;
    m.length = bytes_used;
    return m;
  }
  // Versions 1 to 3 (either endian), big-endian 4.0 and the vendor LZMA magics are read by
  // the legacy reader (squashfs_legacy.h): libsquashfs reads only little-endian 4.0.
  return ProbeLegacySquashfs(d);
}

Result<uint64_t> OpenSquashfs(ByteView container, const Match& match, Walker& walker) {
  if (match.hint == kLegacySquashfsHint) return OpenLegacySquashfs(container, match, walker);
  SquashfsWalk walk(container, walker);
  return walk.Run();
}

}  // namespace

extern const FormatHandler kSquashfsFormat = {.name = "squashfs",
                                              .magics = {{"hsqs", 0},
                                                         {"sqsh", 0},
                                                         {"sqlz", 0},
                                                         {"shsq", 0},
                                                         {"qshs", 0}},
                                              .flags = kFormatFilesystem,
                                              .probe = ProbeSquashfs,
                                              .open = OpenSquashfs};

}  // namespace clearbox::unpack::internal
