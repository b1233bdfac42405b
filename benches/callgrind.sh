#!/usr/bin/env bash
# Instructions per decoded message (callgrind; deterministic), ours against
# tokio-util's codecs, the whole decode loop including dropping each
# message, the cost of building and copying the buffer subtracted. "line +
# as_str" also views each line as `&str` once, which checks its UTF-8 again
# (no `unsafe` here); `LinesCodec` yields a `String`, viewed for free.
# The *_borrowed columns decode through `BorrowDecoder::decode_with`: each
# message lent to a closure as a view of the buffer (a line as `&str`,
# checked once), nothing split off or copied.
#
#   benches/callgrind.sh            # needs valgrind
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(cargo bench --bench instructions --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "instructions" and m.get("executable"):
        print(m["executable"])')
ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 | awk '/Collected/ {print $4}'; }
per_msg() { # codec size
    local n=$(( 1024 * 1024 / ($2 + 9) )); [ "$n" -lt 16 ] && n=16
    local with without base0 base5
    without=$(ir "$bin" "$1" "$2" 0); with=$(ir "$bin" "$1" "$2" 5)
    base0=$(ir "$bin" none "$2" 0); base5=$(ir "$bin" none "$2" 5)
    echo $(( ((with - without) - (base5 - base0)) / (5 * n) ))
}
ratio() { python3 -c "print(f'{$1/$2:.2f}x')"; }
echo "| payload | variable | variable_borrowed | tokio_length_delimited | ratio | ratio borrowed | line | line + as_str | line_borrowed | tokio_lines | ratio | ratio with as_str | ratio borrowed |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for size in 16 1024 65536; do
    v=$(per_msg variable $size); vb=$(per_msg variable_borrowed $size); l=$(per_msg tokio_length_delimited $size)
    a=$(per_msg line $size); s=$(per_msg line_str $size); ab=$(per_msg line_borrowed $size); b=$(per_msg tokio_lines $size)
    echo "| $size | $v | $vb | $l | $(ratio $l $v) | $(ratio $l $vb) | $a | $s | $ab | $b | $(ratio $b $a) | $(ratio $b $s) | $(ratio $b $ab) |"
done
echo
echo "Fixed packets (29 bytes), instructions per message:"
echo
echo "| fixed | fixed_borrowed |"
echo "|---:|---:|"
echo "| $(per_msg fixed 16) | $(per_msg fixed_borrowed 16) |"
echo
echo "§6 binary messages (a JSON header of about 130 bytes and the content), instructions per message:"
echo
echo "| payload | app | app_borrowed |"
echo "|---:|---:|---:|"
for size in 16 1024; do
    echo "| $size | $(per_msg app $size) | $(per_msg app_borrowed $size) |"
done
echo
echo "Encoding, instructions per message (each into one buffer with room for the stream):"
echo
echo "| payload | variable_encode | line_encode | tokio_lines_encode | ratio |"
echo "|---:|---:|---:|---:|---:|"
for size in 16 1024 65536; do
    v=$(per_msg variable_encode $size); a=$(per_msg line_encode $size); b=$(per_msg tokio_lines_encode $size)
    echo "| $size | $v | $a | $b | $(ratio $b $a) |"
done
