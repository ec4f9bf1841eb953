// FIT images built by U-Boot's own mkimage (u-boot-tools, with dtc), embedded and external
// data, unpacked by the engine: the kernel, a squashfs root filesystem, an initramfs and a
// device tree each come out, their hashes are checked, and a tampered or truncated image is
// reported as such.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "engine_test_util.h"
#include "fit.h"

namespace clearbox::unpack::enginetest {
namespace {

constexpr const char* kIts = R"(/dts-v1/;
/ {
  description = "clearbox test FIT";
  #address-cells = <1>;
  images {
    kernel-1 {
      description = "Linux kernel";
      data = /incbin/("./kernel.gz");
      type = "kernel"; arch = "arm"; os = "linux"; compression = "gzip";
      load = <0x80008000>; entry = <0x80008000>;
      hash-1 { algo = "crc32"; };
      hash-2 { algo = "sha256"; };
    };
    rootfs-1 {
      data = /incbin/("./rootfs.sqfs");
      type = "filesystem"; arch = "arm"; compression = "none";
      hash-1 { algo = "sha1"; };
    };
    ramdisk-1 {
      data = /incbin/("./initrd.cpio.gz");
      type = "ramdisk"; arch = "arm"; os = "linux"; compression = "none";
      hash-1 { algo = "md5"; };
    };
    fdt-1 {
      data = /incbin/("./board.dtb");
      type = "flat_dt"; arch = "arm"; compression = "none";
      hash-1 { algo = "sha256"; };
    };
  };
  configurations {
    default = "conf-1";
    conf-1 { kernel = "kernel-1"; ramdisk = "ramdisk-1"; fdt = "fdt-1"; };
  };
};
)";

class EngineFitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeRootfs(scratch_ / "root");
    std::string kernel;
    for (int i = 0; kernel.size() < 200000; ++i) kernel += "vmlinux " + std::to_string(i) + "\n";
    kernel_sha_ = Sha(kernel);
    WriteText(scratch_ / "kernel", kernel);
    WriteText(scratch_ / "board.dts",
              "/dts-v1/;\n/ { model = \"Example Router\"; compatible = \"example,router\"; };\n");
    WriteText(scratch_ / "fw.its", kIts);
    ASSERT_TRUE(Sh(dir(), "gzip -9nk kernel && dtc -I dts -O dtb -o board.dtb board.dts"));
    ASSERT_TRUE(Sh(dir(), "mksquashfs root rootfs.sqfs -comp xz -no-progress -quiet"));
    ASSERT_TRUE(Sh(dir() + "/root",
                   "find . | sort | cpio --quiet -o -H newc | gzip -9n > ../initrd.cpio.gz"));
  }
  std::string dir() const { return scratch_.path().string(); }

  // Unpacks `image` and checks what every variant must give.
  Unpacked ExpectFit(const std::string& image, const std::string& fit) {
    Unpacked u = UnpackPath(scratch_ / image);
    SCOPED_TRACE(image);
    const auto* kernel = u.Find(fit + ":/kernel-1");
    EXPECT_NE(kernel, nullptr) << u.NotesText();
    if (kernel != nullptr) {
      EXPECT_EQ(kernel->sha256, kernel_sha_);
    }
    for (const std::string& fs : {fit + ":rootfs-1!squashfs", fit + ":ramdisk-1!cpio"}) {
      // (rcS, not passwd: cpio stores a hard-linked file's data with its last name)
      const auto* rcs = u.Find(fs + ":/etc/init.d/rcS");
      EXPECT_NE(rcs, nullptr) << fs << "\n" << u.NotesText();
      if (rcs != nullptr) {
        EXPECT_EQ(rcs->sha256, Sha("#!/bin/sh\nmount -a\n"));
      }
      const auto* sh = u.Find(fs + ":/bin/sh");
      EXPECT_NE(sh, nullptr) << fs;
      if (sh != nullptr) {
        EXPECT_EQ(sh->node.link_target, "busybox");
      }
    }
    const auto* dtb = u.Find(fit + ":/fdt-1");
    EXPECT_NE(dtb, nullptr) << u.NotesText();
    if (dtb != nullptr) {
      EXPECT_EQ(dtb->sha256, Sha256Hex(ReadAll(scratch_ / "board.dtb")));
    }
    EXPECT_TRUE(u.HasNote(Note::Kind::kInfo, "model 'Example Router'")) << u.NotesText();
    return u;
  }

  Scratch scratch_;
  std::string kernel_sha_;
};

