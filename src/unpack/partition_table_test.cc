// The MBR and GPT readers and their format handlers over the real samples (binwalk's MBR,
// FACT's four-partition disk, the gpt crate's disk), over disks sfdisk and sgdisk partition
// (with a FAT volume from mkfs.vfat and an ext2 one from mke2fs inside), over a 4096-byte-
// sector GPT a small test-only writer builds, and over damaged tables.
#include "partition_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include "decompress_payload.h"
#include "flash_test_util.h"
#include "internal/format.h"

namespace clearbox::unpack::partition_table {
namespace {

using testing::FakeWalker;
using testing::ReadBytes;
using testing::RunCommand;
using testing::TempDir;

bool HaveTools(const char* tools) {
  return std::system(("for t in " + std::string(tools) +
                      "; do command -v $t >/dev/null || exit 1; done")
                         .c_str()) == 0;
}

bool HasNote(const std::vector<Note>& notes, Note::Kind kind, std::string_view text) {
  for (const Note& n : notes) {
    if (n.kind == kind && n.message.find(text) != std::string::npos) return true;
  }
  return false;
}

std::string AllNotes(const std::vector<Note>& notes) {
  std::string out;
  for (const Note& n : notes) out += n.message + "\n";
  return out;
}

// Opens `image` with the registered handler `name` as the engine would (probe, then open).
FakeWalker OpenWith(const char* name, ByteView image, bool* probed = nullptr) {
  const internal::FormatHandler* h = internal::FindFormat(name);
  FakeWalker walker;
  std::optional<internal::Match> m = h->probe(image);
  if (probed) *probed = m.has_value();
  if (m) {
    Result<uint64_t> r = h->open(image, *m, walker);
    if (!r.ok()) ADD_FAILURE() << r.error().message();
  }
  return walker;
}

const FakeWalker::RecordedPayload* FindPayload(const FakeWalker& w, const std::string& label) {
  for (const auto& p : w.payloads) {
    if (p.label == label) return &p;
  }
  return nullptr;
}

void PutLE32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = uint8_t(v >> (8 * i));
}
void PutLE64(Bytes& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = uint8_t(v >> (8 * i));
}
void SetMbrEntry(Bytes& b, size_t sector_at, int slot, uint8_t status, uint8_t type,
                 uint32_t start, uint32_t sectors) {
  const size_t e = sector_at + 446 + 16 * slot;
  b[e] = status;
  b[e + 4] = type;
  PutLE32(b, e + 8, start);
  PutLE32(b, e + 12, sectors);
  b[sector_at + 510] = 0x55;
  b[sector_at + 511] = 0xaa;
}

// ---- real samples

TEST(PartitionTableReal, BinwalkMbrOnePartition) {
  Bytes image = ReadBytes(testing::kRealCorpus + "mbr_1part_binwalk.bin");
  ASSERT_TRUE(ProbeMbr(image, false));
  Result<Table> t = ParseMbr(image);
  ASSERT_TRUE(t.ok()) << t.error().message();
  ASSERT_EQ(t->partitions.size(), 1u);
  const Partition& p = t->partitions[0];
  EXPECT_EQ(p.index, 1u);
  EXPECT_EQ(p.type, "0x83");
  EXPECT_EQ(p.type_name, "Linux");
  EXPECT_EQ(p.first_lba, 1u);
  EXPECT_EQ(p.sectors, 9u);
  EXPECT_EQ(t->disk_id, "0x8767a19b");
  EXPECT_TRUE(t->notes.empty()) << AllNotes(t->notes);
  FakeWalker w = OpenWith("mbr", image);
  const auto* part1 = FindPayload(w, "part1");
  ASSERT_TRUE(part1);
  EXPECT_EQ(part1->offset, 512u);
  EXPECT_EQ(part1->bytes.size(), 4608u);
}

TEST(PartitionTableReal, FactFourPartitionsTheLastCutShort) {
  if (!HaveTools("xz")) GTEST_SKIP() << "xz (xz-utils) not installed";
  TempDir dir;
  ASSERT_TRUE(RunCommand("xz -dc '" + testing::kRealCorpus + "mbr_4part_fact.img.xz' > '" +
                         (dir / "disk.img") + "'"));
  Bytes image = ReadBytes(dir / "disk.img");
  Result<Table> t = ParseMbr(image);
  ASSERT_TRUE(t.ok()) << t.error().message();
  ASSERT_EQ(t->partitions.size(), 4u);
  const std::vector<std::tuple<std::string, uint64_t, uint64_t>> want = {
      {"0x07", 2048, 4096}, {"0x83", 6144, 6144}, {"0x83", 12288, 4096}, {"0x83", 16384, 2048}};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(t->partitions[i].index, i + 1);
    EXPECT_EQ(std::tie(t->partitions[i].type, t->partitions[i].first_lba,
                       t->partitions[i].sectors),
              std::tie(std::get<0>(want[i]), std::get<1>(want[i]), std::get<2>(want[i])));
  }
  EXPECT_TRUE(HasNote(t->notes, Note::Kind::kCorrupt, "partition 4 runs past the end"))
      << AllNotes(t->notes);
  // Partitions 2-4 hold ext4/ext3/ext2 (found by their magic); 1 holds NTFS.
  FakeWalker w = OpenWith("mbr", image);
  ASSERT_EQ(w.payloads.size(), 4u);
  EXPECT_EQ(FindPayload(w, "part4")->bytes.size(), image.size() - 16384 * 512);
  EXPECT_TRUE(w.FindNode("part1")) << "the NTFS partition is listed as a raw file";
  EXPECT_FALSE(w.FindNode("part2")) << "an ext4 partition is listed as a raw file";
}

