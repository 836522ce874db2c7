"""List commands (Redis's t_list.c) and their blocking forms.

A list is an `RList` (a deque of bytes); the key is deleted as soon as the list empties.
Every write calls `db.signal_modified` and adds to `server.dirty` as Redis does. Pushing
to a missing key creates it, which is the only way a list appears, so that is where
clients blocked on the key are signalled (Redis's dbAdd -> signalKeyAsReady).

Argument checks follow Redis's order in each command (some parse numbers before looking
the key up, some after), because the order decides which error a bad call gets.
"""

from __future__ import annotations

from itertools import islice

from ..blocking import block_for_keys, deny_blocking, parse_timeout, signal_key_as_ready
from ..errors import INDEX_OUT_OF_RANGE, NO_SUCH_KEY, NOT_INTEGER, SYNTAX, WRONGTYPE, CommandError
from ..notify import GENERIC as NOTIFY_GENERIC, LIST as NOTIFY_LIST, notify
from ..numbers import LLONG_MAX, string2ll
from ..registry import command_group
from ..replies import NULL, NULL_ARRAY, OK
from ..resp import bulk_array
from ..types.rlist import RList

command = command_group("list")

HEAD, TAIL = 0, 1
_NOT_POSITIVE = "ERR value is out of range, must be positive"


def _get_list(db, key: bytes):
    """The list at key (lookupKeyWrite + checkType), None when missing."""
    v = db.data.get(key)
    if v is not None and (db.expires or db.touch is not None):
        v = db.lookup(key)  # an expired key goes; LRU/LFU clocks (evict.py)
    if v is None or type(v) is RList:
        return v
    raise CommandError(WRONGTYPE)


def _read_list(c, key: bytes):
    """lookupKeyRead + checkType: counts a keyspace hit or miss (a miss notifies keymiss)."""
    v = c.db.lookup_read(key)
    if v is None or type(v) is RList:
        return v
    raise CommandError(WRONGTYPE)


def _int(arg: bytes) -> int:
    v = string2ll(arg)
    if v is None:
        raise CommandError(NOT_INTEGER)
    return v


def _range_int(arg: bytes, lo: int, hi: int, msg: str) -> int:
    """getRangeLongFromObjectOrReply with a message: one text for every failure."""
    v = string2ll(arg)
    if v is None or v < lo or v > hi:
        raise CommandError(msg)
    return v


def _where(arg: bytes) -> int:
    """getListPositionFromObjectOrReply: LEFT or RIGHT."""
    w = arg.lower()
    if w == b"left":
        return HEAD
    if w == b"right":
        return TAIL
    raise CommandError(SYNTAX)


def _push_new(db, key: bytes, lst: RList) -> None:
    """dbAdd a new list and wake clients blocked on the key."""
    db.add(key, lst)
    signal_key_as_ready(db, key)


def _pop_range(lst: RList, where: int, count: int) -> list:
    """Pop up to count elements from one end, in the order they come off."""
    n = min(count, len(lst))
    pop = lst.popleft if where == HEAD else lst.pop
    return [pop() for _ in range(n)]


def _after_pop(c, key: bytes, lst: RList, removed: int, where: int) -> None:
    """listElementsRemoved: notify, delete an emptied list, signal, count the change."""
    db = c.db
    server = c.server
    if server.config.notify_keyspace_events:
        notify(server, NOTIFY_LIST, b"lpop" if where == HEAD else b"rpop", key, db.id)
        if not lst:
            db.delete(key)
            notify(server, NOTIFY_GENERIC, b"del", key, db.id)
        else:
            db.signal_modified(key)
    elif not lst:
        db.delete(key)
    elif server.signals_on:
        db.signal_modified(key)
    server.dirty += removed


# ---------------------------------------------------------------------- push


def _push_generic(c, argv, where: int, xx: bool):
    db = c.db
    key = argv[1]
    lst = _get_list(db, key)
    if lst is None:
        if xx:
            return 0
        lst = RList()
        new = True
    else:
        new = False
    if len(argv) == 3:
        if where == HEAD:
            lst.appendleft(argv[2])
        else:
            lst.append(argv[2])
    elif where == HEAD:
        lst.extendleft(argv[2:])
    else:
        lst.extend(argv[2:])
    server = c.server
    if new:
        _push_new(db, key, lst)
    elif server.signals_on:
        db.signal_modified(key)
    if server.config.notify_keyspace_events:
        notify(server, NOTIFY_LIST, b"lpush" if where == HEAD else b"rpush", key, db.id)
    server.dirty += len(argv) - 2
    return len(lst)


