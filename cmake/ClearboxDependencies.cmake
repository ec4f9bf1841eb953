# Every dependency comes from a Debian package (scripts/install-deps.sh).
find_package(PkgConfig REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(Boost 1.74 REQUIRED)
pkg_check_modules(LIBARCHIVE REQUIRED IMPORTED_TARGET libarchive)
pkg_check_modules(LIBSQUASHFS REQUIRED IMPORTED_TARGET libsquashfs1)
pkg_check_modules(EXT2FS REQUIRED IMPORTED_TARGET ext2fs com_err)
pkg_check_modules(LIBLZMA REQUIRED IMPORTED_TARGET liblzma)
pkg_check_modules(LIBZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(LIBLZ4 REQUIRED IMPORTED_TARGET liblz4)
pkg_check_modules(LZO2 REQUIRED IMPORTED_TARGET lzo2)
pkg_check_modules(LIBDEFLATE REQUIRED IMPORTED_TARGET libdeflate)  # squashfs gzip blocks
pkg_check_modules(LIBHS REQUIRED IMPORTED_TARGET libhs)  # version signatures, all at once
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)  # the vulnerability database
pkg_check_modules(LIBCRYPT REQUIRED IMPORTED_TARGET libcrypt)  # default-password check
pkg_check_modules(YARA REQUIRED IMPORTED_TARGET yara)  # known back doors (rules/*.yar)
pkg_check_modules(CAPSTONE REQUIRED IMPORTED_TARGET capstone)  # magic-password disassembly
pkg_check_modules(LIBMAGIC REQUIRED IMPORTED_TARGET libmagic)  # libyara's "magic" module
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)  # libyara's cuckoo module
pkg_check_modules(LIBPCAP REQUIRED IMPORTED_TARGET libpcap)  # watch: pcap/pcapng and live capture
# libfdt (FIT images) ships no pkg-config file.
find_path(LIBFDT_INCLUDE_DIR libfdt.h REQUIRED)
find_library(LIBFDT_LIBRARY fdt REQUIRED)
add_library(clearbox_libfdt UNKNOWN IMPORTED)
set_target_properties(clearbox_libfdt PROPERTIES IMPORTED_LOCATION ${LIBFDT_LIBRARY}
                                                 INTERFACE_INCLUDE_DIRECTORIES ${LIBFDT_INCLUDE_DIR})
find_package(BZip2 REQUIRED)
include(ClearboxStaticLink)  # clearbox_dep_* targets, the static CLI
if(CLEARBOX_BUILD_BENCHMARKS)
  # Before src/: module benchmarks (src/<module>/*_benchmark.cc) link benchmark::benchmark.
  find_package(benchmark REQUIRED)
endif()
