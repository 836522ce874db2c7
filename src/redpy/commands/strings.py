"""String commands (Redis's t_string.c).

Strings are stored as `bytes`; APPEND, SETRANGE and the bit commands turn a value into a
`bytearray` (Redis's "raw" encoding) so repeated in-place edits stay O(1) amortised.
Every reader accepts both.
"""

from __future__ import annotations

from ..clock import now_ms
from ..errors import (
    NOT_INTEGER,
    OVERFLOW,
    SYNTAX,
    WRONGTYPE,
    CommandError,
    invalid_expire,
)
from ..numbers import LLONG_MAX, LLONG_MIN, string2ll
from ..registry import command_group
from ..replies import NULL, OK

command = command_group("string")

_STRING_TYPES = (bytes, bytearray)


def get_string(db, key: bytes):
    """The string at key, None if missing; WRONGTYPE for another type."""
    v = db.lookup(key)
    if v is None:
        return None
    t = type(v)
    if t is bytes or t is bytearray:
        return v
    raise CommandError(WRONGTYPE)


def _expire_ms(c, arg: bytes, unit_seconds: bool, absolute: bool, cmdname: str) -> int:
    """getExpireMillisecondsOrReply: the absolute deadline in ms for an EX/PX/EXAT/PXAT value."""
    value = string2ll(arg)
    if value is None:
        raise CommandError(NOT_INTEGER)
    if value <= 0 or (unit_seconds and value > LLONG_MAX // 1000):
        raise invalid_expire(cmdname)
    if unit_seconds:
        value *= 1000
    if not absolute:
        value += now_ms()
        if value <= 0 or value > LLONG_MAX:
            raise invalid_expire(cmdname)
    return value


@command("get")
def cmd_get(c, argv):
    """GET key"""
    db = c.db
    v = db.data.get(argv[1])
    if v is None or (db.expires and argv[1] in db.expires):
        v = db.lookup(argv[1])
        if v is None:
            c.server.stat_keyspace_misses += 1
            return NULL
    c.server.stat_keyspace_hits += 1
    t = type(v)
    if t is bytes or t is bytearray:
        return v
    raise CommandError(WRONGTYPE)


@command("set")
def cmd_set(c, argv):
    """SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ms-ts | KEEPTTL]

    Options are parsed as Redis's parseExtendedStringArgumentsOrReply does: a repeated
    or conflicting option is a syntax error. With GET, the old value is the reply even
    when NX/XX stops the write.
    """
    db = c.db
    key = argv[1]
    if len(argv) == 3:
        db.data[key] = argv[2]
        if db.expires:
            db.expires.pop(key, None)
        db.signal_modified(key)
        c.server.dirty += 1
        return OK
    nx = xx = get = keepttl = False
    expire_arg = None
    unit_seconds = absolute = False
    i = 3
    argc = len(argv)
    while i < argc:
        opt = argv[i].lower()
        has_next = i + 1 < argc
        if opt == b"nx" and not xx:
            nx = True
        elif opt == b"xx" and not nx:
            xx = True
        elif opt == b"get":
            get = True
        elif opt == b"keepttl" and expire_arg is None:
            keepttl = True
        elif opt in (b"ex", b"px", b"exat", b"pxat") and not keepttl and expire_arg is None and has_next:
            expire_arg = argv[i + 1]
            unit_seconds = opt in (b"ex", b"exat")
            absolute = opt in (b"exat", b"pxat")
            i += 1
        else:
            raise CommandError(SYNTAX)
        i += 1
    when = _expire_ms(c, expire_arg, unit_seconds, absolute, "set") if expire_arg is not None else None
    old = get_string(db, key) if get else None
    found = db.lookup(key) is not None
    if (nx and found) or (xx and not found):
        return old if get else NULL
    db.set(key, argv[2], keepttl=keepttl)
    c.server.dirty += 1
    if when is not None:
        db.set_expire(key, when)
    return old if get else OK


def _incr(c, key: bytes, delta: int):
    db = c.db
    v = db.lookup(key)
    if v is None:
        current = 0
    else:
        t = type(v)
        if t is not bytes and t is not bytearray:
            raise CommandError(WRONGTYPE)
        current = string2ll(bytes(v)) if len(v) <= 20 else None
        if current is None:
            raise CommandError(NOT_INTEGER)
    if (delta < 0 and current < 0 and delta < LLONG_MIN - current) or (
        delta > 0 and current > 0 and delta > LLONG_MAX - current
    ):
        raise CommandError(OVERFLOW)
    new = current + delta
    if v is None:
        db.add(key, b"%d" % new)
    else:
        db.data[key] = b"%d" % new
        db.signal_modified(key)
    c.server.dirty += 1
    return new


@command("incr")
def cmd_incr(c, argv):
    """INCR key"""
    return _incr(c, argv[1], 1)


@command("decr")
def cmd_decr(c, argv):
    """DECR key"""
    return _incr(c, argv[1], -1)


@command("incrby")
def cmd_incrby(c, argv):
    """INCRBY key increment"""
    delta = string2ll(argv[2])
    if delta is None:
        raise CommandError(NOT_INTEGER)
    return _incr(c, argv[1], delta)


@command("decrby")
def cmd_decrby(c, argv):
    """DECRBY key decrement

    Redis refuses LLONG_MIN as a decrement, since it cannot be negated.
    """
    delta = string2ll(argv[2])
    if delta is None:
        raise CommandError(NOT_INTEGER)
    if delta == LLONG_MIN:
        raise CommandError("ERR decrement would overflow")
    return _incr(c, argv[1], -delta)


@command("mset")
def cmd_mset(c, argv):
    """MSET key value [key value ...]"""
    if len(argv) % 2 == 0:
        raise CommandError("ERR wrong number of arguments for 'mset' command")
    db = c.db
    for i in range(1, len(argv), 2):
        db.set(argv[i], argv[i + 1])
    c.server.dirty += (len(argv) - 1) // 2
    return OK


@command("mget")
def cmd_mget(c, argv):
    """MGET key [key ...]: a non-string value reads as null, not an error."""
    db = c.db
    out = []
    for key in argv[1:]:
        v = db.lookup(key)
        out.append(v if type(v) is bytes or type(v) is bytearray else NULL)
    return out
