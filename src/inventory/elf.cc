// The ELF reader and checksec 2.6.0's hardening rules.
//
// checksec is a shell script that greps the text readelf (binutils 2.40 on Debian 12)
// prints. Its answers therefore follow readelf's reading of the file, quirks included, and
// this file reads the file the way readelf does wherever that changes an answer:
//  - section and program header tables are read whole or not at all (readelf refuses a
//    table that does not fit), at a stride of the standard entry size whatever e_*entsize
//    says (readelf reads an array of Elf*_External_*), with e_shnum/e_shstrndx/e_phnum
//    escapes through section 0;
//  - the dynamic section is the last PT_DYNAMIC, replaced by the section named .dynamic
//    when there is one; it ends at the first DT_NULL; its strings come from DT_STRTAB mapped
//    through PT_LOAD (readelf's offset_from_vma, including its fall back to the address) and
//    run to the end of the file;
//  - a symbol table is every SHT_SYMTAB/SHT_DYNSYM section; a section without section
//    headers (sstrip) has no symbols for readelf -s, hence none for checksec.
// Each checksec rule is mirrored next to the code that decides it (see ComputeHardening).
// Deliberate departures (a section *name* in readelf -l's section-to-segment map that
// contains GNU_RELRO or GNU_STACK, version names that contain __stack_chk_fail) are left out:
// they change checksec's answer only for files built to fool it.
#include "clearbox/inventory/elf.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_set>

namespace clearbox::inventory {
namespace {

// ELF constants (elf.h is not used so that the parser builds anywhere and says what it reads).
constexpr uint16_t kEtRel = 1, kEtExec = 2, kEtDyn = 3, kEtCore = 4;
constexpr uint32_t kPtLoad = 1, kPtDynamic = 2, kPtInterp = 3;
constexpr uint32_t kPtGnuStack = 0x6474e551, kPtGnuRelro = 0x6474e552;
constexpr uint32_t kPfX = 1, kPfW = 2, kPfR = 4;
constexpr uint32_t kShtSymtab = 2, kShtNobits = 8, kShtDynsym = 11;
constexpr uint16_t kPnXnum = 0xffff, kShnXindex = 0xffff;
constexpr uint64_t kDtNull = 0, kDtNeeded = 1, kDtHash = 4, kDtStrtab = 5, kDtSymtab = 6,
                   kDtSoname = 14, kDtRpath = 15, kDtDebug = 21, kDtBindNow = 24, kDtRunpath = 29,
                   kDtFlags = 30, kDtGnuHash = 0x6ffffef5, kDtConfig = 0x6ffffefa,
                   kDtDepaudit = 0x6ffffefb, kDtAudit = 0x6ffffefc, kDtAuxiliary = 0x7ffffffd,
                   kDtUsed = 0x7ffffffe, kDtFilter = 0x7fffffff;
constexpr uint64_t kDfBindNow = 0x8;
constexpr uint8_t kSttFunc = 2, kSttSection = 3, kSttGnuIfunc = 10;
constexpr uint16_t kEmSparcv9 = 43, kEmArm = 40, kEmParisc = 15, kEmMips = 8, kEmX8664 = 62,
                   kEmAarch64 = 183, kEmRiscv = 243, kEmPpc64 = 21;
constexpr size_t kLongestFortifyName = 24;  // longer than any name in the libc list
constexpr uint8_t kOsabiNone = 0, kOsabiGnu = 3, kOsabiSolaris = 6, kOsabiFreebsd = 9;

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// A NUL-terminated string at `offset` in `table`; runs to the end of the table when the NUL
// is missing (readelf's get_data appends one).
std::string_view CString(ByteView table, uint64_t offset) {
  if (offset >= table.size()) return {};
  const char* start = reinterpret_cast<const char*>(table.data()) + offset;
  size_t max = table.size() - offset;
  const void* nul = std::memchr(start, 0, max);
  return {start, nul ? static_cast<size_t>(static_cast<const char*>(nul) - start) : max};
}

std::string Bounded(std::string_view s) { return std::string(s.substr(0, kMaxElfStringLength)); }

struct Section {
  uint32_t name = 0, type = 0, link = 0, info = 0;
  uint64_t offset = 0, size = 0, entsize = 0, addr = 0;
};
struct Segment {
  uint32_t type = 0, flags = 0;
  uint64_t offset = 0, vaddr = 0, filesz = 0, align = 0;
};
struct DynEntry {
  uint64_t tag = 0, value = 0;
};

// The fortify lists as checksec builds them from the host libc (see FortifiedLibcFunctions).
struct FortifySets {
  std::unordered_set<std::string_view> checked;    // "memcpy_chk"
  std::unordered_set<std::string_view> unchecked;  // "memcpy"
  std::vector<std::string> storage;
};
const FortifySets& Fortify() {
  static const FortifySets* sets = [] {
    auto* s = new FortifySets;
    const auto& names = FortifiedLibcFunctions();
    s->storage.reserve(names.size());
    for (std::string_view n : names) {
      s->checked.insert(n);
      // checksec: FS_func_libc="${FS_filechk_func_libc//_chk/}" removes every "_chk".
      std::string plain(n);
      for (size_t at; (at = plain.find("_chk")) != std::string::npos;) plain.erase(at, 4);
      s->storage.push_back(std::move(plain));
    }
    for (const std::string& p : s->storage) s->unchecked.insert(p);
    return s;
  }();
  return *sets;
}

class Parser {
 public:
  explicit Parser(ByteView data) : data_(data) {}

