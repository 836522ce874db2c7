#!/usr/bin/env python3
"""BGSAVE of a large dataset, against redpy and real Redis.

For each server: DEBUG POPULATE N keys (1,000,000 by default), then BGSAVE; reports how
long the snapshot took (BGSAVE until INFO persistence shows it done), the dump's size,
and the longest PING round trip seen by a client pinging throughout (the fork's pause
and any stall of the event loop).

    python3 benchmarks/bgsave.py               # 1,000,000 keys
    python3 benchmarks/bgsave.py --keys 200000
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Server, fmt_int, free_port  # noqa: E402


def _call(sock: socket.socket, *args: str) -> bytes:
    sock.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in args))
    data = sock.recv(65536)
    while not data.endswith(b"\r\n"):
        data += sock.recv(65536)
    return data


def measure(name: str, cmd: list[str], port: int, keys: int) -> tuple[float, int, float]:
    server = Server(name, cmd, port)
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=120)
        assert _call(s, "DEBUG", "POPULATE", str(keys)).startswith(b"+OK")
        start = time.monotonic()
        reply = _call(s, "BGSAVE")
        assert reply.startswith(b"+Background saving started"), reply
        worst = 0.0
        while True:
            t = time.monotonic()
            assert _call(s, "PING") == b"+PONG\r\n"
            worst = max(worst, time.monotonic() - t)
            info = _call(s, "INFO", "persistence")
            if b"rdb_bgsave_in_progress:0" in info:
                break
            time.sleep(0.005)
        elapsed = time.monotonic() - start
        assert b"rdb_last_bgsave_status:ok" in info, info
        size = os.path.getsize(os.path.join(server.dir, "dump.rdb"))
        s.close()
        return elapsed, size, worst
    finally:
        server.stop()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--redis-server", default="/usr/bin/redis-server")
    args = ap.parse_args(argv)
    rows = []
    for name in ("redis", "redpy"):
        port = free_port()
        common = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                  "--enable-debug-command", "yes"]
        cmd = [args.redis_server, *common] if name == "redis" else [sys.executable, "-m", "redpy", *common]
        rows.append((name, *measure(name, cmd, port, args.keys)))
    print(f"BGSAVE of {args.keys:,} keys (DEBUG POPULATE)")
    print("| server | BGSAVE s | dump bytes | longest PING ms |")
    print("| --- | --- | --- | --- |")
    for name, elapsed, size, worst in rows:
        print(f"| {name} | {elapsed:.2f} | {fmt_int(size)} | {worst * 1000:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
