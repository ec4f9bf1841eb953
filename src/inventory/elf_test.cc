// ParseElf on images built in code: well-formed ones for each checksec rule, and hostile
// ones (truncated, tables past the end, huge counts, overlaps, bad indices, unterminated
// strings) that must give named problems, never a crash or a hang.
#include "clearbox/inventory/elf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace clearbox::inventory {
namespace {

using ::testing::HasSubstr;

constexpr uint32_t kPtLoad = 1, kPtDynamic = 2, kPtInterp = 3, kPtGnuStack = 0x6474e551,
                   kPtGnuRelro = 0x6474e552;
constexpr uint32_t kShtStrtab = 3, kShtSymtab = 2, kShtDynamic = 6, kShtDynsym = 11;
constexpr uint64_t kWholeFile = ~0ull;

// Builds an ELF image: header, program headers, data blobs (at 0x400 on, each file offset
// equal to its address), the section name table and the section headers at the end.
class ElfImage {
 public:
  ElfImage(bool is64, bool big_endian, uint16_t type) : is64_(is64), be_(big_endian), type_(type) {}

  uint64_t Add(const Bytes& blob) {
    uint64_t at = kDataStart + data_.size();
    data_.insert(data_.end(), blob.begin(), blob.end());
    while (data_.size() % 8) data_.push_back(0);
    return at;
  }
  uint64_t Add(std::string_view s) { return Add(Bytes(s.begin(), s.end())); }
  void Segment(uint32_t type, uint32_t flags, uint64_t offset, uint64_t filesz) {
    segments_.push_back({type, flags, offset, filesz});
  }
  void Section(std::string name, uint32_t type, uint64_t offset, uint64_t size, uint32_t link,
               uint64_t entsize) {
    sections_.push_back({std::move(name), type, offset, size, link, entsize});
  }
  Bytes Dyn(const std::vector<std::pair<uint64_t, uint64_t>>& entries) const {
    Bytes b;
    for (auto [tag, value] : entries) {
      PutWord(b, tag);
      PutWord(b, value);
    }
    return b;
  }
  Bytes Sym(uint32_t name, uint8_t info, uint8_t other, uint16_t shndx) const {
    Bytes b;
    Put(b, name, 4);
    if (is64_) {
      b.push_back(info);
      b.push_back(other);
      Put(b, shndx, 2);
      Put(b, 0, 8);
      Put(b, 0, 8);
    } else {
      Put(b, 0, 4);
      Put(b, 0, 4);
      b.push_back(info);
      b.push_back(other);
      Put(b, shndx, 2);
    }
    return b;
  }
  uint64_t SymSize() const { return is64_ ? 24 : 16; }

