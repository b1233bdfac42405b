"""A §5 variable-packet echo server with a classic fault: its `struct`
format is `<BLL` (little-endian) instead of `!BLL`, so it reads a 5-byte
payload's size as 83,886,080 and waits for bytes that never come. It
frames correctly otherwise (reads the whole header, then the whole
payload) and drops a connection that claims more than 1 MiB.

usage: broken_little_endian.py   (binds 127.0.0.1, port chosen by the
OS; prints `listening on 127.0.0.1:PORT`; runs until killed)
"""
import socket
import struct
import threading

HEADER = struct.Struct("<BLL")


def recv_exactly(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(min(n - len(buf), 65536))
        if not chunk:
            return None
        buf += chunk
    return buf


def serve(conn):
    with conn:
        while True:
            header = recv_exactly(conn, HEADER.size)
            if header is None:
                return
            version, size, order = HEADER.unpack(header)
            payload = recv_exactly(conn, size)
            if payload is None:
                return
            conn.sendall(HEADER.pack(version, len(payload), order) + payload)


sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
sock.listen(64)
print("listening on %s:%d" % sock.getsockname(), flush=True)
while True:
    conn, _ = sock.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
