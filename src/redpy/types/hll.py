"""HyperLogLog values in Redis 7.0's exact byte format (hyperloglog.c).

An HLL is a plain string: a 16-byte header ("HYLL", encoding byte 0 dense / 1 sparse,
3 unused bytes, 8 bytes of cached cardinality, little endian, whose top bit set means
"stale"), then the registers. Dense: 16384 registers of 6 bits packed LSB first (12288
bytes). Sparse: run-length opcodes ZERO (00xxxxxx, 1..64 zero registers), XZERO
(01xxxxxx yyyyyyyy, 1..16384 zero registers) and VAL (1vvvvvxx, 1..4 registers of value
1..32). The functions below edit a bytearray in place exactly as Redis edits its sds, so
the stored bytes (GET) match the server byte for byte.
"""

from __future__ import annotations

import math

HLL_P = 14
HLL_Q = 64 - HLL_P
HLL_REGISTERS = 1 << HLL_P
HLL_P_MASK = HLL_REGISTERS - 1
HLL_BITS = 6
HLL_REGISTER_MAX = (1 << HLL_BITS) - 1
HLL_HDR_SIZE = 16
HLL_DENSE_SIZE = HLL_HDR_SIZE + (HLL_REGISTERS * HLL_BITS + 7) // 8
HLL_DENSE = 0
HLL_SPARSE = 1
HLL_RAW = 255
HLL_MAX_ENCODING = 1
HLL_SPARSE_VAL_MAX_VALUE = 32
HLL_SPARSE_VAL_MAX_LEN = 4
HLL_SPARSE_ZERO_MAX_LEN = 64
HLL_SPARSE_XZERO_MAX_LEN = 16384
HLL_ALPHA_INF = 0.721347520444481703680

_M64 = (1 << 64) - 1
_MUL = 0xC6A4A7935BD1E995
_SEED = 0xADC83B19


class CorruptHLL(Exception):
    """The sparse representation is inconsistent (INVALIDOBJ)."""


def murmurhash64a(data: bytes, seed: int = _SEED) -> int:
    n = len(data)
    h = (seed ^ (n * _MUL)) & _M64
    nblocks = n >> 3
    for i in range(nblocks):
        k = int.from_bytes(data[i * 8:i * 8 + 8], "little")
        k = (k * _MUL) & _M64
        k ^= k >> 47
        k = (k * _MUL) & _M64
        h ^= k
        h = (h * _MUL) & _M64
    rem = n & 7
    if rem:
        tail = data[nblocks * 8:]
        for i in range(rem - 1, -1, -1):
            h ^= tail[i] << (8 * i)
        h = (h * _MUL) & _M64
    h ^= h >> 47
    h = (h * _MUL) & _M64
    h ^= h >> 47
    return h


def pat_len(ele: bytes) -> tuple[int, int]:
    """hllPatLen: (register index, run length of zeros + 1) for an element."""
    h = murmurhash64a(ele)
    index = h & HLL_P_MASK
    h >>= HLL_P
    h |= 1 << HLL_Q
    count = ((h & -h).bit_length())  # trailing zeros + 1
    return index, count


def create() -> bytearray:
    """createHLLObject: an empty sparse HLL (one XZERO covering all registers)."""
    o = bytearray(HLL_HDR_SIZE)
    o[0:4] = b"HYLL"
    o[4] = HLL_SPARSE
    runs = (HLL_REGISTERS + HLL_SPARSE_XZERO_MAX_LEN - 1) // HLL_SPARSE_XZERO_MAX_LEN
    aux = HLL_REGISTERS
    for _ in range(runs):
        xzero = min(aux, HLL_SPARSE_XZERO_MAX_LEN) - 1
        o.append((xzero >> 8) | 0x40)
        o.append(xzero & 0xFF)
        aux -= xzero + 1
    return o


def is_valid(v) -> bool:
    """isHLLObjectOrReply's checks on a string value."""
    if len(v) < HLL_HDR_SIZE or v[0:4] != b"HYLL" or v[4] > HLL_MAX_ENCODING:
        return False
    if v[4] == HLL_DENSE and len(v) != HLL_DENSE_SIZE:
        return False
    return True


def invalidate_cache(o: bytearray) -> None:
    o[15] |= 0x80


def cache_valid(o) -> bool:
    return not (o[15] & 0x80)


# ---------------------------------------------------------------------- dense


def dense_get(o, regnum: int, base: int = HLL_HDR_SIZE) -> int:
    bit = regnum * 6
    byte = base + (bit >> 3)
    fb = bit & 7
    b0 = o[byte]
    b1 = o[byte + 1] if byte + 1 < len(o) else 0
    return ((b0 >> fb) | (b1 << (8 - fb))) & 63


