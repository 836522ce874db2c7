"""Blocking commands with several clients: each scenario runs on the oracle and on redpy
and the transcripts (every reply each client saw, in order) must be equal.

Clients block by sending a request without reading; `_settle` waits until the server
has registered them (INFO blocked_clients when available, else a short sleep) so that
the order in which clients blocked is the order the test sent them in.
Timings are checked with generous bounds only (named where they occur).
"""

from __future__ import annotations

import time

import pytest

from ..helpers import Conn, encode_request

QUIET = 0.15  # how long a client must stay silent to count as "still blocked"


def _blocked_count(ctl: Conn):
    reply = ctl.call("INFO", "clients")
    if not reply.startswith(b"$"):
        return None
    for line in reply.split(b"\r\n"):
        if line.startswith(b"blocked_clients:"):
            return int(line.split(b":")[1])
    return None


def _settle(ctl: Conn, n: int) -> None:
    """Wait until n clients are blocked (bounded)."""
    deadline = time.time() + 5
    while time.time() < deadline:
        got = _blocked_count(ctl)
        if got is None:
            time.sleep(0.1)
            return
        if got == n:
            return
        time.sleep(0.01)
    raise AssertionError(f"{n} clients never blocked")


class Scene:
    """Connections to one server, all replies recorded in one transcript."""

    def __init__(self, server):
        self.server = server
        self.conns: list[Conn] = []
        self.log: list = []
        self.ctl = self.new()
        self.ctl.call("FLUSHALL")

    def new(self) -> Conn:
        c = self.server.conn()
        self.conns.append(c)
        return c

    def block(self, conn: Conn, *args, blocked: int) -> None:
        conn.send_raw(encode_request(args))
        _settle(self.ctl, blocked)

    def call(self, conn: Conn, *args) -> bytes:
        r = conn.call(*args)
        self.log.append((args, r))
        return r

    def read(self, conn: Conn, tag: str) -> bytes:
        r = conn.read_reply()
        self.log.append((tag, r))
        return r

    def quiet(self, conn: Conn, tag: str) -> bytes:
        """What arrives within QUIET seconds (b"" while still blocked)."""
        r = conn.read_available(QUIET)
        self.log.append((tag, r))
        return r

    def close(self) -> None:
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def _compare(oracle, redpy_server, scenario) -> list:
    transcripts = []
    for srv in (oracle, redpy_server):
        scene = Scene(srv)
        try:
            scenario(scene)
        finally:
            scene.close()
        transcripts.append(scene.log)
    want, got = transcripts
    assert got == want
    return got


def _supported(redpy_server, *args) -> bool:
    c = redpy_server.conn()
    try:
        return not c.call(*args).startswith(b"-ERR unknown")
    finally:
        c.close()


# ---------------------------------------------------------------------- scenarios


def test_fifo_order_per_key(oracle, redpy_server):
    def scenario(s):
        a, b, c = s.new(), s.new(), s.new()
        s.block(a, "BLPOP", "k", "0", blocked=1)
        s.block(b, "BLPOP", "k", "0", blocked=2)
        s.block(c, "BRPOP", "k", "0", blocked=3)
        s.call(s.ctl, "RPUSH", "k", "x1", "x2")
        s.read(a, "a")
        s.read(b, "b")
        s.quiet(c, "c still blocked")
        s.call(s.ctl, "LLEN", "k")
        s.call(s.ctl, "LPUSH", "k", "x3")
        s.read(c, "c")
        s.call(s.ctl, "LLEN", "k")

    log = _compare(oracle, redpy_server, scenario)
    assert log[1][1] == b"*2\r\n$1\r\nk\r\n$2\r\nx1\r\n"
    assert log[3][1] == b""


def test_several_keys_and_one_push_serving_several_clients(oracle, redpy_server):
    def scenario(s):
        a, b, c, d = s.new(), s.new(), s.new(), s.new()
        s.block(a, "BLPOP", "k1", "k2", "0", blocked=1)
        s.block(b, "BLPOP", "k2", "0", blocked=2)
        s.block(c, "BRPOP", "k3", "k2", "0", blocked=3)
        s.block(d, "BLMPOP", "0", "2", "k4", "k2", "RIGHT", "COUNT", "2", blocked=4)
        s.call(s.ctl, "LPUSH", "k2", "e1", "e2", "e3", "e4", "e5", "e6")
        for conn, tag in ((a, "a"), (b, "b"), (c, "c"), (d, "d")):
            s.read(conn, tag)
        s.call(s.ctl, "LRANGE", "k2", "0", "-1")
        # the same key twice in one command is waited on once
        s.block(a, "BLPOP", "k5", "k5", "0", blocked=1)
        s.call(s.ctl, "RPUSH", "k5", "only")
        s.read(a, "a2")
        s.call(s.ctl, "LLEN", "k5")

    _compare(oracle, redpy_server, scenario)


