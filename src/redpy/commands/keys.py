"""Generic keyspace commands (Redis's db.c, expire.c, object.c): DEL, EXISTS, EXPIRE, SCAN, ...

Also the keyspace commands of the server group: DBSIZE, SWAPDB, FLUSHDB, FLUSHALL.

Keyspace statistics follow Redis's lookup functions: commands that read a key through
lookupKeyRead* (EXISTS, TYPE, TTL & co, TOUCH, OBJECT, COPY's source, SCAN's TYPE filter)
count a keyspace hit or miss; commands that look up for writing (DEL, EXPIRE, RENAME,
MOVE, PERSIST) do not.
"""

from __future__ import annotations

import copy as _copy
from collections import deque

from .. import glob
from ..clock import now_ms
from ..db import TYPE_NAMES
from ..evict import frequency, idle_seconds, lookup_notouch, rebind
from ..errors import (
    DB_INDEX_OUT_OF_RANGE,
    NO_SUCH_KEY,
    NOT_INTEGER,
    SYNTAX,
    CommandError,
    c_string,
    invalid_expire,
)
from ..notify import GENERIC, notify
from ..numbers import LLONG_MAX, LLONG_MIN, SHARED_INT_VALUE, string2ll
from ..registry import command_group
from ..replies import NULL, OK, Simple
from ..tracking import invalidate_on_flush
from ..scan import parse_cursor, parse_scan_options, scan_items

command = command_group("server")
generic = command_group("generic")

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_INT_RANGE = "ERR value is out of range, value must between -2147483648 and 2147483647"


def _lookup_read(c, key: bytes, keymiss: bool = True):
    """lookupKeyReadWithFlags(LOOKUP_NOTOUCH): the value or None, counting hits/misses.

    keymiss=False is LOOKUP_NONOTIFY (OBJECT): a miss notifies no keymiss event."""
    return c.db.lookup_read(key, notify_miss=keymiss)


def _lookup_notouch(c, key: bytes, keymiss: bool = True):
    """lookupKeyReadWithFlags(LOOKUP_NOTOUCH): as _lookup_read, leaving the key's LRU/LFU
    clock alone (OBJECT, TYPE, EXISTS, TTL and friends)."""
    db = c.db
    if db.touch is None:
        return db.lookup_read(key, notify_miss=keymiss)
    return lookup_notouch(db, key, keymiss)


def _get_int(arg: bytes, error: str | None = None) -> int:
    """getIntFromObjectOrReply: Redis's two errors unless the caller names its own."""
    v = string2ll(arg)
    if v is None:
        raise CommandError(error or NOT_INTEGER)
    if not _INT_MIN <= v <= _INT_MAX:
        raise CommandError(error or _INT_RANGE)
    return v


def _signal_ready(db, key: bytes) -> None:
    """A key was created by RENAME/MOVE/COPY: wake clients blocked on it (dbAdd does)."""
    if getattr(db.server, "blocking_keys", None):
        from ..blocking import signal_key_as_ready

        signal_key_as_ready(db, key)


_BUILTIN_COPIES = (dict.copy, set.copy, deque.copy, list.copy)


def _copy_value(v):
    """A deep-enough copy for COPY: strings are immutable bytes, containers are duplicated."""
    t = type(v)
    if t is bytes:
        return v
    if t is bytearray:
        return bytearray(v)
    method = getattr(t, "copy", None)
    if method is not None and method not in _BUILTIN_COPIES:
        return v.copy()
    # dict/set/deque subclasses without their own copy(): copy.copy keeps the class and
    # its slots, where the builtin copy() of a dict would return a plain dict.
    return _copy.copy(v)


# ---------------------------------------------------------------------- flush, size


def _flush_mode(argv) -> None:
    """FLUSHALL/FLUSHDB [ASYNC | SYNC]: both free memory before answering here."""
    if len(argv) > 2:
        raise CommandError(SYNTAX)
    if len(argv) == 2 and argv[1].lower() not in (b"async", b"sync"):
        raise CommandError(SYNTAX)