TEST(PartitionTableReal, GptCrateTwoPartitions) {
  Bytes image = ReadBytes(testing::kRealCorpus + "gpt_2part_gptcrate.img");
  EXPECT_FALSE(ProbeMbr(image, false)) << "a protective MBR opened as an MBR";
  EXPECT_EQ(ProbeGpt(image), 512u);
  Result<Table> t = ParseGpt(image);
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_TRUE(t->notes.empty()) << AllNotes(t->notes);
  EXPECT_EQ(t->disk_id, "1B6A2BFA-E92B-184C-A8A7-ED0610D54821");
  ASSERT_EQ(t->partitions.size(), 2u);
  EXPECT_EQ(t->partitions[0].guid, "F38EAB50-076F-CB45-97F8-B1B7E5AF078F");
  EXPECT_EQ(t->partitions[0].type, "0FC63DAF-8483-4772-8E79-3D69D8477DE4");
  EXPECT_EQ(t->partitions[0].type_name, "Linux filesystem");
  EXPECT_EQ(t->partitions[0].first_lba, 34u);
  EXPECT_EQ(t->partitions[0].size, 512u);
  EXPECT_EQ(t->partitions[1].guid, "8EEE35AF-4A93-2C4F-AA7A-5FB193AC6FF7");
  EXPECT_EQ(t->partitions[1].first_lba, 35u);
  EXPECT_EQ(t->partitions[1].sectors, 4u);
  bool probed = true;
  OpenWith("mbr", image, &probed);
  EXPECT_FALSE(probed) << "the mbr handler claims an intact GPT";
  FakeWalker w = OpenWith("gpt", image);
  EXPECT_TRUE(w.FindNote(Note::Kind::kInfo, "GUID F38EAB50-076F-CB45-97F8-B1B7E5AF078F"));
  EXPECT_EQ(FindPayload(w, "part2")->offset, 35u * 512);
}

// ---- disks partitioned by sfdisk and sgdisk

// A 16 MiB disk: a FAT16 volume and an ext2 one (with a file) written into partitions.
class PartitionedDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTools("sfdisk sgdisk mkfs.vfat mke2fs")) {
      GTEST_SKIP() << "fdisk / gdisk / dosfstools / e2fsprogs not installed";
    }
    disk_ = dir_ / "disk.img";
    ASSERT_TRUE(RunCommand("truncate -s 16M '" + disk_ + "'"));
    ASSERT_TRUE(RunCommand("mkfs.vfat -C -F 16 -s 1 -n PARTFAT '" + (dir_ / "fat.img") +
                           "' 4096 >/dev/null"));
    std::filesystem::create_directories(dir_ / "root");
    testing::WriteBytes(dir_ / "root/hello.txt", AsBytes(std::string_view("ext2 inside\n")));
    ASSERT_TRUE(RunCommand("mke2fs -q -t ext2 -d '" + (dir_ / "root") + "' '" +
                           (dir_ / "ext2.img") + "' 2048"));
  }
  // Writes the two volumes at byte offsets `fat_at` and `ext_at` of the disk.
  void Fill(uint64_t fat_at, uint64_t ext_at) {
    ASSERT_TRUE(RunCommand("dd if='" + (dir_ / "fat.img") + "' of='" + disk_ +
                           "' bs=512 conv=notrunc status=none seek=" + std::to_string(fat_at / 512)));
    ASSERT_TRUE(RunCommand("dd if='" + (dir_ / "ext2.img") + "' of='" + disk_ +
                           "' bs=512 conv=notrunc status=none seek=" + std::to_string(ext_at / 512)));
  }

  TempDir dir_;
  std::string disk_;
};

