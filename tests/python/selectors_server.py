"""A Python selectors echo server for sockwire's clients, written the way
the lab's Python servers are.

usage: selectors_server.py text|fixed|variable

Listens on 127.0.0.1 (port chosen by the OS), prints `listening on
127.0.0.1:PORT`, echoes every message as the protocol says (fixed and
variable packets are unpacked and packed again), and prints one line per
connection when it closes: `closed PEER received HEX`. Runs until killed.
"""
import selectors
import socket
import struct
import sys
import types

protocol = sys.argv[1]
sel = selectors.DefaultSelector()
lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsock.bind(("127.0.0.1", 0))
lsock.listen()
lsock.setblocking(False)
sel.register(lsock, selectors.EVENT_READ, data=None)
print("listening on %s:%d" % lsock.getsockname(), flush=True)


def messages(data):
    """Splits whole messages off data.inb; yields their echo."""
    while True:
        if protocol == "text":
            if not data.inb:
                return
            out, data.inb = data.inb, b""
            yield out
        elif protocol == "fixed":
            if len(data.inb) < 29:
                return
            version, order, size, field = struct.unpack("!BLL20s", data.inb[:29])
            data.inb = data.inb[29:]
            print("fixed", version, order, size, field.decode("utf-8", errors="ignore")[:size], flush=True)
            yield struct.pack("!BLL20s", version, order, size, field)
        else:
            if len(data.inb) < 9:
                return
            version, size, order = struct.unpack("!BLL", data.inb[:9])
            if len(data.inb) < 9 + size:
                return
            payload = data.inb[9 : 9 + size]
            data.inb = data.inb[9 + size :]
            print("variable", version, order, size, payload.decode("utf-8"), flush=True)
            yield struct.pack("!BLL", version, size, order) + payload


while True:
    for key, mask in sel.select(timeout=None):
        if key.data is None:
            conn, addr = key.fileobj.accept()
            conn.setblocking(False)
            data = types.SimpleNamespace(addr=addr, inb=b"", outb=b"", seen=b"")
            sel.register(conn, selectors.EVENT_READ, data=data)
            continue
        sock, data = key.fileobj, key.data
        if mask & selectors.EVENT_READ:
            recv_data = sock.recv(4096)
            if recv_data:
                data.seen += recv_data
                data.inb += recv_data
                for out in messages(data):
                    data.outb += out
                if data.outb:
                    sel.modify(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, data=data)
            else:
                print("closed %s:%d received %s" % (data.addr[0], data.addr[1], data.seen.hex()), flush=True)
                sel.unregister(sock)
                sock.close()
                continue
        if mask & selectors.EVENT_WRITE and data.outb:
            sent = sock.send(data.outb)
            data.outb = data.outb[sent:]
            if not data.outb:
                sel.modify(sock, selectors.EVENT_READ, data=data)
