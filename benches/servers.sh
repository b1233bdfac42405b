#!/usr/bin/env bash
# Server throughput side by side, in one run on one machine: `load` against
# each TCP server of the crate and against a minimal tokio-util echo
# (examples/tokio_util_echo.rs), §5 variable packets of 16 bytes, every echo
# verified. Prints msgs/s, p50/p99 and each server's ratio to the baseline.
# Both tokio servers run one worker thread; the load average is printed
# with the figures (on a busy machine they are not comparable run to run).
#
# Then UDP: `load --protocol udp` (batched itself) against `udp_server
# --quiet`, batched and `--no-batch`, and the plain tokio UDP echo
# (examples/tokio_udp_echo.rs), each reply verified (a datagram lost to a
# full socket buffer is counted in the `lost` column), with each server's
# CPU time per datagram (`perf stat -e task-clock` on the server process
# over each load, or its threads' /proc schedstat where perf is missing;
# the least of the rounds). The best round's rate and latencies are shown.
#
#   benches/servers.sh                 # TCP and UDP loads, 2 rounds each
#   ROUNDS=3 LOADS="100x16x4000 1000x4x1000" benches/servers.sh
#   PARTS=udp UDP_LOADS="4x16x50000x16" benches/servers.sh
#
# PARTS=room: how big a room. The `udp_chat` server (--quiet, batched and
# --no-batch) under `load --protocol room` (users x rooms x lines each,
# every notification acknowledged), beside the UDP echo load of the same
# run (`tokio_udp_echo` and `udp_server`, ROOM_ECHO), for the ratio of
# notifications delivered and acknowledged per second to echoes per second.
# Each room round gets a fresh server; best of ROUNDS, least server CPU.
#
#   PARTS=room ROOM_LOADS="100x1x20x16 1000x10x4x4" benches/servers.sh
#
# BEFORE=DIR: the TCP part also runs the three TCP servers of another build
# (DIR holds its release examples, e.g. an older tree's
# target/release/examples), as rows `NAME@before`, in the same rounds and
# under this build's `load`, for a before/after comparison:
#
#   PARTS=tcp ROUNDS=3 BEFORE=../old/target/release/examples benches/servers.sh
#
# Loopback only. Each server runs on a port the OS picks, is stopped at the
# end (also on Ctrl-C), and a load that takes over TIMEOUT seconds fails.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-2}
PARTS=${PARTS:-"tcp udp"}
# clients x in-flight x datagrams per client x payload bytes
UDP_LOADS=${UDP_LOADS:-"4x16x50000x16 1x1x20000x16 16x8x5000x512"}
# users x rooms x lines per user x lines on their way per room
ROOM_LOADS=${ROOM_LOADS:-"100x1x20x16 1000x10x4x4"}
# the echo load the room figures are set beside
ROOM_ECHO=${ROOM_ECHO:-"4x16x50000x16"}
PAYLOAD=${PAYLOAD:-16}
TIMEOUT=${TIMEOUT:-120}
# connections x in-flight x messages per connection
LOADS=${LOADS:-"100x16x2000 1000x4x200"}
BEFORE=${BEFORE:-}

echo "building (release)..." >&2
cargo build --release --quiet --features tokio-util \
    --example load --example tcp_selector_server --example tcp_threaded_server \
    --example tokio_echo_server --example tokio_util_echo \
    --example udp_server --example tokio_udp_echo --example udp_chat
bin=target/release/examples

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

# start NAME ARGS...: runs a server on 127.0.0.1:0; sets `started` to its
# address (the word after `listening on` in its log) and `started_pid`
# (not in a subshell, so that `pids` keeps it and the server is stopped at
# the end). `--bind` goes last, after a subcommand (`udp_chat server`).
start() {
    local name=$1; shift
    local log; log=$(mktemp)
    local exe=$bin/$name
    # NAME@before: NAME from the BEFORE build
    [[ $name == *@before ]] && exe=$BEFORE/${name%@before}
    "$exe" "$@" --bind 127.0.0.1:0 >"$log" 2>&1 &
    started_pid=$!
    pids+=("$started_pid")
    for _ in $(seq 100); do
        started=$(awk '{for (i = 2; i < NF; i++) if ($(i-1) == "listening" && $i == "on") {print $(i+1); exit}}' "$log")
        if [ -n "$started" ]; then return; fi
        sleep 0.05
    done
    echo "$name did not start: $(cat "$log")" >&2; exit 1
}

