"""A Python peer for sockwire's example servers, written the way the lab's
Python clients are: socket, struct, selectors.

usage: peer_client.py HOST PORT text|fixed|variable|udp

Sends messages, checks every byte of the echo, prints what it decoded and
exits 0; exits 1 on any mismatch. Every wait is bounded.
"""
import selectors
import socket
import struct
import sys

TIMEOUT = 10


def fail(why):
    print("FAIL:", why, flush=True)
    sys.exit(1)


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            fail(f"connection closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def fixed_pack(order, text):
    return struct.pack("!BLL20s", 1, order, len(text), text.ljust(20, "-").encode("utf-8"))


def fixed_unpack(data):
    version, order, size, field = struct.unpack("!BLL20s", data)
    text = field.decode("utf-8", errors="ignore")[:size]
    return version, order, size, text


def variable_pack(order, text):
    payload = text.encode("utf-8")
    return struct.pack("!BLL", 1, len(payload), order) + payload


def text_multiconn(host, port, num_conns=3):
    """The lab's selectors multi-connection client (§2)."""
    messages = [b"Message 1 from client.", b"Message 2 from client."]
    sel = selectors.DefaultSelector()
    for connid in range(1, num_conns + 1):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.connect_ex((host, port))
        data = {
            "connid": connid,
            "msg_total": sum(len(m) for m in messages),
            "recv_total": 0,
            "received": b"",
            "messages": list(messages),
            "outb": b"",
        }
        sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, data=data)
    open_conns = num_conns
    while open_conns:
        events = sel.select(timeout=TIMEOUT)
        if not events:
            fail("timed out waiting for the server")
        for key, mask in events:
            sock, data = key.fileobj, key.data
            if mask & selectors.EVENT_READ:
                recv_data = sock.recv(1024)
                if recv_data:
                    data["recv_total"] += len(recv_data)
                    data["received"] += recv_data
                if not recv_data or data["recv_total"] == data["msg_total"]:
                    if data["received"] != b"".join(messages):
                        fail(f"connection {data['connid']} got {data['received']!r}")
                    print(f"closing connection {data['connid']}: {data['received']!r}", flush=True)
                    sel.unregister(sock)
                    sock.close()
                    open_conns -= 1
                    continue
            if mask & selectors.EVENT_WRITE:
                if not data["outb"] and data["messages"]:
                    data["outb"] = data["messages"].pop(0)
                if data["outb"]:
                    sent = sock.send(data["outb"])
                    data["outb"] = data["outb"][sent:]
    sel.close()


def main():
    host, port, protocol = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if protocol == "udp":
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(TIMEOUT)
            sock.sendto(b" x y\r\n", (host, port))
            reply, _ = sock.recvfrom(65535)
            if reply != b"X Y":
                fail(f"udp upper reply {reply!r}")
            print(f"udp reply {reply!r}", flush=True)
        return
    if protocol == "text":
        with socket.create_connection((host, port), timeout=TIMEOUT) as sock:
            sock.sendall(b"Hello, world")
            data = recv_exactly(sock, 12)
            if data != b"Hello, world":
                fail(f"text echo {data!r}")
            print(f"text echo {data!r}", flush=True)
        text_multiconn(host, port)
        return
    texts = ["hi", "ação 🐰", "a text longer than twenty characters"]
    with socket.create_connection((host, port), timeout=TIMEOUT) as sock:
        for order, text in enumerate(texts, start=1):
            if protocol == "fixed":
                packet = fixed_pack(order, text)
                sock.sendall(packet)
                echo = recv_exactly(sock, 29)
                if echo != packet:
                    fail(f"fixed echo {echo.hex()} != {packet.hex()}")
                print("fixed echo", fixed_unpack(echo), flush=True)
            else:
                packet = variable_pack(order, text)
                # in two pieces, cut inside the header
                sock.sendall(packet[:4])
                sock.sendall(packet[4:])
                header = recv_exactly(sock, 9)
                version, size, order_back = struct.unpack("!BLL", header)
                payload = recv_exactly(sock, size)
                if header + payload != packet:
                    fail(f"variable echo {(header + payload).hex()} != {packet.hex()}")
                print("variable echo", version, size, order_back, payload.decode("utf-8"), flush=True)


if __name__ == "__main__":
    main()
