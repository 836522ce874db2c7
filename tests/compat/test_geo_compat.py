"""Differential tests of the geo commands against the oracle."""

from __future__ import annotations

import random

import pytest

UNITS = ("m", "km", "mi", "ft")


def _load(both, key, points, batch=30):
    for i in range(0, len(points), batch):
        args = []
        for lon, lat, name in points[i:i + batch]:
            args += [repr(lon), repr(lat), name]
        both.check("GEOADD", key, *args)


def _random_points(rnd, n, lon_c=0.0, lat_c=0.0, spread=None):
    pts = []
    for i in range(n):
        if spread is None:
            lon = rnd.uniform(-180, 180)
            lat = rnd.uniform(-85.05112878, 85.05112878)
        else:
            lon = max(-180.0, min(180.0, lon_c + rnd.uniform(-spread, spread)))
            lat = max(-85.05, min(85.05, lat_c + rnd.uniform(-spread, spread)))
        pts.append((lon, lat, "p%d" % i))
    return pts


def test_geoadd_scores_and_positions(both):
    rnd = random.Random(10)
    pts = _random_points(rnd, 200)
    pts += [(180, 85.05112878, "corner1"), (-180, -85.05112878, "corner2"), (0, 0, "zero"),
            (13.361389, 38.115556, "Palermo"), (15.087269, 37.502669, "Catania")]
    _load(both, "g", pts)
    both.check("ZRANGE", "g", "0", "-1", "WITHSCORES")
    both.check("OBJECT", "ENCODING", "g")
    names = [p[2] for p in pts]
    both.check("GEOPOS", "g", *names, "missing")
    both.check("GEOHASH", "g", *names, "missing")
    for _ in range(60):
        a, b = rnd.choice(names), rnd.choice(names)
        both.check("GEODIST", "g", a, b, rnd.choice(UNITS + ("KM", "Mi")))
    both.check("GEODIST", "g", "Palermo", "Catania")
    both.check("GEODIST", "g", "Palermo", "nope")
    both.check("GEODIST", "nokey", "a", "b")
    both.check("GEOPOS", "nokey", "a", "b")
    both.check("GEOHASH", "nokey", "a")
    both.check("GEOPOS", "g")


def test_geoadd_options_and_encoding(both):
    both.check("GEOADD", "s", "10", "20", "a", "11", "21", "b")
    both.check("GEOADD", "s", "NX", "12", "22", "a", "13", "23", "c")
    both.check("GEOADD", "s", "XX", "CH", "14", "24", "a", "15", "25", "d")
    both.check("GEOADD", "s", "CH", "14", "24", "a", "16", "26", "b")
    both.check("GEOADD", "s", "XX", "NX", "1", "1", "x")
    both.check("GEOADD", "s", "GT", "1", "1", "x")
    both.check("GEOADD", "s", "ch", "ch", "ch")
    both.check("GEOADD", "s", "1", "2", "x", "3")
    both.check("GEOADD", "s", "200", "10", "x")
    both.check("GEOADD", "s", "10", "-86", "x")
    both.check("GEOADD", "s", "abc", "10", "x")
    both.check("GEOADD", "s", "10", "nan", "x")
    both.check("GEOADD", "s", "10", "10", "ok", "10", "100", "bad")
    both.check("ZRANGE", "s", "0", "-1", "WITHSCORES")
    both.check("GEOADD", "new", "XX", "10", "10", "x")
    both.check("EXISTS", "new")
    both.check("GEOADD", "long", "10", "10", "m" * 100)
    both.check("OBJECT", "ENCODING", "long")
    both.check("SET", "str", "x")
    both.check("GEOADD", "str", "10", "10", "x")
    both.check("GEOPOS", "str", "x")
    both.check("GEOHASH", "str", "x")
    both.check("GEODIST", "str", "a", "b")
    both.check("GEORADIUS", "str", "0", "0", "10", "km")
    both.check("GEOSEARCH", "str", "FROMLONLAT", "0", "0", "BYRADIUS", "10", "km")


