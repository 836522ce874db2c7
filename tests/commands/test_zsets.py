"""Sorted set commands (and SORT) on redpy alone: exact reply bytes, as taken from Redis
7.0.15, plus unit checks of the ZSet type (rank operations, ranges, encodings)."""

from __future__ import annotations

import random

from redpy.commands.zsets import parse_score_range
from redpy.errors import CommandError
from redpy.types.zset import LISTPACK, SKIPLIST, LexBound, ZSet


class _Config:
    zset_max_listpack_entries = 3
    zset_max_listpack_value = 5


def test_zadd_replies(r):
    assert r.call("ZADD", "z", "1", "a", "2", "b") == b":2\r\n"
    assert r.call("ZADD", "z", "CH", "5", "a", "2", "b", "3", "c") == b":2\r\n"
    assert r.call("ZADD", "z", "INCR", "1.5", "a") == b"$3\r\n6.5\r\n"
    assert r.call("ZADD", "z", "GT", "INCR", "-1", "a") == b"$-1\r\n"
    assert r.call("ZADD", "z", "XX", "1", "new") == b":0\r\n"
    assert r.call("ZSCORE", "z", "new") == b"$-1\r\n"
    assert r.call("ZADD", "z", "NX", "XX", "1", "a") == b"-ERR XX and NX options at the same time are not compatible\r\n"
    assert r.call("ZADD", "z", "GT", "LT", "1", "a") == (
        b"-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"
    )
    assert r.call("ZADD", "z", "INCR", "1", "a", "2", "b") == (
        b"-ERR INCR option supports a single increment-element pair\r\n"
    )
    assert r.call("ZADD", "z", "NX", "1") == b"-ERR syntax error\r\n"
    assert r.call("ZADD", "z", "nan", "a") == b"-ERR value is not a valid float\r\n"
    assert r.call("ZINCRBY", "z", "inf", "a") == b"$3\r\ninf\r\n"
    assert r.call("ZINCRBY", "z", "-inf", "a") == b"-ERR resulting score is not a number (NaN)\r\n"
    assert r.call("ZADD", "nz", "XX", "1", "a") == b":0\r\n"
    assert r.call("EXISTS", "nz") == b":0\r\n"
    assert r.call("SET", "s", "v") == b"+OK\r\n"
    assert r.call("ZADD", "s", "1", "a") == b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def test_ranges_resp2_and_resp3(r):
    r.call("ZADD", "z", "1", "a", "2", "b", "3.5", "c")
    assert r.call("ZRANGE", "z", "0", "-1", "WITHSCORES") == (
        b"*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$3\r\n3.5\r\n"
    )
    assert r.call("ZRANGE", "z", "(1", "+inf", "BYSCORE", "REV") == b"*0\r\n"
    assert r.call("ZRANGE", "z", "+inf", "(1", "BYSCORE", "REV") == b"*2\r\n$1\r\nc\r\n$1\r\nb\r\n"
    assert r.call("ZRANGE", "z", "1", "2", "LIMIT", "0", "1") == (
        b"-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"
    )
    assert r.call("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES") == (
        b"-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"
    )
    assert r.call("ZRANGE", "z", "x", "1", "BYSCORE") == b"-ERR min or max is not a float\r\n"
    assert r.call("ZRANGE", "z", "a", "+", "BYLEX") == b"-ERR min or max not valid string range item\r\n"
    assert r.call("ZCOUNT", "z", "", " 2") == b":2\r\n"  # strtod: "" is 0, spaces skipped
    assert r.call("ZCOUNT", "z", "0x1", "(3.5") == b":2\r\n"
    assert r.call("ZRANK", "z", "c") == b":2\r\n"
    assert r.call("ZREVRANK", "z", "c") == b":0\r\n"
    assert r.call("HELLO", "3").startswith(b"%")
    assert r.call("ZRANGE", "z", "0", "0", "WITHSCORES") == b"*1\r\n*2\r\n$1\r\na\r\n,1\r\n"
    assert r.call("ZSCORE", "z", "c") == b",3.5\r\n"
    assert r.call("ZMSCORE", "z", "a", "nope") == b"*2\r\n,1\r\n_\r\n"
    assert r.call("ZPOPMIN", "z") == b"*2\r\n$1\r\na\r\n,1\r\n"
    assert r.call("ZPOPMIN", "z", "1") == b"*1\r\n*2\r\n$1\r\nb\r\n,2\r\n"
    assert r.call("ZMPOP", "1", "nokey", "MIN") == b"_\r\n"
    assert r.call("ZSCAN", "z", "0") == b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\nc\r\n$3\r\n3.5\r\n"


