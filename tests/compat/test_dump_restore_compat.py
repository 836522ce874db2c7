"""DUMP and RESTORE against redis-server 7.0.15.

Every type and encoding is built on both servers; then
- DUMP payloads must be byte-identical where Redis's bytes are deterministic (all but
  hashtable-encoded sets and hashes with several members, whose order is unspecified);
- each server's payload RESTOREs into the other with the same content (DEBUG
  DIGEST-VALUE) and the same OBJECT ENCODING;
- RESTORE's options and error replies are compared byte for byte;
- streams (several listpack nodes, deleted entries, consumer groups with pending
  entries and consumers) DUMP to Redis's bytes where no time is stored, and restore
  across with the same XINFO STREAM FULL; a 6.x stream payload (STREAM_LISTPACKS)
  restores the same on both;
- FUNCTION DUMP / FUNCTION RESTORE: the payload, each policy and every error.
"""

from __future__ import annotations

import time

import pytest

from ..helpers import Conn

BIG = "v" * 100
CASES = {
    "string-int": [("SET", "k", "12345")],
    "string-bigint": [("SET", "k", "123456789012345")],
    "string-small": [("SET", "k", "hello")],
    "string-lzf": [("SET", "k", "ab" * 200)],
    "string-incompressible": [("SET", "k", "".join(chr(33 + (i * 7919) % 90) for i in range(300)))],
    "string-raw-append": [("SET", "k", "x"), ("APPEND", "k", "yz" * 30)],
    "list-small": [("RPUSH", "k", "a", "1", "-300", "70000", "9999999999", BIG)],
    "list-multinode": [("RPUSH", "k", *[str(i) * (i % 11) for i in range(4000)])],
    "list-big-elements": [("RPUSH", "k", *["e%d" % i + "z" * 3000 for i in range(8)])],
    "hash-listpack": [("HSET", "k", "f1", "v1", "n", "12", "neg", "-5000")],
    "hash-hashtable-one": [("HSET", "k", "f", "w" * 100)],
    "set-intset-16": [("SADD", "k", "1", "2", "-3")],
    "set-intset-32": [("SADD", "k", "1", "70000")],
    "set-intset-64": [("SADD", "k", "1", "9999999999")],
    "set-hashtable-one": [("SADD", "k", "member")],
    "zset-listpack": [("ZADD", "k", "1", "a", "2.5", "b", "-3", "c", "1e300", "d", "inf", "e", "-inf", "f", "0.1", "g")],
    "zset-skiplist": [("ZADD", "k", *[x for i in range(200) for x in (str(i / 7), "m%d" % i)])],
    "zset-skiplist-long-member": [("ZADD", "k", "1", "m" * 100, "2", "n")],
    # streams without consumer groups store no clock: the bytes are Redis's
    "stream-small": [("XADD", "k", "1-1", "a", "1", "b", "hello"), ("XADD", "k", "1-2", "a", "-70000", "b", BIG)],
    "stream-fields-differ": [("XADD", "k", "5-0", "a", "1"), ("XADD", "k", "6-0", "x", "y", "z", "12"),
                             ("XADD", "k", "7-0", "a", "2")],
    # 250 entries: three nodes at the default stream-node-max-entries 100
    "stream-multinode": [("XADD", "k", "%d-%d" % (i // 3 + 1, i % 3), "f", str(i), "g", "v" * (i % 9))
                         for i in range(250)],
    "stream-deleted": [*[("XADD", "k", "%d-0" % i, "f", str(i)) for i in range(1, 150)],
                       ("XDEL", "k", "3-0", "50-0", "101-0", "149-0"),
                       ("XDEL", "k", *["%d-0" % i for i in range(101, 149)])],
    "stream-emptied": [("XADD", "k", "9-9", "f", "v"), ("XDEL", "k", "9-9")],
    "stream-trimmed": [*[("XADD", "k", "%d-0" % (i + 1), "f", str(i)) for i in range(30)], ("XTRIM", "k", "MAXLEN", "7")],
    "stream-minid": [*[("XADD", "k", "%d-1" % i, "f", str(i)) for i in range(1, 20)],
                     ("XTRIM", "k", "MINID", "11")],
    "stream-setid": [("XADD", "k", "1-1", "f", "v"), ("XSETID", "k", "99-0", "ENTRIESADDED", "40", "MAXDELETEDID", "50-5")],
    "stream-empty-group": [("XGROUP", "CREATE", "k", "g", "$", "MKSTREAM"), ("XGROUP", "CREATE", "k", "123", "0")],
}
# hashtable encodings whose member order Redis does not define: content compared only
UNORDERED = {
    "hash-hashtable": [("HSET", "k", *[x for i in range(600) for x in ("f%d" % i, "v%d" % i)])],
    "set-hashtable": [("SADD", "k", *["m%d" % i for i in range(300)])],
    "set-intset-converted": [("SADD", "k", *[str(i) for i in range(600)])],
}


def _build(conn: Conn, cmds) -> None:
    for cmd in cmds:
        reply = conn.call(*cmd)
        assert not reply.startswith(b"-"), (cmd, reply)


def _bulk(reply: bytes) -> bytes:
    assert reply.startswith(b"$"), reply
    head, _, rest = reply.partition(b"\r\n")
    return rest[: int(head[1:])]


def _content(conn: Conn, key: str):
    return conn.call("DEBUG", "DIGEST-VALUE", key), conn.call("OBJECT", "ENCODING", key), conn.call("TYPE", key)


@pytest.mark.parametrize("name", sorted(CASES))
def test_dump_identical(both, name):
    _build(both.oracle, CASES[name])
    _build(both.mine, CASES[name])
    both.check("DUMP", "k")


@pytest.mark.parametrize("name", sorted(CASES) + sorted(UNORDERED))
def test_cross_restore(both, name):
    cmds = CASES.get(name) or UNORDERED[name]
    _build(both.oracle, cmds)
    _build(both.mine, cmds)
    theirs = _bulk(both.oracle.call("DUMP", "k"))
    mine = _bulk(both.mine.call("DUMP", "k"))
    # redis's payload into redpy, redpy's into redis
    assert both.mine.call("RESTORE", "r", "0", theirs) == b"+OK\r\n"
    assert both.oracle.call("RESTORE", "r", "0", mine) == b"+OK\r\n"
    want = _content(both.oracle, "k")
    assert _content(both.oracle, "r") == want
    assert _content(both.mine, "r") == want
    assert _content(both.mine, "k") == want


# streams whose groups store delivery and seen times: content compared, not bytes
STREAM_GROUPS = [
    *[("XADD", "k", "%d-1" % i, "f", "v%d" % i) for i in range(1, 12)],
    ("XGROUP", "CREATE", "k", "g1", "0"),
    ("XGROUP", "CREATE", "k", "g2", "$"),
    ("XGROUP", "CREATE", "k", "77", "0"),
    ("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "3", "STREAMS", "k", ">"),
    ("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "2", "STREAMS", "k", ">"),
    ("XREADGROUP", "GROUP", "77", "bob", "COUNT", "2", "STREAMS", "k", ">"),
    ("XGROUP", "CREATECONSUMER", "k", "g1", "carol"),
    ("XACK", "k", "g1", "2-1"),
    ("XDEL", "k", "3-1", "9-1"),
    ("XCLAIM", "k", "g1", "carol", "0", "4-1", "RETRYCOUNT", "7"),
    ("XGROUP", "SETID", "k", "g2", "5-1", "ENTRIESREAD", "3"),
]


def _stream_view(conn: Conn, key: str):
    """Everything a stream shows but the idle times, which move with the clock."""
    return (
        conn.call("XINFO", "STREAM", key, "FULL"),
        conn.call("XINFO", "STREAM", key),
        conn.call("XINFO", "GROUPS", key),
        conn.call("XPENDING", key, "g1"),
        conn.call("XRANGE", key, "-", "+"),
        conn.call("DEBUG", "DIGEST-VALUE", key),
        conn.call("OBJECT", "ENCODING", key),
    )


@pytest.mark.parametrize("name", sorted(n for n in CASES if n.startswith("stream")) + ["stream-groups"])
def test_stream_cross_restore(both, name):
    cmds = CASES.get(name) or STREAM_GROUPS
    _build(both.oracle, cmds)
    _build(both.mine, cmds)
    theirs = _bulk(both.oracle.call("DUMP", "k"))
    mine = _bulk(both.mine.call("DUMP", "k"))
    assert both.mine.call("RESTORE", "r", "0", theirs) == b"+OK\r\n"
    assert both.oracle.call("RESTORE", "r", "0", mine) == b"+OK\r\n"
    # each restored copy shows what its source shows (times included)
    for src, dst in ((both.oracle, both.mine), (both.mine, both.oracle)):
        want = tuple(v.replace(b"'k'", b"'r'") for v in _stream_view(src, "k"))
        assert _stream_view(dst, "r") == want
    # a restored stream dumps to the bytes it was restored from
    assert _bulk(both.mine.call("DUMP", "r")) == theirs
    # and keeps working the same: new entries go to the same nodes
    for cmd in (("XADD", "r", "*", "f", "v"), ("XDEL", "r", "10-1"), ("XTRIM", "r", "MAXLEN", "~", "2")):
        o, m = both.call(*cmd)
        assert (o[:1] == b"-") == (m[:1] == b"-"), cmd
    info = [both.call("XINFO", "STREAM", "r")[i] for i in (0, 1)]
    assert info[0].split(b"last-generated-id")[0] == info[1].split(b"last-generated-id")[0]


def test_stream_restored_keeps_node_layout(both):
    """Nodes split by stream-node-max-bytes (long values) and holding deleted entries:
    after RESTORE of Redis's payload, further XADDs fill the nodes as Redis does."""
    for i in range(1, 40):
        both.oracle.call("XADD", "k", "%d-0" % i, "f", "v" * (i * 37 % 900), "n", str(i))
    both.oracle.call("XDEL", "k", "3-0", "17-0", "39-0")
    payload = _bulk(both.oracle.call("DUMP", "k"))
    both.check("RESTORE", "r", "0", payload)
    for i in range(40, 80):
        both.check("XADD", "r", "%d-0" % i, "f", "w" * (i * 53 % 1200), "n", str(i))
        if i % 9 == 0:
            both.check("XDEL", "r", "%d-0" % (i - 3))
    both.check("XINFO", "STREAM", "r")
    both.check("DUMP", "r")


def _v1_stream_payload(v2: bytes) -> bytes:
    """A STREAM_LISTPACKS (type 15, Redis 5/6) payload from a type 19 one: without the
    first ID, max deleted ID and entries added, and without each group's entries read."""
    from redpy.persistence.crc64 import crc64
    from redpy.persistence.rdb import Reader

    assert v2[0] == 19
    r = Reader(v2, 1, len(v2) - 10)
    out = [b"\x0f"]
    mark = r.pos
    for _ in range(r.length()):
        r.string()
        r.string()
    r.length()  # length
    r.length(), r.length()  # last id
    out.append(v2[mark : r.pos])
    for _ in range(5):  # first id, max deleted id, entries added
        r.length()
    mark = r.pos
    ngroups = r.length()
    for _ in range(ngroups):
        r.string()
        r.length(), r.length()
        out.append(v2[mark : r.pos])
        r.length()  # entries read
        mark = r.pos
        for _ in range(r.length()):
            r.read(16 + 8)
            r.length()
        for _ in range(r.length()):
            r.string()
            r.read(8)
            for _ in range(r.length()):
                r.read(16)
    out.append(v2[mark : r.pos])
    assert r.pos == len(v2) - 10
    body = b"".join(out) + b"\x0a\x00"
    return body + crc64(0, body).to_bytes(8, "little")


@pytest.mark.parametrize("name", ["stream-deleted", "stream-groups", "stream-emptied"])
def test_stream_v1_payload(both, name):
    """Redis 7.0 upgrades a 6.x stream on load (entries added = length, first ID from
    the entries, group offsets estimated): both servers must agree."""
    cmds = CASES.get(name) or STREAM_GROUPS
    _build(both.oracle, cmds)
    v1 = _v1_stream_payload(_bulk(both.oracle.call("DUMP", "k")))
    both.check("RESTORE", "r", "0", v1)
    want = _stream_view(both.oracle, "r")
    assert _stream_view(both.mine, "r") == want
    assert want[0] != _stream_view(both.oracle, "k")[0] or name == "stream-emptied"  # upgraded, not copied


def test_stream_restore_errors(both):
    from redpy.persistence.crc64 import crc64

    def payload(body: bytes) -> bytes:
        p = body + b"\x0a\x00"
        return p + crc64(0, p).to_bytes(8, "little")

    both.check("XADD", "s", "1-1", "f", "v")
    good = _bulk(both.oracle.call("DUMP", "s"))
    for bad in (
        good[:5],  # truncated
        b"\x13\x01\x05abcde",  # node key not 16 bytes
        b"\x13\x00\x02",  # metadata cut short
    ):
        both.check("RESTORE", "n", "0", payload(bad))
    both.check("EXISTS", "n")


def test_restore_old_encodings(both):
    """Payloads of encodings Redis 7.0 no longer writes (ziplist, zipmap, text scores)."""
    from redpy.persistence.crc64 import crc64

    def payload(t: int, body: bytes) -> bytes:
        p = bytes((t,)) + body + b"\x0a\x00"
        return p + crc64(0, p).to_bytes(8, "little")

    def s(b: bytes) -> bytes:
        return bytes((len(b),)) + b


    # ziplist of ["a", 1, "bc"]: prevlen, encoding, data
    entries = b"\x00\x01a" + b"\x03\xf2" + b"\x02\x02bc"
    ziplist = (10 + len(entries) + 1).to_bytes(4, "little") + (10 + 5).to_bytes(4, "little") + (3).to_bytes(2, "little") + entries + b"\xff"
    hz_entries = b"\x00\x01f" + b"\x03\x01v"
    hz = (10 + len(hz_entries) + 1).to_bytes(4, "little") + (13).to_bytes(4, "little") + (2).to_bytes(2, "little") + hz_entries + b"\xff"
    zipmap = b"\x01\x01f\x02\x00vv\xff"
    cases = [
        payload(1, b"\x02" + s(b"a") + s(b"b")),  # linked list
        payload(10, s(ziplist)),  # list ziplist
        payload(14, b"\x01" + s(ziplist)),  # quicklist v1
        payload(3, b"\x02" + s(b"a") + b"\x031.5" + s(b"b") + b"\xfe"),  # zset, text scores
        payload(13, s(hz)),  # hash ziplist
        payload(9, s(zipmap)),  # hash zipmap
        payload(4, b"\x01" + s(b"f") + s(b"v")),  # hash hashtable
        payload(2, b"\x02" + s(b"1") + s(b"x")),  # set
    ]
    for i, p in enumerate(cases):
        key = "old%d" % i
        both.check("RESTORE", key, "0", p)
        assert _content(both.mine, key) == _content(both.oracle, key), i


def test_restore_errors(both):
    both.check("SET", "s", "v")
    good = _bulk(both.oracle.call("DUMP", "s"))
    for args in (
        ("RESTORE", "s", "0", good),  # BUSYKEY
        ("RESTORE", "n", "-1", good),
        ("RESTORE", "n", "abc", good),
        ("RESTORE", "n", "0", "bad"),
        ("RESTORE", "n", "0", good[:-1] + bytes((good[-1] ^ 1,))),
        ("RESTORE", "n", "0", good[:-10] + b"\x0b\x00" + good[-8:]),
        ("RESTORE", "n", "0", good, "IDLETIME", "-1"),
        ("RESTORE", "n", "0", good, "IDLETIME", "x"),
        ("RESTORE", "n", "0", good, "FREQ", "256"),
        ("RESTORE", "n", "0", good, "FREQ", "-1"),
        ("RESTORE", "n", "0", good, "IDLETIME", "1", "FREQ", "1"),
        ("RESTORE", "n", "0", good, "FREQ", "1", "IDLETIME", "1"),
        ("RESTORE", "n", "0", good, "IDLETIME"),
        ("RESTORE", "n", "0", good, "BOGUS"),
        ("RESTORE", "s", "-1", good),  # BUSYKEY is checked before the TTL
        ("RESTORE", "s", "0", good, "BOGUS"),  # options before the key
        ("RESTORE", "n"),
        ("DUMP", "missing"),
        ("DUMP",),
    ):
        both.check(*args)
    # a valid checksum over a value that does not decode
    from redpy.persistence.crc64 import crc64

    # a string running into the footer loads (Redis reads from the whole payload);
    # one running past the payload's end does not decode
    body = b"\x00\x05hel\x0a\x00"
    both.check("RESTORE", "n", "0", body + crc64(0, body).to_bytes(8, "little"))
    both.check("GET", "n")
    body = b"\x00\x30hel\x0a\x00"
    both.check("RESTORE", "n2", "0", body + crc64(0, body).to_bytes(8, "little"))
    empty_set = b"\x02\x00\x0a\x00"
    both.check("RESTORE", "n3", "0", empty_set + crc64(0, empty_set).to_bytes(8, "little"))
    both.check("EXISTS", "n2", "n3")


def test_restore_options(both):
    both.check("RPUSH", "l", "a", "b")
    payload = _bulk(both.oracle.call("DUMP", "l"))
    both.check("RESTORE", "l", "0", payload, "REPLACE")
    both.check("RESTORE", "t", "100000", payload)
    o, m = both.call("PTTL", "t")
    # approximate TTL: a few ms may pass between the two calls
    assert abs(int(o[1:-2]) - int(m[1:-2])) < 1000 and int(m[1:-2]) > 98000
    future = int(time.time() * 1000) + 500000
    both.check("RESTORE", "a", str(future), payload, "ABSTTL", "IDLETIME", "10")
    o, m = both.call("PEXPIRETIME", "a")
    assert o == m == b":%d\r\n" % future
    # a deadline in the past: OK, and REPLACE deletes the old key
    both.check("RESTORE", "gone", "1", payload, "ABSTTL")
    both.check("EXISTS", "gone")
    both.check("RESTORE", "l", "1", payload, "ABSTTL", "REPLACE", "FREQ", "5")
    both.check("EXISTS", "l")
    both.check("RESTORE", "x", "0", payload, "replace", "absttl")
    both.check("LRANGE", "x", "0", "-1")


_WAKE_CASES = {
    "list": (("RPUSH", "src", "hello"), b"*3\r\n$5\r\nBLPOP\r\n$4\r\ndest\r\n$1\r\n5\r\n",
             b"*2\r\n$4\r\ndest\r\n$5\r\nhello\r\n"),
    "stream": (("XADD", "src", "5-1", "f", "v"),
               b"*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$4\r\n5000\r\n$7\r\nSTREAMS\r\n$4\r\ndest\r\n$1\r\n0\r\n",
               b"*1\r\n*2\r\n$4\r\ndest\r\n*1\r\n*2\r\n$3\r\n5-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
}


@pytest.mark.parametrize("server", ["oracle", "redpy_server"])
@pytest.mark.parametrize("kind", sorted(_WAKE_CASES))
def test_restore_wakes_blocked_client(request, server, kind):
    """BLPOP / XREAD BLOCK on a missing key is served by the RESTORE that creates it (the
    replies are the oracle's, checked on both)."""
    make, block, served = _WAKE_CASES[kind]
    srv = request.getfixturevalue(server)
    c1, c2 = srv.conn(), srv.conn()
    try:
        c1.call("FLUSHALL")
        c1.call(*make)
        payload = _bulk(c1.call("DUMP", "src"))
        c2.send_raw(block)
        time.sleep(0.1)
        assert c1.call("RESTORE", "dest", "0", payload) == b"+OK\r\n"
        assert c2.read_reply() == served
    finally:
        c1.close()
        c2.close()


def test_migrate(both):
    """MIGRATE from each server to the same target (a third server, the oracle's binary):
    replies, local deletions and the target's content must be the same for both."""
    from ..helpers import ServerProcess, free_port

    target = ServerProcess("oracle", "--requirepass", "pw")
    closed_port = free_port()
    try:
        t = target.conn()
        t.call("AUTH", "pw")
        tp = str(target.port)
        script = [
            ("SET", "a", "1"),
            ("RPUSH", "l", "x", "y"),
            ("ZADD", "z", "1", "m"),
            ("SET", "t", "v", "PX", "100000"),
            ("MIGRATE", "127.0.0.1", tp, "a", "0", "1000", "AUTH", "pw"),
            ("EXISTS", "a"),
            ("MIGRATE", "127.0.0.1", tp, "l", "2", "1000", "COPY", "AUTH2", "default", "pw"),
            ("EXISTS", "l"),
            ("MIGRATE", "127.0.0.1", tp, "l", "2", "1000", "AUTH", "pw"),  # BUSYKEY on the target
            ("MIGRATE", "127.0.0.1", tp, "l", "2", "1000", "REPLACE", "AUTH", "pw"),
            ("MIGRATE", "127.0.0.1", tp, "", "0", "0", "AUTH", "pw", "KEYS", "z", "t", "missing"),
            ("EXISTS", "z", "t"),
            ("MIGRATE", "127.0.0.1", tp, "missing", "0", "1000"),
            ("SET", "b", "2"),
            ("MIGRATE", "127.0.0.1", tp, "b", "0", "1000", "AUTH", "wrong"),
            ("MIGRATE", "127.0.0.1", tp, "b", "0", "1000"),  # NOAUTH from the target
            ("MIGRATE", "127.0.0.1", str(closed_port), "b", "0", "100"),
            ("MIGRATE", "127.0.0.1", tp, "b", "0", "1000", "KEYS", "b"),
            ("MIGRATE", "127.0.0.1", tp, "b", "x", "1000"),
            ("MIGRATE", "127.0.0.1", tp, "b", "0", "x"),
            ("MIGRATE", "127.0.0.1", tp, "b", "0", "1000", "AUTH"),
            ("MIGRATE", "127.0.0.1", tp, "b", "0", "1000", "BOGUS"),
            ("EXISTS", "b"),
        ]
        results = []
        for conn in (both.oracle, both.mine):
            t.call("FLUSHALL")
            replies = [conn.call(*cmd) for cmd in script]
            state = []
            for db in ("0", "2"):
                t.call("SELECT", db)
                for key in ("a", "l", "z", "t", "b"):
                    state.append((db, key, t.call("DEBUG", "DIGEST-VALUE", key), t.call("TTL", key)))
            t.call("SELECT", "0")
            results.append((replies, state))
        for cmd, want, got in zip(script, results[0][0], results[1][0]):
            assert got == want, (cmd, got, want)
        assert results[0][1] == results[1][1]
    finally:
        target.stop()


# ---------------------------------------------------------------------- functions

LIB = "#!lua name=%s\nredis.register_function('%s', function() return %d end)"
LIB_NAMES = ("lib1", "lib2", "lib3", "lib4", "lib8", "lib9")


def _libraries(conn: Conn):
    """FUNCTION LIST WITHCODE library by library (the order of the list is a dict's)."""
    return [conn.call("FUNCTION", "LIST", "LIBRARYNAME", name, "WITHCODE") for name in LIB_NAMES]


@pytest.fixture
def fboth(both):
    both.check("FUNCTION", "FLUSH")
    yield both
    both.check("FUNCTION", "FLUSH")


def _fpayload(body: bytes, version: int = 10) -> bytes:
    from redpy.persistence.crc64 import crc64

    p = body + version.to_bytes(2, "little")
    return p + crc64(0, p).to_bytes(8, "little")


def _frec(code: str) -> bytes:
    from redpy.persistence.rdb import enc_string

    return b"\xf5" + enc_string(code.encode(), False)


def test_function_dump_and_restore_policies(fboth):
    both = fboth
    both.check("FUNCTION", "DUMP")  # no libraries: just the footer
    both.check("FUNCTION", "LOAD", LIB % ("lib1", "f1", 1))
    one = both.check("FUNCTION", "DUMP")  # one library: the same bytes
    payload = _bulk(one)
    for args in ((), ("APPEND",), ("replace",), ("FLUSH",), ("bad",), ("FLUSH", "x")):
        both.check("FUNCTION", "RESTORE", payload, *args)
    for bad in ("garbage", "", payload[:-1] + bytes((payload[-1] ^ 1,))):
        both.check("FUNCTION", "RESTORE", bad)
    both.check("FUNCTION", "RESTORE")
    both.check("FUNCTION", "LOAD", LIB % ("lib2", "f2", 2))
    # each server's two-library payload restores into the other
    theirs = _bulk(both.oracle.call("FUNCTION", "DUMP"))
    mine = _bulk(both.mine.call("FUNCTION", "DUMP"))
    want = _libraries(both.oracle)
    assert _libraries(both.mine) == want
    assert both.mine.call("FUNCTION", "RESTORE", theirs, "FLUSH") == b"+OK\r\n"
    assert both.oracle.call("FUNCTION", "RESTORE", mine, "FLUSH") == b"+OK\r\n"
    assert _libraries(both.mine) == want and _libraries(both.oracle) == want
    both.check("FCALL", "f2", "0")


def test_function_restore_errors(fboth):
    both = fboth
    both.check("FUNCTION", "LOAD", LIB % ("lib1", "f1", 1))
    cases = [
        _fpayload(b""),  # empty: OK, nothing changes
        _fpayload(b"\x00\x01x"),  # not a function record
        _fpayload(_frec(LIB % ("lib1", "f1b", 11))),  # library exists (APPEND) / replaced
        _fpayload(_frec(LIB % ("lib3", "f1b", 3))),  # function name held by lib1
        _fpayload(_frec(LIB % ("lib2", "f2", 2)) * 2),  # one library twice
        _fpayload(_frec(LIB % ("lib4", "f4", 4) + "\nredis.register_function('f4', function() end)")),
        _fpayload(b"\xf5\x40"),  # truncated record
        _fpayload(_frec("#!lua name=x\nfoo(")),  # does not compile
        _fpayload(_frec("return 1")),  # no shebang
        _fpayload(_frec("#!lua name=lib2\nreturn 1")),  # registers nothing
        # the 7.0-rc record: name, engine, has-description, [description,] code
        _fpayload(b"\xf6\x04lib9\x03LUA\x00" + _frec("redis.register_function('f9', function() return 9 end)")[1:]),
        _fpayload(b"\xf6\x04lib8\x03LUA\x01\x04desc" + _frec("redis.register_function('f8', function() return 8 end)")[1:]),
        _fpayload(b"\xf6\x04lib7"),
        _fpayload(b"", 11),  # a newer RDB version
        b"\x0a\x00" + b"\x00" * 7,
    ]
    for p in cases:
        for policy in ((), ("REPLACE",)):
            both.check("FUNCTION", "RESTORE", p, *policy)
            assert _libraries(both.mine) == _libraries(both.oracle)
    both.check("FUNCTION", "RESTORE", _fpayload(_frec(LIB % ("lib2", "f2", 2))), "FLUSH")
    assert _libraries(both.mine) == _libraries(both.oracle)
    both.check("FCALL", "f2", "0")
    both.check("FCALL", "f9", "0")


def test_restore_and_reload_keep_lru_and_lfu_clocks(both):
    """objectSetLRUOrLFU: RESTORE's IDLETIME (under an LRU policy) and FREQ (under an
    LFU one) set the key's clock, and DEBUG RELOAD keeps it through the IDLE/FREQ
    records of the file."""
    try:
        both.check("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
        both.check("SET", "s", "v")
        payload = _bulk(both.oracle.call("DUMP", "s"))
        both.check("RESTORE", "idle", "0", payload, "IDLETIME", "1000")
        both.check("RESTORE", "freq", "0", payload, "FREQ", "77")  # not an LFU policy: ignored
        both.check("OBJECT", "IDLETIME", "idle")
        both.check("DEBUG", "RELOAD")
        both.check("OBJECT", "IDLETIME", "idle")
        both.check("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
        both.check("RESTORE", "f2", "0", payload, "FREQ", "77")
        both.check("RESTORE", "i2", "0", payload, "IDLETIME", "5")  # not an LRU policy: ignored
        both.check("OBJECT", "FREQ", "f2")
        both.check("DEBUG", "RELOAD")
        both.check("OBJECT", "FREQ", "f2")
        both.check("OBJECT", "FREQ", "i2")
    finally:
        both.check("CONFIG", "SET", "maxmemory-policy", "noeviction")