@command("flushdb")
def cmd_flushdb(c, argv):
    """FLUSHDB [ASYNC | SYNC]"""
    _flush_mode(argv)
    c.server.dirty += c.db.flush() + 1
    if c.server.tracking_table or c.server.tracking_clients:
        invalidate_on_flush(c.server)
    return OK


@command("flushall")
def cmd_flushall(c, argv):
    """FLUSHALL [ASYNC | SYNC]"""
    _flush_mode(argv)
    server = c.server
    removed = sum(db.flush() for db in server.dbs)
    server.dirty += removed
    # Redis 7.0: a running BGSAVE is killed, and with save rules the now empty dataset
    # is saved at once (the dirty count survives, so the flush still counts).
    from .persistence import kill_child, save_sync

    kill_child(server)
    if server.config.save:
        dirty = server.dirty
        save_sync(server)
        server.dirty = dirty
    server.dirty += 1
    if c.server.tracking_table or c.server.tracking_clients:
        invalidate_on_flush(c.server)
    return OK


@command("dbsize")
def cmd_dbsize(c, argv):
    """DBSIZE: counts keys whose deadline passed but that were not deleted yet, like Redis."""
    return len(c.db.data)


@command("swapdb")
def cmd_swapdb(c, argv):
    """SWAPDB index1 index2

    The contents (keys and deadlines) change places; clients keep their db by index.
    WATCHers of a key are invalidated when the key exists in either db, and clients
    blocked on a key that now exists are served, as dbSwapDatabases does.
    """
    id1 = _get_int(argv[1], "ERR invalid first DB index")
    id2 = _get_int(argv[2], "ERR invalid second DB index")
    dbs = c.server.dbs
    if id1 < 0 or id1 >= len(dbs) or id2 < 0 or id2 >= len(dbs):
        raise CommandError(DB_INDEX_OUT_OF_RANGE)
    if id1 != id2:
        db1, db2 = dbs[id1], dbs[id2]
        _touch_watched(db1, db2)
        _touch_watched(db2, db1)
        db1.data, db2.data = db2.data, db1.data
        db1.expires, db2.expires = db2.expires, db1.expires
        if c.server.key_hook is not None:  # maxmemory sizes and LRU/LFU clocks go along
            db1.access, db2.access = db2.access, db1.access
            db1.mem_sizes, db2.mem_sizes = db2.mem_sizes, db1.mem_sizes
            db1.mem_scan = db2.mem_scan = []
            db1.mem_scan_pos = db2.mem_scan_pos = 0
            rebind(c.server)
        db1._expire_scan, db2._expire_scan = db2._expire_scan, db1._expire_scan
        db1._expire_pos, db2._expire_pos = db2._expire_pos, db1._expire_pos
        bk = getattr(c.server, "blocking_keys", None)
        if bk:
            from ..blocking import signal_key_as_ready

            for dbid, key in list(bk):
                if dbid in (id1, id2) and key in dbs[dbid].data:
                    signal_key_as_ready(dbs[dbid], key)
    c.server.dirty += 1
    return OK


def _touch_watched(emptied, replaced_with) -> None:
    """touchAllWatchedKeysInDb: a watched key of `emptied` changes if it exists in either."""
    for key, clients in emptied.watched.items():
        if key in emptied.data or key in replaced_with.data:
            for client in clients:
                client.dirty_cas = True


# ---------------------------------------------------------------------- del, exists


def _del_generic(c, argv) -> int:
    db = c.db
    deleted = 0
    for key in argv[1:]:
        # lookup first: an expired key is removed as expired, not counted as deleted
        if db.lookup(key) is not None and db.delete(key):
            notify(c.server, GENERIC, b"del", key, db.id)
            deleted += 1
    c.server.dirty += deleted
    return deleted


