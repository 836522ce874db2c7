"""Set commands (Redis's t_set.c).

Sets are `types.rset.Set` (a Python set with Redis's encoding beside it). Results of
SINTER/SUNION/SDIFF and their STORE forms are built like Redis builds them (an empty
intset filled member by member), so their encodings and their reply order (ascending for
an intset) match; SDIFF even follows Redis's choice between its two algorithms, because
the second one starts from a full copy of the first set and may convert it to a
hashtable before removing members. A set that becomes empty is deleted at once.
"""

from __future__ import annotations

import random

from ..persistence.aof import PREVENT

from ..errors import SYNTAX, WRONGTYPE, CommandError
from ..numbers import string2ll
from ..notify import GENERIC as NOTIFY_GENERIC, SET as NOTIFY_SET, notify
from ..registry import command_group
from ..replies import NULL, SetReply
from ..types.rset import INDEX_MIN, INTSET, Set, new_set
from .. import glob, scan
from .hashes import range_long

command = command_group("set")


def _read(c, key: bytes):
    """lookupKeyRead + checkType: the set at key or None; counts keyspace hits/misses."""
    v = c.db.lookup_read(key)
    if v is not None and type(v) is not Set:
        raise CommandError(WRONGTYPE)
    return v


def _write(c, key: bytes):
    """lookupKeyWrite + checkType: the set at key or None."""
    v = c.db.lookup(key)
    if v is not None and type(v) is not Set:
        raise CommandError(WRONGTYPE)
    return v


@command("sadd")
def cmd_sadd(c, argv):
    """SADD key member [member ...]"""
    key = argv[1]
    s = _write(c, key)
    if s is None:
        s = Set()
        c.db.add(key, s)
    added = s.add_members(argv, 2, c.server.config.set_max_intset_entries)
    if added:
        server = c.server
        if server.signals_on:
            c.db.signal_modified(key)
        if server.config.notify_keyspace_events:
            notify(server, NOTIFY_SET, b"sadd", key, c.db.id)
        server.dirty += added
    return added


@command("srem")
def cmd_srem(c, argv):
    """SREM key member [member ...]"""
    key = argv[1]
    s = _write(c, key)
    if s is None:
        return 0
    return c.db.remove_members(key, s, argv[2:], s.discard, NOTIFY_SET, b"srem")


@command("scard")
def cmd_scard(c, argv):
    """SCARD key"""
    s = _read(c, argv[1])
    return 0 if s is None else len(s)


@command("sismember")
def cmd_sismember(c, argv):
    """SISMEMBER key member"""
    s = _read(c, argv[1])
    return 1 if s is not None and argv[2] in s else 0


@command("smismember")
def cmd_smismember(c, argv):
    """SMISMEMBER key member [member ...]"""
    s = _read(c, argv[1])
    if s is None:
        return [0] * (len(argv) - 2)
    return [1 if m in s else 0 for m in argv[2:]]


@command("smove")
def cmd_smove(c, argv):
    """SMOVE source destination member

    A missing source answers 0 before the destination's type is checked.
    """
    src_key, dst_key, member = argv[1], argv[2], argv[3]
    src = c.db.lookup(src_key)
    dst = c.db.lookup(dst_key)
    if src is None:
        return 0
    if type(src) is not Set or (dst is not None and type(dst) is not Set):
        raise CommandError(WRONGTYPE)
    if src is dst:
        return 1 if member in src else 0
    if member not in src:
        return 0
    src.discard(member)
    db = c.db
    notify(c.server, NOTIFY_SET, b"srem", src_key, db.id)
    if not src:
        db.delete(src_key)
        notify(c.server, NOTIFY_GENERIC, b"del", src_key, db.id)
    else:
        db.signal_modified(src_key)
    c.server.dirty += 1
    if dst is None:
        dst = Set()
        db.add(dst_key, dst)
    if dst.add_member(member, c.server.config.set_max_intset_entries):
        c.server.dirty += 1
        notify(c.server, NOTIFY_SET, b"sadd", dst_key, db.id)
    c.db.signal_modified(dst_key)
    return 1