  Result<ElfInfo> Run() {
    if (!LooksLikeElf(data_)) return Error::InvalidInput("not ELF: no \\x7fELF magic at offset 0");
    if (data_.size() < 16) return Error::InvalidInput("ELF identification truncated at 16 bytes");
    uint8_t cls = data_[4], enc = data_[5];
    if (cls != 1 && cls != 2)
      return Error::InvalidInput("ELF class (e_ident[4] at 0x4) is " + std::to_string(cls) +
                                 ", neither 1 (32-bit) nor 2 (64-bit)");
    if (enc != 1 && enc != 2)
      return Error::InvalidInput("ELF data encoding (e_ident[5] at 0x5) is " + std::to_string(enc) +
                                 ", neither 1 (LSB) nor 2 (MSB)");
    is64_ = cls == 2;
    be_ = enc == 2;
    size_t ehsize = is64_ ? 64 : 52;
    if (data_.size() < ehsize)
      return Error::InvalidInput("ELF header truncated: " + std::to_string(ehsize) +
                                 " bytes needed, file has " + std::to_string(data_.size()));
    info_.elf_class = is64_ ? 64 : 32;
    info_.big_endian = be_;
    info_.osabi = data_[7];
    info_.osabi_name = OsabiName(info_.osabi);
    info_.type = U16(16);
    info_.type_name = TypeName(info_.type);
    info_.machine = U16(18);
    info_.machine_name = MachineName(info_.machine);
    phoff_ = Word(is64_ ? 32 : 28);
    shoff_ = Word(is64_ ? 40 : 32);
    size_t at = is64_ ? 54 : 42;
    phentsize_ = U16(at);
    phnum_ = U16(at + 2);
    shentsize_ = U16(at + 4);
    shnum_ = U16(at + 6);
    shstrndx_ = U16(at + 8);

    ReadSections();
    ReadSegments();
    ReadSectionNames();
    ReadInterpreter();
    ReadDynamic();
    ReadSymbolTables();
    if (!have_dynsym_section_) ReadDynamicSymbolsWithoutSections();
    ComputeHardening();
    return std::move(info_);
  }

 private:
  uint16_t U16(uint64_t off) const { return be_ ? LoadBE16(&data_[off]) : LoadLE16(&data_[off]); }
  uint32_t U32(uint64_t off) const { return be_ ? LoadBE32(&data_[off]) : LoadLE32(&data_[off]); }
  uint64_t U64(uint64_t off) const { return be_ ? LoadBE64(&data_[off]) : LoadLE64(&data_[off]); }
  uint64_t Word(uint64_t off) const { return is64_ ? U64(off) : U32(off); }

  void Problem(std::string message) {
    if (info_.problems.size() < kMaxElfProblems) info_.problems.push_back(std::move(message));
  }

  static std::string OsabiName(uint8_t v) {
    switch (v) {
      case 0:
        return "SYSV";
      case 1:
        return "HP-UX";
      case 2:
        return "NetBSD";
      case 3:
        return "Linux";
      case 6:
        return "Solaris";
      case 7:
        return "AIX";
      case 8:
        return "IRIX";
      case 9:
        return "FreeBSD";
      case 10:
        return "Tru64";
      case 12:
        return "OpenBSD";
      case 97:
        return "ARM";
      case 255:
        return "Standalone";
      default:
        return "unknown (" + std::to_string(v) + ")";
    }
  }
  static std::string TypeName(uint16_t v) {
    switch (v) {
      case 0:
        return "NONE";
      case kEtRel:
        return "REL";
      case kEtExec:
        return "EXEC";
      case kEtDyn:
        return "DYN";
      case kEtCore:
        return "CORE";
      default:
        return "unknown (" + Hex(v) + ")";
    }
  }
  static std::string MachineName(uint16_t v) {
    switch (v) {
      case 0:
        return "None";
      case 2:
        return "SPARC";
      case 3:
        return "i386";
      case 4:
        return "m68k";
      case 8:
        return "MIPS";
      case 10:
        return "MIPS-RS3-LE";
      case 15:
        return "PA-RISC";
      case 20:
        return "PowerPC";
      case 21:
        return "PowerPC64";
      case 22:
        return "S/390";
      case 40:
        return "ARM";
      case 42:
        return "SuperH";
      case 43:
        return "SPARC v9";
      case 50:
        return "IA-64";
      case 62:
        return "x86-64";
      case 92:
        return "OpenRISC";
      case 93:
        return "ARC";
      case 94:
        return "Xtensa";
      case 106:
        return "Blackfin";
      case 164:
        return "Hexagon";
      case 183:
        return "AArch64";
      case 195:
        return "ARCv2";
      case 243:
        return "RISC-V";
      case 258:
        return "LoongArch";
      default:
        return "unknown (" + std::to_string(v) + ")";
    }
  }

