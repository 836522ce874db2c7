"""Geohash arithmetic as Redis 7.0 does it (geohash.c, geohash_helper.c).

A hash is (bits, step): `step` bits of latitude interleaved with `step` bits of
longitude (latitude in the even bit positions). Scores of geo sets are 26-step hashes
over longitude -180..180 and latitude -85.05112878..85.05112878. All arithmetic is on
IEEE doubles in the same order as the C code, so results are bit-identical.
"""

from __future__ import annotations

import math

GEO_STEP_MAX = 26
GEO_LAT_MIN = -85.05112878
GEO_LAT_MAX = 85.05112878
GEO_LONG_MIN = -180.0
GEO_LONG_MAX = 180.0
D_R = math.pi / 180.0
EARTH_RADIUS_IN_METERS = 6372797.560856
MERCATOR_MAX = 20037726.37

LONG_RANGE = (GEO_LONG_MIN, GEO_LONG_MAX)
LAT_RANGE = (GEO_LAT_MIN, GEO_LAT_MAX)

_M64 = (1 << 64) - 1


def _spread32(x: int) -> int:
    x &= 0xFFFFFFFF
    x = (x | (x << 16)) & 0x0000FFFF0000FFFF
    x = (x | (x << 8)) & 0x00FF00FF00FF00FF
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0F
    x = (x | (x << 2)) & 0x3333333333333333
    x = (x | (x << 1)) & 0x5555555555555555
    return x


def _squash(x: int) -> int:
    x &= 0x5555555555555555
    x = (x | (x >> 1)) & 0x3333333333333333
    x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0F
    x = (x | (x >> 4)) & 0x00FF00FF00FF00FF
    x = (x | (x >> 8)) & 0x0000FFFF0000FFFF
    x = (x | (x >> 16)) & 0x00000000FFFFFFFF
    return x


def interleave64(lat: int, lon: int) -> int:
    return (_spread32(lat) | (_spread32(lon) << 1)) & _M64


def deinterleave64(bits: int) -> tuple[int, int]:
    """(latitude part, longitude part)."""
    return _squash(bits), _squash(bits >> 1)


def encode(long_range, lat_range, longitude: float, latitude: float, step: int):
    """geohashEncode: the bits, or None when the point cannot be encoded."""
    if step > 32 or step == 0:
        return None
    if (longitude > GEO_LONG_MAX or longitude < GEO_LONG_MIN
            or latitude > GEO_LAT_MAX or latitude < GEO_LAT_MIN):
        return None
    if (latitude < lat_range[0] or latitude > lat_range[1]
            or longitude < long_range[0] or longitude > long_range[1]):
        return None
    lat_offset = (latitude - lat_range[0]) / (lat_range[1] - lat_range[0])
    long_offset = (longitude - long_range[0]) / (long_range[1] - long_range[0])
    lat_offset *= float(1 << step)
    long_offset *= float(1 << step)
    return interleave64(int(lat_offset), int(long_offset))


def encode_wgs84(longitude: float, latitude: float, step: int = GEO_STEP_MAX):
    return encode(LONG_RANGE, LAT_RANGE, longitude, latitude, step)


def decode(bits: int, step: int, long_range=LONG_RANGE, lat_range=LAT_RANGE):
    """geohashDecode: the area ((lon_min, lon_max), (lat_min, lat_max))."""
    ilato, ilono = deinterleave64(bits)
    lat_scale = lat_range[1] - lat_range[0]
    long_scale = long_range[1] - long_range[0]
    div = float(1 << step)
    lat_min = lat_range[0] + (ilato * 1.0 / div) * lat_scale
    lat_max = lat_range[0] + ((ilato + 1) * 1.0 / div) * lat_scale
    lon_min = long_range[0] + (ilono * 1.0 / div) * long_scale
    lon_max = long_range[0] + ((ilono + 1) * 1.0 / div) * long_scale
    return (lon_min, lon_max), (lat_min, lat_max)


def score_to_bits(score: float) -> int:
    """(uint64_t)score as x86-64 converts a double."""
    if score != score:
        return 0
    if score < 9223372036854775808.0:
        if score <= -9223372036854775809.0:
            return 1 << 63
        return int(score) & _M64
    v = score - 9223372036854775808.0
    if v >= 9223372036854775808.0:
        return 0
    return (int(v) ^ (1 << 63)) & _M64


def decode_score(score: float) -> tuple[float, float]:
    """decodeGeohash: the (longitude, latitude) centre of a 52-bit score's cell."""
    (lon_min, lon_max), (lat_min, lat_max) = decode(score_to_bits(score), GEO_STEP_MAX)
    x = (lon_min + lon_max) / 2
    if x > GEO_LONG_MAX:
        x = GEO_LONG_MAX
    if x < GEO_LONG_MIN:
        x = GEO_LONG_MIN
    y = (lat_min + lat_max) / 2
    if y > GEO_LAT_MAX:
        y = GEO_LAT_MAX
    if y < GEO_LAT_MIN:
        y = GEO_LAT_MIN
    return x, y


def _cos(x: float) -> float:
    """C's cos: NaN for an infinite argument instead of Python's ValueError."""
    return math.cos(x) if math.isfinite(x) else math.nan


def _asin(x: float) -> float:
    return math.asin(x) if -1.0 <= x <= 1.0 else math.nan


