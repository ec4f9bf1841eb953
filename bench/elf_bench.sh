#!/usr/bin/env bash
# ParseElf against checksec on the same files: the ELF samples of
# tests/images/build-elf-samples.sh (cached under build/test-images/elf).
#   bench/elf_bench.sh [BUILD_DIR]      (BUILD_DIR defaults to build; needs its core library)
# Prints ParseElf's time over all files (best of 20 rounds, files already in memory), the
# time of `checksec --file` run on each file in turn, and their ratio.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
samples=$build/test-images/elf
bash "$root/tests/images/build-elf-samples.sh" "$samples"
bin=$build/bench-elf/elf_bench
mkdir -p "$(dirname "$bin")"
if [[ ! -x $bin || $bin -ot $root/src/inventory/elf.cc || $bin -ot $root/bench/elf_bench.cc ]]; then
  g++ -std=c++20 -O2 -DNDEBUG -I"$root/include" "$root/bench/elf_bench.cc" \
    "$root/src/inventory/elf.cc" "$build/src/libclearbox_core.a" -o "$bin"
fi
ours=$("$bin" "$samples")
echo "clearbox: $ours"
parse=$(sed -E 's/.*parse_seconds ([0-9.]+).*/\1/' <<< "$ours")
n=$(wc -l < "$samples/list")
start=$(date +%s.%N)
(cd "$samples" && while IFS= read -r f; do checksec --output=json --file="$f" > /dev/null; done < list)
end=$(date +%s.%N)
checksec_s=$(echo "$end - $start" | bc -l)
printf 'checksec: %d files in %.2f s\n' "$n" "$checksec_s"
printf 'ratio: checksec / ParseElf = %.0fx\n' "$(echo "$checksec_s / $parse" | bc -l)"
