#!/usr/bin/env python3
"""Writes the reference manifest of a root filesystem directory.

    rootfs_manifest.py ROOTFS DEVICE_TABLE OUT.json

The reference is what every packed image of ROOTFS must unpack to: one entry per path
(the root itself excluded), sorted, with type, mode (octal string with setuid/setgid/sticky),
uid, gid, mtime, size, link target and the SHA-256 of file contents. Paths are absolute
inside the filesystem ("/etc/passwd").

Hard links: the first path of an inode (in sorted order) is a "file"; every later path is a
"hardlink" whose link_target is that first path, as tar and cpio record them.

Device nodes exist only in DEVICE_TABLE (genext2fs format: name type mode uid gid major
minor start inc count), never on disk, so that packers add them from their own tables.
"""
import hashlib
import json
import os
import stat
import sys


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_device_table(path):
    """Yields (path, type, mode, uid, gid, major, minor) for each single device entry."""
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, kind, mode, uid, gid, major, minor, start, inc, count = line.split()
            if kind not in ("c", "b"):
                raise SystemExit(f"{path}: only single c/b entries are supported: {line}")
            if count != "-":
                raise SystemExit(f"{path}: ranges are not supported: {line}")
            yield name, kind, int(mode, 8), int(uid), int(gid), int(major), int(minor)


def walk(root):
    """Every path below root, sorted by its in-filesystem path (byte order)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            out.append("/" + os.path.relpath(full, root))
    return sorted(out, key=lambda p: p.encode())


def build(root, device_table):
    nodes = []
    first_path_of_inode = {}
    for path in walk(root):
        st = os.lstat(root + path)
        node = {
            "path": path,
            "mode": "%04o" % stat.S_IMODE(st.st_mode),
            "uid": st.st_uid,
            "gid": st.st_gid,
            "mtime": int(st.st_mtime),
        }
        if stat.S_ISDIR(st.st_mode):
            node.update(type="dir", size=0)
        elif stat.S_ISLNK(st.st_mode):
            target = os.readlink(root + path)
            node.update(type="symlink", size=len(target.encode()), link_target=target)
        elif stat.S_ISREG(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if st.st_nlink > 1 and key in first_path_of_inode:
                node.update(type="hardlink", size=st.st_size,
                            link_target=first_path_of_inode[key])
            else:
                first_path_of_inode[key] = path
                node.update(type="file", size=st.st_size)
            node["sha256"] = sha256_of(root + path)
        else:
            raise SystemExit(f"{root}{path}: unexpected file type (devices belong in the table)")
        nodes.append(node)
    for name, kind, mode, uid, gid, major, minor in read_device_table(device_table):
        nodes.append({
            "path": name, "type": "chardev" if kind == "c" else "blockdev",
            "mode": "%04o" % mode, "uid": uid, "gid": gid, "mtime": None, "size": 0,
            "device": {"major": major, "minor": minor}, "from_device_table": True,
        })
    nodes.sort(key=lambda n: n["path"].encode())
    return nodes


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    root, table, out = sys.argv[1:]
    manifest = {"rootfs": os.path.basename(os.path.abspath(root)), "nodes": build(root, table)}
    with open(out, "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