  // Section headers: whole table or nothing, as readelf reads it.
  void ReadSections() {
    if (shoff_ == 0) {
      if (shnum_ != 0)
        Problem("e_shnum is " + std::to_string(shnum_) + " but e_shoff is 0: no section headers");
      return;
    }
    const uint64_t std_size = is64_ ? 64 : 40;
    if (shentsize_ < std_size) {
      Problem("e_shentsize (" + std::to_string(shentsize_) + ") is smaller than a " +
              std::to_string(std_size) + "-byte section header: section headers ignored");
      return;
    }
    uint64_t count = shnum_;
    if (count == 0) {
      // More than 0xff00 sections: the real count is section 0's sh_size.
      if (!FitsIn(data_, shoff_, std_size)) {
        Problem("section header 0 at " + Hex(shoff_) + " ends past the file (size " +
                std::to_string(data_.size()) + ")");
        return;
      }
      count = is64_ ? U64(shoff_ + 32) : U32(shoff_ + 20);
      if (count == 0) return;
    }
    if (count > kMaxElfSections || !FitsIn(data_, shoff_, count * shentsize_)) {
      Problem("section header table at " + Hex(shoff_) + " (" + std::to_string(count) +
              " entries of " + std::to_string(shentsize_) + " bytes) ends past the file (size " +
              std::to_string(data_.size()) + ")");
      return;
    }
    sections_.resize(count);
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t p = shoff_ + i * std_size;
      Section& s = sections_[i];
      s.name = U32(p);
      s.type = U32(p + 4);
      if (is64_) {
        s.addr = U64(p + 16);
        s.offset = U64(p + 24);
        s.size = U64(p + 32);
        s.link = U32(p + 40);
        s.info = U32(p + 44);
        s.entsize = U64(p + 56);
      } else {
        s.addr = U32(p + 12);
        s.offset = U32(p + 16);
        s.size = U32(p + 20);
        s.link = U32(p + 24);
        s.info = U32(p + 28);
        s.entsize = U32(p + 36);
      }
    }
    shnum_real_ = count;
    shstrndx_real_ = shstrndx_ == kShnXindex ? sections_[0].link : shstrndx_;
    if (phnum_ == kPnXnum) phnum_real_override_ = sections_[0].info;
  }

  void ReadSegments() {
    uint64_t count = phnum_real_override_ ? *phnum_real_override_ : phnum_;
    if (count == 0) return;
    const uint64_t std_size = is64_ ? 56 : 32;
    if (phentsize_ < std_size) {
      Problem("e_phentsize (" + std::to_string(phentsize_) + ") is smaller than a " +
              std::to_string(std_size) + "-byte program header: program headers ignored");
      return;
    }
    if (count > kMaxElfSegments || !FitsIn(data_, phoff_, count * phentsize_)) {
      Problem("program header table at " + Hex(phoff_) + " (" + std::to_string(count) +
              " entries of " + std::to_string(phentsize_) + " bytes) ends past the file (size " +
              std::to_string(data_.size()) + ")");
      return;
    }
    segments_.resize(count);
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t p = phoff_ + i * std_size;
      Segment& s = segments_[i];
      s.type = U32(p);
      if (is64_) {
        s.flags = U32(p + 4);
        s.offset = U64(p + 8);
        s.vaddr = U64(p + 16);
        s.filesz = U64(p + 32);
        s.align = U64(p + 48);
      } else {
        s.offset = U32(p + 4);
        s.vaddr = U32(p + 8);
        s.filesz = U32(p + 16);
        s.flags = U32(p + 24);
        s.align = U32(p + 28);
      }
      if (s.type == kPtLoad && !FitsIn(data_, s.offset, s.filesz))
        Problem("PT_LOAD segment " + std::to_string(i) + " at " + Hex(s.offset) + " (" +
                Hex(s.filesz) + " bytes) ends past the file (size " + std::to_string(data_.size()) +
                ")");
    }
  }

  void ReadSectionNames() {
    if (sections_.empty()) return;
    if (shstrndx_real_ == 0 || shstrndx_real_ >= shnum_real_) {
      if (shstrndx_real_ != 0)
        Problem("e_shstrndx (" + std::to_string(shstrndx_real_) + ") is not below the " +
                std::to_string(shnum_real_) + " sections: no section names");
      return;
    }
    const Section& s = sections_[shstrndx_real_];
    if (s.size == 0) return;
    if (auto v = SubView(data_, s.offset, s.size)) {
      shstrtab_ = *v;
      have_shstrtab_ = true;
    } else {
      Problem("section name table (section " + std::to_string(shstrndx_real_) + ") at " +
              Hex(s.offset) + " (" + Hex(s.size) + " bytes) ends past the file (size " +
              std::to_string(data_.size()) + ")");
    }
  }

  // The name readelf prints for a section.
  std::string_view SectionName(const Section& s) const {
    if (!have_shstrtab_) return "<no-strings>";
    if (s.name >= shstrtab_.size()) return "<corrupt>";
    return CString(shstrtab_, s.name);
  }

