#!/usr/bin/env python3
"""Checks `clearbox unpack` and `clearbox ls --json` against the images of build-images.sh.

    check_images.py --clearbox BIN --images OUTDIR_OF_BUILD_IMAGES --work DIR [-j N] [-k REGEX]

Packed images: each must unpack (exit 0, not partial) to the reference root filesystem
(rootfs-manifest.json): the same paths, types, modes, owners, mtimes, link targets, device
numbers and file contents' SHA-256, in a filesystem reached through the expected chain of
containers; every file written under its "output" with the same content, symlinks written as
symlinks, no device node, fifo, socket or setuid bit created; `ls --json` lists the same.
What a format cannot store (device nodes in zip, hard links in ISO...) is set per image.

Hostile inputs: nothing written outside the output directory (a sentinel directory next to
it and an absolute directory under /tmp stay unchanged), raw names recorded, limits and
corruption reported as notes, exit 0 or 2 with a message, never a crash or a hang.

Prints one line per case and "N passed, N failed"; exits 1 if any failed.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import random
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_hostile import ABS_DIR, MAX_UP  # noqa: E402
from unpack_checks import (Result, chain_matches, check_exit, compare_listing,  # noqa: E402
                           du_bytes, load_manifest, nodes_by_filesystem, notes_text,
                           output_path, run_clearbox, sha256_file, special_files,
                           tree_snapshot)

GOOD_TIMEOUT = 120
HOSTILE_TIMEOUT = 120
BOMB_MAX_BYTES = 512 << 20  # a ceiling for the bombs, so a defect cannot fill the disk


def tok(fmt, at=None):
    """A regex for one provenance part: "squashfs", "uimage@0x0", "tar:/firmware/x"."""
    offset = at if at is not None else "0x[0-9a-f]+"
    return rf"{fmt}(@{offset})?(:.*)?" if at is None else rf"{fmt}@{offset}(:.*)?"


# What each format can carry of the reference tree.
FULL = dict(devices=True, hardlink="either", mtime=True, owner=True)
ARCHIVE = dict(devices=True, hardlink="required", mtime=True, owner=True)
NO_DEVICES = dict(FULL, devices=False)
# ext2/3/4 always hold /lost+found, made by the formatter: the one path beyond the rootfs.
EXT = dict(FULL, extra=("/lost+found",))
ZIP_LIKE = dict(devices=False, hardlink="either", mtime=False, owner=False)

# (image, provenance chain of the rootfs container, its format, profile)
PACKED = [
    ("rootfs-squashfs-gzip.uimg", [tok("uimage", "0x0"), tok("squashfs")], "squashfs", FULL),
    ("rootfs-squashfs-xz.uimg", [tok("uimage", "0x0"), tok("squashfs")], "squashfs", FULL),
    ("rootfs-squashfs-lzo.uimg", [tok("uimage", "0x0"), tok("squashfs")], "squashfs", FULL),
    ("rootfs-squashfs-lz4.uimg", [tok("uimage", "0x0"), tok("squashfs")], "squashfs", FULL),
    ("rootfs-squashfs-zstd.uimg", [tok("uimage", "0x0"), tok("squashfs")], "squashfs", FULL),
    ("rootfs.squashfs-lzma", [tok("squashfs")], "squashfs", FULL),
    ("multi.uimg", [tok("uimage", "0x0"), tok("squashfs")], "squashfs", FULL),
    ("rootfs.itb", [tok("fit", "0x0"), tok("squashfs")], "squashfs", FULL),
    ("initramfs-gzip.uimg", [tok("uimage", "0x0"), tok("cpio")], "cpio", ARCHIVE),
    ("rootfs.cpio.gz", [tok("cpio")], "cpio", ARCHIVE),
    ("rootfs-odc.cpio.bz2", [tok("cpio")], "cpio", dict(NO_DEVICES, hardlink="either")),
    ("rootfs-crc.cpio.lz4", [tok("cpio")], "cpio", dict(NO_DEVICES, hardlink="either")),
    ("rootfs.tar", [tok("tar")], "tar", ARCHIVE),
    ("rootfs.tar.gz", [tok("tar")], "tar", ARCHIVE),
    ("rootfs.tar.xz", [tok("tar")], "tar", ARCHIVE),
    ("rootfs.tar.zst", [tok("tar")], "tar", dict(ARCHIVE, devices=False)),
    ("rootfs.ext2", [tok("ext[234]?")], r"ext[234]?", EXT),
    ("rootfs.ext4", [tok("ext[234]?")], r"ext[234]?", dict(EXT, devices=False)),
    ("rootfs.ext4.simg", [tok("android-sparse", "0x0"), tok("ext[234]?")], r"ext[234]?",
     dict(EXT, devices=False)),
    ("rootfs-le.jffs2", [tok("jffs2")], "jffs2", FULL),
    ("rootfs-be-lzo.jffs2", [tok("jffs2")], "jffs2", FULL),
    ("rootfs-ubifs-lzo.ubi", [tok("ubi"), tok("ubifs")], "ubifs", FULL),
    ("rootfs-ubifs-zlib.ubi", [tok("ubi"), tok("ubifs")], "ubifs", FULL),
    ("rootfs-ubifs-zstd.ubi", [tok("ubi"), tok("ubifs")], "ubifs", FULL),
    ("rootfs.zip", [tok("zip")], "zip", ZIP_LIKE),
    ("rootfs.7z", [tok("7z(ip)?")], r"7z(ip)?", dict(ZIP_LIKE, mtime=True)),
    ("rootfs.iso", [tok("iso(9660)?")], r"iso(9660)?", dict(NO_DEVICES, owner=True)),
    ("nested.tar.gz", [tok("tar"), tok("uimage"), tok("squashfs")], "squashfs", FULL),
    ("flash.bin", [tok("squashfs", "0x200000")], "squashfs", FULL),
]


class Context:
    def __init__(self, args):
        self.clearbox = args.clearbox
        self.images = os.path.join(args.images, "images")
        self.hostile = os.path.join(args.images, "hostile")
        self.work = args.work
        with open(os.path.join(args.images, "rootfs-manifest.json")) as f:
            self.reference = json.load(f)["nodes"]
        with open(os.path.join(self.images, "flash.bin.layout.json")) as f:
            self.flash = json.load(f)
        with open(os.path.join(self.images, "kernel-lzma.uimg.payload-sha256")) as f:
            self.vmlinux_sha256 = f.read().strip()


# --- packed images ------------------------------------------------------------------------------

def unpack_and_list(ctx, result, image_path, extra_args=(), timeout=GOOD_TIMEOUT):
    """Runs unpack into a fresh directory and ls --json; returns (manifest, ls, out_dir)."""
    case_dir = os.path.join(ctx.work, result.name)
    shutil.rmtree(case_dir, ignore_errors=True)
    os.makedirs(case_dir)
    out_dir = os.path.join(case_dir, "out")
    run = run_clearbox(ctx.clearbox, ["unpack", image_path, "-o", out_dir, *extra_args], timeout)
    result.info.append(f"unpack {run.seconds:.1f}s")
    if not check_exit(result, run, allowed=(0,)):
        return None, None, out_dir
    manifest_path = os.path.join(out_dir, "manifest.json")
    if not result.expect(os.path.isfile(manifest_path), f"no {manifest_path} after exit 0"):
        return None, None, out_dir
    with open(manifest_path, "rb") as f:
        manifest = load_manifest(result, f.read(), "manifest.json")
    ls_run = run_clearbox(ctx.clearbox, ["ls", image_path, "--json", *extra_args], timeout)
    result.info.append(f"ls {ls_run.seconds:.1f}s")
    listing = None
    if check_exit(result, ls_run, allowed=(0,)):
        listing = load_manifest(result, ls_run.stdout, "ls --json")
        if listing is not None and "--hash" not in extra_args:
            result.expect(listing["sha256"] is None,
                          f"ls --json without --hash has image sha256 {listing['sha256']!r}, "
                          "want null (not computed)")
    return manifest, listing, out_dir


def check_header(result, manifest, image_path):
    result.expect(manifest["image"] == os.path.basename(image_path),
                  f"manifest image is {manifest['image']!r}, want {os.path.basename(image_path)!r}")
    result.expect(manifest["sha256"] == sha256_file(image_path),
                  f"manifest sha256 {manifest['sha256']} is not the image's SHA-256")


def pick_filesystem(result, manifest, chain, fmt):
    """The container holding the rootfs: the expected chain and format, with the most nodes."""
    by_fs = nodes_by_filesystem(manifest)
    candidates = [fs for fs in manifest["filesystems"]
                  if re.fullmatch(fmt, fs.get("format", "")) and
                  chain_matches(fs.get("provenance", ""), chain)]
    if not candidates:
        seen = ", ".join(f"{fs.get('provenance')} ({fs.get('format')})"
                         for fs in manifest["filesystems"]) or "none"
        result.fail(f"no {fmt} container reached through {chain}; filesystems: {seen}")
        return None, []
    best = max(candidates, key=lambda fs: len(by_fs.get(fs["provenance"], [])))
    return best, by_fs.get(best["provenance"], [])


def hardlink_groups(reference):
    """path -> set of every path of the same inode, for reference hard links."""
    groups = {}
    for node in reference:
        if node["type"] == "hardlink":
            groups.setdefault(node["link_target"], {node["link_target"]}).add(node["path"])
    out = {}
    for members in groups.values():
        for path in members:
            out[path] = members
    return out


def compare_tree(result, reference, got_nodes, fs_provenance, profile, out_dir):
    """Compares the nodes of one container with the reference, and what unpack wrote."""
    ref = {n["path"]: n for n in reference if profile["devices"] or "device" not in n}
    got = {}
    for node in got_nodes:
        path = node.get("path")
        if path == "/" or path in profile.get("extra", ()):
            continue
        if path in got:
            result.fail(f"{path}: listed twice")
        got[path] = node
    missing = sorted(set(ref) - set(got))
    extra = sorted(set(got) - set(ref))
    if missing:
        result.fail(f"{len(missing)} paths missing, e.g. {missing[:8]}")
    if extra:
        result.fail(f"{len(extra)} paths not in the rootfs, e.g. {extra[:8]}")
    groups = hardlink_groups(reference)
    linked_groups = set()

    for path in sorted(set(ref) & set(got)):
        r, g = ref[path], got[path]
        where = f"{path}:"
        if g.get("provenance") != f"{fs_provenance}:{path}":
            result.fail(f"{where} provenance {g.get('provenance')!r}, want "
                        f"{fs_provenance + ':' + path!r}")
        gtype = g.get("type")
        group = groups.get(path)
        if group is not None:
            # A hard link may come back as a "hardlink" to any other name of the inode, or
            # (where the format shares inodes rather than naming a target) as a plain file.
            if gtype == "hardlink":
                target = g.get("link_target", "")
                if not result.expect(target in group and target != path,
                                     f"{where} hardlink to {target!r}, want one of "
                                     f"{sorted(group - {path})}"):
                    continue
                linked_groups.add(frozenset(group))
            elif not result.expect(gtype == "file", f"{where} type {gtype}, want file or "
                                   f"hardlink"):
                continue
        elif not result.expect(gtype == r["type"], f"{where} type {gtype}, want {r['type']}"):
            continue
        if gtype != "hardlink" and r["type"] != "symlink":
            result.expect(g.get("mode") == r["mode"],
                          f"{where} mode {g.get('mode')}, want {r['mode']}")
        if profile["owner"]:
            result.expect((g.get("uid"), g.get("gid")) == (r["uid"], r["gid"]),
                          f"{where} owner {g.get('uid')}:{g.get('gid')}, want "
                          f"{r['uid']}:{r['gid']}")
        if profile["mtime"] and r.get("mtime") is not None and gtype != "hardlink":
            result.expect(g.get("mtime") == r["mtime"],
                          f"{where} mtime {g.get('mtime')}, want {r['mtime']}")
        if r["type"] in ("file", "hardlink"):
            if gtype == "file":
                result.expect(g.get("size") == r["size"],
                              f"{where} size {g.get('size')}, want {r['size']}")
                result.expect(g.get("sha256") == r["sha256"],
                              f"{where} sha256 {g.get('sha256')}, want {r['sha256']}")
            elif "sha256" in g:
                result.expect(g["sha256"] == r["sha256"],
                              f"{where} sha256 {g['sha256']}, want {r['sha256']}")
        if r["type"] == "symlink":
            result.expect(g.get("link_target") == r["link_target"],
                          f"{where} link target {g.get('link_target')!r}, want "
                          f"{r['link_target']!r}")
        if "device" in r:
            result.expect(g.get("device") == r["device"],
                          f"{where} device {g.get('device')}, want {r['device']}")
        if out_dir is not None:
            check_written(result, out_dir, r, g)

    if profile["hardlink"] == "required":
        for group in {frozenset(g) for g in groups.values()}:
            if all(p in got for p in group):
                result.expect(group in linked_groups,
                              f"hard link {sorted(group)} not recorded as a hardlink")


def check_written(result, out_dir, ref_node, node):
    """The node as unpack wrote it: files with their content, symlinks as symlinks."""
    path, kind = ref_node["path"], node.get("type")
    full = output_path(out_dir, node)
    if node.get("output") is not None and full is None:
        result.fail(f"{path}: output {node['output']!r} is outside the output directory")
        return
    if kind in ("file", "hardlink"):
        if kind == "file" and not result.expect(full is not None, f"{path}: file not written"):
            return
        if full is None:
            return
        if result.expect(os.path.isfile(full) and not os.path.islink(full),
                         f"{path}: output {node['output']!r} is not a regular file"):
            result.expect(sha256_file(full) == ref_node["sha256"],
                          f"{path}: written content differs ({node['output']})")
    elif kind == "symlink":
        if result.expect(full is not None and os.path.islink(full),
                         f"{path}: symlink not written as a symlink"):
            result.expect(os.readlink(full) == ref_node["link_target"],
                          f"{path}: written symlink points to {os.readlink(full)!r}")
    elif kind == "dir" and full is not None:
        result.expect(os.path.isdir(full) and not os.path.islink(full),
                      f"{path}: output {node['output']!r} is not a directory")


def check_packed(ctx, name, chain, fmt, profile):
    result = Result(name)
    image = os.path.join(ctx.images, name)
    manifest, listing, out_dir = unpack_and_list(ctx, result, image)
    if manifest is None:
        return result
    check_header(result, manifest, image)
    result.expect(manifest["partial"] is False,
                  f"partial result; notes: {notes_text(manifest)[:5]}")
    fs, nodes = pick_filesystem(result, manifest, chain, fmt)
    if fs is not None:
        compare_tree(result, ctx.reference, nodes, fs["provenance"], profile, out_dir)
    for problem in special_files(out_dir):
        result.fail(problem)
    if listing is not None:
        compare_listing(result, manifest, listing)
    if name == "flash.bin":
        check_flash(ctx, result, manifest)
    if name in ("multi.uimg", "rootfs.itb"):  # both hold the lzma kernel
        result.expect(any(n.get("sha256") == ctx.vmlinux_sha256 for n in manifest["nodes"]),
                      f"{name}: the lzma kernel is not among the nodes, decompressed")
    if name == "rootfs.itb":  # kernel, rootfs and device tree each carry one hash
        summary = [n["message"] for n in manifest["notes"] if n["message"].startswith("FIT image")]
        result.expect(len(summary) == 1 and summary[0].count("1 hash verified") == 3,
                      f"FIT: not every image's hash was checked: {summary}")
    shutil.rmtree(os.path.join(ctx.work, name), ignore_errors=True)
    return result


def check_flash(ctx, result, manifest):
    """Carving: the kernel uImage and the squashfs found at their offsets, nothing false."""
    kernel_at = ctx.flash["kernel_uimage"]["offset"]
    env_at = ctx.flash["env"]["offset"]
    provenances = [f["provenance"] for f in manifest["filesystems"]]
    result.expect(any(f"uimage@{kernel_at:#x}" in p for p in provenances),
                  f"kernel uImage at {kernel_at:#x} not carved; filesystems: {provenances}")
    payload = [n for n in manifest["nodes"] if n.get("sha256") == ctx.vmlinux_sha256]
    result.expect(bool(payload), "the kernel's decompressed payload is not among the nodes")
    for fs in manifest["filesystems"]:
        parts = fs["provenance"].split("!")
        if len(parts) == 2:
            at = re.search(r"@0x([0-9a-f]+)", parts[1])
            if at and int(at.group(1), 16) < env_at:
                result.fail(f"false positive in the bootloader: {fs['provenance']}")
    corrupt = notes_text(manifest, kinds=("corrupt",))
    result.expect(not corrupt, f"corrupt notes on a sound flash dump: {corrupt[:3]}")


def check_kernel(ctx):
    """A kernel-type uImage with an lzma payload: header parsed, payload decompressed."""
    name = "kernel-lzma.uimg"
    result = Result(name)
    image = os.path.join(ctx.images, name)
    manifest, listing, out_dir = unpack_and_list(ctx, result, image)
    if manifest is None:
        return result
    check_header(result, manifest, image)
    result.expect(manifest["partial"] is False, f"partial; notes: {notes_text(manifest)[:5]}")
    result.expect(any(chain_matches(f["provenance"], [tok("uimage", "0x0")])
                      for f in manifest["filesystems"]),
                  f"no uimage@0x0 container: {[f['provenance'] for f in manifest['filesystems']]}")
    payload = [n for n in manifest["nodes"] if n.get("sha256") == ctx.vmlinux_sha256]
    if result.expect(bool(payload), "no node holds the decompressed kernel (vmlinux) payload"):
        full = output_path(out_dir, payload[0])
        result.expect(full is not None and sha256_file(full) == ctx.vmlinux_sha256,
                      "the kernel payload is not written with its content")
    if listing is not None:
        compare_listing(result, manifest, listing)
    shutil.rmtree(os.path.join(ctx.work, name), ignore_errors=True)
    return result


# --- hostile inputs -----------------------------------------------------------------------------

def sha_text(text):
    return hashlib.sha256(text).hexdigest()


def run_hostile(ctx, result, name, extra_args=(), timeout=HOSTILE_TIMEOUT):
    """Unpacks a hostile input next to a sentinel directory; returns (run, manifest, out_dir)
    after checking the universal rules: exit 0/2 with a message, nothing outside, nothing
    special created."""
    case_dir = os.path.join(ctx.work, "hostile", name)
    shutil.rmtree(case_dir, ignore_errors=True)
    sentinel = os.path.join(case_dir, "sentinel")
    os.makedirs(sentinel)
    with open(os.path.join(sentinel, "keep.txt"), "w") as f:
        f.write("sentinel, must stay as it is\n")
    before = tree_snapshot(sentinel)
    out_dir = os.path.join(case_dir, "out")
    run = run_clearbox(ctx.clearbox, ["unpack", os.path.join(ctx.hostile, name), "-o", out_dir,
                                      *extra_args], timeout)
    result.info.append(f"exit {run.returncode} in {run.seconds:.1f}s")
    check_exit(result, run)
    result.expect(tree_snapshot(sentinel) == before,
                  f"the sentinel directory next to the output changed: "
                  f"{sorted(set(tree_snapshot(sentinel).items()) ^ set(before.items()))[:4]}")
    result.expect(sorted(os.listdir(case_dir)) == ["out", "sentinel"] or
                  sorted(os.listdir(case_dir)) == ["sentinel"],
                  f"written next to the output directory: {sorted(os.listdir(case_dir))}")
    if os.path.isdir(out_dir):
        for problem in special_files(out_dir):
            result.fail(problem)
    manifest = None
    manifest_path = os.path.join(out_dir, "manifest.json")
    if run.returncode == 0 and result.expect(os.path.isfile(manifest_path),
                                             "exit 0 without manifest.json"):
        with open(manifest_path, "rb") as f:
            manifest = load_manifest(result, f.read(), "manifest.json")
    if run.returncode == 2 and os.path.isfile(manifest_path):
        with open(manifest_path, "rb") as f:
            manifest = load_manifest(result, f.read(), "manifest.json")
    return run, manifest, out_dir


def nodes_at(manifest, path):
    return [n for n in manifest["nodes"] if n.get("path") == path]


def expect_node(result, manifest, path, **want):
    found = nodes_at(manifest, path)
    if not result.expect(bool(found), f"{path}: not recorded"):
        return None
    node = found[0]
    for key, value in want.items():
        result.expect(node.get(key) == value, f"{path}: {key} {node.get(key)!r}, want {value!r}")
    return node


def reported(manifest, run):
    """A damaged input must not look clean: exit 2, or partial with a note."""
    return run.returncode == 2 or (manifest is not None and manifest["partial"] and
                                   any(n.get("kind") != "info" for n in manifest["notes"]))


def hostile_traversal_tar(ctx, result):
    run, m, out = run_hostile(ctx, result, "traversal.tar")
    if m is None:
        return result.fail("no manifest")
    for raw, path in [("../escape-1.txt", "/escape-1.txt"), ("../../escape-2.txt", "/escape-2.txt"),
                      ("sub/../../escape-3.txt", "/escape-3.txt"),
                      (ABS_DIR + "/abs-escape.txt", ABS_DIR + "/abs-escape.txt")]:
        expect_node(result, m, path, raw_path=raw, type="file")
    for path in ("/ok.txt", "/ok2.txt", "/dir/double/slash.txt"):
        node = expect_node(result, m, path, type="file", sha256=sha_text(b"fine\n"))
        if node is not None:
            full = output_path(out, node)
            result.expect(full is not None and sha256_file(full) == sha_text(b"fine\n"),
                          f"{path}: not written inside the output directory")


def hostile_symlink_tar(ctx, result):
    run, m, out = run_hostile(ctx, result, "symlink-escape.tar")
    if m is None:
        return result.fail("no manifest")
    links = {f"/up{k}": "../" * k + "sentinel" for k in range(1, MAX_UP + 1)}
    links.update({"/abs": ABS_DIR, "/deep": "../" * 16 + ABS_DIR.lstrip("/"),
                  "/d/rel": "../../sentinel", "/selfloop": "selfloop", "/loopa": "loopb"})
    for path, target in links.items():
        node = expect_node(result, m, path, type="symlink", link_target=target)
        full = output_path(out, node) if node else None
        if full is not None:
            result.expect(os.path.islink(full) and os.readlink(full) == target,
                          f"{path}: not written as the symlink stored")
    # Entries below a symlink are recorded but cannot be written without following it.
    for parent in [f"up{k}" for k in range(1, MAX_UP + 1)] + ["abs", "deep", "d/rel", "loopa"]:
        node = expect_node(result, m, f"/{parent}/pwned.txt", type="file")
        if node is not None:
            result.expect("output" not in node,
                          f"/{parent}/pwned.txt: written through the symlink /{parent} "
                          f"(output {node.get('output')!r})")
    result.expect(m["partial"] is True, "entries not written, but the result is not partial")


def hostile_hardlink_tar(ctx, result):
    run, m, out = run_hostile(ctx, result, "hardlink-tricks.tar")
    if m is None:
        return result.fail("no manifest")
    node = expect_node(result, m, "/good-link", type="hardlink", link_target="/real.txt")
    full = output_path(out, node) if node else None
    if full is not None and os.path.exists(full):
        result.expect(sha256_file(full) == sha_text(b"real\n"), "/good-link: wrong content")
    for path in ("/a", "/b", "/self", "/missing-link", "/h1", "/habs"):
        result.expect(bool(nodes_at(m, path)), f"{path}: not recorded")


def hostile_duplicates_tar(ctx, result):
    run, m, out = run_hostile(ctx, result, "duplicates.tar")
    if m is None:
        return result.fail("no manifest")
    dups = nodes_at(m, "/dup.txt")
    result.expect(sorted(n.get("sha256", "") for n in dups) ==
                  sorted([sha_text(b"first\n"), sha_text(b"second\n")]),
                  f"/dup.txt: want both stored copies recorded, got {len(dups)}")
    result.expect(len(nodes_at(m, "/x")) == 2 and len(nodes_at(m, "/z")) == 2,
                  "/x and /z (file and directory of the same name) not both recorded")
    result.expect(bool(nodes_at(m, "/x/y")) and bool(nodes_at(m, "/z/inner")),
                  "/x/y or /z/inner not recorded")


def hostile_devices_tar(ctx, result):
    run, m, out = run_hostile(ctx, result, "devices.tar")
    if m is None:
        return result.fail("no manifest")
    expect_node(result, m, "/dev/console", type="chardev", mode="0600",
                device={"major": 5, "minor": 1})
    expect_node(result, m, "/dev/sda", type="blockdev", mode="0660",
                device={"major": 8, "minor": 0})
    expect_node(result, m, "/dev/initctl", type="fifo", mode="0600")
    expect_node(result, m, "/dev/mem", type="chardev", mode="4666")
    su = expect_node(result, m, "/bin/su", type="file", mode="4755")
    expect_node(result, m, "/bin/wall", type="file", mode="2755")
    full = output_path(out, su) if su else None
    if result.expect(full is not None and os.path.isfile(full), "/bin/su: not written"):
        result.expect(not os.stat(full).st_mode & 0o6000, "/bin/su: setuid applied on disk")


def hostile_cpio(ctx, result):
    run, m, out = run_hostile(ctx, result, "hostile.cpio")
    if m is None:
        return result.fail("no manifest")
    expect_node(result, m, "/cpio-escape.txt", raw_path="../cpio-escape.txt")
    expect_node(result, m, ABS_DIR + "/cpio-abs.txt", raw_path=ABS_DIR + "/cpio-abs.txt")
    expect_node(result, m, "/run/ctl.sock", type="socket")
    expect_node(result, m, "/dev/initctl", type="fifo")
    expect_node(result, m, "/dev/console", type="chardev", device={"major": 5, "minor": 1})
    expect_node(result, m, "/dev/mtdblock0", type="blockdev", device={"major": 31, "minor": 0})
    expect_node(result, m, "/sbin/suid-sgid", type="file", mode="6755")
    for k in range(1, MAX_UP + 1):
        expect_node(result, m, f"/lnk{k}", type="symlink", link_target="../" * k + "sentinel")


def hostile_zip(ctx, result):
    run, m, out = run_hostile(ctx, result, "traversal.zip")
    if m is None:
        return result.fail("no manifest")
    expect_node(result, m, "/zip-escape.txt", raw_path="../zip-escape.txt")
    expect_node(result, m, "/zip-escape-2.txt", raw_path="a/../../zip-escape-2.txt")
    expect_node(result, m, ABS_DIR + "/zip-abs.txt", raw_path=ABS_DIR + "/zip-abs.txt")
    for k in range(1, MAX_UP + 1):
        expect_node(result, m, f"/zl{k}", type="symlink", link_target="../" * k + "sentinel")


def limit_reported(result, run, m, what):
    if m is None:
        return result.fail(f"{what}: no manifest")
    limits = notes_text(m, kinds=("limit",))
    result.expect(bool(limits), f"{what}: no limit note; notes: {notes_text(m)[:4]}")
    result.expect(m["partial"] is True, f"{what}: result not flagged partial")


def bomb_zeros(ctx, result):
    run, m, out = run_hostile(ctx, result, "bomb-zeros.gz", ["--max-bytes", str(BOMB_MAX_BYTES)])
    limit_reported(result, run, m, "gzip of 1 GiB of zeros")
    result.expect(du_bytes(out) <= BOMB_MAX_BYTES + (16 << 20),
                  f"wrote {du_bytes(out) >> 20} MiB, above the limit")


def bomb_nested_zip(ctx, result):
    run, m, out = run_hostile(ctx, result, "bomb-nested.zip", ["--max-bytes", str(BOMB_MAX_BYTES)])
    limit_reported(result, run, m, "nested zip")
    result.expect(du_bytes(out) <= BOMB_MAX_BYTES + (16 << 20),
                  f"wrote {du_bytes(out) >> 20} MiB, above the limit")
    if m is not None:
        result.expect(len(m["nodes"]) > 0, "nothing kept of what was read before the limit")


def bomb_ratio_zip(ctx, result):
    """~10 MB of zips whose every stream is under the per-stream ratio, 2.9 GB in all: with
    the default limits it stops at 100x the image's size, under 1 GiB, within a minute."""
    run, m, out = run_hostile(ctx, result, "bomb-ratio.zip", timeout=60)
    limit_reported(result, run, m, "zip of zips under the per-stream ratio")
    if m is not None:
        result.expect(any("100x the image" in t for t in notes_text(m, kinds=("limit",))),
                      f"the limit note does not name the total ratio: {notes_text(m)[:3]}")
    result.expect(du_bytes(out) < 1 << 30, f"wrote {du_bytes(out) >> 20} MiB (limit: < 1 GiB)")


