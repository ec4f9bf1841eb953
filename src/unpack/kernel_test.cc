// Linux kernels: the real bzImage and zImage samples, kernels built here in every codec the
// kernel's build offers (compressed with the real tools), with an embedded config and
// initramfs, and hostile headers.
#include "kernel.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "engine_test_util.h"
#include "flash_test_util.h"

namespace clearbox::unpack {
namespace {

using enginetest::Scratch;
using enginetest::Sh;
using enginetest::Sha;
using enginetest::UnpackBytes;
using enginetest::Unpacked;
using internal::BannerRelease;
using internal::ParseBanner;
using internal::SwapWords;

Bytes Gzip(ByteView in) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes out(deflateBound(&s, in.size()) + 64);
  s.next_in = const_cast<Bytef*>(in.data());
  s.avail_in = uInt(in.size());
  s.next_out = out.data();
  s.avail_out = uInt(out.size());
  EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

void Append(Bytes& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }
void Append(Bytes& out, ByteView b) { out.insert(out.end(), b.begin(), b.end()); }
void PutLE32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = uint8_t(v >> (8 * i));
}

const std::string kConfig =
    "#\n# Automatically generated file; DO NOT EDIT.\n#\nCONFIG_IKCONFIG=y\n"
    "CONFIG_BLK_DEV_INITRD=y\n# CONFIG_MODULES is not set\nCONFIG_CMDLINE=\"console=ttyS0\"\n";
const std::string kBanner =
    "Linux version 6.1.0-test (builder@host) (gcc (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT";

// A stand-in vmlinux: an ELF magic, the banner, the gzipped config between its markers and a
// gzipped newc initramfs holding /init, separated by zeros as sections are.
Bytes FakeVmlinux(const Scratch& dir) {
  enginetest::WriteText(dir / "root/init", "#!/bin/sh\nexec /bin/sh\n");
  Sh(dir / "root", "find . | cpio -o -H newc > ../initramfs.cpio");
  Bytes cpio = enginetest::ReadAll(dir / "initramfs.cpio");
  Bytes v = {0x7f, 'E', 'L', 'F'};
  v.resize(4096, 0);
  Append(v, kBanner + "\n");
  v.resize(8192, 0);
  Append(v, "IKCFG_ST");
  Append(v, Gzip(AsBytes(kConfig)));
  Append(v, "IKCFG_ED");
  v.resize(v.size() + 4096, 0);
  Append(v, Gzip(cpio));
  v.resize(v.size() + 4096, 0);
  return v;
}

// An x86 bzImage around `payload` (boot protocol 2.13, 4 setup sectors), the way the kernel's
// build lays it out: setup, a stand-in decompressor, the payload, its 4-byte size.
Bytes MakeBzImage(ByteView payload, std::string_view version) {
  constexpr size_t kSetup = 5 * 512;
  Bytes img(kSetup, 0);
  img[0x1f1] = 4;
  img[0x1fe] = 0x55;
  img[0x1ff] = 0xaa;
  std::memcpy(&img[0x202], "HdrS", 4);
  img[0x206] = 0x0d;
  img[0x207] = 0x02;
  img[0x20e] = 0x00;  // kernel_version: 0x100 + 0x200
  img[0x20f] = 0x01;
  std::memcpy(&img[0x300], version.data(), version.size());
  img.resize(kSetup + 0x100, 0x90);  // the decompressor
  Append(img, payload);
  img.resize(img.size() + 4, 0);
  img.resize((img.size() + 15) / 16 * 16, 0);
  PutLE32(img, 0x1f4, uint32_t((img.size() - kSetup) / 16));
  PutLE32(img, 0x248, 0x100);
  PutLE32(img, 0x24c, uint32_t(payload.size() + 4));
  return img;
}

// A little-endian ARM zImage around `payload`; `be32` word-swaps the whole image as an old
// big-endian build does.
Bytes MakeZImage(ByteView payload, bool be32) {
  Bytes img;
  for (int i = 0; i < 0x200 / 4; ++i) Append(img, std::string_view("\x00\x00\xa0\xe1", 4));
  PutLE32(img, 0x24, 0x016F2818);
  Append(img, payload);
  img.resize((img.size() + 3) / 4 * 4, 0);
  PutLE32(img, 0x28, 0);
  PutLE32(img, 0x2c, uint32_t(img.size()));
  return be32 ? SwapWords(img) : img;
}

const TreeCollector::Entry* FindFile(const Unpacked& u, std::string_view in,
                                     std::string_view path) {
  for (const auto& e : u.entries) {
    if (e.node.provenance.find(in) != std::string::npos && e.node.provenance.ends_with(path)) {
      return &e;
    }
  }
  return nullptr;
}

// What every kernel built from FakeVmlinux must show, wherever it sits.
void ExpectKernelInsides(const Unpacked& u, const Bytes& vmlinux, std::string_view container) {
  SCOPED_TRACE(u.NotesText());
  const auto* file = FindFile(u, container, "vmlinux");
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->sha256, Sha256Hex(vmlinux));
  EXPECT_TRUE(u.HasNote(Note::Kind::kInfo, "Linux kernel version 6.1.0-test: " + kBanner));
  EXPECT_TRUE(u.HasNote(Note::Kind::kInfo, "kernel config (IKCONFIG): 3 options set"));
  const auto* config = FindFile(u, "!ikconfig@", "config");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->sha256, Sha(kConfig));
  const auto* init = FindFile(u, "!cpio", "/init");
  ASSERT_NE(init, nullptr) << "the initramfs is not opened";
  EXPECT_EQ(init->sha256, Sha("#!/bin/sh\nexec /bin/sh\n"));
  EXPECT_FALSE(u.summary.partial);
}