  void ReadInterpreter() {
    for (size_t i = 0; i < segments_.size(); ++i) {
      const Segment& s = segments_[i];
      if (s.type != kPtInterp) continue;
      has_interp_ = true;
      // readelf: fscanf("%4095s") from p_offset (to the end of the file), printed with %s.
      if (s.offset < data_.size()) {
        ByteView rest = data_.subspan(s.offset);
        size_t b = 0;
        auto space = [](uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
        while (b < rest.size() && space(rest[b])) ++b;
        size_t e = b;
        while (e < rest.size() && e - b < 4095 && !space(rest[e]) && rest[e] != 0) ++e;
        interp_line_.assign(reinterpret_cast<const char*>(rest.data()) + b, e - b);
      }
      if (!info_.interpreter.empty()) continue;
      if (auto v = SubView(data_, s.offset, s.filesz)) {
        info_.interpreter = Bounded(CString(*v, 0));
      } else {
        Problem("PT_INTERP at " + Hex(s.offset) + " (" + Hex(s.filesz) +
                " bytes) ends past the file (size " + std::to_string(data_.size()) + ")");
      }
    }
  }

  // readelf's offset_from_vma: the first PT_LOAD whose (aligned-down) range holds the
  // address, else the address itself.
  uint64_t OffsetFromVma(uint64_t vma) const {
    for (const Segment& s : segments_) {
      if (s.type != kPtLoad) continue;
      uint64_t start = s.vaddr & (~s.align + 1);
      if (vma >= start && vma <= s.vaddr + s.filesz) return vma - s.vaddr + s.offset;
    }
    return vma;
  }
  // The file offset of an address, strictly inside a PT_LOAD's file image (for our own reads).
  std::optional<uint64_t> StrictOffsetFromVma(uint64_t vma) const {
    for (const Segment& s : segments_) {
      if (s.type != kPtLoad) continue;
      if (vma >= s.vaddr && vma - s.vaddr < s.filesz) return vma - s.vaddr + s.offset;
    }
    return std::nullopt;
  }

  const Section* FindSection(std::string_view name) const {
    if (!have_shstrtab_) return nullptr;
    for (const Section& s : sections_)
      if (s.name < shstrtab_.size() && CString(shstrtab_, s.name) == name) return &s;
    return nullptr;
  }

  void ReadDynamic() {
    uint64_t dyn_offset = 0, dyn_size = 0;
    bool found = false;
    for (const Segment& seg : segments_) {
      if (seg.type != kPtDynamic) continue;
      has_dynamic_segment_ = true;
      found = true;
      dyn_offset = seg.offset;
      dyn_size = seg.filesz;
      if (!sections_.empty()) {
        const Section* sec = FindSection(".dynamic");
        if (sec == nullptr || sec->size == 0) continue;
        if (sec->type == kShtNobits) {
          dyn_offset = dyn_size = 0;
          continue;
        }
        dyn_offset = sec->offset;
        dyn_size = sec->size;
      }
    }
    if (!found || dyn_size == 0) return;
    if (!FitsIn(data_, dyn_offset, dyn_size)) {
      Problem("dynamic section at " + Hex(dyn_offset) + " (" + Hex(dyn_size) +
              " bytes) ends past the file (size " + std::to_string(data_.size()) + ")");
      return;
    }
    const uint64_t entry_size = is64_ ? 16 : 8;
    for (uint64_t p = dyn_offset; p + entry_size <= dyn_offset + dyn_size; p += entry_size) {
      if (dynamic_.size() >= kMaxElfDynamicEntries) {
        Problem("dynamic section at " + Hex(dyn_offset) + " has more than " +
                std::to_string(kMaxElfDynamicEntries) + " entries before DT_NULL");
        break;
      }
      DynEntry e{Word(p), Word(p + entry_size / 2)};
      dynamic_.push_back(e);
      if (e.tag == kDtNull) break;
    }
    // The dynamic string table: DT_STRTAB through readelf's address mapping, to the end of
    // the file.
    for (const DynEntry& e : dynamic_) {
      if (e.tag != kDtStrtab) continue;
      uint64_t off = OffsetFromVma(e.value);
      strtab_vma_ = e.value;
      if (off < data_.size()) {
        dynstr_ = data_.subspan(off);
        have_dynstr_ = true;
      } else {
        Problem("DT_STRTAB " + Hex(e.value) + " maps to file offset " + Hex(off) +
                ", past the file (size " + std::to_string(data_.size()) + ")");
      }
      break;
    }
    for (const DynEntry& e : dynamic_) {
      std::optional<std::string_view> s = DynString(e);
      switch (e.tag) {
        case kDtNeeded:
          if (s && info_.needed.size() < kMaxElfNeeded) info_.needed.push_back(Bounded(*s));
          break;
        case kDtSoname:
          if (s && info_.soname.empty()) info_.soname = Bounded(*s);
          break;
        case kDtRpath:
          if (s && info_.rpath.empty()) info_.rpath = Bounded(*s);
          break;
        case kDtRunpath:
          if (s && info_.runpath.empty()) info_.runpath = Bounded(*s);
          break;
        default:
          break;
      }
      if (IsStringTag(e.tag) && !s)
        Problem("dynamic entry " + Hex(e.tag) + " names string " + Hex(e.value) +
                ", outside the dynamic string table");
    }
  }

  static bool IsStringTag(uint64_t tag) {
    switch (tag) {
      case kDtNeeded:
      case kDtSoname:
      case kDtRpath:
      case kDtRunpath:
      case kDtAuxiliary:
      case kDtFilter:
      case kDtConfig:
      case kDtDepaudit:
      case kDtAudit:
      case kDtUsed:
        return true;
      default:
        return false;
    }
  }
  std::optional<std::string_view> DynString(const DynEntry& e) const {
    if (!IsStringTag(e.tag) || !have_dynstr_ || e.value >= dynstr_.size()) return std::nullopt;
    return CString(dynstr_, e.value);
  }

  // Symbol tables, read as readelf -s reads them; collects what checksec greps for.
  void ReadSymbolTables() {
    const uint64_t sym_size = is64_ ? 24 : 16;
    uint64_t budget = kMaxElfSymbols;
    for (size_t index = 0; index < sections_.size(); ++index) {
      const Section& sec = sections_[index];
      if (sec.type != kShtSymtab && sec.type != kShtDynsym) continue;
      bool dynsym = sec.type == kShtDynsym;
      if (sec.type == kShtSymtab) info_.stripped = false;
      if (dynsym) have_dynsym_section_ = true;
      // "Symbol table '<name>' contains N entries:" is printed even if the table is bad.
      std::string_view name = SectionName(sec);
      NoteSymbolsLine(name);
      if (sec.entsize == 0 || sec.size == 0) continue;
      uint64_t count = sec.size / sec.entsize;
      if (sec.entsize > sec.size || sec.size > data_.size() || count * sym_size > sec.size + 1 ||
          !FitsIn(data_, sec.offset, sec.size)) {
        Problem("symbol table " + std::string(name) + " (section " + std::to_string(index) +
                ") at " + Hex(sec.offset) + " (" + Hex(sec.size) + " bytes, entries of " +
                Hex(sec.entsize) + ") does not fit the file (size " + std::to_string(data_.size()) +
                ") or its entry size");
        continue;
      }
      // readelf reads count * sym_size bytes of a buffer with one NUL byte after sh_size.
      if (count * sym_size > sec.size) --count;
      if (count > budget) {
        Problem("symbol tables hold more than " + std::to_string(kMaxElfSymbols) +
                " symbols: the rest are not read");
        count = budget;
      }
      budget -= count;
      ByteView strtab;
      if (sec.link == shstrndx_real_ && have_shstrtab_) {
        strtab = shstrtab_;
      } else if (sec.link != shstrndx_real_ && sec.link < shnum_real_) {
        const Section& str = sections_[sec.link];
        if (auto v = SubView(data_, str.offset, str.size)) strtab = *v;
      }
      if (strtab.empty())
        Problem("symbol table " + std::string(name) + " links to string table section " +
                std::to_string(sec.link) + ", which cannot be read");
      for (uint64_t i = 0; i < count; ++i) {
        uint64_t p = sec.offset + i * sym_size;
        uint32_t st_name = U32(p);
        uint8_t st_info = data_[p + (is64_ ? 4 : 12)];
        uint8_t st_other = data_[p + (is64_ ? 5 : 13)];
        uint16_t st_shndx = U16(p + (is64_ ? 6 : 14));
        std::string_view sym_name;
        if ((st_info & 0xf) == kSttSection && st_name == 0 && st_shndx < shnum_real_) {
          sym_name = SectionName(sections_[st_shndx]);
        } else if (st_name < strtab.size()) {
          sym_name = CString(strtab, st_name);
        } else {
          sym_name = "<corrupt>";
        }
        NoteSymbolsLine(sym_name);
        if (dynsym) {
          NoteDynamicSymbol(sym_name, st_info, st_other, st_shndx);
          if (st_shndx == 0 && IsFunction(st_info) && st_name != 0 && st_name < strtab.size())
            AddImport(sym_name);
        }
      }
    }
  }

  static bool IsFunction(uint8_t st_info) {
    return (st_info & 0xf) == kSttFunc || (st_info & 0xf) == kSttGnuIfunc;
  }
  void AddImport(std::string_view name) {
    if (name.empty()) return;
    if (info_.imported_functions.size() < kMaxElfImportedFunctions)
      info_.imported_functions.push_back(Bounded(name));
  }

  // checksec's canary and symbols greps run over every line of readelf -s.
  void NoteSymbolsLine(std::string_view text) {
    // Each pattern is looked for until it is found once; the canary names all start "__".
    if (!canary_ && Contains(text, "__") &&
        (Contains(text, "__stack_chk_fail") || Contains(text, "__stack_chk_guard") ||
         Contains(text, "__intel_security_cookie")))
      canary_ = true;
    if (!symtab_named_ && Contains(text, ".symtab")) symtab_named_ = true;
  }

  // How many blank-separated words readelf prints for a column value (awk counts fields).
  static int Words(std::string_view s) {
    int n = 0;
    bool in_word = false;
    for (char c : s) {
      bool blank = c == ' ';
      if (!blank && !in_word) ++n;
      in_word = !blank;
    }
    return n;
  }
  int TypeWords(uint8_t type) const {
    if (type <= 6 || type == 8 || type == 9) return 1;  // NOTYPE..TLS, RELC, SRELC
    if (type >= 13) {                                   // "<processor specific>: N"
      if ((info_.machine == kEmArm && type == 13) || (info_.machine == kEmSparcv9 && type == 13) ||
          (info_.machine == kEmParisc && type == 13))
        return 1;
      return 3;
    }
    if (type >= 10) {  // "<OS specific>: N" unless a name applies
      if (info_.machine == kEmParisc && (type == 11 || type == 12)) return 1;
      if (type == kSttGnuIfunc &&
          (info_.osabi == kOsabiGnu || info_.osabi == kOsabiFreebsd || info_.osabi == kOsabiNone))
        return 1;
      return 3;
    }
    return 2;  // "<unknown>: N"
  }
  int BindWords(uint8_t bind) const {
    if (bind <= 2) return 1;
    if (bind >= 13) return 3;
    if (bind >= 10) {
      if (bind == 10 && (info_.osabi == kOsabiGnu || info_.osabi == kOsabiNone)) return 1;
      return 3;
    }
    return 2;
  }
  int OtherWords(uint8_t st_other) const {
    if (info_.osabi == kOsabiSolaris) return 0;
    unsigned other = st_other & ~3u;
    if (other == 0) return 0;
    switch (info_.machine) {
      case kEmMips:
        switch (other) {
          case 0x04:
          case 0x80:
          case 0xf0:
            return 1;  // OPTIONAL, MICROMIPS, MIPS16
          case 0x08:
          case 0x20:
            return 2;  // MIPS PLT, MIPS PIC
          case 0xa0:
            return 3;  // MICROMIPS, MIPS PIC
          default:
            return 2;
        }
      case kEmAarch64:
      case kEmRiscv:
        if (other & 0x80) return other == 0x80 ? 1 : 3;  // VARIANT_PCS [| x]
        return 2;
      default:
        return 2;  // "<other>: x" or "<localentry>: N"
    }
  }
  int IndexWords(uint16_t shndx) const {
    if (shndx == 0 || shndx == 0xfff1 || shndx == 0xfff2) return 1;
    if (shndx >= 0xff00) {
      if (shndx >= 0xff20 && shndx <= 0xff3f) return 2;  // "OS [0x....]"
      return 1;                                          // LARGE_COM, SCOM, PRC[..], RSV[..]
    }
    if (shnum_real_ != 0 && shndx >= shnum_real_) return shndx < 100 ? 4 : 3;  // bad index
    return 1;
  }

  // checksec's fortify rule, one readelf --dyn-syms line at a time:
  //   awk '{print $8}' | sed -e 's/_*//' -e 's/@.*//' -e '/^$/d'
  // then counts lines equal to a libc "*_chk" name (fortified) or its plain name, and says
  // "yes" if any line ends in _chk. $8 is the symbol name only when the columns before it
  // are one word each; readelf prints multi-word types, bindings or extra st_other flags
  // for some symbols, and then $8 is a column, not the name.
  void NoteDynamicSymbol(std::string_view name, uint8_t st_info, uint8_t st_other,
                         uint16_t st_shndx) {
    int before = 3 + TypeWords(st_info & 0xf) + BindWords(st_info >> 4) + 1 + OtherWords(st_other) +
                 IndexWords(st_shndx);
    if (before != 7) return;
    size_t b = name.find_first_not_of(' ');
    if (b == std::string_view::npos) return;
    std::string_view word = name.substr(b);
    word = word.substr(0, word.find(' '));
    size_t u = word.find_first_not_of('_');
    word = u == std::string_view::npos ? std::string_view() : word.substr(u);
    word = word.substr(0, word.find('@'));
    if (word.empty()) return;
    if (word.size() >= 4 && word.substr(word.size() - 4) == "_chk") fortify_source_ = true;
    if (word.size() > kLongestFortifyName) return;  // most C++ names: no hashing
    const FortifySets& sets = Fortify();
    if (sets.checked.count(word)) ++fortified_;
    if (sets.unchecked.count(word)) ++unfortified_;
  }

  // Without section headers (sstrip), the dynamic symbols are still there for the loader:
  // DT_SYMTAB, sized by DT_HASH's nchain or by walking DT_GNU_HASH.
  void ReadDynamicSymbolsWithoutSections() {
    uint64_t symtab = 0, hash = 0, gnu_hash = 0;
    bool have_symtab = false;
    for (const DynEntry& e : dynamic_) {
      if (e.tag == kDtSymtab && !have_symtab) symtab = e.value, have_symtab = true;
      if (e.tag == kDtHash && hash == 0) hash = e.value;
      if (e.tag == kDtGnuHash && gnu_hash == 0) gnu_hash = e.value;
    }
    if (!have_symtab || !have_dynstr_) return;
    std::optional<uint64_t> count;
    if (hash != 0) count = HashCount(hash);
    if (!count && gnu_hash != 0) {
      // DT_GNU_HASH covers the defined symbols only: with none (a program that only
      // imports), its count stops short of the imports. ld puts .dynstr right after
      // .dynsym, so the gap between them bounds the table too.
      count = GnuHashCount(gnu_hash);
      const uint64_t sym_size = is64_ ? 24 : 16;
      if (strtab_vma_ > symtab && (strtab_vma_ - symtab) / sym_size < kMaxElfSymbols)
        count = std::max<uint64_t>(count.value_or(0), (strtab_vma_ - symtab) / sym_size);
    }
    auto sym_off = StrictOffsetFromVma(symtab);
    if (!count || !sym_off) {
      Problem("DT_SYMTAB " + Hex(symtab) + " cannot be sized or located: imports not read");
      return;
    }
    const uint64_t sym_size = is64_ ? 24 : 16;
    uint64_t n = std::min<uint64_t>(*count, kMaxElfSymbols);
    if (!FitsIn(data_, *sym_off, n * sym_size)) {
      Problem("DT_SYMTAB at " + Hex(*sym_off) + " (" + std::to_string(n) +
              " symbols) ends past the file (size " + std::to_string(data_.size()) + ")");
      n = (data_.size() - std::min<uint64_t>(*sym_off, data_.size())) / sym_size;
    }
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t p = *sym_off + i * sym_size;
      uint32_t st_name = U32(p);
      uint8_t st_info = data_[p + (is64_ ? 4 : 12)];
      uint16_t st_shndx = U16(p + (is64_ ? 6 : 14));
      if (st_shndx == 0 && IsFunction(st_info) && st_name != 0 && st_name < dynstr_.size())
        AddImport(CString(dynstr_, st_name));
    }
  }
  std::optional<uint64_t> HashCount(uint64_t vma) const {
    auto off = StrictOffsetFromVma(vma);
    if (!off || !FitsIn(data_, *off, 8)) return std::nullopt;
    return U32(*off + 4);  // nchain = number of symbols
  }
  std::optional<uint64_t> GnuHashCount(uint64_t vma) const {
    auto off = StrictOffsetFromVma(vma);
    if (!off || !FitsIn(data_, *off, 16)) return std::nullopt;
    uint64_t nbuckets = U32(*off), symoffset = U32(*off + 4), bloom_words = U32(*off + 8);
    uint64_t bloom = *off + 16;
    uint64_t buckets = bloom + bloom_words * (is64_ ? 8 : 4);
    if (!FitsIn(data_, buckets, nbuckets * 4)) return std::nullopt;
    uint64_t last = 0;
    for (uint64_t i = 0; i < nbuckets; ++i) last = std::max<uint64_t>(last, U32(buckets + 4 * i));
    if (last < symoffset) return symoffset;
    uint64_t chains = buckets + nbuckets * 4;
    for (uint64_t i = last; i - symoffset < kMaxElfSymbols; ++i) {
      uint64_t p = chains + (i - symoffset) * 4;
      if (!FitsIn(data_, p, 4)) return std::nullopt;
      if (U32(p) & 1) return i + 1;
    }
    return std::nullopt;
  }

