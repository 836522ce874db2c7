"""Geo commands (Redis's geo.c): a geo set is a sorted set whose scores are 52-bit
interleaved geohashes (`redpy.geohash`).

Searches visit the centre cell and its 8 neighbours in Redis's order and scan each cell's
score range in sorted-set order, so unsorted results come in the oracle's order.
Coordinates in replies use addReplyHumanLongDouble (RESP2: %.17Lf with trailing zeros
trimmed; RESP3: a double), distances "%.4f" bulk strings in both protocols.
"""

from __future__ import annotations

import math

from .. import geohash as gh
from ..errors import NOT_FLOAT, NOT_INTEGER, SYNTAX, CommandError
from ..notify import GENERIC as NOTIFY_GENERIC, ZSET as NOTIFY_ZSET, notify
from ..numbers import parse_double, string2ll
from ..registry import command_group
from ..replies import NULL, NULL_ARRAY, Raw
from ..blocking import signal_key_as_ready
from ..types.zset import ZSet
from .zsets import _zadd_generic, read_zset

command = command_group("geo")

UNIT_ERROR = "ERR unsupported unit provided. please use M, KM, FT, MI"
MEMBER_ERROR = "ERR could not decode requested zset member"

RADIUS_COORDS = 1
RADIUS_MEMBER = 2
RADIUS_NOSTORE = 4
GEOSEARCH = 8
GEOSEARCHSTORE = 16

SORT_NONE, SORT_ASC, SORT_DESC = 0, 1, 2


def _cstr(arg: bytes) -> bytes:
    """An argument as C's strcasecmp sees it: up to the first NUL, lowercased."""
    return arg.split(b"\0", 1)[0].lower()


def _human(c, x: float):
    """addReplyHumanLongDouble: %.17Lf with trailing zeros trimmed, a bulk string in
    RESP2 and the same text as a RESP3 double (checked against the oracle)."""
    s = b"%.17f" % x
    if b"." in s:
        s = s.rstrip(b"0").rstrip(b".")
    if s == b"-0":
        s = b"0"
    if c.proto == 3:
        return Raw(b"," + s + b"\r\n")
    return s


def _dist_reply(d: float) -> bytes:
    return b"%.4f" % d


def _get_double(arg: bytes, err: str = NOT_FLOAT) -> float:
    v = parse_double(arg)
    if v is None:
        raise CommandError(err)
    return v


def _extract_lonlat(args) -> tuple[float, float]:
    """extractLongLatOrReply."""
    x = _get_double(args[0])
    y = _get_double(args[1])
    if x < gh.GEO_LONG_MIN or x > gh.GEO_LONG_MAX or y < gh.GEO_LAT_MIN or y > gh.GEO_LAT_MAX:
        raise CommandError("ERR invalid longitude,latitude pair %f,%f" % (x, y))
    return x, y


def _extract_unit(arg: bytes) -> float:
    u = _cstr(arg)
    if u == b"m":
        return 1.0
    if u == b"km":
        return 1000.0
    if u == b"ft":
        return 0.3048
    if u == b"mi":
        return 1609.34
    raise CommandError(UNIT_ERROR)


def _extract_distance(args) -> tuple[float, float]:
    """extractDistanceOrReply: (radius, conversion)."""
    d = _get_double(args[0], "ERR need numeric radius")
    if d < 0:
        raise CommandError("ERR radius cannot be negative")
    return d, _extract_unit(args[1])


def _extract_box(args) -> tuple[float, float, float]:
    """extractBoxOrReply: (width, height, conversion)."""
    w = _get_double(args[0], "ERR need numeric width")
    h = _get_double(args[1], "ERR need numeric height")
    if h < 0 or w < 0:
        raise CommandError("ERR height or width cannot be negative")
    return w, h, _extract_unit(args[2])


def _member_lonlat(z: ZSet, member: bytes):
    score = z.score(member)
    if score is None:
        raise CommandError(MEMBER_ERROR)
    return gh.decode_score(score)


# ---------------------------------------------------------------------- GEOADD


@command("geoadd")
def cmd_geoadd(c, argv):
    """GEOADD key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]

    Rewritten as ZADD key [options] score member ... (GT/LT are not GEOADD options and
    are read as a longitude). Coordinates are all checked before anything is added.
    """
    argc = len(argv)
    longidx = 2
    xx = nx = False
    while longidx < argc:
        opt = _cstr(argv[longidx])
        if opt == b"nx":
            nx = True
        elif opt == b"xx":
            xx = True
        elif opt == b"ch":
            pass
        else:
            break
        longidx += 1
    if (argc - longidx) % 3 or (xx and nx):
        raise CommandError(SYNTAX)
    zargv = [b"zadd", *argv[1:longidx]]
    for i in range(longidx, argc, 3):
        x, y = _extract_lonlat(argv[i:i + 2])
        bits = gh.encode_wgs84(x, y)
        zargv.append(b"%d" % bits)
        zargv.append(argv[i + 2])
    return _zadd_generic(c, zargv, False)


