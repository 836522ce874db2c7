"""Keyspace notifications against the oracle: the exact message streams of every group.

A subscriber on each server listens with PSUBSCRIBE __key*@*__:*; the same commands run on
both (replies compared too) and the raw bytes each subscriber received must be equal.
"""

import time

import pytest


@pytest.fixture
def subs(both, oracle, redpy_server):
    conns = (oracle.conn(), redpy_server.conn())
    for conn in conns:
        conn.call("PSUBSCRIBE", "__key*@*__:*")
    yield conns
    for conn in conns:
        conn.close()
    both.call("CONFIG", "SET", "notify-keyspace-events", "")
    both.call("SELECT", "0")


def stream(both, subs, flags, *commands, check=True):
    """Run commands with notify-keyspace-events=flags; compare the subscribers' streams."""
    both.check("CONFIG", "SET", "notify-keyspace-events", flags)
    for cmd in commands:
        if cmd[0] == "SPOP" and len(cmd) == 3:
            # the reply's order is unspecified (Redis walks its hash table): compare sorted
            o, m = both.call(*cmd)
            assert sorted(o.split(b"\r\n")) == sorted(m.split(b"\r\n")), cmd
        elif check:
            both.check(*cmd)
        else:
            both.call(*cmd)
    both.check("CONFIG", "SET", "notify-keyspace-events", "")
    want = subs[0].read_available(0.3)
    got = subs[1].read_available(0.3)
    assert got == want, f"{flags}: redpy {messages(got)} != redis {messages(want)}"
    return want


def messages(raw: bytes) -> list:
    """The (channel, message) pairs of a stream of RESP2 pmessage arrays, for diffs."""
    out, pos = [], 0
    while pos < len(raw):
        assert raw.startswith(b"*4\r\n", pos), raw[pos:]
        pos += 4
        items = []
        for _ in range(4):
            end = raw.index(b"\r\n", pos)
            n = int(raw[pos + 1 : end])
            items.append(raw[end + 2 : end + 2 + n].decode())
            pos = end + 4 + n
        out.append((items[2], items[3]))
    return out


def c(*args):
    return args


STRINGS = [
    c("SET", "s", "1"), c("SET", "s", "2", "EX", "100"), c("SET", "s", "3", "KEEPTTL"),
    c("SET", "s", "4", "NX"), c("SET", "s2", "x", "XX"), c("SET", "s", "5", "GET", "PX", "5000"),
    c("SETNX", "s3", "a"), c("SETNX", "s3", "b"), c("SETEX", "s4", "10", "v"),
    c("PSETEX", "s5", "1000", "v"), c("MSET", "m1", "a", "m2", "b"), c("MSETNX", "m3", "a", "m4", "b"),
    c("MSETNX", "m3", "a", "m5", "b"), c("GETSET", "s", "6"), c("GETSET", "g", "6"),
    c("APPEND", "s", "xx"), c("APPEND", "ap", "yy"), c("SETRANGE", "s", "1", "zz"),
    c("SETRANGE", "sr", "2", "zz"), c("SETRANGE", "sr0", "0", ""), c("INCR", "n"), c("DECR", "n"),
    c("INCRBY", "n", "5"), c("DECRBY", "n", "2"), c("INCRBYFLOAT", "f", "1.5"),
    c("GETDEL", "f"), c("GETDEL", "f"), c("GETEX", "s", "EX", "100"), c("GETEX", "s", "PERSIST"),
    c("GETEX", "s", "PERSIST"), c("GETEX", "s"), c("GETEX", "m1", "PXAT", "1"),
    c("SET", "k", "v", "PXAT", "1"), c("GET", "k"),
]

KEYS = [
    c("SET", "a", "1"), c("SET", "b", "2"), c("DEL", "a", "b", "c"), c("SET", "a", "1"),
    c("UNLINK", "a", "zz"), c("SET", "a", "1"), c("EXPIRE", "a", "100"), c("EXPIRE", "a", "100", "NX"),
    c("PEXPIRE", "a", "100000"), c("EXPIREAT", "a", "99999999999"), c("PERSIST", "a"),
    c("PERSIST", "a"), c("PEXPIREAT", "a", "1"), c("SET", "a", "1"), c("RENAME", "a", "b"),
    c("SET", "a", "2"), c("RENAME", "a", "b"), c("RENAMENX", "b", "c"), c("SET", "d", "1"),
    c("RENAMENX", "c", "d"), c("RENAME", "c", "c"), c("MOVE", "c", "1"), c("COPY", "d", "e"),
    c("COPY", "d", "e", "REPLACE"), c("COPY", "d", "e", "DB", "2"), c("EXPIRE", "d", "0"),
    c("SET", "t", "1", "PX", "100000"), c("SWAPDB", "0", "1"), c("SWAPDB", "0", "1"), c("FLUSHDB"),
    c("SET", "z", "1"), c("FLUSHALL"),
]

