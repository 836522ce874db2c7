"""The list value type: a deque of bytes elements.

Redis 7.0 stores every list as a quicklist (the listpack-encoded small list arrived in
7.2): OBJECT ENCODING answers "quicklist" right after `RPUSH l a`, whatever
list-max-listpack-size says, and never anything else. So `encoding` is a constant here.

Invariants: elements are bytes; an empty RList is never stored in a database (the
commands delete the key when the last element goes).
"""

from __future__ import annotations

from collections import deque

from ..db import TYPE_NAMES


class RList(deque):
    """A Redis list. `encoding` is what OBJECT ENCODING answers (7.0: always quicklist)."""

    __slots__ = ()

    encoding = b"quicklist"

    def __repr__(self) -> str:
        return f"RList({list(self)!r})"


TYPE_NAMES[RList] = b"list"