  void ComputeHardening() {
    ElfHardening& h = info_.hardening;
    info_.static_linked = !has_interp_ && !has_dynamic_segment_;

    // readelf -l | grep GNU_RELRO; readelf -d | grep BIND_NOW. The interpreter line of -l and
    // the string lines of -d are text too.
    bool relro = Contains(interp_line_, "GNU_RELRO");
    bool stack_line = Contains(interp_line_, "GNU_STACK");
    bool stack_rwe = stack_line && Contains(interp_line_, "RWE");
    for (const Segment& s : segments_) {
      if (s.type == kPtGnuRelro) relro = true;
      if (s.type == kPtGnuStack) {
        stack_line = true;
        if ((s.flags & (kPfR | kPfW | kPfX)) == (kPfR | kPfW | kPfX)) stack_rwe = true;
      }
    }
    bool bind_now = false, debug = false;
    std::optional<std::string_view> rpath_field, runpath_field;  // awk -F'[][]' $2
    for (const DynEntry& e : dynamic_) {
      if (e.tag == kDtNull) break;
      std::optional<std::string_view> s = DynString(e);
      std::string_view text = s ? *s : std::string_view();
      if (e.tag == kDtBindNow || (e.tag == kDtFlags && (e.value & kDfBindNow)) ||
          Contains(text, "BIND_NOW"))
        bind_now = true;
      if (e.tag == kDtDebug || Contains(text, "DEBUG")) debug = true;
      // The first line that matches /RPATH/ (/RUNPATH/) decides; its second bracket field is
      // the text between "[" and the next bracket, empty when the string was not printable.
      auto field = [&] {
        return s ? text.substr(0, text.find_first_of("[]")) : std::string_view();
      };
      if (!rpath_field && (e.tag == kDtRpath || Contains(text, "RPATH"))) rpath_field = field();
      if (!runpath_field && (e.tag == kDtRunpath || Contains(text, "RUNPATH")))
        runpath_field = field();
    }
    h.relro = !relro ? Relro::kNone : bind_now ? Relro::kFull : Relro::kPartial;
    h.nx = stack_line && !stack_rwe;
    switch (info_.type) {
      case kEtExec:
        h.pie = PieKind::kNone;
        break;
      case kEtDyn:
        h.pie = debug ? PieKind::kPie : PieKind::kDso;
        break;
      case kEtRel:
        h.pie = PieKind::kRel;
        break;
      default:
        h.pie = PieKind::kNotElf;
        break;
    }
    h.rpath = rpath_field && !rpath_field->empty();
    h.runpath = runpath_field && !runpath_field->empty();
    h.canary = canary_;
    h.symbols = symtab_named_;
    h.fortify_source = fortify_source_;
    h.fortified = fortified_;
    h.fortifiable = fortified_ + unfortified_;
  }

