"""A §6 app server with a classic fault: it reads requests correctly and
answers them from the search table, but writes each reply's JSON header
length one more than the header's size, so a client reads the first
byte of the content as part of the header.

usage: broken_app_header_len.py   (binds 127.0.0.1, port chosen by the
OS; prints `listening on 127.0.0.1:PORT`; runs until killed)
"""
import json
import socket
import struct
import sys
import threading

MAX_CONTENT = 1024 * 1024
TABLE = {
    "morpheus": "Follow the white rabbit. \U0001f430",
    "ring": "In the caves beneath the Misty Mountains. \U0001f48d",
    "\U0001f436": "\U0001f43e Playing ball! \U0001f3d0",
}


def recv_exactly(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(min(n - len(buf), 65536))
        if not chunk:
            return None
        buf += chunk
    return buf


def reply(conn, content_type, encoding, content):
    header = json.dumps({
        "byteorder": sys.byteorder,
        "content-type": content_type,
        "content-encoding": encoding,
        "content-length": len(content),
    }, ensure_ascii=False).encode("utf-8")
    # the fault: one more than the header's length
    conn.sendall(struct.pack(">H", len(header) + 1) + header + content)


def answer(conn, header, content):
    if header["content-type"] == "text/json":
        request = json.loads(content.decode(header["content-encoding"]))
        action, value = request["action"], request["value"]
        if action == "search":
            result = TABLE.get(value, "No match for '%s'." % value)
        else:
            result = "Error: invalid action '%s'." % action
        body = json.dumps({"result": result}, ensure_ascii=False).encode("utf-8")
        reply(conn, "text/json", "utf-8", body)
    else:
        reply(conn, "binary/custom-server-binary-type", "binary",
              b"First 10 bytes of request: " + content[:10])


def serve(conn):
    with conn:
        while True:
            prefix = recv_exactly(conn, 2)
            if prefix is None:
                return
            header = json.loads(recv_exactly(conn, struct.unpack(">H", prefix)[0]).decode("utf-8"))
            for key in ("byteorder", "content-type", "content-encoding", "content-length"):
                header[key]  # a missing key drops the connection
            if header["content-length"] > MAX_CONTENT:
                return
            content = recv_exactly(conn, header["content-length"])
            if content is None:
                return
            answer(conn, header, content)


sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
sock.listen(64)
print("listening on %s:%d" % sock.getsockname(), flush=True)
while True:
    conn, _ = sock.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