def bomb_deep_gzip(ctx, result):
    run, m, out = run_hostile(ctx, result, "bomb-deep.gz")  # default --max-depth
    limit_reported(result, run, m, "gzip 40 deep")
    if m is not None:
        result.expect(any("depth" in t.lower() for t in notes_text(m, kinds=("limit",))),
                      f"the limit note does not name the depth: {notes_text(m)[:3]}")


def bomb_sparse(ctx, result):
    run, m, out = run_hostile(ctx, result, "bomb-sparse.squashfs",
                              ["--max-bytes", str(BOMB_MAX_BYTES)])
    limit_reported(result, run, m, "squashfs with a 4 GiB sparse file")
    if m is not None:
        expect_node(result, m, "/small.txt", sha256=sha_text(b"small\n"))
        expect_node(result, m, "/huge.bin", size=4 << 30)
    result.expect(du_bytes(out) <= BOMB_MAX_BYTES + (16 << 20),
                  f"wrote {du_bytes(out) >> 20} MiB, above the limit")
    ls = run_clearbox(ctx.clearbox, ["ls", os.path.join(ctx.hostile, "bomb-sparse.squashfs"),
                                     "--json"], HOSTILE_TIMEOUT)
    if check_exit(result, ls, allowed=(0,)):
        listing = load_manifest(result, ls.stdout, "ls --json")
        if listing:
            expect_node(result, listing, "/huge.bin", size=4 << 30)