def test_push_of_fewer_elements_than_waiters(oracle, redpy_server):
    def scenario(s):
        a, b, c = s.new(), s.new(), s.new()
        s.block(a, "BRPOP", "k", "0", blocked=1)
        s.block(b, "BLMPOP", "0", "1", "k", "LEFT", "COUNT", "5", blocked=2)
        s.block(c, "BLPOP", "k", "0", blocked=3)
        s.call(s.ctl, "RPUSH", "k", "1", "2", "3", "4")
        s.read(a, "a")
        s.read(b, "b")
        s.quiet(c, "c still blocked")
        s.call(s.ctl, "RPUSH", "k", "5")
        s.read(c, "c")

    _compare(oracle, redpy_server, scenario)


def test_blmove_chain(oracle, redpy_server):
    def scenario(s):
        a, b, c, d = s.new(), s.new(), s.new(), s.new()
        s.block(a, "BLMOVE", "q1", "q2", "LEFT", "RIGHT", "0", blocked=1)
        s.block(b, "BRPOPLPUSH", "q2", "q3", "0", blocked=2)
        s.block(c, "BLMOVE", "q3", "q4", "RIGHT", "LEFT", "0", blocked=3)
        s.block(d, "BLPOP", "q4", "0", blocked=4)
        s.call(s.ctl, "RPUSH", "q1", "v1", "v2")
        for conn, tag in ((a, "a"), (b, "b"), (c, "c"), (d, "d")):
            s.read(conn, tag)
        for key in ("q1", "q2", "q3", "q4"):
            s.call(s.ctl, "LRANGE", key, "0", "-1")
        # a rotation onto itself serves every waiter of the key in turn
        s.block(a, "BLMOVE", "r", "r", "LEFT", "RIGHT", "0", blocked=1)
        s.block(b, "BLPOP", "r", "0", blocked=2)
        s.call(s.ctl, "RPUSH", "r", "x")
        s.read(a, "a2")
        s.read(b, "b2")
        s.call(s.ctl, "LLEN", "r")

    _compare(oracle, redpy_server, scenario)


def test_blmove_to_a_wrong_type_destination(oracle, redpy_server):
    def scenario(s):
        a, b = s.new(), s.new()
        s.call(s.ctl, "SET", "dst", "string")
        s.block(a, "BLMOVE", "src", "dst", "LEFT", "LEFT", "0", blocked=1)
        s.block(b, "BLPOP", "src", "0", blocked=2)
        s.call(s.ctl, "RPUSH", "src", "v")
        s.read(a, "a gets WRONGTYPE")
        s.read(b, "b gets the element")
        s.call(s.ctl, "LLEN", "src")

    _compare(oracle, redpy_server, scenario)


def test_timeouts_with_subsecond_precision(oracle, redpy_server):
    def scenario(s):
        a = s.new()
        for args in (("BLPOP", "k", "0.25"), ("BRPOP", "k1", "k2", "0.25"), ("BRPOPLPUSH", "k", "d", "0.25"),
                     ("BLMOVE", "k", "d", "LEFT", "LEFT", "0.25"), ("BLMPOP", "0.25", "1", "k", "LEFT")):
            start = time.monotonic()
            s.call(a, *args)
            elapsed = time.monotonic() - start
            # Relaxed: the deadline is 250 ms; allow scheduling slack but not a second.
            assert 0.2 <= elapsed < 0.9, (args, elapsed)
        s.call(s.ctl, "LLEN", "k")

    log = _compare(oracle, redpy_server, scenario)
    assert log[0][1] == b"*-1\r\n"


def test_tiny_timeouts(oracle, redpy_server):
    """(long long)ceill(-0.0009 * 1000) is 0: Redis then waits forever; 0.0004 is 1 ms."""

    def scenario(s):
        a, b = s.new(), s.new()
        s.call(a, "BLPOP", "k", "0.0004")
        s.block(a, "BLPOP", "k", "-0.0001", blocked=1)
        s.block(b, "BLPOP", "k", "-0.0009", blocked=2)
        s.quiet(a, "a still blocked")
        s.call(s.ctl, "RPUSH", "k", "1", "2")
        s.read(a, "a")
        s.read(b, "b")
        s.call(a, "BLPOP", "k", "0.001")

    _compare(oracle, redpy_server, scenario)


