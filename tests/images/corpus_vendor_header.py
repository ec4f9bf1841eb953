"""Corpus cases of vendor firmware headers: TP-Link (a factory image with its bootloader)
and Xiaomi HDR1.

What each sample must show comes from the corpus README and expected.json (binwalk's
listing of the TP-Link image: uImage at 0x3C80, LZMA kernel at 0x20400, squashfs at
0x120200; FACT's xiaomi_hdr test files), and from independent readers here: Python's
struct for the headers and lzma for the kernel.
"""
import hashlib
import lzma
import os
import struct

from check_corpus import tok
from unpack_checks import nodes_by_filesystem, notes_text


def node_at(case, provenance):
    for n in case.manifest["nodes"]:
        if n["provenance"] == provenance:
            return n
    return None


def tplink_tpl(case):
    """Header at 0 (bootloader salt) over a 128 KiB bootloader holding a uImage (0x3C80),
    then a second TP-Link image at 0x20200: LZMA kernel at 0x20400, squashfs at 0x120200."""
    if not case.unpack():
        return
    r = case.result
    data = open(case.image, "rb").read()
    name = os.path.basename(case.image)
    outer = case.filesystem([tok("tplink", "0x0")], "tplink")
    if outer is None:
        return
    where = outer["provenance"]
    r.expect(bool(case.notes(kinds=("info",), where=where,
                             pattern=r"hardware id 0x30200001 revision 1, version 3\.17\.2")),
             f"TP-Link header strings not reported: {notes_text(case.manifest)[:3]}")
    r.expect(bool(case.notes(kinds=("info",), pattern=r"MD5 verified.*bootloader salt")),
             "the outer MD5 (bootloader salt) is not verified")
    r.expect(bool(case.notes(kinds=("info",), pattern=r"MD5 verified.*normal salt")),
             "the inner MD5 (normal salt) is not verified")
    r.expect(not case.notes(kinds=("corrupt",)), f"corrupt notes: {notes_text(case.manifest)}")

    # uImage at 0x3C80 = bootloader part (0x200) + 0x3A80.
    r.expect(case.filesystem([tok("tplink", "0x0"), tok("uimage", "0x3a80")], "uimage")
             is not None, "uImage at 0x3C80 not reached through the bootloader part")
    # The second header at 0x20200; its kernel (0x200 on) is the LZMA stream at 0x20400.
    inner = case.filesystem([tok("tplink", "0x0"), tok("tplink")], "tplink")
    if inner is None:
        return
    r.expect(inner["provenance"] == f"{name}!tplink@0x0:firmware!tplink",
             f"inner header provenance {inner['provenance']}")
    kernel_ofs, kernel_len = struct.unpack_from(">II", data, 0x20200 + 0x80)
    r.expect(0x20200 + kernel_ofs == 0x20400, f"kernel offset {kernel_ofs:#x}")
    want = hashlib.sha256(lzma.decompress(data[0x20400:0x20400 + kernel_len],
                                          format=lzma.FORMAT_ALONE)).hexdigest()
    kernel = node_at(case, f"{name}!tplink@0x0:firmware!tplink:/kernel")
    r.expect(kernel is not None and kernel.get("sha256") == want,
             f"LZMA kernel at 0x20400 not decoded: {kernel}")
    # squashfs at 0x120200 = 0x20200 + rootfs offset 0x100000.
    fs = case.filesystem([tok("tplink", "0x0"), tok("tplink"), tok("squashfs")], "squashfs")
    if fs:
        r.expect(fs["provenance"] == f"{name}!tplink@0x0:firmware!tplink:rootfs!squashfs",
                 f"squashfs provenance {fs['provenance']}")
        case.expect_fact_files(fs)


def xiaomi_hdr1(case):
    """HDR1, CRC32 0xF537423A, three blobs that are FACT's test files."""
    if not case.unpack():
        return
    r = case.result
    fs = case.filesystem([tok("xiaomi", "0x0")], "xiaomi")
    if fs is None:
        return
    r.expect(bool(case.notes(kinds=("info",), pattern=r"CRC32 verified \(0xf537423a\)")),
             f"CRC32 not verified: {notes_text(case.manifest)}")
    r.expect(not case.notes(kinds=("corrupt",)), f"corrupt notes: {notes_text(case.manifest)}")
    data = open(case.image, "rb").read()
    offsets = [o for o in struct.unpack_from("<8I", data, 16) if o]
    names = [data[o + 16:o + 48].split(b"\0")[0].decode() for o in offsets]
    r.expect(sorted(names) == sorted(["testfile1", "testfile2",
                                      "generic folder/test file 3_.txt"]),
             f"blob names {names}")
    nodes = {n["path"]: n for n in nodes_by_filesystem(case.manifest).get(fs["provenance"], [])}
    r.expect(len([n for n in nodes.values() if n.get("type") == "file"]) == 3,
             f"files: {sorted(nodes)}")
    case.expect_fact_files(fs)


CASES = {
    "tplink_tl-mr3020_v1_fw.tpl": tplink_tpl,
    "xiaomi_hdr1_fact.bin": xiaomi_hdr1,
}
