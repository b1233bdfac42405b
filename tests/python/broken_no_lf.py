"""A §3 line echo server with a classic fault: it reads lines correctly
but writes each reply without its LF, so a client waiting for a whole
line waits for ever.

usage: broken_no_lf.py   (binds 127.0.0.1, port chosen by the OS; prints
`listening on 127.0.0.1:PORT`; runs until killed)
"""
import socket
import threading

MAX_LINE = 64 * 1024


def serve(conn):
    with conn, conn.makefile("rb") as lines:
        while True:
            line = lines.readline(MAX_LINE + 2)
            if not line:
                return
            if len(line.rstrip(b"\r\n")) > MAX_LINE:
                return  # a line over the limit: drop the connection
            conn.sendall(line.rstrip(b"\r\n"))


sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
sock.listen(64)
print("listening on %s:%d" % sock.getsockname(), flush=True)
while True:
    conn, _ = sock.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