TEST_F(EngineFitTest, EmbeddedExternalAndPositionedDataUnpackAlike) {
  // mkimage stamps the image with the time, or with SOURCE_DATE_EPOCH when set.
  ASSERT_TRUE(Sh(dir(),
                 "export SOURCE_DATE_EPOCH=1700000000; mkimage -f fw.its embedded.itb &&"
                 " mkimage -E -f fw.its external.itb &&"
                 " mkimage -E -p 0x4000 -f fw.its positioned.itb"));
  for (const std::string image : {"embedded.itb", "external.itb", "positioned.itb"}) {
    Unpacked u = ExpectFit(image, image + "!fit@0x0");
    // Five hashes, all checked against the stored data, none wrong.
    EXPECT_TRUE(u.HasNote(Note::Kind::kInfo, "kernel-1 (kernel, gzip,")) << u.NotesText();
    EXPECT_TRUE(u.HasNote(Note::Kind::kInfo, "2 hashes verified")) << u.NotesText();
    EXPECT_FALSE(u.summary.partial) << u.NotesText();
  }

  // The library view of the same image: types, compression, where the data is.
  Bytes bytes = ReadAll(scratch_ / "external.itb");
  Result<fit::Image> image = fit::Parse(bytes);
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  EXPECT_EQ(image->description, "clearbox test FIT");
  EXPECT_EQ(image->timestamp, 1700000000);
  ASSERT_EQ(image->parts.size(), 4u);
  EXPECT_EQ(image->parts[0].type, "kernel");
  EXPECT_EQ(image->parts[0].compression, "gzip");
  EXPECT_TRUE(image->parts[0].external);
  EXPECT_GE(image->parts[0].offset, image->tree_size);
  EXPECT_LE(image->total_size, bytes.size());  // mkimage pads the file to 4 bytes
  EXPECT_GT(image->total_size + 4, bytes.size());
  for (const fit::Part& p : image->parts) {
    ASSERT_EQ(p.hashes.size(), p.name == "kernel-1" ? 2u : 1u);
    for (const fit::Hash& h : p.hashes) EXPECT_TRUE(h.checked && h.ok) << p.name << " " << h.algo;
  }
  EXPECT_EQ(image->configurations, std::vector<std::string>{"conf-1"});
}

TEST_F(EngineFitTest, CarvedAtAnUnalignedOffsetInsideAFlashDump) {
  ASSERT_TRUE(Sh(dir(), "mkimage -E -f fw.its fit.itb"));
  // A bootloader-like blob, then the FIT at an offset libfdt cannot read in place (not 8-byte
  // aligned), then erased flash.
  ASSERT_TRUE(Sh(dir(),
                 "head -c 4099 /dev/zero | tr '\\0' 'B' > dump.bin && cat fit.itb >> dump.bin"
                 " && head -c 65536 /dev/zero | tr '\\0' '\\377' >> dump.bin"));
  ExpectFit("dump.bin", "dump.bin!fit@0x1003");
}

