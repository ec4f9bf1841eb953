#!/usr/bin/env python3
"""Checks `clearbox inventory --json` on the images of build-inventory-images.sh and on the
real samples of ../shared/corpus/real.

For each test image (expected.json says what it holds, from the .deb control fields):
  - the package-database components are exactly the declared packages, with their versions;
  - the binary-only components are exactly the expected ones (anything else is a false
    component, named with its evidence), with the upstream version of their package;
  - every declared package whose binaries carry a signature is confirmed by that binary
    (its evidence includes the signature), and a contradicted one is reported twice, with
    a note on each;
  - the OS comes from os-release / openwrt_release.
For the Debian image also: every file's SHA-256 against the file `clearbox unpack` wrote;
the kind of keys, certificates and kernels; and for EVERY ELF, the hardening fields against
Debian's `checksec --output=json --file` on the unpacked file.
For the real samples: the components each one is known to hold, and no other.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def inventory(clearbox, image):
    r = subprocess.run([clearbox, "inventory", "--json", image], capture_output=True, timeout=600)
    if r.returncode != 0:
        fail(f"{image}: clearbox inventory exited {r.returncode}: {r.stderr.decode()[-500:]}")
        return None
    return json.loads(r.stdout)


def by_source(inv, source):
    return [c for c in inv["components"] if c["source"] == source]


def check_image(clearbox, images, name, want):
    inv = inventory(clearbox, os.path.join(images, name))
    if inv is None:
        return None
    db = sorted((c["name"], c["version"]) for c in by_source(inv, "package-db"))
    want_db = sorted((p["name"], p["version"]) for p in want["package_db"])
    if db != want_db:
        fail(f"{name}: package-db components {db}, want {want_db}")
    binary = by_source(inv, "binary")
    got_binary = sorted((c["name"], c["version"]) for c in binary)
    want_binary = sorted(tuple(x) for x in want["binary_only"])
    if got_binary != want_binary:
        extra = [c for c in binary if (c["name"], c["version"]) not in want_binary]
        for c in extra:
            e = c["evidence"][0]
            fail(f"{name}: false component {c['name']} {c['version']}: {e['provenance']} "
                 f"@{e['offset']:#x}: {e['matched']!r}")
        missing = [x for x in want_binary if x not in got_binary]
        if missing:
            fail(f"{name}: binary components missing: {missing}")
    os_components = [(c["name"], c["version"]) for c in by_source(inv, "os-release")]
    if (want["os"]["name"], want["os"]["version"]) not in os_components:
        fail(f"{name}: OS {want['os']} not among {os_components}")
    for sig, version in want["confirmed"]:
        confirmed = [c for c in by_source(inv, "package-db")
                     if any(e["method"] == "signature:" + sig and version in e["matched"]
                            for e in c["evidence"])]
        if not confirmed:
            fail(f"{name}: no package is confirmed by the {sig} {version} signature")
    for pkg, db_version, bin_version in want.get("contradicted", []):
        db_c = [c for c in inv["components"] if c["name"] == pkg and c["version"] == db_version]
        bin_c = [c for c in binary if c["name"] == pkg and c["version"] == bin_version]
        if not (db_c and bin_c and db_c[0].get("notes") and bin_c[0].get("notes")):
            fail(f"{name}: {pkg} {db_version} (db) vs {bin_version} (binary): both with notes wanted")
    for c in inv["components"]:
        if not c["purl"].startswith("pkg:"):
            fail(f"{name}: {c['name']} has no purl")
        if c["source"] != "os-release" and not c["cpe"].startswith("cpe:2.3:"):
            fail(f"{name}: {c['name']} {c['version']} has no CPE")
        if not c["evidence"]:
            fail(f"{name}: {c['name']} has no evidence")
    print(f"{name}: {len(inv['components'])} components, {len(got_binary)} from binaries, "
          f"{len(db)} from package databases")
    return inv


def checksec(path):
    r = subprocess.run(["checksec", "--output=json", f"--file={path}"], capture_output=True,
                       text=True, timeout=120)
    try:
        return json.loads(r.stdout)[path]
    except (ValueError, KeyError):
        return {"error": f"checksec printed no report ({r.returncode}): {r.stdout[:200]!r} {r.stderr[:200]!r}"}


def check_debian_files(clearbox, images, work, inv):
    out = os.path.join(work, "debian")
    subprocess.run(["rm", "-rf", out], check=True)
    subprocess.run([clearbox, "unpack", os.path.join(images, "debian.uimg"), "-o", out],
                   check=True, capture_output=True)
    manifest = json.load(open(os.path.join(out, "manifest.json")))
    written = {n["provenance"]: os.path.join(out, n["output"]) for n in manifest["nodes"]
               if n.get("output") and n["type"] == "file"}
    files = {f["provenance"]: f for f in inv["files"]}
    hashed = 0
    for prov, path in written.items():
        f = files.get(prov)
        if f is None:
            fail(f"debian.uimg: {prov} unpacked but not in the inventory")
            continue
        if hashlib.sha256(open(path, "rb").read()).hexdigest() != f["sha256"]:
            fail(f"debian.uimg: {prov}: SHA-256 differs from the unpacked file")
        hashed += 1
    kinds = {"/etc/ssl/private/server.key": "private-key", "/etc/ssl/certs/server.pem": "certificate",
             "/etc/ssl/certs/server.pub": "public-key", "/root/.ssh/authorized_keys": "public-key",
             "/usr/bin/c_rehash": "script", "/var/lib/dpkg/status": "text",
             "/etc/os-release": "config"}
    if os.path.exists(os.path.join(out, "rootfs", "boot")) or any(
            f["path"].startswith("/boot/vmlinuz") for f in inv["files"]):
        kinds["/boot/vmlinuz-5.4.72"] = "kernel"
    by_path = {f["path"]: f for f in inv["files"]}
    for path, kind in kinds.items():
        got = by_path.get(path, {}).get("kind")
        if got != kind:
            fail(f"debian.uimg: {path} is {got}, want {kind}")
    # ELF hardening against checksec, on every ELF.
    elves = [(f["provenance"], f["elf"]["hardening"]) for f in inv["files"] if "elf" in f]
    fields = ["relro", "canary", "nx", "pie", "rpath", "runpath", "symbols", "fortify_source",
              "fortified", "fortify-able"]

    def compare(item):
        prov, ours = item
        path = written.get(prov)
        if path is None:
            return [f"{prov}: ELF not unpacked"]
        theirs = checksec(path)
        return [f"{prov}: {k}: clearbox {ours.get(k)!r}, checksec {theirs.get(k)!r}"
                for k in fields if str(ours.get(k)) != str(theirs.get(k))]

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        mismatches = [m for ms in pool.map(compare, elves) for m in ms]
    for m in mismatches[:30]:
        fail("debian.uimg: checksec disagrees: " + m)
    if len(mismatches) > 30:
        fail(f"debian.uimg: ... and {len(mismatches) - 30} more checksec disagreements")
    machines = sorted({f["elf"]["machine"] + ("/be" if f["elf"]["endianness"] == "big" else "")
                       for f in inv["files"] if "elf" in f})
    print(f"debian.uimg: {hashed} file hashes checked; {len(elves)} ELF files x {len(fields)} "
          f"fields agree with checksec ({', '.join(machines)})")


# Known vulnerabilities of each test image under the advisory set tests/data/advisories: the
# component (name, version) and the advisory id, exactly. Not there on purpose: openssh 9.2p1
# (CVE-2024-6387) and glibc 2.36 (CVE-2023-4911), whose Debian packages carry the backported
# fixes (DSA-5724-1 says fixed in 1:9.2p1-2+deb12u3); busybox 1.36.1-1 from opkg (fixed in
# 1.36.0); dropbear 2022.83 (CVE-2016-7406 is before 2016.74).
VULNS = {
    "debian.uimg": {("busybox", "1.35.0", "CVE-2022-48174"), ("curl", "7.88.1", "CVE-2023-38545")},
    "openwrt.trx": {("busybox", "1.35.0", "CVE-2022-48174")},
    "flash.bin": {("busybox", "1.35.0", "CVE-2022-48174")},
}


def check_vulns_and_sbom(clearbox, images, work, name, vulndb, validator):
    image = os.path.join(images, name)
    r = subprocess.run([clearbox, "inventory", "--json", "--vulndb", vulndb, image],
                       capture_output=True, timeout=600)
    if r.returncode != 0:
        fail(f"{name}: inventory --vulndb exited {r.returncode}: {r.stderr.decode()[-300:]}")
        return
    inv = json.loads(r.stdout)
    if validator:  # the inventory JSON against its documented schema
        doc = os.path.join(work, f"{name}.inventory.json")
        open(doc, "wb").write(r.stdout)
        schema_check = os.path.join(os.path.dirname(__file__), "..", "json_schema_validate.js")
        schema = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "inventory.schema.json")
        v = subprocess.run(["node", schema_check, schema, doc], capture_output=True, text=True)
        if v.returncode != 0:
            fail(f"{name}: inventory JSON against docs/inventory.schema.json: {v.stdout[-800:]}{v.stderr[-300:]}")
    got = {(inv["components"][v["component"]]["name"], inv["components"][v["component"]]["version"],
            v["id"]) for v in inv["vulnerabilities"]}
    if got != VULNS[name]:
        fail(f"{name}: vulnerabilities {sorted(got)}, want {sorted(VULNS[name])}")
    for fmt in ["cyclonedx", "spdx"]:
        out = os.path.join(work, f"{name}.{fmt}.json")
        r = subprocess.run([clearbox, "sbom", "--vulndb", vulndb, "--format", fmt, image, "-o", out],
                           capture_output=True, timeout=600)
        if r.returncode != 0:
            fail(f"{name}: sbom --format {fmt} exited {r.returncode}")
            continue
        doc = json.load(open(out))
        if fmt == "cyclonedx":
            refs = {c["bom-ref"] for c in doc.get("components", [])}
            names = sorted((c["name"], c.get("version")) for c in doc.get("components", []))
            want = sorted((c["name"], c["version"]) for c in inv["components"])
            if names != want:
                fail(f"{name}: CycloneDX components {names}, want {want}")
            vex = {(v["id"], a["ref"]) for v in doc.get("vulnerabilities", []) for a in v["affects"]}
            if len(vex) != len(VULNS[name]) or any(ref not in refs for _, ref in vex):
                fail(f"{name}: CycloneDX vulnerabilities {sorted(vex)} do not match {sorted(VULNS[name])}")
            if validator:
                v = subprocess.run(validator + [out], capture_output=True, text=True)
                if v.returncode != 0:
                    fail(f"{name}: CycloneDX validator: {v.stdout[-500:]} {v.stderr[-500:]}")
        else:
            packages = {p["name"] for p in doc["packages"]}
            missing = {c["name"] for c in inv["components"]} - packages
            if missing:
                fail(f"{name}: SPDX packages miss {sorted(missing)}")
    print(f"{name}: {len(got)} vulnerabilities as expected; CycloneDX"
          f"{' (validated)' if validator else ''} and SPDX written")


# What each real sample holds (the tool's own reading of their headers and banners, checked by
# hand against the README of ../shared/corpus/real and `strings`): anything else is false.
CORPUS = {
    # The 2009 Broadcom ADSL rootfs (squashfs 2.0, vendor LZMA): the BusyBox banner, OpenSSL's
    # module strings in libcrypto.so.0.9.7, dropbear's banner inside /bin/cfm, ebtables' and
    # net-snmp's own version strings.
    "broadcom_adsl_rootfs_squashfs_v2_be.bin": [
        ("busybox", "1.00"), ("dropbear", "0.46"), ("ebtables", "2.0.6"), ("net-snmp", "5.0.8"),
        ("openssl", "0.9.7f")],
    # LANCOM's LCOS image: its LZMA'd kernel says "VxWorks5.5.1" and carries OpenSSL 0.9.8.
    "lancom_fw.ros": [("openssl", "0.9.8"), ("vxworks", "5.5.1")],
    # The TP-Link VxWorks kernel (in the IMG0 image): its Atheros hostapd/wpa_supplicant banners.
    "tplink_vxworks_wr.fw": [("hostapd", "0.5.9"), ("vxworks", "5.5.1"),
                             ("wpa_supplicant", "0.5.9")],
    "linux_bzImage_x86_gzip_5.4.72.bin": [("linux-kernel", "5.4.72")],
    "linux_bzImage_x86_xz_5.4.72.bin": [("linux-kernel", "5.4.72")],
    "tplink_tl-mr3020_v1_fw.tpl": [("linux-kernel", "2.6.31"), ("u-boot", "1.1.4")],
    "tplink_uboot_uimage_mips_truncated.bin": [("u-boot", "1.1.4")],
}


def check_corpus(clearbox, corpus):
    found = expected = false = 0
    for name in sorted(os.listdir(corpus)):
        if name.endswith((".md", ".json")) or name == "SHA256SUMS":
            continue
        inv = inventory(clearbox, os.path.join(corpus, name))
        if inv is None:
            continue
        got = sorted((c["name"], c["version"]) for c in inv["components"])
        want = sorted(CORPUS.get(name, []))
        expected += len(want)
        found += len([g for g in got if g in want])
        for g in got:
            if g not in want:
                false += 1
                fail(f"corpus {name}: false component {g}")
        for w in want:
            if w not in got:
                fail(f"corpus {name}: {w} not found")
    print(f"corpus: {found}/{expected} components found, {false} false")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clearbox", required=True)
    ap.add_argument("--images", required=True, help="OUTDIR of build-inventory-images.sh")
    ap.add_argument("--work", required=True)
    ap.add_argument("--corpus", help="../shared/corpus/real")
    ap.add_argument("--vulndb", help="a database imported from tests/data/advisories")
    ap.add_argument("--validator", help="command validating a CycloneDX file (sbom_validate.js)")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    expected = json.load(open(os.path.join(args.images, "expected.json")))
    images = os.path.join(args.images, "images")
    for name in ["debian.uimg", "openwrt.trx", "flash.bin"]:
        inv = check_image(args.clearbox, images, name, expected[name])
        if name == "debian.uimg" and inv is not None:
            check_debian_files(args.clearbox, images, args.work, inv)
        if args.vulndb:
            check_vulns_and_sbom(args.clearbox, images, args.work, name, args.vulndb,
                                 args.validator.split() if args.validator else None)
    if args.corpus and os.path.isdir(args.corpus):
        check_corpus(args.clearbox, args.corpus)
    if FAILURES:
        print(f"{len(FAILURES)} failures", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
