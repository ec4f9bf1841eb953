// ELF reading (sections, symbols, relocations, PLT stubs) and Capstone data flow for the
// magic-password heuristic. The inventory's ELF reader (inventory/elf.h) answers checksec's
// questions and keeps no addresses; this file needs section addresses, symbol values and
// relocation targets, and reads only those, bounded, from the same untrusted bytes.
#include "magic_disasm.h"

#include <capstone/capstone.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>

namespace clearbox::audit::internal {
namespace {

constexpr uint16_t kEmX8664 = 62, kEmAarch64 = 183, kEmArm = 40, kEmMips = 8;
constexpr uint32_t kShtDynamic = 6;
constexpr uint64_t kDtPltgot = 3, kDtMipsLocalGotno = 0x7000000a, kDtMipsSymtabno = 0x70000011,
                   kDtMipsGotsym = 0x70000013;
// A register that holds the content of a global GOT slot (an import), not an address.
constexpr uint64_t kGotSlotTag = uint64_t{1} << 63;
constexpr uint32_t kShtSymtab = 2, kShtRela = 4, kShtNobits = 8, kShtRel = 9, kShtDynsym = 11;
constexpr uint64_t kShfAlloc = 2, kShfExec = 4;
constexpr size_t kMaxSections = 4096, kMaxSymbols = 1 << 20, kMaxRelocations = 1 << 20;

struct Section {
  std::string name;
  uint32_t type = 0, link = 0;
  uint64_t flags = 0, addr = 0, offset = 0, size = 0, entsize = 0;
};

// An ELF file (32 or 64 bits, either byte order) read without trusting it.
class Elf {
 public:
  explicit Elf(ByteView data) : data_(data) {}

  std::optional<std::string> Read() {
    if (data_.size() < 64 || (data_[4] != 1 && data_[4] != 2) || (data_[5] != 1 && data_[5] != 2))
      return "not an ELF file of a known class and byte order";
    is64_ = data_[4] == 2;
    be_ = data_[5] == 2;
    machine_ = U16(18);
    entry_ = Word(24);
    uint64_t shoff = is64_ ? U64(40) : U32(32);
    size_t at = is64_ ? 58 : 46;
    uint16_t shentsize = U16(at), shnum = U16(at + 2), shstrndx = U16(at + 4);
    const uint64_t header_size = is64_ ? 64 : 40;
    if (shoff == 0 || shnum == 0) return "no section headers (stripped with sstrip?)";
    if (shentsize < header_size || shnum > kMaxSections ||
        !FitsIn(data_, shoff, uint64_t{shnum} * shentsize))
      return fmt::format("section header table at {:#x} ({} entries) ends past the file", shoff,
                         shnum);
    for (uint16_t i = 0; i < shnum; ++i) {
      uint64_t p = shoff + uint64_t{i} * shentsize;
      Section s;
      s.name = std::to_string(U32(p));  // the offset until names are read
      s.type = U32(p + 4);
      if (is64_) {
        s.flags = U64(p + 8);
        s.addr = U64(p + 16);
        s.offset = U64(p + 24);
        s.size = U64(p + 32);
        s.link = U32(p + 40);
        s.entsize = U64(p + 56);
      } else {
        s.flags = U32(p + 8);
        s.addr = U32(p + 12);
        s.offset = U32(p + 16);
        s.size = U32(p + 20);
        s.link = U32(p + 24);
        s.entsize = U32(p + 36);
      }
      if (s.type != kShtNobits && !FitsIn(data_, s.offset, s.size)) s.size = 0;  // unusable
      sections_.push_back(std::move(s));
    }
    ByteView names = shstrndx < sections_.size() ? Bytes(sections_[shstrndx]) : ByteView{};
    for (Section& s : sections_) s.name = CString(names, std::stoull(s.name));
    return std::nullopt;
  }

