"""String commands (Redis's t_string.c).

Strings are stored as `bytes`; APPEND, SETRANGE and the bit commands turn a value into a
`bytearray` (Redis's "raw" encoding) so repeated in-place edits stay O(1) amortised.
Every reader accepts both, and a reply never hands out a stored bytearray itself (EXEC
encodes its replies after all its commands ran, so a later in-place edit would show
through): readers return a `bytes` snapshot instead.
"""

from __future__ import annotations

from ..clock import now_ms
from ..errors import (
    NAN_OR_INF,
    NOT_FLOAT,
    NOT_INTEGER,
    OFFSET_OUT_OF_RANGE,
    OVERFLOW,
    STRING_TOO_LONG,
    SYNTAX,
    WRONGTYPE,
    CommandError,
    invalid_expire,
)
from ..numbers import (
    LLONG_MAX,
    LLONG_MIN,
    SHARED_INT_BYTES,
    SHARED_INT_VALUE,
    SHARED_INTEGERS,
    format_long_double,
    long_double_add,
    parse_long_double,
    string2ll,
)
from ..notify import GENERIC as NOTIFY_GENERIC, KEY_MISS as NOTIFY_KEY_MISS, STRING as NOTIFY_STRING, notify
from ..registry import command_group
from ..replies import NULL, OK

command = command_group("string")

_STRING_TYPES = (bytes, bytearray)


def read_string(c, key: bytes):
    """lookupKeyRead + checkType: counts a keyspace hit or miss, WRONGTYPE for another type."""
    v = c.db.lookup_read(key)
    if v is None:
        return None
    t = type(v)
    if t is bytes or t is bytearray:
        return v
    raise CommandError(WRONGTYPE)


def _snapshot(v):
    """A stored value as a reply: a bytearray is copied, since the reply may be encoded
    after a later command of the same transaction edited the value in place."""
    return bytes(v) if type(v) is bytearray else v


def _getint(arg: bytes) -> int:
    """getLongLongFromObjectOrReply."""
    v = string2ll(arg)
    if v is None:
        raise CommandError(NOT_INTEGER)
    return v


def check_string_length(c, size: int, append: int) -> None:
    """checkStringLength: a string may not grow beyond proto-max-bulk-len."""
    if size + append > c.server.config.proto_max_bulk_len:
        raise CommandError(STRING_TOO_LONG)


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


def _parse_set_options(argv, for_getex: bool):
    """parseExtendedStringArgumentsOrReply for SET (for_getex False) and GETEX.

    Options compare as C strings (an argument is read up to its first NUL byte). A
    repeated option is accepted and the last expire wins; only the conflicting
    combinations Redis checks are syntax errors (EX after EX is fine, EX after PX is not).
    Returns (nx, xx, get, keepttl, persist, expire_arg, unit_seconds, absolute).
    """
    nx = xx = get = keepttl = persist = False
    expire_arg = None
    kind = None  # b"ex" / b"px" / b"exat" / b"pxat"
    i = 3 if not for_getex else 2
    argc = len(argv)
    while i < argc:
        opt = argv[i]
        if b"\0" in opt:
            opt = opt[: opt.index(b"\0")]
        opt = opt.lower()
        has_next = i + 1 < argc
        if opt == b"nx" and not xx and not for_getex:
            nx = True
        elif opt == b"xx" and not nx and not for_getex:
            xx = True
        elif opt == b"get" and not for_getex:
            get = True
        elif opt == b"keepttl" and not persist and kind is None and not for_getex:
            keepttl = True
        elif opt == b"persist" and for_getex and kind is None and not keepttl:
            persist = True
        elif (
            opt in (b"ex", b"px", b"exat", b"pxat")
            and not keepttl
            and not persist
            and (kind is None or kind == opt)
            and has_next
        ):
            kind = opt
            expire_arg = argv[i + 1]
            i += 1
        else:
            raise CommandError(SYNTAX)
        i += 1
    unit_seconds = kind in (b"ex", b"exat")
    absolute = kind in (b"exat", b"pxat")
    return nx, xx, get, keepttl, persist, expire_arg, unit_seconds, absolute


@command("get")
def cmd_get(c, argv):
    """GET key"""
    db = c.db
    v = db.data.get(argv[1])
    if v is None or (db.expires and argv[1] in db.expires):
        v = db.lookup(argv[1])
        if v is None:
            c.server.stat_keyspace_misses += 1
            notify(c.server, NOTIFY_KEY_MISS, b"keymiss", argv[1], db.id)
            return NULL
    elif db.touch is not None:
        db.touch(argv[1])  # LRU/LFU clock (evict.py), as db.lookup does
    c.server.stat_keyspace_hits += 1
    t = type(v)
    if t is bytes:
        return v
    if t is bytearray:
        return bytes(v)  # a snapshot: see the module docstring
    raise CommandError(WRONGTYPE)