TEST_F(PartitionedDisk, SfdiskPrimaryExtendedAndLogical) {
  ASSERT_TRUE(RunCommand("printf 'label: dos\\nstart=2048, size=8192, type=e\\n"
                         "start=10240, size=20480, type=5\\nstart=12288, size=4096, type=83\\n"
                         "start=18432, size=4096, type=83\\n' | sfdisk -q '" + disk_ + "'"));
  Fill(2048 * 512, 12288 * 512);
  Bytes image = ReadBytes(disk_);
  Result<Table> t = ParseMbr(image);
  ASSERT_TRUE(t.ok()) << t.error().message();
  ASSERT_EQ(t->partitions.size(), 3u) << AllNotes(t->notes);
  EXPECT_EQ(t->partitions[0].index, 1u);
  EXPECT_EQ(t->partitions[0].type_name, "W95 FAT16 (LBA)");
  EXPECT_EQ(t->partitions[1].index, 5u);
  EXPECT_TRUE(t->partitions[1].logical);
  EXPECT_EQ(t->partitions[1].first_lba, 12288u);
  EXPECT_EQ(t->partitions[2].index, 6u);
  EXPECT_EQ(t->partitions[2].first_lba, 18432u);
  EXPECT_TRUE(HasNote(t->notes, Note::Kind::kInfo, "extended partition 2"));

  FakeWalker w = OpenWith("mbr", image);
  const auto* fat = FindPayload(w, "part1");
  const auto* ext = FindPayload(w, "part5");
  ASSERT_TRUE(fat && ext && FindPayload(w, "part6"));
  // The FAT volume is the FAT handler's, not another MBR (both end in 0x55AA).
  EXPECT_FALSE(ProbeMbr(fat->bytes, true));
  EXPECT_TRUE(internal::FindFormat("fat")->probe(fat->bytes));
  EXPECT_TRUE(internal::IdentifiedAtStart(ext->bytes)) << "ext2 not found in part5";
  EXPECT_TRUE(w.FindNote(Note::Kind::kInfo, "partition 5: type 0x83 (Linux), start LBA 12288"));
}

TEST_F(PartitionedDisk, EbrLoopIsNoted) {
  ASSERT_TRUE(RunCommand("printf 'label: dos\\nstart=2048, size=20480, type=5\\n"
                         "start=4096, size=2048, type=83\\nstart=8192, size=2048, type=83\\n' "
                         "| sfdisk -q '" + disk_ + "'"));
  Bytes image = ReadBytes(disk_);
  // The second EBR (at 8192 - 2048 alignment gap) links back to itself.
  Result<Table> before = ParseMbr(image);
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(before->partitions.size(), 2u);
  const uint64_t second_ebr = 2048 + LoadLE32(image.data() + 2048 * 512 + 446 + 16 + 8);
  PutLE32(image, second_ebr * 512 + 446 + 16 + 8, uint32_t(second_ebr - 2048));
  image[second_ebr * 512 + 446 + 16 + 4] = 0x05;
  Result<Table> t = ParseMbr(image);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(HasNote(t->notes, Note::Kind::kCorrupt, "loops back")) << AllNotes(t->notes);
  EXPECT_EQ(t->partitions.size(), 2u);
}