  uint16_t machine() const { return machine_; }
  uint64_t entry() const { return entry_; }
  bool big_endian() const { return be_; }
  // A 32-bit word at `addr` in any allocated section (ARM literal pools).
  std::optional<uint32_t> Word32At(uint64_t addr) const {
    std::optional<uint64_t> off = FileOffset(addr);
    if (!off || !FitsIn(data_, *off, 4)) return std::nullopt;
    return U32(*off);
  }
  const std::vector<Section>& sections() const { return sections_; }
  const Section* Find(std::string_view name) const {
    for (const Section& s : sections_)
      if (s.name == name) return &s;
    return nullptr;
  }
  ByteView Bytes(const Section& s) const {
    if (s.type == kShtNobits) return {};
    auto v = SubView(data_, s.offset, s.size);
    return v ? *v : ByteView{};
  }
  std::string CString(ByteView table, uint64_t offset) const {
    if (offset >= table.size()) return {};
    size_t n = 0;
    while (offset + n < table.size() && table[offset + n] != 0 && n < 512) ++n;
    return std::string(reinterpret_cast<const char*>(table.data()) + offset, n);
  }
  // A NUL-terminated printable constant at `addr` in a non-executable allocated section.
  std::optional<std::string> ConstantString(uint64_t addr) const {
    for (const Section& s : sections_) {
      if (!(s.flags & kShfAlloc) || (s.flags & kShfExec) || s.type == kShtNobits) continue;
      if (addr < s.addr || addr - s.addr >= s.size) continue;
      ByteView b = Bytes(s);
      std::string out;
      for (uint64_t at = addr - s.addr; at < b.size(); ++at) {
        uint8_t c = b[at];
        if (c == 0) return out.empty() ? std::nullopt : std::optional(out);
        if (c < 0x20 || c > 0x7e || out.size() >= kMagicMaxStringBytes) return std::nullopt;
        out.push_back(static_cast<char>(c));
      }
      return std::nullopt;
    }
    return std::nullopt;
  }
  std::optional<uint64_t> FileOffset(uint64_t addr) const {
    for (const Section& s : sections_) {
      if ((s.flags & kShfAlloc) && s.type != kShtNobits && addr >= s.addr && addr - s.addr < s.size)
        return s.offset + (addr - s.addr);
    }
    return std::nullopt;
  }
  // Symbols of one table: (address, name), functions only.
  void Symbols(uint32_t type, bool functions_only, std::vector<std::pair<uint64_t, std::string>>& out,
               std::vector<std::string>* by_index = nullptr) const {
    for (const Section& s : sections_) {
      if (s.type != type || s.link >= sections_.size()) continue;
      ByteView table = Bytes(s), strings = Bytes(sections_[s.link]);
      const uint64_t size = is64_ ? 24 : 16;
      for (uint64_t p = 0; p + size <= table.size() && p / size < kMaxSymbols; p += size) {
        uint64_t at = s.offset + p;
        std::string name = CString(strings, U32(at));
        uint8_t kind = data_[at + (is64_ ? 4 : 12)] & 0xf;
        uint64_t value = is64_ ? U64(at + 8) : U32(at + 4);
        if (by_index) by_index->push_back(name);
        if (functions_only && kind != 2) continue;
        if (value != 0 && !name.empty()) out.emplace_back(value, std::move(name));
      }
    }
  }
  // GOT slot -> imported name, from every RELA section that names a .dynsym symbol.
  std::map<uint64_t, std::string> GotSlots() const {
    std::vector<std::pair<uint64_t, std::string>> unused;
    std::vector<std::string> dynsym;
    Symbols(kShtDynsym, false, unused, &dynsym);
    std::map<uint64_t, std::string> slots;
    for (const Section& s : sections_) {
      if (s.type != kShtRela && s.type != kShtRel) continue;
      ByteView table = Bytes(s);
      const uint64_t size = (is64_ ? 16 : 8) + (s.type == kShtRela ? (is64_ ? 8 : 4) : 0);
      for (uint64_t p = 0; p + size <= table.size() && p / size < kMaxRelocations; p += size) {
        uint64_t at = s.offset + p;
        uint64_t where = Word(at);
        uint64_t sym = is64_ ? U64(at + 8) >> 32 : U32(at + 4) >> 8;
        if (sym != 0 && sym < dynsym.size() && !dynsym[sym].empty()) slots[where] = dynsym[sym];
      }
    }
    MipsGlobalGot(dynsym, slots);
    return slots;
  }
  // MIPS: the global part of the GOT holds .dynsym[gotsym..symtabno) in order after the
  // local entries; code loads imports from it through gp (= GOT + 0x7ff0).
  void MipsGlobalGot(const std::vector<std::string>& dynsym, std::map<uint64_t, std::string>& slots) const {
    if (machine_ != kEmMips) return;
    uint64_t got = 0, local = 0, symtabno = 0, gotsym = 0;
    for (const Section& s : sections_) {
      if (s.type != kShtDynamic) continue;
      const uint64_t size = is64_ ? 16 : 8;
      for (uint64_t p = 0; p + size <= s.size && p / size < 4096; p += size) {
        uint64_t tag = Word(s.offset + p), value = Word(s.offset + p + size / 2);
        if (tag == kDtPltgot) got = value;
        if (tag == kDtMipsLocalGotno) local = value;
        if (tag == kDtMipsSymtabno) symtabno = value;
        if (tag == kDtMipsGotsym) gotsym = value;
      }
    }
    mips_gp_ = got + 0x7ff0;
    const uint64_t word = is64_ ? 8 : 4;
    for (uint64_t i = gotsym; i < symtabno && i < dynsym.size() && i - gotsym < kMaxSymbols; ++i)
      slots[got + word * (local + i - gotsym)] = dynsym[i];
  }
  uint64_t mips_gp() const { return mips_gp_; }

