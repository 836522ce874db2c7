"""Bitmap commands (Redis's bitops.c): SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD.

Bits are numbered from the most significant bit of the first byte. A write grows the
string with zero bytes up to the highest bit it touches and edits a `bytearray` in place
(Redis's raw encoding), so repeated SETBIT/BITFIELD calls cost O(1) amortised. Reads treat
bytes past the end as zeros.

Bit offsets are limited to proto-max-bulk-len bytes; `#n` offsets (BITFIELD) are
multiplied by the type width in 64-bit signed arithmetic, wrapping as Redis's C does.
"""

from __future__ import annotations

from ..errors import BIT_OFFSET, BIT_VALUE, NOT_INTEGER, SYNTAX, WRONGTYPE, CommandError, c_string
from ..numbers import string2ll
from ..notify import GENERIC as NOTIFY_GENERIC, NEW as NOTIFY_NEW, STRING as NOTIFY_STRING, notify
from ..registry import command_group
from ..replies import NULL
from .strings import read_string

command = command_group("bitmap")

_BITFIELD_TYPE = (
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
)
_U64 = (1 << 64) - 1


def _wrap64(v: int) -> int:
    """A Python int as C's int64_t after wrapping arithmetic."""
    v &= _U64
    return v - (1 << 64) if v >> 63 else v


def _bit_offset(c, arg: bytes, hash_ok: bool = False, bits: int = 0) -> int:
    """getBitOffsetFromArgument: a bit offset, or `#n` meaning n*bits for BITFIELD."""
    usehash = hash_ok and bits > 0 and arg[:1] == b"#"
    v = string2ll(arg[1:] if usehash else arg)
    if v is None:
        raise CommandError(BIT_OFFSET)
    if usehash:
        v = _wrap64(v * bits)
    if v < 0 or (v >> 3) >= c.server.config.proto_max_bulk_len:
        raise CommandError(BIT_OFFSET)
    return v


def _string_for_write(c, key: bytes, maxbit: int):
    """lookupStringForBitCommand: (value as a bytearray at least maxbit/8+1 bytes long,
    whether it was created or grown). The caller signals the change: Redis does not when
    nothing was written (BITFIELD ... OVERFLOW FAIL), even on a key it created."""
    db = c.db
    size = (maxbit >> 3) + 1
    v = db.lookup(key)
    if v is None:
        v = bytearray(size)
        db.data[key] = v
        # dbAdd's "new" event (without db.add's signal: see above)
        notify(c.server, NOTIFY_NEW, b"new", key, db.id)
        return v, True
    t = type(v)
    if t is bytes:
        v = bytearray(v)
        db.data[key] = v
    elif t is not bytearray:
        raise CommandError(WRONGTYPE)
    if len(v) < size:
        v.extend(bytes(size - len(v)))
        return v, True
    return v, False


def _getint(arg: bytes) -> int:
    v = string2ll(arg)
    if v is None:
        raise CommandError(NOT_INTEGER)
    return v


# ------------------------------------------------------------------ SETBIT GETBIT


@command("setbit")
def cmd_setbit(c, argv):
    """SETBIT key offset value"""
    offset = _bit_offset(c, argv[2])
    on = string2ll(argv[3])
    if on is None or on & ~1:
        raise CommandError(BIT_VALUE)
    v, grown = _string_for_write(c, argv[1], offset)
    byte = offset >> 3
    mask = 0x80 >> (offset & 7)
    old = v[byte] & mask
    # Only a real change (or a created/grown string) is a write: dirty and WATCH.
    if grown or bool(old) != bool(on):
        if on:
            v[byte] |= mask
        else:
            v[byte] &= ~mask & 0xFF
        c.db.signal_modified(argv[1])
        notify(c.server, NOTIFY_STRING, b"setbit", argv[1], c.db.id)
        c.server.dirty += 1
    return 1 if old else 0


@command("getbit")
def cmd_getbit(c, argv):
    """GETBIT key offset"""
    offset = _bit_offset(c, argv[2])
    v = read_string(c, argv[1])
    if v is None:
        return 0
    byte = offset >> 3
    if byte >= len(v):
        return 0
    return 1 if v[byte] & (0x80 >> (offset & 7)) else 0


# ------------------------------------------------------------------ BITCOUNT BITPOS


def _range_unit(arg: bytes) -> bool:
    """BYTE|BIT (compared as a C string): True for BIT."""
    unit = c_string(arg).lower()
    if unit == b"bit":
        return True
    if unit == b"byte":
        return False
    raise CommandError(SYNTAX)