def test_geodist_errors(both):
    both.check("GEOADD", "g", "1", "1", "a", "1", "2", "b", "1.0000001", "50", "c")
    both.check("GEODIST", "g", "a", "b", "parsec")
    both.check("GEODIST", "g", "a", "b", "km", "extra")
    both.check("GEODIST", "nokey", "a", "b", "parsec")
    both.check("GEODIST", "g", "a", "c")
    both.check("GEODIST", "g", "a", "a")


def test_non_geo_scores(both):
    both.check("ZADD", "z", "-5", "neg", "1.5", "frac", "inf", "inf", "4503599627370496", "big", "0", "z0")
    both.check("GEOPOS", "z", "neg", "frac", "inf", "big", "z0")
    both.check("GEOHASH", "z", "neg", "frac", "inf", "big", "z0")
    both.check("GEODIST", "z", "neg", "big")


def _search_variants(rnd):
    opts = []
    for _ in range(40):
        o = []
        for flag in ("WITHDIST", "WITHHASH", "WITHCOORD"):
            if rnd.random() < 0.4:
                o.append(flag)
        r = rnd.random()
        if r < 0.3:
            o.append("ASC")
        elif r < 0.6:
            o.append("DESC")
        r = rnd.random()
        if r < 0.3:
            o += ["COUNT", str(rnd.randint(1, 20))]
        elif r < 0.45:
            o += ["COUNT", str(rnd.randint(1, 20)), "ANY"]
        if "COUNT" not in o:
            rnd.shuffle(o)
        opts.append(o)
    return opts


@pytest.mark.parametrize("seed,spread", [(1, None), (2, 5.0), (3, 0.5), (4, 40.0)])
def test_georadius_random(both, seed, spread):
    rnd = random.Random(seed)
    lon_c, lat_c = rnd.uniform(-170, 170), rnd.uniform(-80, 80)
    pts = _random_points(rnd, 300, lon_c, lat_c, spread)
    _load(both, "g", pts)
    names = [p[2] for p in pts]
    variants = _search_variants(rnd)
    for opts in variants:
        unit = rnd.choice(UNITS)
        scale = {"m": 1, "km": 1000, "mi": 1609.34, "ft": 0.3048}[unit]
        radius = rnd.choice([1e3, 5e4, 2e5, 1e6, 5e6]) / scale
        if spread is not None:
            lon = max(-180, min(180, lon_c + rnd.uniform(-spread, spread)))
            lat = max(-85, min(85, lat_c + rnd.uniform(-spread, spread)))
        else:
            lon, lat = rnd.uniform(-180, 180), rnd.uniform(-85, 85)
        both.check("GEORADIUS", "g", repr(lon), repr(lat), repr(radius), unit, *opts)
        both.check("GEORADIUS_RO", "g", repr(lon), repr(lat), repr(radius), unit, *opts)
        member = rnd.choice(names)
        both.check("GEORADIUSBYMEMBER", "g", member, repr(radius), unit, *opts)
        both.check("GEORADIUSBYMEMBER_RO", "g", member, repr(radius), unit, *opts)
        both.check("GEOSEARCH", "g", "FROMLONLAT", repr(lon), repr(lat), "BYRADIUS", repr(radius), unit, *opts)
        w, h = radius * rnd.uniform(0.5, 3), radius * rnd.uniform(0.5, 3)
        both.check("GEOSEARCH", "g", "FROMMEMBER", member, "BYBOX", repr(w), repr(h), unit, *opts)
        both.check("GEOSEARCH", "g", "FROMLONLAT", repr(lon), repr(lat), "BYBOX", repr(w), repr(h), unit, *opts)


