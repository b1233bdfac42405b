#!/usr/bin/env python3
"""Writes the seed corpus fuzz/seeds/<target>/ from the wire contract's golden
vectors, in the input format of fuzz/checks.rs:

    config (1 byte) | n (low 3 bits) | n split lengths | payload

(text_datagram: config | payload). The §6/§7 targets read their own
formats (see each check in fuzz/checks.rs): app_roundtrip is
config | cut | action+value; room_wire is one datagram; room_server and
room_client are scripts of steps. Run from anywhere; rewrites the seeds.
"""
import json
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")


def fixed(order, text):
    field = (text + "-" * max(0, 20 - len(text))).encode()
    return struct.pack("!BLL20s", 1, order, len(text), field)


def variable(order, payload, version=1):
    return struct.pack("!BLL", version, len(payload), order) + payload


def stream(config, splits, payload):
    return bytes([config, len(splits)]) + bytes(splits) + payload


def app(header, content):
    h = json.dumps(header, ensure_ascii=False).encode()
    return struct.pack(">H", len(h)) + h + content


def app_json(obj):
    content = json.dumps(obj, ensure_ascii=False).encode()
    return app({"byteorder": "little", "content-type": "text/json",
                "content-encoding": "utf-8", "content-length": len(content)}, content)


def app_binary(content, kind="binary/custom-client-binary-type"):
    return app({"byteorder": "big", "content-type": kind,
                "content-encoding": "binary", "content-length": len(content)}, content)


GOLDEN_REQUEST = (b'\x00g{"byteorder": "little", "content-type": "text/json", '
                  b'"content-encoding": "utf-8", "content-length": 41}'
                  b'{"action": "search", "value": "morpheus"}')
assert app_json({"action": "search", "value": "morpheus"}) == GOLDEN_REQUEST

# room_server script: a step byte is address (low 3 bits) | kind << 3
# | 0x80 to advance time by the next byte % 71 seconds. Kinds: 0 repeats
# the last datagram, 1 is a timeout, 2 a request from the vocabulary
# (tag, op index, name index / text choice), 9 raw bytes (length, bytes).
OPS = ["hi", "ul", "rl", "rc", "rj", "rk", "ar", "kk", "ms", "ka", "by"]
NAMES = ["alice", "bob", "carol", "lobby", "den", "a-b_9", "bad name", ""]


def req(addr, tag, op, arg=None, wait=None):
    head = bytes([addr | 2 << 3 | (0x80 if wait is not None else 0)])
    if wait is not None:
        head += bytes([wait])
    out = head + bytes([tag, OPS.index(op)])
    if op in ("hi", "rc", "rj", "ar"):
        out += bytes([NAMES.index(arg)])
    elif op == "ms":
        out += bytes([{"hello all": 0, "long": 1, "": 2}[arg]])
    return out


def raw(addr, datagram):
    return bytes([addr | 9 << 3, len(datagram)]) + datagram


REPEAT = bytes([0])
TIMEOUT = bytes([1 << 3])

