"""Sorted set commands (Redis's t_zset.c).

Values are `types.zset.ZSet`. Every write signals the key and adds to `server.dirty` as
Redis does; a sorted set that becomes empty is deleted at once.

Replies with scores: RESP2 flattens member/score pairs into one array of bulk strings
(%.17g); RESP3 nests them as [member, double] pairs (ZRANGE ... WITHSCORES, ZRANDMEMBER,
ZPOPMIN/ZPOPMAX with a count, ZUNION/ZINTER/ZDIFF WITHSCORES). ZMPOP/BZMPOP nest pairs in
both protocols; BZPOPMIN/BZPOPMAX and ZPOPMIN without a count are flat in both.
"""

from __future__ import annotations

import math
import random

from .. import glob
from ..blocking import block_for_keys, deny_blocking, parse_timeout, signal_key_as_ready
from ..errors import NOT_FLOAT, NOT_INTEGER, SYNTAX, WRONGTYPE, CommandError, c_string
from ..numbers import LLONG_MAX, _strtod_text, format_double, parse_double, string2ll
from ..notify import GENERIC as NOTIFY_GENERIC, KEY_MISS as NOTIFY_KEY_MISS, ZSET as NOTIFY_ZSET, notify
from ..registry import command_group
from ..replies import NULL, NULL_ARRAY, Double
from ..resp import bulk_array
from ..scan import parse_cursor, parse_scan_options, scan_items
from ..types.zset import LISTPACK, LexBound, ZSet

command = command_group("sorted-set")

MIN_MAX_NOT_FLOAT = "ERR min or max is not a float"
MIN_MAX_NOT_LEX = "ERR min or max not valid string range item"
NAN_SCORE = "ERR resulting score is not a number (NaN)"
NUMKEYS_POSITIVE = "ERR numkeys should be greater than 0"
COUNT_POSITIVE = "ERR count should be greater than 0"
POSITIVE = "ERR value is out of range, must be positive"
LONG_MAX = LLONG_MAX

_SPACES = b" \t\n\r\v\f"


# ---------------------------------------------------------------------- helpers


def get_zset(db, key: bytes) -> ZSet | None:
    """The sorted set at key, None if missing; WRONGTYPE for another type."""
    v = db.lookup(key)
    if v is None or type(v) is ZSet:
        return v
    raise CommandError(WRONGTYPE)


def read_zset(c, key: bytes) -> ZSet | None:
    """lookupKeyRead + checkType: counts a keyspace hit or miss, as Redis's reads do."""
    v = c.db.lookup_read(key)
    if v is None or type(v) is ZSet:
        return v
    raise CommandError(WRONGTYPE)


def _long(arg: bytes, error: str = NOT_INTEGER) -> int:
    v = string2ll(arg)
    if v is None:
        raise CommandError(error)
    return v


def _strtod(text: bytes) -> float | None:
    """C strtod of the whole argument as zslParseRange uses it: leading white space is
    skipped, an empty string is 0, overflow gives inf, NaN is refused."""
    text = c_string(text).lstrip(_SPACES)
    if not text:
        return 0.0
    try:
        v = _strtod_text(text)
    except OverflowError:
        v = -math.inf if text.startswith(b"-") else math.inf
    except ValueError:
        return None
    if v is None or v != v:
        return None
    return v


def _score_bound(arg: bytes) -> tuple[float, bool]:
    if arg[:1] == b"(":
        v = _strtod(arg[1:])
        ex = True
    else:
        v = _strtod(arg)
        ex = False
    if v is None:
        raise CommandError(MIN_MAX_NOT_FLOAT)
    return v, ex


def parse_score_range(lo: bytes, hi: bytes):
    """zslParseRange: (min, minex, max, maxex)."""
    a, aex = _score_bound(lo)
    b, bex = _score_bound(hi)
    return a, aex, b, bex


def parse_lex_range(lo: bytes, hi: bytes):
    """zslParseLexRange: (min, max) LexBounds."""
    a = LexBound.parse(lo)
    b = LexBound.parse(hi)
    if a is None or b is None:
        raise CommandError(MIN_MAX_NOT_LEX)
    return a, b


