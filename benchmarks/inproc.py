#!/usr/bin/env python3
"""In-process micro-benchmark of the request path, without sockets.

Feeds a Client pipelined reads shaped like redis-benchmark's (16 requests per read,
keys from a random keyspace of 100000 as `-r 100000` makes them) through a fake
transport and reports CPU microseconds per request (time.process_time). It measures
only the Python work: parsing, dispatch, handlers, encoding, the join of the replies.

    PYTHONPATH=src python3 benchmarks/inproc.py                 # every test
    PYTHONPATH=src python3 benchmarks/inproc.py set get --reads 20000 --repeat 5
    PYTHONPATH=src python3 benchmarks/inproc.py --profile set   # cProfile of one test
"""

from __future__ import annotations

import argparse
import random
import sys
import time

TESTS = ["ping", "set", "get", "incr", "mset", "lpush", "rpop", "sadd", "hset", "zadd", "lrange_100", "set1"]


def _req(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in args)


def _key(prefix: bytes, keyspace: int, rnd: random.Random) -> bytes:
    return prefix + b"%012d" % rnd.randrange(keyspace)


def make_request(test: str, keyspace: int, rnd: random.Random) -> bytes:
    data = b"xxx"
    if test == "ping":
        return _req(b"PING")
    if test == "set":
        return _req(b"SET", _key(b"key:", keyspace, rnd), data)
    if test == "set1":
        return _req(b"SET", b"key:000000000001", data)
    if test == "get":
        return _req(b"GET", _key(b"key:", keyspace, rnd))
    if test == "incr":
        return _req(b"INCR", _key(b"counter:", keyspace, rnd))
    if test == "mset":
        args = [b"MSET"]
        for _ in range(10):
            args += [_key(b"key:", keyspace, rnd), data]
        return _req(*args)
    if test == "lpush":
        return _req(b"LPUSH", b"mylist", data)
    if test == "rpop":
        return _req(b"RPOP", b"mylist")
    if test == "sadd":
        return _req(b"SADD", b"myset", _key(b"element:", keyspace, rnd))
    if test == "hset":
        return _req(b"HSET", b"myhash", _key(b"element:", keyspace, rnd), data)
    if test == "zadd":
        return _req(b"ZADD", b"myzset", b"%d" % rnd.randrange(keyspace), _key(b"element:", keyspace, rnd))
    if test == "lrange_100":
        return _req(b"LRANGE", b"mylist", b"0", b"99")
    raise SystemExit(f"unknown test {test}")


class FakeTransport:
    def __init__(self):
        self.written = 0

    def write(self, data):
        self.written += len(data)

    def get_write_buffer_size(self):
        return 0

    def is_closing(self):
        return False

    def close(self):
        pass

    def get_extra_info(self, name, default=None):
        if name in ("peername", "sockname"):
            return ("127.0.0.1", 40000)
        return default


def setup(server, test: str, keyspace: int = 100000):
    from redpy.connection import Client

    c = Client(server)
    c.connection_made(FakeTransport())
    if test in ("get", "incr"):
        # redis-benchmark's keys exist (SET runs before GET; INCR's counters exist after
        # its first pass): a hit costs a cold dict lookup among `keyspace` keys
        data = server.dbs[0].data
        for i in range(keyspace):
            data[b"key:%012d" % i] = b"xxx"
            data[b"counter:%012d" % i] = b"%d" % (i % 50)
    if test in ("rpop", "lrange_100"):
        # a list that does not run out: RPOP pops at most reads*16 elements
        c.data_received(_req(b"DEL", b"mylist"))
        for _ in range(200):
            c.data_received(_req(b"LPUSH", b"mylist", *([b"xxx"] * 1000)))
    return c


def run(test: str, reads: int, pipeline: int, keyspace: int, repeat: int) -> float:
    from redpy.server import Server

    rnd = random.Random(1)
    server = Server()
    c = setup(server, test, keyspace)
    batches = [b"".join(make_request(test, keyspace, rnd) for _ in range(pipeline)) for _ in range(1000)]
    best = None
    for _ in range(repeat):
        t0 = time.process_time()
        for i in range(reads):
            c.data_received(batches[i % 1000])
        t = time.process_time() - t0
        best = t if best is None else min(best, t)
    return best * 1e6 / (reads * pipeline)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tests", nargs="*", default=TESTS)
    ap.add_argument("--reads", type=int, default=5000, help="reads per repetition")
    ap.add_argument("--pipeline", type=int, default=16)
    ap.add_argument("--keyspace", type=int, default=100000)
    ap.add_argument("--repeat", type=int, default=3, help="repetitions; the best is reported")
    ap.add_argument("--profile", action="store_true", help="cProfile the first test")
    args = ap.parse_args(argv)
    if args.profile:
        import cProfile
        import pstats

        import redpy.server  # noqa: F401  (imports outside the profile)

        prof = cProfile.Profile()
        prof.runcall(run, args.tests[0], args.reads, args.pipeline, args.keyspace, 1)
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        return 0
    for test in args.tests:
        us = run(test, args.reads, args.pipeline, args.keyspace, args.repeat)
        print(f"{test:12} {us:7.3f} CPU us/req")
    return 0


if __name__ == "__main__":
    sys.exit(main())
