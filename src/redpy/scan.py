"""SCAN cursors (SCAN, and the cores HSCAN/SSCAN/ZSCAN share).

Redis's cursor is a position in its hash table, walked with reversed-bit increments so
that a full iteration returns every element present from start to end, even across
rehashing. Python dicts offer no such position, so an iteration works on a snapshot:

- Cursor 0 takes a snapshot: `snapshot_source()` returns a list of the elements (for SCAN,
  the keys), O(N) once per iteration. The snapshot is stored on the Server under a small
  id; the cursors returned encode (id, position) as `id << 32 | position`, never 0 until
  the iteration is over.
- Each call walks the snapshot from the position, skipping elements that are gone
  (`alive`), until `count` live ones are collected; the caller then applies MATCH/TYPE and
  expiry filters, as Redis applies them after collecting. So every element present from
  start to end is returned exactly once; elements added during the iteration are not
  returned (Redis may or may not return them), deleted ones are not returned.
- Snapshots are bounded: at most `MAX_SNAPSHOTS` iterations are remembered (least recently
  used evicted) and at most `MAX_SNAPSHOT_ELEMENTS` elements over all of them. A finished
  iteration drops its snapshot at once.
- An unknown cursor (evicted snapshot, a cursor from another key or db, a made-up
  number) is served best effort: a fresh snapshot is taken and the walk starts at the
  cursor's position part (low 32 bits) modulo the snapshot's length, much as Redis masks
  a cursor with its table size. Elements may then be missed or repeated, which is what
  Redis also promises for a cursor it did not hand out.

Small collections: Redis answers HSCAN/SSCAN/ZSCAN on listpack/intset encodings with every
element and cursor 0 in one reply, ignoring COUNT; callers do that themselves and only
use `scan_items` for the hashtable/skiplist encodings.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable

from .errors import NOT_INTEGER, SYNTAX, CommandError, c_string
from .numbers import string2ll

__all__ = ["parse_cursor", "parse_scan_options", "scan_items", "MAX_SNAPSHOTS"]

MAX_SNAPSHOTS = 64
MAX_SNAPSHOT_ELEMENTS = 4_000_000
_POS_BITS = 32
_POS_MASK = (1 << _POS_BITS) - 1
_ULONG = 1 << 64


class _Snapshots:
    """The remembered iterations of one server: id -> (token, elements)."""

    __slots__ = ("by_id", "next_id", "elements")

    def __init__(self):
        self.by_id: OrderedDict[int, tuple[object, list]] = OrderedDict()
        self.next_id = 1
        self.elements = 0

    def add(self, token, elements: list) -> int:
        sid = self.next_id
        # ids stay in 1..2**32-1 so that a cursor fits in 64 bits and is never 0
        self.next_id = sid + 1 if sid < _POS_MASK else 1
        self.by_id.pop(sid, None)
        self.by_id[sid] = (token, elements)
        self.elements += len(elements)
        while len(self.by_id) > 1 and (
            len(self.by_id) > MAX_SNAPSHOTS or self.elements > MAX_SNAPSHOT_ELEMENTS
        ):
            self.drop(next(iter(self.by_id)))
        return sid

    def get(self, sid: int, token):
        entry = self.by_id.get(sid)
        if entry is None or entry[0] is not token:
            return None
        self.by_id.move_to_end(sid)
        return entry[1]

    def drop(self, sid: int) -> None:
        entry = self.by_id.pop(sid, None)
        if entry is not None:
            self.elements -= len(entry[1])


def _snapshots(server) -> _Snapshots:
    snaps = server.scan_snapshots
    if snaps is None:
        snaps = server.scan_snapshots = _Snapshots()
    return snaps


def parse_cursor(arg: bytes) -> int:
    """parseScanCursorOrReply: C's strtoul on the whole argument, else "ERR invalid cursor".

    Like strtoul it takes an optional sign ("-1" is 2**64-1) and an empty argument is 0;
    a leading space, trailing garbage or a value above 2**64-1 is refused. Everything
    from a NUL byte on is ignored, as C sees the argument.
    """
    s = c_string(bytes(arg))  # strtoul stops at a NUL byte, which counts as the end
    body = s[1:] if s[:1] in (b"+", b"-") else s
    if s == b"":
        return 0
    if not body or not body.isdigit():
        raise CommandError("ERR invalid cursor")
    value = int(body)
    if value >= _ULONG:
        raise CommandError("ERR invalid cursor")
    if s[:1] == b"-":
        value = (_ULONG - value) % _ULONG
    return value


def parse_scan_options(argv: list[bytes], start: int, allow_type: bool = False):
    """The [MATCH pattern] [COUNT count] [TYPE type] options from argv[start:].

    Returns (pattern or None, count, type name lower-cased or None). As in Redis's
    scanGenericCommand: options may repeat (the last wins), COUNT must be an integer
    (NOT_INTEGER) and >= 1 (syntax error otherwise), a MATCH of exactly "*" means no
    pattern, TYPE is accepted only by SCAN itself (`allow_type`), and anything else,
    including an option without its value, is a syntax error. Errors are raised in
    argument order, after the cursor has been parsed by the caller.
    """
    pattern = None
    count = 10
    type_name = None
    i = start
    argc = len(argv)
    while i < argc:
        opt = argv[i].lower()
        if i + 1 >= argc:
            raise CommandError(SYNTAX)
        if opt == b"count":
            value = string2ll(argv[i + 1])
            if value is None:
                raise CommandError(NOT_INTEGER)
            if value < 1:
                raise CommandError(SYNTAX)
            count = value
        elif opt == b"match":
            pattern = None if argv[i + 1] == b"*" else argv[i + 1]
        elif opt == b"type" and allow_type:
            type_name = argv[i + 1].lower()
        else:
            raise CommandError(SYNTAX)
        i += 2
    return pattern, count, type_name


def scan_items(
    server,
    cursor: int,
    count: int,
    snapshot_source: Callable[[], list],
    token: object,
    alive: Callable[[object], bool] | None = None,
) -> tuple[int, list]:
    """One step of an iteration: (next cursor, elements) from a snapshot.

    - `cursor`: the parsed cursor (0 starts an iteration).
    - `count`: how many live elements to collect (COUNT; the caller's filters come after).
    - `snapshot_source()`: returns a fresh list of the elements (keys, fields, members);
      called on cursor 0 and for an unknown cursor.
    - `token`: the object the iteration belongs to, compared by identity (the Database for
      SCAN, the collection value for HSCAN/SSCAN/ZSCAN). A cursor whose snapshot was taken
      for another token counts as unknown.
    - `alive(element)`: False for an element that has gone since the snapshot (skipped,
      not counted); None means every element counts.

    The returned cursor is 0 when the walk reached the end of the snapshot.
    """
    snaps = _snapshots(server)
    sid = cursor >> _POS_BITS
    pos = cursor & _POS_MASK
    elements = snaps.get(sid, token) if cursor else None
    if elements is None:
        elements = snapshot_source()
        sid = 0
        # An unknown cursor is taken modulo the size, as Redis masks a cursor with its
        # table size: a made-up cursor on a small keyspace still returns something.
        pos = pos % len(elements) if elements else 0
    n = len(elements)
    out = []
    if alive is None:
        end = min(pos + count, n)
        out = elements[pos:end] if pos < n else []
        pos = end
    else:
        while pos < n and len(out) < count:
            e = elements[pos]
            pos += 1
            if alive(e):
                out.append(e)
    if pos >= n:
        if sid:
            snaps.drop(sid)
        return 0, out
    if not sid:
        sid = snaps.add(token, elements)
    return sid << _POS_BITS | pos, out
