"""The sorted set value type: a dict member -> score beside a SortedList of order keys.

Invariants:
- `dict` and `sl` hold the same members. `sl` holds one bytes *order key* per member,
  `order_key(score, member)`: 8 bytes whose unsigned big-endian order is the score's
  order, then the member bytes. Python's bytes order (memcmp, then length) is Redis's
  sdscmp, so the keys sort by score, then by member, as Redis's skiplist does, and every
  comparison in the SortedList is one memcmp (tuples of (score, member) cost a tuple, a
  float and a bytes dereference per comparison, cache misses on large sets).
- Scores are IEEE doubles, never NaN; -0.0 and 0.0 compare equal, as in Redis: the key
  of -0.0 is the key of 0.0, and the dict keeps the score as stored (-0.0 included where
  a skiplist keeps it). Scores are always read from the dict, never decoded from a key.
- Nothing outside this module knows how `sl` is keyed: commands use the rank, range
  and iteration methods below, which speak (member, score) and member lists.
- Rank operations (index, bisect, slice) are O(log n) thanks to the SortedList.
- `encoding` is what Redis 7.0.15's OBJECT ENCODING answers. A new sorted set is a
  listpack unless zset-max-listpack-entries is 0 or the first member added is longer than
  zset-max-listpack-value (zaddGenericCommand); adding a member converts it to a skiplist
  when the count would exceed the entries limit or the member exceeds the value limit
  (zsetAdd). Removals never convert back. Results built by ZUNIONSTORE, ZINTERSTORE,
  ZDIFFSTORE and ZRANGESTORE are a listpack when they fit both limits (`for_result`):
  checked against the oracle.
"""

from __future__ import annotations

import math
import struct
from operator import itemgetter

from sortedcontainers import SortedList

from ..db import TYPE_NAMES

LISTPACK = b"listpack"
SKIPLIST = b"skiplist"

_INF = math.inf

_pack_d = struct.Struct(">d").pack
_INVERT = bytes(range(255, -1, -1))  # bytes.translate table: every bit inverted
_PREFIX = 8  # bytes of score in an order key
_member_of = itemgetter(slice(_PREFIX, None))  # order key -> member


def order_key(score: float, member: bytes = b"") -> bytes:
    """The SortedList key of (score, member): the double's big-endian bits made to sort
    as unsigned bytes, then the member. A non-negative double gets its sign bit set (the
    bits of its negation; -0.0 is first made 0.0, which Redis treats as equal), a
    negative one has every bit inverted. With member b"" it is the lowest key of that
    score (the range bounds)."""
    if score >= 0:
        return _pack_d(-(score + 0.0)) + member
    return _pack_d(score).translate(_INVERT) + member


