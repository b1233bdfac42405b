"""A §5 variable-packet echo server with a classic fault: it takes one
`recv` for one message. It works while every packet arrives in one
piece, alone, and fails as soon as a client's writes are split (a read
cuts a header or a payload) or coalesced (two packets in one read: the
second is lost).

usage: broken_one_recv.py   (binds 127.0.0.1, port chosen by the OS;
prints `listening on 127.0.0.1:PORT`; runs until killed)
"""
import socket
import struct
import threading


def serve(conn):
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                return
            version, size, order = struct.unpack("!BLL", data[:9])
            payload = data[9:9 + size]
            conn.sendall(struct.pack("!BLL", version, len(payload), order) + payload)


sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
sock.listen(64)
print("listening on %s:%d" % sock.getsockname(), flush=True)
while True:
    conn, _ = sock.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