# ---------------------------------------------------------------------- GEOPOS / GEOHASH / GEODIST

_GEOALPHABET = b"0123456789bcdefghjkmnpqrstuvwxyz"


@command("geohash")
def cmd_geohash(c, argv):
    """GEOHASH key [member [member ...]]"""
    z = read_zset(c, argv[1])
    out = []
    for member in argv[2:]:
        score = z.score(member) if z is not None else None
        if score is None:
            out.append(NULL)
            continue
        x, y = gh.decode_score(score)
        bits = gh.encode((-180.0, 180.0), (-90.0, 90.0), x, y, 26)
        if bits is None:
            bits = 0
        buf = bytearray()
        for i in range(11):
            idx = 0 if i == 10 else (bits >> (52 - (i + 1) * 5)) & 0x1F
            buf.append(_GEOALPHABET[idx])
        out.append(bytes(buf))
    return out


@command("geopos")
def cmd_geopos(c, argv):
    """GEOPOS key [member [member ...]]"""
    z = read_zset(c, argv[1])
    out = []
    for member in argv[2:]:
        score = z.score(member) if z is not None else None
        if score is None:
            out.append(NULL_ARRAY)
            continue
        x, y = gh.decode_score(score)
        out.append([_human(c, x), _human(c, y)])
    return out


@command("geodist")
def cmd_geodist(c, argv):
    """GEODIST key member1 member2 [M | KM | FT | MI]

    The unit is checked before the key.
    """
    to_meter = 1.0
    if len(argv) == 5:
        to_meter = _extract_unit(argv[4])
    elif len(argv) > 5:
        raise CommandError(SYNTAX)
    z = read_zset(c, argv[1])
    if z is None:
        return NULL
    s1 = z.score(argv[2])
    s2 = z.score(argv[3])
    if s1 is None or s2 is None:
        return NULL
    x1, y1 = gh.decode_score(s1)
    x2, y2 = gh.decode_score(s2)
    return _dist_reply(gh.distance(x1, y1, x2, y2) / to_meter)


# ---------------------------------------------------------------------- searches


def _points_in_cells(z: ZSet, cells, within, limit: int) -> list:
    """membersOfAllNeighbors: [dist, score, member, x, y] of matching members."""
    found = []
    last = 0
    for i, cell in enumerate(cells):
        if cell is None:
            continue
        if last and cell == cells[last]:
            continue
        if found and limit and len(found) >= limit:
            break
        bits, step = cell
        shift = 52 - step * 2
        lo = float(bits << shift)
        hi = float(((bits + 1) & ((1 << 64) - 1)) << shift)
        start, stop = z.score_range(lo, False, hi, True)
        for member, score in z.items(start, stop):  # lazily: ANY may stop early
            res = within(score)
            if res is not None:
                found.append([res[0], score, member, res[1], res[2]])
            if found and limit and len(found) >= limit:
                break
        last = i
    return found


def _pqsort(a: list, lo: int, n: int, desc: bool, lrange: int, rrange: int) -> None:
    """Redis's pqsort (Bentley-McIlroy quicksort that only recurses into partitions
    overlapping [lrange, rrange]), on a[lo:lo+n] by distance. Reproduced because with
    COUNT it decides the order of equal distances."""

    def cmp(i, j):
        x, y = a[i][0], a[j][0]
        if desc:
            x, y = y, x
        return 1 if x > y else (0 if x == y else -1)

    def med3(i, j, k):
        if cmp(i, j) < 0:
            return j if cmp(j, k) < 0 else (k if cmp(i, k) < 0 else i)
        return j if cmp(j, k) > 0 else (i if cmp(i, k) < 0 else k)

    def swap(i, j):
        a[i], a[j] = a[j], a[i]

    def vecswap(i, j, k):
        for t in range(k):
            swap(i + t, j + t)

    while True:
        if n < 7:
            for pm in range(lo + 1, lo + n):
                pl = pm
                while pl > lo and cmp(pl - 1, pl) > 0:
                    swap(pl, pl - 1)
                    pl -= 1
            return
        pm = lo + n // 2
        if n > 7:
            pl = lo
            pn = lo + n - 1
            if n > 40:
                d = n // 8
                pl = med3(pl, pl + d, pl + 2 * d)
                pm = med3(pm - d, pm, pm + d)
                pn = med3(pn - 2 * d, pn - d, pn)
            pm = med3(pl, pm, pn)
        swap(lo, pm)
        pa = pb = lo + 1
        pc = pd = lo + n - 1
        while True:
            while pb <= pc:
                r = cmp(pb, lo)
                if r > 0:
                    break
                if r == 0:
                    swap(pa, pb)
                    pa += 1
                pb += 1
            while pb <= pc:
                r = cmp(pc, lo)
                if r < 0:
                    break
                if r == 0:
                    swap(pc, pd)
                    pd -= 1
                pc -= 1
            if pb > pc:
                break
            swap(pb, pc)
            pb += 1
            pc -= 1
        pn = lo + n
        r = min(pa - lo, pb - pa)
        vecswap(lo, pb - r, r)
        r = min(pd - pc, pn - pd - 1)
        vecswap(pb, pn - r, r)
        r = pb - pa
        if r > 1 and not ((lrange < lo and rrange < lo) or (lrange >= lo + r and rrange >= lo + r)):
            _pqsort(a, lo, r, desc, lrange, rrange)
        r = pd - pc
        if r <= 1:
            return
        lo = pn - r
        n = r
        if (lrange < lo and rrange < lo) or (lrange >= lo + n and rrange >= lo + n):
            return