@command("set")
def cmd_set(c, argv):
    """SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ms-ts | KEEPTTL]

    With GET, the old value is the reply even when NX/XX stops the write, and a key of
    another type is a WRONGTYPE error before anything is written. An EXAT/PXAT in the
    past is accepted: the key is written and expires at once.
    """
    db = c.db
    key = argv[1]
    if len(argv) == 3:
        server = c.server
        if db.expires:
            db.lookup(key)  # setKey's lookupKeyWrite: an expired key is expired first
            if server.config.notify_keyspace_events:
                db.set(key, argv[2])
                notify(server, NOTIFY_STRING, b"set", key, db.id)
                server.dirty += 1
                return OK
            db.expires.pop(key, None)
        elif server.config.notify_keyspace_events:
            db.set(key, argv[2])
            notify(server, NOTIFY_STRING, b"set", key, db.id)
            server.dirty += 1
            return OK
        db.data[key] = argv[2]
        if server.signals_on:
            db.signal_modified(key)
        server.dirty += 1
        return OK
    nx, xx, get, keepttl, _, expire, unit_seconds, absolute = _parse_set_options(argv, False)
    return _set_generic(
        c,
        key,
        argv[2],
        "set",
        nx=nx,
        xx=xx,
        get=get,
        keepttl=keepttl,
        expire=expire,
        unit_seconds=unit_seconds,
        absolute=absolute,
    )


def _set_generic(
    c,
    key: bytes,
    value: bytes,
    cmdname: str,
    *,
    nx=False,
    xx=False,
    get=False,
    keepttl=False,
    expire: bytes | None = None,
    unit_seconds=False,
    absolute=False,
    ok=OK,
    abort=NULL,
):
    """setGenericCommand: `ok`/`abort` are the replies for a write and for an NX/XX refusal."""
    when = _expire_ms(c, expire, unit_seconds, absolute, cmdname) if expire is not None else None
    db = c.db
    old = read_string(c, key) if get else None
    found = db.lookup(key) is not None
    if (nx and found) or (xx and not found):
        return _snapshot(old) if get else abort
    db.set(key, value, keepttl=keepttl)
    c.server.dirty += 1
    notify(c.server, NOTIFY_STRING, b"set", key, db.id)
    if when is not None:
        db.set_expire(key, when)
        notify(c.server, NOTIFY_GENERIC, b"expire", key, db.id)
        if c.server.propagating:
            # propagated with an absolute deadline, without NX/XX/GET (as Redis)
            c.server.rewrite_propagation([b"SET", key, value, b"PXAT", b"%d" % when])
    return old if get else ok


@command("setnx")
def cmd_setnx(c, argv):
    """SETNX key value"""
    return _set_generic(c, argv[1], argv[2], "setnx", nx=True, ok=1, abort=0)


@command("setex")
def cmd_setex(c, argv):
    """SETEX key seconds value"""
    return _set_generic(c, argv[1], argv[3], "setex", expire=argv[2], unit_seconds=True)


@command("psetex")
def cmd_psetex(c, argv):
    """PSETEX key milliseconds value"""
    return _set_generic(c, argv[1], argv[3], "psetex", expire=argv[2])


@command("getex")
def cmd_getex(c, argv):
    """GETEX key [EX s | PX ms | EXAT ts | PXAT ms-ts | PERSIST]

    Options are checked first, then the key (a missing key answers null even with an
    invalid expire value), then the expire value. An EXAT/PXAT already in the past
    deletes the key after replying with its value.
    """
    _, _, _, _, persist, expire_arg, unit_seconds, absolute = _parse_set_options(argv, True)
    key = argv[1]
    v = read_string(c, key)
    if v is None:
        return NULL
    db = c.db
    if expire_arg is not None:
        when = _expire_ms(c, expire_arg, unit_seconds, absolute, "getex")
        server = c.server
        if absolute and when <= now_ms():
            db.delete(key)
            notify(server, NOTIFY_GENERIC, b"del", key, db.id)
            if server.propagating:
                server.rewrite_propagation([b"UNLINK" if server.config.lazyfree_lazy_expire else b"DEL", key])
        else:
            db.set_expire(key, when)
            db.signal_modified(key)
            notify(server, NOTIFY_GENERIC, b"expire", key, db.id)
            if server.propagating:
                server.rewrite_propagation([b"PEXPIREAT", key, b"%d" % when])
        server.dirty += 1
    elif persist:
        if db.persist(key):
            db.signal_modified(key)
            notify(c.server, NOTIFY_GENERIC, b"persist", key, db.id)
            c.server.dirty += 1
            if c.server.propagating:
                c.server.rewrite_propagation([b"PERSIST", key])
    return _snapshot(v)


