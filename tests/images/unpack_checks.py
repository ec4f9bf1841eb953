"""Helpers shared by the unpack integration checks (check_images.py, check_corpus.py).

They run the `clearbox` CLI as a user would and read what it wrote: the manifest contract is
  {"image", "sha256", "partial", "filesystems": [{"provenance", "format", "offset", "length"}],
   "nodes": [{"provenance", "filesystem", "path", "raw_path"?, "type", "mode", "uid", "gid",
              "mtime", "size", "link_target"?, "device"?, "sha256"?, "output"?}],
   "notes": [{"kind", "where", "offset", "message"}],
   "unclaimed": [{"provenance", "offset", "length", "entropy", "description"}]}
Every check appends a precise message (which image, which path, what differs) to a Result
rather than stopping at the first difference, so one run reports everything.
"""
import hashlib
import json
import os
import re
import signal
import stat
import subprocess
import time


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Result:
    """The outcome of one case: a name and the list of what was wrong."""

    def __init__(self, name):
        self.name = name
        self.problems = []
        self.info = []
        self.seconds = 0.0

    def fail(self, message):
        self.problems.append(message)

    def expect(self, condition, message):
        if not condition:
            self.fail(message)
        return condition

    @property
    def ok(self):
        return not self.problems


class Run:
    """One finished clearbox invocation (max_rss_kib: its peak RSS, when measured)."""

    def __init__(self, argv, returncode, stdout, stderr, seconds, timed_out, max_rss_kib=None):
        self.argv, self.returncode = argv, returncode
        self.stdout, self.stderr = stdout, stderr
        self.seconds, self.timed_out = seconds, timed_out
        self.max_rss_kib = max_rss_kib

    def describe(self):
        tail = self.stderr.decode(errors="replace").strip().splitlines()[-3:]
        how = "timed out" if self.timed_out else f"exit {self.returncode}"
        if self.returncode is not None and self.returncode < 0:
            how = f"killed by signal {-self.returncode}"
        return f"`{' '.join(os.path.basename(a) if i == 0 else a for i, a in enumerate(self.argv))}`: {how}" + (
            f", stderr: {' | '.join(tail)}" if tail else "")


def run_clearbox(clearbox, args, timeout, rss_file=None):
    """Runs clearbox in its own process group; a time-out kills the whole group. With
    `rss_file`, GNU time measures the peak RSS (written there, then read into the Run)."""
    argv = [clearbox] + args
    wrapped = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + argv if rss_file else argv
    start = time.monotonic()
    proc = subprocess.Popen(wrapped, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    max_rss_kib = None
    if rss_file and os.path.isfile(rss_file):
        with open(rss_file) as f:
            last = f.read().strip().splitlines()[-1:]  # after "Command exited with ..."
        max_rss_kib = int(last[0]) if last and last[0].isdigit() else None
    return Run(argv, proc.returncode, out, err, time.monotonic() - start, timed_out, max_rss_kib)


def check_exit(result, run, allowed=(0, 2)):
    """No crash, no hang: exit 0 or 2, and exit 2 comes with a message on stderr."""
    if run.timed_out or run.returncode not in allowed:
        result.fail(run.describe())
        return False
    if run.returncode == 2 and not run.stderr.strip():
        result.fail(f"{run.describe()} without a message on stderr")
    return True


def load_manifest(result, text, where):
    try:
        manifest = json.loads(text)
    except (ValueError, UnicodeDecodeError) as e:
        result.fail(f"{where}: not JSON: {e}")
        return None
    # "sha256" is null when the image was not hashed (ls without --hash).
    for key, kind in (("image", str), ("sha256", (str, type(None))), ("partial", bool),
                      ("filesystems", list), ("nodes", list), ("notes", list)):
        if key not in manifest or not isinstance(manifest[key], kind):
            result.fail(f"{where}: field {key!r} missing or of the wrong type")
            return None
    return manifest


def chain_matches(provenance, chain):
    """True if the regexes in `chain` match successive "!"-separated parts of provenance,
    in order (other parts may sit between them), the last one matching the last part."""
    parts = provenance.split("!")[1:]  # drop the image name
    i = 0
    for part in parts:
        if i < len(chain) and re.fullmatch(chain[i], part):
            i += 1
    return i == len(chain) and bool(parts) and re.fullmatch(chain[-1], parts[-1]) is not None


def compare_listing(result, manifest, listing):
    """`ls --json` must list what unpack found (it only does not write or hash)."""
    keys = ("provenance", "filesystem", "path", "type", "mode", "size", "link_target")

    def rows(m):
        return sorted(tuple(str(n.get(k)) for k in keys) for n in m["nodes"])

    a, b = rows(manifest), rows(listing)
    if a != b:
        only_unpack = sorted(set(a) - set(b))[:3]
        only_ls = sorted(set(b) - set(a))[:3]
        result.fail(f"ls --json lists {len(b)} nodes, unpack {len(a)}; only in unpack: "
                    f"{only_unpack}; only in ls: {only_ls}")
    fs_a = sorted((f.get("provenance"), f.get("format")) for f in manifest["filesystems"])
    fs_b = sorted((f.get("provenance"), f.get("format")) for f in listing["filesystems"])
    result.expect(fs_a == fs_b, f"ls --json filesystems {fs_b} differ from unpack's {fs_a}")


def nodes_by_filesystem(manifest):
    out = {}
    for node in manifest["nodes"]:
        out.setdefault(node.get("filesystem", ""), []).append(node)
    return out


def notes_text(manifest, kinds=None):
    return [f"{n.get('kind')} {n.get('where')} @{n.get('offset')}: {n.get('message')}"
            for n in manifest["notes"] if kinds is None or n.get("kind") in kinds]


def tree_snapshot(root):
    """Every path under root with its type, mode and content hash: to prove it unchanged."""
    snap = {}
    if not os.path.lexists(root):
        return snap
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            entry = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode))
            if stat.S_ISREG(st.st_mode):
                entry += (sha256_file(full),)
            elif stat.S_ISLNK(st.st_mode):
                entry += (os.readlink(full),)
            snap[os.path.relpath(full, root)] = entry
    return snap


def special_files(root):
    """Device nodes, fifos, sockets and setuid/setgid files under root (none may be made)."""
    bad = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) or \
                    stat.S_ISFIFO(st.st_mode) or stat.S_ISSOCK(st.st_mode):
                bad.append(f"{os.path.relpath(full, root)} is a special file (mode {st.st_mode:o})")
            elif not stat.S_ISLNK(st.st_mode) and st.st_mode & 0o6000:
                bad.append(f"{os.path.relpath(full, root)} has setuid/setgid bits "
                           f"({stat.S_IMODE(st.st_mode):04o})")
    return bad


def output_path(out_dir, node):
    """The on-disk path of a node's "output", or None when it escapes out_dir (a defect)."""
    rel = node.get("output")
    if rel is None:
        return None
    full = os.path.normpath(os.path.join(out_dir, rel))
    if os.path.isabs(rel) or not (full + os.sep).startswith(os.path.normpath(out_dir) + os.sep):
        return None
    return full


def du_bytes(root):
    total = 0
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
            except OSError:
                pass
    return total
