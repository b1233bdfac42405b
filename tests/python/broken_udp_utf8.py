"""A §1 UDP echo server with a classic fault: it decodes every datagram
as UTF-8 and dies on the first one that is not.

usage: broken_udp_utf8.py   (binds 127.0.0.1, port chosen by the OS;
prints `listening on 127.0.0.1:PORT`; runs until killed or crashed)
"""
import socket

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
print("listening on %s:%d" % sock.getsockname(), flush=True)
while True:
    data, addr = sock.recvfrom(65536)
    text = data.decode("utf-8")
    print("Message from %s:%d -> %s" % (addr + (text,)), flush=True)
    sock.sendto(text.encode("utf-8"), addr)