 private:
  uint16_t U16(uint64_t o) const { return be_ ? LoadBE16(&data_[o]) : LoadLE16(&data_[o]); }
  uint32_t U32(uint64_t o) const { return be_ ? LoadBE32(&data_[o]) : LoadLE32(&data_[o]); }
  uint64_t U64(uint64_t o) const { return be_ ? LoadBE64(&data_[o]) : LoadLE64(&data_[o]); }
  uint64_t Word(uint64_t o) const { return is64_ ? U64(o) : U32(o); }
  ByteView data_;
  bool is64_ = false, be_ = false;
  uint16_t machine_ = 0;
  uint64_t entry_ = 0;
  mutable uint64_t mips_gp_ = 0;
  std::vector<Section> sections_;
};

// Capstone handle, closed on every path.
struct Disassembler {
  csh handle = 0;
  bool ok = false;
  Disassembler(cs_arch arch, cs_mode mode) {
    ok = cs_open(arch, mode, &handle) == CS_ERR_OK;
    if (ok) {
      cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
    }
  }
  ~Disassembler() {
    if (ok) cs_close(&handle);
  }
};

struct InsnDeleter {
  void operator()(cs_insn* i) const { cs_free(i, 1); }
};

const std::set<std::string_view> kCompares = {"strcmp", "strncmp", "memcmp", "bcmp",
                                              "strcasecmp", "strncasecmp"};
const std::set<std::string_view> kShellCalls = {"system", "popen", "execl", "execlp", "execle",
                                                "execv", "execvp", "execve", "execvpe"};

// One architecture's reading of instructions: registers, arguments, branches.
struct Arch {
  cs_arch arch;
  cs_mode mode;
  unsigned insn_size_max;
  unsigned step;  // bytes to skip past an undecodable instruction
  // Normalised register of an operand's register (sub-registers to the full one).
  unsigned (*normalise)(unsigned reg);
  unsigned arg0, arg1, ret;
  std::vector<unsigned> caller_saved;
  bool delay_slot = false;  // MIPS: the instruction after a branch runs before it
};

unsigned NormaliseX86(unsigned r) {
  static const std::map<unsigned, unsigned> kFull = {
      {X86_REG_EAX, X86_REG_RAX}, {X86_REG_ECX, X86_REG_RCX},   {X86_REG_EDX, X86_REG_RDX},
      {X86_REG_EBX, X86_REG_RBX}, {X86_REG_ESI, X86_REG_RSI},   {X86_REG_EDI, X86_REG_RDI},
      {X86_REG_EBP, X86_REG_RBP}, {X86_REG_R8D, X86_REG_R8},    {X86_REG_R9D, X86_REG_R9},
      {X86_REG_R10D, X86_REG_R10}, {X86_REG_R11D, X86_REG_R11}, {X86_REG_R12D, X86_REG_R12},
      {X86_REG_R13D, X86_REG_R13}, {X86_REG_R14D, X86_REG_R14}, {X86_REG_R15D, X86_REG_R15}};
  auto it = kFull.find(r);
  return it == kFull.end() ? r : it->second;
}
unsigned NormaliseArm64(unsigned r) {
  if (r >= ARM64_REG_W0 && r <= ARM64_REG_W28) return ARM64_REG_X0 + (r - ARM64_REG_W0);
  if (r == ARM64_REG_W29) return ARM64_REG_X29;
  if (r == ARM64_REG_W30) return ARM64_REG_X30;
  return r;
}

unsigned Same(unsigned r) { return r; }

// 32-bit ARM: the code's instruction set from the entry point's low bit (Thumb-2 for Debian's
// armhf, ARM for older toolchains).
const Arch* ArchFor(uint16_t machine, uint64_t entry, bool big_endian) {
  static const Arch kArm{CS_ARCH_ARM, CS_MODE_ARM, 4, 4, Same, ARM_REG_R0, ARM_REG_R1, ARM_REG_R0,
                         {ARM_REG_R0, ARM_REG_R1, ARM_REG_R2, ARM_REG_R3, ARM_REG_R12, ARM_REG_LR}};
  static const Arch kThumb{CS_ARCH_ARM, CS_MODE_THUMB, 4, 2, Same, ARM_REG_R0, ARM_REG_R1,
                           ARM_REG_R0,
                           {ARM_REG_R0, ARM_REG_R1, ARM_REG_R2, ARM_REG_R3, ARM_REG_R12,
                            ARM_REG_LR}};
  if (machine == kEmArm) return (entry & 1) ? &kThumb : &kArm;
  static const auto mips = [](cs_mode endian) {
    Arch a{CS_ARCH_MIPS, cs_mode(CS_MODE_MIPS32 | endian), 4, 4, Same, MIPS_REG_A0, MIPS_REG_A1,
           MIPS_REG_V0, {MIPS_REG_AT, MIPS_REG_V0, MIPS_REG_V1, MIPS_REG_A0, MIPS_REG_A1,
                         MIPS_REG_A2, MIPS_REG_A3, MIPS_REG_T0, MIPS_REG_T1, MIPS_REG_T2,
                         MIPS_REG_T3, MIPS_REG_T4, MIPS_REG_T5, MIPS_REG_T6, MIPS_REG_T7,
                         MIPS_REG_T8, MIPS_REG_T9, MIPS_REG_RA}};
    a.delay_slot = true;
    return a;
  };
  static const Arch kMipsBe = mips(CS_MODE_BIG_ENDIAN), kMipsLe = mips(CS_MODE_LITTLE_ENDIAN);
  if (machine == kEmMips) return big_endian ? &kMipsBe : &kMipsLe;
  static const Arch kX86{CS_ARCH_X86, CS_MODE_64, 15, 1, NormaliseX86, X86_REG_RDI, X86_REG_RSI,
                         X86_REG_RAX,
                         {X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RSI, X86_REG_RDI,
                          X86_REG_R8, X86_REG_R9, X86_REG_R10, X86_REG_R11}};
  static const Arch kArm64 = [] {
    Arch a{CS_ARCH_ARM64, CS_MODE_ARM, 4, 4, NormaliseArm64, ARM64_REG_X0, ARM64_REG_X1,
           ARM64_REG_X0, {}};
    for (unsigned r = ARM64_REG_X0; r <= ARM64_REG_X0 + 18; ++r) a.caller_saved.push_back(r);
    return a;
  }();
  if (machine == kEmX8664) return &kX86;
  if (machine == kEmAarch64) return &kArm64;
  return nullptr;
}

using Registers = std::map<unsigned, uint64_t>;  // register -> known address

// The decoded executable sections, by address.
class Code {
 public:
  Code(const Elf& elf, const Arch& arch, csh h) : elf_(elf), arch_(arch), h_(h) {}

  // Forgets the decoded instructions (pointers from At are then invalid): called between
  // comparisons, so that memory stays bounded by one comparison's walk.
  void Forget() {
    if (cache_.size() > 4096) cache_.clear();
  }

  // The instruction at `addr`, or nullptr when it is outside the code or undecodable. The
  // pointer stays valid until Forget.
  const cs_insn* At(uint64_t addr) {
    auto it = cache_.find(addr);
    if (it != cache_.end()) return it->second.get();
    cs_insn* insn = nullptr;
    for (const Section& s : elf_.sections()) {
      if (!(s.flags & kShfExec) || addr < s.addr || addr - s.addr >= s.size) continue;
      ByteView b = elf_.Bytes(s);
      uint64_t at = addr - s.addr;
      if (at >= b.size()) break;
      const uint8_t* p = b.data() + at;
      size_t n = std::min<size_t>(b.size() - at, arch_.insn_size_max);
      if (cs_disasm(h_, p, n, addr, 1, &insn) != 1) insn = nullptr;
      break;
    }
    return (cache_[addr] = std::unique_ptr<cs_insn, InsnDeleter>(insn)).get();
  }

 private:
  const Elf& elf_;
  const Arch& arch_;
  csh h_;
  std::map<uint64_t, std::unique_ptr<cs_insn, InsnDeleter>> cache_;
};

// What an instruction does that the heuristic follows.
struct Effect {
  enum Kind { kNone, kCall, kJump, kCondJump, kReturn } kind = kNone;
  uint64_t target = 0;      // call or jump target when direct
  uint64_t slot = 0;        // GOT slot of an indirect call/jump through memory (x86)
  bool taken_is_zero = false;  // conditional jump on "result == 0" (else "!= 0")
  bool tests_ret = false;      // the conditional jump itself tests the return register
  unsigned reg = 0;            // the register of an indirect call or jump (MIPS jalr t9)
};

class Analyser {
 public:
  Analyser(const Elf& elf, const Arch& arch, csh h) : elf_(elf), arch_(arch), h_(h), code_(elf, arch, h) {}

