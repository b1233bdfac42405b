"""Writes the seed inputs of the `lab_room` fuzz target (fuzz/seeds/lab_room/),
in the input format described in fuzz/lab_checks.rs.

usage: python3 fuzz/make_lab_seeds.py
"""
import os

NAMES = ["alice", "bob", "carol", "lobby", "den", "a-b_9", "bad.name", "__clear_peers__"]
OPS = ["hi", "by", "ar", "ul", "rl", "rc", "rj", "rk", "zz"]
LINES = ["$userlist", "$roomlist", "$roomcreate", "$roomjoin", "$roomleave", "$poke",
         "$kick", "$quit", "$msg", "long", "$roomjoin-bare", "chat"]
DELIVER = bytes([4 << 2])


def n(name):
    return NAMES.index(name)


def request(who, op, *args, tab=False, lead=False):
    b = len(args) | (4 if tab else 0) | (8 if lead else 0)
    return bytes([0 << 2 | who, OPS.index(op), b] + [n(a) for a in args])


def raw(who, data):
    return bytes([2 << 2 | who, len(data)]) + data


def hello(client, name):
    return bytes([3 << 2 | client, n(name)])


def line(client, kind, name="alice"):
    return bytes([3 << 2 | client, n(name), LINES.index(kind)])


def to_client(client, data, from_server):
    return bytes([5 << 2 | client | (0x20 if from_server else 0), len(data)]) + data


def wire(data):
    return bytes([6 << 2, len(data)]) + data


def chat(client_or_stranger, name, empty=False):
    return bytes([7 << 2 | client_or_stranger, 1 if empty else 0, n(name)])


session = bytes([0xFF]) + b"".join([
    hello(0, "alice"), hello(1, "alice"), DELIVER,
    hello(1, "bob"), DELIVER,
    line(0, "$roomcreate", "lobby"), DELIVER,
    line(0, "$roomjoin", "lobby"), DELIVER,
    line(1, "$roomjoin", "lobby"), DELIVER,
    line(0, "chat"), DELIVER,
    line(1, "$roomleave"), DELIVER,
    line(0, "chat"), DELIVER,
    hello(2, "carol"), DELIVER,
    line(2, "$poke", "alice"), DELIVER,
    line(2, "$msg", "alice"), DELIVER,
    line(0, "$userlist"), DELIVER,
    line(0, "$roomlist"), DELIVER,
    line(0, "$quit"), DELIVER,
])

raw_and_bad = bytes([0x00]) + b"".join([
    request(3, "hi", "bad.name"),
    raw(0, b"zz  a"),
    raw(0, b"\xff\xfe"),
    request(0, "hi", "alice"),
    request(1, "hi", "bob"),
    request(0, "rc", "lobby"),
    request(0, "rc", "den"),
    request(0, "rj", "lobby"),
    request(0, "rj", "__clear_peers__"),
    request(0, "rk", "alice"),
    request(0, "ul", lead=True),
    request(0, "ar", "alice", tab=True),
    wire(b"rj 127.0.0.1 80"),
    wire(b"msg bob>  spaced"),
    wire("hi \u3000alice".encode()),
    wire(b"ar ::1 65535"),
    to_client(0, b"rj 127.0.0.1 6001", True),
    to_client(0, b"ul eve", False),
    chat(3, "alice"),
])

limits = bytes([0x00]) + b"".join([
    hello(0, "alice"), hello(1, "bob"), DELIVER,
    hello(1, "carol"), DELIVER,
    line(0, "$roomcreate", "lobby"), DELIVER,
    line(0, "$roomjoin", "lobby"), DELIVER,
    line(0, "$poke", "bob"), DELIVER,
    line(0, "$kick"),
    line(0, "long"),
    line(0, "$roomjoin-bare"),
    chat(3, "carol", empty=True),
    line(0, "chat"), DELIVER,
])

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "lab_room")
os.makedirs(out, exist_ok=True)
for name, data in [("session", session), ("raw_and_bad", raw_and_bad), ("limits", limits)]:
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
