"""A plain Python `selectors` echo server, written the way the lab's
multi-connection server is (non-blocking sockets, one `selectors` loop,
`recv(1024)`, an output buffer per connection), as the baseline the
README's load figures compare against.

usage: echo_selectors_server.py [PORT]   (default 0: the OS picks)

Prints `listening on 127.0.0.1:PORT` and then nothing per message (so
logging does not skew a measurement). Echoes every byte. Runs until killed.
"""
import selectors
import socket
import sys
import types

port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
sel = selectors.DefaultSelector()
lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("127.0.0.1", port))
lsock.listen(1024)
lsock.setblocking(False)
sel.register(lsock, selectors.EVENT_READ, data=None)
print("listening on %s:%d" % lsock.getsockname(), flush=True)


def accept_wrapper(sock):
    conn, addr = sock.accept()
    conn.setblocking(False)
    data = types.SimpleNamespace(addr=addr, outb=b"")
    sel.register(conn, selectors.EVENT_READ, data=data)


def service_connection(key, mask):
    sock = key.fileobj
    data = key.data
    if mask & selectors.EVENT_READ:
        try:
            recv_data = sock.recv(1024)
        except ConnectionError:
            recv_data = b""
        if recv_data:
            data.outb += recv_data
        else:
            sel.unregister(sock)
            sock.close()
            return
    if data.outb:
        try:
            sent = sock.send(data.outb)
        except BlockingIOError:
            sent = 0
        except ConnectionError:
            sel.unregister(sock)
            sock.close()
            return
        data.outb = data.outb[sent:]
    events = selectors.EVENT_READ | (selectors.EVENT_WRITE if data.outb else 0)
    sel.modify(sock, events, data=data)


try:
    while True:
        for key, mask in sel.select(timeout=None):
            if key.data is None:
                accept_wrapper(key.fileobj)
            else:
                service_connection(key, mask)
except KeyboardInterrupt:
    pass
finally:
    sel.close()