def _clamp(start: int, end: int, total: int):
    if start < 0:
        start += total
    if end < 0:
        end += total
    if start < 0:
        start = 0
    if end < 0:
        end = 0
    if end >= total:
        end = total - 1
    return start, end


@command("bitcount")
def cmd_bitcount(c, argv):
    """BITCOUNT key [start end [BYTE | BIT]]

    The key is looked up before the arguments are parsed: a missing key answers 0 even
    with invalid arguments.
    """
    v = read_string(c, argv[1])
    if v is None:
        return 0
    argc = len(argv)
    n = len(v)
    if argc == 2:
        return _popcount(v, 0, n)
    if argc not in (4, 5):
        raise CommandError(SYNTAX)
    start = _getint(argv[2])
    end = _getint(argv[3])
    isbit = _range_unit(argv[4]) if argc == 5 else False
    if start < 0 and end < 0 and start > end:
        return 0
    total = n * 8 if isbit else n
    start, end = _clamp(start, end, total)
    if start > end:
        return 0
    if not isbit:
        return _popcount(v, start, end + 1)
    fb, lb = start >> 3, end >> 3
    count = _popcount(v, fb, lb + 1)
    # Take off the bits of the edge bytes that lie outside the range.
    count -= (v[fb] & ~(0xFF >> (start & 7)) & 0xFF).bit_count()
    count -= (v[lb] & ((1 << (7 - (end & 7))) - 1)).bit_count()
    return count


_CHUNK = 1 << 20


def _popcount(v, start: int, stop: int) -> int:
    """Set bits in v[start:stop], a chunk at a time so no huge copy or integer is made."""
    view = memoryview(v)
    count = 0
    try:
        for pos in range(start, stop, _CHUNK):
            count += int.from_bytes(view[pos : min(pos + _CHUNK, stop)], "big").bit_count()
    finally:
        view.release()
    return count


def _first_bit(v, bit: int, sb: int, eb: int) -> int:
    """Absolute position of the first bit equal to `bit` in bits sb..eb, or -1.

    The edge bytes are masked to the range; the bytes between them are scanned a chunk
    at a time with lstrip, so the cost is proportional to the distance to the answer.
    """
    fb, lb = sb >> 3, eb >> 3
    flip = 0 if bit else 0xFF
    head = 0xFF >> (sb & 7)  # the range's bits in the first byte
    tail = (0xFF << (7 - (eb & 7))) & 0xFF  # and in the last byte
    if fb == lb:
        b = (v[fb] ^ flip) & head & tail
        return fb * 8 + 8 - b.bit_length() if b else -1
    b = (v[fb] ^ flip) & head
    if b:
        return fb * 8 + 8 - b.bit_length()
    skip = b"\x00" if bit else b"\xff"
    pos = fb + 1
    while pos < lb:
        stop = min(pos + _CHUNK, lb)
        if v.count(skip, pos, stop) == stop - pos:  # counts without copying
            pos = stop
            continue
        chunk = v[pos:stop]
        rest = chunk.lstrip(skip)
        if rest:
            i = pos + len(chunk) - len(rest)
            return i * 8 + 8 - (v[i] ^ flip).bit_length()
        pos = stop
    b = (v[lb] ^ flip) & tail
    return lb * 8 + 8 - b.bit_length() if b else -1


@command("bitpos")
def cmd_bitpos(c, argv):
    """BITPOS key bit [start [end [BYTE | BIT]]]

    Looking for 0 without an explicit end treats the string as padded with zero bits, so
    an all-ones range answers the first bit after it; with an explicit end it answers -1.
    A missing key answers 0 for bit 0 and -1 for bit 1, whatever the range arguments.
    """
    bit = string2ll(argv[2])
    if bit is None:
        raise CommandError(NOT_INTEGER)
    if bit != 0 and bit != 1:
        raise CommandError("ERR The bit argument must be 1 or 0.")
    v = read_string(c, argv[1])
    if v is None:
        return -1 if bit else 0
    argc = len(argv)
    n = len(v)
    isbit = end_given = False
    if argc == 3:
        start, end = 0, n - 1
    elif argc <= 6:
        start = _getint(argv[3])
        if argc == 6:
            isbit = _range_unit(argv[5])
        if argc >= 5:
            end = _getint(argv[4])
            end_given = True
        else:
            end = n - 1  # an explicit start alone: to the end of the string
        total = n * 8 if isbit else n
        start, end = _clamp(start, end, total)
    else:
        raise CommandError(SYNTAX)
    if start > end:
        return -1
    if isbit:
        sb, eb = start, end
    else:
        sb, eb = start * 8, end * 8 + 7
    pos = _first_bit(v, bit, sb, eb)
    if pos < 0 and bit == 0 and not end_given:
        return eb + 1
    return pos


