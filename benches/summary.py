#!/usr/bin/env python3
"""Prints the criterion table of benches/README.md from criterion's results
(target/criterion), after `cargo bench --bench codecs`.

Median time per iteration; each bench runs twice (its `_bytes` and
`_msgs` groups run the same code) and the faster median of the two is
used, for ours and the baseline alike: on a shared VM one run can be
slowed by a neighbour. Throughput in MiB/s of wire bytes and in millions
of messages/s, both from that one time; the ratio of sockwire to the
baseline of the same group (tokio-util's codec; memcpy is the ceiling). The borrowed
path (`sockwire_borrowed`) gets a row of its own, "(borrowed)".
"""
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "criterion")


def load(group, bench):
    d = os.path.join(ROOT, group, bench.replace("/", "_"), "new")
    try:
        with open(os.path.join(d, "estimates.json")) as f:
            est = json.load(f)
        with open(os.path.join(d, "benchmark.json")) as f:
            meta = json.load(f)
    except FileNotFoundError:
        return None
    ns = est["median"]["point_estimate"]
    tp = meta.get("throughput") or {}
    return ns, tp


def rate(ns, tp):
    if "Bytes" in tp:
        return tp["Bytes"] / (ns / 1e9) / (1 << 20), "MiB/s"
    return tp["Elements"] / (ns / 1e9) / 1e6, "M msg/s"


ROWS = [
    ("variable_decode", "tokio_length_delimited", [16, 1024, 65536]),
    ("variable_encode", None, [16, 1024, 65536]),
    ("line_decode", "tokio_lines", [16, 1024, 65536]),
    ("line_encode", "tokio_lines", [16, 1024, 65536]),
    ("fixed_decode", None, [29]),
    ("fixed_encode", None, [29]),
    ("text_datagram_decode", None, [16, 1024, 65507]),
    ("text_datagram_encode", None, [16, 1024, 65507]),
    ("text_stream_decode", None, [16, 1024, 65507]),
    ("text_stream_encode", None, [16, 1024, 65507]),
    ("app_decode", None, [16, 1024, 65536]),
    ("app_encode", None, [16, 1024, 65536]),
    ("room_parse", None, [16, 1024, 4000]),
    ("room_format", None, [16, 1024, 4000]),
]

def best(group, bench):
    """The faster median of the bench's two runs (the `_bytes` and `_msgs`
    groups run the same code), with both throughputs: (MiB/s, M msg/s)."""
    b = load(group + "_bytes", bench)
    m = load(group + "_msgs", bench)
    if not b or not m:
        return None
    ns = min(b[0], m[0])
    return rate(ns, b[1])[0], rate(ns, m[1])[0]


print("| codec, op | payload | sockwire MiB/s | sockwire M msg/s | baseline | baseline M msg/s | ratio | memcpy MiB/s |")
print("|---|---:|---:|---:|---|---:|---:|---:|")
for group, base, sizes in ROWS:
    for size in sizes:
        # The owned path (`sockwire`), then the borrowed one where the
        # group has it (`sockwire_borrowed`).
        for impl, label in (("sockwire", ""), ("sockwire_borrowed", " (borrowed)")):
            ours = best(group, f"{impl}/{size}")
            if not ours:
                continue
            ob, om = ours
            cells = [group.replace("_", " ") + label, str(size), f"{ob:,.0f}", f"{om:,.2f}"]
            theirs = best(group, f"{base}/{size}") if base else None
            if theirs:
                bm = theirs[1]
                cells += [base, f"{bm:,.2f}", f"{om / bm:.2f}x"]
            else:
                cells += ["—", "", ""]
            mem = best(group, f"memcpy/{size}")
            cells.append(f"{mem[0]:,.0f}" if mem else "")
            print("| " + " | ".join(cells) + " |")
