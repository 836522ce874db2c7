"""Per-command latency histograms (INFO latencystats, LATENCY HISTOGRAM) against the oracle.

Durations differ between two servers, so the comparison has two halves:
- the arithmetic: on the oracle, a command run once or twice has its durations' histogram
  slots given by INFO latencystats p0 and p100; redpy's hdr.py must derive from those
  durations exactly the cumulative distribution and p50 that the oracle answers;
- the behaviour: the same commands on both servers give the same entries (names as sets,
  since Redis lists them in its hash order), the same call counts, the same reply
  shapes in RESP2 and RESP3, the same percentile names, and the same handling of
  duplicate names, containers, unknown names and latency-tracking no.
"""

from __future__ import annotations

import re

from redpy import hdr

from ..helpers import Conn

_LINE = re.compile(rb"latency_percentiles_usec_([^:]+):(.*)")


def _info(conn: Conn) -> dict[bytes, dict[bytes, float]]:
    body = conn.call("INFO", "latencystats").split(b"\r\n", 1)[1]
    out = {}
    for line in body.split(b"\r\n"):
        m = _LINE.match(line)
        if m:
            out[m.group(1)] = {k: float(v) for k, v in (kv.split(b"=") for kv in m.group(2).split(b","))}
    return out


def _flat(reply: bytes) -> list[bytes]:
    """The tokens of a RESP2 reply (headers dropped): names, integers."""
    return [t for t in reply.split(b"\r\n") if t and t[:1] not in (b"*", b"$", b"%")]


def _histogram(conn: Conn, name: str) -> list[tuple[int, int]]:
    tokens = _flat(conn.call("LATENCY", "HISTOGRAM", name))
    assert tokens[0] == name.encode() and tokens[1] == b"calls" and tokens[3] == b"histogram_usec", tokens
    nums = [int(t[1:]) for t in tokens[4:]]
    return list(zip(nums[::2], nums[1::2]))