  ByteView data_;
  bool is64_ = false, be_ = false;
  ElfInfo info_;
  uint64_t phoff_ = 0, shoff_ = 0;
  uint16_t phentsize_ = 0, phnum_ = 0, shentsize_ = 0, shnum_ = 0, shstrndx_ = 0;
  uint64_t shnum_real_ = 0, shstrndx_real_ = 0, strtab_vma_ = 0;
  std::optional<uint64_t> phnum_real_override_;
  std::vector<Section> sections_;
  std::vector<Segment> segments_;
  std::vector<DynEntry> dynamic_;
  ByteView shstrtab_, dynstr_;
  bool have_shstrtab_ = false, have_dynstr_ = false;
  bool has_interp_ = false, has_dynamic_segment_ = false, have_dynsym_section_ = false;
  std::string interp_line_;
  bool canary_ = false, symtab_named_ = false, fortify_source_ = false;
  int fortified_ = 0, unfortified_ = 0;
};

}  // namespace

bool LooksLikeElf(ByteView data) {
  return data.size() >= 4 && data[0] == 0x7f && data[1] == 'E' && data[2] == 'L' && data[3] == 'F';
}

Result<ElfInfo> ParseElf(ByteView data) { return Parser(data).Run(); }

std::string_view RelroWord(Relro relro) {
  switch (relro) {
    case Relro::kFull:
      return "full";
    case Relro::kPartial:
      return "partial";
    case Relro::kNone:
      return "no";
  }
  return "no";
}

