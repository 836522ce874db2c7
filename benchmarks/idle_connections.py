#!/usr/bin/env python3
"""Throughput with many idle connections open, against redpy and real Redis.

For each server: redis-benchmark GET (pipeline 16, -c 50) with no extra connections,
then again while N idle connections (10,000 by default) are held open, reporting ops/s
and CPU per request for both, and the time the server took to accept the idle ones.

    python3 benchmarks/idle_connections.py                 # 10,000 idle, 2 s runs
    python3 benchmarks/idle_connections.py --idle 5000 --seconds 1
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Server, calibrate, fmt_int, free_port, run_benchmark  # noqa: E402


def connected_clients(server: Server) -> int:
    info = server.command("INFO", "clients").decode()
    return int(info.split("connected_clients:")[1].split()[0])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--idle", type=int, default=10_000)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--pipeline", type=int, default=16)
    ap.add_argument("--redis-server", default="/usr/bin/redis-server")
    ap.add_argument("--redis-benchmark", default="redis-benchmark")
    args = ap.parse_args(argv)

    need = args.idle + 200
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    maxclients = str(args.idle + 200)
    rows = []
    for name in ("redis", "redpy"):
        port = free_port()
        common = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                  "--maxclients", maxclients]
        cmd = [args.redis_server, *common] if name == "redis" else [sys.executable, "-m", "redpy", *common]
        server = Server(name, cmd, port)
        try:
            n = calibrate(args.redis_benchmark, server, args.pipeline, 50, 100000, args.seconds)
            base_rps, base_cpu = run_benchmark(args.redis_benchmark, server, "get", n, args.pipeline, 50, 100000)
            start = time.monotonic()
            socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(args.idle)]
            while connected_clients(server) < args.idle:
                time.sleep(0.05)
            accept_s = time.monotonic() - start
            idle_rps, idle_cpu = run_benchmark(args.redis_benchmark, server, "get", n, args.pipeline, 50, 100000)
            for s in socks:
                s.close()
        finally:
            server.stop()
        rows.append((name, base_rps, base_cpu, idle_rps, idle_cpu, accept_s))

    print(f"GET, pipeline {args.pipeline}, -c 50; then with {args.idle:,} idle connections open")
    print("| server | ops/s | CPU µs/req | ops/s with idle | CPU µs/req with idle | idle/none | accepting idle (s) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, b, bc, i, ic, a in rows:
        print(f"| {name} | {fmt_int(b)} | {bc:.2f} | {fmt_int(i)} | {ic:.2f} | {i / b:.2f} | {a:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