  void ResolveImports() {
    std::map<uint64_t, std::string> slots = elf_.GotSlots();
    slots_ = slots;
    for (const Section& s : elf_.sections()) {
      if (s.name != ".plt" && s.name != ".plt.sec" && s.name != ".plt.got") continue;
      if (arch_.arch == CS_ARCH_MIPS) continue;  // MIPS calls load imports from the GOT
      ByteView b = elf_.Bytes(s);
      if (arch_.arch == CS_ARCH_ARM) {
        ArmPltStubs(s, b, slots);
        continue;
      }
      cs_insn* insn = cs_malloc(h_);
      const uint8_t* p = b.data();
      size_t n = b.size();
      uint64_t addr = s.addr;
      uint64_t page = 0;
      unsigned page_reg = 0;
      uint64_t stub = 0;
      while (n > 0 && cs_disasm_iter(h_, &p, &n, &addr, insn)) {
        if (arch_.arch == CS_ARCH_X86) {
          const cs_x86& x = insn->detail->x86;
          if (insn->id == X86_INS_JMP && x.op_count == 1 && x.operands[0].type == X86_OP_MEM &&
              x.operands[0].mem.base == X86_REG_RIP) {
            uint64_t slot = insn->address + insn->size + x.operands[0].mem.disp;
            auto it = slots.find(slot);
            if (it != slots.end()) stubs_[insn->address & ~uint64_t{15}] = it->second;
          }
        } else {
          const cs_arm64& a = insn->detail->arm64;
          if (insn->id == ARM64_INS_ADRP && a.op_count == 2) {
            page_reg = a.operands[0].reg;
            page = a.operands[1].imm;
            stub = insn->address;
          } else if (insn->id == ARM64_INS_LDR && a.op_count == 2 &&
                     a.operands[1].type == ARM64_OP_MEM && a.operands[1].mem.base == page_reg &&
                     stub != 0) {
            auto it = slots.find(page + a.operands[1].mem.disp);
            if (it != slots.end()) stubs_[stub] = it->second;
            stub = 0;
          }
        }
      }
      cs_free(insn, 1);
    }
  }

  // ARM PLT stubs as GNU ld writes them (ARM code whatever the callers are): add ip, pc,
  // #A; add ip, ip, #B; ldr pc, [ip, #C]! -- the slot is stub + 8 + A + B + C.
  void ArmPltStubs(const Section& s, ByteView b, const std::map<uint64_t, std::string>& slots) {
    auto rotated = [](uint32_t w) {
      uint32_t imm = w & 0xff, rot = 2 * ((w >> 8) & 0xf);
      return rot == 0 ? imm : (imm >> rot) | (imm << (32 - rot));
    };
    for (uint64_t at = 0; at + 12 <= b.size(); at += 4) {
      uint32_t w0 = LoadLE32(&b[at]), w1 = LoadLE32(&b[at + 4]), w2 = LoadLE32(&b[at + 8]);
      if ((w0 & 0x0ffff000) != 0x028fc000 || (w1 & 0x0ffff000) != 0x028cc000 ||
          (w2 & 0x0ffff000) != 0x05bcf000)
        continue;
      uint64_t stub = s.addr + at;
      uint64_t slot = (stub + 8 + rotated(w0) + rotated(w1) + (w2 & 0xfff)) & 0xffffffff;
      auto it = slots.find(slot);
      if (it != slots.end()) stubs_[stub] = it->second;
    }
  }

  void ReadFunctions() {
    elf_.Symbols(kShtSymtab, true, functions_);
    elf_.Symbols(kShtDynsym, true, functions_);
    std::sort(functions_.begin(), functions_.end());
  }

  // Walks every executable section linearly, tracking constant addresses in registers,
  // and follows each comparison call's equal path.
  void Scan(MagicScan& scan) {
    const auto start = std::chrono::steady_clock::now();
    uint64_t decoded_bytes = 0;
    size_t comparisons = 0;
    uint64_t instructions = 0;
    cs_insn* insn = cs_malloc(h_);
    for (const Section& s : elf_.sections()) {
      if (!(s.flags & kShfExec) || s.name.rfind(".plt", 0) == 0) continue;
      ByteView b = elf_.Bytes(s);
      const uint8_t* p = b.data();
      size_t n = b.size();
      uint64_t addr = s.addr;
      Registers regs;
      size_t undecodable = 0;
      while (n > 0) {
        if (decoded_bytes > kMagicMaxTextBytes) {
          scan.notes.push_back(fmt::format("more than {} bytes of code: the rest not analysed",
                                           kMagicMaxTextBytes));
          cs_free(insn, 1);
          return;
        }
        if ((++instructions & 0xfff) == 0 &&
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >
                kMagicSecondsPerBinary) {
          scan.notes.push_back(fmt::format("time budget of {}s spent: analysis stopped at {:#x}",
                                           kMagicSecondsPerBinary, addr));
          cs_free(insn, 1);
          return;
        }
        if (!cs_disasm_iter(h_, &p, &n, &addr, insn)) {
          // Data or an unknown encoding: skip one instruction slot and forget what we knew.
          size_t step = arch_.step;
          step = std::min(step, n);
          p += step;
          n -= step;
          addr += step;
          decoded_bytes += step;
          undecodable += step;
          regs.clear();
          continue;
        }
        decoded_bytes += insn->size;
        Effect e = Resolve(EffectOf(insn), regs);
        if (e.kind == Effect::kCall) {
          Registers at_call = regs;
          uint64_t after = DelaySlot(insn, at_call);
          std::string callee = CalleeOf(e);
          if (kCompares.count(callee) && comparisons < kMagicMaxComparisons) {
            ++comparisons;
            FollowComparison(insn->address, after, callee, at_call, scan);
          }
          for (unsigned r : arch_.caller_saved) regs.erase(r);
          continue;
        }
        if (e.kind == Effect::kReturn) regs.clear();
        Track(insn, regs);
        if (scan.hits.size() >= kMagicMaxHits) break;
      }
      // Literal pools and padding between functions do not decode; a section that mostly
      // does not is worth a note (wrong instruction set, packed or encrypted code).
      if (undecodable > 64 && undecodable > s.size / 4)
        scan.notes.push_back(fmt::format("{} of the {} bytes of {} at {:#x} do not decode as {} "
                                         "code",
                                         undecodable, s.size, s.name, s.addr, scan.machine));
    }
    cs_free(insn, 1);
  }

