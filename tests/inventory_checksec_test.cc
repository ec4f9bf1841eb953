// clearbox's ELF hardening facts against Debian's checksec 2.6.0, file by file.
//
// tests/images/build-elf-samples.sh builds (or reuses, cached) cross-compiled samples for
// five architectures and extracts real Debian ELFs; for every ELF in it this test runs
// `checksec --output=json --file=PATH` and asserts that ParseElf() gives the same word for
// every field checksec prints. It also checks interpreter, DT_NEEDED, SONAME, RPATH and
// RUNPATH against readelf's own text for every file.
//
// One of checksec's rules depends on the host: its FORTIFY counts compare a binary's
// dynamic symbols with the __*_chk functions the *host's* libc exports. clearbox carries
// Debian 12's list (FortifiedLibcFunctions) so that its answer does not depend on where it
// runs; the first test derives the list from the host libc exactly as checksec does and
// asserts the two are equal, so a host on which they differ fails loudly there, not as 300
// puzzling count mismatches.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "clearbox/inventory/elf.h"

namespace clearbox::inventory {
namespace {

const std::string kSamples = std::string(CLEARBOX_BINARY_DIR) + "/test-images/elf";

// Runs a shell command and returns its standard output.
std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  pclose(pipe);
  return out;
}

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

Bytes ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

class ElfSamples : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string script = std::string(CLEARBOX_SOURCE_DIR) + "/tests/images/build-elf-samples.sh";
    // One builder at a time: tests/inventory_images_test.sh builds the same samples.
    int rc = std::system(
        ("flock " + Quote(kSamples + ".lock") + " bash " + Quote(script) + " " + Quote(kSamples))
            .c_str());
    ASSERT_EQ(rc, 0) << script << " failed";
    std::ifstream list(kSamples + "/list");
    for (std::string line; std::getline(list, line);)
      if (!line.empty()) files_.push_back(line);
  }
  static std::vector<std::string> files_;
};
std::vector<std::string> ElfSamples::files_;

TEST(FortifyList, MatchesTheHostLibcAsChecksecReadsIt) {
  // checksec's own lines: the first libc.so.6 it finds, then
  // readelf -s $FS_libc | sed -ne 's/.*__\(.*_chk\)@@.*/\1/p'
  std::string libc;
  for (const char* p : {"/lib/libc.so.6", "/lib/libc.so.7", "/lib/libc.so", "/lib64/libc.so.6",
                        "/lib/i386-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6",
                        "/lib/arm-linux-gnueabihf/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6"}) {
    if (std::ifstream(p).good()) {
      libc = p;
      break;
    }
  }
  ASSERT_FALSE(libc.empty()) << "no host libc where checksec looks";
  std::string out = RunCommand("LC_ALL=C readelf -W -s " + libc +
                               " 2>/dev/null | sed -ne 's/.*__\\(.*_chk\\)@@.*/\\1/p' | sort -u");
  std::set<std::string> host;
  std::istringstream lines(out);
  for (std::string l; std::getline(lines, l);) host.insert(l);
  std::set<std::string> ours(FortifiedLibcFunctions().begin(), FortifiedLibcFunctions().end());
  EXPECT_EQ(ours, host) << "the host libc (" << libc << ") exports another set of __*_chk "
                        << "functions than Debian 12's glibc 2.36: checksec's FORTIFY counts "
                        << "on this host will differ from clearbox's";
}

TEST_F(ElfSamples, EveryFieldAgreesWithChecksec) {
  ASSERT_GT(files_.size(), 100u) << "too few samples in " << kSamples;
  // checksec takes ~0.25 s a file (a dozen readelf runs); two at a time, as the machine has.
  auto checksec = [](const std::string& rel) {
    return RunCommand("cd " + Quote(kSamples) + " && checksec --output=json --file=" + Quote(rel) +
                      " 2>/dev/null");
  };
  std::vector<std::future<std::string>> pending;
  std::vector<std::string> outputs(files_.size());
  for (size_t i = 0; i < files_.size(); i += 2) {
    auto a = std::async(std::launch::async, checksec, files_[i]);
    if (i + 1 < files_.size()) outputs[i + 1] = checksec(files_[i + 1]);
    outputs[i] = a.get();
  }

  static const char* kFields[] = {"relro",     "canary",      "nx",      "pie",
                                  "rpath",     "runpath",     "symbols", "fortify_source",
                                  "fortified", "fortify-able"};
  size_t files = 0, fields = 0, mismatches = 0;
  std::map<std::string, int> by_field;
  for (size_t i = 0; i < files_.size(); ++i) {
    const std::string& rel = files_[i];
    nlohmann::json cs = nlohmann::json::parse(outputs[i], nullptr, false);
    ASSERT_FALSE(cs.is_discarded()) << rel << ": checksec printed no JSON: " << outputs[i];
    ASSERT_TRUE(cs.contains(rel)) << rel << ": " << outputs[i];
    const nlohmann::json& theirs = cs[rel];
    Bytes bytes = ReadFile(kSamples + "/" + rel);
    Result<ElfInfo> elf = ParseElf(bytes);
    ASSERT_TRUE(elf.ok()) << rel << ": " << elf.error().ToString();
    nlohmann::json ours = ChecksecJson(elf->hardening);
    ++files;
    for (const char* field : kFields) {
      ASSERT_TRUE(theirs.contains(field)) << rel << ": checksec printed no " << field;
      ++fields;
      if (ours[field] != theirs[field]) {
        ++mismatches;
        ++by_field[field];
        ADD_FAILURE() << rel << ": field " << field << ": checksec says " << theirs[field]
                      << ", clearbox says " << ours[field];
      }
    }
  }
  std::printf("[ checksec ] %zu files, %zu fields compared, %zu mismatches\n", files, fields,
              mismatches);
  for (const auto& [field, n] : by_field) std::printf("  %s: %d\n", field.c_str(), n);
}

