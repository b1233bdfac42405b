#!/usr/bin/env bash
# Server throughput side by side, in one run on one machine: `load` against
# each TCP server of the crate and against a minimal tokio-util echo
# (examples/tokio_util_echo.rs), §5 variable packets of 16 bytes, every echo
# verified. Prints msgs/s, p50/p99 and each server's ratio to the baseline.
# Both tokio servers run one worker thread; the load average is printed
# with the figures (on a busy machine they are not comparable run to run).
#
#   benches/servers.sh                 # both loads, 2 rounds each
#   ROUNDS=3 LOADS="100x16x4000 1000x4x1000" benches/servers.sh
#
# Loopback only. Each server runs on a port the OS picks, is stopped at the
# end (also on Ctrl-C), and a load that takes over TIMEOUT seconds fails.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-2}
PAYLOAD=${PAYLOAD:-16}
TIMEOUT=${TIMEOUT:-120}
# connections x in-flight x messages per connection
LOADS=${LOADS:-"100x16x2000 1000x4x200"}

echo "building (release)..." >&2
cargo build --release --quiet --features tokio-util \
    --example load --example tcp_selector_server --example tcp_threaded_server \
    --example tokio_echo_server --example tokio_util_echo
bin=target/release/examples

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

# start NAME ARGS...: runs a server on 127.0.0.1:0, prints its address.
start() {
    local name=$1; shift
    local log; log=$(mktemp)
    "$bin/$name" --bind 127.0.0.1:0 "$@" >"$log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        local addr; addr=$(awk '/^listening on /{print $3; exit}' "$log")
        if [ -n "$addr" ]; then echo "$addr"; return; fi
        sleep 0.05
    done
    echo "$name did not start: $(cat "$log")" >&2; exit 1
}

quiet_flag() { "$bin/$1" --help | grep -q -- '--quiet' && echo --quiet || true; }

declare -A addr
servers="tokio_util_echo tcp_selector_server tcp_threaded_server tokio_echo_server"
addr[tokio_util_echo]=$(start tokio_util_echo)
for s in tcp_selector_server tcp_threaded_server tokio_echo_server; do
    extra=()
    # one tokio worker, as the baseline has
    if [ "$s" = tokio_echo_server ]; then extra=(--workers 1); fi
    # shellcheck disable=SC2046
    addr[$s]=$(start "$s" --protocol variable $(quiet_flag "$s") "${extra[@]}")
done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A rate p50 p99
for load in $LOADS; do
    IFS=x read -r conns depth msgs <<<"$load"
    for s in $servers; do rate[$s]=0; p50[$s]=; p99[$s]=; done
    for round in $(seq "$ROUNDS"); do
        for s in $servers; do
            out=$(timeout "$TIMEOUT" "$bin/load" --server "${addr[$s]}" --protocol variable \
                --connections "$conns" --pipeline "$depth" --messages "$msgs" \
                --payload "$PAYLOAD" --quiet) || { echo "$s failed (round $round, $load):"; echo "$out"; exit 1; }
            r=$(awk '/^throughput:/{print $2}' <<<"$out")
            # keep the best round's rate and its latencies
            if [ "${r%.*}" -gt "${rate[$s]%.*}" ]; then
                rate[$s]=$r
                p50[$s]=$(awk '/^latency:/{print $3}' <<<"$out")
                p99[$s]=$(awk '/^latency:/{print $6}' <<<"$out")
            fi
        done
    done
    echo
    echo "### $conns connections x $depth in flight x $msgs messages, $PAYLOAD B, best of $ROUNDS"
    echo
    echo "| server | msgs/s | p50 | p99 | ratio to tokio_util_echo |"
    echo "|---|---:|---:|---:|---:|"
    base=${rate[tokio_util_echo]}
    for s in $servers; do
        ratio=$(python3 -c "print(f'{${rate[$s]}/$base:.2f}x')")
        printf '| `%s` | %s | %s us | %s us | %s |\n' "$s" "${rate[$s]}" "${p50[$s]}" "${p99[$s]}" "$ratio"
    done
done
