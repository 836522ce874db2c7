"""Hash commands (Redis's t_hash.c).

Hashes are `types.rhash.Hash` (a dict with Redis's encoding beside it). Every write keeps
`encoding` in step with Redis: HSET/HMSET/HSETNX check all lengths before storing
(hashTypeTryConversion), HINCRBY/HINCRBYFLOAT only in the store itself (hashTypeSet),
and the entry count is checked after each new field. A hash that becomes empty is
deleted at once.
"""

from __future__ import annotations

import random

from ..errors import (
    NAN_OR_INF,
    NOT_FLOAT,
    NOT_INTEGER,
    OVERFLOW,
    SYNTAX,
    WRONGTYPE,
    CommandError,
    wrong_arity,
)
from ..numbers import (
    LLONG_MAX,
    LLONG_MIN,
    format_long_double,
    long_double_add,
    parse_long_double,
    string2ll,
)
from ..notify import HASH as NOTIFY_HASH, notify
from ..registry import command_group
from ..replies import NULL, OK
from ..types.rhash import LISTPACK, Hash
from .. import glob, scan

command = command_group("hash")


def _read(c, key: bytes):
    """lookupKeyRead + checkType: the hash at key or None; counts keyspace hits/misses."""
    v = c.db.lookup_read(key)
    if v is not None and type(v) is not Hash:
        raise CommandError(WRONGTYPE)
    return v


def _write(c, key: bytes):
    """lookupKeyWrite + checkType: the hash at key or None."""
    v = c.db.lookup(key)
    if v is not None and type(v) is not Hash:
        raise CommandError(WRONGTYPE)
    return v


def _write_or_create(c, key: bytes) -> Hash:
    """hashTypeLookupWriteOrCreate."""
    h = _write(c, key)
    if h is None:
        h = Hash()
        c.db.add(key, h)
    return h


def _hset_generic(c, argv) -> int:
    if len(argv) % 2:
        raise wrong_arity(argv[0].lower().decode("latin-1"))
    h = _write_or_create(c, argv[1])
    cfg = c.server.config
    if h.encoding is LISTPACK:
        h.try_conversion(argv[2:], cfg.hash_max_listpack_value)
    created = 0
    if h.encoding is LISTPACK:
        set_field = h.set_field
        for i in range(2, len(argv), 2):
            if set_field(argv[i], argv[i + 1], cfg):
                created += 1
    else:
        # hashTypeSet on a hashtable, inlined: no conversion is left to check. The new
        # fields are what the size grew by (a field given twice is new once, as in
        # Redis): one lookup a field, where `in` then a store made two cold ones.
        size = len(h)
        if len(argv) == 4:
            h[argv[2]] = argv[3]
        else:
            for i in range(2, len(argv), 2):
                h[argv[i]] = argv[i + 1]
        created = len(h) - size
    server = c.server
    if server.signals_on:
        c.db.signal_modified(argv[1])
    if server.config.notify_keyspace_events:
        notify(server, NOTIFY_HASH, b"hset", argv[1], c.db.id)
    server.dirty += (len(argv) - 2) // 2
    return created


@command("hset")
def cmd_hset(c, argv):
    """HSET key field value [field value ...]"""
    return _hset_generic(c, argv)


@command("hmset")
def cmd_hmset(c, argv):
    """HMSET key field value [field value ...]"""
    _hset_generic(c, argv)
    return OK


@command("hsetnx")
def cmd_hsetnx(c, argv):
    """HSETNX key field value

    The lengths are checked (and the hash converted) only when the field is new.
    """
    h = _write_or_create(c, argv[1])
    if argv[2] in h:
        return 0
    cfg = c.server.config
    h.try_conversion(argv[2:4], cfg.hash_max_listpack_value)
    h.set_field(argv[2], argv[3], cfg)
    c.db.signal_modified(argv[1])
    notify(c.server, NOTIFY_HASH, b"hset", argv[1], c.db.id)
    c.server.dirty += 1
    return 1


@command("hget")
def cmd_hget(c, argv):
    """HGET key field"""
    h = _read(c, argv[1])
    if h is None:
        return NULL
    return h.get(argv[2])


@command("hmget")
def cmd_hmget(c, argv):
    """HMGET key field [field ...]"""
    h = _read(c, argv[1])
    if h is None:
        return [NULL] * (len(argv) - 2)
    get = h.get
    return [get(f) for f in argv[2:]]


@command("hdel")
def cmd_hdel(c, argv):
    """HDEL key field [field ...]"""
    key = argv[1]
    h = _write(c, key)
    if h is None:
        return 0
    return c.db.remove_members(key, h, argv[2:], h.__delitem__, NOTIFY_HASH, b"hdel")


@command("hlen")
def cmd_hlen(c, argv):
    """HLEN key"""
    h = _read(c, argv[1])
    return 0 if h is None else len(h)


@command("hstrlen")
def cmd_hstrlen(c, argv):
    """HSTRLEN key field"""
    h = _read(c, argv[1])
    if h is None:
        return 0
    v = h.get(argv[2])
    return 0 if v is None else len(v)


@command("hexists")
def cmd_hexists(c, argv):
    """HEXISTS key field"""
    h = _read(c, argv[1])
    return 1 if h is not None and argv[2] in h else 0


@command("hgetall")
def cmd_hgetall(c, argv):
    """HGETALL key: a map in RESP3, in listpack (insertion) order for a small hash."""
    h = _read(c, argv[1])
    return {} if h is None else dict(h)


