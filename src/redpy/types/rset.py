"""The set value type: a Python set of members (bytes) that knows its encoding.

`encoding` is what Redis 7.0.15's OBJECT ENCODING answers: b"intset" while every member
is an integer in Redis's strict syntax (string2ll) and the count is at most
set-max-intset-entries, else b"hashtable" for good (Redis 7.0 has no listpack sets and
never converts back). An intset is iterated in ascending numeric order, and so are
`members()` of an intset here; a hashtable's order is unspecified.
"""

from __future__ import annotations

from ..db import TYPE_NAMES
from ..numbers import string2ll

INTSET = b"intset"
HASHTABLE = b"hashtable"


class Set(set):
    __slots__ = ("encoding",)

    def __init__(self, members=(), encoding: bytes = INTSET):
        super().__init__(members)
        self.encoding = encoding

    def copy(self) -> "Set":
        return Set(self, encoding=self.encoding)

    def add_member(self, member: bytes, max_intset: int) -> bool:
        """setTypeAdd: add member; True if it was not there. Converts like Redis."""
        if member in self:
            return False
        self.add(member)
        if self.encoding is INTSET and (len(self) > max_intset or string2ll(member) is None):
            self.encoding = HASHTABLE
        return True

    def members(self) -> list:
        """The members in Redis's iteration order (numeric for an intset)."""
        if self.encoding is INTSET:
            return sorted(self, key=int)
        return list(self)


def new_set(members, max_intset: int) -> Set:
    """A set built member by member from an empty intset, as Redis builds results."""
    s = Set(members)
    # Adds only grow the set, so the end state decides: same result as adding one by one.
    if len(s) > max_intset or any(string2ll(m) is None for m in s):
        s.encoding = HASHTABLE
    return s


TYPE_NAMES[Set] = b"set"