  Bytes Build() {
    Bytes shstr(1, 0);
    std::vector<uint32_t> names;
    for (const auto& s : sections_) {
      names.push_back(static_cast<uint32_t>(shstr.size()));
      shstr.insert(shstr.end(), s.name.begin(), s.name.end());
      shstr.push_back(0);
    }
    uint32_t shstr_name = static_cast<uint32_t>(shstr.size());
    const char kShstrtab[] = ".shstrtab";
    shstr.insert(shstr.end(), kShstrtab, kShstrtab + sizeof kShstrtab);
    uint64_t shstr_at = Add(shstr);
    uint64_t shoff = kDataStart + data_.size();
    uint64_t shnum = sections_.size() + 2;  // null + ours + .shstrtab
    uint64_t shentsize = is64_ ? 64 : 40, phentsize = is64_ ? 56 : 32;
    uint64_t file_size = shoff + shnum * shentsize;

    Bytes out;
    out.insert(out.end(), {0x7f, 'E', 'L', 'F', uint8_t(is64_ ? 2 : 1), uint8_t(be_ ? 2 : 1), 1});
    out.resize(16, 0);
    Put(out, type_, 2);
    Put(out, 62, 2);
    Put(out, 1, 4);
    PutWord(out, 0);                // entry
    PutWord(out, is64_ ? 64 : 52);  // phoff
    PutWord(out, shoff);            // shoff
    Put(out, 0, 4);                 // flags
    Put(out, is64_ ? 64 : 52, 2);   // ehsize
    Put(out, phentsize, 2);
    Put(out, segments_.size(), 2);
    Put(out, shentsize, 2);
    Put(out, shnum, 2);
    Put(out, shnum - 1, 2);  // .shstrtab is last
    for (const auto& p : segments_) {
      uint64_t filesz = p.filesz == kWholeFile ? file_size - p.offset : p.filesz;
      Put(out, p.type, 4);
      if (is64_) {
        Put(out, p.flags, 4);
        PutWord(out, p.offset);
        PutWord(out, p.offset);
        PutWord(out, p.offset);
        PutWord(out, filesz);
        PutWord(out, filesz);
        PutWord(out, 8);
      } else {
        PutWord(out, p.offset);
        PutWord(out, p.offset);
        PutWord(out, p.offset);
        PutWord(out, filesz);
        PutWord(out, filesz);
        Put(out, p.flags, 4);
        PutWord(out, 4);
      }
    }
    EXPECT_LE(out.size(), kDataStart) << "too many program headers for the layout";
    out.resize(kDataStart, 0);
    out.insert(out.end(), data_.begin(), data_.end());
    out.resize(shoff + shentsize, 0);  // section 0
    auto put_section = [&](uint32_t name, uint32_t type, uint64_t offset, uint64_t size,
                           uint32_t link, uint64_t entsize) {
      Put(out, name, 4);
      Put(out, type, 4);
      PutWord(out, 0);       // flags
      PutWord(out, offset);  // addr
      PutWord(out, offset);
      PutWord(out, size);
      Put(out, link, 4);
      Put(out, 0, 4);
      PutWord(out, 1);  // addralign
      PutWord(out, entsize);
    };
    for (size_t i = 0; i < sections_.size(); ++i) {
      const auto& s = sections_[i];
      put_section(names[i], s.type, s.offset, s.size, s.link, s.entsize);
    }
    put_section(shstr_name, kShtStrtab, shstr_at, shstr.size(), 0, 0);
    EXPECT_EQ(out.size(), file_size);
    return out;
  }

 private:
  static constexpr uint64_t kDataStart = 0x400;
  struct Seg {
    uint32_t type, flags;
    uint64_t offset, filesz;
  };
  struct Sec {
    std::string name;
    uint32_t type;
    uint64_t offset, size;
    uint32_t link;
    uint64_t entsize;
  };
  void Put(Bytes& b, uint64_t v, int width) const {
    for (int i = 0; i < width; ++i) {
      int shift = be_ ? 8 * (width - 1 - i) : 8 * i;
      b.push_back(uint8_t(v >> shift));
    }
  }
  void PutWord(Bytes& b, uint64_t v) const { Put(b, v, is64_ ? 8 : 4); }

