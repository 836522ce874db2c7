"""The sorted set's order keys (types.zset.order_key) sort as (score, member) does in
Redis: by score (-0.0 equal to 0.0), then by member bytes (memcmp, then length)."""

import itertools
import math
import random
import struct

from redpy.types.zset import LISTPACK, SKIPLIST, ZSet, order_key

INF = math.inf
SUBNORMAL = 5e-324  # the smallest positive double
SCORES = [
    -INF, -1.7976931348623157e308, -1e10, -2.5, -1.0, -2.2250738585072014e-308,
    -1e-310, -SUBNORMAL, -0.0, 0.0, SUBNORMAL, 1e-310, 2.2250738585072014e-308,
    0.5, 1.0, 1.0000000000000002, 3.0, 1e10, 1.7976931348623157e308, INF,
]
MEMBERS = [b"", b"\x00", b"\x00\x00", b"\x01", b"a", b"a\x00", b"ab", b"abc", b"b", b"\xff", b"\xff\xff"]


class _Config:
    zset_max_listpack_entries = 128
    zset_max_listpack_value = 64


def _redis_order(pair):
    member, score = pair
    return (score, member)  # -0.0 == 0.0 in tuple comparison, then bytes order


def test_keys_sort_as_scores():
    keys = [order_key(s) for s in SCORES]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(SCORES) - 1  # only -0.0 and 0.0 share a key
    assert order_key(-0.0) == order_key(0.0)
    for a, b in itertools.product(SCORES, repeat=2):
        ka, kb = order_key(a), order_key(b)
        assert (ka < kb) == (a < b) and (ka == kb) == (a == b), (a, b)


def test_keys_sort_as_score_then_member():
    pairs = [(m, s) for s in SCORES for m in MEMBERS]
    by_key = sorted(pairs, key=lambda p: order_key(p[1], p[0]))
    assert [(s, m) for m, s in by_key] == sorted((s, m) for m, s in pairs)
    for (m1, s1), (m2, s2) in itertools.product(random.Random(1).sample(pairs, 60), repeat=2):
        assert (order_key(s1, m1) < order_key(s2, m2)) == ((s1, m1) < (s2, m2))


def test_member_prefixes_sort_first():
    # A member that is a prefix of another sorts before it, whatever bytes follow.
    keys = [order_key(1.0, m) for m in (b"a", b"a\x00", b"a\x00\x00", b"a\x01", b"aa")]
    assert keys == sorted(keys)
    # The bare score key (member b"") is the lowest key of that score: range bounds.
    assert order_key(1.0) == order_key(1.0, b"") < order_key(1.0, b"\x00")
    assert order_key(math.nextafter(1.0, -INF), b"\xff" * 50) < order_key(1.0)


def test_random_doubles_sort_as_floats():
    rnd = random.Random(7)
    values = []
    while len(values) < 3000:
        (v,) = struct.unpack("<d", rnd.randbytes(8))
        if v == v:
            values.append(v)
    assert sorted(values, key=order_key) == sorted(values)


def test_zset_order_and_stored_scores():
    cfg = _Config()
    for encoding in (LISTPACK, SKIPLIST):
        z = ZSet(encoding)
        pairs = [(m + b"%d" % i, s) for i, s in enumerate(SCORES) for m in (b"x", b"")]
        random.Random(2).shuffle(pairs)
        for m, s in pairs:
            z.insert(m, s, cfg)
        want = sorted(pairs, key=_redis_order)
        got = list(z.items())
        assert [m for m, _ in got] == [m for m, _ in want]
        assert list(z.reversed_items()) == got[::-1]
        assert z.members() == [m for m, _ in got] and z.pairs(3, 7) == got[3:7]
        for rank, (m, _) in enumerate(got):
            assert z.rank(m) == rank and z.member_at(rank) == m
        # -0.0 is kept by a skiplist, stored as 0.0 by a listpack (d2string's "0")
        negzero = [s for m, s in got if s == 0 and math.copysign(1, s) < 0]
        assert len(negzero) == (2 if encoding is SKIPLIST else 0)
        assert z.score_range(-0.0, False, 0.0, False) == z.score_range(0.0, False, -0.0, False)
        a, b = z.score_range(-0.0, False, 0.0, False)
        assert b - a == 4
        a, b = z.score_range(-INF, True, INF, True)
        assert [s for _, s in z.pairs(a, b)] == [s for _, s in got if -INF < s < INF]


def test_update_and_remove_with_negative_zero():
    cfg = _Config()
    z = ZSet(SKIPLIST)
    z.insert(b"a", -0.0, cfg)
    z.insert(b"b", 0.0, cfg)
    z.insert(b"c", -1.0, cfg)
    assert z.members() == [b"c", b"a", b"b"]
    z.update(b"a", z.score(b"a"), 0.0)  # equal to -0.0: untouched, as in Redis
    assert math.copysign(1, z.score(b"a")) < 0
    z.update(b"c", z.score(b"c"), -0.0)
    assert z.members() == [b"a", b"b", b"c"] and math.copysign(1, z.score(b"c")) < 0
    assert z.remove(b"a") and z.remove(b"c") and not z.remove(b"c")
    assert z.members() == [b"b"] and len(z.sl) == 1
    assert z.pop_ranks(0, 1) == [(b"b", 0.0)] and not z and not z.sl
    z2 = ZSet.from_dict({b"p": -0.0, b"q": 2.0}, LISTPACK)
    assert list(z2.items()) == [(b"p", 0.0), (b"q", 2.0)]
    assert math.copysign(1, z2.score(b"p")) > 0
    c = z2.copy()
    c.delete_ranks(0, 1)
    assert c.members() == [b"q"] and z2.members() == [b"p", b"q"]


def test_keys_match_the_integer_formulation():
    # The 8 bytes are the double's bits as an unsigned 64-bit int u, made u ^ (2**64-1)
    # when the sign bit is set and u | 2**63 otherwise (after -0.0 -> 0.0).
    def reference(score, member):
        (u,) = struct.unpack(">Q", struct.pack(">d", 0.0 if score == 0 else score))
        u = u ^ 0xFFFFFFFFFFFFFFFF if u >> 63 else u | (1 << 63)
        return struct.pack(">Q", u) + member

    rnd = random.Random(11)
    values = list(SCORES)
    while len(values) < 5000:
        (v,) = struct.unpack("<d", rnd.randbytes(8))
        if v == v:
            values.append(v)
    for v in values:
        assert order_key(v, b"m") == reference(v, b"m"), v


def test_items_of_a_rank_range():
    cfg = _Config()
    z = ZSet(SKIPLIST)
    for i in range(50):
        z.insert(b"m%02d" % i, float(i % 7), cfg)
    allp = list(z.items())
    assert z.pairs() == allp and len(allp) == 50
    for a, b in ((0, 50), (0, 1), (3, 9), (49, 50), (10, 10), (20, 5)):
        assert list(z.items(a, b)) == allp[a:b] == z.pairs(a, b)