_fmt_score = b"%.17g".__mod__  # format_double's text for every non-NaN score


def _pairs_reply(c, pairs, withscores: bool) -> list:
    """Members (and scores) of (member, score) pairs: flat in RESP2, nested in RESP3."""
    if not withscores:
        return [m for m, _ in pairs]
    if c.proto > 2:
        return [[m, Double(s)] for m, s in pairs]
    out = []
    for m, s in pairs:
        out.append(m)
        out.append(_fmt_score(s))
    return out


def _members_reply(c, z: ZSet, members: list, withscores: bool):
    """Members of z (and their scores): flat in RESP2, nested in RESP3.

    A RESP2 score is the bulk string of its %.17g text, which is what a Double encodes
    to in RESP2, so a RESP2 reply and a reply without scores are arrays of bytes only,
    encoded at once by bulk_array."""
    if not withscores or not members:
        return bulk_array(members)
    scores = map(z.dict.__getitem__, members)
    if c.proto > 2:
        return [[m, Double(s)] for m, s in zip(members, scores)]
    out = [None] * (2 * len(members))
    out[0::2] = members
    out[1::2] = map(_fmt_score, scores)
    return bulk_array(out)


def _rank_interval(start: int, end: int, llen: int):
    """Redis's index sanitising for rank ranges: (start, end) inclusive, or None if empty."""
    if start < 0:
        start += llen
    if end < 0:
        end += llen
    if start < 0:
        start = 0
    if start > end or start >= llen:
        return None
    if end >= llen:
        end = llen - 1
    return start, end


def _store(c, dst: bytes, pairs, event: bytes, incremental: bool = False) -> int:
    """Store a computed result at dst (setKey), or delete dst when the result is empty."""
    db = c.db
    if pairs:
        z = ZSet.for_result(pairs, c.server.config, incremental)
        existed = db.lookup(dst) is not None
        db.set(dst, z)
        if not existed:
            # dbAdd signals a new key as ready for blocked clients; dbOverwrite does not.
            signal_key_as_ready(db, dst)
        notify(c.server, NOTIFY_ZSET, event, dst, db.id)
        c.server.dirty += 1
        return len(z)
    if db.delete(dst):
        notify(c.server, NOTIFY_GENERIC, b"del", dst, db.id)
        c.server.dirty += 1
    return 0


# ---------------------------------------------------------------------- ZADD / ZINCRBY


def _zadd_generic(c, argv, incr: bool):
    key = argv[1]
    nx = xx = gt = lt = ch = False
    scoreidx = 2
    argc = len(argv)
    while scoreidx < argc:
        opt = argv[scoreidx]
        if opt[:1].isdigit():
            break  # a score: the options are over
        opt = opt.lower()
        if opt == b"nx":
            nx = True
        elif opt == b"xx":
            xx = True
        elif opt == b"ch":
            ch = True
        elif opt == b"incr":
            incr = True
        elif opt == b"gt":
            gt = True
        elif opt == b"lt":
            lt = True
        else:
            break
        scoreidx += 1
    elements = argc - scoreidx
    if elements % 2 or not elements:
        raise CommandError(SYNTAX)
    elements //= 2
    if nx and xx:
        raise CommandError("ERR XX and NX options at the same time are not compatible")
    if (gt and nx) or (lt and nx) or (gt and lt):
        raise CommandError("ERR GT, LT, and/or NX options at the same time are not compatible")
    if incr and elements > 1:
        raise CommandError("ERR INCR option supports a single increment-element pair")
    scores = []
    for j in range(elements):
        s = parse_double(argv[scoreidx + j * 2])
        if s is None:
            raise CommandError(NOT_FLOAT)
        scores.append(s)
    db = c.db
    z = get_zset(db, key)
    added = updated = processed = 0
    score = 0.0
    config = c.server.config
    if z is None:
        if xx:
            return NULL if incr else 0
        z = ZSet.new(argv[scoreidx + 1], config)
        db.add(key, z)
        signal_key_as_ready(db, key)
    d = z.dict
    try:
        for j in range(elements):
            score = scores[j]
            member = argv[scoreidx + 1 + j * 2]
            cur = d.get(member)
            if cur is not None:
                if nx:
                    continue
                if incr:
                    score += cur
                    if score != score:
                        raise CommandError(NAN_SCORE)
                if (lt and score >= cur) or (gt and score <= cur):
                    continue
                processed += 1
                if score != cur:
                    z.update(member, cur, score)
                    updated += 1
            elif not xx:
                z.insert(member, score, config)
                added += 1
                processed += 1
    finally:
        if added or updated:
            server = c.server
            if server.signals_on:
                db.signal_modified(key)
            if server.config.notify_keyspace_events:
                notify(server, NOTIFY_ZSET, b"zincr" if incr else b"zadd", key, db.id)
            server.dirty += added + updated
    if incr:
        return Double(score) if processed else NULL
    return added + updated if ch else added


