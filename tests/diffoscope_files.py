#!/usr/bin/env python3
"""Prints, one a line, the files whose content diffoscope found different: the paths of the
nodes right under the image pair in `diffoscope --json` output (its own listings, such as
"unsquashfs -s {}" or "file list", are left out)."""
import json
import sys


def main():
    doc = json.load(open(sys.argv[1]))
    paths = set()
    for node in doc.get("details", []):
        name = node.get("source2") or node.get("source1") or ""
        if name.startswith("/"):
            paths.add(name)
    for p in sorted(paths):
        print(p)


if __name__ == "__main__":
    main()
