// libarchive, loaded when the first archive is met (dlopen), not when the process starts.
//
// libarchive.so.13 pulls in libxml2, ICU, nettle and libacl: resolving and relocating them
// cost ~4 ms at every start of the CLI (LD_DEBUG=statistics, perf stat), more than all the
// rest of `clearbox ls` on a small image, though most images hold no tar, cpio, zip, 7z or
// ISO 9660. The CLI therefore does not link it; the archive handlers call it through this
// table. Its types and constants still come from <archive.h>.
//
//   CLEARBOX_ASSIGN_OR_RETURN(const LibArchive* la, LoadLibArchive());
//   struct archive* a = la->archive_read_new();
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include "clearbox/core/result.h"

namespace clearbox::unpack::internal {

// Every libarchive function the handlers call, with its own name and signature.
#define CLEARBOX_LIBARCHIVE_FUNCTIONS(X)        \
  X(archive_read_new)                           \
  X(archive_read_free)                          \
  X(archive_read_support_format_tar)            \
  X(archive_read_support_format_cpio)           \
  X(archive_read_support_format_zip_seekable)   \
  X(archive_read_support_format_zip_streamable) \
  X(archive_read_support_format_7zip)           \
  X(archive_read_support_format_iso9660)        \
  X(archive_read_set_callback_data)             \
  X(archive_read_set_read_callback)             \
  X(archive_read_set_skip_callback)             \
  X(archive_read_set_seek_callback)             \
  X(archive_read_open1)                         \
  X(archive_read_next_header)                   \
  X(archive_read_data_block)                    \
  X(archive_read_header_position)               \
  X(archive_filter_bytes)                       \
  X(archive_error_string)                       \
  X(archive_set_error)                          \
  X(archive_entry_filetype)                     \
  X(archive_entry_perm)                         \
  X(archive_entry_uid)                          \
  X(archive_entry_gid)                          \
  X(archive_entry_mtime)                        \
  X(archive_entry_nlink)                        \
  X(archive_entry_size)                         \
  X(archive_entry_size_is_set)                  \
  X(archive_entry_rdevmajor)                    \
  X(archive_entry_rdevminor)                    \
  X(archive_entry_pathname)                     \
  X(archive_entry_pathname_utf8)                \
  X(archive_entry_hardlink)                     \
  X(archive_entry_hardlink_utf8)                \
  X(archive_entry_symlink)                      \
  X(archive_entry_symlink_utf8)

struct LibArchive {
#define CLEARBOX_LIBARCHIVE_MEMBER(name) decltype(&::name) name = nullptr;
  CLEARBOX_LIBARCHIVE_FUNCTIONS(CLEARBOX_LIBARCHIVE_MEMBER)
#undef CLEARBOX_LIBARCHIVE_MEMBER
};

// The library, loaded on the first call (thread-safe; later calls return the same table or
// the same error). Errors: kUnsupported when libarchive.so.13 or one of its functions cannot
// be loaded (the archive is then noted as not unpacked).
Result<const LibArchive*> LoadLibArchive();

}  // namespace clearbox::unpack::internal