TEST_F(PartitionedDisk, SgdiskGptAndDamagedCopies) {
  ASSERT_TRUE(RunCommand("sgdisk -n 1:2048:+4M -t 1:ef00 -c 1:'EFI system' "
                         "-n 2:0:+2M -t 2:8300 -c 2:'root fs' '" + disk_ + "' >/dev/null"));
  Fill(2048 * 512, (2048 + 8192) * 512);
  Bytes image = ReadBytes(disk_);
  EXPECT_FALSE(ProbeMbr(image, false));
  Result<Table> t = ParseGpt(image);
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_TRUE(t->notes.empty()) << AllNotes(t->notes);
  ASSERT_EQ(t->partitions.size(), 2u);
  EXPECT_EQ(t->partitions[0].type_name, "EFI System");
  EXPECT_EQ(t->partitions[0].name, "EFI system");
  EXPECT_EQ(t->partitions[1].type_name, "Linux filesystem");
  EXPECT_EQ(t->partitions[1].name, "root fs");
  EXPECT_EQ(t->partitions[1].first_lba, 2048u + 8192);
  FakeWalker w = OpenWith("gpt", image);
  ASSERT_TRUE(FindPayload(w, "part1") && FindPayload(w, "part2"));
  EXPECT_TRUE(internal::FindFormat("fat")->probe(FindPayload(w, "part1")->bytes));
  EXPECT_TRUE(internal::IdentifiedAtStart(FindPayload(w, "part2")->bytes));

  // A damaged entry array: the backup's copy is used.
  Bytes bad_array = image;
  bad_array[2 * 512 + 40] ^= 1;
  t = ParseGpt(bad_array);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(HasNote(t->notes, Note::Kind::kCorrupt, "entry array at LBA 2 is damaged"))
      << AllNotes(t->notes);
  EXPECT_EQ(t->partitions.size(), 2u);

  // A damaged primary header: the GPT handler no longer claims the disk, the MBR handler
  // sees the protective MBR and reads the backup header at the last LBA.
  Bytes bad_header = image;
  bad_header[512 + 24] ^= 1;
  EXPECT_EQ(ProbeGpt(bad_header), 0u);
  t = ParseGpt(bad_header);
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->header_lba, image.size() / 512 - 1);
  EXPECT_TRUE(HasNote(t->notes, Note::Kind::kCorrupt, "using the backup header"));
  EXPECT_EQ(t->partitions.size(), 2u);
  w = OpenWith("mbr", bad_header);
  EXPECT_TRUE(FindPayload(w, "part2")) << w.AllNotes();

  // Both headers gone: the protective MBR is all there is.
  Bytes no_gpt = bad_header;
  no_gpt[image.size() - 512] ^= 1;
  EXPECT_FALSE(ParseGpt(no_gpt).ok());
  w = OpenWith("mbr", no_gpt);
  EXPECT_TRUE(w.FindNote(Note::Kind::kCorrupt, "without a readable GPT")) << w.AllNotes();
  EXPECT_TRUE(w.payloads.empty());
}

// ---- a 4096-byte-sector GPT (sfdisk and sgdisk assume 512 on a file): a minimal writer

Bytes WriteGpt4096(uint64_t disk_sectors, uint64_t first, uint64_t last) {
  const uint32_t ss = 4096;
  Bytes disk(disk_sectors * ss, 0);
  SetMbrEntry(disk, 0, 0, 0, 0xee, 1, uint32_t(disk_sectors - 1));
  Bytes entries(128 * 128, 0);
  const uint8_t linux_type[16] = {0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
                                  0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4};
  std::memcpy(entries.data(), linux_type, 16);
  entries[16] = 0x42;  // the partition GUID: 42 00 .. 00
  PutLE64(entries, 32, first);
  PutLE64(entries, 40, last);
  entries[56] = 'd';
  entries[58] = 'a';
  entries[60] = 't';
  entries[62] = 'a';
  const uint32_t entries_crc = uint32_t(crc32(0, entries.data(), uInt(entries.size())));
  auto header = [&](uint64_t my, uint64_t alt, uint64_t entries_lba) {
    Bytes h(92, 0);
    std::memcpy(h.data(), "EFI PART", 8);
    PutLE32(h, 8, 0x00010000);
    PutLE32(h, 12, 92);
    PutLE64(h, 24, my);
    PutLE64(h, 32, alt);
    PutLE64(h, 40, 6);
    PutLE64(h, 48, disk_sectors - 6);
    PutLE64(h, 72, entries_lba);
    PutLE32(h, 80, 128);
    PutLE32(h, 84, 128);
    PutLE32(h, 88, entries_crc);
    PutLE32(h, 16, uint32_t(crc32(0, h.data(), 92)));
    std::memcpy(disk.data() + my * ss, h.data(), 92);
    std::memcpy(disk.data() + entries_lba * ss, entries.data(), entries.size());
  };
  header(1, disk_sectors - 1, 2);
  header(disk_sectors - 1, 1, disk_sectors - 5);
  return disk;
}