@command("getdel")
def cmd_getdel(c, argv):
    """GETDEL key"""
    v = read_string(c, argv[1])
    if v is None:
        return NULL
    c.db.delete(argv[1])
    notify(c.server, NOTIFY_GENERIC, b"del", argv[1], c.db.id)
    c.server.dirty += 1
    if c.server.propagating:
        c.server.rewrite_propagation([b"DEL", argv[1]])
    return v


@command("getset")
def cmd_getset(c, argv):
    """GETSET key value: the TTL is dropped, like SET."""
    old = read_string(c, argv[1])
    c.db.set(argv[1], argv[2])
    notify(c.server, NOTIFY_STRING, b"set", argv[1], c.db.id)
    c.server.dirty += 1
    return old


@command("strlen")
def cmd_strlen(c, argv):
    """STRLEN key"""
    v = read_string(c, argv[1])
    return 0 if v is None else len(v)


def _getrange_generic(c, argv):
    start = _getint(argv[2])
    end = _getint(argv[3])
    v = read_string(c, argv[1])
    if v is None:
        return b""
    n = len(v)
    if start < 0 and end < 0 and start > end:
        return b""
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if end < 0:
        end = 0
    if end >= n:
        end = n - 1
    if start > end or n == 0:
        return b""
    return bytes(v[start : end + 1])


@command("getrange")
def cmd_getrange(c, argv):
    """GETRANGE key start end

    Both indexes are parsed before the key is looked up; start and end both negative
    with start > end is empty even where clamping would select a byte.
    """
    return _getrange_generic(c, argv)


@command("substr")
def cmd_substr(c, argv):
    """SUBSTR key start end: GETRANGE under its old name."""
    return _getrange_generic(c, argv)


@command("setrange")
def cmd_setrange(c, argv):
    """SETRANGE key offset value

    An empty value writes nothing: 0 for a missing key (not created), the current length
    otherwise, with no length check.
    """
    offset = _getint(argv[2])
    if offset < 0:
        raise CommandError(OFFSET_OUT_OF_RANGE)
    key = argv[1]
    value = argv[3]
    db = c.db
    v = db.lookup(key)
    if v is None:
        if not value:
            return 0
        check_string_length(c, offset, len(value))
        buf = bytearray(offset)
        buf += value
        db.add(key, buf)
    else:
        t = type(v)
        if t is not bytes and t is not bytearray:
            raise CommandError(WRONGTYPE)
        if not value:
            return len(v)
        check_string_length(c, offset, len(value))
        if t is bytes:
            v = bytearray(v)
            db.data[key] = v
        if offset > len(v):
            v.extend(bytes(offset - len(v)))
        v[offset : offset + len(value)] = value
        db.signal_modified(key)
        buf = v
    notify(c.server, NOTIFY_STRING, b"setrange", key, db.id)
    c.server.dirty += 1
    return len(buf)


@command("append")
def cmd_append(c, argv):
    """APPEND key value"""
    key = argv[1]
    db = c.db
    v = db.lookup(key)
    if v is None:
        db.add(key, argv[2])
        total = len(argv[2])
    else:
        t = type(v)
        if t is bytearray:
            check_string_length(c, len(v), len(argv[2]))
            v += argv[2]
        elif t is bytes:
            check_string_length(c, len(v), len(argv[2]))
            v = bytearray(v)
            v += argv[2]
            db.data[key] = v
        else:
            raise CommandError(WRONGTYPE)
        db.signal_modified(key)
        total = len(v)
    notify(c.server, NOTIFY_STRING, b"append", key, db.id)
    c.server.dirty += 1
    return total


