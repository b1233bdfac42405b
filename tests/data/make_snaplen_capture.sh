#!/usr/bin/env bash
# Makes tests/data/snaplen.pcap, a real capture whose snap length (100
# bytes) cuts the one long message of a §5 session: tcp_client sends
# `hello`, a 90-character line and `bye` to tcp_threaded_server, which
# echoes each. tests/dissect.rs checks that the cut message is reported as
# a gap in each direction and `bye` is decoded after it. Loopback only.
#
#   sudo tests/data/make_snaplen_capture.sh     # needs tcpdump
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build -q --example tcp_threaded_server --example tcp_client
E=target/debug/examples
out=tests/data/snaplen.pcap

tcpdump -i lo -U -s 100 -w "$out" 'host 127.0.0.1 and port 5125' &
tcpdump=$!
sleep 1
$E/tcp_threaded_server --bind 127.0.0.1:5125 --protocol variable >/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
sleep 0.3
(echo hello; sleep 0.2
 echo "this line is too long for a snap length of 100 bytes, so tcpdump keeps only its first part"
 sleep 0.2; echo bye; sleep 0.3) \
    | $E/tcp_client --server 127.0.0.1:5125 --protocol variable
sleep 0.3
kill "$server"
sleep 0.3
kill "$tcpdump"
wait "$tcpdump" || true
ls -l "$out"