def dense_set(o: bytearray, regnum: int, val: int) -> int:
    """hllDenseSet: 1 if the register grew."""
    bit = regnum * 6
    byte = HLL_HDR_SIZE + (bit >> 3)
    fb = bit & 7
    fb8 = 8 - fb
    b1 = o[byte + 1] if byte + 1 < len(o) else 0
    old = ((o[byte] >> fb) | (b1 << fb8)) & 63
    if val <= old:
        return 0
    o[byte] = (o[byte] & ~(63 << fb) & 0xFF) | ((val << fb) & 0xFF)
    if byte + 1 < len(o):
        o[byte + 1] = (o[byte + 1] & ~(63 >> fb8) & 0xFF) | (val >> fb8)
    return 1


def dense_registers(o) -> list[int]:
    """All 16384 registers of a dense HLL (every 3 bytes hold 4 registers)."""
    data = bytes(o[HLL_HDR_SIZE:HLL_DENSE_SIZE])
    regs = []
    ext = regs.extend
    for i in range(0, len(data), 3):
        v = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16)
        ext((v & 63, (v >> 6) & 63, (v >> 12) & 63, v >> 18))
    return regs


def _pack_dense(regs) -> bytes:
    out = bytearray()
    app = out.extend
    for i in range(0, HLL_REGISTERS, 4):
        v = regs[i] | (regs[i + 1] << 6) | (regs[i + 2] << 12) | (regs[i + 3] << 18)
        app((v & 0xFF, (v >> 8) & 0xFF, v >> 16))
    return bytes(out)


# ---------------------------------------------------------------------- sparse


def sparse_registers(o) -> list[int]:
    """Decode a sparse HLL to its registers; CorruptHLL if the runs do not cover them
    exactly (hllSparseToDense's check)."""
    regs = [0] * HLL_REGISTERS
    idx = 0
    p = HLL_HDR_SIZE
    end = len(o)
    while p < end:
        b = o[p]
        if b & 0x80:
            runlen = (b & 3) + 1
            val = ((b >> 2) & 31) + 1
            if runlen + idx > HLL_REGISTERS:
                break
            for i in range(idx, idx + runlen):
                regs[i] = val
            idx += runlen
            p += 1
        elif b & 0x40:
            idx += (((b & 0x3F) << 8) | (o[p + 1] if p + 1 < end else 0)) + 1
            p += 2
        else:
            idx += (b & 0x3F) + 1
            p += 1
    if idx != HLL_REGISTERS:
        raise CorruptHLL()
    return regs


def sparse_to_dense(o: bytearray) -> None:
    """hllSparseToDense, in place: the header (cached cardinality included) is kept."""
    if o[4] == HLL_DENSE:
        return
    regs = sparse_registers(o)
    o[4] = HLL_DENSE
    o[HLL_HDR_SIZE:] = _pack_dense(regs)


def sparse_set(o: bytearray, index: int, count: int, sparse_max_bytes: int) -> int:
    """hllSparseSet: 1 if a register changed, 0 if not; may promote o to dense."""
    if count > HLL_SPARSE_VAL_MAX_VALUE:
        return _promote(o, index, count)
    p = HLL_HDR_SIZE
    end = len(o)
    first = 0
    prev = -1
    span = 0
    while p < end:
        b = o[p]
        oplen = 1
        if not (b & 0xC0):
            span = (b & 0x3F) + 1
        elif b & 0x80:
            span = (b & 3) + 1
        else:
            span = (((b & 0x3F) << 8) | (o[p + 1] if p + 1 < end else 0)) + 1
            oplen = 2
        if index <= first + span - 1:
            break
        prev = p
        p += oplen
        first += span
    if span == 0 or p >= end:
        return -1
    b = o[p]
    is_zero = is_xzero = is_val = False
    if not (b & 0xC0):
        is_zero = True
        runlen = (b & 0x3F) + 1
    elif b & 0x80:
        is_val = True
        runlen = (b & 3) + 1
    else:
        is_xzero = True
        runlen = (((b & 0x3F) << 8) | o[p + 1]) + 1
    done = False
    if is_val:
        oldcount = ((b >> 2) & 31) + 1
        if oldcount >= count:
            return 0
        if runlen == 1:
            o[p] = 0x80 | ((count - 1) << 2)
            done = True
    if not done and is_zero and runlen == 1:
        o[p] = 0x80 | ((count - 1) << 2)
        done = True
    if not done:
        seq = bytearray()
        last = first + span - 1
        if is_zero or is_xzero:
            if index != first:
                _append_zeros(seq, index - first)
            seq.append(0x80 | ((count - 1) << 2))
            if index != last:
                _append_zeros(seq, last - index)
        else:
            curval = ((b >> 2) & 31) + 1
            if index != first:
                seq.append(0x80 | ((curval - 1) << 2) | (index - first - 1))
            seq.append(0x80 | ((count - 1) << 2))
            if index != last:
                seq.append(0x80 | ((curval - 1) << 2) | (last - index - 1))
        oldlen = 2 if is_xzero else 1
        deltalen = len(seq) - oldlen
        if deltalen > 0 and len(o) + deltalen > sparse_max_bytes:
            return _promote(o, index, count)
        o[p:p + oldlen] = seq
    # Step 4: merge adjacent VAL opcodes of the same value, scanning up to 5 opcodes.
    p = prev if prev >= 0 else HLL_HDR_SIZE
    end = len(o)
    scanlen = 5
    while p < end and scanlen:
        scanlen -= 1
        b = o[p]
        if not (b & 0x80):
            p += 2 if b & 0x40 else 1
            continue
        if p + 1 < end and o[p + 1] & 0x80:
            b2 = o[p + 1]
            v1 = (b >> 2) & 31
            if v1 == (b2 >> 2) & 31:
                ln = (b & 3) + (b2 & 3) + 2
                if ln <= HLL_SPARSE_VAL_MAX_LEN:
                    o[p + 1] = 0x80 | (v1 << 2) | (ln - 1)
                    del o[p]
                    end -= 1
                    continue
        p += 1
    invalidate_cache(o)
    return 1


