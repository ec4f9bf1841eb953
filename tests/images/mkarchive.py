#!/usr/bin/env python3
"""Packs a root filesystem directory plus a device table into tar or cpio, deterministically.

    mkarchive.py tar-ustar|tar-gnu|tar-pax|cpio-newc ROOTFS DEVICE_TABLE OUT

Like gen_init_cpio and the device tables of genext2fs/mksquashfs, the device nodes come from
DEVICE_TABLE and never exist on disk. Entries are sorted by path; owners, modes and mtimes are
taken from the files as they are (build-images.sh fixes them first). Hard links are recorded
the way each format does: tar as a LNKTYPE entry naming the first path, newc as entries that
share an inode number with the data in the last of them (as gen_init_cpio and GNU cpio do).

Also importable: CpioWriter writes newc entries one by one, for the hostile inputs.
"""

import os
import stat
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rootfs_manifest import read_device_table, walk  # noqa: E402


class CpioWriter:
    """Writes a cpio "newc" (070701) stream entry by entry."""

    def __init__(self, out):
        self.out = out
        self.next_ino = 1000

    def _pad(self):
        while self.out.tell() % 4:
            self.out.write(b"\0")

    def entry(self, name, mode, data=b"", uid=0, gid=0, mtime=0, nlink=1, ino=None,
              rdev=(0, 0)):
        if ino is None:
            ino = self.next_ino
            self.next_ino += 1
        raw_name = name.encode() if isinstance(name, str) else name
        fields = [ino, mode, uid, gid, nlink, mtime, len(data), 0, 0, rdev[0], rdev[1],
                  len(raw_name) + 1, 0]
        self.out.write(b"070701" + b"".join(b"%08X" % f for f in fields))
        self.out.write(raw_name + b"\0")
        self._pad()
        self.out.write(data)
        self._pad()

    def trailer(self):
        self.entry("TRAILER!!!", 0, ino=0)
        # Pad to 512 bytes as the kernel's and GNU cpio's archives are.
        while self.out.tell() % 512:
            self.out.write(b"\0")


def rootfs_entries(root, table):
    """(path, lstat or None, device tuple or None), sorted by path, devices merged in."""
    entries = [(p, os.lstat(root + p), None) for p in walk(root)]
    for name, kind, mode, uid, gid, major, minor in read_device_table(table):
        entries.append((name, None, (kind, mode, uid, gid, major, minor)))
    entries.sort(key=lambda e: e[0].encode())
    return entries


def write_tar(fmt, root, table, out_path):
    formats = {"tar-ustar": tarfile.USTAR_FORMAT, "tar-gnu": tarfile.GNU_FORMAT,
               "tar-pax": tarfile.PAX_FORMAT}
    first_path_of_inode = {}
    with tarfile.open(out_path, "w", format=formats[fmt]) as tar:
        for path, st, dev in rootfs_entries(root, table):
            info = tarfile.TarInfo(path.lstrip("/"))
            info.uname = info.gname = "root"
            if dev is not None:
                kind, mode, uid, gid, major, minor = dev
                info.type = tarfile.CHRTYPE if kind == "c" else tarfile.BLKTYPE
                info.mode, info.uid, info.gid = mode, uid, gid
                info.devmajor, info.devminor = major, minor
                info.mtime = int(os.environ["SOURCE_DATE_EPOCH"])
                tar.addfile(info)
                continue
            info.mode, info.uid, info.gid = stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid
            info.mtime = int(st.st_mtime)
            if stat.S_ISDIR(st.st_mode):
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif stat.S_ISLNK(st.st_mode):
                info.type = tarfile.SYMTYPE
                info.linkname = os.readlink(root + path)
                tar.addfile(info)
            elif (st.st_dev, st.st_ino) in first_path_of_inode:
                info.type = tarfile.LNKTYPE
                info.linkname = first_path_of_inode[(st.st_dev, st.st_ino)].lstrip("/")
                tar.addfile(info)
            else:
                if st.st_nlink > 1:
                    first_path_of_inode[(st.st_dev, st.st_ino)] = path
                info.size = st.st_size
                with open(root + path, "rb") as f:
                    tar.addfile(info, f)


def write_cpio_newc(root, table, out_path):
    entries = rootfs_entries(root, table)
    # Hard links: every name of an inode shares one cpio inode number; data goes in the last.
    names_of_inode = {}
    for path, st, dev in entries:
        if st is not None and stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
            names_of_inode.setdefault((st.st_dev, st.st_ino), []).append(path)
    cpio_ino_of = {}
    with open(out_path, "wb") as f:
        w = CpioWriter(f)
        for path, st, dev in entries:
            name = path.lstrip("/")
            if dev is not None:
                kind, mode, uid, gid, major, minor = dev
                fmt = stat.S_IFCHR if kind == "c" else stat.S_IFBLK
                w.entry(name, fmt | mode, uid=uid, gid=gid,
                        mtime=int(os.environ["SOURCE_DATE_EPOCH"]), rdev=(major, minor))
                continue
            common = dict(uid=st.st_uid, gid=st.st_gid, mtime=int(st.st_mtime))
            if stat.S_ISDIR(st.st_mode):
                w.entry(name, st.st_mode, nlink=2, **common)
            elif stat.S_ISLNK(st.st_mode):
                w.entry(name, st.st_mode, os.readlink(root + path).encode(), **common)
            else:
                names = names_of_inode.get((st.st_dev, st.st_ino), [path])
                key = (st.st_dev, st.st_ino)
                if key not in cpio_ino_of:
                    cpio_ino_of[key] = w.next_ino
                    w.next_ino += 1
                data = b""
                if path == names[-1]:
                    with open(root + path, "rb") as src:
                        data = src.read()
                w.entry(name, st.st_mode, data, nlink=len(names), ino=cpio_ino_of[key],
                        **common)
        w.trailer()


def main():
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    fmt, root, table, out = sys.argv[1:]
    if fmt.startswith("tar-"):
        write_tar(fmt, root, table, out)
    elif fmt == "cpio-newc":
        write_cpio_newc(root, table, out)
    else:
        raise SystemExit(f"unknown format {fmt}")


if __name__ == "__main__":
    main()
