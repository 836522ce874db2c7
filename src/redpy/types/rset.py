"""The set value type: a Python set of members (bytes) that knows its encoding.

`encoding` is what Redis 7.0.15's OBJECT ENCODING answers: b"intset" while every member
is an integer in Redis's strict syntax (string2ll) and the count is at most
set-max-intset-entries, else b"hashtable" for good (Redis 7.0 has no listpack sets and
never converts back). An intset is iterated in ascending numeric order, and so are
`members()` of an intset here; a hashtable's order is unspecified.

Random members (SPOP, SRANDMEMBER): a Python set has no O(1) random element, so a set
of at least INDEX_MIN members gets, the first time one is asked for, an array of its
members beside it (`_arr`), kept current by the mutating methods below: an add appends,
SPOP removes its pick by swapping with the last slot, any other removal leaves the
member in the array and records it in `_stale`. A pick draws a random slot and, if it
holds a stale member, drops that slot and draws again (rejection: the picks stay
uniform over the members). The array is rebuilt when half of it is stale and dropped by
the bulk operations (update, difference_update, ...), so each pick costs O(1)
amortised. Invariant while `_arr` is not None: `_arr` holds every member once and every
member of `_stale` once, and `_stale` and the set are disjoint.
"""

from __future__ import annotations

import random

from ..db import TYPE_NAMES
from ..numbers import string2ll

INTSET = b"intset"
HASHTABLE = b"hashtable"


# Below this size a random member is taken from a fresh list of the members: cheaper
# than keeping an array (Redis 7.0's intsets hold up to 512 members by default).
INDEX_MIN = 512

_randbelow = random.Random._randbelow.__get__(random._inst)  # random.randrange(n), cheaper


class Set(set):
    __slots__ = ("encoding", "_arr", "_stale")

    def __init__(self, members=(), encoding: bytes = INTSET):
        super().__init__(members)
        self.encoding = encoding
        self._arr = None
        self._stale = None

    def copy(self) -> "Set":
        return Set(self, encoding=self.encoding)

    def add_member(self, member: bytes, max_intset: int) -> bool:
        """setTypeAdd: add member; True if it was not there. Converts like Redis."""
        size = len(self)
        set.add(self, member)  # one lookup; `in` then add made two, both cold in a big set
        if len(self) == size:
            return False
        if self._arr is not None:
            self._index_add(member)
        if self.encoding is INTSET and (len(self) > max_intset or string2ll(member) is None):
            self.encoding = HASHTABLE
        return True

    def add_members(self, args: list, start: int, max_intset: int) -> int:
        """SADD's loop over args[start:]: how many were not there. A hashtable without
        a random-member index takes them in one operation and counts by the size."""
        if self.encoding is HASHTABLE and self._arr is None:
            size = len(self)
            if len(args) == start + 1:
                set.add(self, args[start])
            else:
                set.update(self, args[start:])
            return len(self) - size
        add = self.add_member
        added = 0
        for m in args[start:]:
            if add(m, max_intset):
                added += 1
        return added

    def members(self) -> list:
        """The members in Redis's iteration order (numeric for an intset)."""
        if self.encoding is INTSET:
            return sorted(self, key=int)
        return list(self)

    # ------------------------------------------------------------ random members

    def random_member(self) -> bytes:
        """A uniformly random member of a non-empty set (setTypeRandomElement)."""
        arr = self._arr
        if arr is None:
            if len(self) < INDEX_MIN:
                return random.choice(list(self)) if len(self) > 1 else next(iter(self))
            arr = self._build_index()
        stale = self._stale
        while True:
            i = _randbelow(len(arr))
            m = arr[i]
            if not stale or m not in stale:
                return m
            self._drop_slot(i)
            stale.discard(m)

    def pop_random(self) -> bytes:
        """Remove and return a uniformly random member of a non-empty set."""
        arr = self._arr
        if arr is None:
            if len(self) < INDEX_MIN:
                m = random.choice(list(self)) if len(self) > 1 else next(iter(self))
                set.discard(self, m)
                return m
            arr = self._build_index()
        stale = self._stale
        while True:
            i = _randbelow(len(arr))
            m = arr[i]
            self._drop_slot(i)
            if stale and m in stale:
                stale.discard(m)
                continue
            set.discard(self, m)
            return m

    def random_members(self, count: int) -> list:
        """count distinct random members, 0 < count < len(self) (SRANDMEMBER's CASE 4
        and SPOP's small counts pick one by one; a large share is a sample)."""
        if self._arr is None and len(self) < INDEX_MIN or count * 3 > len(self):
            return random.sample(list(self), count)
        picked: dict = {}
        pick = self.random_member
        while len(picked) < count:
            picked[pick()] = None
        return list(picked)

    def _build_index(self) -> list:
        arr = self._arr = list(self)
        self._stale = set()
        return arr

    def _drop_slot(self, i: int) -> None:
        arr = self._arr
        last = arr.pop()
        if i < len(arr):
            arr[i] = last

    def _index_add(self, member) -> None:
        stale = self._stale
        if member in stale:
            stale.discard(member)  # still in the array
        else:
            self._arr.append(member)

    def _index_remove(self, member) -> None:
        stale = self._stale
        stale.add(member)
        if len(stale) * 2 > len(self._arr):
            self._build_index()

    def _drop_index(self) -> None:
        self._arr = None
        self._stale = None

    # The mutating methods of set, keeping the array current (cheap while there is none).

    def add(self, member) -> None:
        if member not in self:
            set.add(self, member)
            if self._arr is not None:
                self._index_add(member)

    def discard(self, member) -> None:
        if member in self:
            set.discard(self, member)
            if self._arr is not None:
                self._index_remove(member)

    def remove(self, member) -> None:
        set.remove(self, member)
        if self._arr is not None:
            self._index_remove(member)

    def pop(self):
        m = set.pop(self)
        if self._arr is not None:
            self._index_remove(m)
        return m

    def clear(self) -> None:
        self._drop_index()
        set.clear(self)

    def update(self, *others) -> None:
        self._drop_index()
        set.update(self, *others)

    def difference_update(self, *others) -> None:
        self._drop_index()
        set.difference_update(self, *others)

    def intersection_update(self, *others) -> None:
        self._drop_index()
        set.intersection_update(self, *others)

    def symmetric_difference_update(self, other) -> None:
        self._drop_index()
        set.symmetric_difference_update(self, other)

    def __ior__(self, other):
        self._drop_index()
        return set.__ior__(self, other)

    def __iand__(self, other):
        self._drop_index()
        return set.__iand__(self, other)

    def __isub__(self, other):
        self._drop_index()
        return set.__isub__(self, other)

    def __ixor__(self, other):
        self._drop_index()
        return set.__ixor__(self, other)


def new_set(members, max_intset: int) -> Set:
    """A set built member by member from an empty intset, as Redis builds results."""
    s = Set(members)
    # Adds only grow the set, so the end state decides: same result as adding one by one.
    if len(s) > max_intset or any(string2ll(m) is None for m in s):
        s.encoding = HASHTABLE
    return s


TYPE_NAMES[Set] = b"set"