@command("zadd")
def cmd_zadd(c, argv):
    """ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]

    Options may come in any order before the first score. On a new key the encoding is
    decided by the first member's length only; with XX nothing is created.
    """
    return _zadd_generic(c, argv, False)


@command("zincrby")
def cmd_zincrby(c, argv):
    """ZINCRBY key increment member

    Shares ZADD's parser, so an increment spelled like an option (NX, CH, ...) is a
    syntax error, as in Redis.
    """
    return _zadd_generic(c, argv, True)


# ---------------------------------------------------------------------- simple reads


@command("zcard")
def cmd_zcard(c, argv):
    """ZCARD key"""
    z = read_zset(c, argv[1])
    return len(z) if z is not None else 0


@command("zscore")
def cmd_zscore(c, argv):
    """ZSCORE key member"""
    z = read_zset(c, argv[1])
    if z is None:
        return NULL
    s = z.dict.get(argv[2])
    return NULL if s is None else Double(s)


@command("zmscore")
def cmd_zmscore(c, argv):
    """ZMSCORE key member [member ...]"""
    z = read_zset(c, argv[1])
    if z is None:
        return [NULL] * (len(argv) - 2)
    d = z.dict
    out = []
    for m in argv[2:]:
        s = d.get(m)
        out.append(NULL if s is None else Double(s))
    return out


def _zrank_generic(c, argv, reverse: bool):
    z = read_zset(c, argv[1])
    if z is None:
        return NULL
    r = z.rank(argv[2])
    if r is None:
        return NULL
    return len(z) - 1 - r if reverse else r


@command("zrank")
def cmd_zrank(c, argv):
    """ZRANK key member"""
    return _zrank_generic(c, argv, False)


@command("zrevrank")
def cmd_zrevrank(c, argv):
    """ZREVRANK key member"""
    return _zrank_generic(c, argv, True)


@command("zcount")
def cmd_zcount(c, argv):
    """ZCOUNT key min max

    min/max are parsed by C strtod: leading spaces are skipped, "" is 0, hex is accepted.
    """
    lo, loex, hi, hiex = parse_score_range(argv[2], argv[3])
    z = read_zset(c, argv[1])
    if z is None:
        return 0
    start, stop = z.score_range(lo, loex, hi, hiex)
    return stop - start


@command("zlexcount")
def cmd_zlexcount(c, argv):
    """ZLEXCOUNT key min max"""
    lo, hi = parse_lex_range(argv[2], argv[3])
    z = read_zset(c, argv[1])
    if z is None:
        return 0
    start, stop = z.lex_range(lo, hi)
    return stop - start


# ---------------------------------------------------------------------- ZREM*


@command("zrem")
def cmd_zrem(c, argv):
    """ZREM key member [member ...]"""
    db = c.db
    key = argv[1]
    z = get_zset(db, key)
    if z is None:
        return 0
    deleted = 0
    for m in argv[2:]:
        if z.remove(m):
            deleted += 1
            if not z:
                break
    if deleted:
        notify(c.server, NOTIFY_ZSET, b"zrem", key, db.id)
        if not z:
            db.delete(key)
            notify(c.server, NOTIFY_GENERIC, b"del", key, db.id)
        else:
            db.signal_modified(key)
        c.server.dirty += deleted
    return deleted


_ZREMRANGE_EVENTS = {"rank": b"zremrangebyrank", "score": b"zremrangebyscore", "lex": b"zremrangebylex"}


