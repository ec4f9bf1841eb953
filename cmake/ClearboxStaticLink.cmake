# Static linking of the `clearbox` executable against Debian's static archives (*.a from the
# -dev packages), for start-up time: `clearbox ls` lists a squashfs in about 10 ms, and the
# dynamic loader mapping and relocating libcrypto, libssl, libstdc++, libfmt, libsquashfs and
# the codecs took 5 to 7 ms of every start (bench/README.md, unpack, session 5). glibc stays
# shared (libarchive is opened with dlopen when an archive is met).
#
# Each dependency of the library modules is wrapped in an INTERFACE target clearbox_dep_<name>
# that links the imported (shared) target, or the static archives when the executable being
# linked has the target property CLEARBOX_STATIC_DEPS set: the property is read on the
# executable at link time, so tests, benchmarks and the server keep the shared libraries and
# only the executables that ask (the CLI) change.
#
# Included by ClearboxDependencies.cmake, after the find_package calls.

option(CLEARBOX_STATIC_CLI
       "Link the clearbox executable against static archives of its dependencies" ON)
if(CLEARBOX_STATIC_CLI AND (CLEARBOX_SANITIZE OR CLEARBOX_FUZZ))
  # Sanitizer runtimes and libFuzzer want to see every allocation and libc call; the shared
  # libraries are fine there and keep those builds quick to link.
  message(STATUS "clearbox: CLEARBOX_STATIC_CLI off for sanitizer/fuzz builds")
  set(CLEARBOX_STATIC_CLI OFF)
endif()

# clearbox_dependency(<name> <imported target> ARCHIVES <file names...> [THEN <more link items>])
#   Defines clearbox_dep_<name>. ARCHIVES are looked up in the default library paths; THEN
#   follows them on a static link line (the archives' own dependencies, in link order).
#   If an archive is missing, the static CLI is turned off with a message.
function(clearbox_dependency name imported)
  cmake_parse_arguments(D "" "" "ARCHIVES;THEN" ${ARGN})
  add_library(clearbox_dep_${name} INTERFACE)
  # Each archive becomes an imported static library that links the next one (the last links
  # THEN): CMake keeps a library before what it links, so the line comes out in order.
  set(next ${D_THEN})
  list(REVERSE D_ARCHIVES)
  foreach(a IN LISTS D_ARCHIVES)
    if(NOT CLEARBOX_STATIC_CLI)
      break()
    endif()
    find_library(CLEARBOX_ARCHIVE_${a} NAMES ${a} NO_CACHE)
    if(NOT CLEARBOX_ARCHIVE_${a})
      message(WARNING "clearbox: ${a} not found: CLEARBOX_STATIC_CLI turned off")
      set(CLEARBOX_STATIC_CLI OFF PARENT_SCOPE)
      set(CLEARBOX_STATIC_CLI OFF)
      break()
    endif()
    string(MAKE_C_IDENTIFIER "clearbox_archive_${a}" archive)
    add_library(${archive} STATIC IMPORTED)
    set_target_properties(${archive} PROPERTIES IMPORTED_LOCATION ${CLEARBOX_ARCHIVE_${a}}
                                                INTERFACE_LINK_LIBRARIES "${next}")
    set(next ${archive})
  endforeach()
  if(CLEARBOX_STATIC_CLI)
    set(is_static "$<BOOL:$<TARGET_PROPERTY:CLEARBOX_STATIC_DEPS>>")
    target_link_libraries(clearbox_dep_${name} INTERFACE "$<IF:${is_static},${next},${imported}>")
    # The headers whichever way it links (the module compiling against it is not static).
    target_include_directories(clearbox_dep_${name} INTERFACE
      $<TARGET_PROPERTY:${imported},INTERFACE_INCLUDE_DIRECTORIES>)
  else()
    target_link_libraries(clearbox_dep_${name} INTERFACE ${imported})
  endif()
endfunction()