@command("hkeys")
def cmd_hkeys(c, argv):
    """HKEYS key"""
    h = _read(c, argv[1])
    return [] if h is None else list(h)


@command("hvals")
def cmd_hvals(c, argv):
    """HVALS key"""
    h = _read(c, argv[1])
    return [] if h is None else list(h.values())


@command("hincrby")
def cmd_hincrby(c, argv):
    """HINCRBY key field increment"""
    incr = string2ll(argv[3])
    if incr is None:
        raise CommandError(NOT_INTEGER)
    key, field = argv[1], argv[2]
    h = _write(c, key)
    current = h.get(field) if h is not None else None
    if current is None:
        value = 0
    else:
        value = string2ll(current)
        if value is None:
            raise CommandError("ERR hash value is not an integer")
    if (incr < 0 and value < 0 and incr < LLONG_MIN - value) or (
        incr > 0 and value > 0 and incr > LLONG_MAX - value
    ):
        raise CommandError(OVERFLOW)
    value += incr
    if h is None:
        h = Hash()
        c.db.add(key, h)
    h.set_field(field, b"%d" % value, c.server.config)
    c.db.signal_modified(key)
    notify(c.server, NOTIFY_HASH, b"hincrby", key, c.db.id)
    c.server.dirty += 1
    return value


@command("hincrbyfloat")
def cmd_hincrbyfloat(c, argv):
    """HINCRBYFLOAT key field increment

    Computed in long double and printed like "%.17Lf" without trailing zeros. An infinite
    increment is refused before the key is looked at ("value is NaN or Infinity"); a
    stored "inf" parses, and the sum is refused as NaN or Infinity.
    """
    incr = parse_long_double(argv[3])
    if incr is None:
        raise CommandError(NOT_FLOAT)
    if isinstance(incr, float):
        raise CommandError("ERR value is NaN or Infinity")
    key, field = argv[1], argv[2]
    h = _write(c, key)
    current = h.get(field) if h is not None else None
    if current is None:
        value = 0
    else:
        value = parse_long_double(current)
        if value is None:
            raise CommandError("ERR hash value is not a float")
    value = long_double_add(value, incr)
    if isinstance(value, float):
        raise CommandError(NAN_OR_INF)
    text = format_long_double(value)
    if h is None:
        h = Hash()
        c.db.add(key, h)
    h.set_field(field, text, c.server.config)
    c.db.signal_modified(key)
    notify(c.server, NOTIFY_HASH, b"hincrbyfloat", key, c.db.id)
    c.server.dirty += 1
    if c.server.propagating:
        c.server.rewrite_propagation([b"HSET", key, field, text])
    return text


@command("hrandfield")
def cmd_hrandfield(c, argv):
    """HRANDFIELD key [count [WITHVALUES]]

    A negative count may repeat fields; with WITHVALUES the count must lie within
    +-LONG_MAX/2 ("value is out of range"). RESP3 nests each field-value pair in an
    array. A count at least the size returns the whole hash in its own order.
    """
    if len(argv) == 2:
        h = _read(c, argv[1])
        if h is None:
            return NULL
        return _random_fields(h, 1)[0]
    count = range_long(argv[2])
    withvalues = False
    if len(argv) > 4 or (len(argv) == 4 and argv[3].lower() != b"withvalues"):
        raise CommandError(SYNTAX)
    if len(argv) == 4:
        withvalues = True
        if count < -(LLONG_MAX // 2) or count > LLONG_MAX // 2:
            raise CommandError("ERR value is out of range")
    h = _read(c, argv[1])
    if h is None or count == 0:
        return []
    resp3 = c.proto == 3
    if count < 0 or count == 1:
        fields = _random_fields(h, -count if count < 0 else 1)
    elif count >= len(h):
        fields = list(h)
    else:
        fields = random.sample(list(h), count)
    if not withvalues:
        return fields
    if resp3:
        return [[f, h[f]] for f in fields]
    out = []
    for f in fields:
        out.append(f)
        out.append(h[f])
    return out


def _random_fields(h: Hash, n: int) -> list:
    """n fields drawn with replacement."""
    keys = list(h)
    if n == 1:
        return [random.choice(keys)]
    return random.choices(keys, k=n)


@command("hscan")
def cmd_hscan(c, argv):
    """HSCAN key cursor [MATCH pattern] [COUNT count]

    A listpack hash is answered whole in one reply with cursor 0 (COUNT ignored), as
    Redis does; MATCH filters on the field and drops its value with it. The cursor is
    parsed first, then the key is looked up (a missing key answers an empty scan even
    with bad options), then the options.
    """
    cursor = scan.parse_cursor(argv[2])
    h = _read(c, argv[1])
    if h is None:
        return [b"0", []]
    pattern, count, _ = scan.parse_scan_options(argv, 3)
    if h.encoding is LISTPACK:
        next_cursor, fields = 0, list(h)
    else:
        next_cursor, fields = scan.scan_items(c.server, cursor, count, lambda: list(h), h, h.__contains__)
    out = []
    match = glob.compile(pattern) if pattern is not None else None
    for f in fields:
        if match is None or match(f):
            out.append(f)
            out.append(h[f])
    return [b"%d" % next_cursor, out]


# ------------------------------------------------------------------ shared with sets.py


def range_long(arg: bytes) -> int:
    """getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX) with Redis's default messages."""
    v = string2ll(arg)
    if v is None:
        raise CommandError(NOT_INTEGER)
    if v == LLONG_MIN:
        raise CommandError(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
        )
    return v