def _georadius_generic(c, argv, src_idx: int, flags: int):
    storekey = None
    storedist = False
    z = read_zset(c, argv[src_idx])
    argc = len(argv)
    xy = None
    shape = None  # ("circle", radius, conv) or ("box", w, h, conv)
    if flags & RADIUS_COORDS:
        base = 6
        xy = _extract_lonlat(argv[2:4])
        r, conv = _extract_distance(argv[4:6])
        shape = ("circle", r, conv)
    elif flags & RADIUS_MEMBER and z is None:
        base = 5
    elif flags & RADIUS_MEMBER:
        base = 5
        xy = _member_lonlat(z, argv[2])
        r, conv = _extract_distance(argv[3:5])
        shape = ("circle", r, conv)
    else:
        base = 2
        if flags & GEOSEARCHSTORE:
            base = 3
            storekey = argv[1]
    withdist = withhash = withcoords = False
    frommember = fromloc = byradius = bybox = False
    sort = SORT_NONE
    any_ = False
    count = 0
    remaining = argc - base
    i = 0
    while i < remaining:
        arg = _cstr(argv[base + i])
        if arg == b"withdist":
            withdist = True
        elif arg == b"withhash":
            withhash = True
        elif arg == b"withcoord":
            withcoords = True
        elif arg == b"any":
            any_ = True
        elif arg == b"asc":
            sort = SORT_ASC
        elif arg == b"desc":
            sort = SORT_DESC
        elif arg == b"count" and i + 1 < remaining:
            count = string2ll(argv[base + i + 1])
            if count is None:
                raise CommandError(NOT_INTEGER)
            if count <= 0:
                raise CommandError("ERR COUNT must be > 0")
            i += 1
        elif (arg == b"store" or arg == b"storedist") and i + 1 < remaining and not (
            flags & (RADIUS_NOSTORE | GEOSEARCH)
        ):
            storekey = argv[base + i + 1]
            storedist = arg == b"storedist"
            i += 1
        elif arg == b"storedist" and flags & GEOSEARCH and flags & GEOSEARCHSTORE:
            storedist = True
        elif arg == b"frommember" and i + 1 < remaining and flags & GEOSEARCH and not fromloc:
            if z is not None:
                xy = _member_lonlat(z, argv[base + i + 1])
            frommember = True
            i += 1
        elif arg == b"fromlonlat" and i + 2 < remaining and flags & GEOSEARCH and not frommember:
            xy = _extract_lonlat(argv[base + i + 1:base + i + 3])
            fromloc = True
            i += 2
        elif arg == b"byradius" and i + 2 < remaining and flags & GEOSEARCH and not bybox:
            r, conv = _extract_distance(argv[base + i + 1:base + i + 3])
            shape = ("circle", r, conv)
            byradius = True
            i += 2
        elif arg == b"bybox" and i + 3 < remaining and flags & GEOSEARCH and not byradius:
            w, h, conv = _extract_box(argv[base + i + 1:base + i + 4])
            shape = ("box", w, h, conv)
            bybox = True
            i += 3
        else:
            raise CommandError(SYNTAX)
        i += 1
    if storekey is not None and (withdist or withhash or withcoords):
        raise CommandError(
            "ERR %s is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
            % ("GEOSEARCHSTORE" if flags & GEOSEARCHSTORE else "STORE option in GEORADIUS")
        )
    name = argv[0].split(b"\0", 1)[0].decode("utf-8", "replace")
    if flags & GEOSEARCH and not (frommember or fromloc):
        raise CommandError("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %s" % name)
    if flags & GEOSEARCH and not (byradius or bybox):
        raise CommandError("ERR exactly one of BYRADIUS and BYBOX can be specified for %s" % name)
    if any_ and not count:
        raise CommandError("ERR the ANY argument requires COUNT argument")
    db = c.db
    if z is None:
        if storekey is not None:
            if db.delete(storekey):
                notify(c.server, NOTIFY_GENERIC, b"del", storekey, db.id)
                c.server.dirty += 1
            return 0
        return []
    if count and sort == SORT_NONE and not any_:
        sort = SORT_ASC

    cx, cy = xy
    if shape[0] == "circle":
        _, radius, conv = shape
        radius_m = radius * conv
        cells = gh.search_cells(cx, cy, radius * conv, conv * radius, conv * radius)

        def within(score):
            x, y = gh.decode_score(score)
            d = gh.distance(cx, cy, x, y)
            if d > radius_m:
                return None
            return d, x, y
    else:
        _, width, height, conv = shape
        diag = math.sqrt((width / 2) * (width / 2) + (height / 2) * (height / 2))
        cells = gh.search_cells(cx, cy, diag * conv, conv * (width / 2), conv * (height / 2))
        width_m = width * conv
        height_m = height * conv

        def within(score):
            x, y = gh.decode_score(score)
            if gh.lat_distance(y, cy) > height_m / 2:
                return None
            if gh.distance(x, y, cx, y) > width_m / 2:
                return None
            return gh.distance(cx, cy, x, y), x, y

    found = _points_in_cells(z, cells, within, count if any_ else 0)
    if not found and storekey is None:
        return []
    returned = len(found) if (count == 0 or len(found) < count) else count
    if sort != SORT_NONE:
        desc = sort == SORT_DESC
        if returned == len(found):
            # glibc's qsort is a stable merge sort here
            found.sort(key=lambda p: p[0], reverse=desc)
        else:
            _pqsort(found, 0, len(found), desc, 0, returned - 1)
        found = found[:returned]
    if storekey is None:
        out = []
        opts = withdist or withhash or withcoords
        for dist, score, member, x, y in found:
            if not opts:
                out.append(member)
                continue
            item = [member]
            if withdist:
                item.append(_dist_reply(dist / conv))
            if withhash:
                item.append(int(score) if score - score == 0 else -(1 << 63))
            if withcoords:
                item.append([_human(c, x), _human(c, y)])
            out.append(item)
        return out
    if found:
        pairs = [(member, (dist / conv) if storedist else score) for dist, score, member, _x, _y in found]
        zs = ZSet.for_result(pairs, c.server.config)
        existed = db.lookup(storekey) is not None
        db.set(storekey, zs)
        if not existed:
            signal_key_as_ready(db, storekey)
        notify(c.server, NOTIFY_ZSET, b"geosearchstore" if flags & GEOSEARCH else b"georadiusstore",
               storekey, db.id)
        c.server.dirty += len(found)
    elif db.delete(storekey):
        notify(c.server, NOTIFY_GENERIC, b"del", storekey, db.id)
        c.server.dirty += 1
    return len(found)


