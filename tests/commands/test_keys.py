"""Generic keyspace commands on redpy alone: exact replies, SCAN's snapshot cursors,
keyspace statistics (read from the Server object of an embedded server)."""

from __future__ import annotations

import pytest

from redpy import scan
from redpy.errors import CommandError
from tests.compat.test_keys_compat import parse


def test_basic_replies(r):
    assert r.call("SET", "a", "1") == b"+OK\r\n"
    assert r.call("EXISTS", "a", "a", "b") == b":2\r\n"
    assert r.call("TYPE", "a") == b"+string\r\n"
    assert r.call("TYPE", "b") == b"+none\r\n"
    assert r.call("DBSIZE") == b":1\r\n"
    assert r.call("RANDOMKEY") == b"$1\r\na\r\n"
    assert r.call("RENAME", "a", "b") == b"+OK\r\n"
    assert r.call("RENAMENX", "b", "b") == b":0\r\n"
    assert r.call("KEYS", "*") == b"*1\r\n$1\r\nb\r\n"
    assert r.call("TTL", "b") == b":-1\r\n"
    assert r.call("EXPIRE", "b", "100") == b":1\r\n"
    assert r.call("TTL", "b") == b":100\r\n"
    assert r.call("PERSIST", "b") == b":1\r\n"
    assert r.call("OBJECT", "ENCODING", "b") == b"$3\r\nint\r\n"
    assert r.call("OBJECT", "REFCOUNT", "b") == b":2147483647\r\n"
    assert r.call("DEL", "b", "b") == b":1\r\n"
    assert r.call("RANDOMKEY") == b"$-1\r\n"
    assert r.call("SCAN", "0") == b"*2\r\n$1\r\n0\r\n*0\r\n"


def test_copy_is_independent(r):
    r.call("RPUSH", "l", "a")
    r.call("HSET", "h", "f", "v")
    r.call("SADD", "s", "x")
    r.call("ZADD", "z", "1", "m")
    r.call("SET", "str", "ab")
    r.call("APPEND", "str", "c")
    for key in ("l", "h", "s", "z", "str"):
        assert r.call("COPY", key, key + "2") == b":1\r\n"
    r.call("RPUSH", "l2", "b")
    r.call("HSET", "h2", "g", "w")
    r.call("SADD", "s2", "y")
    r.call("ZADD", "z2", "2", "n")
    r.call("APPEND", "str2", "d")
    assert r.call("LLEN", "l") == b":1\r\n"
    assert r.call("HLEN", "h") == b":1\r\n"
    assert r.call("SCARD", "s") == b":1\r\n"
    assert r.call("ZCARD", "z") == b":1\r\n"
    assert r.call("GET", "str") == b"$3\r\nabc\r\n"
    assert r.call("TYPE", "h2") == b"+hash\r\n"


def test_many_concurrent_scans_stay_bounded(r):
    r.pipeline([("SET", f"k{i}", "v") for i in range(200)])
    cursors = [parse(r.call("SCAN", "0", "COUNT", "10"))[0] for _ in range(scan.MAX_SNAPSHOTS + 10)]
    assert all(c != b"0" for c in cursors)
    assert len(set(cursors)) == len(cursors)
    # the newest iteration finishes normally and returns every key once
    cursor, seen = cursors[-1], []
    while cursor != b"0":
        cursor, keys = parse(r.call("SCAN", cursor, "COUNT", "10"))
        seen += keys
    assert len(seen) == len(set(seen)) == 190
    # an evicted iteration is still served (best effort), not an error
    cursor, keys = parse(r.call("SCAN", cursors[0], "COUNT", "10"))
    assert isinstance(keys, list)


class _FakeServer:
    """Just what scan.py reads of a Server."""

    def __init__(self):
        self.scan_snapshots = None


def test_scan_items_snapshot_semantics():
    server = _FakeServer()
    live = {i for i in range(25)}
    token = object()
    source = lambda: sorted(live)  # noqa: E731
    cursor, items = scan.scan_items(server, 0, 10, source, token, live.__contains__)
    assert items == list(range(10)) and cursor != 0
    live.discard(10)
    live.add(100)  # added during the iteration: not returned
    cursor, items = scan.scan_items(server, cursor, 10, source, token, live.__contains__)
    assert items == list(range(11, 21))
    cursor, items = scan.scan_items(server, cursor, 10, source, token, live.__contains__)
    assert items == [21, 22, 23, 24] and cursor == 0
    assert not server.scan_snapshots.by_id  # a finished iteration drops its snapshot


def test_scan_items_other_token_is_unknown_cursor():
    server = _FakeServer()
    a, b = object(), object()
    cursor, _ = scan.scan_items(server, 0, 2, lambda: [1, 2, 3, 4, 5], a)
    cursor, items = scan.scan_items(server, cursor, 2, lambda: [10, 20, 30], b)
    assert items == [30] and cursor == 0  # position 2 of a fresh snapshot


