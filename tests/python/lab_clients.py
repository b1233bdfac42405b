#!/usr/bin/env python3
"""Clients shaped like the lab's own programs, for the fidelity tests.

usage:
    lab_clients.py tcp HOST PORT MESSAGE      # clientTCP.py: send, recv once
    lab_clients.py udp HOST PORT MESSAGE      # clientUDP.py: sendto, recvfrom
    lab_clients.py oneshot HOST PORT VALUE    # app-client.py: one search
                                              # request, read until the
                                              # server closes

Prints `reply <repr of the bytes>` (oneshot: `reply <n> bytes then EOF`).
Every wait is bounded; a timeout exits 1.
"""
import os
import socket
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from protocol6 import create_message, json_encode  # noqa: E402

TIMEOUT = 10


def tcp(host, port, message):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(TIMEOUT)
        s.connect((host, port))
        s.sendall(message.encode("utf-8"))
        data = s.recv(1024)
        print("reply", repr(data), flush=True)


def udp(host, port, message):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(TIMEOUT)
        s.sendto(message.encode("utf-8"), (host, port))
        data, _ = s.recvfrom(1024)
        print("reply", repr(data), flush=True)


def oneshot(host, port, value):
    content = json_encode(dict(action="search", value=value), "utf-8")
    request = create_message(content, "text/json", "utf-8")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(TIMEOUT)
        s.connect((host, port))
        s.sendall(request)
        received = b""
        while True:  # like app-client.py: until the server closes
            data = s.recv(4096)
            if not data:
                break
            received += data
        print("reply", len(received), "bytes then EOF", flush=True)
        print("hex", received.hex(), flush=True)


def main():
    mode, host, port, arg = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    try:
        {"tcp": tcp, "udp": udp, "oneshot": oneshot}[mode](host, port, arg)
    except socket.timeout:
        print("FAIL: timed out", flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
