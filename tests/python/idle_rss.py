"""Measures what idle connections cost a server: its VmRSS with 0
connections, then with N connections that each sent one message and read
its echo (so every buffer was used once) and then went idle.

usage: idle_rss.py PID PORT N [PAYLOAD_BYTES]

Prints the two RSS figures and the difference per connection. A tool for
the README's "Performance under load" figures, not a test.
"""
import resource
import socket
import sys
import time

pid, port, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
size = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def rss_kib():
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit("no VmRSS")


time.sleep(0.5)
before = rss_kib()
socks = []
payload = b"x" * size
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(payload)
    got = b""
    while len(got) < size:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("connection %d closed" % i)
        got += chunk
    assert got == payload
    socks.append(s)
time.sleep(1.0)
after = rss_kib()
print("connections %d: VmRSS %d KiB before, %d KiB with them idle: %.0f bytes per idle connection"
      % (n, before, after, (after - before) * 1024 / n))
for s in socks:
    s.close()