 private:
  Effect EffectOf(const cs_insn* insn) const {
    Effect e;
    if (arch_.arch == CS_ARCH_X86) {
      const cs_x86& x = insn->detail->x86;
      bool is_call = insn->id == X86_INS_CALL, is_jmp = insn->id == X86_INS_JMP;
      if (insn->id == X86_INS_RET) e.kind = Effect::kReturn;
      if (is_call || is_jmp) {
        e.kind = is_call ? Effect::kCall : Effect::kJump;
        if (x.op_count == 1 && x.operands[0].type == X86_OP_IMM) e.target = x.operands[0].imm;
        if (x.op_count == 1 && x.operands[0].type == X86_OP_MEM &&
            x.operands[0].mem.base == X86_REG_RIP)
          e.slot = insn->address + insn->size + x.operands[0].mem.disp;
      } else if (insn->id == X86_INS_JE || insn->id == X86_INS_JNE) {
        e.kind = Effect::kCondJump;
        e.taken_is_zero = insn->id == X86_INS_JE;
        if (x.op_count == 1 && x.operands[0].type == X86_OP_IMM) e.target = x.operands[0].imm;
      }
      return e;
    }
    if (arch_.arch == CS_ARCH_ARM) return ArmEffect(insn);
    if (arch_.arch == CS_ARCH_MIPS) return MipsEffect(insn);
    const cs_arm64& a = insn->detail->arm64;
    switch (insn->id) {
      case ARM64_INS_BL:
        e.kind = Effect::kCall;
        if (a.op_count == 1 && a.operands[0].type == ARM64_OP_IMM) e.target = a.operands[0].imm;
        break;
      case ARM64_INS_RET:
        e.kind = Effect::kReturn;
        break;
      case ARM64_INS_B:
        if (a.cc == ARM64_CC_INVALID || a.cc == ARM64_CC_AL) {
          e.kind = Effect::kJump;
        } else if (a.cc == ARM64_CC_EQ || a.cc == ARM64_CC_NE) {
          e.kind = Effect::kCondJump;
          e.taken_is_zero = a.cc == ARM64_CC_EQ;
        }
        if (a.op_count >= 1 && a.operands[a.op_count - 1].type == ARM64_OP_IMM)
          e.target = a.operands[a.op_count - 1].imm;
        break;
      case ARM64_INS_CBZ:
      case ARM64_INS_CBNZ:
        e.kind = Effect::kCondJump;
        e.taken_is_zero = insn->id == ARM64_INS_CBZ;
        e.tests_ret = a.op_count == 2 && arch_.normalise(a.operands[0].reg) == arch_.ret;
        if (a.op_count == 2 && a.operands[1].type == ARM64_OP_IMM) e.target = a.operands[1].imm;
        break;
      default:
        break;
    }
    return e;
  }

  Effect MipsEffect(const cs_insn* insn) const {
    Effect e;
    const cs_mips& m = insn->detail->mips;
    auto last_imm = [&] {
      if (m.op_count >= 1 && m.operands[m.op_count - 1].type == MIPS_OP_IMM)
        e.target = static_cast<uint32_t>(m.operands[m.op_count - 1].imm);
    };
    auto is_ret = [&](unsigned r) { return r == MIPS_REG_V0; };
    switch (insn->id) {
      case MIPS_INS_JAL:
      case MIPS_INS_BAL:
        e.kind = Effect::kCall;
        last_imm();
        break;
      case MIPS_INS_JALR:
        e.kind = Effect::kCall;
        if (m.op_count >= 1 && m.operands[m.op_count - 1].type == MIPS_OP_REG)
          e.reg = m.operands[m.op_count - 1].reg;
        break;
      case MIPS_INS_JR:
        if (m.op_count == 1 && m.operands[0].reg == MIPS_REG_RA) {
          e.kind = Effect::kReturn;
        } else if (m.op_count == 1) {
          e.kind = Effect::kJump;  // a tail call through t9
          e.reg = m.operands[0].reg;
        }
        break;
      case MIPS_INS_J:
      case MIPS_INS_B:
        e.kind = Effect::kJump;
        last_imm();
        break;
      case MIPS_INS_BEQZ:
      case MIPS_INS_BNEZ:
        e.kind = Effect::kCondJump;
        e.taken_is_zero = insn->id == MIPS_INS_BEQZ;
        e.tests_ret = m.op_count == 2 && is_ret(m.operands[0].reg);
        last_imm();
        break;
      case MIPS_INS_BEQ:
      case MIPS_INS_BNE:
        if (m.op_count == 3 && m.operands[0].type == MIPS_OP_REG &&
            m.operands[1].type == MIPS_OP_REG) {
          e.kind = Effect::kCondJump;
          e.taken_is_zero = insn->id == MIPS_INS_BEQ;
          e.tests_ret = (is_ret(m.operands[0].reg) && m.operands[1].reg == MIPS_REG_ZERO) ||
                        (is_ret(m.operands[1].reg) && m.operands[0].reg == MIPS_REG_ZERO);
          last_imm();
        }
        break;
      default:
        break;
    }
    return e;
  }

  // The GOT slot an indirect call's register was loaded from (MIPS), or the effect as is.
  Effect Resolve(Effect e, const Registers& regs) const {
    if (e.reg != 0) {
      auto it = regs.find(e.reg);
      if (it != regs.end() && (it->second & kGotSlotTag)) e.slot = it->second & ~kGotSlotTag;
    }
    return e;
  }

  // MIPS runs the instruction after a branch or call first (its delay slot): its effect on
  // the registers is applied before the branch is judged. Returns the instruction after it.
  uint64_t DelaySlot(const cs_insn* branch, Registers& regs) {
    uint64_t next = branch->address + branch->size;
    if (!arch_.delay_slot) return next;
    if (const cs_insn* slot = code_.At(next)) Track(slot, regs);
    return next + 4;
  }

  Effect ArmEffect(const cs_insn* insn) const {
    Effect e;
    const cs_arm& a = insn->detail->arm;
    auto imm_target = [&] {
      if (a.op_count >= 1 && a.operands[a.op_count - 1].type == ARM_OP_IMM)
        e.target = static_cast<uint32_t>(a.operands[a.op_count - 1].imm);
    };
    bool unconditional = a.cc == ARM_CC_AL || a.cc == ARM_CC_INVALID;
    switch (insn->id) {
      case ARM_INS_BL:
      case ARM_INS_BLX:
        e.kind = Effect::kCall;
        imm_target();
        return e;
      case ARM_INS_B:
        if (unconditional) {
          e.kind = Effect::kJump;
        } else if (a.cc == ARM_CC_EQ || a.cc == ARM_CC_NE) {
          e.kind = Effect::kCondJump;
          e.taken_is_zero = a.cc == ARM_CC_EQ;
        } else {
          return e;
        }
        imm_target();
        return e;
      case ARM_INS_CBZ:
      case ARM_INS_CBNZ:
        e.kind = Effect::kCondJump;
        e.taken_is_zero = insn->id == ARM_INS_CBZ;
        e.tests_ret = a.op_count == 2 && a.operands[0].type == ARM_OP_REG &&
                      a.operands[0].reg == ARM_REG_R0;
        imm_target();
        return e;
      case ARM_INS_BX:
        if (unconditional && a.op_count == 1 && a.operands[0].reg == ARM_REG_LR)
          e.kind = Effect::kReturn;
        return e;
      case ARM_INS_POP:
      case ARM_INS_LDM:
        for (uint8_t i = 0; i < a.op_count; ++i)
          if (unconditional && a.operands[i].type == ARM_OP_REG && a.operands[i].reg == ARM_REG_PC)
            e.kind = Effect::kReturn;
        return e;
      default:
        return e;
    }
  }