def test_store_and_storedist(both):
    rnd = random.Random(7)
    pts = _random_points(rnd, 150, 10, 45, 3.0)
    _load(both, "g", pts)
    for cmd in (
        ("GEORADIUS", "g", "10", "45", "200", "km", "STORE", "d1"),
        ("GEORADIUS", "g", "10", "45", "200", "km", "STOREDIST", "d2"),
        ("GEORADIUS", "g", "10", "45", "100", "mi", "COUNT", "5", "DESC", "STOREDIST", "d3"),
        ("GEORADIUSBYMEMBER", "g", "p3", "150", "km", "STORE", "d4", "COUNT", "10"),
        ("GEOSEARCHSTORE", "d5", "g", "FROMLONLAT", "10", "45", "BYBOX", "300", "200", "km"),
        ("GEOSEARCHSTORE", "d6", "g", "FROMMEMBER", "p1", "BYRADIUS", "100", "km", "STOREDIST"),
        ("GEOSEARCHSTORE", "d7", "g", "FROMMEMBER", "p1", "BYRADIUS", "100", "km", "COUNT", "3", "ANY", "STOREDIST"),
    ):
        both.check(*cmd)
    for k in ("d1", "d2", "d3", "d4", "d5", "d6", "d7"):
        both.check("ZRANGE", k, "0", "-1", "WITHSCORES")
        both.check("OBJECT", "ENCODING", k)
    # empty result deletes the destination
    both.check("GEORADIUS", "g", "-100", "-45", "1", "km", "STORE", "d1")
    both.check("EXISTS", "d1")
    both.check("GEOSEARCHSTORE", "d2", "g", "FROMLONLAT", "-100", "-45", "BYRADIUS", "1", "km")
    both.check("EXISTS", "d2")
    both.check("GEOSEARCHSTORE", "d3", "nokey", "FROMLONLAT", "-100", "-45", "BYRADIUS", "1", "km")
    both.check("EXISTS", "d3")
    both.check("GEORADIUSBYMEMBER", "nokey", "x", "1", "km", "STORE", "d4")
    both.check("EXISTS", "d4")
    both.check("GEORADIUSBYMEMBER", "nokey", "x", "bad", "bad")
    both.check("GEORADIUSBYMEMBER", "nokey", "x", "1", "km", "WITHDIST")