LISTS = [
    c("LPUSH", "l", "a", "b", "c"), c("RPUSH", "l", "d"), c("LPUSHX", "l", "e"), c("RPUSHX", "l", "f"),
    c("LPUSHX", "nol", "e"), c("LINSERT", "l", "BEFORE", "a", "x"), c("LINSERT", "l", "AFTER", "zz", "x"),
    c("LSET", "l", "0", "y"), c("LPOP", "l"), c("RPOP", "l"), c("LPOP", "l", "2"), c("RPOP", "l", "1"),
    c("LREM", "l", "0", "x"), c("LREM", "l", "0", "nothing"), c("RPUSH", "l", "1", "2", "3", "4"),
    c("LTRIM", "l", "0", "-1"), c("LTRIM", "l", "1", "2"), c("LMOVE", "l", "l2", "LEFT", "RIGHT"),
    c("RPOPLPUSH", "l", "l2"), c("RPOPLPUSH", "l2", "l2"), c("LMPOP", "2", "x", "l2", "LEFT", "COUNT", "5"),
    c("RPUSH", "l", "a"), c("LTRIM", "l", "1", "0"), c("RPUSH", "l", "a"), c("LREM", "l", "1", "a"),
    c("RPUSH", "l", "a", "b"), c("BLPOP", "l", "0"), c("BRPOP", "l", "0"), c("RPUSH", "l", "a", "b"),
    c("BLMOVE", "l", "l3", "RIGHT", "LEFT", "0"), c("BRPOPLPUSH", "l", "l3", "0"),
    c("BLMPOP", "0", "1", "l3", "RIGHT", "COUNT", "1"),
]

HASHES = [
    c("HSET", "h", "a", "1", "b", "2"), c("HSET", "h", "a", "1"), c("HMSET", "h", "c", "3"),
    c("HSETNX", "h", "a", "2"), c("HSETNX", "h", "d", "2"), c("HINCRBY", "h", "n", "2"),
    c("HINCRBYFLOAT", "h", "f", "1.5"), c("HDEL", "h", "zz"), c("HDEL", "h", "a", "b"),
    c("HDEL", "h", "c", "d", "n", "f"), c("HGET", "h", "a"),
]

SETS = [
    c("SADD", "s", "a", "b", "c"), c("SADD", "s", "a"), c("SREM", "s", "zz"), c("SREM", "s", "a"),
    c("SMOVE", "s", "t", "b"), c("SMOVE", "s", "t", "nope"), c("SMOVE", "s", "s", "c"),
    c("SMOVE", "s", "t", "c"), c("SADD", "x", "1", "2"), c("SADD", "y", "2", "3"),
    c("SINTERSTORE", "d", "x", "y"), c("SUNIONSTORE", "d", "x", "y"), c("SDIFFSTORE", "d", "x", "y"),
    c("SINTERSTORE", "d", "x", "nokey"), c("SINTERSTORE", "d", "x", "nokey"),
    c("SDIFFSTORE", "d", "x", "x"), c("SUNIONSTORE", "d", "n1", "n2"), c("SADD", "one", "a"),
    c("SPOP", "one"), c("SADD", "one", "a", "b"), c("SPOP", "one", "5"), c("SADD", "one", "a"),
    c("SPOP", "one", "0"), c("SPOP", "one", "1"), c("SPOP", "nokey"),
]

ZSETS = [
    c("ZADD", "z", "1", "a", "2", "b", "3", "c"), c("ZADD", "z", "1", "a"), c("ZADD", "z", "INCR", "5", "a"),
    c("ZADD", "z", "NX", "1", "a"), c("ZINCRBY", "z", "1", "b"), c("ZREM", "z", "zz"), c("ZREM", "z", "c"),
    c("ZADD", "z", "1", "c", "2", "d", "3", "e"), c("ZREMRANGEBYSCORE", "z", "100", "200"),
    c("ZREMRANGEBYSCORE", "z", "1", "1"), c("ZREMRANGEBYRANK", "z", "0", "0"),
    c("ZADD", "lex", "0", "a", "0", "b", "0", "c"), c("ZREMRANGEBYLEX", "lex", "[a", "[b"),
    c("ZREMRANGEBYLEX", "lex", "-", "+"), c("ZPOPMIN", "z"), c("ZPOPMAX", "z"), c("ZPOPMIN", "z", "10"),
    c("ZADD", "x", "1", "a", "2", "b"), c("ZADD", "y", "1", "b"), c("ZUNIONSTORE", "d", "2", "x", "y"),
    c("ZINTERSTORE", "d", "2", "x", "y"), c("ZDIFFSTORE", "d", "2", "x", "y"),
    c("ZINTERSTORE", "d", "2", "x", "nokey"), c("ZINTERSTORE", "d", "2", "x", "nokey"),
    c("ZRANGESTORE", "d2", "x", "0", "-1"), c("ZRANGESTORE", "d2", "x", "5", "6"),
    c("ZMPOP", "1", "x", "MIN"), c("BZPOPMIN", "x", "0"), c("ZADD", "x", "1", "a", "2", "b"),
    c("BZPOPMAX", "x", "0"), c("BZMPOP", "0", "1", "x", "MAX", "COUNT", "3"),
]