# Also DECR, INCRBY and DECRBY, with their delta: INCR's handler itself, a Python call
# less on INCR's path.
@command("incr")
def cmd_incr(c, argv, delta: int = 1):
    """INCR key"""
    key = argv[1]
    db = c.db
    v = db.data.get(key)
    if v is not None and (db.expires or db.touch is not None):
        v = db.lookup(key)  # an expired key goes; LRU/LFU clocks (evict.py)
    if v is None:
        current = 0
    else:
        t = type(v)
        if t is bytes and len(v) < 5 and (current := SHARED_INT_VALUE.get(v)) is not None:
            pass  # 0..9999, as INCR stores them
        elif t is bytes and 0 < len(v) < 19 and v.isdigit() and (v[0] != 48 or len(v) == 1):
            current = int(v)  # the common case, without the strict parser's regex
        else:
            if t is not bytes and t is not bytearray:
                raise CommandError(WRONGTYPE)
            current = string2ll(bytes(v)) if len(v) <= 20 else None
            if current is None:
                raise CommandError(NOT_INTEGER)
    new = current + delta  # Python ints do not wrap: Redis's overflow test, after the fact
    if new > LLONG_MAX or new < LLONG_MIN:
        raise CommandError(OVERFLOW)
    stored = SHARED_INT_BYTES[new] if 0 <= new < SHARED_INTEGERS else b"%d" % new
    server = c.server
    if server.config.notify_keyspace_events:
        if v is None:
            db.add(key, stored)
        else:
            db.data[key] = stored
            db.signal_modified(key)
        notify(server, NOTIFY_STRING, b"incrby", key, db.id)
        server.dirty += 1
        return new
    db.data[key] = stored
    if server.signals_on:
        db.signal_modified(key)
    server.dirty += 1
    return new


@command("decr")
def cmd_decr(c, argv):
    """DECR key"""
    return cmd_incr(c, argv, -1)


@command("incrby")
def cmd_incrby(c, argv):
    """INCRBY key increment"""
    delta = string2ll(argv[2])
    if delta is None:
        raise CommandError(NOT_INTEGER)
    return cmd_incr(c, argv, delta)


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
    return cmd_incr(c, argv, -delta)


@command("incrbyfloat")
def cmd_incrbyfloat(c, argv):
    """INCRBYFLOAT key increment

    Computed in x87 long double and stored as "%.17Lf" without trailing zeros
    (numbers.py). The stored value is parsed before the increment; both refuse with the
    same "not a valid float" error. The TTL is kept.
    """
    key = argv[1]
    db = c.db
    v = db.lookup(key)
    if v is None:
        current = 0
    else:
        t = type(v)
        if t is not bytes and t is not bytearray:
            raise CommandError(WRONGTYPE)
        current = parse_long_double(bytes(v))
        if current is None:
            raise CommandError(NOT_FLOAT)
    incr = parse_long_double(argv[2])
    if incr is None:
        raise CommandError(NOT_FLOAT)
    value = long_double_add(current, incr) if v is not None else incr
    if isinstance(value, float):  # inf or nan
        raise CommandError(NAN_OR_INF)
    new = format_long_double(value)
    if v is None:
        db.add(key, new)
    else:
        db.data[key] = new
        db.signal_modified(key)
    notify(c.server, NOTIFY_STRING, b"incrbyfloat", key, db.id)
    c.server.dirty += 1
    if c.server.propagating:
        # replay must not depend on float formatting: the result, keeping the TTL
        c.server.rewrite_propagation([b"SET", key, new, b"KEEPTTL"])
    return new


@command("mset")
def cmd_mset(c, argv):
    """MSET key value [key value ...]"""
    if len(argv) % 2 == 0:
        raise CommandError("ERR wrong number of arguments for 'mset' command")
    db = c.db
    server = c.server
    if server.config.notify_keyspace_events:
        for i in range(1, len(argv), 2):
            if db.expires:
                db.lookup(argv[i])  # setKey's lookupKeyWrite: an expired key is expired first
            db.set(argv[i], argv[i + 1])
            notify(server, NOTIFY_STRING, b"set", argv[i], db.id)
    else:
        # The same without notifications, inlined: db.set() per key is most of MSET's time.
        data = db.data
        expires = db.expires
        signal = server.signals_on
        for i in range(1, len(argv), 2):
            key = argv[i]
            if expires:
                db.lookup(key)  # an expired key is expired first, as above
                expires.pop(key, None)
            data[key] = argv[i + 1]
            if signal:
                db.signal_modified(key)
    server.dirty += (len(argv) - 1) // 2
    return OK


@command("msetnx")
def cmd_msetnx(c, argv):
    """MSETNX key value [key value ...]: 0 and nothing written if any key exists."""
    if len(argv) % 2 == 0:
        raise CommandError("ERR wrong number of arguments for 'msetnx' command")
    db = c.db
    for i in range(1, len(argv), 2):
        if db.lookup(argv[i]) is not None:
            return 0
    for i in range(1, len(argv), 2):
        if db.expires:
            db.lookup(argv[i])  # setKey's lookupKeyWrite: an expired key is expired first
        db.set(argv[i], argv[i + 1])
        notify(c.server, NOTIFY_STRING, b"set", argv[i], db.id)
    c.server.dirty += (len(argv) - 1) // 2
    return 1


