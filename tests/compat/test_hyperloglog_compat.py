"""Differential tests of the HyperLogLog commands: stored bytes, counts and errors."""

from __future__ import annotations

import random


def _pfadd_many(both, key, elements, batch=50):
    for i in range(0, len(elements), batch):
        both.check("PFADD", key, *elements[i:i + batch])


def test_pfadd_new_and_get_bytes(both):
    both.check("PFADD", "h")
    both.check("GET", "h")
    both.check("PFADD", "h", "a", "b", "c")
    both.check("PFADD", "h", "a")
    both.check("GET", "h")
    both.check("PFCOUNT", "h")
    both.check("GET", "h")  # cached cardinality now valid
    both.check("OBJECT", "ENCODING", "h")
    both.check("PFDEBUG", "ENCODING", "h")
    both.check("PFDEBUG", "DECODE", "h")


def test_sparse_bytes_many_adds(both):
    rnd = random.Random(1)
    els = [str(rnd.random()).encode() for _ in range(600)]
    for n in (1, 5, 30, 100, 300, 600):
        _pfadd_many(both, "s%d" % n, els[:n])
        both.check("GET", "s%d" % n)
        both.check("PFDEBUG", "DECODE", "s%d" % n)
        both.check("PFCOUNT", "s%d" % n)
        both.check("GET", "s%d" % n)


def test_promotion_to_dense(both):
    rnd = random.Random(2)
    els = [b"e%d" % rnd.randrange(10**9) for _ in range(3000)]
    _pfadd_many(both, "d", els, batch=100)
    both.check("PFDEBUG", "ENCODING", "d")
    both.check("GET", "d")
    both.check("PFCOUNT", "d")
    both.check("GET", "d")


def test_promotion_small_limit_and_binary(both):
    both.check("CONFIG", "SET", "hll-sparse-max-bytes", "40")
    try:
        for i in range(40):
            both.check("PFADD", "p", b"\x00\xff%d" % i, b"x" * (i % 13))
            both.check("PFDEBUG", "ENCODING", "p")
        both.check("GET", "p")
        both.check("PFCOUNT", "p")
    finally:
        both.check("CONFIG", "SET", "hll-sparse-max-bytes", "3000")


def test_large_cardinalities(both):
    for n in (1000, 20000):
        els = [b"%d" % i for i in range(n)]
        _pfadd_many(both, "big%d" % n, els, batch=1000)
        both.check("PFCOUNT", "big%d" % n)
        both.check("GET", "big%d" % n)


def test_pfcount_union_and_pfmerge(both):
    rnd = random.Random(3)
    for k in ("a", "b", "c"):
        els = [b"%d" % rnd.randrange(5000) for _ in range(rnd.randrange(10, 400))]
        _pfadd_many(both, k, els)
    _pfadd_many(both, "dense", [b"x%d" % i for i in range(4000)], batch=500)
    both.check("PFCOUNT", "a", "b")
    both.check("PFCOUNT", "a", "b", "c", "missing")
    both.check("PFCOUNT", "a", "dense")
    both.check("PFCOUNT", "missing")
    both.check("PFMERGE", "m1", "a", "b")
    both.check("GET", "m1")
    both.check("PFCOUNT", "m1")
    both.check("PFMERGE", "m2", "a", "dense")
    both.check("GET", "m2")
    both.check("PFMERGE", "a", "c")
    both.check("GET", "a")
    both.check("PFMERGE", "empty")
    both.check("GET", "empty")
    both.check("PFMERGE", "empty2", "nothere")
    both.check("GET", "empty2")
    both.check("PFDEBUG", "TODENSE", "b")
    both.check("PFDEBUG", "TODENSE", "b")
    both.check("GET", "b")
    both.check("PFDEBUG", "GETREG", "c")
    both.check("PFDEBUG", "ENCODING", "c")


