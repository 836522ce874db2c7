"""SORT and SORT_RO (Redis's sort.c, command group "generic").

Input: a list, a set or a sorted set (a missing key sorts as an empty list). Options are
parsed first (errors in argument order), then the key is looked up. Elements are
compared as Redis's sortCompare does:

- numeric (default): each element (or its BY value) is read with C strtod (leading
  space allowed, "" is 0, overflow/underflow and NaN are errors: "One or more scores
  can't be converted into double"); a missing BY value counts as 0; equal scores fall
  back to comparing the elements' bytes.
- ALPHA: the elements' bytes (strcoll in the C locale the server runs with), or with BY
  the BY values, a missing one sorting first.
- BY a pattern without '*' ("nosort") keeps the native order: list order, sorted set
  order, and for a set the iteration order; with STORE a set is then sorted ALPHA so the
  result does not depend on the iteration order (Redis does the same for replication).

SORT converts a listpack sorted set to a skiplist for good, as Redis 7.0 does. STORE
writes a list (even when empty it deletes the destination) and answers its length.
Redis 7.0 does not reset errno before strtod, so after one ERANGE failure its later
numeric SORTs can keep failing until something else resets errno: not reproduced here.
"""

from __future__ import annotations

from ..errors import NOT_INTEGER, SYNTAX, WRONGTYPE, CommandError, c_string
from ..numbers import _strtod_text, string2ll
from ..notify import GENERIC as NOTIFY_GENERIC, KEY_MISS as NOTIFY_KEY_MISS, LIST as NOTIFY_LIST, notify
from ..registry import command_group
from ..types.rlist import RList
from ..types.zset import SKIPLIST

command = command_group("generic")

_SPACES = b" \t\n\r\v\f"
_DBL_MIN = 2.2250738585072014e-308


def _sort_score(text: bytes) -> float | None:
    """strtod as sortCommandGeneric checks it: None when Redis reports a conversion error."""
    s = c_string(text).lstrip(_SPACES)
    if not s:
        return 0.0
    try:
        v = _strtod_text(s)
    except (OverflowError, ValueError):
        return None
    if v is None or v != v:
        return None
    low = s.lower()
    if v in (float("inf"), float("-inf")) and b"inf" not in low:
        return None  # overflow: ERANGE
    if abs(v) < _DBL_MIN and v != 0:
        return None  # underflow to a subnormal: ERANGE
    if v == 0 and any(ch in b"123456789" for ch in low.split(b"e")[0].split(b"p")[0].replace(b"0x", b"")):
        return None  # underflow to zero: ERANGE
    return v


def lookup_by_pattern(db, pattern: bytes, subst: bytes):
    """lookupKeyByPattern: the string (or hash field) the pattern names for subst, or None.

    "#" is the element itself. Only the first '*' is replaced; "->field" after it reads
    a hash field. C string functions are used on the pattern, so it ends at a NUL byte.
    """
    spat = c_string(pattern)
    if spat == b"#":
        return subst
    p = spat.find(b"*")
    if p < 0:
        return None
    f = spat.find(b"->", p + 1)
    field = None
    if f >= 0 and f + 2 < len(spat):
        field = pattern[f + 2 :]
        postfix = pattern[p + 1 : f]
    else:
        postfix = pattern[p + 1 :]
    key = pattern[:p] + subst + postfix
    o = db.lookup(key)
    # lookupKeyRead: keyspace hits and misses are counted
    if o is None:
        db.server.stat_keyspace_misses += 1
        notify(db.server, NOTIFY_KEY_MISS, b"keymiss", key, db.id)
        return None
    db.server.stat_keyspace_hits += 1
    if field is not None:
        if db_type(o) != b"hash":
            return None
        return o.get(field)
    if type(o) is bytes or type(o) is bytearray:
        return bytes(o)
    return None


def db_type(value) -> bytes:
    from ..db import type_name

    return type_name(value)