def test_search_errors(both):
    both.check("GEOADD", "g", "10", "10", "a", "10.1", "10.1", "b")
    cases = [
        ("GEORADIUS", "g", "10", "10", "abc", "km"),
        ("GEORADIUS", "g", "10", "10", "-1", "km"),
        ("GEORADIUS", "g", "10", "10", "1", "parsec"),
        ("GEORADIUS", "g", "200", "10", "1", "km"),
        ("GEORADIUS", "g", "10", "10", "100", "km", "COUNT", "0"),
        ("GEORADIUS", "g", "10", "10", "100", "km", "COUNT", "-3"),
        ("GEORADIUS", "g", "10", "10", "100", "km", "COUNT", "x"),
        ("GEORADIUS", "g", "10", "10", "100", "km", "COUNT"),
        ("GEORADIUS", "g", "10", "10", "100", "km", "ANY"),
        ("GEORADIUS", "g", "10", "10", "100", "km", "STORE", "x", "WITHDIST"),
        ("GEORADIUS", "g", "10", "10", "100", "km", "STORE"),
        ("GEORADIUS", "g", "10", "10", "100", "km", "FOO"),
        ("GEORADIUS_RO", "g", "10", "10", "100", "km", "STORE", "x"),
        ("GEORADIUSBYMEMBER", "g", "nope", "100", "km"),
        ("GEORADIUSBYMEMBER", "g", "a", "100", "km", "STOREDIST", "x", "WITHCOORD"),
        ("GEOSEARCH", "g", "BYRADIUS", "10", "km"),
        ("GEOSEARCH", "g", "FROMLONLAT", "10", "10"),
        ("GEOSEARCH", "g", "FROMLONLAT", "10", "10", "FROMMEMBER", "a", "BYRADIUS", "10", "km"),
        ("GEOSEARCH", "g", "FROMMEMBER", "a", "FROMLONLAT", "10", "10", "BYRADIUS", "10", "km"),
        ("GEOSEARCH", "g", "FROMMEMBER", "a", "BYRADIUS", "10", "km", "BYBOX", "1", "1", "km"),
        ("GEOSEARCH", "g", "FROMMEMBER", "a", "BYBOX", "-1", "1", "km"),
        ("GEOSEARCH", "g", "FROMMEMBER", "a", "BYBOX", "x", "1", "km"),
        ("GEOSEARCH", "g", "FROMMEMBER", "a", "BYBOX", "1", "x", "km"),
        ("GEOSEARCH", "g", "FROMMEMBER", "a", "BYBOX", "1", "1", "xx"),
        ("GEOSEARCH", "g", "FROMMEMBER", "nope", "BYBOX", "1", "1", "km"),
        ("GEOSEARCH", "g", "FROMMEMBER", "a", "BYRADIUS", "x", "km"),
        ("GEOSEARCH", "g", "FROMMEMBER", "a", "BYRADIUS", "10", "km", "STORE", "x"),
        ("GEOSEARCH", "g", "FROMMEMBER", "a", "BYRADIUS", "10", "km", "STOREDIST"),
        ("GEOSEARCH", "nokey", "FROMMEMBER", "a", "BYRADIUS", "10", "km"),
        ("GEOSEARCH", "nokey", "FROMMEMBER", "a", "BYRADIUS", "10", "km", "COUNT", "1", "ANY"),
        ("GEOSEARCH", "nokey", "FROMMEMBER", "a", "BYRADIUS", "10", "km", "ANY"),
        ("geosearch", "g", "FROMMEMBER", "a", "WITHDIST"),
        ("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "a", "BYRADIUS", "10", "km", "WITHDIST"),
        ("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "a", "BYRADIUS", "10", "km", "STORE", "x"),
        ("GeoSearchStore", "d", "g", "BYRADIUS", "10", "km", "COUNT", "2"),
        ("GEOSEARCH", "g", "FROMMEMBER", "a", "BYRADIUS", "100", "km", "WITHDIST", "WITHHASH", "WITHCOORD", "ASC"),
        ("GEOSEARCH", "g", "FROMMEMBER", "a", "BYBOX", "0", "0", "km", "WITHDIST"),
        ("GEORADIUS", "g", "10", "10", "0", "km", "WITHDIST"),
    ]
    for cmd in cases:
        both.check(*cmd)


def test_duplicate_and_edge_positions(both):
    # members sharing a position: equal distances keep the zset order (stable sort)
    both.check("GEOADD", "g", "5", "5", "b", "5", "5", "a", "5", "5", "c", "5.001", "5", "d")
    both.check("GEORADIUS", "g", "5", "5", "10", "km", "WITHDIST")
    both.check("GEORADIUS", "g", "5", "5", "10", "km", "WITHDIST", "ASC")
    both.check("GEORADIUS", "g", "5", "5", "10", "km", "WITHDIST", "DESC")
    # COUNT below the result size: Redis's partial quicksort decides the order of ties
    args = []
    for i in range(120):
        args += ["5.0%d" % (i % 3), "5", "t%d" % i]
    both.check("GEOADD", "g", *args)
    for n in ("1", "7", "8", "41", "60", "119"):
        both.check("GEORADIUS", "g", "5", "5", "10", "km", "COUNT", n)
        both.check("GEORADIUS", "g", "5", "5", "10", "km", "COUNT", n, "DESC", "WITHDIST")
    both.check("GEOADD", "poles", "0", "85", "n", "179.9", "84", "n2", "-179.9", "84.5", "n3",
               "0", "-85", "s", "180", "0", "e", "-180", "0", "w")
    for lon, lat in (("0", "85"), ("180", "0"), ("-180", "0"), ("0", "-85")):
        for radius in ("100", "1000", "5000", "20000"):
            both.check("GEORADIUS", "poles", lon, lat, radius, "km", "WITHDIST", "ASC")
            both.check("GEOSEARCH", "poles", "FROMLONLAT", lon, lat, "BYBOX", radius, radius, "km", "WITHCOORD")


def test_resp3(both3):
    both3.check("GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania")
    both3.check("GEOPOS", "g", "Palermo", "nope")
    both3.check("GEODIST", "g", "Palermo", "Catania", "km")
    both3.check("GEOHASH", "g", "Palermo", "nope")
    both3.check("GEORADIUS", "g", "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "WITHHASH", "ASC")
    both3.check("GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "WITHCOORD")
    both3.check("GEORADIUS", "g", "15", "37", "1", "km")


def test_extreme_radius_and_boxes(both):
    both.check("GEOADD", "g", "0", "0", "a", "1", "1", "b", "179", "80", "c", "-179", "-80", "d", "180", "0", "e")
    for cmd in (
        ("GEORADIUS", "g", "0", "0", "inf", "km", "WITHDIST"),
        ("GEORADIUS", "g", "0", "0", "1e308", "mi", "WITHDIST"),
        ("GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYBOX", "inf", "1", "km", "WITHDIST"),
        ("GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYBOX", "1e308", "1e308", "km", "WITHDIST"),
        ("GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYBOX", "40000", "40000", "km", "WITHDIST"),
        ("GEORADIUS", "g", "-180", "0", "100000", "km", "WITHDIST", "ASC"),
        ("GEORADIUS", "g", "0", "0", "-0", "km", "WITHDIST"),
        ("GEOSEARCH", "g", "FROMMEMBER", "a", "FROMMEMBER", "b", "BYRADIUS", "200", "km", "WITHDIST"),
        ("GEOSEARCH", "g", "BYRADIUS", "1", "km", "BYRADIUS", "2", "km", "FROMLONLAT", "0", "0"),
        ("GEORADIUS", "g", "0", "0", "1", "km", "COUNT", "99999999999999999999"),
        ("GEORADIUS", "g", "0", "0", "1", "km", "STORE", "x", "STOREDIST", "y"),
        ("ZRANGE", "y", "0", "-1", "WITHSCORES"),
        ("EXISTS", "x"),
        ("GEODIST", "g", "a", "e", "mi"),
        ("GEOHASH", "g", "a", "b", "c", "d", "e"),
    ):
        both.check(*cmd)


def test_notifications_and_stats(both, oracle, redpy_server):
    subs = (oracle.conn(), redpy_server.conn())
    try:
        for conn in subs:
            conn.call("PSUBSCRIBE", "__key*@*__:*")
        both.check("CONFIG", "SET", "notify-keyspace-events", "KEA")
        both.check("CONFIG", "RESETSTAT")
        both.check("GEOADD", "g", "10", "10", "a", "10.1", "10.1", "b")
        both.check("GEOADD", "g", "XX", "10", "10", "a")
        both.check("GEORADIUS", "g", "10", "10", "100", "km", "STORE", "d1")
        both.check("GEORADIUS", "g", "10", "10", "100", "km", "STOREDIST", "d1")
        both.check("GEOSEARCHSTORE", "d2", "g", "FROMLONLAT", "10", "10", "BYRADIUS", "100", "km")
        both.check("GEOSEARCHSTORE", "d2", "g", "FROMLONLAT", "50", "10", "BYRADIUS", "1", "km")
        both.check("GEORADIUS", "nokey", "10", "10", "100", "km", "STORE", "d1")
        both.check("GEOPOS", "nokey", "a")
        both.check("GEOSEARCH", "g", "FROMMEMBER", "a", "BYRADIUS", "1", "km")
        both.check("CONFIG", "SET", "notify-keyspace-events", "")
        want = subs[0].read_available(0.3)
        got = subs[1].read_available(0.3)
        assert got == want
        o, m = both.call("INFO", "stats")
        pick = lambda raw: [l for l in raw.split(b"\r\n") if l.startswith(b"keyspace_")]  # noqa: E731
        assert pick(o) == pick(m)
    finally:
        for conn in subs:
            conn.close()
        both.call("CONFIG", "SET", "notify-keyspace-events", "")
