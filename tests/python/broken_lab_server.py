"""A §8 room directory written the way the lab's first server was, with
its three known crashes: it decodes every datagram without a guard (dies
on invalid UTF-8), takes the first word without checking there is one
(dies on an empty datagram), and looks up the name of whoever says `by`
(dies on `by` from an address that never said `hi`). Otherwise it
answers as §8 says.

usage: broken_lab_server.py   (binds 127.0.0.1, port chosen by the OS;
prints `listening on 127.0.0.1:PORT`; runs until killed or crashed)
"""
import socket

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
print("listening on %s:%d" % sock.getsockname(), flush=True)

addr_of = {}  # name -> (ip, port)
name_of = {}  # (ip, port) -> name
rooms = {}  # room -> members in join order
room_of = {}  # (ip, port) -> room


def send(text, to):
    sock.sendto(text.encode(), to)


def peers(room):
    for member in rooms[room]:
        send("rj __clear_peers__", member)
        for other in rooms[room]:
            if other != member:
                send("rj %s %d" % other, member)


def leave(who):
    if who in room_of:
        room = room_of.pop(who)
        rooms[room].remove(who)
        peers(room)


while True:
    data, who = sock.recvfrom(1024)
    words = data.decode().split()
    cmd = words[0]
    if cmd == "hi" and len(words) == 2:
        name = words[1]
        if name in addr_of and addr_of[name] != who:
            send("hi", who)
            continue
        if who in name_of:
            del addr_of[name_of[who]]
        addr_of[name] = who
        name_of[who] = name
        send("hi " + name, who)
    elif cmd == "by" and len(words) == 1:
        leave(who)
        del addr_of[name_of.pop(who)]
        send("by", who)
    elif cmd == "ar" and len(words) == 2:
        if words[1] in addr_of:
            send("ar %s %d" % addr_of[words[1]], who)
        else:
            send("ar", who)
    elif cmd == "ul" and len(words) == 1:
        if not addr_of:
            send("ul", who)
        for name in sorted(addr_of):
            send("ul " + name, who)
    elif cmd == "rl" and len(words) == 1:
        if not rooms:
            send("rl", who)
        for room in sorted(rooms):
            send("rl " + room, who)
    elif cmd == "rc" and len(words) == 2:
        if words[1] in rooms:
            send("rc", who)
        else:
            rooms[words[1]] = []
            send("rc " + words[1], who)
    elif cmd == "rj" and len(words) == 2:
        if words[1] not in rooms:
            send("rj", who)
        else:
            leave(who)
            rooms[words[1]].append(who)
            room_of[who] = words[1]
            peers(words[1])
    elif cmd == "rk" and len(words) == 1:
        leave(who)