  // The import a call or jump reaches (through a PLT stub or a GOT slot), or "".
  std::string CalleeOf(const Effect& e) const {
    if (e.target != 0) {
      auto it = stubs_.find(e.target);
      if (it != stubs_.end()) return it->second;
    }
    if (e.slot != 0) {
      auto it = slots_.find(e.slot);
      if (it != slots_.end()) return it->second;
    }
    return {};
  }

  // Constant addresses put into registers (lea/mov imm on x86-64, adrp/add/mov on AArch64);
  // any other write forgets the register.
  void Track(const cs_insn* insn, Registers& regs) const {
    std::optional<std::pair<unsigned, uint64_t>> set;
    std::optional<std::pair<unsigned, unsigned>> copy;
    if (arch_.arch == CS_ARCH_X86) {
      const cs_x86& x = insn->detail->x86;
      if (insn->id == X86_INS_LEA && x.op_count == 2 && x.operands[1].mem.base == X86_REG_RIP &&
          x.operands[1].mem.index == X86_REG_INVALID)
        set = {{arch_.normalise(x.operands[0].reg),
                insn->address + insn->size + x.operands[1].mem.disp}};
      else if (insn->id == X86_INS_MOV && x.op_count == 2 && x.operands[0].type == X86_OP_REG &&
               x.operands[1].type == X86_OP_IMM)
        set = {{arch_.normalise(x.operands[0].reg), static_cast<uint64_t>(x.operands[1].imm)}};
      else if (insn->id == X86_INS_MOV && x.op_count == 2 && x.operands[0].type == X86_OP_REG &&
               x.operands[1].type == X86_OP_REG && x.operands[0].size == 8)
        copy = {{arch_.normalise(x.operands[0].reg), arch_.normalise(x.operands[1].reg)}};
    } else if (arch_.arch == CS_ARCH_ARM) {
      TrackArm(insn, regs);
      return;
    } else if (arch_.arch == CS_ARCH_MIPS) {
      TrackMips(insn, regs);
      return;
    } else {
      const cs_arm64& a = insn->detail->arm64;
      if (insn->id == ARM64_INS_ADRP && a.op_count == 2)
        set = {{arch_.normalise(a.operands[0].reg), static_cast<uint64_t>(a.operands[1].imm)}};
      else if (insn->id == ARM64_INS_ADD && a.op_count == 3 && a.operands[2].type == ARM64_OP_IMM &&
               a.operands[1].type == ARM64_OP_REG) {
        auto it = regs.find(arch_.normalise(a.operands[1].reg));
        if (it != regs.end())
          set = {{arch_.normalise(a.operands[0].reg),
                  it->second + (static_cast<uint64_t>(a.operands[2].imm) << a.operands[2].shift.value)}};
      } else if (insn->id == ARM64_INS_MOV && a.op_count == 2 && a.operands[1].type == ARM64_OP_REG)
        copy = {{arch_.normalise(a.operands[0].reg), arch_.normalise(a.operands[1].reg)}};
    }
    cs_regs read, written;
    uint8_t nread = 0, nwritten = 0;
    if (cs_regs_access(h_, insn, read, &nread, written, &nwritten) == CS_ERR_OK) {
      for (uint8_t i = 0; i < nwritten; ++i) regs.erase(arch_.normalise(written[i]));
    }
    if (set) regs[set->first] = set->second;
    if (copy) {
      auto it = regs.find(copy->second);
      if (it != regs.end()) regs[copy->first] = it->second;
    }
  }

  // ARM and Thumb: literal-pool loads (ldr rX, [pc, #d]), their PIC fix-up (add rX, pc),
  // movw/movt pairs and register copies; any other register written is forgotten.
  void TrackArm(const cs_insn* insn, Registers& regs) const {
    const cs_arm& a = insn->detail->arm;
    const uint64_t pc = insn->address + (arch_.mode == CS_MODE_THUMB ? 4 : 8);
    auto known = [&](unsigned r) -> std::optional<uint64_t> {
      auto it = regs.find(r);
      return it == regs.end() ? std::nullopt : std::optional(it->second);
    };
    std::optional<std::pair<unsigned, uint64_t>> set;
    bool conditional = a.cc != ARM_CC_AL && a.cc != ARM_CC_INVALID;
    if (a.op_count >= 2 && a.operands[0].type == ARM_OP_REG && !conditional) {
      unsigned rd = a.operands[0].reg;
      const cs_arm_op& o1 = a.operands[1];
      if (insn->id == ARM_INS_LDR && a.op_count == 2 && o1.type == ARM_OP_MEM &&
          o1.mem.base == ARM_REG_PC && o1.mem.index == ARM_REG_INVALID) {
        int64_t disp = o1.subtracted ? -int64_t{o1.mem.disp} : o1.mem.disp;
        if (auto w = elf_.Word32At((pc & ~uint64_t{3}) + disp)) set = {{rd, *w}};
      } else if (insn->id == ARM_INS_ADD && a.op_count == 2 && o1.type == ARM_OP_REG &&
                 o1.reg == ARM_REG_PC) {
        if (auto v = known(rd)) set = {{rd, (*v + pc) & 0xffffffff}};
      } else if (insn->id == ARM_INS_ADD && a.op_count == 3 && o1.type == ARM_OP_REG &&
                 a.operands[2].type == ARM_OP_REG &&
                 (o1.reg == ARM_REG_PC || a.operands[2].reg == ARM_REG_PC)) {
        unsigned other = o1.reg == ARM_REG_PC ? a.operands[2].reg : o1.reg;
        if (auto v = known(other)) set = {{rd, (*v + pc) & 0xffffffff}};
      } else if (insn->id == ARM_INS_MOVW && o1.type == ARM_OP_IMM) {
        set = {{rd, static_cast<uint32_t>(o1.imm) & 0xffff}};
      } else if (insn->id == ARM_INS_MOVT && o1.type == ARM_OP_IMM) {
        if (auto v = known(rd)) set = {{rd, (*v & 0xffff) | (uint64_t(o1.imm & 0xffff) << 16)}};
      } else if (insn->id == ARM_INS_MOV && a.op_count == 2 && o1.type == ARM_OP_REG) {
        if (auto v = known(o1.reg)) set = {{rd, *v}};
      }
    }
    for (uint8_t i = 0; i < a.op_count; ++i) {
      if (a.operands[i].type == ARM_OP_REG && (a.operands[i].access & CS_AC_WRITE))
        regs.erase(a.operands[i].reg);
    }
    for (uint8_t i = 0; i < insn->detail->regs_write_count; ++i)
      regs.erase(insn->detail->regs_write[i]);
    if (set) regs[set->first] = set->second;
  }