def test_pipeline_waits_behind_the_blocked_command(oracle, redpy_server):
    def scenario(s):
        a = s.new()
        a.send_raw(encode_request(("BLPOP", "k", "0")) + encode_request(("PING",)) + encode_request(("LLEN", "k")))
        _settle(s.ctl, 1)
        s.quiet(a, "nothing yet")
        s.call(s.ctl, "RPUSH", "k", "a", "b")
        s.read(a, "blpop")
        s.read(a, "ping")
        s.read(a, "llen")

    _compare(oracle, redpy_server, scenario)


def test_disconnected_blocked_client_leaves_no_trace(oracle, redpy_server):
    def scenario(s):
        a, b = s.new(), s.new()
        s.block(a, "BLPOP", "k", "0", blocked=1)
        a.close()
        _settle(s.ctl, 0)
        s.block(b, "BLPOP", "k", "0", blocked=1)
        s.call(s.ctl, "RPUSH", "k", "v1", "v2")
        s.read(b, "b")
        s.call(s.ctl, "LRANGE", "k", "0", "-1")

    _compare(oracle, redpy_server, scenario)
    if _blocked_count(redpy_server.conn()) is not None:
        assert _blocked_count(redpy_server.conn()) == 0


def test_other_db_and_other_type_do_not_serve(oracle, redpy_server):
    def scenario(s):
        a = s.new()
        s.call(a, "SELECT", "1")
        s.block(a, "BLPOP", "k", "0", blocked=1)
        s.call(s.ctl, "RPUSH", "k", "db0")
        s.quiet(a, "db 0 does not serve db 1")
        s.call(s.ctl, "SELECT", "1")
        s.call(s.ctl, "SET", "k", "string")  # a string never serves a list waiter
        s.quiet(a, "still blocked")
        s.call(s.ctl, "RPUSH", "k2", "x")
        s.call(s.ctl, "RPOPLPUSH", "k2", "k")
        s.call(s.ctl, "GET", "k")
        s.call(s.ctl, "SELECT", "0")
        s.call(s.ctl, "LLEN", "k")

    # redpy needs SET/GET (strings) and SELECT; both exist from the skeleton on.
    _compare(oracle, redpy_server, scenario)


def test_created_and_emptied_in_one_transaction(oracle, redpy_server):
    if not _supported(redpy_server, "MULTI"):
        pytest.skip("MULTI is not implemented in redpy yet")

    def scenario(s):
        a = s.new()
        s.block(a, "BLPOP", "k", "0", blocked=1)
        s.call(s.ctl, "MULTI")
        s.call(s.ctl, "RPUSH", "k", "a")
        s.call(s.ctl, "LPOP", "k")
        s.call(s.ctl, "EXEC")
        s.quiet(a, "still blocked")
        s.call(s.ctl, "MULTI")
        s.call(s.ctl, "RPUSH", "k", "a")
        s.call(s.ctl, "RPUSH", "k", "b")
        s.call(s.ctl, "EXEC")
        s.read(a, "a")
        s.call(s.ctl, "LRANGE", "k", "0", "-1")

    _compare(oracle, redpy_server, scenario)


def test_client_unblock(oracle, redpy_server):
    if not _supported(redpy_server, "CLIENT", "ID"):
        pytest.skip("CLIENT ID is not implemented in redpy yet")

    def scenario(s):
        a = s.new()
        a_id = int(a.call("CLIENT", "ID")[1:-2])
        s.log.append(("not blocked", s.ctl.call("CLIENT", "UNBLOCK", str(a_id))))
        s.block(a, "BLPOP", "k", "0", blocked=1)
        s.log.append(("unblock timeout", s.ctl.call("CLIENT", "UNBLOCK", str(a_id), "TIMEOUT")))
        s.read(a, "timeout reply")
        s.block(a, "BLMOVE", "k", "d", "LEFT", "LEFT", "0", blocked=1)
        s.log.append(("unblock error", s.ctl.call("CLIENT", "UNBLOCK", str(a_id), "error")))
        s.read(a, "error reply")
        s.block(a, "BLMPOP", "0", "1", "k", "LEFT", blocked=1)
        s.log.append(("bad reason", s.ctl.call("CLIENT", "UNBLOCK", str(a_id), "bogus")))
        s.log.append(("arity", s.ctl.call("CLIENT", "UNBLOCK", str(a_id), "timeout", "x")))
        s.call(s.ctl, "CLIENT", "UNBLOCK", "notanumber")
        s.quiet(a, "still blocked")
        s.log.append(("unblock", s.ctl.call("CLIENT", "UNBLOCK", str(a_id))))
        s.read(a, "timeout reply")
        s.call(s.ctl, "CLIENT", "UNBLOCK", "999999")
        s.call(a, "PING")

    log = _compare(oracle, redpy_server, scenario)
    assert (
        b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n" in [r for _, r in log]
    )


