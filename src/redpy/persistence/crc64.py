"""CRC-64/Jones as Redis computes it (crc64.c): reflected polynomial 0xad93d23594c935a9,
initial value 0, no final xor. crc64(0, b"123456789") == 0xe9c6d914c4b8d9ca.

Pure Python, slicing-by-8: eight 256-entry tables let the loop consume eight bytes per
iteration, several times faster than the byte-at-a-time loop (about 15 MB/s).

Large inputs (a whole RDB file) go through numpy when it is importable: the CRC is
linear, so the data is cut into K lanes whose CRCs advance together one byte per
vectorised step, then the lanes are joined with crc(A+B) = Z_len(B)(crc(A)) ^ crc(B),
where Z_n ("append n zero bytes") is a 64x64 GF(2) matrix applied through byte tables.
"""

from __future__ import annotations

_POLY = 0x95AC9329AC4BC9B5  # 0xad93d23594c935a9 bit-reversed


def _make_tables():
    t0 = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        t0.append(c)
    tables = [t0]
    for _ in range(7):
        prev = tables[-1]
        tables.append([(v >> 8) ^ t0[v & 0xFF] for v in prev])
    return tables


_T = _make_tables()


def crc64(crc: int, data) -> int:
    """Continue crc over data (bytes-like)."""
    if len(data) >= _LANES_MIN and numpy() is not None:
        return _crc64_lanes(crc, data)
    return _crc64_py(crc, data)


def _crc64_py(crc: int, data) -> int:
    t0, t1, t2, t3, t4, t5, t6, t7 = _T
    mv = memoryview(data).cast("B")
    n = len(mv)
    end8 = n - n % 8
    from_bytes = int.from_bytes
    i = 0
    while i < end8:
        crc ^= from_bytes(mv[i : i + 8], "little")
        crc = (
            t7[crc & 0xFF]
            ^ t6[(crc >> 8) & 0xFF]
            ^ t5[(crc >> 16) & 0xFF]
            ^ t4[(crc >> 24) & 0xFF]
            ^ t3[(crc >> 32) & 0xFF]
            ^ t2[(crc >> 40) & 0xFF]
            ^ t1[(crc >> 48) & 0xFF]
            ^ t0[crc >> 56]
        )
        i += 8
    for b in mv[end8:]:
        crc = t0[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


# ---------------------------------------------------------------- numpy lanes

_np = False  # not imported yet


def numpy():
    """numpy, imported at the first large input (None without it): importing it at
    startup cost the server 0.1 s and OpenBLAS's threads."""
    global _np
    if _np is False:
        try:
            import numpy as np
        except ImportError:  # pragma: no cover - numpy is optional
            np = None
        _np = np
    return _np

_LANES_MIN = 1 << 20
_LANES = 4096


def _zero_op_columns() -> list[int]:
    """Z_1 as 64 columns: the image of each bit under "append one zero byte"."""
    t0 = _T[0]
    return [t0[(1 << i) & 0xFF] ^ ((1 << i) >> 8) for i in range(64)]


def _apply(cols: list[int], x: int) -> int:
    r = 0
    i = 0
    while x:
        if x & 1:
            r ^= cols[i]
        x >>= 1
        i += 1
    return r


def _zeros_op(n: int) -> list[int]:
    """Z_n's columns by repeated squaring of Z_1."""
    result = [1 << i for i in range(64)]  # identity
    power = _zero_op_columns()
    while n:
        if n & 1:
            result = [_apply(power, c) for c in result]
        n >>= 1
        if n:
            power = [_apply(power, c) for c in power]
    return result


def _byte_tables(cols: list[int]) -> list[list[int]]:
    tables = []
    for b in range(8):
        tables.append([_apply(cols, v << (8 * b)) for v in range(256)])
    return tables


def _crc64_lanes(crc: int, data) -> int:
    np = numpy()
    buf = np.frombuffer(memoryview(data).cast("B"), dtype=np.uint8)
    n = len(buf)
    lane_len = n // _LANES
    main = lane_len * _LANES
    lanes = buf[:main].reshape(_LANES, lane_len).T.copy()  # (lane_len, K), contiguous rows
    table = np.array(_T[0], dtype=np.uint64)
    c = np.zeros(_LANES, dtype=np.uint64)
    mask = np.uint64(0xFF)
    eight = np.uint64(8)
    for row in lanes:
        c = table[(c ^ row) & mask] ^ (c >> eight)
    tabs = _byte_tables(_zeros_op(lane_len))
    t0, t1, t2, t3, t4, t5, t6, t7 = tabs
    total = crc
    for lane_crc in c.tolist():
        x = total
        total = (
            t0[x & 0xFF] ^ t1[(x >> 8) & 0xFF] ^ t2[(x >> 16) & 0xFF] ^ t3[(x >> 24) & 0xFF]
            ^ t4[(x >> 32) & 0xFF] ^ t5[(x >> 40) & 0xFF] ^ t6[(x >> 48) & 0xFF] ^ t7[x >> 56]
        ) ^ lane_crc
    return _crc64_py(total, memoryview(data).cast("B")[main:])
