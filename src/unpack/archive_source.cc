#include "internal/archive_source.h"

#include <algorithm>
#include <cstdio>

namespace clearbox::unpack::internal {
namespace {

constexpr size_t kStreamBuffer = 256 << 10;

la_ssize_t ReadCallback(struct archive* a, void* client, const void** buffer) {
  auto* s = static_cast<ArchiveSource*>(client);
  if (s->stream != nullptr) {
    if (s->buffer.size() != kStreamBuffer) s->buffer.resize(kStreamBuffer);
    Result<size_t> n = s->stream->Read(s->buffer);
    if (!n.ok()) {
      s->error = n.error();
      s->la->archive_set_error(a, EIO, "%s", n.error().message().c_str());
      return -1;
    }
    *buffer = s->buffer.data();
    s->fed += *n;
    return la_ssize_t(*n);
  }
  size_t left = s->view.size() - s->pos;
  size_t n = s->chunk == 0 ? left : std::min(left, s->chunk);
  *buffer = s->view.data() + s->pos;
  s->pos += n;
  s->fed += n;
  return la_ssize_t(n);
}

la_int64_t SkipCallback(struct archive*, void* client, la_int64_t request) {
  auto* s = static_cast<ArchiveSource*>(client);
  if (s->stream != nullptr || request <= 0) return 0;  // libarchive then reads and discards
  size_t n = std::min<uint64_t>(uint64_t(request), s->view.size() - s->pos);
  s->pos += n;
  return la_int64_t(n);
}

la_int64_t SeekCallback(struct archive*, void* client, la_int64_t offset, int whence) {
  auto* s = static_cast<ArchiveSource*>(client);
  if (s->stream != nullptr) return ARCHIVE_FATAL;
  int64_t base = whence == SEEK_SET   ? 0
                 : whence == SEEK_CUR ? int64_t(s->pos)
                                      : int64_t(s->view.size());
  int64_t target = base + offset;
  if (target < 0) return ARCHIVE_FATAL;
  s->pos = size_t(std::min<int64_t>(target, int64_t(s->view.size())));
  return la_int64_t(s->pos);
}

locale_t Utf8Locale() {
  // Made once, never freed: a locale_t is shared read-only by every thread that uses it.
  static const locale_t utf8 = [] {
    for (const char* name : {"C.UTF-8", "C.utf8", "en_US.UTF-8"}) {
      if (locale_t l = newlocale(LC_CTYPE_MASK, name, locale_t(0)); l != locale_t(0)) return l;
    }
    return locale_t(0);
  }();
  return utf8;
}

}  // namespace

ScopedUtf8Locale::ScopedUtf8Locale() {
  if (locale_t utf8 = Utf8Locale(); utf8 != locale_t(0)) previous_ = uselocale(utf8);
}

ScopedUtf8Locale::~ScopedUtf8Locale() {
  if (previous_ != locale_t(0)) uselocale(previous_);
}

void InstallArchiveCallbacks(struct archive* a, ArchiveSource* source) {
  const LibArchive& la = *source->la;
  la.archive_read_set_callback_data(a, source);
  la.archive_read_set_read_callback(a, ReadCallback);
  if (source->stream == nullptr) {
    la.archive_read_set_skip_callback(a, SkipCallback);
    la.archive_read_set_seek_callback(a, SeekCallback);
  }
}

}  // namespace clearbox::unpack::internal