quiet_flag() {
    local exe=$bin/$1
    [[ $1 == *@before ]] && exe=$BEFORE/${1%@before}
    "$exe" --help | grep -q -- '--quiet' && echo --quiet || true
}

machine_line() {
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

tcp_part() {
    declare -A addr
    local ours="tcp_selector_server tcp_threaded_server tokio_echo_server"
    if [ -n "$BEFORE" ]; then
        ours="tcp_selector_server@before tcp_selector_server tcp_threaded_server@before"
        ours+=" tcp_threaded_server tokio_echo_server@before tokio_echo_server"
    fi
    servers="tokio_util_echo $ours"
    start tokio_util_echo; addr[tokio_util_echo]=$started
    for s in $ours; do
        extra=()
        # one tokio worker, as the baseline has
        if [ "${s%@before}" = tokio_echo_server ]; then extra=(--workers 1); fi
        # shellcheck disable=SC2046
        start "$s" --protocol variable $(quiet_flag "$s") "${extra[@]}"; addr[$s]=$started
    done

    machine_line
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
}

# cpu_ns PID: CPU time of all the process's threads so far, in ns.
cpu_ns() {
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s+=$1} END {printf "%d", s}'
}

# measure PID CMD...: runs CMD while counting the CPU time of PID; prints
# CMD's output, then `server_cpu_ns N`.
measure() {
    local pid=$1; shift
    if command -v perf >/dev/null && perf stat -e task-clock -p "$pid" -- true >/dev/null 2>&1; then
        local f; f=$(mktemp)
        perf stat -e task-clock -x, -o "$f" -p "$pid" &
        local perf_pid=$!
        sleep 0.2 # perf attaches
        "$@" || { kill -INT "$perf_pid"; wait "$perf_pid" || true; return 1; }
        kill -INT "$perf_pid"; wait "$perf_pid" || true
        # CSV: value (msec), unit, event, ...
        awk -F, '/task-clock/{printf "server_cpu_ns %d\n", $1 * 1e6}' "$f"
        rm -f "$f"
    else
        local before after
        before=$(cpu_ns "$pid")
        "$@" || return 1
        after=$(cpu_ns "$pid")
        echo "server_cpu_ns $((after - before))"
    fi
}

udp_part() {
    declare -A addr pid
    udp_servers="tokio_udp_echo udp_server udp_server_no_batch"
    start tokio_udp_echo; addr[tokio_udp_echo]=$started; pid[tokio_udp_echo]=$started_pid
    start udp_server --quiet; addr[udp_server]=$started; pid[udp_server]=$started_pid
    start udp_server --quiet --no-batch
    addr[udp_server_no_batch]=$started; pid[udp_server_no_batch]=$started_pid
    machine_line
    declare -A rate p50 p99 cpu lost
    for load in $UDP_LOADS; do
        IFS=x read -r clients depth msgs size <<<"$load"
        for s in $udp_servers; do rate[$s]=0; p50[$s]=; p99[$s]=; cpu[$s]=; done
        for round in $(seq "$ROUNDS"); do
            for s in $udp_servers; do
                out=$(measure "${pid[$s]}" timeout "$TIMEOUT" "$bin/load" --server "${addr[$s]}" \
                    --protocol udp --connections "$clients" --pipeline "$depth" \
                    --messages "$msgs" --payload "$size" --allow-loss --quiet) \
                    || { echo "$s failed (round $round, $load):"; echo "$out"; exit 1; }
                r=$(awk '/^throughput:/{print $2}' <<<"$out")
                ns=$(awk '/^server_cpu_ns/{print $2}' <<<"$out")
                if [ "${r%.*}" -gt "${rate[$s]%.*}" ]; then
                    rate[$s]=$r
                    lost[$s]=$(awk '/^lost:/{print $2}' <<<"$out")
                    p50[$s]=$(awk '/^latency:/{print $3}' <<<"$out")
                    p99[$s]=$(awk '/^latency:/{print $6}' <<<"$out")
                fi
                # the least CPU of the rounds (others' work on the machine
                # only ever adds to it)
                c=$(python3 -c "print(f'{$ns / ($clients * $msgs) / 1000:.2f}')")
                if [ -z "${cpu[$s]}" ] || python3 -c "import sys; sys.exit(not $c < ${cpu[$s]})"; then
                    cpu[$s]=$c
                fi
            done
        done
        echo
        echo "### UDP: $clients clients x $depth in flight x $msgs datagrams, $size B, best of $ROUNDS"
        echo
        echo "| server | datagrams/s | p50 | p99 | lost | server CPU per datagram | ratio to tokio_udp_echo | CPU ratio |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|"
        base=${rate[tokio_udp_echo]}
        for s in $udp_servers; do
            ratio=$(python3 -c "print(f'{${rate[$s]}/$base:.2f}x')")
            cratio=$(python3 -c "print(f'{${cpu[$s]}/${cpu[tokio_udp_echo]}:.2f}x')")
            name=$s
            [ "$s" = udp_server_no_batch ] && name="udp_server --no-batch"
            printf '| `%s` | %s | %s us | %s us | %s | %s us | %s | %s |\n' "$name" "${rate[$s]}" \
                "${p50[$s]}" "${p99[$s]}" "${lost[$s]}" "${cpu[$s]}" "$ratio" "$cratio"
        done
    done
}