TEST(KernelTest, BannerParsing) {
  std::string text = kBanner + "\n";
  auto b = ParseBanner(AsBytes(text));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(*b, kBanner);
  EXPECT_EQ(BannerRelease(*b), "6.1.0-test");
  EXPECT_FALSE(ParseBanner(AsBytes(std::string_view("Linux version  (x)\n"))));
  EXPECT_FALSE(ParseBanner(AsBytes(std::string("Linux version 5.4 ") + std::string(600, 'x'))));
  EXPECT_FALSE(ParseBanner(AsBytes(std::string_view("Linux version 5.4 unterminated"))));
}

TEST(KernelTest, RealBzImagesOpenToAnI386Vmlinux) {
  for (const char* name :
       {"linux_bzImage_x86_gzip_5.4.72.bin", "linux_bzImage_x86_xz_5.4.72.bin"}) {
    SCOPED_TRACE(name);
    Unpacked u = enginetest::UnpackPath(testing::kRealCorpus + name);
    SCOPED_TRACE(u.NotesText());
    EXPECT_TRUE(u.HasNote(Note::Kind::kInfo, "x86 bzImage, boot protocol 2.13, version 5.4.72 ("));
    EXPECT_TRUE(u.HasNote(Note::Kind::kInfo, "at 0x4269"));
    EXPECT_TRUE(u.HasNote(Note::Kind::kInfo, "Linux kernel version 5.4.72: Linux version 5.4.72"));
    const auto* vmlinux = FindFile(u, "!bzimage@0x0:", "vmlinux");
    ASSERT_NE(vmlinux, nullptr);
    EXPECT_EQ(vmlinux->node.size, 1015400u);
    EXPECT_FALSE(u.summary.partial);
  }
}

TEST(KernelTest, RealBigEndianZImageIsSwappedBack) {
  Unpacked u = enginetest::UnpackPath(testing::kRealCorpus + "linux_zImage_arm_be32.bin");
  SCOPED_TRACE(u.NotesText());
  EXPECT_TRUE(u.HasNote(Note::Kind::kInfo, "ARM zImage (big-endian)"));
  EXPECT_TRUE(u.HasNote(Note::Kind::kInfo, "gzip at 0x330d, stored with its 32-bit words"));
  const auto* vmlinux = FindFile(u, "!zimage@0x0:", "vmlinux");
  ASSERT_NE(vmlinux, nullptr);
  EXPECT_EQ(vmlinux->node.size, 82u);  // "foobar 1234 test ... Linux version foobar ..."
}

TEST(KernelTest, VmlinuxShowsVersionConfigAndInitramfs) {
  Scratch dir;
  Bytes vmlinux = FakeVmlinux(dir);
  Unpacked u = UnpackBytes(vmlinux);
  SCOPED_TRACE(u.NotesText());
  EXPECT_TRUE(u.HasNote(Note::Kind::kInfo, "Linux kernel version 6.1.0-test"));
  const auto* config = FindFile(u, "!ikconfig@0x2000", "config");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->sha256, Sha(kConfig));
  EXPECT_NE(FindFile(u, "!cpio", "/init"), nullptr);
}

// The kernel's build compresses vmlinux with one of these (Makefile.lib: cmd_gzip, cmd_bzip2,
// cmd_lzma, cmd_xzkern, cmd_lzo, cmd_lz4, cmd_zstd22).
TEST(KernelTest, BzImageInEveryKernelCodec) {
  Scratch dir;
  Bytes vmlinux = FakeVmlinux(dir);
  testing::WriteBytes(dir / "vmlinux", vmlinux);
  const std::pair<const char*, const char*> kTools[] = {
      {"gzip", "gzip -n -9 -c"},     {"bzip2", "bzip2 -9 -c"}, {"xz", "xz --format=lzma -9 -c"},
      {"xz", "xz --check=crc32 -c"}, {"lzop", "lzop -9 -c"},   {"lz4", "lz4 -l -9 -c"},
      {"zstd", "zstd -19 -c"}};
  for (const auto& [tool, command] : kTools) {
    SCOPED_TRACE(command);
    if (std::system((std::string("command -v ") + tool + " >/dev/null").c_str()) != 0) continue;
    ASSERT_TRUE(Sh(dir.path().string(), std::string(command) + " < vmlinux > vmlinux.z"));
    Bytes image = MakeBzImage(enginetest::ReadAll(dir / "vmlinux.z"), "6.1.0-test (b@h) #1");
    Unpacked u = UnpackBytes(image);
    EXPECT_TRUE(u.HasNote(Note::Kind::kInfo, "version 6.1.0-test (b@h) #1"));
    ExpectKernelInsides(u, vmlinux, "!bzimage@0x0:");
  }
}

