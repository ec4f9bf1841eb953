"""Corpus cases of disk images: FAT12/16 volumes, MBR and GPT partition tables.

What each sample must show comes from expected.json (rust-fatfs's test image, FACT's and
binwalk's tests, the gpt crate's test disk) and from sfdisk/sgdisk/file, which list the
same partitions.
"""
import hashlib
import re

from check_corpus import tok
from unpack_checks import nodes_by_filesystem, notes_text

TEXT = b"Rust is cool!\n"  # rust-fatfs's create-test-img.sh
# partition N: type T (...), start LBA S, C sectors (B bytes)
MBR_NOTE = re.compile(r"partition (\d+): type (0x[0-9a-f]{2})\b.*start LBA (\d+), (\d+) sectors")
GPT_NOTE = re.compile(r"partition (\d+): type ([0-9A-F-]{36}) \(([^)]*)\), GUID ([0-9A-F-]{36}), "
                      r"name \"[^\"]*\", LBA (\d+)-(\d+), (\d+) sectors \((\d+) bytes\)")


def partitions(case, where, pattern):
    """{index: regex match} of the partition notes of the container `where`."""
    out = {}
    for n in case.notes(kinds=("info",), where=where):
        m = pattern.search(n.get("message", ""))
        if m and n.get("where") == where:
            out[int(m.group(1))] = m
    return out


def files_of(case, fs):
    return {n["path"]: n for n in nodes_by_filesystem(case.manifest).get(fs["provenance"], [])
            if n.get("type") == "file"}


def fat12_rustfatfs(case):
    """FAT12, label "Test!", serial 0x12345678; long names and nested directories."""
    if not case.unpack():
        return
    r = case.result
    fs = case.filesystem([tok("fat", "0x0")], "fat")
    if fs is None:
        return
    r.expect(bool(case.notes(pattern=r"FAT12 volume.*label \"Test!\", serial 0x12345678")),
             f"FAT12 / label / serial not reported: {notes_text(case.manifest)[:3]}")
    nodes = {n["path"]: n for n in nodes_by_filesystem(case.manifest)[fs["provenance"]]}
    want = {"/long.txt": 14000, "/short.txt": 14, "/very/long/path/test.txt": 14,
            "/very-long-dir-name/very-long-file-name.txt": 14}
    for path, size in want.items():
        node = nodes.get(path)
        if r.expect(node is not None and node.get("type") == "file", f"{path} missing: "
                    f"{sorted(nodes)}"):
            r.expect(node.get("size") == size, f"{path}: {node.get('size')} bytes, want {size}")
    for d in ("/very", "/very/long", "/very/long/path", "/very-long-dir-name"):
        r.expect(nodes.get(d, {}).get("type") == "dir", f"{d} is not a directory")
    for path, text in (("/short.txt", TEXT), ("/long.txt", TEXT * 1000)):
        sha = hashlib.sha256(text).hexdigest()
        r.expect(nodes.get(path, {}).get("sha256") == sha, f"{path}: wrong content")
    r.expect(len(files_of(case, fs)) == 4, f"{len(files_of(case, fs))} files, want 4")
    r.expect(not case.notes(kinds=("corrupt", "warning")), f"problems on a clean volume: "
             f"{notes_text(case.manifest)}")
    r.expect(case.manifest["partial"] is False, "partial on a clean volume")


def fat16_fact(case):
    """xz, then FAT16 (mkfs.fat, 20480 sectors) holding FACT's files under get_files_test/.
    The xz stream is 10 MiB from 2 KiB: over the 1000:1 ratio, so the volume is cut short
    (noted) after the files."""
    if not case.unpack():
        return
    fs = case.filesystem([tok("xz"), tok("fat")], "fat")
    if fs is None:
        return
    case.result.expect(bool(case.notes(pattern=r"FAT16 volume")), "FAT16 not reported")
    case.expect_fact_files(fs, "/get_files_test")
    case.result.expect(len(files_of(case, fs)) == 3, f"{sorted(files_of(case, fs))}, want 3")


