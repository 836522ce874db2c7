"""Several connections at once: CLIENT KILL, CLIENT LIST of other clients, CLIENT PAUSE.

Each scenario runs on the oracle and on redpy with fresh connections and the observations
(raw replies, whether a connection was closed, whether a reply was held) are compared.
Client ids, addresses and ports differ between the servers, so scenarios address clients
through values they read from the same server.

The CLIENT PAUSE tests need dispatch to call `commands.connection.pause_blocks` (the
hook described in connection.py's docstring); they are skipped until dispatch has it.
"""

from __future__ import annotations

import inspect
import socket
import time

import pytest

from redpy import dispatch
from tests.helpers import Conn, encode_request

PAUSE_HOOK = "pause_blocks" in inspect.getsource(dispatch)
needs_pause_hook = pytest.mark.skipif(
    not PAUSE_HOOK, reason="needs the CLIENT PAUSE hook in dispatch (connection.pause_blocks)"
)


def _servers(oracle, redpy_server):
    return [("oracle", oracle), ("redpy", redpy_server)]


def _same(results: dict):
    assert results["redpy"] == results["oracle"], results
    return results["oracle"]


def client_id(conn: Conn) -> bytes:
    return conn.call("CLIENT", "ID")[1:-2]


def is_closed(conn: Conn, wait: float = 1.0) -> bool:
    """True when the server closed the connection (EOF within `wait`)."""
    return conn.read_available(wait).endswith(b"<CLOSED>")


def fields(reply: bytes) -> dict[str, str]:
    """The fields of a one-line CLIENT LIST/INFO reply (RESP2 bulk)."""
    body = reply.split(b"\r\n", 1)[1].rstrip(b"\r\n").decode()
    assert "\n" not in body, body
    return dict(item.partition("=")[::2] for item in body.split(" "))


# ------------------------------------------------------------------------- CLIENT KILL


def test_kill_other_by_id(oracle, redpy_server):
    results = {}
    for kind, srv in _servers(oracle, redpy_server):
        a, b = srv.conn(), srv.conn()
        bid = client_id(b)
        reply = a.call("CLIENT", "KILL", "ID", bid)
        gone = is_closed(b)
        listed = a.call("CLIENT", "LIST", "ID", bid)
        again = a.call("CLIENT", "KILL", "ID", bid)
        results[kind] = (reply, gone, listed, again, a.call("PING"))
        a.close()
    assert _same(results) == (b":1\r\n", True, b"$0\r\n\r\n", b":0\r\n", b"+PONG\r\n")


def test_kill_other_by_addr_old_form(oracle, redpy_server):
    results = {}
    for kind, srv in _servers(oracle, redpy_server):
        a, b = srv.conn(), srv.conn()
        addr = fields(b.call("CLIENT", "INFO"))["addr"]
        results[kind] = (a.call("CLIENT", "KILL", addr), is_closed(b), a.call("CLIENT", "KILL", addr))
        a.close()
    assert _same(results) == (b"+OK\r\n", True, b"-ERR No such client\r\n")


def test_kill_by_addr_and_laddr_filters(oracle, redpy_server):
    results = {}
    for kind, srv in _servers(oracle, redpy_server):
        a, b = srv.conn(), srv.conn()
        info = fields(b.call("CLIENT", "INFO"))
        wrong = a.call("CLIENT", "KILL", "ADDR", info["addr"], "LADDR", "1.1.1.1:1")
        right = a.call("CLIENT", "KILL", "ADDR", info["addr"], "LADDR", info["laddr"])
        results[kind] = (wrong, right, is_closed(b))
        a.close()
    assert _same(results) == (b":0\r\n", b":1\r\n", True)


def test_kill_self_old_form_closes_after_reply(oracle, redpy_server):
    results = {}
    for kind, srv in _servers(oracle, redpy_server):
        a = srv.conn()
        addr = fields(a.call("CLIENT", "INFO"))["addr"].encode()
        a.send_raw(encode_request(("CLIENT", "KILL", addr)) + encode_request(("PING",)))
        results[kind] = a.read_available(1.0)
    assert _same(results) == b"+OK\r\n<CLOSED>"


def test_kill_skipme(oracle, redpy_server):
    results = {}
    for kind, srv in _servers(oracle, redpy_server):
        a = srv.conn()
        aid = client_id(a)
        kept = a.call("CLIENT", "KILL", "ID", aid)  # SKIPME yes by default
        a.send_raw(encode_request(("CLIENT", "KILL", "ID", aid, "SKIPME", "no")) + encode_request(("PING",)))
        results[kind] = (kept, a.read_available(1.0))
    assert _same(results) == (b":0\r\n", b":1\r\n<CLOSED>")


