#!/usr/bin/env bash
# Makes tests/data/lab.pcap, the real capture that tests/dissect.rs decodes
# message by message: sockwire's example servers and clients, and the
# Python peers of tests/python, talking over loopback while tcpdump
# captures `lo`. Only 127.0.0.1 is used; every program ends by itself.
#
#   sudo tests/data/make_lab_capture.sh        # needs tcpdump (apt-get install tcpdump)
#
# Ports: 5105 variable (Python peer_client.py -> tcp_threaded_server),
# 5106 app (app_client and Python app_client.py -> tcp_selector_server),
# 5107 room (two udp_chat clients -> udp_chat server), 5108 fixed
# (tcp_client -> tcp_selector_server), 5109 text over UDP (udp_client ->
# udp_server), 5110 line (tcp_chat to tcp_chat), 5111 text over TCP
# (multiconn_client -> tcp_threaded_server).
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build -q --examples
E=target/debug/examples
out=tests/data/lab.pcap
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

tcpdump -i lo -U -s 0 -w "$out" \
    'host 127.0.0.1 and (port 5105 or port 5106 or port 5107 or port 5108 or port 5109 or port 5110 or port 5111)' &
tcpdump=$!
sleep 1

# §5 variable packets: the lab's Python client against the threaded server.
$E/tcp_threaded_server --bind 127.0.0.1:5105 --protocol variable >/dev/null & pids+=($!)
sleep 0.3
python3 tests/python/peer_client.py 127.0.0.1 5105 variable

# §6: the Rust client (json), then the Python client (json + binary).
$E/tcp_selector_server --bind 127.0.0.1:5106 --protocol app >/dev/null & pids+=($!)
sleep 0.3
$E/app_client 127.0.0.1 5106 search morpheus
python3 tests/python/app_client.py 127.0.0.1 5106 search ring double 0123456789 >/dev/null

# §4 fixed packets.
$E/tcp_selector_server --bind 127.0.0.1:5108 --protocol fixed >/dev/null & pids+=($!)
sleep 0.3
printf 'hi\nação 🐰\nabcdefghijklmnopqrstuvwxyz\n' | $E/tcp_client --server 127.0.0.1:5108 --protocol fixed

# §1 text datagrams, replies upper-cased.
$E/udp_server --bind 127.0.0.1:5109 --reply upper >/dev/null & pids+=($!)
sleep 0.3
printf 'hello\n  ação, mundo  \n' | $E/udp_client --server 127.0.0.1:5109

# §2 text stream: two connections of the multi-connection client.
$E/tcp_threaded_server --bind 127.0.0.1:5111 --protocol text >/dev/null & pids+=($!)
sleep 0.3
$E/multiconn_client 127.0.0.1 5111 2

# §3 line chat, peer to peer: one side listens, the other connects.
(sleep 1.5; echo 'hi there'; sleep 1) | $E/tcp_chat 5110 >/dev/null &
listener=$!
sleep 0.5
(sleep 0.5; echo 'hello'; sleep 1; echo ':q') | $E/tcp_chat 127.0.0.1 5110 >/dev/null
wait "$listener" || true

# §7 room chat: alice creates a room, bob joins, alice speaks, both quit.
$E/udp_chat server --bind 127.0.0.1:5107 >/dev/null & pids+=($!)
sleep 0.3
(sleep 0.3; echo '$roomcreate lobby'; sleep 1; echo 'hello bob'; sleep 1) \
    | $E/udp_chat client alice --server 127.0.0.1:5107 >/dev/null &
alice=$!
(sleep 0.8; echo '$roomjoin lobby'; sleep 1.5) \
    | $E/udp_chat client bob --server 127.0.0.1:5107 >/dev/null
wait "$alice" || true

sleep 0.5
cleanup
pids=()
sleep 0.5
kill "$tcpdump"
wait "$tcpdump" || true
ls -l "$out"
