"""The room directory on the lab's original wire (§8), written
the way the lab's Python server is: one UDP socket, select, dicts.

usage: lab_room_server.py

Binds 127.0.0.1 (port chosen by the OS), prints `listening on
127.0.0.1:PORT`, then one line per datagram, `recv IP:PORT b'...'` (the
bytes exactly as they came, Python's repr), and answers as §8 says. Stops
after 60 s or when killed.
"""
import select
import socket
import time

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
print("listening on %s:%d" % sock.getsockname(), flush=True)

users = {}  # name -> (ip, port)
rooms = {}  # room -> [(ip, port), ...] in join order
member_of = {}  # (ip, port) -> room


def send(text, addr):
    sock.sendto(text.encode(), addr)


def refresh(room):
    for member in rooms[room]:
        send("rj __clear_peers__", member)
        for other in rooms[room]:
            if other != member:
                send("rj %s %d" % other, member)


def leave(addr):
    room = member_of.pop(addr, None)
    if room is not None:
        rooms[room].remove(addr)
        refresh(room)


deadline = time.time() + 60
while time.time() < deadline:
    ready, _, _ = select.select([sock], [], [], 0.5)
    if not ready:
        continue
    data, addr = sock.recvfrom(1024)
    print("recv %s:%d %r" % (addr[0], addr[1], data), flush=True)
    try:
        words = data.decode().split()
    except UnicodeDecodeError:
        print("dropped: not UTF-8", flush=True)
        continue
    op, args = (words[0], words[1:]) if words else ("", [])
    if op == "hi" and len(args) == 1:
        if args[0] in users and users[args[0]] != addr:
            send("hi", addr)
        else:
            for name, a in list(users.items()):
                if a == addr:
                    del users[name]
            users[args[0]] = addr
            send("hi " + args[0], addr)
    elif op == "by" and not args:
        leave(addr)
        for name, a in list(users.items()):
            if a == addr:
                del users[name]
        send("by", addr)
    elif op == "ar" and len(args) == 1:
        if args[0] in users:
            send("ar %s %d" % users[args[0]], addr)
        else:
            send("ar", addr)
    elif op == "ul" and not args:
        for name in sorted(users) or [None]:
            send("ul" if name is None else "ul " + name, addr)
    elif op == "rl" and not args:
        for room in sorted(rooms) or [None]:
            send("rl" if room is None else "rl " + room, addr)
    elif op == "rc" and len(args) == 1:
        if args[0] in rooms:
            send("rc", addr)
        else:
            rooms[args[0]] = []
            send("rc " + args[0], addr)
    elif op == "rj" and len(args) == 1:
        if args[0] not in rooms:
            send("rj", addr)
        else:
            leave(addr)
            rooms[args[0]].append(addr)
            member_of[addr] = args[0]
            refresh(args[0])
    elif op == "rk" and not args:
        leave(addr)
    else:
        print("dropped: malformed", flush=True)