# Link order on a static line: a library before the libraries it uses.
clearbox_dependency(zlib ZLIB::ZLIB ARCHIVES libz.a)
clearbox_dependency(bzip2 BZip2::BZip2 ARCHIVES libbz2.a)
clearbox_dependency(lzma PkgConfig::LIBLZMA ARCHIVES liblzma.a THEN Threads::Threads)
clearbox_dependency(zstd PkgConfig::LIBZSTD ARCHIVES libzstd.a THEN Threads::Threads)
clearbox_dependency(lz4 PkgConfig::LIBLZ4 ARCHIVES liblz4.a)
clearbox_dependency(lzo2 PkgConfig::LZO2 ARCHIVES liblzo2.a)
clearbox_dependency(deflate PkgConfig::LIBDEFLATE ARCHIVES libdeflate.a)
clearbox_dependency(fdt clearbox_libfdt ARCHIVES libfdt.a)
clearbox_dependency(libcrypto OpenSSL::Crypto ARCHIVES libcrypto.a
                    THEN ${CMAKE_DL_LIBS} Threads::Threads)
clearbox_dependency(libssl OpenSSL::SSL ARCHIVES libssl.a THEN clearbox_dep_libcrypto)
# libsquashfs.a uses every codec it was built with (its .pc file names only zlib).
clearbox_dependency(squashfs PkgConfig::LIBSQUASHFS ARCHIVES libsquashfs.a
                    THEN clearbox_dep_lzma clearbox_dep_zstd clearbox_dep_lz4 clearbox_dep_lzo2
                         clearbox_dep_zlib Threads::Threads)
clearbox_dependency(ext2fs PkgConfig::EXT2FS ARCHIVES libext2fs.a libcom_err.a)
clearbox_dependency(hyperscan PkgConfig::LIBHS ARCHIVES libhs.a THEN m)
clearbox_dependency(sqlite3 PkgConfig::SQLITE3 ARCHIVES libsqlite3.a THEN ${CMAKE_DL_LIBS} Threads::Threads m)
clearbox_dependency(crypt PkgConfig::LIBCRYPT ARCHIVES libcrypt.a)
clearbox_dependency(yara PkgConfig::YARA ARCHIVES libyara.a libmagic.a libjansson.a
                    THEN clearbox_dep_libcrypto clearbox_dep_lzma clearbox_dep_bzip2 clearbox_dep_zlib m
                         ${CMAKE_DL_LIBS} Threads::Threads)
clearbox_dependency(capstone PkgConfig::CAPSTONE ARCHIVES libcapstone.a)
# libpcap.a calls libdbus (its D-Bus capture source); libdbus-1.a calls sd_listen_fds and
# sd_is_socket, and Debian ships no libsystemd.a: the shared libsystemd.so.0, kept out of the
# executable's DT_NEEDED unless the watch module's capture code is linked in (--as-needed).
find_library(CLEARBOX_LIBSYSTEMD_SO NAMES libsystemd.so.0 libsystemd.so)
if(CLEARBOX_LIBSYSTEMD_SO)
  set(clearbox_systemd -Wl,--push-state,--as-needed ${CLEARBOX_LIBSYSTEMD_SO} -Wl,--pop-state)
endif()
clearbox_dependency(pcap PkgConfig::LIBPCAP ARCHIVES libpcap.a libdbus-1.a
                    THEN ${clearbox_systemd} Threads::Threads)

# clearbox_static_executable(<target>): links <target> with the static archives above, and
# libstdc++ and libgcc statically (libfmt is compiled into the unpack module: see
# src/unpack/fmt_impl.cc). Position-independent still: the executable parses hostile input,
# and ASLR of its code is worth the ~0.4 ms a start that PIE relocations cost here. Their
# table is packed (DT_RELR: 7 KiB instead of 600 KiB of 25,000 entries), which takes ~1 ms
# off `clearbox ls` (bench/README.md, unpack, session 6).
function(clearbox_static_executable target)
  if(CLEARBOX_STATIC_CLI)
    set_target_properties(${target} PROPERTIES CLEARBOX_STATIC_DEPS ON)
    target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc -Wl,-z,pack-relative-relocs)
  endif()
endfunction()
