#include "elf_sections.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

namespace clearbox::diff {
namespace {

Bytes ReadHostBinary(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

TEST(FirstDifferenceTest, FindsTheFirstByteOrTheShorterEnd) {
  Bytes a = {1, 2, 3, 4}, b = {1, 2, 9, 4}, c = {1, 2};
  EXPECT_EQ(FirstDifference(a, b), 2u);
  EXPECT_EQ(FirstDifference(a, c), 2u);
  EXPECT_EQ(FirstDifference(a, a), 4u);
}

TEST(ElfSectionAtTest, NamesTheSectionOfAHostBinary) {
  Bytes elf = ReadHostBinary("/bin/true");
  ASSERT_GT(elf.size(), 1000u);
  EXPECT_EQ(ElfSectionAt(elf, 0), "ELF header");
  // The build id note: find its bytes by masking and comparing.
  Bytes masked = elf;
  ASSERT_EQ(MaskBuildId(masked), 1);
  uint64_t at = FirstDifference(elf, masked);
  ASSERT_LT(at, elf.size());
  EXPECT_EQ(ElfSectionAt(elf, at), ".note.gnu.build-id");
  EXPECT_EQ(ElfSectionAt(AsBytes("not an elf"), 0), "");
}

TEST(MaskBuildIdTest, TwoBuildsDifferingOnlyInTheBuildIdCompareEqual) {
  Bytes a = ReadHostBinary("/bin/true");
  Bytes b = a;
  Bytes masked = a;
  MaskBuildId(masked);
  uint64_t at = FirstDifference(a, masked);
  b[at] ^= 0xff;  // another build id
  ASSERT_NE(a, b);
  MaskBuildId(a);
  MaskBuildId(b);
  EXPECT_EQ(a, b);
}

TEST(ElfSectionAtTest, HostileTablesGiveNoSectionsNotACrash) {
  Bytes elf = ReadHostBinary("/bin/true");
  // e_shoff (64-bit: offset 40) pointing past the end.
  for (int i = 0; i < 8; ++i) elf[40 + i] = 0xff;
  EXPECT_EQ(ElfSectionAt(elf, 0x2000), "(outside any section)");
  EXPECT_GE(MaskBuildId(elf), 0);  // notes through the program headers
  Bytes tiny(64, 0);
  tiny[0] = 0x7f, tiny[1] = 'E', tiny[2] = 'L', tiny[3] = 'F', tiny[4] = 2, tiny[5] = 1;
  EXPECT_EQ(ElfSectionAt(tiny, 10), "(outside any section)");
  EXPECT_EQ(MaskBuildId(tiny), 0);
}

}  // namespace
}  // namespace clearbox::diff