def _zremrange_generic(c, argv, kind: str):
    key = argv[1]
    if kind == "rank":
        start = _long(argv[2])
        end = _long(argv[3])
    elif kind == "score":
        srange = parse_score_range(argv[2], argv[3])
    else:
        lrange = parse_lex_range(argv[2], argv[3])
    db = c.db
    z = get_zset(db, key)
    if z is None:
        return 0
    if kind == "rank":
        iv = _rank_interval(start, end, len(z))
        if iv is None:
            return 0
        a, b = iv[0], iv[1] + 1
    elif kind == "score":
        a, b = z.score_range(*srange)
    else:
        a, b = z.lex_range(*lrange)
    deleted = b - a
    if deleted <= 0:
        return 0
    z.delete_ranks(a, b)
    notify(c.server, NOTIFY_ZSET, _ZREMRANGE_EVENTS[kind], key, db.id)
    if not z:
        db.delete(key)
        notify(c.server, NOTIFY_GENERIC, b"del", key, db.id)
    else:
        db.signal_modified(key)
    c.server.dirty += deleted
    return deleted


@command("zremrangebyrank")
def cmd_zremrangebyrank(c, argv):
    """ZREMRANGEBYRANK key start stop"""
    return _zremrange_generic(c, argv, "rank")


@command("zremrangebyscore")
def cmd_zremrangebyscore(c, argv):
    """ZREMRANGEBYSCORE key min max"""
    return _zremrange_generic(c, argv, "score")


@command("zremrangebylex")
def cmd_zremrangebylex(c, argv):
    """ZREMRANGEBYLEX key min max"""
    return _zremrange_generic(c, argv, "lex")


# ---------------------------------------------------------------------- ZRANGE family


