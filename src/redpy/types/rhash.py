"""The hash value type: a dict of field -> value (both bytes) that knows its encoding.

`encoding` is what Redis 7.0.15's OBJECT ENCODING answers for the same history:
b"listpack" until a field or value longer than hash-max-listpack-value is stored or the
field count exceeds hash-max-listpack-entries, then b"hashtable" for good (Redis never
converts back). A listpack keeps insertion order (a replaced value keeps its place, a
deleted then re-added field goes to the end), which is exactly a dict's order, so replies
of a listpack hash come out in Redis's order; a hashtable's order is unspecified.
"""

from __future__ import annotations

from ..db import TYPE_NAMES

LISTPACK = b"listpack"
HASHTABLE = b"hashtable"


class Hash(dict):
    __slots__ = ("encoding",)

    def __init__(self, *args, encoding: bytes = LISTPACK, **kwargs):
        super().__init__(*args, **kwargs)
        self.encoding = encoding

    def copy(self) -> "Hash":
        return Hash(self, encoding=self.encoding)

    def try_conversion(self, args, max_value: int) -> None:
        """hashTypeTryConversion: go to hashtable if any of args is longer than max_value.

        Called with every field and value of a write before any of them is stored.
        """
        if self.encoding is LISTPACK:
            for a in args:
                if len(a) > max_value:
                    self.encoding = HASHTABLE
                    return

    def set_field(self, field: bytes, value: bytes, config) -> bool:
        """hashTypeSet: store value at field; True if the field is new.

        The length check repeats here for HINCRBY/HINCRBYFLOAT, which skip
        try_conversion; the entry count is checked after the insert.
        """
        if self.encoding is LISTPACK:
            limit = config.hash_max_listpack_value
            if len(field) > limit or len(value) > limit:
                self.encoding = HASHTABLE
        new = field not in self
        self[field] = value
        if new and self.encoding is LISTPACK and len(self) > config.hash_max_listpack_entries:
            self.encoding = HASHTABLE
        return new


TYPE_NAMES[Hash] = b"hash"
