"""Corpus cases of the legacy compressors (lzip, compress, lzop, bare zlib) and of Linux
kernels (x86 bzImage, ARM zImage). Expected bytes come from Python's own zlib/lzma readers
and the corpus README, never from clearbox."""
import hashlib
import lzma
import os
import struct
import zlib

from check_corpus import tok
from unpack_checks import nodes_by_filesystem, notes_text


def _files(case, fs):
    return {n["path"]: n for n in nodes_by_filesystem(case.manifest).get(fs["provenance"], [])
            if n.get("type") == "file"}


def _clean(case):
    r = case.result
    r.expect(not case.notes(kinds=("corrupt",)), f"corrupt notes: {notes_text(case.manifest)}")
    r.expect(case.manifest["partial"] is False, f"partial: {notes_text(case.manifest)}")


def lzip_single(case):
    """lzip v1, one member: a 128-byte file whose sha256 starts with deadc0de."""
    if not case.unpack():
        return
    fs = case.filesystem([tok("lzip", "0x0")], "lzip")
    if fs:
        files = list(_files(case, fs).values())
        case.result.expect(len(files) == 1 and files[0]["size"] == 128 and
                           files[0]["sha256"].startswith("deadc0de"),
                           f"want one 128-byte file deadc0de...: {files}")
    _clean(case)


def fact_tar(codec):
    def check(case):
        """A tar of FACT's standard files inside a legacy compressed stream."""
        if not case.unpack():
            return
        fs = case.filesystem([tok(codec, "0x0"), tok("tar")], "tar")
        if fs:
            case.expect_fact_files(fs, "/get_files_test")
        _clean(case)
    return check


def lzop(case):
    """lzop 1.040, LZO1X-1, one file test.data (128 bytes; hash from lzop -dc)."""
    if not case.unpack():
        return
    fs = case.filesystem([tok("lzop", "0x0")], "lzop")
    if fs:
        node = _files(case, fs).get("/test.data")
        want = "deadc0de772da3489781da863d31894216ccd2537e781684c207234384aa58d4"
        case.result.expect(node is not None and node["sha256"] == want,
                           f"/test.data: {node}, want sha256 {want}")
    _clean(case)


def zlib_streams(case):
    """Four bare zlib streams at 128, 340, 570, 801 between junk: each one a container whose
    file holds what Python's zlib inflates there, and nothing else claimed."""
    if not case.unpack():
        return
    r = case.result
    data = open(case.image, "rb").read()
    for offset in (128, 340, 570, 801):
        d = zlib.decompressobj()
        want = d.decompress(data[offset:])
        fs = case.filesystem([tok("zlib", hex(offset))], "zlib")
        if fs is None:
            continue
        r.expect(fs.get("length") == len(data) - offset - len(d.unused_data),
                 f"zlib@{offset:#x}: length {fs.get('length')}")
        files = list(_files(case, fs).values())
        r.expect(len(files) == 1 and files[0]["sha256"] == hashlib.sha256(want).hexdigest(),
                 f"zlib@{offset:#x}: {files}, want {len(want)} bytes starting {want[:20]!r}")
    others = [f["provenance"] for f in case.manifest["filesystems"] if f.get("format") != "zlib"]
    r.expect(not others, f"junk claimed as containers: {others}")
    _clean(case)


def _expect_vmlinux(case, fs, want, elf):
    r = case.result
    node = _files(case, fs).get("/vmlinux")
    if not r.expect(node is not None, f"no /vmlinux in {fs['provenance']}"):
        return
    r.expect(node["size"] == len(want) and node["sha256"] == hashlib.sha256(want).hexdigest(),
             f"/vmlinux: {node['size']} bytes {node['sha256']}, want {len(want)} bytes")
    if elf:
        ident = want[:20]
        r.expect(ident[:4] == b"\x7fELF" and ident[4] == 1 and ident[5] == 1 and
                 struct.unpack_from("<H", ident, 18)[0] == 3,
                 f"the vmlinux is not an i386 ELF32 LSB: {ident!r}")


def bzimage(codec):
    def check(case):
        """x86 bzImage of Linux 5.4.72, compressed vmlinux at 17001 (0x4269): an i386 ELF."""
        if not case.unpack():
            return
        r = case.result
        fs = case.filesystem([tok("bzimage", "0x0")], "bzimage")
        if fs is None:
            return
        r.expect(bool(case.notes(where="bzimage@0x0", pattern=r"bzImage.*version 5\.4\.72 ")),
                 f"the setup header's version is not noted: {notes_text(case.manifest)}")
        r.expect(bool(case.notes(where="bzimage@0x0", pattern=rf"{codec} at 0x4269")),
                 f"the {codec} payload at 0x4269 is not noted: {notes_text(case.manifest)}")
        payload = open(case.image, "rb").read()[17001:]
        if codec == "gzip":
            want = zlib.decompressobj(31).decompress(payload)
        else:
            want = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(payload)
        _expect_vmlinux(case, fs, want, elf=True)
        # The banner inside the vmlinux, found by carving it.
        r.expect(bool(case.notes(pattern=r"^Linux kernel version 5\.4\.72: Linux version "
                                         r"5\.4\.72 \(root@caesurus")),
                 f"the vmlinux banner is not noted: {notes_text(case.manifest)}")
        _clean(case)
    return check


def zimage_be32(case):
    """ARM zImage, big-endian, cut short by FACT: its gzip payload at 13068 is stored with the
    32-bit words byte-swapped; it decodes to a stand-in kernel ("Linux version foobar ...")."""
    if not case.unpack():
        return
    r = case.result
    fs = case.filesystem([tok("zimage", "0x0")], "zimage")
    if fs is None:
        return
    r.expect(bool(case.notes(where="zimage@0x0", pattern=r"ARM zImage \(big-endian\)")),
             f"not noted as a big-endian zImage: {notes_text(case.manifest)}")
    r.expect(bool(case.notes(where="zimage@0x0", pattern=r"gzip at 0x330d.*byte-swapped")),
             f"the swapped gzip payload is not noted: {notes_text(case.manifest)}")
    raw = open(case.image, "rb").read()
    swapped = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw) - len(raw) % 4, 4))
    want = zlib.decompressobj(31).decompress(swapped[13069:])
    r.expect(b"Linux version foobar" in want, f"python's decode differs: {want[:40]!r}")
    _expect_vmlinux(case, fs, want, elf=False)
    # The sample is a 13132-byte cut of an image whose header claims 11946940 bytes.
    r.expect(bool(case.notes(kinds=("corrupt",), pattern=r"11946940")),
             f"the cut is not reported: {notes_text(case.manifest)}")


CASES = {
    "lzip_fact.lz": lzip_single,
    "lzip_tar_fact.tar.lz": fact_tar("lzip"),
    "compress_tar_fact.tar.Z": fact_tar("compress"),
    "lzop_fact.lzo": lzop,
    "zlib_raw_streams_carving_fact.bin": zlib_streams,
    "linux_bzImage_x86_gzip_5.4.72.bin": bzimage("gzip"),
    "linux_bzImage_x86_xz_5.4.72.bin": bzimage("xz"),
    "linux_zImage_arm_be32.bin": zimage_be32,
}