@command("spop")
def cmd_spop(c, argv):
    """SPOP key [count]

    With a count the reply is a set (RESP3). When the members left would be few
    (left * 5 <= count) Redis moves the left ones into a new set, which takes the
    encoding a fresh set of them would have, and answers the old set's members in its
    own order (ascending for an intset).
    """
    if len(argv) > 3:
        raise CommandError(SYNTAX)
    key = argv[1]
    if len(argv) == 2:
        s = _write(c, key)
        if s is None:
            return NULL
        member = s.pop_random()
        notify(c.server, NOTIFY_SET, b"spop", key, c.db.id)
        if not s:
            c.db.delete(key)
            notify(c.server, NOTIFY_GENERIC, b"del", key, c.db.id)
        else:
            c.db.signal_modified(key)
        c.server.dirty += 1
        if c.server.propagating:
            c.server.rewrite_propagation([b"SREM", key, member])
        return member
    count = string2ll(argv[2])
    if count is None or count < 0:
        raise CommandError("ERR value is out of range, must be positive")
    s = _write(c, key)
    if s is None or count == 0:
        return SetReply()
    size = len(s)
    notify(c.server, NOTIFY_SET, b"spop", key, c.db.id)
    if count >= size:
        reply = SetReply(s.members())
        c.db.delete(key)
        notify(c.server, NOTIFY_GENERIC, b"del", key, c.db.id)
        c.server.dirty += size
        if c.server.propagating:
            c.server.rewrite_propagation([b"UNLINK" if c.server.config.lazyfree_lazy_server_del else b"DEL", key])
        return reply
    remaining = size - count
    if remaining * 5 > count:
        if s._arr is None and size < INDEX_MIN:
            popped = random.sample(list(s), count)
            s.difference_update(popped)
            reply = SetReply(popped)
        else:
            # one random member at a time, as Redis pops them: O(count) on a big set
            pop = s.pop_random
            reply = SetReply([pop() for _ in range(count)])
    else:
        kept = random.sample(list(s), remaining)
        s.difference_update(kept)
        reply = SetReply(s.members())
        newset = new_set(kept, c.server.config.set_max_intset_entries)
        # dbOverwrite: the key keeps its TTL.
        c.db.data[key] = newset
    c.db.signal_modified(key)
    c.server.dirty += count
    server = c.server
    if server.propagating:
        # one SREM per popped member, the SPOP itself not propagated (as Redis)
        dbid = c.db.id
        for member in reply:
            server.also_propagate(dbid, [b"SREM", key, member])
        server.rewrite_propagation(PREVENT)
    return reply


@command("srandmember")
def cmd_srandmember(c, argv):
    """SRANDMEMBER key [count]

    A negative count may repeat members. The reply is an array (not a RESP3 set) in every
    case; a count at least the size answers the whole set in its own order.
    """
    if len(argv) > 3:
        raise CommandError(SYNTAX)
    if len(argv) == 2:
        s = _read(c, argv[1])
        if s is None:
            return NULL
        return s.random_member()
    count = range_long(argv[2])
    s = _read(c, argv[1])
    if s is None or count == 0:
        return []
    if count < 0 or count == 1:
        n = -count if count < 0 else 1
        if n == 1:
            return [s.random_member()]
        if s._arr is None and len(s) < INDEX_MIN:
            return random.choices(list(s), k=n)
        pick = s.random_member
        return [pick() for _ in range(n)]
    if count >= len(s):
        return s.members()
    return s.random_members(count)


@command("smembers")
def cmd_smembers(c, argv):
    """SMEMBERS key"""
    s = _read(c, argv[1])
    if s is None:
        return SetReply()
    return SetReply(s.members())


def _sinter_generic(c, keys, dstkey=None, limit=None):
    """sinterGenericCommand: the reply, the stored count, or (limit given) the cardinality.

    Every key is looked up first (WRONGTYPE wins over a missing key). The smallest set is
    walked (ties keep argument order) and the result keeps its order.
    """
    sets = []
    empty = False
    for k in keys:
        s = _read(c, k)
        if s is None:
            empty = True
        else:
            sets.append(s)
    if empty:
        if dstkey is not None:
            if c.db.delete(dstkey):
                notify(c.server, NOTIFY_GENERIC, b"del", dstkey, c.db.id)
                c.server.dirty += 1
            return 0
        return 0 if limit is not None else SetReply()
    sets.sort(key=len)
    first = sets[0]
    others = [s for s in sets[1:] if s is not first]
    if limit is not None:
        n = 0
        for m in first:
            for o in others:
                if m not in o:
                    break
            else:
                n += 1
                if n == limit:
                    break
        return n
    if others:
        result = [m for m in first.members() if all(m in o for o in others)]
    else:
        result = first.members()
    if dstkey is None:
        return SetReply(result)
    if result:
        c.db.lookup(dstkey)  # setKey's lookupKeyWrite expires a stale key first
        c.db.set(dstkey, new_set(result, c.server.config.set_max_intset_entries))
        notify(c.server, NOTIFY_SET, b"sinterstore", dstkey, c.db.id)
        c.server.dirty += 1
        return len(result)
    if c.db.delete(dstkey):
        notify(c.server, NOTIFY_GENERIC, b"del", dstkey, c.db.id)
        c.server.dirty += 1
    return 0


