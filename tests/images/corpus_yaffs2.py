"""Corpus cases of YAFFS2 dumps (src/unpack/yaffs2.h): the layout is detected, the tree read.

Loaded by check_corpus.py; each case uses its Case helpers.
"""
import json

from check_corpus import tok
from unpack_checks import nodes_by_filesystem, notes_text

# binwalk's sample: 13 yaffs sources written by mkyaffs2image, sizes from their headers.
BINWALK_FILES = {
    "yutilsenv.h": 844, "yaffs_list.h": 3086, "yaffs_packedtags2.h": 1447,
    "yaffs_trace.h": 1769, "mkyaffs2image.c": 15107, "yaffs_hweight.c": 1689,
    "yaffs_guts.h": 27266, "yaffs_ecc.c": 7143, "yaffs_hweight.h": 656, "yaffs_ecc.h": 1440,
    "mkyaffsimage.c": 13967, "yaffs_packedtags2.c": 5169, "yportenv.h": 4903,
}


def yaffs2_be_fact(case):
    """Big-endian, 2048+64 pages, tags after the bad-block marker with ECC: FACT's files."""
    if not case.unpack():
        return
    r = case.result
    fs = case.filesystem([tok("yaffs2", "0x0")], "yaffs2")
    if fs is None:
        return
    case.expect_fact_files(fs)
    r.expect("big-endian" in json.dumps(case.manifest["notes"]), "the layout is not reported")
    r.expect(case.manifest["partial"] is False, f"partial: {notes_text(case.manifest)}")


def yaffs2_le_binwalk(case):
    """Little-endian, 2048+64 pages, tags at spare offset 0 without ECC: 13 files in /."""
    if not case.unpack():
        return
    r = case.result
    fs = case.filesystem([tok("yaffs2", "0x0")], "yaffs2")
    if fs is None:
        return
    files = {n["path"]: n for n in nodes_by_filesystem(case.manifest).get(fs["provenance"], [])
             if n.get("type") == "file"}
    for name, size in BINWALK_FILES.items():
        node = files.get("/" + name)
        if r.expect(node is not None, f"/{name} missing: {sorted(files)[:5]}"):
            r.expect(node.get("size") == size, f"/{name} is {node.get('size')} bytes, want {size}")
    r.expect(len(files) == len(BINWALK_FILES), f"{len(files)} files, want {len(BINWALK_FILES)}")
    r.expect(case.manifest["partial"] is False, f"partial: {notes_text(case.manifest)}")


CASES = {
    "yaffs2_be_fact.img": yaffs2_be_fact,
    "yaffs2_le_2k_binwalk.bin": yaffs2_le_binwalk,
}
