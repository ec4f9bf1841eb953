// Times ParseElf over every ELF of a list (the samples of tests/images/build-elf-samples.sh):
//   elf_bench LISTDIR
// Reads LISTDIR/list (paths relative to LISTDIR), loads every file into memory, then parses
// them all `rounds` times and prints the best round's total, and the slowest single file.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "clearbox/inventory/elf.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: elf_bench LISTDIR [rounds]\n");
    return 2;
  }
  std::string dir = argv[1];
  int rounds = argc > 2 ? std::atoi(argv[2]) : 20;
  std::vector<std::string> names;
  std::vector<clearbox::Bytes> files;
  std::ifstream list(dir + "/list");
  size_t bytes = 0;
  for (std::string line; std::getline(list, line);) {
    std::ifstream in(dir + "/" + line, std::ios::binary);
    files.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    bytes += files.back().size();
    names.push_back(line);
  }
  using Clock = std::chrono::steady_clock;
  double best = 1e100;
  std::vector<double> per_file(files.size(), 1e100);
  size_t sink = 0;
  for (int r = 0; r < rounds; ++r) {
    auto start = Clock::now();
    for (size_t i = 0; i < files.size(); ++i) {
      auto t0 = Clock::now();
      auto elf = clearbox::inventory::ParseElf(files[i]);
      per_file[i] = std::min(per_file[i], std::chrono::duration<double>(Clock::now() - t0).count());
      if (elf.ok()) sink += elf->hardening.fortifiable + elf->imported_functions.size();
    }
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  size_t worst = std::max_element(per_file.begin(), per_file.end()) - per_file.begin();
  std::printf("files %zu bytes %zu parse_seconds %.6f slowest %s %zu bytes %.1f us (sink %zu)\n",
              files.size(), bytes, best, names[worst].c_str(), files[worst].size(),
              per_file[worst] * 1e6, sink);
  return 0;
}