def damaged(name, must_report=True, min_nodes=0, crc_note=False):
    """A truncated or corrupted copy: no crash; reported; what is intact still unpacked."""

    def check(ctx, result):
        run, m, out = run_hostile(ctx, result, name)
        if must_report:
            result.expect(reported(m, run), "damage not reported: exit 0, not partial, no note")
        if m is not None and min_nodes:
            result.expect(len(m["nodes"]) >= min_nodes,
                          f"only {len(m['nodes'])} nodes kept, want >= {min_nodes}")
        if crc_note:
            result.expect(m is not None and any("crc" in t.lower() for t in notes_text(m)),
                          f"no CRC note; notes: {notes_text(m)[:4] if m else None}")
    check.__name__ = name
    return check


def garbage(name, expect_nodes=False):
    """Random or garbage input: no crash, no hang, and no filesystem made up from it."""

    def check(ctx, result):
        run, m, out = run_hostile(ctx, result, name)
        if m is not None and not expect_nodes:
            result.expect(not m["nodes"], f"{len(m['nodes'])} nodes made up from garbage, e.g. "
                          f"{[n.get('provenance') for n in m['nodes'][:3]]}")
    return check


def uimage_huge(ctx, result):
    run, m, out = run_hostile(ctx, result, "uimage-huge-size.bin")
    result.expect(reported(m, run), "a uImage claiming 4 GiB in 4 KiB not reported")