std::string_view PieWord(PieKind pie) {
  switch (pie) {
    case PieKind::kNone:
      return "no";
    case PieKind::kPie:
      return "yes";
    case PieKind::kDso:
      return "dso";
    case PieKind::kRel:
      return "rel";
    case PieKind::kNotElf:
      return "not_elf";
  }
  return "not_elf";
}

nlohmann::json ChecksecJson(const ElfHardening& h) {
  auto yes = [](bool b) { return b ? "yes" : "no"; };
  return nlohmann::json{{"relro", RelroWord(h.relro)},
                        {"canary", yes(h.canary)},
                        {"nx", yes(h.nx)},
                        {"pie", PieWord(h.pie)},
                        {"rpath", yes(h.rpath)},
                        {"runpath", yes(h.runpath)},
                        {"symbols", yes(h.symbols)},
                        {"fortify_source", yes(h.fortify_source)},
                        {"fortified", std::to_string(h.fortified)},
                        {"fortify-able", std::to_string(h.fortifiable)}};
}

const std::vector<std::string_view>& FortifiedLibcFunctions() {
  // readelf -s /lib/x86_64-linux-gnu/libc.so.6 | sed -ne 's/.*__\(.*_chk\)@@.*/\1/p' on
  // Debian 12 (glibc 2.36); the same set on every Debian 12 architecture.
  static const std::vector<std::string_view> names = {
      "asprintf_chk",       "confstr_chk",        "dprintf_chk",
      "explicit_bzero_chk", "fdelt_chk",          "fgets_chk",
      "fgets_unlocked_chk", "fgetws_chk",         "fgetws_unlocked_chk",
      "fprintf_chk",        "fread_chk",          "fread_unlocked_chk",
      "fwprintf_chk",       "getcwd_chk",         "getdomainname_chk",
      "getgroups_chk",      "gethostname_chk",    "getlogin_r_chk",
      "gets_chk",           "getwd_chk",          "longjmp_chk",
      "mbsnrtowcs_chk",     "mbsrtowcs_chk",      "mbstowcs_chk",
      "memcpy_chk",         "memmove_chk",        "mempcpy_chk",
      "memset_chk",         "obstack_printf_chk", "obstack_vprintf_chk",
      "poll_chk",           "ppoll_chk",          "pread64_chk",
      "pread_chk",          "printf_chk",         "ptsname_r_chk",
      "read_chk",           "readlink_chk",       "readlinkat_chk",
      "realpath_chk",       "recv_chk",           "recvfrom_chk",
      "snprintf_chk",       "sprintf_chk",        "stpcpy_chk",
      "stpncpy_chk",        "strcat_chk",         "strcpy_chk",
      "strncat_chk",        "strncpy_chk",        "swprintf_chk",
      "syslog_chk",         "ttyname_r_chk",      "vasprintf_chk",
      "vdprintf_chk",       "vfprintf_chk",       "vfwprintf_chk",
      "vprintf_chk",        "vsnprintf_chk",      "vsprintf_chk",
      "vswprintf_chk",      "vsyslog_chk",        "vwprintf_chk",
      "wcpcpy_chk",         "wcpncpy_chk",        "wcrtomb_chk",
      "wcscat_chk",         "wcscpy_chk",         "wcsncat_chk",
      "wcsncpy_chk",        "wcsnrtombs_chk",     "wcsrtombs_chk",
      "wcstombs_chk",       "wctomb_chk",         "wmemcpy_chk",
      "wmemmove_chk",       "wmempcpy_chk",       "wmemset_chk",
      "wprintf_chk"};
  return names;
}

}  // namespace clearbox::inventory