def test_set_operations_replies(r):
    r.call("ZADD", "a", "1", "x", "2", "y")
    r.call("ZADD", "b", "inf", "x")
    r.call("SADD", "s", "y", "z")
    assert r.call("ZUNION", "3", "a", "b", "s", "WITHSCORES") == (
        b"*6\r\n$1\r\nz\r\n$1\r\n1\r\n$1\r\ny\r\n$1\r\n3\r\n$1\r\nx\r\n$3\r\ninf\r\n"
    )
    assert r.call("ZINTER", "2", "a", "b", "WEIGHTS", "1", "0", "WITHSCORES") == (
        b"*2\r\n$1\r\nx\r\n$1\r\n1\r\n"
    )
    assert r.call("ZDIFF", "2", "a", "s") == b"*1\r\n$1\r\nx\r\n"
    assert r.call("ZINTERCARD", "2", "a", "s", "LIMIT", "0") == b":1\r\n"
    assert r.call("ZINTERCARD", "1", "a", "LIMIT", "-1") == b"-ERR LIMIT can't be negative\r\n"
    assert r.call("ZUNIONSTORE", "d", "0", "a") == (
        b"-ERR at least 1 input key is needed for 'zunionstore' command\r\n"
    )
    assert r.call("ZUNION", "1", "a", "WEIGHTS", "x") == b"-ERR weight value is not a float\r\n"
    assert r.call("ZINTERSTORE", "d", "2", "a", "nokey") == b":0\r\n"
    assert r.call("ZDIFFSTORE", "d", "1", "a") == b":2\r\n"
    assert r.call("OBJECT", "ENCODING", "d") == b"$8\r\nlistpack\r\n"
    assert r.call("ZDIFFSTORE", "d", "2", "a", "a") == b":0\r\n"
    assert r.call("EXISTS", "d") == b":0\r\n"


def test_pops_and_mpop_errors(r):
    r.call("ZADD", "z", "1", "a", "2", "b", "3", "c")
    assert r.call("ZPOPMAX", "z", "2") == b"*4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n"
    assert r.call("ZPOPMIN", "z", "-1") == b"-ERR value is out of range, must be positive\r\n"
    assert r.call("ZMPOP", "0", "z", "MIN") == b"-ERR numkeys should be greater than 0\r\n"
    assert r.call("ZMPOP", "1", "z", "MIN", "COUNT", "0") == b"-ERR count should be greater than 0\r\n"
    assert r.call("ZMPOP", "1", "z", "MIN", "COUNT", "9") == b"*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert r.call("EXISTS", "z") == b":0\r\n"
    assert r.call("ZMPOP", "1", "z", "MIN") == b"*-1\r\n"
    assert r.call("BZPOPMIN", "z", "0.01") == b"*-1\r\n"
    assert r.call("BZPOPMIN", "z", "-1") == b"-ERR timeout is negative\r\n"
    assert r.call("BZMPOP", "x", "1", "z", "MIN") == b"-ERR timeout is not a float or out of range\r\n"


def test_sort_replies(r):
    r.call("RPUSH", "l", "3", "1", " 2", "")
    assert r.call("SORT", "l") == b"*4\r\n$0\r\n\r\n$1\r\n1\r\n$2\r\n 2\r\n$1\r\n3\r\n"
    assert r.call("SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2") == b"*2\r\n$2\r\n 2\r\n$1\r\n1\r\n"
    r.call("RPUSH", "bad", "x")
    assert r.call("SORT", "bad") == b"-ERR One or more scores can't be converted into double\r\n"
    assert r.call("SORT_RO", "l", "STORE", "x") == b"-ERR syntax error\r\n"
    r.call("ZADD", "z", "2", "b", "1", "a")
    assert r.call("OBJECT", "ENCODING", "z") == b"$8\r\nlistpack\r\n"
    assert r.call("SORT", "z", "ALPHA", "DESC", "STORE", "d") == b":2\r\n"
    assert r.call("OBJECT", "ENCODING", "z") == b"$8\r\nskiplist\r\n"
    assert r.call("LRANGE", "d", "0", "-1") == b"*2\r\n$1\r\nb\r\n$1\r\na\r\n"


# ---------------------------------------------------------------------- the type