  // MIPS: gp is the GOT + 0x7ff0 throughout (one GOT per object); lw from it gives a local
  // entry's content (a page address) or marks an import; lui/addiu/move build addresses.
  // The first operand of any other instruction is forgotten (conservative for stores).
  void TrackMips(const cs_insn* insn, Registers& regs) const {
    const cs_mips& m = insn->detail->mips;
    if (m.op_count == 0 || m.operands[0].type != MIPS_OP_REG) return;
    unsigned rd = m.operands[0].reg;
    if (rd == MIPS_REG_GP || rd == MIPS_REG_ZERO) return;
    auto known = [&](unsigned r) -> std::optional<uint64_t> {
      if (r == MIPS_REG_GP && elf_.mips_gp() != 0) return elf_.mips_gp();
      auto it = regs.find(r);
      if (it == regs.end() || (it->second & kGotSlotTag)) return std::nullopt;
      return it->second;
    };
    std::optional<uint64_t> value;
    if (insn->id == MIPS_INS_LUI && m.op_count == 2 && m.operands[1].type == MIPS_OP_IMM) {
      value = (static_cast<uint64_t>(m.operands[1].imm) & 0xffff) << 16;
    } else if (insn->id == MIPS_INS_ADDIU && m.op_count == 3 && m.operands[1].type == MIPS_OP_REG &&
               m.operands[2].type == MIPS_OP_IMM) {
      if (auto v = known(m.operands[1].reg))
        value = (*v + static_cast<uint64_t>(static_cast<int16_t>(m.operands[2].imm))) & 0xffffffff;
    } else if (insn->id == MIPS_INS_MOVE && m.op_count == 2 && m.operands[1].type == MIPS_OP_REG) {
      auto it = regs.find(m.operands[1].reg);
      if (it != regs.end()) value = it->second;
    } else if (insn->id == MIPS_INS_LW && m.op_count == 2 && m.operands[1].type == MIPS_OP_MEM &&
               m.operands[1].mem.base == MIPS_REG_GP && elf_.mips_gp() != 0) {
      uint64_t slot = (elf_.mips_gp() + m.operands[1].mem.disp) & 0xffffffff;
      if (slots_.count(slot)) {
        value = slot | kGotSlotTag;
      } else {
        value = elf_.Word32At(slot);
      }
    }
    if (value) {
      regs[rd] = *value;
    } else {
      regs.erase(rd);
    }
  }

  // After a comparison call: the test of its result, then the equal path.
  void FollowComparison(uint64_t call, uint64_t next, const std::string& callee,
                        const Registers& regs, MagicScan& scan) {
    code_.Forget();
    std::optional<std::string> c0, c1;
    if (auto it = regs.find(arch_.arg0); it != regs.end()) c0 = elf_.ConstantString(it->second);
    if (auto it = regs.find(arch_.arg1); it != regs.end()) c1 = elf_.ConstantString(it->second);
    if (c0.has_value() == c1.has_value()) return;  // two variables, or two constants
    const std::string& constant = c0 ? *c0 : *c1;

    // The result's test: within a few instructions, a conditional jump on the return
    // register being zero (x86 test/cmp then je/jne; AArch64 cbz/cbnz or cmp then b.eq/ne).
    uint64_t at = next;
    bool compared = false;
    for (int i = 0; i < 6; ++i) {
      const cs_insn* insn = code_.At(at);
      if (insn == nullptr) return;
      Effect e = EffectOf(insn);
      if (e.kind == Effect::kCondJump && (e.tests_ret || compared) && e.target != 0) {
        Registers ignored;
        uint64_t fall = DelaySlot(insn, ignored);
        uint64_t equal = e.taken_is_zero ? e.target : fall;
        Registers after = regs;
        for (unsigned r : arch_.caller_saved) after.erase(r);
        ExploreEqualPath(call, callee, constant, equal, after, scan);
        return;
      }
      if (e.kind != Effect::kNone) return;
      compared = TestsReturnAgainstZero(insn);
      if (!compared && WritesReturn(insn)) return;
      at = insn->address + insn->size;
    }
  }

  bool TestsReturnAgainstZero(const cs_insn* insn) const {
    if (arch_.arch == CS_ARCH_X86) {
      const cs_x86& x = insn->detail->x86;
      if (insn->id == X86_INS_TEST && x.op_count == 2 && x.operands[0].type == X86_OP_REG &&
          x.operands[1].type == X86_OP_REG)
        return arch_.normalise(x.operands[0].reg) == arch_.ret &&
               arch_.normalise(x.operands[1].reg) == arch_.ret;
      if (insn->id == X86_INS_CMP && x.op_count == 2 && x.operands[0].type == X86_OP_REG &&
          x.operands[1].type == X86_OP_IMM)
        return arch_.normalise(x.operands[0].reg) == arch_.ret && x.operands[1].imm == 0;
      return false;
    }
    if (arch_.arch == CS_ARCH_ARM) {
      const cs_arm& a = insn->detail->arm;
      return insn->id == ARM_INS_CMP && a.op_count == 2 && a.operands[0].type == ARM_OP_REG &&
             a.operands[0].reg == ARM_REG_R0 && a.operands[1].type == ARM_OP_IMM &&
             a.operands[1].imm == 0;
    }
    const cs_arm64& a = insn->detail->arm64;
    return (insn->id == ARM64_INS_CMP || insn->id == ARM64_INS_TST) && a.op_count == 2 &&
           a.operands[0].type == ARM64_OP_REG && arch_.normalise(a.operands[0].reg) == arch_.ret &&
           a.operands[1].type == ARM64_OP_IMM && a.operands[1].imm == 0;
  }

