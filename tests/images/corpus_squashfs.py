"""Squashfs images libsquashfs does not read (versions 2 and 3 of either endian, vendor LZMA,
big-endian 4.0 from AVM): FACT's three test files, byte for byte, and the framing named."""
from check_corpus import tok
from unpack_checks import notes_text


def fact_squashfs(version, framing):
    def check(case):
        if not case.unpack():
            return
        r = case.result
        r.expect(case.manifest["partial"] is False, f"partial: {notes_text(case.manifest)}")
        fs = case.filesystem([tok("squashfs", "0x0")], "squashfs")
        if fs:
            case.expect_fact_files(fs)
        r.expect(bool(case.notes(kinds=("info",), pattern=rf"version {version}.*blocks: {framing}")),
                 f"version {version} / framing {framing} not named: {notes_text(case.manifest)}")
    check.__doc__ = f"squashfs {version}, {framing} blocks: FACT's files"
    return check


CASES = {
    "squashfs_v2_lzma_be_fact.sqfs2": fact_squashfs(r"2\.'L', big-endian", "lzma-raw"),
    "squashfs_v3_lzma_be_fact.sqfs3": fact_squashfs(r"3\.'L', big-endian", "lzma-raw"),
    "squashfs_v3_zlib_be_fact.sqfs3": fact_squashfs(r"3\.1, big-endian", "zlib"),
    "squashfs_v3_zlib_le_fact.sqfs3": fact_squashfs(r"3\.1, little-endian", "zlib"),
    "squashfs_v4_be_xz_avm_fact.sqfs4": fact_squashfs(r"4\.0, big-endian", "xz"),
}