@generic("del")
def cmd_del(c, argv):
    """DEL key [key ...]"""
    return _del_generic(c, argv)


@generic("unlink")
def cmd_unlink(c, argv):
    """UNLINK key [key ...]: values are freed at once here, so it is DEL."""
    return _del_generic(c, argv)


@generic("exists")
def cmd_exists(c, argv):
    """EXISTS key [key ...]: a key named twice counts twice."""
    return sum(1 for key in argv[1:] if _lookup_notouch(c, key) is not None)


@generic("touch")
def cmd_touch(c, argv):
    """TOUCH key [key ...]"""
    return sum(1 for key in argv[1:] if _lookup_read(c, key) is not None)


@generic("type")
def cmd_type(c, argv):
    """TYPE key"""
    v = _lookup_notouch(c, argv[1])
    return Simple(b"none" if v is None else TYPE_NAMES[type(v)])


# ---------------------------------------------------------------------- keys, scan, random


@generic("keys")
def cmd_keys(c, argv):
    """KEYS pattern: expired keys are skipped but not deleted (Redis 7.0)."""
    db = c.db
    pattern = argv[1]
    expires = db.expires
    now = now_ms()
    if pattern == b"*":
        if not expires:
            return list(db.data)
        return [k for k in db.data if not (k in expires and expires[k] < now)]
    matcher = glob.compile(pattern)
    return [k for k in db.data if matcher(k) and not (k in expires and expires[k] < now)]


@generic("scan")
def cmd_scan(c, argv):
    """SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]

    Cursors come from snapshots (see scan.py): a full iteration returns every key present
    from its start to its end. Filters apply in Redis's order after collecting COUNT
    keys: MATCH, then expiry (an expired key met here is deleted), then TYPE (which
    counts a keyspace hit per key checked, as Redis's lookup does).
    """
    cursor = parse_cursor(argv[1])
    pattern, count, type_name = parse_scan_options(argv, 2, allow_type=True)
    db = c.db
    cursor, keys = scan_items(c.server, cursor, count, lambda: list(db.data), db, db.data.__contains__)
    if pattern is not None:
        matcher = glob.compile(pattern)
        keys = [k for k in keys if matcher(k)]
    if db.expires:
        keys = [k for k in keys if db.lookup(k) is not None]
    if type_name is not None:
        server = c.server
        out = []
        for k in keys:
            server.stat_keyspace_hits += 1
            if TYPE_NAMES[type(db.data[k])] == type_name:
                out.append(k)
        keys = out
    return [b"%d" % cursor, keys]


@generic("randomkey")
def cmd_randomkey(c, argv):
    """RANDOMKEY"""
    return c.db.random_key()


# ---------------------------------------------------------------------- rename, move, copy


def _rename_generic(c, argv, nx: bool):
    db = c.db
    src, dst = argv[1], argv[2]
    value = db.lookup(src)
    if value is None:
        raise CommandError(NO_SUCH_KEY)
    if src == dst:
        return 0 if nx else OK
    when = db.get_expire(src)
    if db.lookup(dst) is not None:
        if nx:
            return 0
        db.delete(dst)
    db.add(dst, value)
    if when != -1:
        db.set_expire(dst, when)
    db.delete(src)
    _signal_ready(db, dst)
    notify(c.server, GENERIC, b"rename_from", src, db.id)
    notify(c.server, GENERIC, b"rename_to", dst, db.id)
    c.server.dirty += 1
    return 1 if nx else OK


@generic("rename")
def cmd_rename(c, argv):
    """RENAME key newkey: the TTL moves with the value; renaming a key onto itself is OK."""
    return _rename_generic(c, argv, False)


@generic("renamenx")
def cmd_renamenx(c, argv):
    """RENAMENX key newkey: 0 when newkey exists, including newkey == key."""
    return _rename_generic(c, argv, True)


