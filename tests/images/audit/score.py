#!/usr/bin/env python3
"""Scores one audit report against the expectations of the image it audited.

    score.py AREA expected.tsv report.json >> counts.tsv

expected.tsv, one expectation a line (tab-separated; '#' starts a comment):
    planted  CHECK-ID  PATH  [TEXT]   a finding of CHECK-ID with evidence at PATH (and TEXT in
                                      its message or an excerpt, when given) must be reported;
                                      each line is matched by a finding of its own
    note     CHECK-ID  PATH  [TEXT]   the same, for an info-level finding (inventory, not a flag)
    observed KIND  NAME               an observation (service, account, key, endpoint) NAME
    decoy    PATH  [CHECK-ID]         no finding of severity low or worse (of CHECK-ID, when
                                      given) may have evidence at PATH
Every finding of severity low or worse that no `planted` line explains is a false positive.
Prints one line per check to stdout: AREA CHECK-ID expected found false_positives, and every
miss, decoy flagged and false positive to stderr. Exits 1 when there is any.
"""
import collections
import json
import sys


def main():
    area, expected_path, report_path = sys.argv[1:4]
    report = json.load(open(report_path))
    findings = report["findings"]
    expected, decoys, observed = [], [], []
    for number, line in enumerate(open(expected_path), 1):
        line = line.split("#", 1)[0].rstrip("\n")
        if not line.strip():
            continue
        fields = line.split("\t")
        if fields[0] in ("planted", "note") and len(fields) in (3, 4):
            expected.append((fields[0], fields[1], fields[2], fields[3] if len(fields) == 4 else ""))
        elif fields[0] == "observed" and len(fields) == 3:
            observed.append((fields[1], fields[2]))
        elif fields[0] == "decoy" and len(fields) in (2, 3):
            decoys.append((fields[1], fields[2] if len(fields) == 3 else None))
        else:
            sys.exit(f"{expected_path}:{number}: cannot read {line!r}")

    def paths(f):
        return {e["path"] for e in f["evidence"]}

    problems = []
    counts = collections.defaultdict(lambda: [0, 0, 0])  # expected, found, false positives
    explained = set()
    def says(f, text):
        return text in f["message"] or any(text in e["excerpt"] for e in f["evidence"])

    for kind, check, path, text in expected:
        counts[check][0] += 1
        hits = [i for i, f in enumerate(findings) if i not in explained and f["check_id"] == check
                and path in paths(f) and says(f, text)]
        if hits:
            counts[check][1] += 1
            explained.add(hits[0])
        else:
            problems.append(f"MISSED {kind} {check} at {path} {text!r}")
    seen = {(o["kind"], o["name"]) for o in report.get("observations", [])}
    for kind, name in observed:
        if (kind, name) not in seen:
            problems.append(f"MISSED observation {kind} {name}")
    for path, check in decoys:
        for f in findings:
            if f["severity"] != "info" and path in paths(f) and check in (None, f["check_id"]):
                problems.append(f"DECOY FLAGGED {path}: {f['check_id']} {f['message']}")
    for i, f in enumerate(findings):
        if i in explained or f["severity"] == "info":
            continue
        counts[f["check_id"]][2] += 1
        where = ", ".join(sorted(paths(f))) or "-"
        problems.append(f"FALSE POSITIVE {f['check_id']} ({f['severity']}) at {where}: {f['message']}")
    for check in sorted(counts):
        e, found, fp = counts[check]
        print(f"{area}\t{check}\t{e}\t{found}\t{fp}")
    for p in problems:
        print(f"{area}: {p}", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