def _zrange_generic(c, argv, argc_start: int, store: bool, rangetype, reverse):
    """zrangeGenericCommand: rangetype None|"rank"|"score"|"lex", reverse None|bool."""
    key = argv[argc_start]
    minidx = argc_start + 1
    maxidx = argc_start + 2
    withscores = False
    offset = 0
    limit = -1
    argc = len(argv)
    j = argc_start + 3
    while j < argc:
        opt = argv[j].lower()
        left = argc - j - 1
        if not store and opt == b"withscores":
            withscores = True
        elif opt == b"limit" and left >= 2:
            offset = _long(argv[j + 1])
            limit = _long(argv[j + 2])
            j += 2
        elif reverse is None and opt == b"rev":
            reverse = True
        elif rangetype is None and opt == b"bylex":
            rangetype = "lex"
        elif rangetype is None and opt == b"byscore":
            rangetype = "score"
        else:
            raise CommandError(SYNTAX)
        j += 1
    if reverse is None:
        reverse = False
    if rangetype is None:
        rangetype = "rank"
    if limit != -1 and rangetype == "rank":
        raise CommandError(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
        )
    if withscores and rangetype == "lex":
        raise CommandError("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    if reverse and rangetype != "rank":
        minidx, maxidx = maxidx, minidx
    if rangetype == "rank":
        start = _long(argv[minidx])
        end = _long(argv[maxidx])
    elif rangetype == "score":
        srange = parse_score_range(argv[minidx], argv[maxidx])
    else:
        lrange = parse_lex_range(argv[minidx], argv[maxidx])

    z = read_zset(c, key)
    members: list = []
    if z is not None:
        n = len(z)
        if rangetype == "rank":
            iv = _rank_interval(start, end, n)
            if iv is not None:
                s, e = iv
                if reverse:
                    members = z.members(n - 1 - e, n - s)
                    members.reverse()
                else:
                    members = z.members(s, e + 1)
        else:
            if rangetype == "score":
                a, b = z.score_range(*srange)
            else:
                a, b = z.lex_range(*lrange, rev=reverse)
            # offset counts from the first member in range; a negative offset skips
            # everything (Redis's `while (offset--)`), a negative limit means no limit.
            if offset >= 0 and a < b and limit != 0:
                if reverse:
                    hi = b - offset
                    lo = a if limit < 0 else max(a, hi - limit)
                    if hi > lo:
                        members = z.members(lo, hi)
                        members.reverse()
                else:
                    lo = a + offset
                    hi = b if limit < 0 else min(b, lo + limit)
                    if hi > lo:
                        members = z.members(lo, hi)
    if store:
        # Redis adds the members to the destination in ascending order even with REV.
        asc = members[::-1] if reverse else members
        d = z.dict if z is not None else {}
        return _store(c, argv[1], [(m, d[m]) for m in asc], b"zrangestore", True)
    return _members_reply(c, z, members, withscores)


@command("zrange")
def cmd_zrange(c, argv):
    """ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]"""
    return _zrange_generic(c, argv, 1, False, None, None)


@command("zrangestore")
def cmd_zrangestore(c, argv):
    """ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]

    An empty result deletes dst. The result is a listpack when it fits both limits.
    """
    return _zrange_generic(c, argv, 2, True, None, None)


@command("zrevrange")
def cmd_zrevrange(c, argv):
    """ZREVRANGE key start stop [WITHSCORES]"""
    return _zrange_generic(c, argv, 1, False, "rank", True)


@command("zrangebyscore")
def cmd_zrangebyscore(c, argv):
    """ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]"""
    return _zrange_generic(c, argv, 1, False, "score", False)


@command("zrevrangebyscore")
def cmd_zrevrangebyscore(c, argv):
    """ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]"""
    return _zrange_generic(c, argv, 1, False, "score", True)


@command("zrangebylex")
def cmd_zrangebylex(c, argv):
    """ZRANGEBYLEX key min max [LIMIT offset count]"""
    return _zrange_generic(c, argv, 1, False, "lex", False)


@command("zrevrangebylex")
def cmd_zrevrangebylex(c, argv):
    """ZREVRANGEBYLEX key max min [LIMIT offset count]"""
    return _zrange_generic(c, argv, 1, False, "lex", True)


# ---------------------------------------------------------------------- set operations

_SUM, _MIN, _MAX = 0, 1, 2


def _aggregate(target: float, val: float, how: int) -> float:
    """zunionInterAggregate: a SUM of inf and -inf is 0; MIN/MAX keep target on NaN."""
    if how == _SUM:
        target = target + val
        return 0.0 if target != target else target
    if how == _MIN:
        return val if val < target else target
    return val if val > target else target


def _source_items(v):
    """(member, score) of a zset, or of a set (every score 1.0)."""
    if type(v) is ZSet:
        return v.dict.items()
    return ((m, 1.0) for m in v)


def _source_score(v, member):
    if type(v) is ZSet:
        return v.dict.get(member)
    return 1.0 if member in v else None


_STORE_EVENTS = {"union": b"zunionstore", "inter": b"zinterstore", "diff": b"zdiffstore"}


def _zsetop_generic(c, argv, dst, numkeys_idx: int, op: str, cardinality_only: bool = False):
    """zunionInterDiffGenericCommand. op is "union", "inter" or "diff"."""
    from ..db import type_name

    setnum = _long(argv[numkeys_idx])
    if setnum < 1:
        name = argv[0].lower().decode("latin-1")
        raise CommandError(f"ERR at least 1 input key is needed for '{name}' command")
    argc = len(argv)
    if setnum > argc - (numkeys_idx + 1):
        raise CommandError(SYNTAX)
    db = c.db
    srcs = []
    j = numkeys_idx + 1
    for _ in range(setnum):
        v = db.lookup(argv[j])
        # lookupKeyRead (STORE forms too) counts keyspace hits and misses.
        if v is None:
            c.server.stat_keyspace_misses += 1
            notify(c.server, NOTIFY_KEY_MISS, b"keymiss", argv[j], db.id)
        else:
            c.server.stat_keyspace_hits += 1
        if v is not None and type_name(v) not in (b"zset", b"set"):
            raise CommandError(WRONGTYPE)
        srcs.append(v)
        j += 1
    weights = [1.0] * setnum
    how = _SUM
    withscores = False
    limit = 0
    while j < argc:
        remaining = argc - j
        opt = argv[j].lower()
        if op != "diff" and not cardinality_only and remaining >= setnum + 1 and opt == b"weights":
            j += 1
            for i in range(setnum):
                w = parse_double(argv[j])
                if w is None:
                    raise CommandError("ERR weight value is not a float")
                weights[i] = w
                j += 1
        elif op != "diff" and not cardinality_only and remaining >= 2 and opt == b"aggregate":
            how_arg = argv[j + 1].lower()
            if how_arg == b"sum":
                how = _SUM
            elif how_arg == b"min":
                how = _MIN
            elif how_arg == b"max":
                how = _MAX
            else:
                raise CommandError(SYNTAX)
            j += 2
        elif dst is None and not cardinality_only and opt == b"withscores":
            withscores = True
            j += 1
        elif cardinality_only and remaining >= 2 and opt == b"limit":
            limit = string2ll(argv[j + 1])
            if limit is None or limit < 0:
                raise CommandError("ERR LIMIT can't be negative")
            j += 2
        else:
            raise CommandError(SYNTAX)

    # Redis sorts the inputs by cardinality (a stable sort) for UNION and INTER; the
    # order decides how floating-point sums are accumulated.
    sources = [(v, weights[i]) for i, v in enumerate(srcs)]
    if op != "diff":
        sources.sort(key=lambda p: len(p[0]) if p[0] is not None else 0)
    result: dict[bytes, float] = {}
    if op == "union":
        for v, w in sources:
            if not v:
                continue
            for m, s in _source_items(v):
                score = w * s
                if score != score:
                    score = 0.0
                cur = result.get(m)
                if cur is None:
                    result[m] = score
                else:
                    result[m] = _aggregate(cur, score, how)
    elif op == "inter":
        first, w0 = sources[0]
        if first:
            count = 0
            rest = sources[1:]
            for m, s in list(_source_items(first)):
                score = w0 * s
                if score != score:
                    score = 0.0
                for v, w in rest:
                    other = _source_score(v, m) if v else None
                    if other is None:
                        break
                    score = _aggregate(score, other * w, how)
                else:
                    if cardinality_only:
                        count += 1
                        if limit and count >= limit:
                            break
                    else:
                        result[m] = score
            if cardinality_only:
                return count
        elif cardinality_only:
            return 0
    else:
        first = sources[0][0]
        if first:
            rest = [v for v, _ in sources[1:] if v]
            for m, s in _source_items(first):
                for v in rest:
                    if _source_score(v, m) is not None:
                        break
                else:
                    result[m] = s
    if dst is not None:
        return _store(c, dst, result.items(), _STORE_EVENTS[op])
    pairs = sorted((s, m) for m, s in result.items())
    return _pairs_reply(c, [(m, s) for s, m in pairs], withscores)


@command("zunionstore")
def cmd_zunionstore(c, argv):
    """ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]

    Inputs may be sets (score 1). weight * score NaN (0 * inf) counts as 0, and a sum of
    inf and -inf is 0.
    """
    return _zsetop_generic(c, argv, argv[1], 2, "union")


@command("zinterstore")
def cmd_zinterstore(c, argv):
    """ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]"""
    return _zsetop_generic(c, argv, argv[1], 2, "inter")


@command("zdiffstore")
def cmd_zdiffstore(c, argv):
    """ZDIFFSTORE destination numkeys key [key ...]"""
    return _zsetop_generic(c, argv, argv[1], 2, "diff")


@command("zunion")
def cmd_zunion(c, argv):
    """ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]"""
    return _zsetop_generic(c, argv, None, 1, "union")


@command("zinter")
def cmd_zinter(c, argv):
    """ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]"""
    return _zsetop_generic(c, argv, None, 1, "inter")


@command("zdiff")
def cmd_zdiff(c, argv):
    """ZDIFF numkeys key [key ...] [WITHSCORES]"""
    return _zsetop_generic(c, argv, None, 1, "diff")


@command("zintercard")
def cmd_zintercard(c, argv):
    """ZINTERCARD numkeys key [key ...] [LIMIT limit]

    LIMIT 0 means no limit.
    """
    return _zsetop_generic(c, argv, None, 1, "inter", cardinality_only=True)


# ---------------------------------------------------------------------- pops


def zpop_generic(c, keys, use_max: bool, emitkey: bool, count: int, nested: bool, nil_when_empty: bool):
    """genericZpopCommand. count -1 means the single-pop form. Returns the reply, or
    None when no key holds a sorted set (the caller answers empty / blocks)."""
    db = c.db
    z = None
    for key in keys:
        z = get_zset(db, key)
        if z is not None:
            break
    if z is None:
        return None
    if count == 0:
        return []
    if count == -1:
        count = 1
    n = len(z)
    rangelen = count if count < n else n
    if use_max:
        popped = z.pop_ranks(n - rangelen, n)
        popped.reverse()
    else:
        popped = z.pop_ranks(0, rangelen)
    c.server.dirty += len(popped)
    notify(c.server, NOTIFY_ZSET, b"zpopmax" if use_max else b"zpopmin", key, db.id)
    if not z:
        db.delete(key)
        notify(c.server, NOTIFY_GENERIC, b"del", key, db.id)
    else:
        db.signal_modified(key)
    if nested:
        items = [[m, Double(s)] for m, s in popped]
    else:
        items = []
        for m, s in popped:
            items.append(m)
            items.append(Double(s))
    if emitkey:
        if c.server.propagating:
            # BZPOPMIN/BZPOPMAX -> ZPOPMIN/ZPOPMAX key; [B]ZMPOP -> ... key count
            name = b"ZPOPMAX" if use_max else b"ZPOPMIN"
            c.server.rewrite_propagation([name, key, b"%d" % len(popped)] if nested else [name, key])
        if nested:
            return [key, items]
        return [key] + items
    return items


def _zpopminmax(c, argv, use_max: bool):
    if len(argv) > 3:
        raise CommandError(SYNTAX)
    count = -1
    if len(argv) == 3:
        count = string2ll(argv[2])
        if count is None or count < 0:
            raise CommandError(POSITIVE)
    nested = c.proto > 2 and count != -1
    reply = zpop_generic(c, [argv[1]], use_max, False, count, nested, False)
    return [] if reply is None else reply


@command("zpopmin")
def cmd_zpopmin(c, argv):
    """ZPOPMIN key [count]"""
    return _zpopminmax(c, argv, False)


@command("zpopmax")
def cmd_zpopmax(c, argv):
    """ZPOPMAX key [count]"""
    return _zpopminmax(c, argv, True)


def parse_mpop(argv, numkeys_idx: int):
    """The ZMPOP/BZMPOP arguments after numkeys: (keys, use_max, count)."""
    numkeys = string2ll(argv[numkeys_idx])
    if numkeys is None or numkeys < 1 or numkeys > LONG_MAX:
        raise CommandError(NUMKEYS_POSITIVE)
    where_idx = numkeys_idx + numkeys + 1
    argc = len(argv)
    if where_idx >= argc:
        raise CommandError(SYNTAX)
    where = argv[where_idx].lower()
    if where == b"min":
        use_max = False
    elif where == b"max":
        use_max = True
    else:
        raise CommandError(SYNTAX)
    count = -1
    j = where_idx + 1
    while j < argc:
        opt = argv[j].lower()
        if count == -1 and opt == b"count" and j + 1 < argc:
            count = string2ll(argv[j + 1])
            if count is None or count < 1:
                raise CommandError(COUNT_POSITIVE)
            j += 2
        else:
            raise CommandError(SYNTAX)
    if count == -1:
        count = 1
    return argv[numkeys_idx + 1 : where_idx], use_max, count


@command("zmpop")
def cmd_zmpop(c, argv):
    """ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]"""
    keys, use_max, count = parse_mpop(argv, 1)
    reply = zpop_generic(c, keys, use_max, True, count, True, True)
    return NULL_ARRAY if reply is None else reply


# ---------------------------------------------------------------------- ZRANDMEMBER


@command("zrandmember")
def cmd_zrandmember(c, argv):
    """ZRANDMEMBER key [count [WITHSCORES]]

    A count at least the size answers the whole set in reverse order (checked on the
    oracle). Small unique samples of a listpack come in set order (Redis's
    lpRandomPairsUnique), others in random order. With WITHSCORES a count below -LONG_MAX/2 is out of range.
    """
    argc = len(argv)
    if argc == 2:
        z = read_zset(c, argv[1])
        if z is None:
            return NULL
        return z.member_at(random.randrange(len(z)))
    withscores = False
    if argc > 4 or (argc == 4 and argv[3].lower() != b"withscores"):
        raise CommandError(SYNTAX)
    if argc == 4:
        withscores = True
    ln = string2ll(argv[2])
    if ln is None:
        raise CommandError(NOT_INTEGER)
    if ln < -LONG_MAX:
        raise CommandError(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
        )
    if withscores and ln < -(LONG_MAX // 2):
        raise CommandError("ERR value is out of range")
    z = read_zset(c, argv[1])
    if z is None:
        return []
    if ln >= 0:
        count, uniq = ln, True
    else:
        count, uniq = -ln, False
    if count == 0:
        return []
    size = len(z)
    member_at = z.member_at
    if not uniq:
        picks = [member_at(random.randrange(size)) for _ in range(count)]
        return _members_reply(c, z, picks, withscores)
    if count >= size:
        members = z.members()
        members.reverse()
        return _members_reply(c, z, members, withscores)
    idx = random.sample(range(size), count)
    if z.encoding == b"listpack" and count * 3 <= size:
        idx.sort()
    return _members_reply(c, z, [member_at(i) for i in idx], withscores)


# ---------------------------------------------------------------------- blocking pops


def _bzpop_serve(use_max: bool, count: int, mpop: bool):
    """The serve callback for a client blocked in BZPOPMIN/BZPOPMAX/BZMPOP."""

    def serve(c, key, value):
        return zpop_generic(c, [key], use_max, True, count, mpop, mpop)

    return serve


def _blocking_zpop(c, keys, timeout, use_max: bool, count: int, mpop: bool):
    """blockingGenericZpopCommand: pop from the first non-empty key, else block."""
    reply = zpop_generic(c, keys, use_max, True, count, mpop, mpop)
    if reply is not None:
        return reply
    if deny_blocking(c):
        return NULL_ARRAY
    return block_for_keys(c, keys, timeout, ZSet, _bzpop_serve(use_max, count, mpop))


@command("bzpopmin")
def cmd_bzpopmin(c, argv):
    """BZPOPMIN key [key ...] timeout

    The timeout is parsed before the keys are looked at; the reply is [key, member,
    score], flat in both protocols.
    """
    timeout = parse_timeout(argv[-1])
    return _blocking_zpop(c, argv[1:-1], timeout, False, -1, False)


@command("bzpopmax")
def cmd_bzpopmax(c, argv):
    """BZPOPMAX key [key ...] timeout"""
    timeout = parse_timeout(argv[-1])
    return _blocking_zpop(c, argv[1:-1], timeout, True, -1, False)


@command("bzmpop")
def cmd_bzmpop(c, argv):
    """BZMPOP timeout numkeys key [key ...] MIN | MAX [COUNT count]

    numkeys, MIN/MAX and COUNT are checked before the timeout.
    """
    keys, use_max, count = parse_mpop(argv, 2)
    timeout = parse_timeout(argv[1])
    return _blocking_zpop(c, keys, timeout, use_max, count, True)


# ---------------------------------------------------------------------- ZSCAN


@command("zscan")
def cmd_zscan(c, argv):
    """ZSCAN key cursor [MATCH pattern] [COUNT count]

    A listpack sorted set is answered whole with cursor 0 (COUNT ignored), as Redis
    does. Scores are bulk strings (%.17g) in RESP3 too. The cursor is parsed first, then
    the key is looked up (a missing key answers an empty scan even with bad options).
    """
    cursor = parse_cursor(argv[2])
    z = read_zset(c, argv[1])
    if z is None:
        return [b"0", []]
    pattern, count, _ = parse_scan_options(argv, 3)
    d = z.dict
    if z.encoding is LISTPACK:
        next_cursor, members = 0, z.members()
    else:
        next_cursor, members = scan_items(c.server, cursor, count, lambda: list(d), z, d.__contains__)
    match = glob.compile(pattern) if pattern is not None else None
    out = []
    for m in members:
        if match is None or match(m):
            out.append(m)
            out.append(format_double(d[m]))
    return [b"%d" % next_cursor, out]