BITS = [
    c("SETBIT", "b", "7", "1"), c("SETBIT", "b", "7", "1"), c("SETBIT", "b2", "100", "0"),
    c("BITOP", "AND", "d", "b", "b2"), c("BITOP", "OR", "d", "nokey"), c("BITOP", "OR", "d", "nokey"),
    c("BITFIELD", "bf", "SET", "u8", "0", "1", "INCRBY", "u8", "0", "1"), c("BITFIELD", "bf", "GET", "u8", "0"),
    c("BITFIELD_RO", "bf", "GET", "u8", "0"),
]

OTHER = [
    c("RPUSH", "l", "3", "1", "2"), c("SORT", "l", "STORE", "d"), c("SORT", "nokey", "STORE", "d"),
    c("SORT", "nokey", "STORE", "d"), c("MULTI"), c("SET", "a", "1"), c("LPUSH", "l", "x"), c("EXEC"),
]

GROUPS = {"strings": STRINGS, "keys": KEYS, "lists": LISTS, "hashes": HASHES, "sets": SETS,
          "zsets": ZSETS, "bits": BITS, "other": OTHER}  # fmt: skip


@pytest.mark.parametrize("flags", ["KEA", "KA", "EA", "KEAn", "Kg", "E$", "El", "Es", "Eh", "Ez", "Ex", "Kn", "En"])
@pytest.mark.parametrize("group", list(GROUPS))
def test_streams(both, subs, group, flags):
    stream(both, subs, flags, *GROUPS[group])


def test_disabled_is_silent(both, subs):
    assert stream(both, subs, "", *STRINGS[:5]) == b""
    # only K or only E without a class: nothing either
    assert stream(both, subs, "KE", c("SET", "a", "1"), c("DEL", "a")) == b""


def test_lazy_expiry_and_other_dbs(both, subs):
    # active expiry off, so that the keys expire on access (a lazy "expired" event)
    both.check("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        both.check("SET", "k", "v", "PX", "1")
        both.check("SELECT", "3")
        both.check("SET", "k3", "v", "PX", "1")
        both.check("SET", "k4", "v", "PX", "1")
        time.sleep(0.01)
        got = stream(both, subs, "KEA", c("GET", "k3"), c("SET", "k4", "w"), c("SELECT", "0"), c("EXISTS", "k"),
                     c("SET", "n", "1"))
        assert got.count(b"expired") == 6
    finally:
        both.check("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_active_expiry(both, subs):
    both.check("CONFIG", "SET", "notify-keyspace-events", "Ex")
    both.check("SET", "k", "v", "PX", "20")
    time.sleep(0.4)
    want = subs[0].read_available(0.3)
    got = subs[1].read_available(0.3)
    assert want and got == want


def test_blocked_client_served(both, subs, oracle, redpy_server):
    blockers = (oracle.conn(), redpy_server.conn())
    try:
        both.check("CONFIG", "SET", "notify-keyspace-events", "KEA")
        for b in blockers:
            b.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n")
        time.sleep(0.1)
        both.check("RPUSH", "q", "a")
        for b, (cmd) in ((blockers[0], 0), (blockers[1], 1)):
            assert b.read_reply() == b"*2\r\n$1\r\nq\r\n$1\r\na\r\n"
        for b in blockers:
            b.send_raw(b"*4\r\n$8\r\nBZPOPMIN\r\n$1\r\nz\r\n$1\r\nw\r\n$1\r\n0\r\n")
        time.sleep(0.1)
        both.check("ZADD", "w", "1", "m")
        for b in blockers:
            b.read_reply()
        stream(both, subs, "KEA")
    finally:
        for b in blockers:
            b.close()


READS = [
    c("GET", "x"), c("MGET", "x", "y"), c("STRLEN", "x"), c("GETRANGE", "x", "0", "1"), c("LCS", "x", "y"),
    c("EXISTS", "x"), c("TYPE", "x"), c("TTL", "x"), c("PTTL", "x"), c("OBJECT", "ENCODING", "x"),
    c("LLEN", "x"), c("LINDEX", "x", "0"), c("LRANGE", "x", "0", "-1"), c("LPOS", "x", "a"),
    c("HGET", "x", "f"), c("HGETALL", "x"), c("HLEN", "x"), c("SMEMBERS", "x"), c("SCARD", "x"),
    c("SINTER", "x", "y"), c("SUNIONSTORE", "d", "x"), c("ZRANGE", "x", "0", "-1"), c("ZSCORE", "x", "m"),
    c("ZUNIONSTORE", "d", "2", "x", "y"), c("SORT", "x"), c("RPUSH", "l", "1"), c("SORT", "l", "BY", "w_*"),
    c("SORT", "l", "GET", "o_*"), c("COPY", "x", "y"), c("GETEX", "x"), c("GETDEL", "x"), c("BITCOUNT", "x"),
    c("GETBIT", "x", "1"), c("BITPOS", "x", "1"), c("SET", "x", "1"), c("GET", "x"), c("INCR", "nokey"),
]


@pytest.mark.parametrize("flags", ["Km", "Em", "KEA"])
def test_keymiss(both, subs, flags):
    stream(both, subs, flags, *READS)