TEST(PartitionTableGpt, Sectors4096) {
  Bytes disk = WriteGpt4096(64, 8, 15);
  EXPECT_EQ(ProbeGpt(disk), 4096u);
  Result<Table> t = ParseGpt(disk);
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->sector_size, 4096u);
  ASSERT_EQ(t->partitions.size(), 1u);
  EXPECT_EQ(t->partitions[0].offset, 8u * 4096);
  EXPECT_EQ(t->partitions[0].size, 8u * 4096);
  EXPECT_EQ(t->partitions[0].name, "data");
  EXPECT_EQ(t->partitions[0].guid, "00000042-0000-0000-0000-000000000000");
  EXPECT_TRUE(t->notes.empty()) << AllNotes(t->notes);
  FakeWalker w = OpenWith("gpt", disk);
  EXPECT_EQ(FindPayload(w, "part1")->offset, 8u * 4096);
  // The primary header damaged: the backup (at the last 4096-byte LBA) is found.
  disk[4096 + 40] ^= 1;
  t = ParseGpt(disk);
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->sector_size, 4096u);
  EXPECT_EQ(t->header_lba, 63u);
  // A partition ending before it starts, one past the disk.
  Bytes lying = WriteGpt4096(64, 20, 10);
  t = ParseGpt(lying);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->partitions.empty());
  EXPECT_TRUE(HasNote(t->notes, Note::Kind::kCorrupt, "ends (LBA 10) before it starts"));
  t = ParseGpt(WriteGpt4096(64, 60, 1000));
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(HasNote(t->notes, Note::Kind::kCorrupt, "runs past the end")) << AllNotes(t->notes);
}

// ---- precision: what is not an MBR

TEST(PartitionTableMbr, RandomSectorsWithTheSignatureAreNotTables) {
  int accepted = 0;
  for (uint32_t seed = 1; seed <= 5000; ++seed) {
    Bytes sector(4096);
    uint32_t x = seed;
    for (uint8_t& b : sector) b = uint8_t((x = x * 1103515245u + 12345) >> 16);
    sector[510] = 0x55;
    sector[511] = 0xaa;
    accepted += ProbeMbr(sector, true);
  }
  EXPECT_EQ(accepted, 0);
}

TEST(PartitionTableMbr, ImplausibleEntriesAreRejected) {
  Bytes disk(64 * 512, 0);
  SetMbrEntry(disk, 0, 0, 0x80, 0x83, 2, 10);
  EXPECT_TRUE(ProbeMbr(disk, false));
  Bytes bad = disk;
  bad[446] = 0x7f;  // status neither 0x00 nor 0x80
  EXPECT_FALSE(ProbeMbr(bad, false));
  bad = disk;
  SetMbrEntry(bad, 0, 1, 0, 0x83, 8, 10);  // overlaps the first
  EXPECT_FALSE(ProbeMbr(bad, false));
  bad = disk;
  SetMbrEntry(bad, 0, 1, 0, 0x83, 5000, 10);  // starts past the image
  EXPECT_FALSE(ProbeMbr(bad, false));
  bad = disk;
  SetMbrEntry(bad, 0, 1, 0, 0x00, 20, 10);  // no type, but a place
  EXPECT_FALSE(ProbeMbr(bad, false));
  Bytes empty(64 * 512, 0);
  empty[510] = 0x55;
  empty[511] = 0xaa;
  EXPECT_FALSE(ProbeMbr(empty, true)) << "a boot sector without partitions";
  // Partitions past the end of a short image are noted, the rest handed on.
  SetMbrEntry(disk, 0, 1, 0, 0x0c, 40, 100);
  Result<Table> t = ParseMbr(disk);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(HasNote(t->notes, Note::Kind::kCorrupt, "partition 2 runs past the end"));
  FakeWalker w = OpenWith("mbr", disk);
  EXPECT_EQ(FindPayload(w, "part2")->bytes.size(), 24u * 512);
}

TEST(PartitionTableMbr, FatBootSectorIsNotAnMbr) {
  if (!HaveTools("mkfs.vfat")) GTEST_SKIP() << "dosfstools not installed";
  TempDir dir;
  ASSERT_TRUE(RunCommand("mkfs.vfat -C -F 12 '" + (dir / "f.img") + "' 1024 >/dev/null"));
  Bytes image = ReadBytes(dir / "f.img");
  EXPECT_FALSE(ProbeMbr(image, true));
  bool probed = true;
  OpenWith("mbr", image, &probed);
  EXPECT_FALSE(probed);
}

}  // namespace
}  // namespace clearbox::unpack::partition_table