@generic("move")
def cmd_move(c, argv):
    """MOVE key db"""
    dbid = _get_int(argv[2])
    dbs = c.server.dbs
    if dbid < 0 or dbid >= len(dbs):
        raise CommandError(DB_INDEX_OUT_OF_RANGE)
    src, dst = c.db, dbs[dbid]
    if src is dst:
        raise CommandError("ERR source and destination objects are the same")
    key = argv[1]
    value = src.lookup(key)
    if value is None:
        return 0
    when = src.get_expire(key)
    if dst.lookup(key) is not None:
        return 0
    dst.add(key, value)
    if when != -1:
        dst.set_expire(key, when)
    src.delete(key)
    _signal_ready(dst, key)
    notify(c.server, GENERIC, b"move_from", key, src.id)
    notify(c.server, GENERIC, b"move_to", key, dst.id)
    c.server.dirty += 1
    return 1


@generic("copy")
def cmd_copy(c, argv):
    """COPY source destination [DB destination-db] [REPLACE]

    The value is duplicated (a container is a new container), the deadline copied.
    """
    src_db = dst_db = c.db
    replace = False
    i, argc = 3, len(argv)
    while i < argc:
        opt = argv[i].lower()
        if opt == b"replace":
            replace = True
        elif opt == b"db" and i + 1 < argc:
            dbid = _get_int(argv[i + 1])
            if dbid < 0 or dbid >= len(c.server.dbs):
                raise CommandError(DB_INDEX_OUT_OF_RANGE)
            dst_db = c.server.dbs[dbid]
            i += 1
        else:
            raise CommandError(SYNTAX)
        i += 1
    key, newkey = argv[1], argv[2]
    if src_db is dst_db and key == newkey:
        raise CommandError("ERR source and destination objects are the same")
    value = _lookup_read(c, key)
    if value is None:
        return 0
    when = src_db.get_expire(key)
    if dst_db.lookup(newkey) is not None:
        if not replace:
            return 0
        dst_db.delete(newkey)
    dst_db.add(newkey, _copy_value(value))
    if when != -1:
        dst_db.set_expire(newkey, when)
    _signal_ready(dst_db, newkey)
    notify(c.server, GENERIC, b"copy_to", newkey, dst_db.id)
    c.server.dirty += 1
    return 1


# ---------------------------------------------------------------------- expire


_EXPIRE_NX, _EXPIRE_XX, _EXPIRE_GT, _EXPIRE_LT = 1, 2, 4, 8


def _expire_flags(argv) -> int:
    """parseExtendedExpireArgumentsOrReply: NX | XX | GT | LT after the time."""
    flags = 0
    for arg in argv[3:]:
        opt = arg.lower()
        if opt == b"nx":
            flags |= _EXPIRE_NX
        elif opt == b"xx":
            flags |= _EXPIRE_XX
        elif opt == b"gt":
            flags |= _EXPIRE_GT
        elif opt == b"lt":
            flags |= _EXPIRE_LT
        else:
            raise CommandError(b"ERR Unsupported option " + c_string(arg))
    if flags & _EXPIRE_NX and flags & (_EXPIRE_XX | _EXPIRE_GT | _EXPIRE_LT):
        raise CommandError("ERR NX and XX, GT or LT options at the same time are not compatible")
    if flags & _EXPIRE_GT and flags & _EXPIRE_LT:
        raise CommandError("ERR GT and LT options at the same time are not compatible")
    return flags


