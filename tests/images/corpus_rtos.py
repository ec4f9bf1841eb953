"""Corpus cases of RTOS firmware (src/unpack/vxworks_*.h, ecos.h): TP-Link IMG0 images, the
VxWorks kernels inside them and their Wind River MemFS.

Loaded by check_corpus.py; each case uses its Case helpers.
"""
import hashlib
import lzma
import struct

from check_corpus import tok
from unpack_checks import nodes_by_filesystem, notes_text

MEMFS_AT = 0x12DC74  # binwalk: "Wind River management filesystem, compressed, 185 files"


def memfs_oracle(image):
    """{name: sha256} of the MemFS files, decoded with Python's lzma from the record table."""
    data = open(image, "rb").read()
    flag, count, _ = struct.unpack_from(">III", data, MEMFS_AT + 32)
    assert data[MEMFS_AT:MEMFS_AT + 32] == b"ow" * 16 and flag == 1
    files = {}
    for k in range(count):
        rec = MEMFS_AT + 44 + 48 * k
        name = data[rec:rec + 40].split(b"\0")[0].decode()
        size, offset = struct.unpack_from(">II", data, rec + 40)
        blob = data[MEMFS_AT + offset:MEMFS_AT + offset + size]
        files[name] = hashlib.sha256(
            lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(blob)).hexdigest()
    return files


def tplink_vxworks(case):
    """Boot IMG0 at 0x14 (boot ROM, LZMA props 0x6E), firmware IMG0 at 0x40094 (LZMA kernel,
    VxWorks 5.5.1), MemFS of 185 LZMA files at 0x12DC74. The kernels carry no symbol table
    (checked in vxworks_kernel_test.cc), which a note must say."""
    if not case.unpack():
        return
    r = case.result
    r.expect(case.filesystem([tok("img0", "0x14")], "img0") is not None, "IMG0 at 0x14 not parsed")
    inner = case.filesystem([tok("img0", "0x14"), tok("img0")], "img0")
    r.expect(inner is not None, "the firmware IMG0 at 0x40094 not reached")
    r.expect(bool(case.notes(pattern=r"VxWorks 5\.5\.1")), "VxWorks version not noted")
    r.expect(bool(case.notes(pattern=r"kernel: no VxWorks symbol table")),
             "the missing symbol table is not said")
    r.expect(not case.notes(kinds=("corrupt",)), f"corrupt notes: {notes_text(case.manifest)}")
    r.expect(case.manifest["partial"] is False, f"partial: {notes_text(case.manifest)}")
    by_fs = nodes_by_filesystem(case.manifest)
    if inner is not None:
        kernel = {n["path"]: n for n in by_fs.get(inner["provenance"], [])}.get("/kernel")
        r.expect(kernel is not None and kernel.get("size") == 3571184,
                 f"kernel not decoded to binwalk's 3571184 bytes: {kernel}")
    fs = case.filesystem([tok("img0", "0x14"), tok("img0"), tok("memfs")], "memfs")
    if fs is None:
        return
    nodes = {n["path"]: n for n in by_fs.get(fs["provenance"], []) if n.get("type") == "file"}
    oracle = memfs_oracle(case.image)
    r.expect(len(nodes) == 185 == len(oracle), f"{len(nodes)} MemFS files, want 185")
    wrong = [name for name, sha in oracle.items()
             if nodes.get("/" + name, {}).get("sha256") != sha]
    r.expect(not wrong, f"{len(wrong)} MemFS files differ from Python's lzma: {wrong[:5]}")


CASES = {
    "tplink_vxworks_wr.fw": tplink_vxworks,
}