TEST(KernelTest, ZImageLittleAndBigEndian) {
  Scratch dir;
  Bytes vmlinux = FakeVmlinux(dir);
  for (bool be32 : {false, true}) {
    SCOPED_TRACE(be32);
    Unpacked u = UnpackBytes(MakeZImage(Gzip(vmlinux), be32));
    EXPECT_TRUE(u.HasNote(Note::Kind::kInfo, be32 ? "(big-endian)" : "(little-endian)"));
    ExpectKernelInsides(u, vmlinux, "!zimage@0x0:");
  }
}

TEST(KernelTest, HostileBzImageHeadersAreNoted) {
  Bytes payload = Gzip(AsBytes(kConfig));
  Bytes past = MakeBzImage(payload, "x");
  PutLE32(past, 0x248, 0x7fffffff);  // payload_offset past the end
  Unpacked u = UnpackBytes(past);
  EXPECT_TRUE(u.HasNote(Note::Kind::kCorrupt, "lies past the image's end")) << u.NotesText();

  Bytes lying = MakeBzImage(payload, "x");
  PutLE32(lying, 0x24c, 0x7fffffff);  // payload_length
  u = UnpackBytes(lying);
  EXPECT_TRUE(u.HasNote(Note::Kind::kCorrupt, "runs past the image's end")) << u.NotesText();
  EXPECT_NE(FindFile(u, "!bzimage@0x0:", "vmlinux"), nullptr) << "the payload is still read";

  Bytes unknown = MakeBzImage(Bytes(64, 0x42), "x");
  u = UnpackBytes(unknown);
  EXPECT_TRUE(u.HasNote(Note::Kind::kUnsupported, "in an unknown format")) << u.NotesText();

  Bytes cut = MakeBzImage(payload, "x");
  cut.resize(cut.size() - 20);  // into the gzip trailer
  u = UnpackBytes(cut);
  EXPECT_TRUE(u.summary.partial) << u.NotesText();
}

TEST(KernelTest, ZImageWithoutPayloadAndBrokenConfigAreNoted) {
  Unpacked u = UnpackBytes(MakeZImage(Bytes(256, 0), false));
  EXPECT_TRUE(u.HasNote(Note::Kind::kUnsupported, "no compressed kernel")) << u.NotesText();

  Bytes v(64, 0);
  Append(v, "IKCFG_ST");
  Bytes gz = Gzip(AsBytes(kConfig));
  Append(v, ByteView(gz).first(gz.size() - 12));  // truncated, no end marker
  v.resize(v.size() + 64, 0);
  u = UnpackBytes(v);
  EXPECT_TRUE(u.HasNote(Note::Kind::kCorrupt, "kernel config: gzip")) << u.NotesText();

  Bytes unclosed(64, 0);
  Append(unclosed, "IKCFG_ST");
  Append(unclosed, gz);
  unclosed.resize(unclosed.size() + 64, 0);
  u = UnpackBytes(unclosed);
  EXPECT_TRUE(u.HasNote(Note::Kind::kCorrupt, "no IKCFG_ED marker")) << u.NotesText();
  EXPECT_NE(FindFile(u, "!ikconfig@", "config"), nullptr);
}

TEST(KernelTest, UpxPackedExecutableIsReportedWithItsVersion) {
  Bytes elf = {0x7f, 'E', 'L', 'F', 1, 1, 1, 0};
  elf.resize(0xe8, 0);
  Append(elf, std::string_view("\0\0\0\0UPX!\x0c\x0d\x0e\x0f", 12));
  elf.resize(0x400, 0);
  Append(elf,
         "$Info: This file is packed with the UPX executable packer http://upx.sf.net $\n"
         "$Id: UPX 4.0.2 Copyright (C) 1996-2023 the UPX Team. All Rights Reserved. $\n");
  elf.resize(0x2000, 0x33);
  Unpacked u = UnpackBytes(elf);
  EXPECT_TRUE(u.HasNote(Note::Kind::kUnsupported, "ELF executable packed with UPX 4.0.2"))
      << u.NotesText();
  Bytes plain = {0x7f, 'E', 'L', 'F', 1, 1, 1, 0};
  plain.resize(0x2000, 0);
  u = UnpackBytes(plain);
  EXPECT_FALSE(u.HasNote(Note::Kind::kUnsupported, "UPX")) << u.NotesText();
}

}  // namespace
}  // namespace clearbox::unpack
