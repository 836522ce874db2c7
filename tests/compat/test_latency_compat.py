"""LATENCY DOCTOR and LATENCY GRAPH against the oracle.

Both texts are functions of the latency events (samples of [time, ms], one per second
per event), a few settings and the clock. Durations measured on two servers can differ by
a millisecond, so instead of expecting equal texts from both, each server's text is
checked against redpy's latency.py computed from that same server's LATENCY HISTORY and
LATEST, read in the same second: for the oracle that proves the algorithm byte for byte,
for redpy that its commands use it on its own events. The fixed texts (no events,
monitoring disabled, unknown event) are compared between the servers directly.
"""

from __future__ import annotations

import time
import types

import pytest

from redpy import latency

from ..helpers import Conn


def _start_of_second():
    frac = time.time() % 1
    if frac > 0.3:
        time.sleep(1.02 - frac)


def _ints(reply: bytes) -> list[int]:
    return [int(t[1:]) for t in reply.split(b"\r\n") if t.startswith(b":")]


def _bulk(reply: bytes) -> bytes:
    head, _, rest = reply.partition(b"\r\n")
    assert head[:1] in (b"$", b"="), reply
    return rest[: int(head[1:])]


def _expected(conn: Conn, pid: int, event: str, threshold: int, slowlog: int):
    history = _ints(conn.call("LATENCY", "HISTORY", event))
    samples = [list(pair) for pair in zip(history[::2], history[1::2])]
    latest = conn.call("LATENCY", "LATEST")
    all_time_max = _ints(latest)[-1]
    now = int(conn.call("TIME").split(b"\r\n")[2])  # *2, $n, seconds, $n, microseconds
    events = {event: types.SimpleNamespace(samples=samples, max=all_time_max)}
    cfg = types.SimpleNamespace(latency_monitor_threshold=threshold, slowlog_log_slower_than=slowlog, appendfsync="everysec", hz=10)
    doctor = latency.doctor_report(events, cfg, 0.0, latency.anon_huge_pages(pid), now)
    graph = latency.graph(event, samples, all_time_max, now)
    return samples, doctor.encode(), graph.encode()


@pytest.fixture
def latency_pair(oracle, redpy_server):
    conns = [oracle.conn(), redpy_server.conn()]
    for c in conns:
        assert c.call("LATENCY", "RESET").startswith(b":")
    yield conns
    for c in conns:
        c.call("CONFIG", "SET", "latency-monitor-threshold", "0")
        c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")
        c.call("LATENCY", "RESET")
        c.close()


def test_fixed_texts(latency_pair):
    o, m = (c.call("LATENCY", "DOCTOR") for c in latency_pair)
    assert m == o and b"Latency monitoring is disabled" in o
    for c in latency_pair:
        # high enough that nothing in this test reaches it
        c.call("CONFIG", "SET", "latency-monitor-threshold", "100000")
    o, m = (c.call("LATENCY", "DOCTOR") for c in latency_pair)
    assert m == o and b"no latency spike was observed" in o
    o, m = (c.call("LATENCY", "GRAPH", "command") for c in latency_pair)
    assert m == o == b"-ERR No samples available for event 'command'\r\n"


@pytest.mark.parametrize("slowlog", [10000, -1, 0])
def test_doctor_and_graph_with_samples(oracle, redpy_server, latency_pair, slowlog):
    threshold = 40
    for c in latency_pair:
        c.call("CONFIG", "SET", "latency-monitor-threshold", str(threshold))
        c.call("CONFIG", "SET", "slowlog-log-slower-than", str(slowlog))
    # samples in four different seconds
    for seconds in ("0.045", "0.120", "0.060", "0.200"):
        _start_of_second()
        for c in latency_pair:
            assert c.call("DEBUG", "SLEEP", seconds) == b"+OK\r\n"
        time.sleep(0.75)
    texts = {}
    for srv, c in zip((oracle, redpy_server), latency_pair):
        for attempt in range(3):
            _start_of_second()
            samples, doctor, graph = _expected(c, srv.proc.pid, "command", threshold, slowlog)
            got_doctor = _bulk(c.call("LATENCY", "DOCTOR"))
            got_graph = _bulk(c.call("LATENCY", "GRAPH", "command"))
            if int(time.time() % 1 * 1000) < 900:  # all read within the second
                break
        assert len(samples) >= 4, samples
        assert got_doctor == doctor, srv.kind
        assert got_graph == graph, srv.kind
        texts[srv.kind] = got_doctor
    assert b"1. command: " in texts["oracle"] and b"I have a few advices for you" in texts["oracle"]
    # RESP3: a verbatim string, "txt:" then the graph
    for c in latency_pair:
        c.call("HELLO", "3")
        reply = c.call("LATENCY", "GRAPH", "command")
        assert reply.startswith(b"=") and reply.split(b"\r\n", 1)[1].startswith(b"txt:command - high"), reply
        c.call("HELLO", "2")
