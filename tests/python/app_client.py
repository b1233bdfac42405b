#!/usr/bin/env python3
"""§6 client, written the way the lab's Python client is.

    app_client.py HOST PORT ACTION VALUE [ACTION VALUE ...]

Sends every request on one connection (pipelined, in one write), reads one
reply per request, then closes. For the tests it prints, one line each:

    SENT <hex of all request bytes>
    RECEIVED <hex of one reply's bytes>
    RESULT <result text>        (text/json reply)
    CONTENT <repr of content>   (binary reply)
"""

import json
import os
import socket
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from protocol6 import create_message, decode_header, json_encode  # noqa: E402


def create_request(action, value):
    if action == "search":
        return dict(
            type="text/json",
            encoding="utf-8",
            content=dict(action=action, value=value),
        )
    return dict(
        type="binary/custom-client-binary-type",
        encoding="binary",
        content=bytes(action + value, encoding="utf-8"),
    )


def encode_request(request):
    if request["type"] == "text/json":
        content = json_encode(request["content"], request["encoding"])
    else:
        content = request["content"]
    return create_message(content, request["type"], request["encoding"])


def recv_exactly(sock, buf, n):
    while len(buf) < n:
        data = sock.recv(4096)
        if not data:
            raise RuntimeError("peer closed")
        buf += data
    return buf[:n], buf[n:]


def main():
    host, port, pairs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    if not pairs or len(pairs) % 2:
        sys.exit("usage: app_client.py HOST PORT ACTION VALUE [ACTION VALUE ...]")
    requests = [create_request(a, v) for a, v in zip(pairs[::2], pairs[1::2])]
    wire = b"".join(encode_request(r) for r in requests)
    print("SENT", wire.hex(), flush=True)
    sock = socket.create_connection((host, port), timeout=10)
    sock.sendall(wire)
    buf = b""
    for _ in requests:
        hdrlen_bytes, buf = recv_exactly(sock, buf, 2)
        (hdrlen,) = struct.unpack(">H", hdrlen_bytes)
        header_bytes, buf = recv_exactly(sock, buf, hdrlen)
        header = decode_header(header_bytes)
        content, buf = recv_exactly(sock, buf, header["content-length"])
        print("RECEIVED", (hdrlen_bytes + header_bytes + content).hex())
        if header["content-type"] == "text/json":
            result = json.loads(content.decode(header["content-encoding"]))["result"]
            print("RESULT", result)
        else:
            print("CONTENT", repr(content))
    sock.close()


if __name__ == "__main__":
    main()
