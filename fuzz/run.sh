#!/usr/bin/env bash
# Runs fuzz targets with a scratch corpus, so nothing is written into the
# repository: the committed seeds (fuzz/seeds/TARGET) are read, new inputs
# and crash artifacts go to $FUZZ_SCRATCH (a temporary directory by default).
#
#   fuzz/run.sh [SECONDS [TARGET...]]     # default: 20 s, every target
#
# Needs a nightly toolchain and cargo-fuzz. A crash input found here belongs
# in fuzz/regressions/TARGET/ (and its fix in the core, with a test).
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-20}"
shift || true
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
scratch="${FUZZ_SCRATCH:-$(mktemp -d)}"

cargo +nightly fuzz build
for target in "${targets[@]}"; do
    mkdir -p "$scratch/corpus/$target" "$scratch/artifacts/$target"
    echo "fuzz: $target for ${seconds}s (scratch $scratch)"
    cargo +nightly fuzz run "$target" "$scratch/corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" \
        -artifact_prefix="$scratch/artifacts/$target/" \
        -print_final_stats=1
done