@command("mget")
def cmd_mget(c, argv):
    """MGET key [key ...]: a non-string value reads as null, not an error."""
    db = c.db
    out = []
    hits = 0
    for key in argv[1:]:
        v = db.lookup(key)
        if v is not None:
            hits += 1
        else:
            notify(c.server, NOTIFY_KEY_MISS, b"keymiss", key, db.id)
        t = type(v)
        out.append(v if t is bytes else bytes(v) if t is bytearray else NULL)
    server = c.server
    server.stat_keyspace_hits += hits
    server.stat_keyspace_misses += len(argv) - 1 - hits
    return out


# ------------------------------------------------------------------ LCS


def _lcs_rows(a: bytes, b: bytes) -> list[int]:
    """Bit-parallel LCS table (Allison-Dix / Hyyro): rows[i] is a bit vector over b such
    that LCS(a[:i], b[:j]) == j - popcount(rows[i] & (2**j - 1)). One big-int operation
    per byte of a instead of len(b) Python steps."""
    m = len(b)
    full = (1 << m) - 1
    masks: dict[int, int] = {}
    for j, ch in enumerate(b):
        masks[ch] = masks.get(ch, 0) | (1 << j)
    row = full
    rows = [row]
    for ch in a:
        u = row & masks.get(ch, 0)
        row = ((row + u) | (row - u)) & full
        rows.append(row)
    return rows


@command("lcs")
def cmd_lcs(c, argv):
    """LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]

    Both keys are looked up before the options are parsed, so a key of another type
    wins over a syntax error. LEN with IDX is an error whatever the order. The walk back
    through the table is Redis's (prefer moving in key1 only when that keeps a longer
    LCS), so IDX reports the same ranges, last match first.
    """
    db = c.db
    server = c.server
    va = db.lookup(argv[1])
    vb = db.lookup(argv[2])
    for k, v in ((argv[1], va), (argv[2], vb)):
        if v is None:
            server.stat_keyspace_misses += 1
            notify(server, NOTIFY_KEY_MISS, b"keymiss", k, db.id)
        else:
            server.stat_keyspace_hits += 1
    if (va is not None and type(va) not in _STRING_TYPES) or (
        vb is not None and type(vb) not in _STRING_TYPES
    ):
        raise CommandError("ERR The specified keys must contain string values")
    a = bytes(va) if va is not None else b""
    b = bytes(vb) if vb is not None else b""
    getlen = getidx = withmatchlen = False
    minmatchlen = 0
    j = 3
    argc = len(argv)
    while j < argc:
        opt = argv[j]
        if b"\0" in opt:
            opt = opt[: opt.index(b"\0")]
        opt = opt.lower()
        if opt == b"idx":
            getidx = True
        elif opt == b"len":
            getlen = True
        elif opt == b"withmatchlen":
            withmatchlen = True
        elif opt == b"minmatchlen" and j + 1 < argc:
            minmatchlen = max(_getint(argv[j + 1]), 0)
            j += 1
        else:
            raise CommandError(SYNTAX)
        j += 1
    if getidx and getlen:
        raise CommandError("ERR If you want both the length and indexes, please just use IDX.")
    alen, blen = len(a), len(b)
    rows = _lcs_rows(a, b)
    total = blen - rows[alen].bit_count()
    if getlen:
        return total

    def lcs(i: int, jj: int) -> int:
        return jj - (rows[i] & ((1 << jj) - 1)).bit_count()

    result = bytearray(total)
    idx = total
    matches = []
    i, jj = alen, blen
    arange_start = alen  # alen: no range open
    arange_end = brange_start = brange_end = 0
    while i > 0 and jj > 0:
        emit = False
        if a[i - 1] == b[jj - 1]:
            result[idx - 1] = a[i - 1]
            if arange_start == alen:
                arange_start = arange_end = i - 1
                brange_start = brange_end = jj - 1
            elif arange_start == i and brange_start == jj:
                arange_start -= 1
                brange_start -= 1
            else:
                emit = True
            if arange_start == 0 or brange_start == 0:
                emit = True
            idx -= 1
            i -= 1
            jj -= 1
        else:
            if lcs(i - 1, jj) > lcs(i, jj - 1):
                i -= 1
            else:
                jj -= 1
            if arange_start != alen:
                emit = True
        if emit:
            match_len = arange_end - arange_start + 1
            if getidx and (minmatchlen == 0 or match_len >= minmatchlen):
                m = [[arange_start, arange_end], [brange_start, brange_end]]
                if withmatchlen:
                    m.append(match_len)
                matches.append(m)
            arange_start = alen
    if getidx:
        return {b"matches": matches, b"len": total}
    return bytes(result)
