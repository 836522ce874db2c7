#!/usr/bin/env python3
"""redis-benchmark against redpy and real Redis (the oracle) in one run.

Both servers are started here on free ports (redpy as `python -m redpy`, Redis from
/usr/bin/redis-server, both with --save '' --appendonly no) and stopped by PID at the end.
Rounds are interleaved (redis, redpy, redis, redpy, ...) so that machine noise hits both
alike. For each run the server's CPU time (utime+stime from /proc/<pid>/stat) is sampled
before and after, giving CPU microseconds per request. The table shows medians over rounds.

    python benchmarks/bench.py                 # 3 rounds, set/get/incr/mset, pipelines 1 and 16
    python benchmarks/bench.py --quick         # 1 short round: a smoke test of the script
    python benchmarks/bench.py --more          # also lpush,rpop,sadd,hset,zadd,lrange_100
    python benchmarks/bench.py --tests set,get --pipelines 1 --rounds 5
    python benchmarks/bench.py --redpy-args="--io-threads 1"
    python benchmarks/bench.py --aof           # both with appendonly yes, appendfsync everysec
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

BASIC_TESTS = "set,get,incr,mset"
MORE_TESTS = "lpush,rpop,sadd,hset,zadd,lrange_100"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (fields 14 and 15 of /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    # The command name (field 2) may contain spaces: split after its closing parenthesis.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / CLK_TCK


class Server:
    def __init__(self, name: str, cmd: list[str], port: int):
        self.name = name
        self.port = port
        self.dir = tempfile.mkdtemp(prefix=f"bench-{name}-")
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.dir}/server.log")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start on port {self.port}")

    def command(self, *args: str) -> bytes:
        req = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in args)
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as s:
            s.sendall(req)
            return s.recv(4096)

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_benchmark(bench: str, server: Server, test: str, n: int, pipeline: int, clients: int, keyspace: int) -> tuple[float, float]:
    """One redis-benchmark run of one test; returns (ops/s, server CPU us per request)."""
    cmd = [bench, "-h", "127.0.0.1", "-p", str(server.port), "-c", str(clients), "-n", str(n),
           "-P", str(pipeline), "-t", test, "-r", str(keyspace), "--csv"]
    before = server.cpu()
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    after = server.cpu()
    if res.returncode != 0:
        raise RuntimeError(f"redis-benchmark failed on {server.name}: {res.stderr or res.stdout}")
    rows = list(csv.reader(io.StringIO(res.stdout)))
    rps = None
    for row in rows:
        if row and row[0] != "test" and len(row) > 1:
            rps = float(row[1])
    if rps is None:
        raise RuntimeError(f"no CSV result from redis-benchmark: {res.stdout!r} {res.stderr!r}")
    return rps, (after - before) * 1e6 / n


def calibrate(bench: str, server: Server, pipeline: int, clients: int, keyspace: int, seconds: float) -> int:
    """Requests per run so that a SET run on this server lasts about `seconds`."""
    probe = 20000 if pipeline == 1 else 100000
    rps, _ = run_benchmark(bench, server, "set", probe, pipeline, clients, keyspace)
    n = int(rps * seconds)
    step = 10000
    return max(step, n // step * step)


def fmt_int(x: float) -> str:
    return f"{x:,.0f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 3, --quick: 1)")
    ap.add_argument("--quick", action="store_true", help="one short round: checks that everything works")
    ap.add_argument("--tests", default=None, help=f"redis-benchmark tests (default {BASIC_TESTS})")
    ap.add_argument("--more", action="store_true", help=f"add {MORE_TESTS}")
    ap.add_argument("--pipelines", default="1,16", help="pipeline depths (default 1,16)")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--keyspace", type=int, default=100000, help="redis-benchmark -r")
    ap.add_argument("--seconds", type=float, default=None, help="target length of one run (default 3, --quick: 0.5)")
    ap.add_argument("--requests", type=int, default=None, help="fixed -n for every run (no calibration)")
    ap.add_argument("--redpy-args", default="", help="extra redpy arguments, shell-quoted")
    ap.add_argument("--redis-args", default="", help="extra redis-server arguments, shell-quoted")
    ap.add_argument("--redis-server", default=shutil.which("redis-server") or "/usr/bin/redis-server")
    ap.add_argument("--redis-benchmark", default=shutil.which("redis-benchmark") or "/usr/bin/redis-benchmark")
    ap.add_argument("--only", choices=["redis", "redpy"], help="benchmark one server only")
    ap.add_argument("--aof", action="store_true",
                    help="run both servers with appendonly yes, appendfsync everysec")
    args = ap.parse_args(argv)

    rounds = args.rounds or (1 if args.quick else 3)
    seconds = args.seconds or (0.5 if args.quick else 3.0)
    tests = (args.tests or BASIC_TESTS).split(",")
    if args.more:
        tests += [t for t in MORE_TESTS.split(",") if t not in tests]
    pipelines = [int(p) for p in args.pipelines.split(",")]

    common = ["--bind", "127.0.0.1", "--save", ""]
    if args.aof:
        # the same AOF settings on both; auto rewrites off so that runs compare writes only
        common += ["--appendonly", "yes", "--appendfsync", "everysec", "--auto-aof-rewrite-percentage", "0"]
    else:
        common += ["--appendonly", "no"]
    servers: list[Server] = []
    try:
        if args.only != "redpy":
            port = free_port()
            servers.append(Server("redis", [args.redis_server, "--port", str(port), *common,
                                            *shlex.split(args.redis_args)], port))
        if args.only != "redis":
            port = free_port()
            servers.append(Server("redpy", [sys.executable, "-m", "redpy", "--port", str(port), *common,
                                            *shlex.split(args.redpy_args)], port))
        for s in servers:
            print(f"# {s.name}: pid {s.proc.pid}, port {s.port}", file=sys.stderr)

        # Requests per run: calibrated per server and pipeline depth (same length in time).
        sizes: dict[tuple[str, int], int] = {}
        for s in servers:
            for p in pipelines:
                sizes[s.name, p] = args.requests or calibrate(
                    args.redis_benchmark, s, p, args.clients, args.keyspace, seconds)
                print(f"# {s.name} pipeline {p}: -n {sizes[s.name, p]}", file=sys.stderr)

        results: dict[tuple[str, int, str], list[tuple[float, float]]] = {}
        for r in range(rounds):
            for s in servers:
                s.command("FLUSHALL")
                for p in pipelines:
                    for t in tests:
                        rps, cpu = run_benchmark(args.redis_benchmark, s, t, sizes[s.name, p], p,
                                                 args.clients, args.keyspace)
                        results.setdefault((t, p, s.name), []).append((rps, cpu))
                        print(f"# round {r + 1}/{rounds} {s.name:5} P{p:<3} {t:10} {rps:>12,.0f} ops/s "
                              f"{cpu:8.2f} CPU us/req", file=sys.stderr)
    finally:
        for s in servers:
            s.stop()

    names = [s.name for s in servers]
    header = ["test", "pipeline"]
    for n in names:
        header.append(f"{n} ops/s")
    if len(names) == 2:
        header.append("ratio")
    for n in names:
        header.append(f"{n} CPU us/req")
    if len(names) == 2:
        header.append("CPU ratio")
    rows = []
    for p in pipelines:
        for t in tests:
            med = {n: (statistics.median(x for x, _ in results[t, p, n]),
                       statistics.median(c for _, c in results[t, p, n])) for n in names}
            row = [t, str(p)] + [fmt_int(med[n][0]) for n in names]
            if len(names) == 2:
                row.append(f"{med['redpy'][0] / med['redis'][0]:.2f}")
            row += [f"{med[n][1]:.2f}" for n in names]
            if len(names) == 2:
                row.append(f"{med['redpy'][1] / med['redis'][1]:.1f}" if med["redis"][1] > 0 else "-")
            rows.append(row)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"# {rounds} round(s), -c {args.clients}, -r {args.keyspace}, medians; "
          "ratio = redpy/redis ops/s, CPU ratio = redpy/redis CPU per request")
    print("  ".join(h.rjust(w) if i > 1 else h.ljust(w) for i, (h, w) in enumerate(zip(header, widths))))
    for row in rows:
        print("  ".join(c.rjust(w) if i > 1 else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