  bool is64_, be_;
  uint16_t type_;
  Bytes data_;
  std::vector<Seg> segments_;
  std::vector<Sec> sections_;
};

// A dynamically linked program: interpreter, dynamic section, .dynsym with imports.
Bytes DynamicProgram(bool is64, bool be, uint16_t type,
                     std::vector<std::pair<uint64_t, uint64_t>> extra_dyn, uint32_t stack_flags = 6,
                     bool relro = true, bool symtab = true) {
  ElfImage e(is64, be, type);
  std::string strings = std::string("\0libc.so.6\0", 11);
  auto add_string = [&](std::string_view s) {
    uint32_t at = static_cast<uint32_t>(strings.size());
    strings += s;
    strings += '\0';
    return at;
  };
  uint32_t memcpy_chk = add_string("__memcpy_chk@GLIBC");  // a name with a version: @ cut
  uint32_t read = add_string("read");
  uint32_t system = add_string("system");
  uint32_t canary = add_string("__stack_chk_fail");
  uint32_t rpath = add_string("/opt/lib");
  uint64_t interp = e.Add(std::string_view("/lib/ld.so.1\0", 13));
  uint64_t dynstr = e.Add(strings);
  Bytes syms = e.Sym(0, 0, 0, 0);
  for (uint32_t name : {memcpy_chk, read, system, canary}) {
    Bytes s = e.Sym(name, 0x12, 0, 0);  // GLOBAL FUNC, undefined
    syms.insert(syms.end(), s.begin(), s.end());
  }
  uint64_t dynsym = e.Add(syms);
  std::vector<std::pair<uint64_t, uint64_t>> dyn = {{1, 1}, {5, dynstr}, {6, dynsym}, {15, rpath}};
  dyn.insert(dyn.end(), extra_dyn.begin(), extra_dyn.end());
  dyn.push_back({0, 0});
  dyn.push_back({21, 0});  // after DT_NULL: readelf (and checksec) never see it
  uint64_t dynamic = e.Add(e.Dyn(dyn));
  e.Segment(kPtInterp, 4, interp, 13);
  e.Segment(kPtLoad, 5, 0, kWholeFile);
  e.Segment(kPtDynamic, 6, dynamic, dyn.size() * (is64 ? 16 : 8));
  e.Segment(kPtGnuStack, stack_flags, 0, 0);
  if (relro) e.Segment(kPtGnuRelro, 4, dynamic, 16);
  e.Section(".dynstr", kShtStrtab, dynstr, strings.size(), 0, 0);
  e.Section(".dynsym", kShtDynsym, dynsym, syms.size(), 1, e.SymSize());
  e.Section(".dynamic", kShtDynamic, dynamic, dyn.size() * (is64 ? 16 : 8), 1, is64 ? 16 : 8);
  if (symtab) e.Section(".symtab", kShtSymtab, dynsym, syms.size(), 1, e.SymSize());
  return e.Build();
}

TEST(LooksLikeElf, ChecksTheMagic) {
  EXPECT_TRUE(
      LooksLikeElf(AsBytes("\x7f"
                           "ELF")));
  EXPECT_FALSE(
      LooksLikeElf(AsBytes("\x7f"
                           "EL")));
  EXPECT_FALSE(LooksLikeElf(AsBytes("MZ\x90\x00")));
}

TEST(ParseElf, ReadsAWellFormedProgramInEveryClassAndByteOrder) {
  for (bool is64 : {false, true}) {
    for (bool be : {false, true}) {
      Bytes b = DynamicProgram(is64, be, 3, {{24, 0}, {21, 0}});
      Result<ElfInfo> elf = ParseElf(b);
      ASSERT_TRUE(elf.ok()) << elf.error().ToString();
      EXPECT_EQ(elf->elf_class, is64 ? 64 : 32);
      EXPECT_EQ(elf->big_endian, be);
      EXPECT_EQ(elf->type_name, "DYN");
      EXPECT_EQ(elf->machine_name, "x86-64");
      EXPECT_EQ(elf->interpreter, "/lib/ld.so.1");
      EXPECT_EQ(elf->needed, std::vector<std::string>{"libc.so.6"});
      EXPECT_EQ(elf->rpath, "/opt/lib");
      EXPECT_FALSE(elf->static_linked);
      EXPECT_FALSE(elf->stripped);
      EXPECT_EQ(elf->imported_functions, (std::vector<std::string>{"__memcpy_chk@GLIBC", "read",
                                                                   "system", "__stack_chk_fail"}));
      EXPECT_TRUE(elf->problems.empty()) << elf->problems.front();
      const ElfHardening& h = elf->hardening;
      EXPECT_EQ(h.relro, Relro::kFull);
      EXPECT_EQ(h.pie, PieKind::kPie);
      EXPECT_TRUE(h.nx);
      EXPECT_TRUE(h.canary);
      EXPECT_TRUE(h.rpath);
      EXPECT_FALSE(h.runpath);
      EXPECT_TRUE(h.symbols);
      EXPECT_TRUE(h.fortify_source);
      EXPECT_EQ(h.fortified, 1);    // memcpy_chk
      EXPECT_EQ(h.fortifiable, 2);  // + read
      EXPECT_EQ(ChecksecJson(h).dump(),
                R"({"canary":"yes","fortified":"1","fortify-able":"2","fortify_source":"yes",)"
                R"("nx":"yes","pie":"yes","relro":"full","rpath":"yes","runpath":"no",)"
                R"("symbols":"yes"})");
    }
  }
}

TEST(ParseElf, FollowsChecksecRules) {
  // DT_DEBUG after DT_NULL does not count: a DSO. No BIND_NOW: partial RELRO.
  Result<ElfInfo> dso = ParseElf(DynamicProgram(true, false, 3, {}));
  ASSERT_TRUE(dso.ok());
  EXPECT_EQ(dso->hardening.pie, PieKind::kDso);
  EXPECT_EQ(dso->hardening.relro, Relro::kPartial);
  // DF_BIND_NOW in DT_FLAGS is full RELRO too; an executable stack is "NX disabled".
  Result<ElfInfo> exec = ParseElf(DynamicProgram(true, false, 2, {{30, 8}}, 7));
  ASSERT_TRUE(exec.ok());
  EXPECT_EQ(exec->hardening.relro, Relro::kFull);
  EXPECT_EQ(exec->hardening.pie, PieKind::kNone);
  EXPECT_FALSE(exec->hardening.nx);
  // No GNU_RELRO: no RELRO whatever BIND_NOW says; no .symtab section: no symbols.
  Result<ElfInfo> bare = ParseElf(DynamicProgram(false, true, 1, {{24, 0}}, 6, false, false));
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->hardening.relro, Relro::kNone);
  EXPECT_EQ(bare->hardening.pie, PieKind::kRel);
  EXPECT_FALSE(bare->hardening.symbols);
  EXPECT_TRUE(bare->stripped);
  // CORE and unknown types are "not_elf" to checksec.
  Result<ElfInfo> core = ParseElf(DynamicProgram(true, false, 4, {}));
  ASSERT_TRUE(core.ok());
  EXPECT_EQ(PieWord(core->hardening.pie), "not_elf");
}