def test_kill_type_and_user(oracle, redpy_server):
    results = {}
    for kind, srv in _servers(oracle, redpy_server):
        a = srv.conn()
        a.call("CLIENT", "KILL", "TYPE", "normal")  # start from a clean slate: only `a`
        others = [srv.conn() for _ in range(3)]
        for o in others:
            o.call("PING")
        n_pubsub = a.call("CLIENT", "KILL", "TYPE", "pubsub")
        n_master = a.call("CLIENT", "KILL", "TYPE", "master", "USER", "default")
        n_user = a.call("CLIENT", "KILL", "USER", "default", "TYPE", "normal")
        closed = [is_closed(o, 0.5) for o in others]
        results[kind] = (n_pubsub, n_master, n_user, closed, a.call("PING"))
        a.close()
    assert _same(results) == (b":0\r\n", b":0\r\n", b":3\r\n", [True] * 3, b"+PONG\r\n")


def test_kill_pubsub_type(oracle, redpy_server):
    results = {}
    for kind, srv in _servers(oracle, redpy_server):
        a, sub = srv.conn(), srv.conn()
        sub.call("SUBSCRIBE", "chan")
        listed = fields(a.call("CLIENT", "LIST", "TYPE", "pubsub"))
        killed = a.call("CLIENT", "KILL", "TYPE", "pubsub")
        results[kind] = (listed["flags"], listed["sub"], listed["cmd"], killed, is_closed(sub))
        a.close()
    assert _same(results) == ("P", "1", "subscribe", b":1\r\n", True)


# --------------------------------------------------------------------- CLIENT LIST of others


def test_list_other_client_in_multi(oracle, redpy_server):
    results = {}
    for kind, srv in _servers(oracle, redpy_server):
        a, b = srv.conn(), srv.conn()
        bid = client_id(b)
        b.call("CLIENT", "SETNAME", "bee")
        b.call("SELECT", "4")
        b.call("MULTI")
        b.call("SET", "x", "y")
        b.call("GET", "x")
        f = fields(a.call("CLIENT", "LIST", "ID", bid))
        # Relaxation: id, addr, laddr, fd, age, idle, memory figures other than multi-mem.
        results[kind] = {k: f[k] for k in ("name", "flags", "db", "multi", "qbuf", "argv-mem", "multi-mem", "resp")}
        b.call("DISCARD")
        a.close()
        b.close()
    assert _same(results)["multi-mem"] == "49"


def test_list_cmd_of_queued_command(oracle, redpy_server):
    results = {}
    for kind, srv in _servers(oracle, redpy_server):
        a, b = srv.conn(), srv.conn()
        bid = client_id(b)
        b.call("MULTI")
        b.call("GET", "x")
        results[kind] = fields(a.call("CLIENT", "LIST", "ID", bid))["cmd"]
    assert _same(results) == "get"


def test_list_ids_in_order_given(oracle, redpy_server):
    results = {}
    for kind, srv in _servers(oracle, redpy_server):
        a, b, c = srv.conn(), srv.conn(), srv.conn()
        ids = [client_id(x) for x in (a, b, c)]
        b.call("CLIENT", "SETNAME", "b")
        c.call("CLIENT", "SETNAME", "c")
        body = a.call("CLIENT", "LIST", "ID", ids[2], b"99999999", ids[1], ids[2]).split(b"\r\n", 1)[1][:-2]
        results[kind] = [line.split(b" name=")[1].split(b" ")[0] for line in body.split(b"\n")[:-1]]
        for x in (a, b, c):
            x.close()
    assert _same(results) == [b"c", b"b", b"c"]


def test_list_all_in_connection_order(oracle, redpy_server):
    results = {}
    for kind, srv in _servers(oracle, redpy_server):
        conns = [srv.conn() for _ in range(3)]
        ids = [int(client_id(x)) for x in conns]
        body = conns[0].call("CLIENT", "LIST").split(b"\r\n", 1)[1][:-2].decode()
        listed = [int(line.split(" ")[0][3:]) for line in body.split("\n")[:-1]]
        results[kind] = [i for i in listed if i in ids] == ids and listed == sorted(listed)
        for x in conns:
            x.close()
    assert _same(results) is True


# ------------------------------------------------------------------------- CLIENT PAUSE


def _held(conn: Conn, *args, wait: float = 0.25):
    """Send a request; its reply bytes, or "HELD" when nothing came within `wait`."""
    conn.send_raw(encode_request(args))
    conn.sock.settimeout(wait)
    try:
        return conn.read_reply()
    except (socket.timeout, TimeoutError):
        return "HELD"
    finally:
        conn.sock.settimeout(10.0)