def test_resp3_timeout_reply(oracle, redpy_server):
    if not _supported(redpy_server, "HELLO", "3"):
        pytest.skip("HELLO is not implemented in redpy yet")

    def scenario(s):
        a = s.new()
        a.call("HELLO", "3")
        s.call(a, "BLPOP", "k", "0.05")
        s.call(a, "BLMOVE", "k", "d", "LEFT", "LEFT", "0.05")
        s.block(a, "BLMPOP", "0", "1", "k", "LEFT", blocked=1)
        s.call(s.ctl, "RPUSH", "k", "v")
        s.read(a, "served")

    log = _compare(oracle, redpy_server, scenario)
    assert log[0][1] == b"_\r\n"


def test_keys_made_ready_in_one_transaction_are_served_in_order(oracle, redpy_server):
    if not _supported(redpy_server, "MULTI"):
        pytest.skip("MULTI is not implemented in redpy yet")

    def scenario(s):
        a, b = s.new(), s.new()
        s.block(a, "BLPOP", "k2", "k1", "0", blocked=1)
        s.block(b, "BLPOP", "k2", "0", blocked=2)
        s.call(s.ctl, "MULTI")
        s.call(s.ctl, "RPUSH", "k1", "x")
        s.call(s.ctl, "RPUSH", "k2", "y")
        s.call(s.ctl, "LLEN", "k1")  # nothing is served before EXEC completes
        s.call(s.ctl, "EXEC")
        s.read(a, "a is served from k1, the first key made ready")
        s.read(b, "b")

    log = _compare(oracle, redpy_server, scenario)
    assert log[-2][1] == b"*2\r\n$2\r\nk1\r\n$1\r\nx\r\n"


def test_served_client_pipeline_runs_after_the_pushers_input(oracle, redpy_server):
    """Redis runs an unblocked client's pending requests from beforeSleep, after the
    rest of the input of the client that served it."""

    def scenario(s):
        a = s.new()
        a.send_raw(encode_request(("BLPOP", "k", "0")) + encode_request(("RPUSH", "k2", "from-a")))
        _settle(s.ctl, 1)
        replies = s.ctl.pipeline([("RPUSH", "k", "v"), ("LRANGE", "k2", "0", "-1")])
        s.log.append(("pusher", replies))
        s.read(a, "blpop")
        s.read(a, "rpush")
        s.call(s.ctl, "LRANGE", "k2", "0", "-1")

    log = _compare(oracle, redpy_server, scenario)
    assert log[0][1][1] == b"*0\r\n"


def _stats(conn: Conn) -> list:
    """cmdstat lines of the blocking commands without timings, and errorstats."""
    out = []
    for section in ("commandstats", "errorstats"):
        text = conn.call("INFO", section).decode()
        for line in text.split("\r\n"):
            if line.startswith(("cmdstat_bl", "cmdstat_br", "errorstat_")):
                name, fields = line.split(":", 1)
                kept = [f for f in fields.split(",") if not f.startswith("usec")]
                out.append((name, kept))
    return sorted(out)


def test_command_stats_of_unblocked_clients(oracle, redpy_server):
    if not _supported(redpy_server, "CONFIG", "RESETSTAT") or not _supported(redpy_server, "CLIENT", "ID"):
        pytest.skip("CONFIG RESETSTAT / CLIENT ID are not implemented in redpy yet")

    def scenario(s):
        a = s.new()
        a_id = a.call("CLIENT", "ID")[1:-2].decode()
        s.ctl.call("CONFIG", "RESETSTAT")
        s.block(a, "BLPOP", "k", "0", blocked=1)
        s.ctl.call("CLIENT", "UNBLOCK", a_id)
        s.read(a, "unblock timeout")
        s.block(a, "BLPOP", "k", "0", blocked=1)
        s.ctl.call("CLIENT", "UNBLOCK", a_id, "ERROR")
        s.read(a, "unblock error")
        s.call(a, "BRPOP", "k", "0.01")
        s.ctl.call("SET", "str", "x")
        s.block(a, "BLMOVE", "k", "str", "LEFT", "LEFT", "0", blocked=1)
        s.call(s.ctl, "RPUSH", "k", "v")
        s.read(a, "served with WRONGTYPE")
        s.log.append(("stats", _stats(s.ctl)))

    _compare(oracle, redpy_server, scenario)