  bool WritesReturn(const cs_insn* insn) const {
    if (arch_.arch == CS_ARCH_MIPS) {
      const cs_mips& m = insn->detail->mips;
      return m.op_count > 0 && m.operands[0].type == MIPS_OP_REG &&
             m.operands[0].reg == MIPS_REG_V0;
    }
    cs_regs read, written;
    uint8_t nread = 0, nwritten = 0;
    if (cs_regs_access(h_, insn, read, &nread, written, &nwritten) != CS_ERR_OK) return true;
    for (uint8_t i = 0; i < nwritten; ++i)
      if (arch_.normalise(written[i]) == arch_.ret) return true;
    return false;
  }

  // Bounded walk of the code reached when the comparison said "equal": both sides of later
  // branches, through unconditional jumps, never into called functions.
  void ExploreEqualPath(uint64_t call, const std::string& callee, const std::string& constant,
                        uint64_t start, const Registers& regs, MagicScan& scan) {
    std::vector<std::pair<uint64_t, Registers>> work = {{start, regs}};
    std::set<uint64_t> seen;
    size_t budget = kMagicPathInstructions;
    while (!work.empty() && budget > 0) {
      auto [at, state] = std::move(work.back());
      work.pop_back();
      while (budget-- > 0 && seen.insert(at).second) {
        const cs_insn* insn = code_.At(at);
        if (insn == nullptr) break;
        Effect e = Resolve(EffectOf(insn), state);
        uint64_t next = insn->address + insn->size;
        if (e.kind != Effect::kNone && e.kind != Effect::kReturn) next = DelaySlot(insn, state);
        if (e.kind == Effect::kCall || e.kind == Effect::kJump) {
          std::string target = CalleeOf(e);
          if (kShellCalls.count(target)) {
            auto arg = state.find(arch_.arg0);
            std::optional<std::string> s =
                arg == state.end() ? std::nullopt : elf_.ConstantString(arg->second);
            if (s && GrantsShell(*s)) {
              Record(call, callee, constant, insn->address, target, *s, scan);
              return;
            }
          }
          if (e.kind == Effect::kJump) {
            if (!target.empty() || e.target == 0) break;  // a tail call or an indirect jump
            at = e.target;
            continue;
          }
          for (unsigned r : arch_.caller_saved) state.erase(r);
          at = next;
          continue;
        }
        if (e.kind == Effect::kReturn) break;
        if (e.kind == Effect::kCondJump && e.target != 0) work.emplace_back(e.target, state);
        Track(insn, state);
        at = next;
      }
    }
  }

  void Record(uint64_t call, const std::string& callee, const std::string& constant,
              uint64_t guarded, const std::string& target, const std::string& argument,
              MagicScan& scan) {
    MagicHit h;
    auto it = std::upper_bound(functions_.begin(), functions_.end(),
                               std::pair<uint64_t, std::string>{call, "\xff"});
    if (it != functions_.begin()) {
      --it;
      h.function = it->first;
      h.function_name = it->second;
    }
    h.compare_address = call;
    h.compare_offset = elf_.FileOffset(call).value_or(0);
    h.compare = callee;
    h.constant = constant;
    h.guarded_address = guarded;
    h.guarded = target;
    h.guarded_argument = argument;
    for (const MagicHit& old : scan.hits)
      if (old.compare_address == call) return;
    scan.hits.push_back(std::move(h));
  }

  const Elf& elf_;
  const Arch& arch_;
  csh h_;
  Code code_;
  std::map<uint64_t, std::string> stubs_;  // PLT stub -> import
  std::map<uint64_t, std::string> slots_;  // GOT slot -> import
  std::vector<std::pair<uint64_t, std::string>> functions_;
};

}  // namespace

bool GrantsShell(std::string_view arg) {
  static const std::vector<std::string_view> kShells = {"/bin/sh", "/bin/ash", "/bin/bash",
                                                        "/bin/busybox", "sh", "ash", "bash"};
  for (std::string_view s : kShells) {
    if (arg == s) return true;
    // "/bin/sh -i", "sh -i": an interactive shell (not "sh /etc/init.d/rcS").
    if (arg.size() > s.size() + 1 && arg.substr(0, s.size()) == s && arg[s.size()] == ' ' &&
        arg.substr(s.size() + 1, 2) == "-i")
      return true;
  }
  // A listener that hands out a shell: telnetd -l /bin/sh, nc -l -e /bin/sh, socat exec:sh.
  static const std::vector<std::string_view> kListeners = {"telnetd", "nc ", "netcat", "socat",
                                                           "dropbear"};
  bool listener = false;
  for (std::string_view l : kListeners) listener |= arg.find(l) != std::string_view::npos;
  if (!listener) return false;
  for (std::string_view s : {"/bin/sh", "/bin/ash", "/bin/bash", "exec:sh", "-B", "-l /bin/login"})
    if (arg.find(s) != std::string_view::npos) return true;
  // "telnetd -p 2323" without -l still gives a login prompt on a port nobody declared.
  return arg.find("telnetd") != std::string_view::npos;
}

MagicScan ScanForMagicPasswords(ByteView bytes) {
  MagicScan scan;
  Elf elf(bytes);
  if (auto error = elf.Read()) {
    scan.notes.push_back(*error + ": not analysed for magic passwords");
    return scan;
  }
  const Arch* arch = ArchFor(elf.machine(), elf.entry(), elf.big_endian());
  if (arch == nullptr) {
    scan.machine = std::to_string(elf.machine());
    scan.notes.push_back(fmt::format("machine {} is not disassembled for magic passwords",
                                     elf.machine()));
    return scan;
  }
  scan.machine = arch->arch == CS_ARCH_X86     ? "x86-64"
                 : arch->arch == CS_ARCH_ARM64 ? "AArch64"
                 : arch->arch == CS_ARCH_MIPS  ? (elf.big_endian() ? "MIPS" : "MIPS (little-endian)")
                 : arch->mode == CS_MODE_THUMB ? "ARM (Thumb)"
                                               : "ARM";
  Disassembler d(arch->arch, arch->mode);
  if (!d.ok) {
    scan.notes.push_back("Capstone could not open a disassembler for " + scan.machine);
    return scan;
  }
  Analyser analyser(elf, *arch, d.handle);
  analyser.ResolveImports();
  analyser.ReadFunctions();
  analyser.Scan(scan);
  return scan;
}

}  // namespace clearbox::audit::internal