def _expire_generic(c, argv, basetime: int, seconds: bool):
    """expireGenericCommand: set the deadline basetime + time (ms); a past one deletes."""
    flags = _expire_flags(argv)
    when = string2ll(argv[2])
    if when is None:
        raise CommandError(NOT_INTEGER)
    name = argv[0].lower().decode("latin-1")
    if seconds:
        # C division truncates toward zero: LLONG_MIN / 1000 is -9223372036854775
        if when > LLONG_MAX // 1000 or when < -(-LLONG_MIN // 1000):
            raise invalid_expire(name)
        when *= 1000
    if when > LLONG_MAX - basetime:
        raise invalid_expire(name)
    when += basetime
    db = c.db
    key = argv[1]
    if db.lookup(key) is None:
        return 0
    if flags:
        current = db.get_expire(key)
        if flags & _EXPIRE_NX and current != -1:
            return 0
        if flags & _EXPIRE_XX and current == -1:
            return 0
        # no deadline counts as an infinite one: GT always fails, LT always passes
        if flags & _EXPIRE_GT and (current == -1 or when <= current):
            return 0
        if flags & _EXPIRE_LT and current != -1 and when >= current:
            return 0
    server = c.server
    if when <= now_ms() and not server.loading:
        db.delete(key)
        notify(server, GENERIC, b"del", key, db.id)
        if server.propagating:
            server.rewrite_propagation([b"UNLINK" if server.config.lazyfree_lazy_expire else b"DEL", key])
    else:
        db.set_expire(key, when)
        db.signal_modified(key)
        notify(server, GENERIC, b"expire", key, db.id)
        if server.propagating:
            # the absolute deadline in ms, the options kept (as Redis)
            server.rewrite_propagation([b"PEXPIREAT", key, b"%d" % when, *argv[3:]])
    server.dirty += 1
    return 1


@generic("expire")
def cmd_expire(c, argv):
    """EXPIRE key seconds [NX | XX | GT | LT]"""
    return _expire_generic(c, argv, now_ms(), True)


@generic("pexpire")
def cmd_pexpire(c, argv):
    """PEXPIRE key milliseconds [NX | XX | GT | LT]"""
    return _expire_generic(c, argv, now_ms(), False)


@generic("expireat")
def cmd_expireat(c, argv):
    """EXPIREAT key unix-time-seconds [NX | XX | GT | LT]"""
    return _expire_generic(c, argv, 0, True)


@generic("pexpireat")
def cmd_pexpireat(c, argv):
    """PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]"""
    return _expire_generic(c, argv, 0, False)


def _ttl_generic(c, key: bytes, ms: bool, absolute: bool) -> int:
    """ttlGenericCommand / expiretimeGenericCommand: -2 no key, -1 no deadline."""
    if _lookup_notouch(c, key) is None:
        return -2
    when = c.db.get_expire(key)
    if when == -1:
        return -1
    if not absolute:
        when = max(when - now_ms(), 0)
    return when if ms else (when + 500) // 1000


@generic("ttl")
def cmd_ttl(c, argv):
    """TTL key: seconds rounded to the nearest, as Redis's (ttl+500)/1000."""
    return _ttl_generic(c, argv[1], False, False)


@generic("pttl")
def cmd_pttl(c, argv):
    """PTTL key"""
    return _ttl_generic(c, argv[1], True, False)


@generic("expiretime")
def cmd_expiretime(c, argv):
    """EXPIRETIME key: the deadline in seconds, rounded to the nearest."""
    return _ttl_generic(c, argv[1], False, True)


@generic("pexpiretime")
def cmd_pexpiretime(c, argv):
    """PEXPIRETIME key"""
    return _ttl_generic(c, argv[1], True, True)


@generic("persist")
def cmd_persist(c, argv):
    """PERSIST key"""
    db = c.db
    key = argv[1]
    if db.lookup(key) is None or not db.persist(key):
        return 0
    db.signal_modified(key)
    notify(c.server, GENERIC, b"persist", key, db.id)
    c.server.dirty += 1
    return 1


# ---------------------------------------------------------------------- object