TEST(ParseElf, RejectsWhatIsNotElf) {
  Result<ElfInfo> r = ParseElf(AsBytes("#!/bin/sh\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput);
  EXPECT_THAT(r.error().message(), HasSubstr("magic"));
}

TEST(ParseElf, RejectsATruncatedHeader) {
  Bytes b = DynamicProgram(true, false, 3, {});
  for (size_t n : {4, 15, 16, 40, 63}) {
    Result<ElfInfo> r = ParseElf(ByteView(b).first(n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput);
    EXPECT_THAT(r.error().message(), HasSubstr("truncated")) << n;
  }
}

TEST(ParseElf, RejectsAnUnknownClassOrByteOrder) {
  Bytes b = DynamicProgram(true, false, 3, {});
  b[4] = 3;
  Result<ElfInfo> r = ParseElf(b);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("ELF class (e_ident[4] at 0x4) is 3"));
  b[4] = 2;
  b[5] = 0;
  r = ParseElf(b);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("data encoding"));
}

TEST(ParseElf, EveryTruncationGivesProblemsNotACrash) {
  Bytes b = DynamicProgram(true, true, 3, {{24, 0}});
  for (size_t n = 64; n < b.size(); ++n) {
    Result<ElfInfo> r = ParseElf(ByteView(b).first(n));
    ASSERT_TRUE(r.ok()) << n;
    EXPECT_FALSE(r->problems.empty()) << "truncated at " << n;
  }
}

TEST(ParseElf, NamesASectionTablePastTheEnd) {
  Bytes b = DynamicProgram(true, false, 3, {});
  // e_shoff = 0x1000 with 60 entries, in a file shorter than that.
  StoreLE64(&b[40], 0x1000);
  b[60] = 60;
  b[61] = 0;
  b.resize(4096);
  Result<ElfInfo> r = ParseElf(b);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->problems,
              testing::Contains(HasSubstr(
                  "section header table at 0x1000 (60 entries of 64 bytes) ends past the file "
                  "(size 4096)")));
  // Without sections, the dynamic segment still gives the loader's facts.
  EXPECT_EQ(r->needed, std::vector<std::string>{"libc.so.6"});
  EXPECT_FALSE(r->hardening.symbols);
  EXPECT_EQ(r->hardening.fortifiable, 0);  // readelf --dyn-syms shows nothing without sections
}