def lat_distance(lat1: float, lat2: float) -> float:
    return EARTH_RADIUS_IN_METERS * abs(lat2 * D_R - lat1 * D_R)


def distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """geohashGetDistance (haversine)."""
    lon1r = lon1 * D_R
    lon2r = lon2 * D_R
    v = math.sin((lon2r - lon1r) / 2)
    if v == 0.0:
        return lat_distance(lat1, lat2)
    lat1r = lat1 * D_R
    lat2r = lat2 * D_R
    u = math.sin((lat2r - lat1r) / 2)
    a = u * u + _cos(lat1r) * _cos(lat2r) * v * v
    return 2.0 * EARTH_RADIUS_IN_METERS * _asin(math.sqrt(a))


def estimate_steps(range_meters: float, lat: float) -> int:
    if range_meters == 0:
        return 26
    step = 1
    while range_meters < MERCATOR_MAX:
        range_meters *= 2
        step += 1
    step -= 2
    if lat > 66 or lat < -66:
        step -= 1
        if lat > 80 or lat < -80:
            step -= 1
    if step < 1:
        step = 1
    if step > 26:
        step = 26
    return step


def _move_x(bits: int, step: int, d: int) -> int:
    x = bits & 0xAAAAAAAAAAAAAAAA
    y = bits & 0x5555555555555555
    zz = 0x5555555555555555 >> (64 - step * 2)
    if d > 0:
        x = x + (zz + 1)
    else:
        x = x | zz
        x = x - (zz + 1)
    x &= _M64
    x &= 0xAAAAAAAAAAAAAAAA >> (64 - step * 2)
    return x | y


def _move_y(bits: int, step: int, d: int) -> int:
    x = bits & 0xAAAAAAAAAAAAAAAA
    y = bits & 0x5555555555555555
    zz = 0xAAAAAAAAAAAAAAAA >> (64 - step * 2)
    if d > 0:
        y = y + (zz + 1)
    else:
        y = y | zz
        y = y - (zz + 1)
    y &= _M64
    y &= 0x5555555555555555 >> (64 - step * 2)
    return x | y


def neighbors(bits: int, step: int) -> dict:
    def mv(dx, dy):
        b = bits
        if dx:
            b = _move_x(b, step, dx)
        if dy:
            b = _move_y(b, step, dy)
        return b

    return {
        "north": mv(0, 1), "south": mv(0, -1), "east": mv(1, 0), "west": mv(-1, 0),
        "north_east": mv(1, 1), "north_west": mv(-1, 1),
        "south_east": mv(1, -1), "south_west": mv(-1, -1),
    }


def bounding_box(lon: float, lat: float, width_m: float, height_m: float):
    """geohashBoundingBox from half-width/half-height in meters: (min_lon, min_lat, max_lon, max_lat)."""
    lat_delta = (height_m / EARTH_RADIUS_IN_METERS) / D_R
    long_delta_top = (width_m / EARTH_RADIUS_IN_METERS / _cos((lat + lat_delta) * D_R)) / D_R
    long_delta_bottom = (width_m / EARTH_RADIUS_IN_METERS / _cos((lat - lat_delta) * D_R)) / D_R
    if lat < 0:
        return lon - long_delta_bottom, lat - lat_delta, lon + long_delta_bottom, lat + lat_delta
    return lon - long_delta_top, lat - lat_delta, lon + long_delta_top, lat + lat_delta


def search_cells(lon: float, lat: float, radius_meters: float, half_w: float, half_h: float):
    """geohashCalculateAreasByShapeWGS84: the 9 cells (bits, step), None for excluded
    ones, in membersOfAllNeighbors's order: centre, N, S, E, W, NE, NW, SE, SW.

    half_w/half_h are in meters (the radius twice for a circle); radius_meters is the
    radius, or the half-diagonal of a box.
    """
    min_lon, min_lat, max_lon, max_lat = bounding_box(lon, lat, half_w, half_h)
    steps = estimate_steps(radius_meters, lat)
    bits = encode(LONG_RANGE, LAT_RANGE, lon, lat, steps)
    nb = neighbors(bits, steps)
    north = decode(nb["north"], steps)
    south = decode(nb["south"], steps)
    east = decode(nb["east"], steps)
    west = decode(nb["west"], steps)
    decrease = (north[1][1] < max_lat or south[1][0] > min_lat
                or east[0][1] < max_lon or west[0][0] > min_lon)
    if steps > 1 and decrease:
        steps -= 1
        bits = encode(LONG_RANGE, LAT_RANGE, lon, lat, steps)
        nb = neighbors(bits, steps)
    (a_lon_min, a_lon_max), (a_lat_min, a_lat_max) = decode(bits, steps)
    cells = {"centre": bits, **nb}
    if steps >= 2:
        if a_lat_min < min_lat:
            cells["south"] = cells["south_west"] = cells["south_east"] = None
        if a_lat_max > max_lat:
            cells["north"] = cells["north_east"] = cells["north_west"] = None
        if a_lon_min < min_lon:
            cells["west"] = cells["south_west"] = cells["north_west"] = None
        if a_lon_max > max_lon:
            cells["east"] = cells["south_east"] = cells["north_east"] = None
    order = ("centre", "north", "south", "east", "west",
             "north_east", "north_west", "south_east", "south_west")
    return [(cells[k], steps) if cells[k] is not None else None for k in order]