SEEDS = {
    "text_datagram": {
        "hello": b"\x00hello",
        "acao": b"\x00" + "ação".encode(),
        "empty": b"\x00",
        "upper_input": b"\x00 x y\r\n",
        "invalid_utf8": b"\x00o\xffk",
        "over_limit_3": bytes([3 * 4 + 2]) + b"hello",
    },
    "text_stream": {
        "hello_world": stream(0, [], b"Hello, world"),
        "split_utf8": stream(0, [3], "não".encode()),
        "every_byte_acao": stream(0, [1], "ação 🐰".encode()),
        "multiconn": stream(0, [5, 17], b"Message 1 from client.Message 2 from client."),
        "invalid_then_unfinished": stream(0, [2, 1], b"a\xff\xc3\xa3\xe2\x82"),
    },
    "line": {
        "hello_lf": stream(1, [], b"hello\n"),
        "crlf_split": stream(1, [4], b"hello\r\nworld\n"),
        "too_long_max4": stream(8, [3, 1], b"hi\nfar too long\nok\r\n"),
        "cr_cases": stream(1, [3], b"a\r\r\nb\rc\n\r\nlast"),
        "utf8_and_invalid": stream(1, [1], "ação\n".encode() + b"o\xffk\n"),
        "unterminated_over_max2": stream(4, [2], b"ab\r\nabc"),
    },
    "fixed_packet": {
        "hi": stream(0, [], fixed(1, "hi")),
        "hi_acao_split": stream(0, [7, 30], fixed(1, "hi") + fixed(2, "ação")),
        "truncated_text": stream(0, [1], fixed(7, "a long text of 25 chars..")),
        "partial": stream(0, [5], fixed(1, "hi")[:20]),
        "emoji_cut": stream(0, [13], fixed(3, "🐰" * 6)),
    },
    "variable_packet": {
        "hello": stream(7, [], variable(1, b"hello")),
        "hello_hi_split": stream(7, [4, 1], variable(1, b"hello") + variable(2, b"hi")),
        "over_max2_skipped": stream(2, [3], variable(1, b"hello") + variable(2, b"hi")),
        "acao_payload": stream(7, [10], variable(3, "ação".encode())),
        "partial_header": stream(7, [2], variable(1, b"hello")[:6]),
        "empty_payload": stream(7, [9], variable(4, b"")),
    },
    "app_message": {
        "golden_request": stream(255, [], GOLDEN_REQUEST),
        "golden_split": stream(255, [1, 50, 3], GOLDEN_REQUEST),
        "binary_request": stream(255, [7], app_binary(b"echohello")),
        "reply_then_request": stream(255, [2], app_json({"result": "Follow the white rabbit. \U0001f430"})
                                     + app_binary(b"First 10 bytes of request: echohello",
                                                  "binary/custom-server-binary-type")),
        "content_over_limit": stream(1, [], GOLDEN_REQUEST),
        "bad_json": stream(255, [3], b"\x00\x05{oops" + GOLDEN_REQUEST),
        "truncated": stream(255, [9], GOLDEN_REQUEST[:80]),
        "empty_header": stream(255, [], b"\x00\x00" + GOLDEN_REQUEST),
    },
    "app_roundtrip": {
        "search_morpheus": b"\x00\x06searchmorpheus",
        "echo_hello": b"\x01\x04echohello",
        "dog_emoji": b"\x00\x06search" + "🐶".encode(),
        "quotes_and_controls": b"\x01\x03a\"b\"\n\x00\\\x7f\xff\xfe",
    },
    "room_wire": {
        "hi_alice": b"1 hi alice",
        "rc_lobby": b"2 rc lobby",
        "ms_hello": b"3 ms hello all",
        "ms_empty": b"5 ms",
        "ul_reply": b"7 ul alice bob",
        "pa_reply": b"4 pa bob 127.0.0.1:5006",
        "pa_notice_v6": b"0 pa bob [::1]:5006",
        "ms_notice": b"0 ms lobby bob hi  there ",
        "er_text": b"0 er too-long datagram of 5000 bytes",
        "pm": b"0 pm bob hi alice",
        "bad_tag": b"01 hi alice",
    },
    "room_server": {
        "session": bytes([0xff, 7])
        + req(0, 1, "hi", "alice") + req(1, 1, "hi", "bob")
        + req(0, 2, "rc", "lobby") + req(1, 2, "rj", "lobby")
        + req(1, 3, "ms", "hello all") + REPEAT
        + req(0, 3, "ul") + req(0, 4, "rl") + req(0, 0, "ar", "bob")
        + req(0, 1, "kk") + req(1, 4, "by") + REPEAT
        + req(0, 2, "ka", wait=45) + TIMEOUT + req(0, 3, "rk", wait=40),
        "limits": bytes([0, 0])
        + req(0, 1, "hi", "alice") + req(1, 1, "hi", "alice") + req(1, 2, "hi", "bob")
        + req(0, 2, "rc", "lobby") + req(0, 3, "rc", "den") + req(1, 1, "rj", "lobby")
        + req(0, 4, "ms", "long"),
        "raw_and_bad": bytes([0x55, 1])
        + raw(2, b"1 hi carol") + raw(2, b"x hi carol") + raw(2, b"2 zz")
        + raw(3, b"3 ul") + REPEAT + raw(2, b"4 rc bad name") + raw(2, b"\xff\xfe")
        + req(2, 0, "ms", ""),
    },
    "room_client": {
        # step byte: kind << 4 (0 timeout, 1 line, 3 from the server,
        # 5 from elsewhere) | 0x80 to wait next byte * 100 ms.
        "poke_and_pm": bytes([0x3f])
        + bytes([0x10, 2])               # $roomcreate lobby (tag 1)
        + bytes([0x30, 0, 1])            # 1 ok
        + bytes([0x10, 0])               # $poke bob (tag 2)
        + bytes([0x30, 1, 2, 6])         # 2 pa bob 127.0.0.7:5006
        + bytes([0x10, 1])               # $msg bob hi there
        + bytes([0x56, 3])               # 0 pm bob hi alice from 127.0.0.7
        + bytes([0x10, 4]) + bytes([0x90, 6, 0])  # $userlist, then time passes
        + bytes([0x80, 250, 0x80, 250, 0x10, 5]),  # keepalive, $quit
        "spoofed_and_raw": bytes([0x00])
        + bytes([0x53, 3]) + bytes([0x30, 6, 4]) + b"0 jn" + bytes([0x10, 8, 5]) + b"hello"
        + bytes([0x30, 5]) + bytes([0x30, 4, 0]),
        "retransmits": bytes([0x0c])
        + bytes([0x10, 4, 0x10, 3, 0x10, 6])
        + bytes([0x80, 5, 0x80, 5, 0x80, 5, 0x80, 5, 0x80, 5, 0x80, 5]),
    },
}

for target, seeds in SEEDS.items():
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