@command("lpush")
def cmd_lpush(c, argv):
    """LPUSH key element [element ...]"""
    return _push_generic(c, argv, HEAD, False)


@command("rpush")
def cmd_rpush(c, argv):
    """RPUSH key element [element ...]"""
    return _push_generic(c, argv, TAIL, False)


@command("lpushx")
def cmd_lpushx(c, argv):
    """LPUSHX key element [element ...]"""
    return _push_generic(c, argv, HEAD, True)


@command("rpushx")
def cmd_rpushx(c, argv):
    """RPUSHX key element [element ...]"""
    return _push_generic(c, argv, TAIL, True)


@command("linsert")
def cmd_linsert(c, argv):
    """LINSERT key BEFORE | AFTER pivot element

    BEFORE/AFTER is checked before the key. Answers -1 when the pivot is absent, 0 when
    the key is missing.
    """
    where = argv[2].lower()
    if where == b"after":
        after = True
    elif where == b"before":
        after = False
    else:
        raise CommandError(SYNTAX)
    db = c.db
    lst = _get_list(db, argv[1])
    if lst is None:
        return 0
    try:
        i = lst.index(argv[3])
    except ValueError:
        return -1
    lst.insert(i + 1 if after else i, argv[4])
    db.signal_modified(argv[1])
    notify(c.server, NOTIFY_LIST, b"linsert", argv[1], db.id)
    c.server.dirty += 1
    return len(lst)


# ---------------------------------------------------------------------- read


@command("llen")
def cmd_llen(c, argv):
    """LLEN key"""
    lst = _read_list(c, argv[1])
    return 0 if lst is None else len(lst)


@command("lindex")
def cmd_lindex(c, argv):
    """LINDEX key index

    The key is looked up before the index is parsed: a missing key answers null even
    for a non-integer index.
    """
    lst = _read_list(c, argv[1])
    if lst is None:
        return NULL
    index = _int(argv[2])
    n = len(lst)
    if index < 0:
        index += n
    if 0 <= index < n:
        return lst[index]
    return NULL


def _range_reply(lst: RList, start: int, end: int) -> list:
    """addListRangeReply's index normalisation; returns the elements start..end."""
    n = len(lst)
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if start > end or start >= n:
        return []
    if end >= n:
        end = n - 1
    if start > n // 2:
        # Walk from the tail, like the quicklist iterator would from the nearer end.
        back = list(islice(reversed(lst), n - 1 - end, n - start))
        back.reverse()
        return back
    return list(islice(lst, start, end + 1))


@command("lrange")
def cmd_lrange(c, argv):
    """LRANGE key start stop"""
    start = _int(argv[2])
    end = _int(argv[3])
    lst = _read_list(c, argv[1])
    if lst is None:
        return []
    return bulk_array(_range_reply(lst, start, end))  # a list holds only bytes


@command("lpos")
def cmd_lpos(c, argv):
    """LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]

    RANK -9223372036854775808 is accepted: its negation overflows in Redis and it then
    behaves as the first match from the tail.
    """
    rank, count, maxlen = 1, -1, 0
    argc = len(argv)
    j = 3
    while j < argc:
        opt = argv[j].lower()
        more = j + 1 < argc
        if opt == b"rank" and more:
            j += 1
            rank = _int(argv[j])
            if rank == 0:
                raise CommandError(
                    "ERR RANK can't be zero: use 1 to start from the first match, "
                    "2 from the second ... or use negative to start from the end of the list"
                )
        elif opt == b"count" and more:
            j += 1
            count = _range_int(argv[j], 0, LLONG_MAX, "ERR COUNT can't be negative")
        elif opt == b"maxlen" and more:
            j += 1
            maxlen = _range_int(argv[j], 0, LLONG_MAX, "ERR MAXLEN can't be negative")
        else:
            raise CommandError(SYNTAX)
        j += 1
    from_tail = rank < 0
    if from_tail:
        rank = -rank
        if rank > LLONG_MAX:
            rank = 1
    lst = _read_list(c, argv[1])
    if lst is None:
        return [] if count != -1 else NULL
    element = argv[2]
    n = len(lst)
    it = reversed(lst) if from_tail else iter(lst)
    if maxlen:
        it = islice(it, maxlen)
    found = []
    matches = 0
    want = count if count > 0 else (1 if count == -1 else n)
    for i, v in enumerate(it):
        if v == element:
            matches += 1
            if matches >= rank:
                found.append(n - 1 - i if from_tail else i)
                if len(found) >= want:
                    break
    if count != -1:
        return found
    return found[0] if found else NULL