HOSTILE = {
    "traversal.tar": hostile_traversal_tar,
    "symlink-escape.tar": hostile_symlink_tar,
    "hardlink-tricks.tar": hostile_hardlink_tar,
    "duplicates.tar": hostile_duplicates_tar,
    "devices.tar": hostile_devices_tar,
    "hostile.cpio": hostile_cpio,
    "traversal.zip": hostile_zip,
    "bomb-zeros.gz": bomb_zeros,
    "bomb-nested.zip": bomb_nested_zip,
    "bomb-deep.gz": bomb_deep_gzip,
    "bomb-ratio.zip": bomb_ratio_zip,
    "bomb-sparse.squashfs": bomb_sparse,
    # squashfs keeps its tables at the end: cut there, nothing can be listed.
    "trunc-rootfs-squashfs-xz.uimg": damaged("trunc-rootfs-squashfs-xz.uimg"),
    "trunc-rootfs.tar.gz": damaged("trunc-rootfs.tar.gz", min_nodes=20),
    "trunc-rootfs.cpio.gz": damaged("trunc-rootfs.cpio.gz", min_nodes=20),
    "trunc-rootfs.ext2": damaged("trunc-rootfs.ext2"),
    "trunc-rootfs-le.jffs2": damaged("trunc-rootfs-le.jffs2", min_nodes=20),
    "trunc-rootfs-ubifs-lzo.ubi": damaged("trunc-rootfs-ubifs-lzo.ubi"),
    "trunc-rootfs.zip": damaged("trunc-rootfs.zip"),
    "trunc-rootfs.7z": damaged("trunc-rootfs.7z"),
    "trunc-flash.bin": damaged("trunc-flash.bin"),
    "flip-payload-squashfs-gzip.uimg": damaged("flip-payload-squashfs-gzip.uimg", crc_note=True,
                                               min_nodes=100),
    "flip-header-squashfs-gzip.uimg": damaged("flip-header-squashfs-gzip.uimg", crc_note=True),
    "flip-rootfs.tar.gz": damaged("flip-rootfs.tar.gz"),
    "flip-rootfs-le.jffs2": damaged("flip-rootfs-le.jffs2", min_nodes=100),
    "flip-rootfs-ubifs-lzo.ubi": damaged("flip-rootfs-ubifs-lzo.ubi"),
    # No checksums cover these bytes: only "no crash" can be asked.
    "flip-rootfs.squashfs-lzma": damaged("flip-rootfs.squashfs-lzma", must_report=False),
    "flip-rootfs.ext2": damaged("flip-rootfs.ext2", must_report=False),
    "uimage-huge-size.bin": uimage_huge,
    "squashfs-absurd.bin": damaged("squashfs-absurd.bin"),
    "gzip-garbage.gz": damaged("gzip-garbage.gz"),
    "empty.bin": garbage("empty.bin"),
    "random.bin": garbage("random.bin"),
    "erased-flash.bin": garbage("erased-flash.bin"),
    "magic-soup.bin": garbage("magic-soup.bin"),
}