def test_zset_type_ranks_and_encoding():
    cfg = _Config()
    z = ZSet.new(b"a", cfg)
    assert z.encoding is LISTPACK
    for m, s in ((b"a", 1.0), (b"b", 1.0), (b"c", -0.0)):
        z.insert(m, s, cfg)
    assert z.encoding is LISTPACK
    assert z.score(b"c") == 0.0 and str(z.score(b"c")) == "0.0"  # listpack stores -0 as 0
    z.insert(b"d", 2.0, cfg)
    assert z.encoding is SKIPLIST  # 4 > 3 entries
    assert list(z.items()) == [(b"c", 0.0), (b"a", 1.0), (b"b", 1.0), (b"d", 2.0)]
    assert z.rank(b"b") == 2 and z.rank(b"zz") is None
    z.remove(b"d")
    z.remove(b"c")
    assert z.encoding is SKIPLIST  # never converts back
    assert ZSet.new(b"toolong", cfg).encoding is SKIPLIST
    c = z.copy()
    c.update(b"a", c.score(b"a"), 9.0)
    assert z.score(b"a") == 1.0 and c.rank(b"a") == 1


def test_zset_type_score_and_lex_ranges_match_a_linear_scan():
    rnd = random.Random(3)
    cfg = _Config()
    cfg.zset_max_listpack_entries = 0
    z = ZSet.new(b"", cfg)
    for i in range(300):
        z.insert(b"m%d" % i, rnd.choice([-1.5, 0.0, 1.0, 2.0, 7.25, float("inf")]), cfg)
    pairs = z.pairs()
    assert pairs == sorted(pairs, key=lambda p: (p[1], p[0]))
    bounds = [b"-inf", b"+inf", b"0", b"(0", b"1", b"(1", b"7.25", b"(7.25", b"inf", b"(inf", b"(-inf"]
    for lo in bounds:
        for hi in bounds:
            a, aex, b, bex = parse_score_range(lo, hi)
            want = [
                p for p in pairs
                if (p[1] > a if aex else p[1] >= a) and (p[1] < b if bex else p[1] <= b)
            ]
            start, stop = z.score_range(a, aex, b, bex)
            assert pairs[start:stop] == want, (lo, hi)
    same = ZSet.new(b"", cfg)
    for i in range(100):
        same.insert(b"w%02d" % i, 0.0, cfg)
    members = same.members()
    items = [b"-", b"+", b"[w10", b"(w10", b"[w5", b"(w99", b"[", b"("]
    for lo_t in items:
        for hi_t in items:
            lo, hi = LexBound.parse(lo_t), LexBound.parse(hi_t)
            want = [m for m in members if lo.le_member(m) and hi.ge_member(m)]
            if lo.kind == 1 or hi.kind == -1:
                want = []
            start, stop = same.lex_range(lo, hi)
            assert members[start:stop] == want, (lo_t, hi_t)


def test_parse_score_range_errors():
    for lo, hi in ((b"nan", b"1"), (b"(nan", b"1"), (b"1x", b"2"), (b"1 ", b"2")):
        try:
            parse_score_range(lo, hi)
        except CommandError as e:
            assert e.message == b"ERR min or max is not a float"
        else:
            raise AssertionError((lo, hi))
    assert parse_score_range(b" 1", b"(") == (1.0, False, 0.0, True)


def test_range_replies_with_scores(r):
    # Ranges of a missing key, empty ranges and scores in both protocols.
    for cmd in (("ZRANGE", "nokey", "0", "-1", "WITHSCORES"), ("ZREVRANGE", "nokey", "0", "-1", "WITHSCORES"),
                ("ZRANGEBYSCORE", "nokey", "-inf", "+inf", "WITHSCORES"), ("ZRANDMEMBER", "nokey", "3", "WITHSCORES")):
        assert r.call(*cmd) == b"*0\r\n"
    assert r.call("ZADD", "z", "-0", "a", "-inf", "b", "inf", "c", "1.5", "d", "0", "e") == b":5\r\n"
    assert r.call("ZRANGE", "z", "5", "9", "WITHSCORES") == b"*0\r\n"
    assert r.call("ZRANGE", "z", "0", "-1", "WITHSCORES") == (
        b"*10\r\n$1\r\nb\r\n$4\r\n-inf\r\n$1\r\na\r\n$1\r\n0\r\n$1\r\ne\r\n$1\r\n0\r\n"
        b"$1\r\nd\r\n$3\r\n1.5\r\n$1\r\nc\r\n$3\r\ninf\r\n"
    )
    assert r.call("ZREVRANGEBYSCORE", "z", "(inf", "0", "WITHSCORES") == (
        b"*6\r\n$1\r\nd\r\n$3\r\n1.5\r\n$1\r\ne\r\n$1\r\n0\r\n$1\r\na\r\n$1\r\n0\r\n"
    )
    r.call("HELLO", "3")
    assert r.call("ZRANGE", "z", "-2", "-1", "WITHSCORES") == b"*2\r\n*2\r\n$1\r\nd\r\n,1.5\r\n*2\r\n$1\r\nc\r\n,inf\r\n"
    assert r.call("ZRANGE", "nokey", "0", "-1", "WITHSCORES") == b"*0\r\n"
