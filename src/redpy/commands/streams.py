"""Stream commands (Redis's t_stream.c, 7.0) and blocking XREAD/XREADGROUP.

IDs are (ms, seq) tuples of unsigned 64-bit ints. Argument checks follow Redis's order
in each command (XTRIM/XDEL look the key up before parsing, XPENDING/XAUTOCLAIM parse
first), because the order decides which error a bad call gets. Streams are never
deleted when emptied. Times in the PEL are absolute unix ms (clock.now_ms).
"""

from __future__ import annotations

from ..blocking import block_for_keys, deny_blocking
from ..persistence.aof import PREVENT
from ..clock import now_ms
from ..errors import NOT_INTEGER, SYNTAX, WRONGTYPE, CommandError, c_string, subcommand_syntax
from ..notify import KEY_MISS as NOTIFY_KEY_MISS, STREAM as NOTIFY_STREAM, notify
from ..numbers import LLONG_MAX, string2ll
from ..registry import command_group
from ..replies import NULL, NULL_ARRAY, OK, Simple
from ..types.stream import INVALID_ENTRIES_READ, MAX_ID, NACK, U64, ZERO_ID, Consumer, Group, Stream
from ..blocking import signal_key_as_ready

command = command_group("stream")

INVALID_ID = "ERR Invalid stream ID specified as stream command argument"
NO_SUCH_KEY = "ERR no such key"
_SPACES = b" \t\n\v\f\r"


# ---------------------------------------------------------------------- helpers


def _int(arg: bytes, msg: str = NOT_INTEGER) -> int:
    v = string2ll(arg)
    if v is None:
        raise CommandError(msg)
    return v


def _strtoull(s: bytes):
    """util.c string2ull: string2ll for non-negative values, else strtoull's rules."""
    v = string2ll(s)
    if v is not None:
        return v if v >= 0 else None
    if not s:
        return None
    t = s.lstrip(_SPACES)
    neg = False
    if t[:1] in (b"+", b"-"):
        neg = t[:1] == b"-"
        t = t[1:]
    if not t or not t.isdigit():
        return None
    v = int(t)
    if v > U64:
        return None
    return ((1 << 64) - v) & U64 if neg else v


def parse_id(arg: bytes, missing_seq: int = 0, strict: bool = False, star: bool = False):
    """streamGenericParseIDOrReply: (id, seq_given); "-"/"+" only when not strict."""
    if len(arg) > 127:
        raise CommandError(INVALID_ID)
    nul = arg.find(b"\0")
    if nul >= 0:
        arg = arg[:nul]
    if strict and arg in (b"-", b"+"):
        raise CommandError(INVALID_ID)
    if arg == b"-":
        return ZERO_ID, True
    if arg == b"+":
        return MAX_ID, True
    dash = arg.find(b"-")
    if dash >= 0:
        ms = _strtoull(arg[:dash])
        if ms is None:
            raise CommandError(INVALID_ID)
        rest = arg[dash + 1:]
        if star and rest == b"*":
            return (ms, 0), False
        seq = _strtoull(rest)
        if seq is None:
            raise CommandError(INVALID_ID)
        return (ms, seq), True
    ms = _strtoull(arg)
    if ms is None:
        raise CommandError(INVALID_ID)
    return (ms, missing_seq), True


def _strict_id(arg: bytes, missing_seq: int = 0):
    return parse_id(arg, missing_seq, strict=True)[0]


def _interval_id(arg: bytes, missing_seq: int):
    """streamParseIntervalIDOrReply: (id, exclusive)."""
    if len(arg) > 1 and arg[:1] == b"(":
        return parse_id(arg[1:], missing_seq, strict=True)[0], True
    return parse_id(arg, missing_seq)[0], False


def _incr(sid):
    ms, seq = sid
    if seq == U64:
        if ms == U64:
            return None
        return (ms + 1, 0)
    return (ms, seq + 1)


def _decr(sid):
    ms, seq = sid
    if seq == 0:
        if ms == 0:
            return None
        return (ms - 1, U64)
    return (ms, seq - 1)


def fmt_id(sid) -> bytes:
    return b"%d-%d" % sid


def _lookup(c, key: bytes, read: bool = True):
    """lookupKeyRead/Write + checkType; counts hits and misses for reads."""
    v = c.db.lookup(key)
    if read:
        server = c.server
        if v is None:
            server.stat_keyspace_misses += 1
            notify(server, NOTIFY_KEY_MISS, b"keymiss", key, c.db.id)
        else:
            server.stat_keyspace_hits += 1
    if v is None or type(v) is Stream:
        return v
    raise CommandError(WRONGTYPE)


def _entry(s: Stream, sid) -> list:
    return [fmt_id(sid), list(s.data[sid])]


def _range_reply(s: Stream, start, end, count=0, rev=False) -> list:
    return [_entry(s, i) for i in s.range(start, end, count, rev)]


def _create_consumer(c, g: Group, name: bytes, key: bytes) -> Consumer:
    """streamCreateConsumer with notification and dirty."""
    cons = Consumer(name, now_ms())
    g.consumers[name] = cons
    notify(c.server, NOTIFY_STREAM, b"xgroup-createconsumer", key, c.db.id)
    c.server.dirty += 1
    return cons


def _get_consumer(c, g: Group, name: bytes, key: bytes) -> Consumer:
    """streamLookupConsumer (refreshing seen-time) or create it."""
    cons = g.consumers.get(name)
    if cons is None:
        return _create_consumer(c, g, name, key)
    cons.seen_time = now_ms()
    return cons


