"""busy-reply-threshold: a script running past it, other clients, SCRIPT/FUNCTION KILL,
UNKILLABLE and SHUTDOWN NOSAVE, differential against the oracle.

Each scenario runs the same steps against a fresh redis-server and a fresh redpy started
with busy-reply-threshold 100, and the transcripts (raw reply bytes) must be equal.
Every script that loops forever is killed (or the server shut down) by the scenario;
reads are bounded by socket timeouts.
"""

from __future__ import annotations

import re
import time

import pytest

from ..helpers import Conn, ServerProcess, encode_request

SPIN = "while true do end"
WAIT = 0.35  # past the 100 ms threshold


def _servers(*extra):
    out = []
    for kind in ("oracle", "redpy"):
        out.append(ServerProcess(kind, "--busy-reply-threshold", "100", *extra))
    return out


def _conns(srv, n):
    """n connections, each known to the server before a script starts (asyncio
    announces a new connection with call_soon, which a busy script would delay)."""
    out = [srv.conn() for _ in range(n)]
    for c in out:
        assert c.call("PING") == b"+PONG\r\n"
    return out


def _run_both(scenario, *extra):
    transcripts = []
    for srv in _servers(*extra):
        try:
            transcripts.append(scenario(srv))
        finally:
            srv.stop()
    want, got = transcripts
    assert got == want
    return got


def _start(conn: Conn, *args) -> None:
    conn.send_raw(encode_request(args))
    time.sleep(WAIT)


def _norm_duration(reply: bytes) -> bytes:
    return re.sub(rb"duration_ms\r\n:\d+", b"duration_ms\r\n:N", reply)