def test_errors(both):
    both.check("SET", "str", "hello")
    both.check("LPUSH", "list", "x")
    both.check("SET", "num", "12345")
    for k in ("str", "list", "num"):
        both.check("PFADD", k, "a")
        both.check("PFCOUNT", k)
        both.check("PFCOUNT", k, "other")
        both.check("PFMERGE", "dst", k)
        both.check("PFMERGE", k)
        both.check("PFDEBUG", "GETREG", k)
    both.check("EXISTS", "dst")
    both.check("PFDEBUG", "GETREG", "nokey")
    both.check("PFADD", "h", "a")
    both.check("PFDEBUG", "foo", "h")
    both.check("PFDEBUG", "decode", "h")
    both.check("PFDEBUG", "todense", "h")
    both.check("PFDEBUG", "decode", "h")
    both.check("PFDEBUG", "foo", "nokey")
    both.check("PFDEBUG", "getreg")
    both.check("PFADD")


def test_invalid_and_corrupted(both):
    both.check("PFADD", "h", "a", "b", "c")
    raw = both.check("GET", "h")
    value = raw.split(b"\r\n", 1)[1][:-2]
    # wrong encoding byte
    both.check("SET", "bad", value[:4] + b"\x02" + value[5:])
    both.check("PFCOUNT", "bad")
    # dense with a wrong length
    both.check("SET", "bad", value[:4] + b"\x00" + value[5:])
    both.check("PFADD", "bad", "x")
    # sparse whose runs do not add up to 16384 registers
    corrupt = bytearray(value)
    corrupt[15] |= 0x80
    corrupt += b"\x01"
    both.check("SET", "c1", bytes(corrupt))
    both.check("PFCOUNT", "c1")
    both.check("PFCOUNT", "c1", "h")
    both.check("PFMERGE", "x", "c1")
    both.check("PFDEBUG", "TODENSE", "c1")
    # a valid copy restored with SET works like the original
    both.check("SET", "copy", value)
    both.check("OBJECT", "ENCODING", "copy")
    both.check("PFCOUNT", "copy")
    both.check("OBJECT", "ENCODING", "copy")
    both.check("PFADD", "copy", "zzz")
    both.check("GET", "copy")


def test_ttl_kept_and_pfselftest(both):
    both.check("PFADD", "t", "a")
    both.check("EXPIRE", "t", "1000")
    both.check("PFADD", "t", "b")
    both.check("PFCOUNT", "t")
    both.check("TTL", "t")
    both.check("PFSELFTEST")


def test_resp3(both3):
    both3.check("PFADD", "h", "a", "b")
    both3.check("PFCOUNT", "h")
    both3.check("PFDEBUG", "ENCODING", "h")
    both3.check("PFDEBUG", "DECODE", "h")


def test_notifications_and_stats(both, oracle, redpy_server):
    subs = (oracle.conn(), redpy_server.conn())
    try:
        for conn in subs:
            conn.call("PSUBSCRIBE", "__key*@*__:*")
        both.check("CONFIG", "SET", "notify-keyspace-events", "KEA")
        both.check("CONFIG", "RESETSTAT")
        both.check("PFADD", "h", "a", "b")
        both.check("PFADD", "h", "a")
        both.check("PFADD", "h2")
        both.check("PFCOUNT", "h")
        both.check("PFCOUNT", "h", "missing")
        both.check("PFCOUNT", "missing")
        both.check("PFMERGE", "m", "h", "missing2")
        both.check("CONFIG", "SET", "notify-keyspace-events", "")
        want = subs[0].read_available(0.3)
        got = subs[1].read_available(0.3)
        assert got == want
        o, m = both.call("INFO", "stats")
        pick = lambda raw: [l for l in raw.split(b"\r\n") if l.startswith(b"keyspace_")]  # noqa: E731
        assert pick(o) == pick(m)
    finally:
        for conn in subs:
            conn.close()
        both.call("CONFIG", "SET", "notify-keyspace-events", "")
