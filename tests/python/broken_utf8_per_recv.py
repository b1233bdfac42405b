"""A §2 text echo server with a classic fault: it decodes each `recv` as
UTF-8 on its own. When a read cuts a multi-byte character in two, the
decode fails and the connection is dropped.

usage: broken_utf8_per_recv.py   (binds 127.0.0.1, port chosen by the
OS; prints `listening on 127.0.0.1:PORT`; runs until killed)
"""
import socket
import threading


def serve(conn):
    with conn:
        while True:
            data = conn.recv(1024)
            if not data:
                return
            text = data.decode("utf-8")
            conn.sendall(text.encode("utf-8"))


sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
sock.listen(64)
print("listening on %s:%d" % sock.getsockname(), flush=True)
while True:
    conn, _ = sock.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