def _sort_generic(c, argv, readonly: bool):
    desc = alpha = dontsort = False
    limit_start, limit_count = 0, -1
    sortby = None
    storekey = None
    gets: list[bytes] = []
    argc = len(argv)
    j = 2
    while j < argc:
        opt = argv[j].lower()
        left = argc - j - 1
        if opt == b"asc":
            desc = False
        elif opt == b"desc":
            desc = True
        elif opt == b"alpha":
            alpha = True
        elif opt == b"limit" and left >= 2:
            limit_start = string2ll(argv[j + 1])
            limit_count = string2ll(argv[j + 2])
            if limit_start is None or limit_count is None:
                raise CommandError(NOT_INTEGER)
            j += 2
        elif not readonly and opt == b"store" and left >= 1:
            storekey = argv[j + 1]
            j += 1
        elif opt == b"by" and left >= 1:
            sortby = argv[j + 1]
            if b"*" not in c_string(sortby):
                dontsort = True
            j += 1
        elif opt == b"get" and left >= 1:
            gets.append(argv[j + 1])
            j += 1
        else:
            raise CommandError(SYNTAX)
        j += 1

    db = c.db
    value = db.lookup(argv[1])
    if value is None:
        c.server.stat_keyspace_misses += 1
        notify(c.server, NOTIFY_KEY_MISS, b"keymiss", argv[1], db.id)
    else:
        c.server.stat_keyspace_hits += 1
    kind = db_type(value) if value is not None else b"list"
    if kind not in (b"list", b"set", b"zset"):
        raise CommandError(WRONGTYPE)
    if value is None:
        value = RList()

    if dontsort and kind == b"set" and (storekey is not None or getattr(c, "in_script", False)):
        dontsort = False
        alpha = True
        sortby = None

    if kind == b"zset" and value.encoding is not SKIPLIST:
        value.encoding = SKIPLIST  # Redis converts the sorted set destructively

    vectorlen = len(value)
    start = limit_start if limit_start > 0 else 0
    end = vectorlen - 1 if limit_count < 0 else start + limit_count - 1
    if start >= vectorlen:
        start = vectorlen - 1
        end = vectorlen - 2
    if end >= vectorlen:
        end = vectorlen - 1

    if dontsort:
        # Native order, DESC reversing it; LIMIT applies to that order.
        if kind == b"list":
            elems = list(value)
        elif kind == b"zset":
            elems = value.members()
        else:
            elems = value.members() if hasattr(value, "members") else list(value)
        if desc and kind != b"set":
            elems.reverse()
        selected = elems[start : end + 1] if end >= start else []
    else:
        if kind == b"list":
            elems = list(value)
        elif kind == b"zset":
            elems = list(value.dict)
        else:
            elems = value.members() if hasattr(value, "members") else list(value)
        if alpha:
            if sortby is not None:
                keys = []
                for e in elems:
                    byval = lookup_by_pattern(db, sortby, e)
                    keys.append((0, b"") if byval is None else (1, bytes(byval)))
                order = sorted(range(len(elems)), key=keys.__getitem__, reverse=desc)
                elems = [elems[i] for i in order]
            else:
                elems = sorted(elems, reverse=desc)
        else:
            scored = []
            error = False
            for e in elems:
                if sortby is not None:
                    byval = lookup_by_pattern(db, sortby, e)
                    if byval is None:
                        scored.append((0.0, e))
                        continue
                else:
                    byval = e
                score = _sort_score(byval)
                if score is None:
                    error = True
                    score = 0.0
                scored.append((score, e))
            if error:
                raise CommandError("ERR One or more scores can't be converted into double")
            scored.sort(key=lambda p: (p[0], p[1]), reverse=desc)
            elems = [e for _, e in scored]
        selected = elems[start : end + 1] if end >= start else []

    if storekey is None:
        if not gets:
            return list(selected)
        out = []
        for e in selected:
            for pat in gets:
                out.append(lookup_by_pattern(db, pat, e))
        return out

    result = RList()
    if not gets:
        result.extend(selected)
    else:
        for e in selected:
            for pat in gets:
                v = lookup_by_pattern(db, pat, e)
                result.append(b"" if v is None else v)
    outputlen = len(result)
    if outputlen:
        existed = db.lookup(storekey) is not None
        db.set(storekey, result)
        if not existed:
            try:
                from ..blocking import signal_key_as_ready

                signal_key_as_ready(db, storekey)
            except ImportError:
                pass
        notify(c.server, NOTIFY_LIST, b"sortstore", storekey, db.id)
        c.server.dirty += outputlen
    elif db.delete(storekey):
        notify(c.server, NOTIFY_GENERIC, b"del", storekey, db.id)
        c.server.dirty += 1
    return outputlen


@command("sort")
def cmd_sort(c, argv):
    """SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination]"""
    return _sort_generic(c, argv, False)


@command("sort_ro")
def cmd_sort_ro(c, argv):
    """SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA]"""
    return _sort_generic(c, argv, True)