def mbr_1part(case):
    """MBR, one partition: type 0x83, LBA 1, 9 sectors (zeros: listed as the raw part1)."""
    if not case.unpack():
        return
    r = case.result
    fs = case.filesystem([tok("mbr", "0x0")], "mbr")
    if fs is None:
        return
    parts = partitions(case, fs["provenance"], MBR_NOTE)
    r.expect(sorted(parts) == [1], f"partitions {sorted(parts)}, want [1]: "
             f"{notes_text(case.manifest)}")
    if 1 in parts:
        r.expect(parts[1].group(2, 3, 4) == ("0x83", "1", "9"),
                 f"partition 1 is {parts[1].group(0)}, want type 0x83, LBA 1, 9 sectors")
    part1 = files_of(case, fs).get("/part1")
    r.expect(part1 is not None and part1.get("size") == 4608, f"part1 (4608 bytes) not listed")
    r.expect(case.manifest["partial"] is False, f"partial: {notes_text(case.manifest)}")


def mbr_4part(case):
    """xz, MBR with 4 primary partitions: 1 NTFS (LBA 2048+4096; not unpacked, listed as the
    raw part1), 2 ext4 "second" (yara_test_file), 3 ext3 "third" (testfile1), 4 ext2 (empty;
    the image ends 437184 bytes into it)."""
    if not case.unpack():
        return
    r = case.result
    fs = case.filesystem([tok("xz"), tok("mbr")], "mbr")
    if fs is None:
        return
    parts = partitions(case, fs["provenance"], MBR_NOTE)
    want = {1: ("0x07", "2048", "4096"), 2: ("0x83", "6144", "6144"),
            3: ("0x83", "12288", "4096"), 4: ("0x83", "16384", "2048")}
    r.expect({i: m.group(2, 3, 4) for i, m in parts.items()} == want,
             f"partitions {[m.group(0) for m in parts.values()]}, want {want}")
    r.expect(bool(case.notes(kinds=("corrupt",), pattern=r"partition 4 runs past the end")),
             "the truncated partition 4 is not noted")
    for part, name in (("part2", "/yara_test_file"), ("part3", "/testfile1")):
        ext = next((f for f in case.manifest["filesystems"]
                    if f["provenance"].endswith(f"!mbr:{part}!ext")), None)
        if r.expect(ext is not None, f"{part} not opened as ext"):
            r.expect(name in files_of(case, ext), f"{part}{name} missing")
    raw = files_of(case, fs).get("/part1")
    r.expect(raw is not None and raw.get("size") == 4096 * 512,
             "the NTFS partition 1 is not listed as the raw part1")


def gpt_2part(case):
    """Protective MBR, GPT with 512-byte LBAs: two Linux filesystem partitions."""
    if not case.unpack():
        return
    r = case.result
    fs = case.filesystem([tok("gpt", "0x0")], "gpt")
    if fs is None:
        return
    r.expect(not [f for f in case.manifest["filesystems"] if f.get("format") == "mbr"],
             "the protective MBR was opened as an MBR")
    parts = partitions(case, fs["provenance"], GPT_NOTE)
    linux = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
    want = {1: (linux, "Linux filesystem", "F38EAB50-076F-CB45-97F8-B1B7E5AF078F", "34", "34",
                "1", "512"),
            2: (linux, "Linux filesystem", "8EEE35AF-4A93-2C4F-AA7A-5FB193AC6FF7", "35", "38",
                "4", "2048")}
    got = {i: m.group(2, 3, 4, 5, 6, 7, 8) for i, m in parts.items()}
    r.expect(got == want, f"partitions {got}, want {want}")
    nodes = files_of(case, fs)
    r.expect(nodes.get("/part1", {}).get("size") == 512 and
             nodes.get("/part2", {}).get("size") == 2048, f"raw parts: {sorted(nodes)}")
    r.expect(not case.notes(kinds=("corrupt", "warning")), f"problems: "
             f"{notes_text(case.manifest)}")


CASES = {
    "fat12_rustfatfs.img": fat12_rustfatfs,
    "fat16_fact.img.xz": fat16_fact,
    "mbr_1part_binwalk.bin": mbr_1part,
    "mbr_4part_fact.img.xz": mbr_4part,
    "gpt_2part_gptcrate.img": gpt_2part,
}