# Shared integer objects: Redis stores 0..9999 once (numbers.SHARED_INTEGERS) with
# OBJ_SHARED_REFCOUNT, unless an LRU/LFU maxmemory policy with a maxmemory limit needs
# per-key access data.
_OBJ_SHARED_REFCOUNT = 2147483647
_LFU_POLICY_ERR = (
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
    "that when switching between policies at runtime LRU and LFU data will take some time "
    "to adjust."
)
_LRU_POLICY_ERR = (
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust."
)
_OBJECT_HELP = [
    b"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"ENCODING <key>",
    b"    Return the kind of internal representation used in order to store the value",
    b"    associated with a <key>.",
    b"FREQ <key>",
    b"    Return the access frequency index of the <key>. The returned integer is",
    b"    proportional to the logarithm of the recent access frequency of the key.",
    b"IDLETIME <key>",
    b"    Return the idle time of the <key>, that is the approximated number of",
    b"    seconds elapsed since the last access to the key.",
    b"REFCOUNT <key>",
    b"    Return the number of references of the value associated with the specified",
    b"    <key>.",
    b"HELP",
    b"    Prints this help.",
]
_FALLBACK_ENCODING = {b"hash": b"hashtable", b"set": b"hashtable", b"list": b"quicklist",
                      b"zset": b"skiplist", b"stream": b"stream"}


def string_encoding(v) -> bytes:
    """What OBJECT ENCODING answers for a string value (tryObjectEncoding's outcome)."""
    if type(v) is bytearray:
        return b"raw"
    n = len(v)
    if n <= 20 and string2ll(v) is not None:
        return b"int"
    return b"embstr" if n <= 44 else b"raw"


def _lfu_policy(c) -> bool:
    return "lfu" in c.server.config.maxmemory_policy


@generic("object|encoding")
def cmd_object_encoding(c, argv):
    """OBJECT ENCODING key

    Strings: "int" for a decimal integer of at most 20 bytes, "embstr" up to 44 bytes,
    "raw" beyond or after an in-place edit (APPEND, SETRANGE: a bytearray here).
    Known difference: INCRBYFLOAT stores "3" as embstr in Redis; here it reads "int".
    """
    v = _lookup_notouch(c, argv[2], False)
    if v is None:
        return NULL
    t = type(v)
    if t is bytes or t is bytearray:
        return string_encoding(v)
    enc = getattr(v, "encoding", None)
    return enc if enc is not None else _FALLBACK_ENCODING.get(TYPE_NAMES[t], b"raw")


@generic("object|refcount")
def cmd_object_refcount(c, argv):
    """OBJECT REFCOUNT key: 2147483647 for Redis's shared integers 0..9999, else 1."""
    v = _lookup_notouch(c, argv[2], False)
    if v is None:
        return NULL
    if type(v) is bytes and len(v) <= 4 and v in SHARED_INT_VALUE:
        cfg = c.server.config
        if not (cfg.maxmemory and ("lru" in cfg.maxmemory_policy or "lfu" in cfg.maxmemory_policy)):
            return _OBJ_SHARED_REFCOUNT
    return 1


@generic("object|idletime")
def cmd_object_idletime(c, argv):
    """OBJECT IDLETIME key

    Access clocks run while maxmemory is set or the policy is an LRU/LFU one (evict.py);
    otherwise (the default) a key always reads as just accessed (0).
    """
    v = _lookup_notouch(c, argv[2], False)
    if v is None:
        return NULL
    if _lfu_policy(c):
        raise CommandError(_LRU_POLICY_ERR)
    return idle_seconds(c.db, argv[2]) if c.db.access is not None else 0


@generic("object|freq")
def cmd_object_freq(c, argv):
    """OBJECT FREQ key: the logarithmic access counter, decayed (LFUDecrAndReturn)."""
    v = _lookup_notouch(c, argv[2], False)
    if v is None:
        return NULL
    if not _lfu_policy(c):
        raise CommandError(_LFU_POLICY_ERR)
    return frequency(c.db, argv[2])


@generic("object|help")
def cmd_object_help(c, argv):
    """OBJECT HELP"""
    return [Simple(line) for line in _OBJECT_HELP]