# Twice the peak-RSS target, so that a scan keeping the whole blob resident fails
# (2026-12-07: 42 MiB in a release build, 32 MiB above its 10 MiB baseline; 270 MiB under
# ASan, 35 MiB above its 235 MiB baseline; 527 MiB before the scan dropped pages behind it).
BIG_BLOB_BYTES = 512 << 20
BIG_BLOB_RSS_LIMIT_KIB = 256 << 10


def baseline_rss_kib(ctx, scratch):
    """The peak RSS of `clearbox --version`: what the binary holds before it reads a byte.
    An AddressSanitizer build holds ~230 MiB there (its instrumented image and the globals'
    redzones: 235,040 KiB on 2026-12-07, against 10 MiB for a release build), so the blob's
    limit is counted above it."""
    return run_clearbox(ctx.clearbox, ["--version"], HOSTILE_TIMEOUT,
                        rss_file=scratch).max_rss_kib or 0


def big_blob(ctx):
    """A blob of no known format, larger than the peak-RSS target (256 MiB): carving scans it
    all, window by window, and must not keep it resident (a sparse file: no disk used)."""
    result = Result("big-blob")
    path = os.path.join(ctx.work, "big-blob.bin")
    with open(path, "wb") as f:
        f.truncate(BIG_BLOB_BYTES)
        f.seek(BIG_BLOB_BYTES // 2)
        f.write(random.Random(7).randbytes(1 << 16))
    run = run_clearbox(ctx.clearbox, ["ls", "--json", path], HOSTILE_TIMEOUT,
                       rss_file=path + ".rss")
    result.info.append(f"exit {run.returncode} in {run.seconds:.1f}s, "
                       f"peak RSS {run.max_rss_kib} KiB")
    # Nothing in it is recognised: exit 2, and the whole blob listed as not understood.
    if check_exit(result, run, allowed=(2,)):
        m = load_manifest(result, run.stdout, "ls --json")
        if m is not None:
            result.expect(not m["nodes"], f"{len(m['nodes'])} nodes made up from a blank blob")
            regions = [(u["offset"], u["length"]) for u in m.get("unclaimed", [])]
            result.expect(regions == [(0, BIG_BLOB_BYTES)],
                          f"unclaimed regions {regions[:3]}, want the whole blob")
    result.expect(run.max_rss_kib is not None, "peak RSS not measured (/usr/bin/time)")
    if run.max_rss_kib is not None:
        base = baseline_rss_kib(ctx, path + ".base.rss")
        result.info.append(f"clearbox --version alone: {base} KiB")
        grown = run.max_rss_kib - base
        result.expect(grown < BIG_BLOB_RSS_LIMIT_KIB,
                      f"peak RSS {run.max_rss_kib} KiB listing a {BIG_BLOB_BYTES >> 20} MiB "
                      f"blob, {grown} KiB above the binary's own {base} KiB: more than "
                      f"{BIG_BLOB_RSS_LIMIT_KIB} KiB")
    os.remove(path)
    return result


def run_hostile_case(ctx, name):
    result = Result("hostile/" + name)
    HOSTILE[name](ctx, result)
    if result.ok:
        shutil.rmtree(os.path.join(ctx.work, "hostile", name), ignore_errors=True)
    return result


# --- main ---------------------------------------------------------------------------------------

# Cases that fail for a known, not yet fixed reason (see the session-1 closing note).
KNOWN_DEFECTS = {
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clearbox", required=True)
    parser.add_argument("--images", required=True, help="OUTDIR of build-images.sh")
    parser.add_argument("--work", required=True, help="scratch directory (emptied)")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("-k", "--filter", default="", help="only cases matching this regex")
    args = parser.parse_args()
    ctx = Context(args)
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    hostile_names = sorted(os.listdir(ctx.hostile))
    unknown = set(hostile_names) - set(HOSTILE)
    if unknown:
        sys.exit(f"hostile inputs without a check: {sorted(unknown)}")

    # The absolute directory hostile names aim at: it must end as it began.
    os.makedirs(ABS_DIR, exist_ok=True)
    with open(os.path.join(ABS_DIR, "keep.txt"), "w") as f:
        f.write("sentinel, must stay as it is\n")
    abs_before = tree_snapshot(ABS_DIR)

    jobs = [(lambda n=n, c=c, f=f, p=p: check_packed(ctx, n, c, f, p), n)
            for n, c, f, p in PACKED]
    jobs.append((lambda: check_kernel(ctx), "kernel-lzma.uimg"))
    jobs.append((lambda: big_blob(ctx), "big-blob"))
    jobs += [(lambda n=n: run_hostile_case(ctx, n), "hostile/" + n) for n in hostile_names]
    jobs = [j for j in jobs if re.search(args.filter, j[1])]
    expected_images = {n for n, *_ in PACKED} | {"kernel-lzma.uimg"}
    present = {n for n in os.listdir(ctx.images) if not n.endswith((".json", "-sha256"))}
    if present != expected_images:
        sys.exit(f"images without a check: {sorted(present - expected_images)}; "
                 f"checks without an image: {sorted(expected_images - present)}")

    passed = failed = known = 0
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(fn): name for fn, name in jobs}
        for future in concurrent.futures.as_completed(futures):
            try:
                result = future.result()
            except Exception as e:  # a defect of the checker itself: report, keep going
                result = Result(futures[future])
                result.fail(f"checker error: {type(e).__name__}: {e}")
            info = f" ({', '.join(result.info)})" if result.info else ""
            if result.ok:
                passed += 1
                print(f"ok   {result.name}{info}", flush=True)
            elif result.name in KNOWN_DEFECTS:
                # Open defects, tracked in the closing note of session 1: still run and
                # printed in full, so a fix shows up as "ok", but they do not fail CI.
                known += 1
                print(f"XFAIL {result.name}{info}: known defect: {KNOWN_DEFECTS[result.name]}",
                      flush=True)
            else:
                failed += 1
                print(f"FAIL {result.name}{info}", flush=True)
                for p in result.problems[:25]:
                    print(f"       - {p}", flush=True)
                if len(result.problems) > 25:
                    print(f"       ... and {len(result.problems) - 25} more", flush=True)

    abs_after = tree_snapshot(ABS_DIR)
    if abs_after != abs_before:
        failed += 1
        print(f"FAIL {ABS_DIR} changed: {sorted(set(abs_after) ^ set(abs_before))}")
    else:
        passed += 1
        print(f"ok   nothing written to {ABS_DIR}")
    shutil.rmtree(ABS_DIR, ignore_errors=True)
    print(f"{len(jobs)} cases in {time.monotonic() - start:.0f}s")
    print(f"images: {passed} passed, {failed} failed, {known} known defects")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
