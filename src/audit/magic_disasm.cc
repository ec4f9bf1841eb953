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

constexpr uint16_t kEmX8664 = 62, kEmAarch64 = 183;
constexpr uint32_t kShtSymtab = 2, kShtRela = 4, kShtNobits = 8, kShtDynsym = 11;
constexpr uint64_t kShfAlloc = 2, kShfExec = 4;
constexpr size_t kMaxSections = 4096, kMaxSymbols = 1 << 20, kMaxRelocations = 1 << 20;

struct Section {
  std::string name;
  uint32_t type = 0, link = 0;
  uint64_t flags = 0, addr = 0, offset = 0, size = 0, entsize = 0;
};

// A little-endian 64-bit ELF (the two machines supported) read without trusting it.
class Elf {
 public:
  explicit Elf(ByteView data) : data_(data) {}

  std::optional<std::string> Read() {
    if (data_.size() < 64 || data_[4] != 2 || data_[5] != 1)
      return "not a little-endian 64-bit ELF";
    machine_ = U16(18);
    uint64_t shoff = U64(40);
    uint16_t shentsize = U16(58), shnum = U16(60), shstrndx = U16(62);
    if (shoff == 0 || shnum == 0) return "no section headers (stripped with sstrip?)";
    if (shentsize < 64 || shnum > kMaxSections || !FitsIn(data_, shoff, uint64_t{shnum} * shentsize))
      return fmt::format("section header table at {:#x} ({} entries) ends past the file", shoff,
                         shnum);
    for (uint16_t i = 0; i < shnum; ++i) {
      uint64_t p = shoff + uint64_t{i} * shentsize;
      Section s;
      s.name = std::to_string(U32(p));  // the offset until names are read
      s.type = U32(p + 4);
      s.flags = U64(p + 8);
      s.addr = U64(p + 16);
      s.offset = U64(p + 24);
      s.size = U64(p + 32);
      s.link = U32(p + 40);
      s.entsize = U64(p + 56);
      if (s.type != kShtNobits && !FitsIn(data_, s.offset, s.size)) s.size = 0;  // unusable
      sections_.push_back(std::move(s));
    }
    ByteView names = shstrndx < sections_.size() ? Bytes(sections_[shstrndx]) : ByteView{};
    for (Section& s : sections_) s.name = CString(names, std::stoull(s.name));
    return std::nullopt;
  }

  uint16_t machine() const { return machine_; }
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
      for (uint64_t p = 0; p + 24 <= table.size() && p / 24 < kMaxSymbols; p += 24) {
        std::string name = CString(strings, LoadLE32(&table[p]));
        uint8_t kind = table[p + 4] & 0xf;
        uint64_t value = LoadLE64(&table[p + 8]);
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
      if (s.type != kShtRela) continue;
      ByteView table = Bytes(s);
      for (uint64_t p = 0; p + 24 <= table.size() && p / 24 < kMaxRelocations; p += 24) {
        uint64_t where = LoadLE64(&table[p]);
        uint64_t sym = LoadLE64(&table[p + 8]) >> 32;
        if (sym != 0 && sym < dynsym.size() && !dynsym[sym].empty()) slots[where] = dynsym[sym];
      }
    }
    return slots;
  }

 private:
  uint16_t U16(uint64_t o) const { return LoadLE16(&data_[o]); }
  uint32_t U32(uint64_t o) const { return LoadLE32(&data_[o]); }
  uint64_t U64(uint64_t o) const { return LoadLE64(&data_[o]); }
  ByteView data_;
  uint16_t machine_ = 0;
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
  // Normalised register of an operand's register (sub-registers to the full one).
  unsigned (*normalise)(unsigned reg);
  unsigned arg0, arg1, ret;
  std::vector<unsigned> caller_saved;
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