def test_scan_items_without_alive_and_small():
    server = _FakeServer()
    assert scan.scan_items(server, 0, 10, lambda: [1, 2], object()) == (0, [1, 2])
    assert scan.scan_items(server, 0, 10, lambda: [], object()) == (0, [])


def test_snapshot_element_cap(monkeypatch):
    monkeypatch.setattr(scan, "MAX_SNAPSHOT_ELEMENTS", 100)
    server = _FakeServer()
    token = object()
    first, _ = scan.scan_items(server, 0, 1, lambda: list(range(60)), token)
    second, _ = scan.scan_items(server, 0, 1, lambda: list(range(60)), token)
    assert len(server.scan_snapshots.by_id) == 1  # the older one was evicted
    assert server.scan_snapshots.elements == 60


@pytest.mark.parametrize(
    "arg,value",
    [(b"0", 0), (b"", 0), (b"00", 0), (b"+7", 7), (b"-1", 2**64 - 1), (b"18446744073709551615", 2**64 - 1),
     (b"-18446744073709551615", 1), (b"5\x00x", 5)],
)
def test_parse_cursor(arg, value):
    assert scan.parse_cursor(arg) == value


@pytest.mark.parametrize("arg", [b" 1", b"1 ", b"x", b"+", b"-", b"18446744073709551616", b"1.0", b"0x1"])
def test_parse_cursor_errors(arg):
    with pytest.raises(CommandError) as e:
        scan.parse_cursor(arg)
    assert e.value.message == b"ERR invalid cursor"


def test_parse_scan_options():
    argv = [b"hscan", b"k", b"0", b"MATCH", b"a*", b"count", b"5"]
    assert scan.parse_scan_options(argv, 3) == (b"a*", 5, None)
    assert scan.parse_scan_options([b"scan", b"0", b"TYPE", b"Hash"], 2, allow_type=True) == (None, 10, b"hash")
    assert scan.parse_scan_options([b"scan", b"0", b"MATCH", b"*"], 2) == (None, 10, None)
    for opts, message in (([b"TYPE", b"hash"], b"ERR syntax error"), ([b"COUNT", b"0"], b"ERR syntax error"),
                          ([b"COUNT", b"x"], b"ERR value is not an integer or out of range"),
                          ([b"MATCH"], b"ERR syntax error")):
        with pytest.raises(CommandError) as e:
            scan.parse_scan_options([b"hscan", b"k", b"0", *opts], 3)
        assert e.value.message == message


@pytest.fixture
def embedded():
    import redpy.commands  # noqa: F401  (embedded.py does not import the command table yet)
    from redpy.embedded import EmbeddedServer
    from tests.helpers import Conn, free_port

    # an explicit free port: with port 0 the server opens no TCP listener (cfg.port falsy)
    srv = EmbeddedServer(port=free_port()).start()
    conn = Conn(srv.port)
    yield srv.server, conn
    conn.close()
    srv.stop()


def test_keyspace_hits_and_misses(embedded):
    """Redis counts hits/misses in lookupKeyRead*: EXISTS, TYPE, TTL, TOUCH, OBJECT, COPY's
    source, SCAN's TYPE filter; not in write lookups (DEL, EXPIRE, RENAME, MOVE, PERSIST)."""
    server, conn = embedded
    assert conn.call("MSET", "k", "v", "k2", "v", "n", "1") == b"+OK\r\n"

    def delta(*args):
        hits, misses = server.stat_keyspace_hits, server.stat_keyspace_misses
        conn.call(*args)
        return server.stat_keyspace_hits - hits, server.stat_keyspace_misses - misses

    assert delta("EXISTS", "k", "nokey") == (1, 1)
    assert delta("TYPE", "k") == (1, 0)
    assert delta("TTL", "nokey") == (0, 1)
    assert delta("PTTL", "k") == (1, 0)
    assert delta("EXPIRETIME", "k") == (1, 0)
    assert delta("TOUCH", "k", "k") == (2, 0)
    assert delta("OBJECT", "ENCODING", "k") == (1, 0)
    assert delta("OBJECT", "FREQ", "nokey") == (0, 1)
    assert delta("COPY", "k", "kk") == (1, 0)
    assert delta("SCAN", "0", "MATCH", "k*", "TYPE", "string") == (3, 0)
    assert delta("SCAN", "0") == (0, 0)
    assert delta("KEYS", "*") == (0, 0)
    for args in (("EXPIRE", "k", "100"), ("PERSIST", "k"), ("RENAME", "kk", "k3"), ("MOVE", "k3", "1"),
                 ("DEL", "k2"), ("RANDOMKEY",)):
        assert delta(*args) == (0, 0), args