// Interpreter, DT_NEEDED, SONAME, RPATH, RUNPATH against readelf's text.
TEST_F(ElfSamples, LoaderFactsAgreeWithReadelf) {
  size_t compared = 0, with_needed = 0;
  for (const std::string& rel : files_) {
    std::string path = kSamples + "/" + rel;
    std::string dyn = RunCommand("LC_ALL=C readelf -W -d " + Quote(path) + " 2>/dev/null");
    std::string seg = RunCommand("LC_ALL=C readelf -W -l " + Quote(path) + " 2>/dev/null");
    std::vector<std::string> needed;
    std::string soname, rpath, runpath, interp;
    auto bracket = [](const std::string& line) {
      size_t a = line.find('[');
      size_t b = line.rfind(']');
      return a == std::string::npos || b == std::string::npos || b < a
                 ? std::string()
                 : line.substr(a + 1, b - a - 1);
    };
    std::istringstream dl(dyn);
    for (std::string line; std::getline(dl, line);) {
      if (line.find("(NEEDED)") != std::string::npos) needed.push_back(bracket(line));
      if (line.find("(SONAME)") != std::string::npos && soname.empty()) soname = bracket(line);
      if (line.find("(RPATH)") != std::string::npos && rpath.empty()) rpath = bracket(line);
      if (line.find("(RUNPATH)") != std::string::npos && runpath.empty()) runpath = bracket(line);
    }
    std::istringstream sl(seg);
    for (std::string line; std::getline(sl, line);) {
      const std::string key = "[Requesting program interpreter: ";
      size_t at = line.find(key);
      if (at != std::string::npos && interp.empty()) {
        interp = line.substr(at + key.size());
        interp = interp.substr(0, interp.rfind(']'));
      }
    }
    Bytes bytes = ReadFile(path);
    Result<ElfInfo> elf = ParseElf(bytes);
    ASSERT_TRUE(elf.ok()) << rel;
    EXPECT_EQ(elf->needed, needed) << rel;
    EXPECT_EQ(elf->soname, soname) << rel;
    EXPECT_EQ(elf->rpath, rpath) << rel;
    EXPECT_EQ(elf->runpath, runpath) << rel;
    EXPECT_EQ(elf->interpreter, interp) << rel;
    EXPECT_EQ(elf->static_linked, interp.empty() && seg.find("DYNAMIC") == std::string::npos)
        << rel;
    ++compared;
    if (!needed.empty()) ++with_needed;
  }
  std::printf("[ readelf ] %zu files compared (%zu with DT_NEEDED)\n", compared, with_needed);
}

// Facts the samples were built to have, whatever checksec says.
TEST_F(ElfSamples, BuiltSamplesHaveTheirIntendedFacts) {
  struct Arch {
    const char* dir;
    uint16_t machine;
    int elf_class;
    bool big_endian;
  };
  for (const Arch& a :
       {Arch{"x86-64", 62, 64, false}, Arch{"aarch64", 183, 64, false},
        Arch{"armhf", 40, 32, false}, Arch{"mips", 8, 32, true}, Arch{"mipsel", 8, 32, false}}) {
    std::string dir = kSamples + "/gen/" + a.dir + "/";
    Bytes daemon = ReadFile(dir + "daemon-runpath");
    Result<ElfInfo> d = ParseElf(daemon);
    ASSERT_TRUE(d.ok()) << a.dir;
    EXPECT_EQ(d->machine, a.machine) << a.dir;
    EXPECT_EQ(d->elf_class, a.elf_class) << a.dir;
    EXPECT_EQ(d->big_endian, a.big_endian) << a.dir;
    EXPECT_EQ(d->runpath, "$ORIGIN") << a.dir;
    EXPECT_NE(std::find(d->needed.begin(), d->needed.end(), "libcbx.so.1"), d->needed.end());
    for (const char* f : {"system", "popen"})
      EXPECT_NE(std::find(d->imported_functions.begin(), d->imported_functions.end(), f),
                d->imported_functions.end())
          << a.dir << " daemon imports " << f;
    EXPECT_TRUE(d->problems.empty()) << a.dir << ": " << d->problems.front();

    // sstrip leaves no section headers: imports come from DT_SYMTAB and the hash table.
    Bytes full = ReadFile(dir + "fortify-hard-stripped");
    Bytes bare = ReadFile(dir + "fortify-hard-sstripped");
    Result<ElfInfo> f = ParseElf(full), b = ParseElf(bare);
    ASSERT_TRUE(f.ok() && b.ok()) << a.dir;
    EXPECT_FALSE(f->imported_functions.empty()) << a.dir;
    EXPECT_EQ(b->imported_functions, f->imported_functions) << a.dir;
    EXPECT_EQ(b->needed, f->needed) << a.dir;

    Bytes lib = ReadFile(dir + "libcbx.so.1");
    Result<ElfInfo> l = ParseElf(lib);
    ASSERT_TRUE(l.ok()) << a.dir;
    EXPECT_EQ(l->soname, "libcbx.so.1") << a.dir;
    EXPECT_EQ(l->rpath, "/opt/cbx/lib") << a.dir;
    EXPECT_EQ(l->hardening.pie, PieKind::kDso) << a.dir;

    Bytes st = ReadFile(dir + "fortify-static");
    Result<ElfInfo> s = ParseElf(st);
    ASSERT_TRUE(s.ok()) << a.dir;
    EXPECT_TRUE(s->static_linked) << a.dir;
    EXPECT_TRUE(s->interpreter.empty()) << a.dir;
  }
}

}  // namespace
}  // namespace clearbox::inventory