# room_server MODE: a fresh `udp_chat` server (batched, or no_batch), so
# that no run sees what an earlier one left behind (resends to users that
# have gone).
room_server() {
    local extra=()
    [ "$1" = no_batch ] && extra=(--no-batch)
    start udp_chat server --quiet --max-users 1000 --max-members 1000 "${extra[@]}"
}

room_part() {
    declare -A addr
    start tokio_udp_echo; addr[echo]=$started
    start udp_server --quiet; addr[udp_server]=$started
    machine_line
    IFS=x read -r clients depth msgs size <<<"$ROOM_ECHO"
    for s in echo udp_server; do
        best=0
        for round in $(seq "$ROUNDS"); do
            out=$(timeout "$TIMEOUT" "$bin/load" --server "${addr[$s]}" --protocol udp \
                --connections "$clients" --pipeline "$depth" --messages "$msgs" \
                --payload "$size" --allow-loss --quiet) \
                || { echo "$s echo failed:"; echo "$out"; exit 1; }
            r=$(awk '/^throughput:/{print $2}' <<<"$out")
            [ "${r%.*}" -gt "${best%.*}" ] && best=$r
        done
        echo "echo, $s, $ROOM_ECHO, best of $ROUNDS: $best datagrams/s"
        [ "$s" = echo ] && base=$best
    done
    echo
    echo "| room load (users x rooms x lines x window) | server | notifications/s | ratio to tokio_udp_echo | p50 | p99 | server CPU per notification | sent again |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    for load in $ROOM_LOADS; do
        IFS=x read -r users rooms lines window <<<"$load"
        for mode in batched no_batch; do
            best=0; cpu=
            for round in $(seq "$ROUNDS"); do
                room_server "$mode"
                out=$(timeout "$TIMEOUT" "$bin/load" --server "$started" --protocol room \
                    --connections "$users" --rooms "$rooms" --messages "$lines" \
                    --pipeline "$window" --server-pid "$started_pid" --quiet) \
                    || { echo "room $mode failed ($load):"; echo "$out"; exit 1; }
                kill "$started_pid"; wait "$started_pid" 2>/dev/null || true
                r=$(awk '/^throughput:/{print $2}' <<<"$out")
                c=$(awk '/^server CPU:/{print $5}' <<<"$out")
                if [ "${r%.*}" -gt "${best%.*}" ]; then
                    best=$r
                    lat50=$(awk '/^latency:/{print $3}' <<<"$out")
                    lat99=$(awk '/^latency:/{print $6}' <<<"$out")
                    again=$(sed -n 's/.*; \([0-9]*\) sent again.*/\1/p' <<<"$out")
                fi
                if [ -z "$cpu" ] || python3 -c "import sys; sys.exit(not $c < $cpu)"; then
                    cpu=$c
                fi
            done
            ratio=$(python3 -c "print(f'{$best/$base:.2f}x')")
            printf '| %s | %s | %s | %s | %s us | %s us | %s us | %s |\n' "$load" "$mode" \
                "$best" "$ratio" "$lat50" "$lat99" "$cpu" "$again"
        done
    done
}

for part in $PARTS; do
    case $part in
        tcp) tcp_part ;;
        udp) udp_part ;;
        room) room_part ;;
        *) echo "unknown part $part (tcp, udp, room)" >&2; exit 1 ;;
    esac
done