def _append_zeros(seq: bytearray, ln: int) -> None:
    if ln > HLL_SPARSE_ZERO_MAX_LEN:
        seq.append(((ln - 1) >> 8) | 0x40)
        seq.append((ln - 1) & 0xFF)
    else:
        seq.append(ln - 1)


def _promote(o: bytearray, index: int, count: int) -> int:
    sparse_to_dense(o)
    dense_set(o, index, count)
    return 1


def add(o: bytearray, ele: bytes, sparse_max_bytes: int) -> int:
    """hllAdd: 1 if the HLL changed, 0 if not, -1 when corrupted."""
    index, count = pat_len(ele)
    enc = o[4]
    if enc == HLL_DENSE:
        return dense_set(o, index, count)
    if enc == HLL_SPARSE:
        try:
            return sparse_set(o, index, count, sparse_max_bytes)
        except CorruptHLL:
            return -1
    return -1


def merge(maxregs: list[int], o) -> None:
    """hllMerge: maxregs[i] = max(maxregs[i], o's register i); CorruptHLL when invalid."""
    if o[4] == HLL_DENSE:
        regs = dense_registers(o)
        for i, v in enumerate(regs):
            if v > maxregs[i]:
                maxregs[i] = v
        return
    p = HLL_HDR_SIZE
    end = len(o)
    i = 0
    while p < end:
        b = o[p]
        if b & 0x80:
            runlen = (b & 3) + 1
            val = ((b >> 2) & 31) + 1
            if runlen + i > HLL_REGISTERS:
                break
            for j in range(i, i + runlen):
                if val > maxregs[j]:
                    maxregs[j] = val
            i += runlen
            p += 1
        elif b & 0x40:
            i += (((b & 0x3F) << 8) | (o[p + 1] if p + 1 < end else 0)) + 1
            p += 2
        else:
            i += (b & 0x3F) + 1
            p += 1
    if i != HLL_REGISTERS:
        raise CorruptHLL()


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        zp = z
        z += x * y
        y += y
        if zp == z:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y = 1.0
    z = 1 - x
    while True:
        x = math.sqrt(x)
        zp = z
        y *= 0.5
        z -= math.pow(1 - x, 2) * y
        if zp == z:
            return z / 3


def count_histo(reghisto: list[int]) -> int:
    """hllCount's estimator (Ertl's improved estimator) from a register histogram."""
    m = float(HLL_REGISTERS)
    z = m * _tau((m - reghisto[HLL_Q + 1]) / m)
    for j in range(HLL_Q, 0, -1):
        z += reghisto[j]
        z *= 0.5
    z += m * _sigma(reghisto[0] / m)
    e = HLL_ALPHA_INF * m * m / z
    # llroundl: half away from zero
    fl = math.floor(e)
    return int(fl + 1 if e - fl >= 0.5 else fl)


def histogram(regs) -> list[int]:
    h = [0] * 64
    for v in regs:
        h[v] += 1
    return h


def count(o) -> int:
    """hllCount of a stored HLL; CorruptHLL for a sparse one that does not add up."""
    if o[4] == HLL_DENSE:
        return count_histo(histogram(dense_registers(o)))
    # hllSparseRegHisto
    h = [0] * 64
    p = HLL_HDR_SIZE
    end = len(o)
    idx = 0
    while p < end:
        b = o[p]
        if b & 0x80:
            runlen = (b & 3) + 1
            idx += runlen
            h[((b >> 2) & 31) + 1] += runlen
            p += 1
        elif b & 0x40:
            runlen = (((b & 0x3F) << 8) | (o[p + 1] if p + 1 < end else 0)) + 1
            idx += runlen
            h[0] += runlen
            p += 2
        else:
            runlen = (b & 0x3F) + 1
            idx += runlen
            h[0] += runlen
            p += 1
    if idx != HLL_REGISTERS:
        raise CorruptHLL()
    return count_histo(h)


def set_cache(o: bytearray, card: int) -> None:
    o[8:16] = (card & _M64).to_bytes(8, "little")


def get_cache(o) -> int:
    return int.from_bytes(bytes(o[8:16]), "little")