def _usec_in_slot(value_usec: float, lowest: bool) -> int:
    """A duration in whole microseconds whose histogram slot has this lowest or highest value."""
    ns = round(value_usec * 1000)
    for d in range(max(0, ns // 1000 - 2), ns // 1000 + 3):
        v = hdr._ns(d)
        if (hdr.lowest_equivalent(v) if lowest else hdr.highest_equivalent(v)) == ns:
            return d
    raise AssertionError(f"no whole-microsecond duration lies in the slot of {value_usec}")


def test_hdr_arithmetic_matches_the_oracle(oracle):
    c = oracle.conn()
    c.call("CONFIG", "SET", "latency-tracking-info-percentiles", "0 50 100")
    # a spread of durations: cheap commands, and DEBUG SLEEP for long ones (one per
    # probe, since only a command run once or twice can be reconstructed)
    probes = [
        [("SET", "k", "v"), ("GET", "k"), ("GET", "k"), ("RPUSH", "l", *[str(i) for i in range(2000)]), ("LRANGE", "l", "0", "-1")],
        [("DEBUG", "SLEEP", "0.0003")], [("DEBUG", "SLEEP", "0.002")], [("DEBUG", "SLEEP", "0.035")],
        [("DEBUG", "SLEEP", "0.6")],
    ]
    checked = 0
    for probe in probes:
        c.call("CONFIG", "RESETSTAT")
        for args in probe:
            c.call(*args)
        info = _info(c)
        stats = c.call("INFO", "commandstats")
        for name, pcts in info.items():
            name = name.decode()
            if name in ("config|resetstat", "info"):
                continue
            calls = int(re.search(rb"cmdstat_%s:calls=(\d+)" % re.escape(name.encode()), stats).group(1))
            assert calls <= 2, name
            low = _usec_in_slot(pcts[b"p0"], lowest=True)
            high = _usec_in_slot(pcts[b"p100"], lowest=False)
            counts = {low: 1} if calls == 1 else ({low: 2} if low == high else {low: 1, high: 1})
            assert hdr.value_at_percentile(counts, 50.0) / 1000.0 == pcts[b"p50"], name
            assert hdr.cumulative_distribution(counts) == _histogram(c, name), name
            checked += 1
    c.call("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9")
    c.close()
    assert checked >= 8


def test_percentile_names_and_format(oracle, redpy_server):
    seen = {}
    for srv in (oracle, redpy_server):
        c = srv.conn()
        assert c.call("CONFIG", "SET", "latency-tracking-info-percentiles", "0 50 100 99.99 0.0001 12.5") == b"+OK\r\n"
        c.call("CONFIG", "RESETSTAT")
        c.call("SET", "k", "v")
        c.call("GET", "k")
        info = _info(c)
        seen[srv.kind] = {name: sorted(p) for name, p in info.items()}
        for pcts in info.values():
            for value in pcts.values():
                ns = round(value * 1000)
                assert ns in (hdr.lowest_equivalent(ns), hdr.highest_equivalent(ns))
        raw = c.call("INFO", "latencystats")
        assert re.search(rb"latency_percentiles_usec_get:p0=\d+\.\d{3},p50=\d+\.\d{3},p100=\d+\.\d{3},p99\.99=\d+\.\d{3},p0\.0001=\d+\.\d{3},p12\.5=\d+\.\d{3}\r\n", raw)
        c.call("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9")
        c.close()
    assert seen["redpy"] == seen["oracle"]


def _scenario(conn: Conn) -> list:
    conn.call("CONFIG", "RESETSTAT")
    for _ in range(3):
        conn.call("SET", "k", "v")
    conn.call("GET", "k")
    conn.call("CONFIG", "GET", "maxmemory")
    out = []
    for args in (("GET",), ("get", "GET"), ("nosuch", "get"), ("config",), ("CONFIG|GET",), ("config|x",), ("config|get|x",), ("set", "config|get")):
        tokens = _flat(conn.call("LATENCY", "HISTOGRAM", *args))
        # names and call counts, in reply order except for a container's subcommands
        entries = []
        i = 0
        while i < len(tokens):
            name, calls = tokens[i], tokens[i + 2]
            i += 4
            while i < len(tokens) and tokens[i][:1] == b":":
                i += 1
            entries.append((name, calls))
        out.append(sorted(entries) if args == ("config",) else entries)
    # every command with data (names as a set: Redis's order is its hash order)
    out.append(sorted(
        e for e in _flat(conn.call("LATENCY", "HISTOGRAM")) if not e.startswith(b":") and e not in (b"calls", b"histogram_usec")
    ))
    # RESP3: a map of maps
    conn.call("HELLO", "3")
    r3 = conn.call("LATENCY", "HISTOGRAM", "set")
    # the number of buckets depends on the durations: normalized with the integers
    out.append(re.sub(rb"histogram_usec\r\n%\d+\r\n(:N\r\n)+$", b"histogram_usec\r\n%M", re.sub(rb":\d+", b":N", r3)))
    conn.call("HELLO", "2")
    assert conn.call("CONFIG", "SET", "latency-tracking", "no") == b"+OK\r\n"
    conn.call("GET", "k")
    out.append(conn.call("INFO", "latencystats"))
    out.append(_flat(conn.call("LATENCY", "HISTOGRAM", "get"))[:3])
    assert conn.call("CONFIG", "SET", "latency-tracking", "yes") == b"+OK\r\n"
    return out


def test_latency_histogram_behaviour(oracle, redpy_server):
    results = {}
    for srv in (oracle, redpy_server):
        c = srv.conn()
        results[srv.kind] = _scenario(c)
        c.close()
    assert results["redpy"] == results["oracle"]
    # the scenario's own facts, so that agreement is not vacuous
    r = results["oracle"]
    assert r[0] == [(b"get", b":1")]
    assert r[1] == [(b"get", b":1"), (b"get", b":1")]
