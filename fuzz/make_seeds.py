#!/usr/bin/env python3
"""Writes the seed corpus fuzz/seeds/<target>/ from PROTOCOLS.md's golden
vectors, in the input format of fuzz/checks.rs:

    config (1 byte) | n (low 3 bits) | n split lengths | payload

(text_datagram: config | payload). Run from anywhere; rewrites the seeds.
"""
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
}

for target, seeds in SEEDS.items():
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