class ZSet:
    __slots__ = ("dict", "sl", "encoding")

    def __init__(self, encoding: bytes = LISTPACK):
        self.dict: dict[bytes, float] = {}
        self.sl = SortedList()
        self.encoding = encoding

    @classmethod
    def new(cls, first_member: bytes, config) -> "ZSet":
        """An empty sorted set about to receive first_member (ZADD/ZINCRBY creation)."""
        if config.zset_max_listpack_entries == 0 or len(first_member) > config.zset_max_listpack_value:
            return cls(SKIPLIST)
        return cls(LISTPACK)

    @classmethod
    def from_dict(cls, d: dict, encoding: bytes) -> "ZSet":
        """A sorted set holding d (member -> score, taken over, not copied) in the given
        encoding; a listpack stores -0 as 0 (the text of d2string), as loading and
        converting a result into a listpack do in Redis."""
        z = cls(encoding)
        if encoding is LISTPACK:
            for m, s in d.items():
                if s == 0:
                    d[m] = 0.0
        z.dict = d
        z.sl = SortedList([order_key(s, m) for m, s in d.items()])
        return z

    @classmethod
    def for_result(cls, pairs, config, incremental: bool = False) -> "ZSet":
        """A stored result: pairs of (member, score) with distinct members.

        ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE build a skiplist and convert it to a listpack
        when it fits both limits. ZRANGESTORE (`incremental`) adds the pairs one by one
        to a new listpack, which converts when it outgrows the limits: the two end in
        the same encoding, but only the members added while it was a listpack have -0
        stored as 0 (checked against the oracle).
        """
        if incremental:
            z = cls(LISTPACK)
            for member, score in pairs:
                z.insert(member, score, config)
            return z
        d = dict(pairs)
        fits = len(d) <= config.zset_max_listpack_entries and all(
            len(m) <= config.zset_max_listpack_value for m in d
        )
        return cls.from_dict(d, LISTPACK if fits else SKIPLIST)

    def copy(self) -> "ZSet":
        z = ZSet(self.encoding)
        z.dict = self.dict.copy()
        z.sl = self.sl.copy()
        return z

    def __len__(self) -> int:
        return len(self.dict)

    def __bool__(self) -> bool:
        return bool(self.dict)

    def __contains__(self, member) -> bool:
        return member in self.dict

    def __repr__(self) -> str:
        return f"<ZSet {self.encoding.decode()} {list(self.items())!r}>"

    # ------------------------------------------------------------------ members

    def score(self, member: bytes) -> float | None:
        return self.dict.get(member)

    def items(self, start: int = 0, stop: int | None = None):
        """(member, score) in order, lazily: all of them, or ranks start..stop-1."""
        d = self.dict
        for k in (self.sl if start == 0 and stop is None else self.sl.islice(start, stop)):
            m = k[_PREFIX:]
            yield m, d[m]

    def reversed_items(self):
        """(member, score) from the highest rank down."""
        d = self.dict
        for k in reversed(self.sl):
            m = k[_PREFIX:]
            yield m, d[m]

    def insert(self, member: bytes, score: float, config) -> None:
        """Add a member known to be absent, converting the encoding like zsetAdd."""
        if self.encoding is LISTPACK and (
            len(self.dict) + 1 > config.zset_max_listpack_entries
            or len(member) > config.zset_max_listpack_value
        ):
            self.encoding = SKIPLIST
        elif self.encoding is LISTPACK and score == 0:
            score = 0.0  # a listpack stores the text of d2string, which writes -0 as "0"
        self.dict[member] = score
        self.sl.add(order_key(score, member))

    def update(self, member: bytes, old: float, score: float) -> None:
        """Change the score of a present member from old (its score, which the caller
        has just read) to score."""
        if score == 0 and self.encoding is LISTPACK:
            score = 0.0
        if old == score:
            # Redis does not touch a member whose score is unchanged (-0 == 0 included).
            return
        sl = self.sl
        sl.remove(order_key(old, member))
        sl.add(order_key(score, member))
        self.dict[member] = score

    def remove(self, member: bytes) -> bool:
        score = self.dict.pop(member, None)
        if score is None:
            return False
        self.sl.remove(order_key(score, member))
        return True

    def rank(self, member: bytes) -> int | None:
        score = self.dict.get(member)
        if score is None:
            return None
        return self.sl.index(order_key(score, member))

    def member_at(self, index: int) -> bytes:
        """The member at rank index (negative counts from the end)."""
        return self.sl[index][_PREFIX:]

    def members(self, start: int = 0, stop: int | None = None) -> list:
        """The members of ranks start..stop-1 in order (all of them by default)."""
        if stop is None:
            stop = len(self.sl)
        if start >= stop:
            return []
        return list(map(_member_of, self.sl[start:stop]))

    def pairs(self, start: int = 0, stop: int | None = None) -> list:
        """(member, score) of ranks start..stop-1 in order."""
        d = self.dict
        return [(m, d[m]) for m in self.members(start, stop)]

    def delete_ranks(self, start: int, stop: int) -> None:
        """Remove ranks start..stop-1."""
        sl = self.sl
        d = self.dict
        for k in sl[start:stop]:
            del d[k[_PREFIX:]]
        del sl[start:stop]

    def pop_ranks(self, start: int, stop: int) -> list:
        """Remove ranks start..stop-1; returns their (member, score) in order."""
        sl = self.sl
        pop = self.dict.pop
        removed = [(m, pop(m)) for m in map(_member_of, sl[start:stop])]
        del sl[start:stop]
        return removed

    # ------------------------------------------------------------------ ranges

    def score_range(self, lo: float, loex: bool, hi: float, hiex: bool) -> tuple[int, int]:
        """Rank interval [start, stop) of the members whose score is in the range."""
        sl = self.sl
        if lo > hi or (lo == hi and (loex or hiex)):
            return 0, 0
        if loex:
            if lo == _INF:
                return 0, 0
            start = sl.bisect_left(order_key(math.nextafter(lo, _INF)))
        else:
            start = sl.bisect_left(order_key(lo))
        if hiex:
            stop = sl.bisect_left(order_key(hi))
        elif hi == _INF:
            stop = len(sl)
        else:
            stop = sl.bisect_left(order_key(math.nextafter(hi, _INF)))
        return start, max(start, stop)

    def lex_range(self, lo, hi, rev: bool = False) -> tuple[int, int]:
        """Rank interval [start, stop) for a lex range (see `LexBound`).

        Redis defines lex ranges only when all scores are equal. A listpack is scanned
        linearly like zzlFirstInLexRange / zzlLastInLexRange (forward: the first member
        >= min, then members while <= max; reverse: the mirror image), which reproduces
        Redis's answers even with mixed scores; a skiplist is searched by bisection on
        the member order. Both first check the head and the tail as zzlIsInLexRange does.
        """
        sl = self.sl
        n = len(sl)
        if (
            not n
            or not lex_range_nonempty(lo, hi)
            or not lo.le_member(sl[-1][_PREFIX:])
            or not hi.ge_member(sl[0][_PREFIX:])
        ):
            return 0, 0
        if self.encoding is LISTPACK:
            ms = self.members()  # at most zset-max-listpack-entries
            if rev:
                stop = n
                while stop > 0 and not hi.ge_member(ms[stop - 1]):
                    stop -= 1
                start = stop
                while start > 0 and lo.le_member(ms[start - 1]):
                    start -= 1
                return start, stop
            start = 0
            while start < n and not lo.le_member(ms[start]):
                start += 1
            stop = start
            while stop < n and hi.ge_member(ms[stop]):
                stop += 1
            return start, stop
        a, b = 0, n
        while a < b:
            mid = (a + b) // 2
            if lo.le_member(sl[mid][_PREFIX:]):
                b = mid
            else:
                a = mid + 1
        start = a
        b = n
        while a < b:
            mid = (a + b) // 2
            if hi.ge_member(sl[mid][_PREFIX:]):
                a = mid + 1
            else:
                b = mid
        return start, max(start, a)