def _pause_scenario(srv, mode: str, probes):
    a = srv.conn()
    a.call("SET", "k", "v")
    assert a.call("CLIENT", "PAUSE", "1200", mode) == b"+OK\r\n"
    start = time.monotonic()
    out = []
    conns = []
    for args in probes:
        conn = srv.conn()
        conns.append(conn)
        out.append(_held(conn, *args))
    assert time.monotonic() - start < 1.0, "probes too slow for the pause window"
    # After the pause every held request is answered, in order per connection.
    late = [c.read_reply() if r == "HELD" else None for c, r in zip(conns, out)]
    a.call("CLIENT", "UNPAUSE")
    for c in conns + [a]:
        c.close()
    return out, late


@needs_pause_hook
def test_pause_all_holds_everything(oracle, redpy_server):
    probes = [("GET", "k"), ("PING",), ("GET",), ("NOSUCH",), ("CLIENT", "UNPAUSE")]
    results = {kind: _pause_scenario(srv, "ALL", probes) for kind, srv in _servers(oracle, redpy_server)}
    out, late = _same(results)
    assert out[:2] == ["HELD", "HELD"] and out[4] == "HELD"
    assert late[0] == b"$1\r\nv\r\n"


@needs_pause_hook
def test_pause_write_holds_writes_only(oracle, redpy_server):
    probes = [("GET", "k"), ("SET", "k", "w"), ("INCR", "n"), ("PING",), ("EXISTS", "k")]
    results = {kind: _pause_scenario(srv, "WRITE", probes) for kind, srv in _servers(oracle, redpy_server)}
    out, late = _same(results)
    assert out[0] == b"$1\r\nv\r\n" and out[1] == "HELD" and out[2] == "HELD"
    assert late[1] == b"+OK\r\n"


@needs_pause_hook
def test_pause_write_multi(oracle, redpy_server):
    results = {}
    for kind, srv in _servers(oracle, redpy_server):
        a, b = srv.conn(), srv.conn()
        b.call("MULTI")
        b.call("GET", "k")
        a.call("CLIENT", "PAUSE", "800", "WRITE")
        read_exec = _held(b, "EXEC")  # read-only queue: runs
        b.call("MULTI")
        queued_write = _held(b, "SET", "k", "1")  # a write is held at queue time
        late = b.read_reply()
        results[kind] = (read_exec, queued_write, late, b.call("EXEC"))
        a.call("CLIENT", "UNPAUSE")
        a.close()
        b.close()
    assert _same(results)[1] == "HELD"


@needs_pause_hook
def test_pause_keeps_strongest_and_longest(oracle, redpy_server):
    results = {}
    for kind, srv in _servers(oracle, redpy_server):
        a, b = srv.conn(), srv.conn()
        a.call("CLIENT", "PAUSE", "1000", "WRITE")
        a.call("CLIENT", "PAUSE", "50", "ALL")
        time.sleep(0.2)
        # Still paused for ALL: the shorter ALL pause extended to the longer deadline.
        held = _held(b, "GET", "k")
        late = b.read_reply()
        results[kind] = (held, late)
        a.close()
        b.close()
    assert _same(results)[0] == "HELD"


@needs_pause_hook
def test_unpause_releases_in_order(oracle, redpy_server):
    results = {}
    for kind, srv in _servers(oracle, redpy_server):
        a, b, c = srv.conn(), srv.conn(), srv.conn()
        a.call("DEL", "list")
        a.call("CLIENT", "PAUSE", "5000", "WRITE")
        b.send_raw(encode_request(("RPUSH", "list", "b1")) + encode_request(("RPUSH", "list", "b2")))
        time.sleep(0.1)
        c.send_raw(encode_request(("RPUSH", "list", "c1")))
        time.sleep(0.1)
        held = (b.read_available(0.1), c.read_available(0.1))
        a.call("CLIENT", "UNPAUSE")
        b.read_reply(), b.read_reply(), c.read_reply()
        results[kind] = (held, a.call("LRANGE", "list", "0", "-1"))
        for x in (a, b, c):
            x.close()
    assert _same(results) == ((b"", b""), b"*3\r\n$2\r\nb1\r\n$2\r\nb2\r\n$2\r\nc1\r\n")


@needs_pause_hook
def test_paused_client_flagged_blocked(oracle, redpy_server):
    results = {}
    for kind, srv in _servers(oracle, redpy_server):
        a, b = srv.conn(), srv.conn()
        bid = client_id(b)
        a.call("CLIENT", "PAUSE", "2000", "WRITE")
        b.send_raw(encode_request(("SET", "k", "1")))
        time.sleep(0.1)
        f = fields(a.call("CLIENT", "LIST", "ID", bid))
        a.call("CLIENT", "UNPAUSE")
        results[kind] = (f["flags"], f["cmd"], b.read_reply())
        a.close()
        b.close()
    assert _same(results) == ("b", "set", b"+OK\r\n")
