#!/usr/bin/env bash
# `clearbox unpack` of a squashfs 3 image with vendor LZMA blocks (the legacy reader,
# src/unpack/squashfs_legacy.h) against a squashfs 4 xz image (libsquashfs) of the same tree.
#   bench/squashfs3_bench.sh [DIR=/usr/lib/python3.11] [RUNS=3]
# Env: CLEARBOX (default build/clearbox). Both images use 64 KiB blocks. The squashfs 3 image
# is written by the small big-endian writer below (mksquashfs 4 writes only version 4): bare
# LZMA1 blocks with an end marker (lc=3 lp=0 pb=2, the framing of AVM / FACT's samples),
# compressed metadata, no fragments. Prints median wall time and peak RSS of each, and the
# ratio (target: squashfs 3 at most 1.5x the time of squashfs 4, RSS under 256 MiB).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tree=${1:-/usr/lib/python3.11}
runs=${2:-3}
clearbox=${CLEARBOX:-$root/build/clearbox}
command -v mksquashfs >/dev/null || { echo "needs mksquashfs (squashfs-tools)"; exit 1; }
[[ -x $clearbox ]] || { echo "no $clearbox: build it first"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mksquashfs "$tree" "$work/v4.sqfs" -comp xz -b 65536 -no-progress -quiet -no-xattrs >/dev/null
python3 - "$tree" "$work/v3.sqfs" <<'EOF'
import lzma, os, stat, sys

BLOCK = 1 << 16
FILTERS = [{"id": lzma.FILTER_LZMA1, "preset": 6, "dict_size": BLOCK, "lc": 3, "lp": 0, "pb": 2}]


def pack(fields):
    """A big-endian squashfs 3 bit-field structure: fields fill each byte from its high bit."""
    value, bits = 0, 0
    for width, v in fields:
        value = value << width | (v & ((1 << width) - 1))
        bits += width
    return value.to_bytes(bits // 8, "big")


def lz(data):
    return lzma.compress(data, format=lzma.FORMAT_RAW, filters=FILTERS)


class Table:
    """A metadata table: 8 KiB blocks, each LZMA-compressed behind a 16-bit big-endian header."""
    def __init__(self):
        self.disk, self.cur = bytearray(), bytearray()

    def ref(self):
        return len(self.disk), len(self.cur)

    def add(self, data):
        at = self.ref()
        self.cur += data
        while len(self.cur) >= 8192:
            self.flush(8192)
        return at

    def flush(self, n):
        block, self.cur = bytes(self.cur[:n]), self.cur[n:]
        packed = lz(block)
        if len(packed) < len(block):
            self.disk += len(packed).to_bytes(2, "big") + packed
        else:
            self.disk += (0x8000 | len(block)).to_bytes(2, "big") + block

    def finish(self):
        if self.cur:
            self.flush(len(self.cur))
        return bytes(self.disk)


src, out_path = sys.argv[1], sys.argv[2]
out = open(out_path, "wb")
out.write(b"\0" * 119)
inodes, dirs = Table(), Table()
count = 0
MTIME = 1234567890


def base(t, mode):
    global count
    count += 1
    return [(4, t), (12, mode & 0o7777), (8, 0), (8, 255), (32, MTIME), (32, count)]


def write_file(path, st):
    start = out.tell()
    words = []
    with open(path, "rb") as f:
        while True:
            data = f.read(BLOCK)
            if not data:
                break
            packed = lz(data)
            if len(packed) < len(data):
                out.write(packed)
                words.append(len(packed))
            else:
                out.write(data)
                words.append(len(data) | 1 << 24)
    fields = base(2, st.st_mode) + [(64, start), (32, 0xFFFFFFFF), (32, 0), (32, st.st_size)]
    return inodes.add(pack(fields) + b"".join(w.to_bytes(4, "big") for w in words)), count


def write_dir(path, st):
    children = []
    for name in sorted(os.listdir(path)):
        p = os.path.join(path, name)
        s = os.lstat(p)
        if stat.S_ISDIR(s.st_mode):
            ref, ino = write_dir(p, s)
            t = 1
        elif stat.S_ISREG(s.st_mode):
            ref, ino = write_file(p, s)
            t = 2
        elif stat.S_ISLNK(s.st_mode):
            target = os.readlink(p).encode()
            ref = inodes.add(pack(base(3, 0o777) + [(32, 1), (16, len(target))]) + target)
            ino, t = count, 3
        else:
            continue
        children.append((name.encode(), ref, ino, t))
    listing_at = dirs.ref()
    listing = bytearray()
    i = 0
    while i < len(children):
        block, first_ino = children[i][1][0], children[i][2]
        group = []
        while (i < len(children) and len(group) < 256 and children[i][1][0] == block
               and abs(children[i][2] - first_ino) < 32768):
            group.append(children[i])
            i += 1
        listing += pack([(8, len(group) - 1), (32, block), (32, first_ino)])
        for name, ref, ino, t in group:
            listing += pack([(13, ref[1]), (3, t), (8, len(name) - 1), (16, ino - first_ino)]) + name
    dirs.add(bytes(listing))
    size = len(listing) + 3
    if size < 1 << 19:
        fields = base(1, st.st_mode) + [(32, 2), (19, size), (13, listing_at[1]), (32, listing_at[0]), (32, 0)]
    else:
        fields = base(8, st.st_mode) + [(32, 2), (27, size), (13, listing_at[1]), (32, listing_at[0]),
                                        (16, 0), (32, 0)]
    return inodes.add(pack(fields)), count


root_ref, _ = write_dir(src, os.stat(src))
inode_table = out.tell()
out.write(inodes.finish())
dir_table = out.tell()
out.write(dirs.finish())
uid_table = out.tell()
out.write((0).to_bytes(4, "big"))
end = out.tell()
sb = pack([(32, 0x73717368), (32, count), (32, 0), (32, 0), (32, 0), (32, 0), (32, 0),
           (16, 3), (16, ord("L")), (16, 0), (16, 16), (8, 0x10), (8, 1), (8, 0), (32, MTIME),
           (64, root_ref[0] << 16 | root_ref[1]), (32, BLOCK), (32, 0), (32, 0),
           (64, end), (64, uid_table), (64, 0), (64, inode_table), (64, dir_table),
           (64, uid_table), (64, 0)])
out.seek(0)
out.write(sb)
out.close()
EOF

# NAME IMAGE VAR: median wall and CPU (user + sys) seconds and peak RSS (KiB) of RUNS unpacks;
# the median CPU time goes to VAR (steadier than wall time on a shared machine).
measure() {
  local walls=() cpus=() rss=0
  for ((r = 0; r < runs; r++)); do
    rm -rf "$work/out"
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$clearbox" unpack "$2" -o "$work/out" >/dev/null
    read -r wall user sys kib < <(tail -n 1 "$work/time")
    walls+=("$wall")
    cpus+=("$(echo "$user + $sys" | bc -l)")
    ((kib > rss)) && rss=$kib
  done
  local median cpu
  median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  cpu=$(printf '%s\n' "${cpus[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  local nodes
  nodes=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['nodes']))" \
    "$work/out/manifest.json")
  printf '%-22s %7.2f s wall %7.2f s cpu %7d KiB RSS %6d nodes  %s\n' "$1" "$median" "$cpu" \
    "$rss" "$nodes" "$(du -h "$2" | cut -f1)"
  printf -v "$3" '%s' "$cpu"
}
echo "tree: $tree ($(du -sh "$tree" | cut -f1)), $runs runs each"
measure "squashfs 3 lzma-raw" "$work/v3.sqfs" t3
measure "squashfs 4 xz" "$work/v4.sqfs" t4
printf 'ratio (cpu): squashfs 3 / squashfs 4 = %.2fx (target <= 1.5x)\n' "$(echo "$t3 / $t4" | bc -l)"
