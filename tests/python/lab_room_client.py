"""A room-chat client on the lab's original wire (§8), written
the way the lab's Python client is: one UDP socket, select on it and on
stdin.

usage: lab_room_client.py HOST PORT

The first line of stdin is the user name; while the server answers the
bare `hi` (taken), the next line is tried. Then each line is a `$` command
($userlist $roomlist $roomcreate $roomjoin $roomleave $poke $kick $quit)
or a chat line, sent as `msg NAME> TEXT` to every peer. For the tests,
`$raw TEXT` sends TEXT as it is to the server.

Prints `bound IP:PORT` first, then `recv IP:PORT b'...'` for every datagram that comes and
`sent IP:PORT b'...'` for every one it sends (Python's repr of the exact
bytes), `registered NAME`, `name taken`, `sent to N peers` after a chat
line, and `bye` at the end. Stops after 60 s.
"""
import os
import select
import socket
import sys
import time

server = (sys.argv[1], int(sys.argv[2]))
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
print("bound %s:%d" % sock.getsockname(), flush=True)
name = None
registered = False
peers = []
pending = b""
quitting = False


def send(text, addr):
    data = text.encode() if isinstance(text, str) else text
    sock.sendto(data, addr)
    print("sent %s:%d %r" % (addr[0], addr[1], data), flush=True)


def command(line):
    global name, quitting, peers
    if name is None or not registered:
        name = line.strip()
        send("hi " + name, server)
        return
    words = line.split()
    simple = {"$userlist": "ul", "$roomlist": "rl", "$roomleave": "rk"}
    with_arg = {"$roomcreate": "rc", "$roomjoin": "rj", "$poke": "ar"}
    if words and words[0] in simple:
        send(simple[words[0]], server)
    elif words and words[0] in with_arg and len(words) == 2:
        send(with_arg[words[0]] + " " + words[1], server)
    elif words and words[0] == "$kick":
        peers = []
    elif words and words[0] == "$quit":
        quitting = True
        send("by", server)
    elif line.startswith("$raw "):
        send(line[5:], server)
    else:
        for peer in peers:
            send("msg %s> %s" % (name, line), peer)
        print("sent to %d peers" % len(peers), flush=True)


deadline = time.time() + 60
while time.time() < deadline:
    ready, _, _ = select.select([sock, 0], [], [], 0.5)
    if 0 in ready:
        chunk = os.read(0, 4096)
        if not chunk:
            break
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            command(line.decode())
    if sock in ready:
        data, addr = sock.recvfrom(1024)
        print("recv %s:%d %r" % (addr[0], addr[1], data), flush=True)
        words = data.decode(errors="replace").split()
        if addr == server and words:
            if words == ["hi"]:
                print("name taken", flush=True)
                name = None
            elif words[0] == "hi":
                registered = True
                print("registered " + words[1], flush=True)
            elif words == ["by"]:
                break
            elif words == ["rj", "__clear_peers__"]:
                peers = []
            elif words[0] in ("rj", "ar") and len(words) == 3:
                peers.append((words[1], int(words[2])))
        elif words and words[0] == "msg":
            if addr not in peers and not peers:
                peers.append(addr)
print("bye", flush=True)