TEST_F(EngineFitTest, TamperedAndTruncatedImagesAreReportedAndTheRestUnpacked) {
  ASSERT_TRUE(Sh(dir(), "mkimage -E -f fw.its fit.itb"));
  Bytes bytes = ReadAll(scratch_ / "fit.itb");
  Result<fit::Image> parsed = fit::Parse(bytes);
  ASSERT_TRUE(parsed.ok());
  const fit::Part& rootfs = parsed->parts[1];
  ASSERT_EQ(rootfs.name, "rootfs-1");

  // One byte of the squashfs's padding changed: its sha1 no longer matches.
  Bytes tampered = bytes;
  tampered[rootfs.offset + rootfs.size - 1] ^= 0x5a;
  Unpacked t = UnpackBytes(tampered);
  EXPECT_TRUE(t.HasNote(Note::Kind::kCorrupt, "image rootfs-1: sha1 mismatch")) << t.NotesText();
  EXPECT_TRUE(t.summary.partial);
  EXPECT_NE(t.FindSuffix("rootfs-1!squashfs:/etc/init.d/rcS"), nullptr) << t.NotesText();

  // Cut inside the squashfs: the kernel (before it) is whole, the cut is named.
  Bytes truncated(bytes.begin(), bytes.begin() + static_cast<long>(rootfs.offset + 100));
  Unpacked c = UnpackBytes(truncated);
  EXPECT_TRUE(c.HasNote(Note::Kind::kCorrupt, "image rootfs-1:")) << c.NotesText();
  EXPECT_TRUE(c.HasNote(Note::Kind::kCorrupt, "(truncated)")) << c.NotesText();
  const auto* kernel = c.FindSuffix("fit@0x0:/kernel-1");
  ASSERT_NE(kernel, nullptr) << c.NotesText();
  EXPECT_EQ(kernel->sha256, kernel_sha_);

  // A damaged tree: libfdt's check fails and says why.
  Bytes damaged = bytes;
  StoreBE32(damaged.data() + 8, 0xfffffff0);  // off_dt_struct far outside the tree
  Result<fit::Image> bad = fit::Parse(damaged);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("damaged device tree"), std::string::npos)
      << bad.error().message();
}

// A hand-written tree (dtc, no mkimage) whose 40 images all point at the same 64 KiB with
// nine hash nodes each: checking them all would hash the buffer 300 times over.
TEST_F(EngineFitTest, OverlappingPartsCannotMakeTheHashChecksRunAway) {
  std::string dts = "/dts-v1/;\n/ { images {\n";
  for (int i = 0; i < 40; ++i) {
    dts += "  img-" + std::to_string(i) +
           " { type = \"firmware\"; data-position = <0x8000>; data-size = <0x10000>;\n";
    for (int h = 0; h < 9; ++h)
      dts += "    hash-" + std::to_string(h) + " { algo = \"sha256\"; };\n";
    dts += "  };\n";
  }
  dts += "}; };\n";
  WriteText(scratch_ / "overlap.dts", dts);
  ASSERT_TRUE(
      Sh(dir(), "dtc -I dts -O dtb -o overlap.itb overlap.dts && truncate -s 98304 overlap.itb"));
  Result<fit::Image> image = fit::Parse(ReadAll(scratch_ / "overlap.itb"));
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  ASSERT_EQ(image->parts.size(), 40u);
  size_t checked = 0;
  for (const fit::Part& p : image->parts) {
    EXPECT_EQ(p.offset, 0x8000u);
    EXPECT_LE(p.hashes.size(), fit::kMaxHashesPerImage);
    for (const fit::Hash& h : p.hashes) checked += h.checked;
  }
  EXPECT_LE(checked * 0x10000, fit::kHashBudgetFactor * 98304 + (1u << 20));
  bool limit_noted = false;
  for (const Note& n : image->notes) limit_noted |= n.kind == Note::Kind::kLimit;
  EXPECT_TRUE(limit_noted);
}

TEST_F(EngineFitTest, APlainDeviceTreeIsALeafNotSomethingLeftUnpacked) {
  Unpacked u = UnpackPath(scratch_ / "board.dtb");
  EXPECT_TRUE(u.HasNote(Note::Kind::kInfo, "compatible 'example,router'")) << u.NotesText();
  EXPECT_FALSE(u.summary.partial) << u.NotesText();
  EXPECT_FALSE(fit::Parse(ReadAll(scratch_ / "board.dtb")).ok());  // no /images: not a FIT
}

}  // namespace
}  // namespace clearbox::unpack::enginetest
