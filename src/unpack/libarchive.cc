#include "internal/libarchive.h"

#include <dlfcn.h>

#include <string>

namespace clearbox::unpack::internal {
namespace {

// Every libarchive 3 has had this soname; the header it is built against must match.
static_assert(ARCHIVE_VERSION_NUMBER >= 3000000 && ARCHIVE_VERSION_NUMBER < 4000000,
              "libarchive 3 (libarchive.so.13) expected");
constexpr const char* kSoname = "libarchive.so.13";

Result<const LibArchive*> Load() {
  // Never closed: the table is used until the process ends.
  void* handle = dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return Error::Unsupported(std::string("libarchive cannot be loaded: ") +
                              (why != nullptr ? why : kSoname));
  }
  static LibArchive table;
#define CLEARBOX_LIBARCHIVE_RESOLVE(name)                                 \
  table.name = reinterpret_cast<decltype(&::name)>(dlsym(handle, #name)); \
  if (table.name == nullptr) {                                            \
    return Error::Unsupported(std::string(kSoname) + " lacks " #name);    \
  }
  CLEARBOX_LIBARCHIVE_FUNCTIONS(CLEARBOX_LIBARCHIVE_RESOLVE)
#undef CLEARBOX_LIBARCHIVE_RESOLVE
  return &table;
}

}  // namespace

Result<const LibArchive*> LoadLibArchive() {
  static const Result<const LibArchive*> loaded = Load();
  return loaded;
}

}  // namespace clearbox::unpack::internal