# ---------------------------------------------------------------------- write


@command("lset")
def cmd_lset(c, argv):
    """LSET key index element"""
    db = c.db
    lst = db.lookup(argv[1])
    if lst is None:
        raise CommandError(NO_SUCH_KEY)
    if type(lst) is not RList:
        raise CommandError(WRONGTYPE)
    index = _int(argv[2])
    n = len(lst)
    if index < 0:
        index += n
    if not 0 <= index < n:
        raise CommandError(INDEX_OUT_OF_RANGE)
    lst[index] = argv[3]
    db.signal_modified(argv[1])
    notify(c.server, NOTIFY_LIST, b"lset", argv[1], db.id)
    c.server.dirty += 1
    return OK


@command("ltrim")
def cmd_ltrim(c, argv):
    """LTRIM key start stop"""
    start = _int(argv[2])
    end = _int(argv[3])
    db = c.db
    lst = _get_list(db, argv[1])
    if lst is None:
        return OK
    n = len(lst)
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if start > end or start >= n:
        ltrim, rtrim = n, 0
    else:
        if end >= n:
            end = n - 1
        ltrim, rtrim = start, n - end - 1
    if ltrim + rtrim >= n:
        lst.clear()
    else:
        for _ in range(ltrim):
            lst.popleft()
        for _ in range(rtrim):
            lst.pop()
    notify(c.server, NOTIFY_LIST, b"ltrim", argv[1], db.id)
    if not lst:
        db.delete(argv[1])
        notify(c.server, NOTIFY_GENERIC, b"del", argv[1], db.id)
    else:
        db.signal_modified(argv[1])
    c.server.dirty += ltrim + rtrim
    return OK


@command("lrem")
def cmd_lrem(c, argv):
    """LREM key count element"""
    count = _int(argv[2])
    db = c.db
    key = argv[1]
    lst = _get_list(db, key)
    if lst is None:
        return 0
    element = argv[3]
    if element not in lst:
        return 0
    limit = abs(count) if count else len(lst)
    removed = 0
    kept = []
    if count >= 0:
        for v in lst:
            if removed < limit and v == element:
                removed += 1
            else:
                kept.append(v)
    else:
        for v in reversed(lst):
            if removed < limit and v == element:
                removed += 1
            else:
                kept.append(v)
        kept.reverse()
    lst.clear()
    lst.extend(kept)
    notify(c.server, NOTIFY_LIST, b"lrem", key, db.id)
    if not lst:
        db.delete(key)
        notify(c.server, NOTIFY_GENERIC, b"del", key, db.id)
    else:
        db.signal_modified(key)
    c.server.dirty += removed
    return removed


# ---------------------------------------------------------------------- pop


def _pop_generic(c, argv, where: int):
    """popGenericCommand: LPOP/RPOP key [count]."""
    argc = len(argv)
    key = argv[1]
    if argc == 2:
        lst = _get_list(c.db, key)
        if lst is None:
            return NULL
        v = lst.popleft() if where == HEAD else lst.pop()
        _after_pop(c, key, lst, 1, where)
        return v
    if argc > 3:
        name = "lpop" if where == HEAD else "rpop"
        raise CommandError(f"ERR wrong number of arguments for '{name}' command")
    count = _range_int(argv[2], 0, LLONG_MAX, _NOT_POSITIVE)
    lst = _get_list(c.db, key)
    if lst is None:
        return NULL_ARRAY
    if not count:
        return []
    out = _pop_range(lst, where, count)
    _after_pop(c, key, lst, len(out), where)
    return out


