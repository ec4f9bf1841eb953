// libarchive over our inputs: a ByteView (zero-copy, seekable) or a ContentReader (a stream).
#pragma once

#include <locale.h>

#include <cstdint>
#include <optional>
#include <string>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/unpack.h"
#include "unpack/internal/libarchive.h"

namespace clearbox::unpack::internal {

// The bytes libarchive reads, and how many it has been given (for the ratio limit).
struct ArchiveSource {
  const LibArchive* la = nullptr;   // loaded (LoadLibArchive) before any archive is made
  ByteView view;                    // memory mode
  size_t chunk = 0;                 // memory mode: bytes per read (0: all at once)
  size_t pos = 0;                   // memory mode: next byte to hand out
  ContentReader* stream = nullptr;  // stream mode
  Bytes buffer;                     // stream mode
  uint64_t fed = 0;                 // bytes handed to libarchive so far
  std::optional<Error> error;       // a stream read error, for the note
};

// Makes the calling thread's LC_CTYPE UTF-8 (C.UTF-8) until destroyed, so that libarchive
// converts names (7z and Joliet store UTF-16, zip may flag UTF-8) to UTF-8 whatever the
// process locale; a CLI in the "C" locale would lose every non-ASCII name. Only this thread
// is affected (uselocale), and only around calls into libarchive, not around the walk of
// entries. Without a UTF-8 locale on the system it changes nothing.
class ScopedUtf8Locale {
 public:
  ScopedUtf8Locale();
  ~ScopedUtf8Locale();
  ScopedUtf8Locale(const ScopedUtf8Locale&) = delete;
  ScopedUtf8Locale& operator=(const ScopedUtf8Locale&) = delete;

 private:
  locale_t previous_ = locale_t(0);
};

// An archive reader with the callbacks for `source` installed (not opened yet).
// archive_read_open1 must be called after enabling formats.
void InstallArchiveCallbacks(struct archive* a, ArchiveSource* source);

}  // namespace clearbox::unpack::internal