TEST(ParseElf, HugeCountsNeitherLoopNorAllocate) {
  Bytes b = DynamicProgram(true, false, 3, {});
  uint64_t shoff = LoadLE64(&b[40]);
  // e_shnum = 0: the count is section 0's sh_size; claim 2^32 - 1. e_phnum = 0xffff: the
  // count is section 0's sh_info; claim 2^32 - 1 too.
  b[60] = b[61] = 0;
  StoreLE64(&b[shoff + 32], 0xffffffffull);
  b[56] = b[57] = 0xff;
  StoreLE32(&b[shoff + 44], 0xffffffffu);
  auto start = std::chrono::steady_clock::now();
  Result<ElfInfo> r = ParseElf(b);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.ok());
  EXPECT_LT(took, std::chrono::milliseconds(50));
  EXPECT_THAT(r->problems, testing::Contains(HasSubstr("(4294967295 entries of 64 bytes)")));
  // Section headers too many: no sections, and the program header count stays e_phnum.
  EXPECT_THAT(r->problems, testing::Contains(HasSubstr("program header table at 0x40 (65535")));
}

TEST(ParseElf, ToleratesOverlappingSegments) {
  ElfImage e(true, false, 3);
  uint64_t at = e.Add(std::string(64, 'x'));
  for (int i = 0; i < 6; ++i) e.Segment(kPtLoad, 7, 0, kWholeFile);
  e.Segment(kPtDynamic, 6, 0, 64);    // the dynamic "section" is the ELF header itself
  e.Segment(kPtInterp, 4, at, 1000);  // runs past the end
  Result<ElfInfo> r = ParseElf(e.Build());
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->problems, testing::Contains(HasSubstr("PT_INTERP at 0x400")));
}

TEST(ParseElf, NamesAStringTableIndexOutOfRange) {
  Bytes b = DynamicProgram(true, false, 3, {});
  b[62] = 200;  // e_shstrndx
  b[63] = 0;
  Result<ElfInfo> r = ParseElf(b);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->problems, testing::Contains(HasSubstr("e_shstrndx (200) is not below the")));
  // readelf prints "<no-strings>" for the names: no ".symtab", hence "symbols":"no".
  EXPECT_FALSE(r->hardening.symbols);
  EXPECT_FALSE(r->stripped);
}

TEST(ParseElf, NamesADynamicSectionOutsideTheFile) {
  ElfImage e(false, true, 2);
  e.Segment(kPtLoad, 5, 0, kWholeFile);
  e.Segment(kPtDynamic, 6, 0x7ffffff0, 0x100);
  Result<ElfInfo> r = ParseElf(e.Build());
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->problems, testing::Contains(HasSubstr("dynamic section at 0x7ffffff0")));
  EXPECT_FALSE(r->static_linked);
}

TEST(ParseElf, StopsUnterminatedStringsAtTheEnd) {
  ElfImage e(true, false, 3);
  Bytes dyn = e.Dyn({{5, 0}, {1, 0}, {0, 0}});
  uint64_t dyn_at = e.Add(dyn);
  e.Segment(kPtLoad, 5, 0, kWholeFile);
  e.Segment(kPtDynamic, 6, dyn_at, dyn.size());
  Bytes b = e.Build();
  // Point DT_STRTAB at the last 5 bytes of the file and fill them with 'A', no NUL.
  StoreLE64(&b[dyn_at + 8], b.size() - 5);
  for (size_t i = b.size() - 5; i < b.size(); ++i) b[i] = 'A';
  Result<ElfInfo> r = ParseElf(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->needed, std::vector<std::string>{"AAAAA"});
  // A string offset past the table is named.
  StoreLE64(&b[dyn_at + 24], 99);
  r = ParseElf(b);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->needed.empty());
  EXPECT_THAT(r->problems, testing::Contains(HasSubstr("names string 0x63, outside")));
}

TEST(ParseElf, KeepsTheProblemListBounded) {
  ElfImage e(true, false, 3);
  std::vector<std::pair<uint64_t, uint64_t>> entries = {{5, 0}};
  for (int i = 0; i < 1000; ++i) entries.push_back({1, 0xffffff});
  entries.push_back({0, 0});
  Bytes dyn = e.Dyn(entries);
  uint64_t at = e.Add(dyn);
  e.Segment(kPtLoad, 5, 0, kWholeFile);
  e.Segment(kPtDynamic, 6, at, dyn.size());
  Result<ElfInfo> r = ParseElf(e.Build());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->problems.size(), kMaxElfProblems);
}

}  // namespace
}  // namespace clearbox::inventory
