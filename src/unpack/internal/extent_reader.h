// A file whose bytes lie in runs of an image (clusters of a FAT chain, blocks and chunks of an
// EROFS inode), read as one stream; a run may be a hole that reads as zeros.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/unpack/unpack.h"

namespace clearbox::unpack::internal {

struct ImageExtent {
  uint64_t offset = 0;  // in the image (ignored for a hole)
  uint64_t length = 0;
  bool hole = false;  // zeros, not stored
};

// Reads `size` bytes from `runs` in order (fewer if the runs end first). The runs must lie
// inside `image` (the parser checked them); both must outlive the reader.
class ExtentReader : public ContentReader {
 public:
  ExtentReader(ByteView image, const std::vector<ImageExtent>& runs, uint64_t size)
      : image_(image), runs_(runs), size_(size) {}
  uint64_t size() const override { return size_; }
  Result<size_t> Read(std::span<uint8_t> out) override {
    size_t done = 0;
    while (done < out.size() && run_ < runs_.size() && pos_ < size_) {
      const ImageExtent& r = runs_[run_];
      const size_t n =
          size_t(std::min<uint64_t>({out.size() - done, r.length - in_run_, size_ - pos_}));
      if (r.hole) {
        std::memset(out.data() + done, 0, n);
      } else {
        std::memcpy(out.data() + done, image_.data() + r.offset + in_run_, n);
      }
      done += n;
      pos_ += n;
      in_run_ += n;
      if (in_run_ == r.length) {
        ++run_;
        in_run_ = 0;
      }
    }
    return done;
  }
  // One stored run holding the whole file: a view, written without copying.
  std::optional<ByteView> Contiguous() override {
    if (runs_.size() != 1 || runs_[0].hole || runs_[0].length < size_) return std::nullopt;
    return image_.subspan(size_t(runs_[0].offset), size_t(size_));
  }

 private:
  ByteView image_;
  const std::vector<ImageExtent>& runs_;
  uint64_t size_;
  size_t run_ = 0;
  uint64_t in_run_ = 0, pos_ = 0;
};

}  // namespace clearbox::unpack::internal
