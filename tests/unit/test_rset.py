"""types.rset.Set's random members: the array kept beside a big set stays exact under
every mutating method, and picks are uniform over the members (stale slots rejected)."""

from __future__ import annotations

import collections
import random

from redpy.types.rset import HASHTABLE, INDEX_MIN, Set


def _check(s: Set, ref: set) -> None:
    assert set(s) == ref
    if s._arr is not None:
        assert collections.Counter(s._arr) == collections.Counter(list(ref) + list(s._stale))
        assert not (s._stale & ref)


def test_index_follows_every_mutation():
    rnd = random.Random(5)
    s = Set((b"m%d" % i for i in range(INDEX_MIN * 2)), encoding=HASHTABLE)
    ref = set(s)
    s.random_member()
    assert s._arr is not None
    for step in range(20000):
        op = rnd.random()
        m = b"m%d" % rnd.randrange(INDEX_MIN * 4)
        if op < 0.25:
            s.add(m)
            ref.add(m)
        elif op < 0.4:
            s.discard(m)
            ref.discard(m)
        elif op < 0.45 and m in ref:
            s.remove(m)
            ref.discard(m)
        elif op < 0.6 and ref:
            p = s.pop_random()
            assert p in ref
            ref.discard(p)
        elif op < 0.62 and ref:
            ref.discard(s.pop())
        elif op < 0.8 and ref:
            assert s.random_member() in ref
        elif op < 0.85 and len(ref) > 1:
            k = rnd.randint(1, len(ref) - 1)
            r = s.random_members(k)
            assert len(r) == len(set(r)) == k and set(r) <= ref
        elif op < 0.86:
            other = {b"m%d" % rnd.randrange(INDEX_MIN * 4) for _ in range(50)}
            rnd.choice([s.difference_update, s.update, s.intersection_update, s.symmetric_difference_update])(other)
            ref = set(s)  # what set's own method did
            assert s._arr is None
            if ref:
                s.random_member()  # rebuilds the array when the set is big enough
        else:
            if s.add_member(m, 512):
                ref.add(m)
        if step % 250 == 0:
            _check(s, ref)
    _check(s, ref)


def test_picks_are_uniform_with_stale_slots():
    rnd = random.Random(11)
    random.seed(11)
    s = Set((b"%d" % i for i in range(1200)), encoding=HASHTABLE)
    s.random_member()
    for i in rnd.sample(range(1200), 500):
        s.discard(b"%d" % i)  # stale slots, fewer than half: no rebuild
    assert s._stale
    n = len(s)
    draws = 140 * n
    counts = collections.Counter(s.random_member() for _ in range(draws))
    assert set(counts) == set(s)
    expected = draws / n
    chi2 = sum((counts[m] - expected) ** 2 / expected for m in s)
    # chi-square with n-1 degrees of freedom: mean n-1, sd sqrt(2(n-1)); 6 sd is far out
    assert abs(chi2 - (n - 1)) < 6 * (2 * (n - 1)) ** 0.5


def test_small_sets_keep_no_array():
    s = Set([b"a", b"b", b"c"])
    assert s.random_member() in s
    assert s.pop_random() not in s
    assert s._arr is None