# ------------------------------------------------------------------ BITOP

_NOT_TABLE = bytes(255 - i for i in range(256))


@command("bitop")
def cmd_bitop(c, argv):
    """BITOP AND | OR | XOR | NOT destkey key [key ...]

    Missing keys count as empty strings (zero bytes); the result is as long as the longest
    input. An empty result deletes destkey. The result is stored raw (a bytearray), as Redis
    creates it: OBJECT ENCODING says "raw" even for a short or numeric result.
    """
    op = c_string(argv[1]).lower()
    if op not in (b"and", b"or", b"xor", b"not"):
        raise CommandError(SYNTAX)
    if op == b"not" and len(argv) != 4:
        raise CommandError("ERR BITOP NOT must be called with a single source key.")
    srcs = [read_string(c, key) for key in argv[3:]]
    maxlen = max((len(s) for s in srcs if s is not None), default=0)
    db = c.db
    dest = argv[2]
    if maxlen == 0:
        if db.delete(dest):
            notify(c.server, NOTIFY_GENERIC, b"del", dest, db.id)
            c.server.dirty += 1
        return 0
    # Shorter inputs are padded with zero bytes on the right, so compare as big-endian
    # integers of maxlen bytes.
    if op == b"not":
        res = srcs[0].translate(_NOT_TABLE)
        db.lookup(dest)  # setKey's lookupKeyWrite expires a stale key first
        db.set(dest, res if type(res) is bytearray else bytearray(res))
        notify(c.server, NOTIFY_STRING, b"set", dest, db.id)
        c.server.dirty += 1
        return maxlen
    words = [int.from_bytes(s, "big") << ((maxlen - len(s)) * 8) if s else 0 for s in srcs]
    res = words[0]
    if op == b"and":
        for w in words[1:]:
            res &= w
    elif op == b"or":
        for w in words[1:]:
            res |= w
    else:
        for w in words[1:]:
            res ^= w
    db.lookup(dest)  # setKey's lookupKeyWrite expires a stale key first
    db.set(dest, bytearray(res.to_bytes(maxlen, "big")))
    notify(c.server, NOTIFY_STRING, b"set", dest, db.id)
    c.server.dirty += 1
    return maxlen


# ------------------------------------------------------------------ BITFIELD

_WRAP, _SAT, _FAIL = 0, 1, 2


def _bitfield_type(arg: bytes):
    """getBitfieldTypeFromArgument: (signed, bits) from i1..i64 / u1..u63."""
    kind = arg[:1]
    if kind == b"i":
        signed = True
    elif kind == b"u":
        signed = False
    else:
        raise CommandError(_BITFIELD_TYPE)
    bits = string2ll(c_string(arg[1:]))
    if bits is None or bits < 1 or (signed and bits > 64) or (not signed and bits > 63):
        raise CommandError(_BITFIELD_TYPE)
    return signed, bits


def _get_field(v, offset: int, bits: int) -> int:
    """The unsigned value of `bits` bits at `offset`; bytes past the end read as zero."""
    byte = offset >> 3
    chunk = bytes(v[byte : byte + 9])
    word = int.from_bytes(chunk.ljust(9, b"\0"), "big")
    return (word >> (72 - (offset & 7) - bits)) & ((1 << bits) - 1)


def _set_field(v: bytearray, offset: int, bits: int, value: int) -> None:
    byte = offset >> 3
    nbytes = ((offset & 7) + bits + 7) >> 3
    word = int.from_bytes(v[byte : byte + nbytes], "big")
    shift = nbytes * 8 - (offset & 7) - bits
    mask = ((1 << bits) - 1) << shift
    word = (word & ~mask) | ((value & ((1 << bits) - 1)) << shift)
    v[byte : byte + nbytes] = word.to_bytes(nbytes, "big")


def _field_changed(old: int, new: int, bits: int) -> bool:
    """Redis compares the old and new values as C integers (the new one not yet reduced
    to the field width); both are compared here as the same 64-bit pattern."""
    return (old & _U64) != (new & _U64)


def _signed(u: int, bits: int) -> int:
    return u - (1 << bits) if u >> (bits - 1) else u


