#!/usr/bin/env python3
"""Writes the hostile inputs: archives that try to escape the output directory, loops,
duplicates, device nodes, garbage with valid-looking magics, and bombs.

    make_hostile.py OUTDIR

Every name that points outside is aimed at one of two places the test watches:
  - "sentinel": a directory next to the test's output directory (reached by "../" * k for
    k = 1..MAX_UP, since the unpacker may nest its tree a few levels below the output dir);
  - ABS_DIR, an absolute directory under /tmp that the test creates empty beforehand.
Deterministic: fixed mtimes, a seeded PRNG, no host state.
"""
import gzip
import io
import os
import random
import stat
import struct
import sys
import tarfile
import zipfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mkarchive import CpioWriter  # noqa: E402

EPOCH = int(os.environ.get("SOURCE_DATE_EPOCH", "1700000000"))
ABS_DIR = "/tmp/clearbox-hostile-abs"
MAX_UP = 6


def ups(k, tail):
    return "../" * k + tail


def tar_bytes(entries, fmt=tarfile.GNU_FORMAT):
    """entries: (name, kind, extra) with kind in file/dir/symlink/hardlink/chr/blk/fifo."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for name, kind, extra in entries:
            info = tarfile.TarInfo(name)
            info.mtime, info.uname, info.gname = EPOCH, "root", "root"
            info.mode = 0o644
            data = None
            if kind == "file":
                data = extra if isinstance(extra, bytes) else extra[0]
                if isinstance(extra, tuple):
                    info.mode = extra[1]
                info.size = len(data)
            elif kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
            elif kind == "symlink":
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, extra, 0o777
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, extra
            elif kind in ("chr", "blk"):
                info.type = tarfile.CHRTYPE if kind == "chr" else tarfile.BLKTYPE
                info.devmajor, info.devminor, info.mode = extra
            elif kind == "fifo":
                info.type, info.mode = tarfile.FIFOTYPE, extra
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def traversal_tar():
    return tar_bytes([
        ("ok.txt", "file", b"fine\n"),
        ("../escape-1.txt", "file", b"escaped\n"),
        ("../../escape-2.txt", "file", b"escaped\n"),
        (ABS_DIR + "/abs-escape.txt", "file", b"escaped\n"),
        ("sub/../../escape-3.txt", "file", b"escaped\n"),
        ("./././ok2.txt", "file", b"fine\n"),
        ("dir//double//slash.txt", "file", b"fine\n"),
    ])


def symlink_tar():
    entries = [("d", "dir", None)]
    for k in range(1, MAX_UP + 1):
        entries.append((f"up{k}", "symlink", ups(k, "sentinel")))
    entries += [
        ("abs", "symlink", ABS_DIR),
        ("deep", "symlink", ups(16, ABS_DIR.lstrip("/"))),
        ("d/rel", "symlink", "../../sentinel"),
        ("selfloop", "symlink", "selfloop"),
        ("loopa", "symlink", "loopb"),
        ("loopb", "symlink", "loopa"),
    ]
    # Entries written "through" the links: an extractor that follows them escapes.
    for k in range(1, MAX_UP + 1):
        entries.append((f"up{k}/pwned.txt", "file", b"pwned\n"))
    for name in ("abs", "deep", "d/rel", "loopa"):
        entries.append((f"{name}/pwned.txt", "file", b"pwned\n"))
    return tar_bytes(entries)


def hardlink_tar():
    entries = [
        ("a", "hardlink", "b"),
        ("b", "hardlink", "a"),
        ("self", "hardlink", "self"),
        ("real.txt", "file", b"real\n"),
        ("good-link", "hardlink", "real.txt"),
        ("missing-link", "hardlink", "does/not/exist"),
    ]
    # Links to files outside, then a regular entry of the same name: an extractor that
    # creates the link and then opens the name for writing overwrites the outside file.
    names = []
    for k in range(1, MAX_UP + 1):
        entries.append((f"h{k}", "hardlink", ups(k, "sentinel/keep.txt")))
        names.append(f"h{k}")
    entries.append(("habs", "hardlink", ABS_DIR + "/keep.txt"))
    names.append("habs")
    for name in names:
        entries.append((name, "file", b"overwritten\n"))
    return tar_bytes(entries)


def duplicates_tar():
    return tar_bytes([
        ("dup.txt", "file", b"first\n"),
        ("dup.txt", "file", b"second\n"),
        ("x", "file", b"x-file\n"),
        ("x", "dir", None),
        ("x/y", "file", b"y\n"),
        ("z", "dir", None),
        ("z/inner", "file", b"inner\n"),
        ("z", "file", b"z-file\n"),
    ])


def devices_tar():
    return tar_bytes([
        ("dev", "dir", None),
        ("dev/console", "chr", (5, 1, 0o600)),
        ("dev/sda", "blk", (8, 0, 0o660)),
        ("dev/initctl", "fifo", 0o600),
        ("dev/mem", "chr", (1, 1, 0o4666)),
        ("bin", "dir", None),
        ("bin/su", "file", (b"#!/bin/sh\nexec /bin/sh\n", 0o4755)),
        ("bin/wall", "file", (b"#!/bin/sh\n", 0o2755)),
    ])


def hostile_cpio():
    buf = io.BytesIO()
    w = CpioWriter(buf)
    w.entry("../cpio-escape.txt", stat.S_IFREG | 0o644, b"escaped\n", mtime=EPOCH)
    w.entry(ABS_DIR + "/cpio-abs.txt", stat.S_IFREG | 0o644, b"escaped\n", mtime=EPOCH)
    for k in range(1, MAX_UP + 1):
        w.entry(f"lnk{k}", stat.S_IFLNK | 0o777, ups(k, "sentinel").encode(), mtime=EPOCH)
    for k in range(1, MAX_UP + 1):
        w.entry(f"lnk{k}/pwned.txt", stat.S_IFREG | 0o644, b"pwned\n", mtime=EPOCH)
    w.entry("dev", stat.S_IFDIR | 0o755, mtime=EPOCH, nlink=2)
    w.entry("dev/console", stat.S_IFCHR | 0o600, mtime=EPOCH, rdev=(5, 1))
    w.entry("dev/mtdblock0", stat.S_IFBLK | 0o640, mtime=EPOCH, rdev=(31, 0))
    w.entry("dev/initctl", stat.S_IFIFO | 0o600, mtime=EPOCH)
    w.entry("run", stat.S_IFDIR | 0o755, mtime=EPOCH, nlink=2)
    w.entry("run/ctl.sock", stat.S_IFSOCK | 0o777, mtime=EPOCH)
    w.entry("sbin", stat.S_IFDIR | 0o755, mtime=EPOCH, nlink=2)
    w.entry("sbin/suid-sgid", stat.S_IFREG | 0o6755, b"\x7fELF-not-really\n", mtime=EPOCH)
    w.trailer()
    return buf.getvalue()


def zip_info(name, mode):
    info = zipfile.ZipInfo(name, date_time=(2023, 11, 14, 22, 13, 20))
    info.create_system = 3  # Unix: the high 16 bits of external_attr are st_mode
    info.external_attr = mode << 16
    return info


def traversal_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zip_info("ok.txt", stat.S_IFREG | 0o644), b"fine\n")
        z.writestr(zip_info("../zip-escape.txt", stat.S_IFREG | 0o644), b"escaped\n")
        z.writestr(zip_info(ABS_DIR + "/zip-abs.txt", stat.S_IFREG | 0o644), b"escaped\n")
        z.writestr(zip_info("a/../../zip-escape-2.txt", stat.S_IFREG | 0o644), b"escaped\n")
        for k in range(1, MAX_UP + 1):
            z.writestr(zip_info(f"zl{k}", stat.S_IFLNK | 0o777), ups(k, "sentinel"))
        for k in range(1, MAX_UP + 1):
            z.writestr(zip_info(f"zl{k}/pwned.txt", stat.S_IFREG | 0o644), b"pwned\n")
    return buf.getvalue()


def nested_zip_bomb(levels=5, fanout=16, leaf_bytes=16 << 20):
    """A zip of `fanout` zips of ... (`levels` deep) of `leaf_bytes` zeros: ~20 KB that
    claims fanout**(levels-1) * leaf_bytes (1 TiB with the defaults)."""
    data, name = bytes(leaf_bytes), "zeros.bin"
    for level in range(levels):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            for i in range(1 if level == 0 else fanout):
                info = zipfile.ZipInfo(f"{i:x}-{name}", date_time=(2023, 11, 14, 22, 13, 20))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, data)
        data, name = buf.getvalue(), f"level{level}.zip"
    return data


def ratio_zip_bomb(outer_bytes=10 << 20):
    """A stored zip of ~10 MB of copies of one deflated zip of ten 256 KiB leaves: every
    stream expands ~200:1 (under the per-stream limit), the whole ~280:1 (about 2.9 GB)."""
    rng = random.Random(11)
    leaf = bytes(rng.randrange(4) for _ in range(64)) * 4096
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for i in range(10):
            info = zipfile.ZipInfo(f"leaf{i}.bin", date_time=(2023, 11, 14, 22, 13, 20))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, leaf)
    inner = buf.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for i in range(outer_bytes // len(inner)):
            z.writestr(zipfile.ZipInfo(f"inner{i:04d}.zip", date_time=(2023, 11, 14, 22, 13, 20)),
                       inner)
    return out.getvalue()


def deep_gzip(layers=40):
    """gzip inside gzip, `layers` deep: a depth bomb with a few bytes at the bottom."""
    data = b"bottom of the well\n"
    for _ in range(layers):
        data = gzip.compress(data, compresslevel=9, mtime=0)
    return data


def uimage_header(size, data_crc, name=b"claims 4 GiB", kind=5, comp=0):
    fields = [0x27051956, 0, EPOCH, size, 0, 0, data_crc, 5, 5, kind, comp]
    head = struct.pack(">7I4B32s", *fields, name.ljust(32, b"\0"))
    crc = zlib.crc32(head)
    return head[:4] + struct.pack(">I", crc) + head[8:]


def fake_inputs(rng):
    """Garbage with valid-looking headers: each must be rejected or reported, never trusted."""
    out = {}
    out["empty.bin"] = b""
    out["random.bin"] = rng.randbytes(1 << 20)
    out["erased-flash.bin"] = b"\xff" * (1 << 20)
    # A uImage whose header is valid (CRC right) but whose size claims 4 GiB.
    out["uimage-huge-size.bin"] = uimage_header(0xFFFFFFF0, 0) + rng.randbytes(4096)
    # A squashfs 4 superblock with absurd counts and table offsets past the end.
    sb = struct.pack("<4sIIIIHHHHHH", b"hsqs", 0xFFFFFFFF, EPOCH, 1 << 17, 0xFFFFFFFF,
                     1, 17, 0, 1, 4, 0)
    sb += struct.pack("<QQQQQQQQ", 0xFFFFFFFFFFFFFF00, 1 << 40, 1 << 40, 1 << 41,
                      1 << 42, 1 << 43, 1 << 44, 1 << 45)
    out["squashfs-absurd.bin"] = sb + rng.randbytes(8192)
    out["gzip-garbage.gz"] = b"\x1f\x8b\x08\x00" + b"\0" * 6 + rng.randbytes(8192)
    # Every magic the carver looks for, sprinkled into random bytes at odd offsets.
    magics = [b"hsqs", b"sqsh", struct.pack(">I", 0x27051956), b"070701", b"070707",
              b"PK\x03\x04", b"7z\xbc\xaf\x27\x1c", b"UBI#", b"UBI!", b"\x85\x19\x03\x20",
              b"\x19\x85\x20\x03", b"HDR0", b"\x1f\x8b\x08", b"\xfd7zXZ\x00", b"BZh9",
              b"\x28\xb5\x2f\xfd", b"\x04\x22\x4d\x18", b"\x5d\x00\x00\x80\x00",
              b"\x45\x3d\xcd\x28", b"CD001", b"\x53\xef", b"ustar\x00"]
    soup = bytearray(rng.randbytes(1 << 20))
    for i in range(2000):
        m = magics[i % len(magics)]
        at = rng.randrange(0, len(soup) - 64) | 1
        soup[at:at + len(m)] = m
    out["magic-soup.bin"] = bytes(soup)
    return out


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(20231114)
    files = {
        "traversal.tar": traversal_tar(),
        "symlink-escape.tar": symlink_tar(),
        "hardlink-tricks.tar": hardlink_tar(),
        "duplicates.tar": duplicates_tar(),
        "devices.tar": devices_tar(),
        "hostile.cpio": hostile_cpio(),
        "traversal.zip": traversal_zip(),
        "bomb-nested.zip": nested_zip_bomb(),
        "bomb-deep.gz": deep_gzip(),
        "bomb-ratio.zip": ratio_zip_bomb(),
    }
    files.update(fake_inputs(rng))
    for name, data in sorted(files.items()):
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