@command("lpop")
def cmd_lpop(c, argv):
    """LPOP key [count]

    With a count: an array (empty for count 0), and a null array for a missing key.
    """
    return _pop_generic(c, argv, HEAD)


@command("rpop")
def cmd_rpop(c, argv):
    """RPOP key [count]"""
    return _pop_generic(c, argv, TAIL)


def _pop_with_key(c, key: bytes, lst: RList, where: int, count: int) -> list:
    """listPopRangeAndReplyWithKey: [key, [elements...]]."""
    out = _pop_range(lst, where, count)
    _after_pop(c, key, lst, len(out), where)
    if c.server.propagating:
        # [B]LMPOP -> LPOP/RPOP key count
        c.server.rewrite_propagation([b"LPOP" if where == HEAD else b"RPOP", key, b"%d" % len(out)])
    return [key, out]


def _mpop_args(argv, numkeys_idx: int):
    """lmpopGenericCommand's parsing: (keys, where, count)."""
    numkeys = _range_int(argv[numkeys_idx], 1, LLONG_MAX, "ERR numkeys should be greater than 0")
    where_idx = numkeys_idx + numkeys + 1
    argc = len(argv)
    if where_idx >= argc:
        raise CommandError(SYNTAX)
    where = _where(argv[where_idx])
    count = -1
    j = where_idx + 1
    while j < argc:
        if count == -1 and argv[j].lower() == b"count" and j + 1 < argc:
            j += 1
            count = _range_int(argv[j], 1, LLONG_MAX, "ERR count should be greater than 0")
        else:
            raise CommandError(SYNTAX)
        j += 1
    if count == -1:
        count = 1
    return argv[numkeys_idx + 1 : where_idx], where, count


@command("lmpop")
def cmd_lmpop(c, argv):
    """LMPOP numkeys key [key ...] LEFT | RIGHT [COUNT count]

    Keys are tried in order; a wrong-type key errors only if reached before a non-empty
    list.
    """
    keys, where, count = _mpop_args(argv, 1)
    db = c.db
    for key in keys:
        lst = _get_list(db, key)
        if lst is not None:
            return _pop_with_key(c, key, lst, where, count)
    return NULL_ARRAY


# ---------------------------------------------------------------------- move


def _move_push(c, dst_key: bytes, dst, value: bytes, whereto: int) -> None:
    """lmoveHandlePush: push value to dst (created when missing)."""
    db = c.db
    if dst is None:
        dst = RList()
        if whereto == HEAD:
            dst.appendleft(value)
        else:
            dst.append(value)
        _push_new(db, dst_key, dst)
    else:
        db.signal_modified(dst_key)
        if whereto == HEAD:
            dst.appendleft(value)
        else:
            dst.append(value)
    notify(c.server, NOTIFY_LIST, b"lpush" if whereto == HEAD else b"rpush", dst_key, db.id)


def _move_from(c, src_key: bytes, src: RList, dst_key: bytes, wherefrom: int, whereto: int):
    """The body of lmoveGenericCommand once the source is known to hold a list."""
    db = c.db
    dst = _get_list(db, dst_key)
    value = src.popleft() if wherefrom == HEAD else src.pop()
    _move_push(c, dst_key, dst, value, whereto)
    notify(c.server, NOTIFY_LIST, b"lpop" if wherefrom == HEAD else b"rpop", src_key, db.id)
    if not src:
        db.delete(src_key)
        notify(c.server, NOTIFY_GENERIC, b"del", src_key, db.id)
    else:
        db.signal_modified(src_key)
    c.server.dirty += 1
    return value


def _lmove_generic(c, src_key: bytes, dst_key: bytes, wherefrom: int, whereto: int):
    src = _get_list(c.db, src_key)
    if src is None:
        return NULL
    return _move_from(c, src_key, src, dst_key, wherefrom, whereto)


@command("lmove")
def cmd_lmove(c, argv):
    """LMOVE source destination LEFT | RIGHT LEFT | RIGHT"""
    wherefrom = _where(argv[3])
    whereto = _where(argv[4])
    return _lmove_generic(c, argv[1], argv[2], wherefrom, whereto)


@command("rpoplpush")
def cmd_rpoplpush(c, argv):
    """RPOPLPUSH source destination"""
    return _lmove_generic(c, argv[1], argv[2], TAIL, HEAD)