def _signed_overflow(value: int, incr: int, bits: int, owtype: int):
    """checkSignedBitfieldOverflow, including its int64 wrap-around of maxincr/minincr:
    returns (overflowed, replacement value)."""
    max_ = (1 << 63) - 1 if bits == 64 else (1 << (bits - 1)) - 1
    min_ = -max_ - 1
    maxincr = _wrap64(max_ - value)
    minincr = _wrap64(min_ - value)
    if value > max_ or (bits != 64 and incr > maxincr) or (value >= 0 and incr > 0 and incr > maxincr):
        limit = max_
    elif value < min_ or (bits != 64 and incr < minincr) or (value < 0 and incr < 0 and incr < minincr):
        limit = min_
    else:
        return False, 0
    if owtype == _WRAP:
        limit = _signed((value + incr) & ((1 << bits) - 1), bits)
    return True, limit


def _unsigned_overflow(value: int, incr: int, bits: int, owtype: int):
    """checkUnsignedBitfieldOverflow; value is the uint64 reinterpretation."""
    max_ = (1 << bits) - 1
    if value > max_ or (incr > 0 and incr > max_ - value):
        limit = max_
    elif incr < 0 and incr < -value:
        limit = 0
    else:
        return False, 0
    if owtype == _WRAP:
        limit = (value + incr) & max_
    return True, limit


def _bitfield_generic(c, argv, readonly_cmd: bool):
    ops = []
    owtype = _WRAP
    readonly = True
    highest = 0
    argc = len(argv)
    j = 2
    while j < argc:
        remargs = argc - j - 1
        sub = c_string(argv[j]).lower()
        if sub == b"get" and remargs >= 2:
            write = False
        elif sub in (b"set", b"incrby") and remargs >= 3:
            write = True
        elif sub == b"overflow" and remargs >= 1:
            name = c_string(argv[j + 1]).lower()
            if name == b"wrap":
                owtype = _WRAP
            elif name == b"sat":
                owtype = _SAT
            elif name == b"fail":
                owtype = _FAIL
            else:
                raise CommandError("ERR Invalid OVERFLOW type specified")
            j += 2
            continue
        else:
            raise CommandError(SYNTAX)
        signed, bits = _bitfield_type(argv[j + 1])
        offset = _bit_offset(c, argv[j + 2], True, bits)
        arg = 0
        if write:
            readonly = False
            highest = max(highest, offset + bits - 1)
            arg = _getint(argv[j + 3])
        ops.append((sub, signed, bits, offset, arg, owtype))
        j += 4 if write else 3

    if readonly:
        v = read_string(c, argv[1])
    else:
        if readonly_cmd:
            raise CommandError("ERR BITFIELD_RO only supports the GET subcommand")
        v, grown = _string_for_write(c, argv[1], highest)

    out = []
    changes = 0
    for sub, signed, bits, offset, arg, ow in ops:
        if sub == b"get":
            u = _get_field(v, offset, bits) if v is not None else 0
            out.append(_signed(u, bits) if signed else u)
            continue
        old = _get_field(v, offset, bits)
        if signed:
            old = _signed(old, bits)
            if sub == b"incrby":
                overflow, limit = _signed_overflow(old, arg, bits, ow)
                new = limit if overflow else old + arg
                ret = new
            else:
                overflow, limit = _signed_overflow(arg, 0, bits, ow)
                new = limit if overflow else arg
                ret = old
        else:
            if sub == b"incrby":
                overflow, limit = _unsigned_overflow(old, arg, bits, ow)
                new = limit if overflow else old + arg
                ret = new
            else:
                value = arg & _U64  # the int64 argument read as uint64_t
                overflow, limit = _unsigned_overflow(value, 0, bits, ow)
                new = limit if overflow else value
                ret = old
        if overflow and ow == _FAIL:
            out.append(NULL)
            continue
        out.append(ret)
        _set_field(v, offset, bits, new)
        # A write counts when the string was created or grown, or the field changed.
        if grown or _field_changed(old, new, bits):
            changes += 1
    if changes:
        c.db.signal_modified(argv[1])
        notify(c.server, NOTIFY_STRING, b"setbit", argv[1], c.db.id)
        c.server.dirty += changes
    return out


@command("bitfield")
def cmd_bitfield(c, argv):
    """BITFIELD key [GET enc offset | [OVERFLOW WRAP|SAT|FAIL] SET enc offset value | INCRBY enc offset incr ...]

    Every operation is parsed before the key is touched. With any SET/INCRBY the string
    grows to the highest bit written even if OVERFLOW FAIL then refuses every write.
    The SAT limit for a signed SET far below the minimum is the maximum, as in Redis,
    whose overflow test computes max - value in wrapping int64.
    """
    return _bitfield_generic(c, argv, False)


@command("bitfield_ro")
def cmd_bitfield_ro(c, argv):
    """BITFIELD_RO key [GET encoding offset [GET encoding offset ...]]

    SET/INCRBY are parsed (their errors come first) and then refused.
    """
    return _bitfield_generic(c, argv, True)