def test_eval_busy_then_script_kill():
    def scenario(srv):
        a, b = _conns(srv, 2)
        out = [b.call("SET", "x", "1")]
        # the caller's pipelined PING waits for the script
        a.send_raw(encode_request(("EVAL", SPIN, "0")) + encode_request(("PING",)))
        time.sleep(WAIT)
        for cmd in (("GET", "x"), ("PING",), ("FUNCTION", "STATS"), ("FUNCTION", "KILL"),
                    ("SHUTDOWN",), ("SHUTDOWN", "ABORT"), ("CONFIG", "GET", "x"), ("NOSUCH",),
                    ("GET",), ("SCRIPT", "KILL")):
            out.append(b.call(*cmd))
        out.append(a.read_reply())
        out.append(a.read_reply())
        out.append(b.call("SCRIPT", "KILL"))
        out.append(b.call("GET", "x"))
        out.append(a.call("EVAL", "return 1", "0"))
        return out

    got = _run_both(scenario)
    assert got[1].startswith(b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL")
    assert got[-5].startswith(b"-ERR Script killed by user with SCRIPT KILL...")


def test_pcall_cannot_catch_the_kill():
    def scenario(srv):
        a, b = _conns(srv, 2)
        _start(a, "EVAL", "local n = 0 while true do pcall(function() while true do end end) n = n + 1 end", "0")
        out = [b.call("SCRIPT", "KILL"), a.read_reply(), b.call("PING")]
        return out

    _run_both(scenario)


@pytest.mark.parametrize(
    "script",
    [
        "return coroutine.wrap(function() while true do end end)()",
        "local co = coroutine.create(function() while true do end end) return {coroutine.resume(co)}",
        # a coroutine made inside a coroutine
        "local co = coroutine.create(function() coroutine.wrap(function() while true do end end)() end)"
        " return {coroutine.resume(co)}",
        # the main thread loops again after a coroutine caught the kill
        "local co = coroutine.create(function() while true do end end) coroutine.resume(co) while true do end",
    ],
)
def test_loops_inside_coroutines_reach_busy_and_script_kill(script):
    """Redis's count hook reaches coroutines (lua_newthread inherits it): a loop inside
    one makes other clients BUSY and SCRIPT KILL ends it."""

    def scenario(srv):
        a, b = _conns(srv, 2)
        _start(a, "EVAL", script, "0")
        return [b.call("PING"), b.call("SCRIPT", "KILL"), a.read_reply(), b.call("PING")]

    got = _run_both(scenario)
    assert got[0].startswith(b"-BUSY") and got[1] == b"+OK\r\n"


def test_function_busy_stats_and_kill():
    lib = (
        "#!lua name=busylib\n"
        "redis.register_function('spin', function(keys, args) while true do end end)\n"
    )

    def scenario(srv):
        a, b = _conns(srv, 2)
        out = [b.call("FUNCTION", "LOAD", lib)]
        _start(a, "FCALL", "spin", "1", "key", "arg")
        out.append(b.call("GET", "x"))
        out.append(_norm_duration(b.call("FUNCTION", "STATS")))
        out.append(b.call("SCRIPT", "KILL"))
        out.append(b.call("FUNCTION", "KILL"))
        out.append(a.read_reply())
        out.append(b.call("FUNCTION", "KILL"))
        out.append(b.call("FUNCTION", "STATS"))
        return out

    got = _run_both(scenario)
    assert b"running_script\r\n*6\r\n$4\r\nname\r\n$4\r\nspin" in got[2]


def test_other_clients_state_stays_consistent():
    """Partial requests, pipelines, MULTI, RESP3, the pub/sub context, a blocked client
    and a connection opened while the script runs, before and after the kill."""

    def scenario(srv):
        a, b, sub, blk, r3 = _conns(srv, 5)
        out = [sub.call("SUBSCRIBE", "ch"), r3.call("HELLO", "3")[:40]]
        blk.send_raw(encode_request(("BLPOP", "l", "0")))
        time.sleep(0.1)
        _start(a, "EVAL", SPIN, "0")
        late = srv.conn()  # connected while the script runs
        out.append(late.call("PING"))
        out.append(late.call("HELLO", "3")[:40])
        # half a request now, the rest after the script
        b.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r")
        out.append(b.read_available(0.2))
        out.append(r3.call("GET", "x"))
        out.append(r3.call("MULTI"))
        out.append(r3.call("SET", "x", "1"))
        out.append(r3.call("EXEC"))
        out.append(sub.call("GET", "x"))
        out.append(sub.call("PING"))
        blk.send_raw(encode_request(("PING",)))
        out.append(blk.read_available(0.2))
        late2 = srv.conn()
        out.append(late2.pipeline([("PING",), ("GET", "x"), ("SCRIPT", "KILL")]))
        out.append(a.read_reply())
        b.send_raw(b"\n$1\r\nv\r\n")
        out.append(b.read_reply())
        out.append(b.call("GET", "k"))
        out.append(late.call("SET", "late", "yes"))
        out.append(late2.call("GET", "late"))
        out.append(b.call("LPUSH", "l", "e"))
        out.append(blk.read_reply())
        out.append(blk.read_reply())
        out.append(sub.call("PING"))
        out.append(r3.call("PING"))
        out.append(b.call("CLIENT", "INFO")[:0])
        return out

    got = _run_both(scenario)
    assert got[2].startswith(b"-BUSY")


def test_writing_script_is_unkillable_and_shutdown_nosave_stops_the_server():
    def scenario(srv):
        a, b = _conns(srv, 2)
        _start(a, "EVAL", "redis.call('set', 'w', '1') while true do end", "0")
        out = [b.call("SCRIPT", "KILL"), b.call("FUNCTION", "KILL"), b.call("SHUTDOWN"),
               b.call("SHUTDOWN", "SAVE")]
        b.send_raw(encode_request(("SHUTDOWN", "NOSAVE")))
        out.append(b.read_available(2.0))
        out.append(a.read_available(2.0))
        srv.proc.wait(10)
        out.append(srv.proc.returncode)
        return out

    got = _run_both(scenario)
    assert got[0].startswith(b"-UNKILLABLE Sorry the script already executed write commands")
    assert got[-3:] == [b"<CLOSED>", b"<CLOSED>", 0]


def test_threshold_is_a_config_parameter():
    def scenario(srv):
        a, b = _conns(srv, 2)
        out = [b.call("CONFIG", "SET", "lua-time-limit", "50"), b.call("CONFIG", "GET", "busy-reply-threshold")]
        # a script shorter than the threshold never makes anyone wait for BUSY
        out.append(a.call("EVAL", "local n = 0 for i = 1, 100000 do n = n + i end return n", "0"))
        _start(a, "EVAL", SPIN, "0")
        out.append(b.call("PING"))
        out.append(b.call("SCRIPT", "KILL"))
        out.append(a.read_reply())
        return out

    _run_both(scenario)


@pytest.mark.parametrize("resp", ["2", "3"])
def test_kill_error_reaches_the_caller_in_its_protocol(resp):
    def scenario(srv):
        a, b = _conns(srv, 2)
        out = [a.call("HELLO", resp)[:10]]
        _start(a, "EVAL", "redis.call('get', 'x') local t = 0 while true do t = t + 1 end", "0")
        out.append(b.call("SCRIPT", "KILL"))
        out.append(a.read_reply())
        return out

    _run_both(scenario)