def _nogroup(key: bytes, group: bytes) -> CommandError:
    return CommandError(b"NOGROUP No such key '" + c_string(key) + b"' or consumer group '"
                        + c_string(group) + b"'")


# ---------------------------------------------------------------------- XADD / XTRIM


class _TrimArgs:
    __slots__ = ("strategy", "maxlen", "minid", "approx", "limit", "id", "id_given",
                 "seq_given", "nomkstream", "approx_idx", "limit_idx")

    def __init__(self):
        self.approx_idx = 0
        self.limit_idx = None
        self.strategy = None
        self.maxlen = 0
        self.minid = ZERO_ID
        self.approx = False
        self.limit = 0
        self.id = None
        self.id_given = False
        self.seq_given = True
        self.nomkstream = False


def _parse_add_trim(c, argv, xadd: bool):
    """streamParseAddOrTrimArgsOrReply: returns (args, index of the ID / first field)."""
    a = _TrimArgs()
    limit_given = False
    i = 2
    argc = len(argv)
    while i < argc:
        more = argc - 1 - i
        opt = argv[i]
        lo = opt.lower()
        if xadd and opt == b"*":
            break
        if lo == b"maxlen" and more:
            if a.strategy is not None:
                raise CommandError("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
            a.approx = False
            nxt = argv[i + 1]
            if more >= 2 and nxt == b"~":
                a.approx = True
                a.approx_idx = i + 1
                i += 1
            elif more >= 2 and nxt == b"=":
                i += 1
            a.maxlen = _int(argv[i + 1])
            if a.maxlen < 0:
                raise CommandError("ERR The MAXLEN argument must be >= 0.")
            i += 1
            a.strategy = "maxlen"
        elif lo == b"minid" and more:
            if a.strategy is not None:
                raise CommandError("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
            a.approx = False
            nxt = argv[i + 1]
            if more >= 2 and nxt == b"~":
                a.approx = True
                a.approx_idx = i + 1
                i += 1
            elif more >= 2 and nxt == b"=":
                i += 1
            a.minid = _strict_id(argv[i + 1])
            i += 1
            a.strategy = "minid"
        elif lo == b"limit" and more:
            a.limit_idx = i
            a.limit = _int(argv[i + 1])
            if a.limit < 0:
                raise CommandError("ERR The LIMIT argument must be >= 0.")
            limit_given = True
            i += 1
        elif xadd and lo == b"nomkstream":
            a.nomkstream = True
        elif xadd:
            a.id, a.seq_given = parse_id(opt, 0, strict=True, star=True)
            a.id_given = True
            break
        else:
            raise CommandError(SYNTAX)
        i += 1
    if a.limit and a.strategy is None:
        raise CommandError("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
    if not xadd and a.strategy is None:
        raise CommandError("ERR syntax error, XTRIM must be called with a trimming strategy")
    if a.approx:
        if not limit_given:
            a.limit = 100 * c.server.config.stream_node_max_entries
            if a.limit <= 0 or a.limit > 1000000:
                a.limit = 10000
    else:
        if limit_given:
            raise CommandError("ERR syntax error, LIMIT cannot be used without the special ~ option")
        a.limit = 0
    return a, i


def _trim(s: Stream, a: _TrimArgs) -> int:
    return s.trim(a.strategy, a.maxlen, a.minid, a.approx, a.limit)


def _prop_trim(argv: list, s: Stream, a: _TrimArgs) -> list:
    """streamRewriteApproxSpecifier + streamRewriteTrimArgument: a "~" trim propagates
    as "=" with the threshold it reached (the LIMIT dropped: "=" refuses it)."""
    argv = list(argv)
    i = a.approx_idx
    argv[i] = b"="
    if a.strategy == "maxlen":
        argv[i + 1] = b"%d" % len(s)
    else:
        argv[i + 1] = fmt_id(s.ids[0]) if s.ids else fmt_id(_incr(s.last_id))
    j = a.limit_idx
    if j is not None:
        del argv[j : j + 2]
    return argv


@command("xadd")
def cmd_xadd(c, argv):
    """XADD key [NOMKSTREAM] [MAXLEN | MINID [= | ~] threshold [LIMIT count]] * | id field value [field value ...]"""
    a, pos = _parse_add_trim(c, argv, True)
    pos += 1  # the first field
    nargs = len(argv) - pos
    if nargs < 2 or nargs % 2 == 1:
        raise CommandError("ERR wrong number of arguments for 'xadd' command")
    if a.id_given and a.seq_given and a.id == ZERO_ID:
        raise CommandError("ERR The ID specified in XADD must be greater than 0-0")
    db = c.db
    key = argv[1]
    s = _lookup(c, key, read=False)
    if s is None:
        if a.nomkstream:
            return NULL
        s = Stream()
        db.add(key, s)
    if s.last_id == MAX_ID:
        raise CommandError("ERR The stream has exhausted the last possible ID, unable to add more items")
    last = s.last_id
    if a.id_given:
        if a.seq_given:
            sid = a.id
        elif last[0] == a.id[0]:
            if last[1] == U64:
                raise CommandError("ERR The ID specified in XADD is equal or smaller than the target stream top item")
            sid = (last[0], last[1] + 1)
        else:
            sid = a.id
    else:
        ms = now_ms()
        sid = (ms, 0) if ms > last[0] else _incr(last)
    if sid <= last:
        raise CommandError("ERR The ID specified in XADD is equal or smaller than the target stream top item")
    s.append(sid, list(argv[pos:]), c.server.config)
    db.signal_modified(key)
    notify(c.server, NOTIFY_STREAM, b"xadd", key, db.id)
    c.server.dirty += 1
    if a.strategy is not None:
        if _trim(s, a):
            notify(c.server, NOTIFY_STREAM, b"xtrim", key, db.id)
    if c.server.propagating and (not a.id_given or not a.seq_given or a.approx):
        # the generated ID (and an approximate trim's outcome) are propagated
        prop = list(argv)
        prop[pos - 1] = fmt_id(sid)
        if a.approx:
            prop = _prop_trim(prop, s, a)
        c.server.rewrite_propagation(prop)
    signal_key_as_ready(db, key)
    return fmt_id(sid)


@command("xtrim")
def cmd_xtrim(c, argv):
    """XTRIM key MAXLEN | MINID [= | ~] threshold [LIMIT count]"""
    key = argv[1]
    a, i = _parse_add_trim(c, argv, False)
    s = _lookup(c, key, read=False)
    if s is None:
        return 0
    deleted = _trim(s, a)
    if deleted:
        notify(c.server, NOTIFY_STREAM, b"xtrim", key, c.db.id)
        c.db.signal_modified(key)
        c.server.dirty += deleted
        if a.approx and c.server.propagating:
            c.server.rewrite_propagation(_prop_trim(argv, s, a))
    return deleted


@command("xlen")
def cmd_xlen(c, argv):
    """XLEN key"""
    s = _lookup(c, argv[1])
    return 0 if s is None else len(s)


@command("xdel")
def cmd_xdel(c, argv):
    """XDEL key id [id ...]"""
    key = argv[1]
    s = _lookup(c, key, read=False)
    if s is None:
        return 0
    ids = [_strict_id(a) for a in argv[2:]]
    deleted = 0
    first_entry = False
    for sid in ids:
        if s.delete(sid):
            if sid == s.first_id:
                first_entry = True
            if sid > s.max_deleted_id:
                s.max_deleted_id = sid
            deleted += 1
    if deleted:
        if first_entry:
            s.first_id = s.ids[0] if s.ids else ZERO_ID
        c.db.signal_modified(key)
        notify(c.server, NOTIFY_STREAM, b"xdel", key, c.db.id)
        c.server.dirty += deleted
    return deleted


# ---------------------------------------------------------------------- XRANGE


def _xrange_generic(c, argv, rev: bool):
    startarg, endarg = (argv[3], argv[2]) if rev else (argv[2], argv[3])
    start, ex = _interval_id(startarg, 0)
    if ex:
        start = _incr(start)
        if start is None:
            raise CommandError("ERR invalid start ID for the interval")
    end, ex = _interval_id(endarg, U64)
    if ex:
        end = _decr(end)
        if end is None:
            raise CommandError("ERR invalid end ID for the interval")
    count = -1
    j = 4
    while j < len(argv):
        if argv[j].lower() == b"count" and j + 1 < len(argv):
            count = _int(argv[j + 1])
            if count < 0:
                count = 0
            j += 2
        else:
            raise CommandError(SYNTAX)
    s = _lookup(c, argv[1])
    if s is None:
        return []
    if count == 0:
        return NULL_ARRAY
    if count == -1:
        count = 0
    if rev:
        return _range_reply(s, start, end, count, True)
    return _range_reply(s, start, end, count)


@command("xrange")
def cmd_xrange(c, argv):
    """XRANGE key start end [COUNT count]"""
    return _xrange_generic(c, argv, False)


@command("xrevrange")
def cmd_xrevrange(c, argv):
    """XREVRANGE key end start [COUNT count]"""
    return _xrange_generic(c, argv, True)


# ---------------------------------------------------------------------- reading with groups


def _propagate_xclaim(c, key: bytes, gname: bytes, group, sid, nack) -> None:
    """streamPropagateXCLAIM: a delivery is replayed as a forced XCLAIM."""
    c.server.also_propagate(c.db.id, [
        b"XCLAIM", key, gname, nack.consumer.name, b"0", fmt_id(sid), b"TIME", b"%d" % nack.delivery_time,
        b"RETRYCOUNT", b"%d" % nack.delivery_count, b"FORCE", b"JUSTID", b"LASTID", fmt_id(group.last_id),
    ])


def _read_range(c, s: Stream, key: bytes, start, count: int, group, consumer, noack: bool, gname=None,
                created: bool = False) -> list:
    """streamReplyWithRange from start to the end, updating the group and the PELs.
    While propagating, each delivery is queued as XCLAIM (NOACK: one XGROUP SETID)."""
    out = []
    now = now_ms()
    prop = group is not None and c.server.propagating
    last_before = group.last_id if group is not None else None
    for sid in s.range(start, MAX_ID, count):
        if group is not None and sid > group.last_id:
            if group.entries_read != INVALID_ENTRIES_READ and not s.range_has_tombstones(sid):
                group.entries_read += 1
            elif s.entries_added:
                group.entries_read = s.estimate_distance(sid)
            group.last_id = sid
        out.append(_entry(s, sid))
        if group is not None and not noack:
            nack = group.pel.get(sid)
            if nack is None:
                nack = NACK(consumer, now)
                group.pel[sid] = nack
                consumer.pel[sid] = nack
            else:
                old = nack.consumer
                old.pel.pop(sid, None)
                nack.consumer = consumer
                nack.delivery_time = now
                nack.delivery_count = 1
                consumer.pel[sid] = nack
            if prop:
                _propagate_xclaim(c, key, gname, group, sid, nack)
    if prop:
        if noack and created:
            # no XCLAIM creates the consumer on replay: propagated explicitly
            c.server.also_propagate(c.db.id, [b"XGROUP", b"CREATECONSUMER", key, gname, consumer.name])
        if noack and group.last_id != last_before:
            c.server.also_propagate(c.db.id, [b"XGROUP", b"SETID", key, gname, fmt_id(group.last_id),
                                              b"ENTRIESREAD", b"%d" % group.entries_read])
        c.server.rewrite_propagation(PREVENT)
    return out


def _read_history(s: Stream, start, count: int, consumer, c=None, key=None, gname=None, group=None) -> list:
    """streamReplyWithRangeFromConsumerPEL (deliveries propagated as XCLAIM)."""
    out = []
    now = now_ms()
    prop = c is not None and c.server.propagating
    for sid in sorted(i for i in consumer.pel if i >= start):
        if count and len(out) >= count:
            break
        fv = s.data.get(sid)
        if fv is None:
            out.append([fmt_id(sid), NULL_ARRAY])
        else:
            out.append([fmt_id(sid), list(fv)])
            nack = consumer.pel[sid]
            nack.delivery_time = now
            nack.delivery_count += 1
    if prop:
        # Redis 7.0 does not propagate history reads (the XREADGROUP itself neither)
        c.server.rewrite_propagation(PREVENT)
    return out


def _ms_timeout(arg: bytes) -> int:
    """getTimeoutFromObjectOrReply in milliseconds: absolute deadline, 0 = forever."""
    v = string2ll(arg)
    if v is None:
        raise CommandError("ERR timeout is not an integer or out of range")
    if v < 0:
        raise CommandError("ERR timeout is negative")
    if v == 0:
        return 0
    return v + now_ms()


def _in_script(c) -> bool:
    """CLIENT_LUA: the command runs from a script (EVAL/FCALL) of this client."""
    eng = getattr(c.server, "lua_engine", None)
    ctx = getattr(eng, "ctx", None)
    return ctx is not None and ctx.c is c


def _xread_generic(c, argv, xreadgroup: bool):
    timeout = None
    count = 0
    streams_arg = 0
    streams_count = 0
    groupname = consumername = None
    noack = False
    argc = len(argv)
    i = 1
    while i < argc:
        more = argc - i - 1
        o = argv[i].lower()
        if o == b"block" and more:
            if _in_script(c):
                raise CommandError(b"ERR " + c_string(argv[0]) + b" command is not allowed with BLOCK option from scripts")
            i += 1
            timeout = _ms_timeout(argv[i])
        elif o == b"count" and more:
            i += 1
            count = _int(argv[i])
            if count < 0:
                count = 0
        elif o == b"streams" and more:
            streams_arg = i + 1
            streams_count = argc - streams_arg
            if streams_count % 2:
                sym = ">" if xreadgroup else "$"
                name = "xreadgroup" if xreadgroup else "xread"
                raise CommandError(f"ERR Unbalanced '{name}' list of streams: for each stream key an ID or '{sym}' must be specified.")
            streams_count //= 2
            break
        elif o == b"group" and more >= 2:
            if not xreadgroup:
                raise CommandError("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
            groupname = argv[i + 1]
            consumername = argv[i + 2]
            i += 2
        elif o == b"noack":
            if not xreadgroup:
                raise CommandError("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
            noack = True
        else:
            raise CommandError(SYNTAX)
        i += 1
    if streams_arg == 0:
        raise CommandError(SYNTAX)
    if xreadgroup and groupname is None:
        raise CommandError("ERR Missing GROUP option for XREADGROUP")
    keys = argv[streams_arg:streams_arg + streams_count]
    ids = []
    groups = []
    for idx in range(streams_count):
        key = keys[idx]
        arg = argv[streams_arg + streams_count + idx]
        s = _lookup(c, key)
        if groupname is not None:
            g = s.groups.get(groupname) if s is not None else None
            if g is None:
                raise CommandError(b"NOGROUP No such key '" + c_string(key) + b"' or consumer group '"
                                   + c_string(groupname) + b"' in XREADGROUP with GROUP option")
            groups.append(g)
        if arg == b"$":
            if xreadgroup:
                raise CommandError("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
            ids.append(s.last_id if s is not None else ZERO_ID)
            continue
        if arg == b">":
            if not xreadgroup:
                raise CommandError("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
            ids.append(MAX_ID)
            continue
        ids.append(_strict_id(arg))
    out = {} if c.proto == 3 else []
    served = 0
    for idx in range(streams_count):
        key = keys[idx]
        s = c.db.lookup(key)
        if s is None or type(s) is not Stream:
            continue
        gt = ids[idx]
        sync = history = False
        if groups:
            if gt != MAX_ID:
                sync = history = True
            elif s.ids:
                last = groups[idx].last_id
                if s.last_valid_id() > last:
                    sync = True
                    gt = last
        elif s.ids and s.last_valid_id() > gt:
            sync = True
        if not sync:
            continue
        served += 1
        start = _incr(gt)
        consumer = None
        created = False
        if groups:
            created = consumername not in groups[idx].consumers
            consumer = _get_consumer(c, groups[idx], consumername, key)
        if history:
            entries = (_read_history(s, start, count, consumer, c, key, groupname, groups[idx])
                       if start is not None else [])
        elif start is None:
            entries = []
        else:
            entries = _read_range(c, s, key, start, count, groups[idx] if groups else None, consumer, noack, groupname,
                                  created)
        if groups:
            c.server.dirty += 1
        if c.proto == 3:
            out[key] = entries
        else:
            out.append([key, entries])
    if served:
        return out
    if timeout is not None:
        if deny_blocking(c):
            return NULL_ARRAY
        wait_ids = {}
        for idx in range(streams_count):
            wait_ids.setdefault(keys[idx], ids[idx])
        bcount = count if count else 1000
        gname, cname = groupname, consumername

        def serve(rc, key, s):
            gt = wait_ids[key]
            group = None
            if gname is not None:
                group = s.groups.get(gname)
                if group is None:
                    return CommandError("NOGROUP the consumer group this client was blocked on no longer exists")
                gt = group.last_id
                wait_ids[key] = gt
            if not s.last_id > gt:
                return _KEEP
            start = _incr(gt)
            consumer = None
            created = False
            if group is not None:
                created = cname not in group.consumers
                consumer = _get_consumer(rc, group, cname, key)
            entries = _read_range(rc, s, key, start, bcount, group, consumer, noack, gname, created)
            if rc.proto == 3:
                return {key: entries}
            return [[key, entries]]

        return block_for_keys(c, keys, timeout, Stream, serve)
    return NULL_ARRAY


from ..blocking import KEEP_BLOCKED as _KEEP  # noqa: E402


@command("xread")
def cmd_xread(c, argv):
    """XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]"""
    return _xread_generic(c, argv, False)


@command("xreadgroup")
def cmd_xreadgroup(c, argv):
    """XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]"""
    return _xread_generic(c, argv, True)


# ---------------------------------------------------------------------- XGROUP


def _xgroup_prelude(c, argv, create_or_setid: bool, create: bool):
    """The common checks of xgroupCommand: options, key, group existence."""
    mkstream = False
    entries_read = INVALID_ENTRIES_READ
    op = argv[1].lower()
    if create_or_setid:
        i = 5
        while i < len(argv):
            o = argv[i].lower()
            if o == b"mkstream" and create:
                mkstream = True
                i += 1
            elif o == b"entriesread" and i + 1 < len(argv):
                entries_read = _int(argv[i + 1])
                if entries_read < 0 and entries_read != INVALID_ENTRIES_READ:
                    raise CommandError("ERR value for ENTRIESREAD must be positive or -1")
                i += 2
            else:
                raise subcommand_syntax(argv[1], "xgroup")
    s = _lookup(c, argv[2], read=False)
    g = None
    if not mkstream:
        if s is None:
            raise CommandError("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
        g = s.groups.get(argv[3])
        if g is None and op in (b"setid", b"createconsumer", b"delconsumer"):
            raise CommandError(b"NOGROUP No such consumer group '" + c_string(argv[3]) + b"' for key name '"
                               + c_string(argv[2]) + b"'")
    return s, g, mkstream, entries_read


@command("xgroup|create")
def cmd_xgroup_create(c, argv):
    """XGROUP CREATE key group id | $ [MKSTREAM] [ENTRIESREAD entries-read]"""
    s, g, mkstream, entries_read = _xgroup_prelude(c, argv, True, True)
    if len(argv) > 8:
        raise subcommand_syntax(argv[1], "xgroup")
    if argv[4] == b"$":
        sid = s.last_id if s is not None else ZERO_ID
    else:
        sid = _strict_id(argv[4])
    key = argv[2]
    if s is None:
        s = Stream()
        c.db.add(key, s)
    name = argv[3]
    if name in s.groups:
        raise CommandError("BUSYGROUP Consumer Group name already exists")
    s.groups[name] = Group(sid, entries_read)
    s.groups = dict(sorted(s.groups.items()))
    c.server.dirty += 1
    notify(c.server, NOTIFY_STREAM, b"xgroup-create", key, c.db.id)
    return OK


@command("xgroup|setid")
def cmd_xgroup_setid(c, argv):
    """XGROUP SETID key group id | $ [ENTRIESREAD entries-read]"""
    s, g, _, entries_read = _xgroup_prelude(c, argv, True, False)
    if len(argv) not in (5, 7):
        raise subcommand_syntax(argv[1], "xgroup")
    if argv[4] == b"$":
        sid = s.last_id
    else:
        sid = parse_id(argv[4])[0]
    g.last_id = sid
    g.entries_read = entries_read
    c.server.dirty += 1
    notify(c.server, NOTIFY_STREAM, b"xgroup-setid", argv[2], c.db.id)
    return OK


@command("xgroup|destroy")
def cmd_xgroup_destroy(c, argv):
    """XGROUP DESTROY key group"""
    s, g, _, _ = _xgroup_prelude(c, argv, False, False)
    if g is None:
        return 0
    del s.groups[argv[3]]
    c.server.dirty += 1
    notify(c.server, NOTIFY_STREAM, b"xgroup-destroy", argv[2], c.db.id)
    signal_key_as_ready(c.db, argv[2])
    return 1


@command("xgroup|createconsumer")
def cmd_xgroup_createconsumer(c, argv):
    """XGROUP CREATECONSUMER key group consumer"""
    s, g, _, _ = _xgroup_prelude(c, argv, False, False)
    if argv[4] in g.consumers:
        return 0
    _create_consumer(c, g, argv[4], argv[2])
    g.consumers = dict(sorted(g.consumers.items()))
    return 1


@command("xgroup|delconsumer")
def cmd_xgroup_delconsumer(c, argv):
    """XGROUP DELCONSUMER key group consumer"""
    s, g, _, _ = _xgroup_prelude(c, argv, False, False)
    cons = g.consumers.get(argv[4])
    if cons is None:
        return 0
    pending = len(cons.pel)
    for sid in cons.pel:
        g.pel.pop(sid, None)
    del g.consumers[argv[4]]
    c.server.dirty += 1
    notify(c.server, NOTIFY_STREAM, b"xgroup-delconsumer", argv[2], c.db.id)
    return pending


_XGROUP_HELP = [
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
]

_XINFO_HELP = [
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
]


def _help(container: str, lines) -> list:
    out = [f"{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"]
    out.extend(lines)
    out.append("HELP")
    out.append("    Prints this help.")
    return [Simple(x.encode()) for x in out]


@command("xgroup|help")
def cmd_xgroup_help(c, argv):
    """XGROUP HELP"""
    return _help("XGROUP", _XGROUP_HELP)


# ---------------------------------------------------------------------- XACK / XPENDING / XCLAIM


def _sorted_consumers(g: Group):
    return [g.consumers[k] for k in sorted(g.consumers)]


@command("xack")
def cmd_xack(c, argv):
    """XACK key group id [id ...]"""
    s = _lookup(c, argv[1])
    g = s.groups.get(argv[2]) if s is not None else None
    if g is None:
        return 0
    ids = [_strict_id(a) for a in argv[3:]]
    acked = 0
    for sid in ids:
        nack = g.pel.pop(sid, None)
        if nack is not None:
            nack.consumer.pel.pop(sid, None)
            acked += 1
            c.server.dirty += 1
    return acked


@command("xpending")
def cmd_xpending(c, argv):
    """XPENDING key group [[IDLE min-idle-time] start end count [consumer]]"""
    argc = len(argv)
    justinfo = argc == 3
    if argc != 3 and (argc < 6 or argc > 9):
        raise CommandError(SYNTAX)
    minidle = 0
    consumername = None
    if argc >= 6:
        si = 3
        if argv[3].lower() == b"idle":
            minidle = _int(argv[4])
            if argc < 8:
                raise CommandError(SYNTAX)
            si += 2
        count = _int(argv[si + 2])
        if count < 0:
            count = 0
        start, ex = _interval_id(argv[si], 0)
        if ex:
            start = _incr(start)
            if start is None:
                raise CommandError("ERR invalid start ID for the interval")
        end, ex = _interval_id(argv[si + 1], U64)
        if ex:
            end = _decr(end)
            if end is None:
                raise CommandError("ERR invalid end ID for the interval")
        if si + 3 < argc:
            consumername = argv[si + 3]
    s = _lookup(c, argv[1])
    g = s.groups.get(argv[2]) if s is not None else None
    if g is None:
        raise _nogroup(argv[1], argv[2])
    if justinfo:
        if not g.pel:
            return [0, None, None, NULL_ARRAY]
        ids = sorted(g.pel)
        cons = [[x.name, b"%d" % len(x.pel)] for x in _sorted_consumers(g) if x.pel]
        return [len(ids), fmt_id(ids[0]), fmt_id(ids[-1]), cons]
    if consumername is not None:
        cons = g.consumers.get(consumername)
        if cons is None:
            return []
        pel = cons.pel
    else:
        pel = g.pel
    now = now_ms()
    out = []
    if count:
        for sid in sorted(pel):
            if sid < start:
                continue
            if sid > end or not count:
                break
            nack = pel[sid]
            if minidle and now - nack.delivery_time < minidle:
                continue
            count -= 1
            out.append([fmt_id(sid), nack.consumer.name, max(now - nack.delivery_time, 0), nack.delivery_count])
    return out


@command("xclaim")
def cmd_xclaim(c, argv):
    """XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]

    Arguments after the last parsable ID are options; an entry that no longer exists is
    dropped from the PEL and not reported (7.0).
    """
    key = argv[1]
    s = _lookup(c, key)
    g = s.groups.get(argv[2]) if s is not None else None
    if g is None:
        raise _nogroup(key, argv[2])
    minidle = _int(argv[4], "ERR Invalid min-idle-time argument for XCLAIM")
    if minidle < 0:
        minidle = 0
    ids = []
    j = 5
    while j < len(argv):
        try:
            ids.append(_strict_id(argv[j]))
        except CommandError:
            break
        j += 1
    now = now_ms()
    last_id = ZERO_ID
    deliverytime = -1
    retrycount = -1
    force = justid = False
    while j < len(argv):
        more = len(argv) - 1 - j
        o = argv[j].lower()
        if o == b"force":
            force = True
        elif o == b"justid":
            justid = True
        elif o == b"idle" and more:
            j += 1
            deliverytime = now - _int(argv[j], "ERR Invalid IDLE option argument for XCLAIM")
        elif o == b"time" and more:
            j += 1
            deliverytime = _int(argv[j], "ERR Invalid TIME option argument for XCLAIM")
        elif o == b"retrycount" and more:
            j += 1
            retrycount = _int(argv[j], "ERR Invalid RETRYCOUNT option argument for XCLAIM")
        elif o == b"lastid" and more:
            j += 1
            last_id = _strict_id(argv[j])
        else:
            raise CommandError(b"ERR Unrecognized XCLAIM option '" + c_string(argv[j]) + b"'")
        j += 1
    propagate_last_id = False
    if last_id > g.last_id:
        g.last_id = last_id
        propagate_last_id = True
    if deliverytime != -1:
        if deliverytime < 0 or deliverytime > now:
            deliverytime = now
    else:
        deliverytime = now
    consumer = None
    name = argv[3]
    out = []
    prop = c.server.propagating
    for sid in ids:
        nack = g.pel.get(sid)
        if sid not in s.data:
            if nack is not None:
                if prop:  # replayed as XCLAIM of a missing entry, which drops it too
                    _propagate_xclaim(c, key, argv[2], g, sid, nack)
                c.server.dirty += 1
                propagate_last_id = False
                del g.pel[sid]
                nack.consumer.pel.pop(sid, None)
            continue
        if force and nack is None:
            nack = NACK(None, now)
            g.pel[sid] = nack
        if nack is None:
            continue
        if nack.consumer is not None and minidle and now - nack.delivery_time < minidle:
            continue
        if consumer is None:
            consumer = _get_consumer(c, g, name, key)
        if nack.consumer is not consumer and nack.consumer is not None:
            nack.consumer.pel.pop(sid, None)
        nack.delivery_time = deliverytime
        if retrycount >= 0:
            nack.delivery_count = retrycount
        elif not justid:
            nack.delivery_count += 1
        if nack.consumer is not consumer:
            consumer.pel[sid] = nack
            nack.consumer = consumer
        out.append(fmt_id(sid) if justid else _entry(s, sid))
        c.server.dirty += 1
        propagate_last_id = False
        if prop:
            _propagate_xclaim(c, key, argv[2], g, sid, nack)
    if propagate_last_id:
        c.server.dirty += 1
        if prop:
            c.server.also_propagate(c.db.id, [b"XGROUP", b"SETID", key, argv[2], fmt_id(g.last_id),
                                              b"ENTRIESREAD", b"%d" % g.entries_read])
    if prop:
        c.server.rewrite_propagation(PREVENT)
    return out


# Redis allocates COUNT stream IDs (16 bytes each) up front and answers this error when
# the allocation fails: on the oracle's machine (x86-64, 128 TiB of address space) the
# limit measured lies between 5497497558593 and 5497680664062, i.e. about 80 TiB.
# It depends on the host; 80 TiB / 16 is used here.
_AUTOCLAIM_ALLOC_LIMIT = 80 * 2**40 // 16


@command("xautoclaim")
def cmd_xautoclaim(c, argv):
    """XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]"""
    key = argv[1]
    minidle = _int(argv[4], "ERR Invalid min-idle-time argument for XAUTOCLAIM")
    if minidle < 0:
        minidle = 0
    start, ex = _interval_id(argv[5], 0)
    if ex:
        start = _incr(start)
        if start is None:
            raise CommandError("ERR invalid start ID for the interval")
    count = 100
    justid = False
    j = 6
    while j < len(argv):
        more = len(argv) - 1 - j
        o = argv[j].lower()
        if o == b"count" and more:
            v = string2ll(argv[j + 1])
            if v is None or v < 1 or v > LLONG_MAX // 16:
                raise CommandError("ERR COUNT must be > 0")
            count = v
            j += 1
        elif o == b"justid":
            justid = True
        else:
            raise CommandError(SYNTAX)
        j += 1
    s = _lookup(c, key)
    g = s.groups.get(argv[2]) if s is not None else None
    if g is None:
        raise _nogroup(key, argv[2])
    if count > _AUTOCLAIM_ALLOC_LIMIT:
        raise CommandError("ERR Insufficient memory, failed allocating transient memory, COUNT too high.")
    attempts = count * 10
    now = now_ms()
    name = argv[3]
    consumer = None
    claimed = []
    deleted = []
    pel_ids = sorted(i for i in g.pel if i >= start)
    k = 0
    n = len(pel_ids)
    prop = c.server.propagating
    while attempts and count and k < n:
        attempts -= 1
        sid = pel_ids[k]
        k += 1
        nack = g.pel[sid]
        if sid not in s.data:
            if prop:
                _propagate_xclaim(c, key, argv[2], g, sid, nack)
            c.server.dirty += 1
            del g.pel[sid]
            nack.consumer.pel.pop(sid, None)
            deleted.append(fmt_id(sid))
            count -= 1
            continue
        if minidle and now - nack.delivery_time < minidle:
            continue
        if consumer is None:
            consumer = _get_consumer(c, g, name, key)
        if nack.consumer is not consumer and nack.consumer is not None:
            nack.consumer.pel.pop(sid, None)
        nack.delivery_time = now
        if not justid:
            nack.delivery_count += 1
        if nack.consumer is not consumer:
            consumer.pel[sid] = nack
            nack.consumer = consumer
        claimed.append(fmt_id(sid) if justid else _entry(s, sid))
        count -= 1
        c.server.dirty += 1
        if prop:
            _propagate_xclaim(c, key, argv[2], g, sid, nack)
    if prop:
        c.server.rewrite_propagation(PREVENT)
    cursor = fmt_id(pel_ids[k]) if k < n else b"0-0"
    return [cursor, claimed, deleted]


# ---------------------------------------------------------------------- XINFO / XSETID


def _info_head(s: Stream) -> dict:
    return {
        b"length": len(s),
        b"radix-tree-keys": len(s.nodes),
        b"radix-tree-nodes": s.rax_nodes(),
        b"last-generated-id": fmt_id(s.last_id),
        b"max-deleted-entry-id": fmt_id(s.max_deleted_id),
        b"entries-added": s.entries_added,
        b"recorded-first-entry-id": fmt_id(s.first_id),
    }


@command("xinfo|stream")
def cmd_xinfo_stream(c, argv):
    """XINFO STREAM key [FULL [COUNT count]]"""
    s = _lookup(c, argv[2])
    if s is None:
        raise CommandError(NO_SUCH_KEY)
    argc = len(argv) - 2
    full = True
    count = 10
    if argc == 1:
        full = False
    elif argc in (2, 4):
        if argv[3].lower() != b"full":
            raise subcommand_syntax(argv[1], "xinfo")
        if argc == 4:
            if argv[4].lower() != b"count":
                raise subcommand_syntax(argv[1], "xinfo")
            count = _int(argv[5])
            if count < 0:
                count = 10
    else:
        raise subcommand_syntax(argv[1], "xinfo")
    out = _info_head(s)
    if not full:
        out[b"groups"] = len(s.groups)
        out[b"first-entry"] = _entry(s, s.ids[0]) if s.ids else None
        out[b"last-entry"] = _entry(s, s.ids[-1]) if s.ids else None
        return out
    out[b"entries"] = _range_reply(s, ZERO_ID, MAX_ID, count)
    groups = []
    for name in sorted(s.groups):
        g = s.groups[name]
        er = g.entries_read
        pending = []
        for sid in sorted(g.pel):
            if count and len(pending) >= count:
                break
            nack = g.pel[sid]
            pending.append([fmt_id(sid), nack.consumer.name, nack.delivery_time, nack.delivery_count])
        consumers = []
        for cons in _sorted_consumers(g):
            cp = []
            for sid in sorted(cons.pel):
                if count and len(cp) >= count:
                    break
                nack = cons.pel[sid]
                cp.append([fmt_id(sid), nack.delivery_time, nack.delivery_count])
            consumers.append({b"name": cons.name, b"seen-time": cons.seen_time,
                              b"pel-count": len(cons.pel), b"pending": cp})
        groups.append({
            b"name": name,
            b"last-delivered-id": fmt_id(g.last_id),
            b"entries-read": None if er == INVALID_ENTRIES_READ else er,
            b"lag": s.group_lag(g),
            b"pel-count": len(g.pel),
            b"pending": pending,
            b"consumers": consumers,
        })
    out[b"groups"] = groups
    return out


@command("xinfo|groups")
def cmd_xinfo_groups(c, argv):
    """XINFO GROUPS key"""
    s = _lookup(c, argv[2])
    if s is None:
        raise CommandError(NO_SUCH_KEY)
    out = []
    for name in sorted(s.groups):
        g = s.groups[name]
        er = g.entries_read
        out.append({
            b"name": name,
            b"consumers": len(g.consumers),
            b"pending": len(g.pel),
            b"last-delivered-id": fmt_id(g.last_id),
            b"entries-read": None if er == INVALID_ENTRIES_READ else er,
            b"lag": s.group_lag(g),
        })
    return out


@command("xinfo|consumers")
def cmd_xinfo_consumers(c, argv):
    """XINFO CONSUMERS key group"""
    s = _lookup(c, argv[2])
    if s is None:
        raise CommandError(NO_SUCH_KEY)
    g = s.groups.get(argv[3])
    if g is None:
        raise CommandError(b"NOGROUP No such consumer group '" + c_string(argv[3]) + b"' for key name '"
                           + c_string(argv[2]) + b"'")
    now = now_ms()
    return [{b"name": x.name, b"pending": len(x.pel), b"idle": max(now - x.seen_time, 0)}
            for x in _sorted_consumers(g)]


@command("xinfo|help")
def cmd_xinfo_help(c, argv):
    """XINFO HELP"""
    return _help("XINFO", _XINFO_HELP)


@command("xsetid")
def cmd_xsetid(c, argv):
    """XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]

    7.0.15 does not compare last-id with the stream's current max-deleted-entry-id
    (the oracle accepts XSETID below it on an emptied stream).
    """
    sid = _strict_id(argv[2])
    max_xdel = ZERO_ID
    entries_added = -1
    i = 3
    while i < len(argv):
        more = len(argv) - 1 - i
        o = argv[i].lower()
        if o == b"entriesadded" and more:
            entries_added = _int(argv[i + 1])
            if entries_added < 0:
                raise CommandError("ERR entries_added must be positive")
            i += 2
        elif o == b"maxdeletedid" and more:
            max_xdel = _strict_id(argv[i + 1])
            if sid < max_xdel:
                raise CommandError("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
            i += 2
        else:
            raise CommandError(SYNTAX)
    key = argv[1]
    s = _lookup(c, key, read=False)
    if s is None:
        raise CommandError(NO_SUCH_KEY)
    if s.ids:
        if sid < s.last_valid_id():
            raise CommandError("ERR The ID specified in XSETID is smaller than the target stream top item")
        if entries_added != -1 and len(s) > entries_added:
            raise CommandError("ERR The entries_added specified in XSETID is smaller than the target stream length")
    s.last_id = sid
    if entries_added != -1:
        s.entries_added = entries_added
    if max_xdel != ZERO_ID:
        s.max_deleted_id = max_xdel
    c.db.signal_modified(key)
    notify(c.server, NOTIFY_STREAM, b"xsetid", key, c.db.id)
    c.server.dirty += 1
    return OK
