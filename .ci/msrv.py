#!/usr/bin/env python3
"""Check the crate's `rust-version` against its locked dependencies.

Fails if a library dependency (normal or build, any feature) declares a
`rust-version` newer than ours; lists dev-only dependencies that do (they
only matter for running the tests). Reads `cargo metadata` and `cargo tree`,
so it checks the versions in Cargo.lock.
"""

import json
import re
import subprocess
import sys


def version(text):
    return tuple(int(part) for part in re.findall(r"\d+", text or "0")[:3])


def tree(edges):
    out = subprocess.run(
        ["cargo", "tree", "--all-features", "--locked", "-e", edges, "--prefix", "none"],
        check=True, capture_output=True, text=True,
    ).stdout
    return {tuple(line.split()[:2]) for line in out.splitlines() if line.strip()}


def main():
    meta = json.loads(subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--all-features", "--locked"],
        check=True, capture_output=True, text=True,
    ).stdout)
    ours = next(p for p in meta["packages"] if p["id"] in meta["workspace_members"])
    msrv = version(ours["rust_version"])
    declared = {(p["name"], "v" + p["version"]): p["rust_version"] for p in meta["packages"]}

    library = tree("normal,build") - {(ours["name"], "v" + ours["version"])}
    everything = tree("normal,build,dev")
    newest = max(library, key=lambda p: version(declared.get(p)))
    print(f"{ours['name']} rust-version = {ours['rust_version']}")
    print(f"library dependencies: {len(library)}; the most demanding: "
          f"{newest[0]} {newest[1]} (rust-version {declared.get(newest) or 'unset'})")

    too_new = sorted(p for p in library if version(declared.get(p)) > msrv)
    for name, ver in too_new:
        print(f"ERROR: {name} {ver} needs Rust {declared[(name, ver)]}")
    for name, ver in sorted(everything - library):
        if version(declared.get((name, ver))) > msrv:
            print(f"note: dev-dependency {name} {ver} needs Rust {declared[(name, ver)]} "
                  "(running the tests needs it; the library does not)")
    return 1 if too_new else 0


if __name__ == "__main__":
    sys.exit(main())