# ---------------------------------------------------------------------- blocking


def _blocking_pop_generic(c, keys, where: int, timeout_arg: bytes, count: int):
    """blockingPopGenericCommand: BLPOP/BRPOP (count -1) and BLMPOP (count >= 1)."""
    deadline = parse_timeout(timeout_arg)
    db = c.db
    for key in keys:
        lst = _get_list(db, key)
        if lst is None:
            continue
        if count != -1:
            return _pop_with_key(c, key, lst, where, count)
        v = lst.popleft() if where == HEAD else lst.pop()
        _after_pop(c, key, lst, 1, where)
        if c.server.propagating:
            c.server.rewrite_propagation([b"LPOP" if where == HEAD else b"RPOP", key])
        return [key, v]
    if deny_blocking(c):
        return NULL_ARRAY

    def serve(rc, key, lst):
        if count != -1:
            return _pop_with_key(rc, key, lst, where, count)
        v = lst.popleft() if where == HEAD else lst.pop()
        _after_pop(rc, key, lst, 1, where)
        if rc.server.propagating:
            rc.server.rewrite_propagation([b"LPOP" if where == HEAD else b"RPOP", key])
        return [key, v]

    return block_for_keys(c, keys, deadline, RList, serve)


@command("blpop")
def cmd_blpop(c, argv):
    """BLPOP key [key ...] timeout

    The timeout is parsed first; then keys are tried in order. Timeout reply: null array.
    """
    return _blocking_pop_generic(c, argv[1:-1], HEAD, argv[-1], -1)


@command("brpop")
def cmd_brpop(c, argv):
    """BRPOP key [key ...] timeout"""
    return _blocking_pop_generic(c, argv[1:-1], TAIL, argv[-1], -1)


@command("blmpop")
def cmd_blmpop(c, argv):
    """BLMPOP timeout numkeys key [key ...] LEFT | RIGHT [COUNT count]

    numkeys, the direction and COUNT are checked before the timeout.
    """
    keys, where, count = _mpop_args(argv, 2)
    return _blocking_pop_generic(c, keys, where, argv[1], count)


def _blmove_generic(c, src_key: bytes, dst_key: bytes, wherefrom: int, whereto: int, timeout_arg: bytes, prop):
    """`prop` is the non-blocking form propagated instead (LMOVE / RPOPLPUSH)."""
    deadline = parse_timeout(timeout_arg)
    src = _get_list(c.db, src_key)
    if src is not None:
        reply = _move_from(c, src_key, src, dst_key, wherefrom, whereto)
        if c.server.propagating:
            c.server.rewrite_propagation(prop)
        return reply
    if deny_blocking(c):
        return NULL

    def serve(rc, key, lst):
        # serveClientBlockedOnList: a destination of another type answers WRONGTYPE to
        # the blocked client (which is unblocked) and nothing is popped.
        try:
            reply = _move_from(rc, key, lst, dst_key, wherefrom, whereto)
        except CommandError as e:
            return e
        if rc.server.propagating:
            # served later: Redis builds the directions from its shared "left"/"right"
            if len(prop) == 5:
                side = {HEAD: b"left", TAIL: b"right"}
                rc.server.rewrite_propagation([b"LMOVE", key, dst_key, side[wherefrom], side[whereto]])
            else:
                rc.server.rewrite_propagation(prop)
        return reply

    return block_for_keys(c, [src_key], deadline, RList, serve)


@command("blmove")
def cmd_blmove(c, argv):
    """BLMOVE source destination LEFT | RIGHT LEFT | RIGHT timeout

    Inside MULTI an empty source answers a null bulk, but a timeout answers a null array.
    """
    wherefrom = _where(argv[3])
    whereto = _where(argv[4])
    return _blmove_generic(c, argv[1], argv[2], wherefrom, whereto, argv[5], [b"LMOVE", *argv[1:5]])


@command("brpoplpush")
def cmd_brpoplpush(c, argv):
    """BRPOPLPUSH source destination timeout"""
    return _blmove_generic(c, argv[1], argv[2], TAIL, HEAD, argv[3], [b"RPOPLPUSH", argv[1], argv[2]])