class LexBound:
    """One end of a lex range: "-", "+", "[member" or "(member" (zslParseLexRangeItem)."""

    __slots__ = ("kind", "value", "ex")

    # kind: -1 for "-" (below everything), 1 for "+" (above everything), 0 for a member
    def __init__(self, kind: int, value: bytes = b"", ex: bool = False):
        self.kind = kind
        self.value = value
        self.ex = ex

    @classmethod
    def parse(cls, item: bytes) -> "LexBound | None":
        if not item:
            return None
        first = item[0]
        if first == 0x2B:  # '+'
            return cls(1) if len(item) == 1 or item[1] == 0 else None
        if first == 0x2D:  # '-'
            return cls(-1) if len(item) == 1 or item[1] == 0 else None
        if first == 0x28:  # '('
            return cls(0, item[1:], True)
        if first == 0x5B:  # '['
            return cls(0, item[1:], False)
        return None

    def le_member(self, member: bytes) -> bool:
        """zslLexValueGteMin: member is at or above this lower bound."""
        if self.kind:
            return self.kind < 0
        return member > self.value if self.ex else member >= self.value

    def ge_member(self, member: bytes) -> bool:
        """zslLexValueLteMax: member is at or below this upper bound."""
        if self.kind:
            return self.kind > 0
        return member < self.value if self.ex else member <= self.value


def lex_range_nonempty(lo: LexBound, hi: LexBound) -> bool:
    """The range test at the start of zslIsInLexRange (before looking at members)."""
    if lo.kind == 1 or hi.kind == -1:
        return False
    if lo.kind == 0 and hi.kind == 0:
        if lo.value > hi.value:
            return False
        if lo.value == hi.value and (lo.ex or hi.ex):
            return False
    return True


TYPE_NAMES[ZSet] = b"zset"