const Arch* ArchFor(uint16_t machine) {
  static const Arch kX86{CS_ARCH_X86, CS_MODE_64, 15, NormaliseX86, X86_REG_RDI, X86_REG_RSI,
                         X86_REG_RAX,
                         {X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RSI, X86_REG_RDI,
                          X86_REG_R8, X86_REG_R9, X86_REG_R10, X86_REG_R11}};
  static const Arch kArm64 = [] {
    Arch a{CS_ARCH_ARM64, CS_MODE_ARM, 4, NormaliseArm64, ARM64_REG_X0, ARM64_REG_X1,
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

  // The instruction at `addr`, or nullptr when it is outside the code or undecodable.
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
    if (cache_.size() > 1 << 16) cache_.clear();
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
};

class Analyser {
 public:
  Analyser(const Elf& elf, const Arch& arch, csh h) : elf_(elf), arch_(arch), h_(h), code_(elf, arch, h) {}

  void ResolveImports() {
    std::map<uint64_t, std::string> slots = elf_.GotSlots();
    slots_ = slots;
    for (const Section& s : elf_.sections()) {
      if (s.name != ".plt" && s.name != ".plt.sec" && s.name != ".plt.got") continue;
      ByteView b = elf_.Bytes(s);
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
        if ((decoded_bytes & 0xffff) == 0 &&
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >
                kMagicSecondsPerBinary) {
          scan.notes.push_back(fmt::format("time budget of {}s spent: analysis stopped at {:#x}",
                                           kMagicSecondsPerBinary, addr));
          cs_free(insn, 1);
          return;
        }
        if (!cs_disasm_iter(h_, &p, &n, &addr, insn)) {
          // Data or an unknown encoding: skip one instruction slot and forget what we knew.
          size_t step = arch_.arch == CS_ARCH_ARM64 ? 4 : 1;
          step = std::min(step, n);
          p += step;
          n -= step;
          addr += step;
          decoded_bytes += step;
          ++undecodable;
          regs.clear();
          continue;
        }
        decoded_bytes += insn->size;
        Effect e = EffectOf(insn);
        if (e.kind == Effect::kCall) {
          std::string callee = CalleeOf(e);
          if (kCompares.count(callee) && comparisons < kMagicMaxComparisons) {
            ++comparisons;
            FollowComparison(insn->address, insn->address + insn->size, callee, regs, scan);
          }
          for (unsigned r : arch_.caller_saved) regs.erase(r);
          continue;
        }
        if (e.kind == Effect::kReturn) regs.clear();
        Track(insn, regs);
        if (scan.hits.size() >= kMagicMaxHits) break;
      }
      if (undecodable > 0)
        scan.notes.push_back(fmt::format("{} undecodable byte run(s) in {} ({:#x}, {} bytes)",
                                         undecodable, s.name, s.addr, s.size));
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

  // After a comparison call: the test of its result, then the equal path.
  void FollowComparison(uint64_t call, uint64_t next, const std::string& callee,
                        const Registers& regs, MagicScan& scan) {
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
        uint64_t fall = insn->address + insn->size;
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
    const cs_arm64& a = insn->detail->arm64;
    return (insn->id == ARM64_INS_CMP || insn->id == ARM64_INS_TST) && a.op_count == 2 &&
           a.operands[0].type == ARM64_OP_REG && arch_.normalise(a.operands[0].reg) == arch_.ret &&
           a.operands[1].type == ARM64_OP_IMM && a.operands[1].imm == 0;
  }

  bool WritesReturn(const cs_insn* insn) const {
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
        Effect e = EffectOf(insn);
        uint64_t next = insn->address + insn->size;
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
  const Arch* arch = ArchFor(elf.machine());
  if (arch == nullptr) {
    scan.machine = std::to_string(elf.machine());
    scan.notes.push_back(fmt::format("machine {} is not disassembled for magic passwords",
                                     elf.machine()));
    return scan;
  }
  scan.machine = arch->arch == CS_ARCH_X86 ? "x86-64" : "AArch64";
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