@command("sinter")
def cmd_sinter(c, argv):
    """SINTER key [key ...]"""
    return _sinter_generic(c, argv[1:])


@command("sinterstore")
def cmd_sinterstore(c, argv):
    """SINTERSTORE destination key [key ...]"""
    return _sinter_generic(c, argv[2:], dstkey=argv[1])


@command("sintercard")
def cmd_sintercard(c, argv):
    """SINTERCARD numkeys key [key ...] [LIMIT limit]

    A non-integer numkeys gets the same text as a non-positive one; LIMIT may repeat
    (the last wins); LIMIT 0 means no limit.
    """
    numkeys = string2ll(argv[1])
    if numkeys is None or numkeys < 1:
        raise CommandError("ERR numkeys should be greater than 0")
    if numkeys > len(argv) - 2:
        raise CommandError("ERR Number of keys can't be greater than number of args")
    limit = 0
    i = 2 + numkeys
    while i < len(argv):
        if argv[i].lower() == b"limit" and i + 1 < len(argv):
            limit = string2ll(argv[i + 1])
            if limit is None or limit < 0:
                raise CommandError("ERR LIMIT can't be negative")
            i += 2
        else:
            raise CommandError(SYNTAX)
    return _sinter_generic(c, argv[2 : 2 + numkeys], limit=limit)


def _sunion_diff_generic(c, keys, dstkey, diff: bool):
    """sunionDiffGenericCommand.

    SDIFF picks Redis's algorithm: 1 (walk the first set, keep members in no other set)
    when size(first) * nsets / 2 <= the sum of the sizes, else 2 (copy the first set,
    then remove every other set's members). Only the resulting encoding tells them apart.
    """
    sets = []
    for k in keys:
        sets.append(_read(c, k))
    max_intset = c.server.config.set_max_intset_entries
    first = sets[0]
    if not diff:
        union = set()
        for s in sets:
            if s is not None:
                union.update(s)
        result = new_set(union, max_intset)
    elif first is None or any(s is first for s in sets[1:]):
        result = Set()
    else:
        present = [s for s in sets if s is not None]
        algo_one = len(first) * len(present) // 2
        algo_two = sum(len(s) for s in present)
        others = present[1:]
        if algo_one <= algo_two:
            result = new_set((m for m in first if not any(m in o for o in others)), max_intset)
        else:
            result = new_set(first, max_intset)
            for o in others:
                result.difference_update(o)
                if not result:
                    break
    if dstkey is None:
        return SetReply(result.members())
    if result:
        c.db.lookup(dstkey)  # setKey's lookupKeyWrite expires a stale key first
        c.db.set(dstkey, result)
        notify(c.server, NOTIFY_SET, b"sdiffstore" if diff else b"sunionstore", dstkey, c.db.id)
        c.server.dirty += 1
        return len(result)
    if c.db.delete(dstkey):
        notify(c.server, NOTIFY_GENERIC, b"del", dstkey, c.db.id)
        c.server.dirty += 1
    return 0


@command("sunion")
def cmd_sunion(c, argv):
    """SUNION key [key ...]"""
    return _sunion_diff_generic(c, argv[1:], None, False)


@command("sunionstore")
def cmd_sunionstore(c, argv):
    """SUNIONSTORE destination key [key ...]"""
    return _sunion_diff_generic(c, argv[2:], argv[1], False)


@command("sdiff")
def cmd_sdiff(c, argv):
    """SDIFF key [key ...]"""
    return _sunion_diff_generic(c, argv[1:], None, True)


@command("sdiffstore")
def cmd_sdiffstore(c, argv):
    """SDIFFSTORE destination key [key ...]"""
    return _sunion_diff_generic(c, argv[2:], argv[1], True)


@command("sscan")
def cmd_sscan(c, argv):
    """SSCAN key cursor [MATCH pattern] [COUNT count]

    An intset is answered whole, ascending, with cursor 0 (COUNT ignored). The cursor is
    parsed first, then the key, then the options (a missing key ignores bad options).
    """
    cursor = scan.parse_cursor(argv[2])
    s = _read(c, argv[1])
    if s is None:
        return [b"0", []]
    pattern, count, _ = scan.parse_scan_options(argv, 3)
    if s.encoding is INTSET:
        next_cursor, members = 0, s.members()
    else:
        next_cursor, members = scan.scan_items(c.server, cursor, count, lambda: list(s), s, s.__contains__)
    if pattern is not None:
        match = glob.compile(pattern)
        members = [m for m in members if match(m)]
    return [b"%d" % next_cursor, members]