@command("georadius")
def cmd_georadius(c, argv):
    """GEORADIUS key longitude latitude radius M | KM | FT | MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]"""
    return _georadius_generic(c, argv, 1, RADIUS_COORDS)


@command("georadius_ro")
def cmd_georadius_ro(c, argv):
    """GEORADIUS_RO key longitude latitude radius M | KM | FT | MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]"""
    return _georadius_generic(c, argv, 1, RADIUS_COORDS | RADIUS_NOSTORE)


@command("georadiusbymember")
def cmd_georadiusbymember(c, argv):
    """GEORADIUSBYMEMBER key member radius M | KM | FT | MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]

    On a missing key the radius and unit are not checked.
    """
    return _georadius_generic(c, argv, 1, RADIUS_MEMBER)


@command("georadiusbymember_ro")
def cmd_georadiusbymember_ro(c, argv):
    """GEORADIUSBYMEMBER_RO key member radius M | KM | FT | MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]"""
    return _georadius_generic(c, argv, 1, RADIUS_MEMBER | RADIUS_NOSTORE)


@command("geosearch")
def cmd_geosearch(c, argv):
    """GEOSEARCH key FROMMEMBER member | FROMLONLAT longitude latitude BYRADIUS radius M | KM | FT | MI | BYBOX width height M | KM | FT | MI [ASC | DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]"""
    return _georadius_generic(c, argv, 1, GEOSEARCH)


@command("geosearchstore")
def cmd_geosearchstore(c, argv):
    """GEOSEARCHSTORE destination source FROMMEMBER member | FROMLONLAT longitude latitude BYRADIUS radius M | KM | FT | MI | BYBOX width height M | KM | FT | MI [ASC | DESC] [COUNT count [ANY]] [STOREDIST]"""
    return _georadius_generic(c, argv, 2, GEOSEARCH | GEOSEARCHSTORE)
