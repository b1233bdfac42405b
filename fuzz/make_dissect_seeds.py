#!/usr/bin/env python3
"""Writes the seed corpus fuzz/seeds/dissect/ (see fuzz/dissect.rs):

- the first packets of the real capture tests/data/lab.pcap, as pcap with
  its Ethernet frames, then turned into Linux cooked v2 and BSD loopback;
- the same frames as pcapng (one interface, nanosecond timestamps);
- reassembly plans (`R`, 6 header bytes, then 4 bytes per segment).

Run from anywhere; rewrites the seeds.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "seeds", "dissect")
LAB = os.path.join(HERE, "..", "tests", "data", "lab.pcap")


def read_pcap(path, limit):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    at, packets = 24, []
    while at + 16 <= len(data) and len(packets) < limit:
        sec, frac, incl, orig = struct.unpack(endian + "IIII", data[at:at + 16])
        packets.append((sec, frac, data[at + 16:at + 16 + incl]))
        at += 16 + incl
    return packets


def pcap(linktype, packets):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype)
    for sec, usec, frame in packets:
        out += struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame
    return out


def block(kind, body):
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack("<II", kind, n) + body + struct.pack("<I", n)


def pcapng(linktype, packets):
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    # if_tsresol = 9 (nanoseconds), then opt_endofopt.
    idb = block(1, struct.pack("<HHI", linktype, 0, 0) + struct.pack("<HHB3x", 9, 1, 9) + b"\0\0\0\0")
    out = shb + idb
    for sec, usec, frame in packets:
        ns = sec * 1_000_000_000 + usec * 1000
        out += block(6, struct.pack("<IIIII", 0, ns >> 32, ns & 0xFFFFFFFF, len(frame), len(frame)) + frame)
    return out


def sll2(frame):
    ether_type = frame[12:14]
    return ether_type + b"\0\0" + struct.pack(">IHBB", 1, 772, 0, 6) + b"\0" * 8 + frame[14:]


def null(frame):
    return struct.pack("<I", 2) + frame[14:]


def plan(base, limit, syn, segments):
    out = b"R" + struct.pack(">IBB", base, limit, syn)
    for start, length, arg, flags in segments:
        out += bytes([start, length, arg, flags])
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    packets = read_pcap(LAB, 40)
    seeds = {
        "lab_ethernet.pcap": pcap(1, packets),
        "lab_sll2.pcap": pcap(276, [(s, u, sll2(f)) for s, u, f in packets]),
        "lab_null.pcap": pcap(0, [(s, u, null(f)) for s, u, f in packets]),
        "lab_ethernet.pcapng": pcapng(1, packets),
        # In order, with a SYN, near the sequence number wrap.
        "plan_in_order": plan(0xFFFFFF00, 4, 1, [(0, 20, 0, 0), (10, 20, 0, 0), (20, 30, 0, 2)]),
        # Reordered, duplicated, overlapping; a cut segment; an ACK past a hole.
        "plan_reordered": plan(7, 1, 0, [(30, 40, 0, 0), (0, 63, 3, 1), (20, 10, 0, 0), (0, 63, 0, 0), (90, 5, 120, 8)]),
        # A RST in the middle.
        "plan_reset": plan(1 << 31, 0, 1, [(0, 10, 0, 0), (5, 10, 0, 0x70), (10, 10, 0, 2)]),
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(seeds)} seeds to {OUT}")


if __name__ == "__main__":
    main()
