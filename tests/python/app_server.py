#!/usr/bin/env python3
"""§6 server on selectors, written the way the lab's
Python server is.

    app_server.py [CONNECTIONS]

Listens on 127.0.0.1 on a port the OS picks and prints `LISTENING <port>`.
Answers every request of a connection in order, closes a connection that
sends a malformed message, and exits once CONNECTIONS connections (default
1) have closed, or after 30 s in any case. For the tests it prints, one
line each:

    REQUEST <hex of one request's bytes>
    REPLY <hex of the reply's bytes>
    ERROR <why the connection was closed>
    CLOSED
"""

import json
import os
import selectors
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from protocol6 import create_message, decode_header, json_encode  # noqa: E402

request_search = {
    "morpheus": "Follow the white rabbit. \U0001f430",
    "ring": "In the caves beneath the Misty Mountains. \U0001f48d",
    "\U0001f436": "\U0001f43e Playing ball! \U0001f3d0",
}


def respond(header, content):
    if header["content-type"] == "text/json":
        request = json.loads(content.decode(header["content-encoding"]))
        action = request.get("action")
        if action == "search":
            query = request.get("value")
            answer = request_search.get(query) or f"No match for '{query}'."
            reply = {"result": answer}
        else:
            reply = {"result": f"Error: invalid action '{action}'."}
        return create_message(json_encode(reply, "utf-8"), "text/json", "utf-8")
    return create_message(
        b"First 10 bytes of request: " + content[:10],
        "binary/custom-server-binary-type",
        "binary",
    )


class Connection:
    def __init__(self, sock):
        self.sock = sock
        self.recv_buffer = b""
        self.send_buffer = b""

    def take_messages(self):
        """Yields (raw bytes, header, content) for each whole message."""
        while True:
            if len(self.recv_buffer) < 2:
                return
            (hdrlen,) = struct.unpack(">H", self.recv_buffer[:2])
            if len(self.recv_buffer) < 2 + hdrlen:
                return
            header = decode_header(self.recv_buffer[2 : 2 + hdrlen])
            end = 2 + hdrlen + header["content-length"]
            if len(self.recv_buffer) < end:
                return
            raw = self.recv_buffer[:end]
            self.recv_buffer = self.recv_buffer[end:]
            yield raw, header, raw[2 + hdrlen :]


def main():
    wanted = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    sel = selectors.DefaultSelector()
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen()
    lsock.setblocking(False)
    sel.register(lsock, selectors.EVENT_READ, data=None)
    print("LISTENING", lsock.getsockname()[1], flush=True)
    closed = 0
    deadline = time.monotonic() + 30
    while closed < wanted and time.monotonic() < deadline:
        for key, mask in sel.select(timeout=0.2):
            if key.data is None:
                conn, _ = lsock.accept()
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ, data=Connection(conn))
                continue
            c = key.data
            try:
                if mask & selectors.EVENT_READ:
                    data = c.sock.recv(4096)
                    if not data:
                        raise EOFError
                    c.recv_buffer += data
                    for raw, header, content in c.take_messages():
                        reply = respond(header, content)
                        print("REQUEST", raw.hex())
                        print("REPLY", reply.hex(), flush=True)
                        c.send_buffer += reply
                if mask & selectors.EVENT_WRITE and c.send_buffer:
                    sent = c.sock.send(c.send_buffer)
                    c.send_buffer = c.send_buffer[sent:]
                events = selectors.EVENT_READ
                if c.send_buffer:
                    events |= selectors.EVENT_WRITE
                sel.modify(c.sock, events, data=c)
            except EOFError:
                sel.unregister(c.sock)
                c.sock.close()
                closed += 1
                print("CLOSED", flush=True)
            except Exception as e:  # a malformed message: close this one
                print("ERROR", repr(e), flush=True)
                sel.unregister(c.sock)
                c.sock.close()
                closed += 1
                print("CLOSED", flush=True)
    sel.close()
    lsock.close()


if __name__ == "__main__":
    main()
