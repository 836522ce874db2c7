"""The `struct` and `cmsgpack` Lua libraries of Redis scripts, in Python.

They reproduce Redis 7.0's deps/lua/src/lua_struct.c (Roberto Ierusalimschy's struct 1.7
with Redis's overflow checks) and lua_cmsgpack.c (lua-cmsgpack 0.4.0) on x86-64 with
Lua 5.1: every Lua number is a double, `long` and `size_t` are 8 bytes, ints 4, native
order little endian, and C's double -> integer conversions behave as the hardware does
(out of range gives 0x8000000000000000). The engine (scripting.py) registers these
functions; they receive Lua values as lupa gives them (bytes, int/float, bool, None,
tables) and raise LibError(message) for a luaL_error, which the engine raises in Lua with
the caller's position ("user_script:1: ..."), as luaL_error does.
"""

from __future__ import annotations

import ctypes
import math
import re
import struct as _st

import lupa.lua51 as lupa

U64 = (1 << 64) - 1
_INDEFINITE = 1 << 63  # what cvttsd2si gives for a double out of int64's range


class LibError(Exception):
    """A luaL_error of a library function: args[0] is the message (bytes)."""


class LibRaise(Exception):
    """A Lua error without position (a runtime error raised inside a C function)."""


def _argerror(n: int, fname: str, msg: str) -> LibError:
    return LibError(("bad argument #%d to '%s' (%s)" % (n, fname, msg)).encode())


def lua_typename(v) -> str:
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, bytes):
        return "string"
    kind = lupa.lua_type(v)
    if kind is None and callable(v):
        return "function"  # a library function (a C function in Redis)
    return kind or "userdata"


_NUM_RE = re.compile(rb"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*\Z")
_HEX_RE = re.compile(rb"\s*0[xX]([0-9a-fA-F]+)\s*\Z")
_SPECIAL_RE = re.compile(rb"\s*([-+]?)(inf|infinity|nan)\s*\Z", re.I)


def lua_tonumber(v):
    """lua_tonumber: a number, a string Lua converts (luaO_str2d), else None."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, bytes):
        if _NUM_RE.match(v):
            return float(v)
        m = _HEX_RE.match(v)
        if m:
            return float(int(m.group(1), 16) & 0xFFFFFFFF)  # strtoul on the result
        m = _SPECIAL_RE.match(v)
        if m:
            return float(m.group(1).decode() + m.group(2).decode())
    return None


def _checknumber(args, i: int, fname: str) -> float:
    v = args[i] if i < len(args) else None
    n = lua_tonumber(v)
    if n is None:
        got = "no value" if i >= len(args) else lua_typename(v)
        raise _argerror(i + 1, fname, "number expected, got %s" % got)
    return n


def _optinteger(args, i: int, fname: str, default: int) -> int:
    if i >= len(args) or args[i] is None:
        return default
    return _to_integer(_checknumber(args, i, fname))


def _checkinteger(args, i: int, fname: str) -> int:
    return _to_integer(_checknumber(args, i, fname))


def _to_integer(n: float) -> int:
    """lua_Integer (ptrdiff_t) from a double, as the C cast on x86-64."""
    return _f2i64(n)


def _f2i64(n: float) -> int:
    if n != n or not -9.223372036854775808e18 <= n < 9.223372036854775808e18:
        return -(1 << 63)
    return int(n)


def _f2u64(n: float) -> int:
    """(unsigned long)n for n >= 0, as gcc emits it on x86-64."""
    if n != n:
        return _INDEFINITE
    if n < 9.223372036854775808e18:
        return int(n) & U64
    return ((_f2i64(n - 9.223372036854775808e18) & U64) ^ _INDEFINITE) & U64


def _to_c_int(n: int) -> int:
    """(int) of a lua_Integer: the low 32 bits, signed."""
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n & 0x80000000 else n


def _checklstring(args, i: int, fname: str) -> bytes:
    v = args[i] if i < len(args) else None
    if isinstance(v, bytes):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return number_to_bytes(v)
    got = "no value" if i >= len(args) else lua_typename(v)
    raise _argerror(i + 1, fname, "string expected, got %s" % got)


def number_to_bytes(v) -> bytes:
    """lua_tolstring of a number: LUA_NUMBER_FMT "%.14g"."""
    v = float(v)
    if v != v:
        return b"nan" if math.copysign(1, v) > 0 else b"-nan"
    if v in (math.inf, -math.inf):
        return b"inf" if v > 0 else b"-inf"
    return b"%.14g" % v


def _float32(d: float) -> float:
    """(float)d then back to double, as the C conversions do (overflow -> inf)."""
    return ctypes.c_float(d).value


# ====================================================================== struct

_BIG, _LITTLE = 0, 1
_MAXINTSIZE = 32
_MAXALIGN = 8


def _getnum(fmt: bytes, i: int, df: int):
    if i >= len(fmt) or not 48 <= fmt[i] <= 57:
        return df, i
    a = 0
    while i < len(fmt) and 48 <= fmt[i] <= 57:
        d = fmt[i] - 48
        if a > (2**31 - 1) // 10 or a * 10 > (2**31 - 1) - d:
            raise LibError(b"integral size overflow")
        a = a * 10 + d
        i += 1
    return a, i


def _optsize(opt: int, fmt: bytes, i: int):
    c = chr(opt)
    if c in "Bb":
        return 1, i
    if c in "Hh":
        return 2, i
    if c in "LlTd":
        return 8, i
    if c == "f":
        return 4, i
    if c == "x":
        return 1, i
    if c == "c":
        return _getnum(fmt, i, 1)
    if c in "iI":
        sz, i = _getnum(fmt, i, 4)
        if sz > _MAXINTSIZE:
            raise LibError(b"integral size %d is larger than limit of %d" % (sz, _MAXINTSIZE))
        return sz, i
    return 0, i


def _gettoalign(length: int, align: int, opt: int, size: int) -> int:
    if size == 0 or opt == 99:  # 'c'
        return 0
    if size > align:
        size = align
    return (size - (length & (size - 1))) & (size - 1)


def _controloptions(opt: int, fmt: bytes, i: int, h: list, fname: str) -> int:
    c = chr(opt)
    if c == " ":
        return i
    if c == ">":
        h[0] = _BIG
        return i
    if c == "<":
        h[0] = _LITTLE
        return i
    if c == "!":
        a, i = _getnum(fmt, i, _MAXALIGN)
        if not (a > 0 and a & (a - 1) == 0):
            raise LibError(b"alignment %d is not a power of 2" % a)
        h[1] = a
        return i
    raise LibError(b"bad argument #1 to '" + fname.encode() + b"' (invalid format option '" + bytes((opt,)) + b"')")


def _put_integer(n: float, endian: int, size: int) -> bytes:
    value = (_f2i64(n) & U64) if n < 0 else _f2u64(n)
    out = bytearray(size)
    for k in range(size):
        out[k] = value & 0xFF
        value >>= 8
    if endian == _BIG:
        out.reverse()
    return bytes(out)


def struct_pack(args) -> bytes:
    fmt = _checklstring(args, 0, "pack")
    # b_pack pushes a nil after its arguments: the first missing one is "nil"
    args = tuple(args) + (None,)
    h = [_LITTLE, 1]
    arg = 1
    out = bytearray()
    total = 0
    i = 0
    while i < len(fmt):
        opt = fmt[i]
        i += 1
        size, i = _optsize(opt, fmt, i)
        toalign = _gettoalign(total, h[1], opt, size)
        total += toalign
        out += b"\0" * toalign
        c = chr(opt)
        if c in "bBhHlLTiI":
            out += _put_integer(_checknumber(args, arg, "pack"), h[0], size)
            arg += 1
        elif c == "x":
            out += b"\0"
        elif c == "f":
            data = bytes(ctypes.c_float(_checknumber(args, arg, "pack")))
            arg += 1
            out += data if h[0] == _LITTLE else data[::-1]
        elif c == "d":
            d = _checknumber(args, arg, "pack")
            arg += 1
            out += _st.pack("<d" if h[0] == _LITTLE else ">d", d)
        elif c in "cs":
            s = _checklstring(args, arg, "pack")
            arg += 1
            if size == 0:
                size = len(s)
            if len(s) < size:
                # luaL_argcheck after arg++: the reported position is the next one
                raise _argerror(arg + 1, "pack", "string too short")
            out += s[:size]
            if c == "s":
                out += b"\0"
                size += 1
        else:
            i = _controloptions(opt, fmt, i, h, "pack")
        total += size
    return bytes(out)


def _get_integer(data: bytes, endian: int, signed: bool, size: int) -> float:
    value = 0
    seq = data if endian == _BIG else data[::-1]
    for b in seq:
        value = ((value << 8) | b) & U64
    if not signed:
        return float(value)
    mask = (U64 << ((size * 8 - 1) & 63)) & U64
    if value & mask:
        value |= mask
    if value & (1 << 63):
        value -= 1 << 64
    return float(value)


def struct_unpack(args) -> tuple:
    fmt = _checklstring(args, 0, "unpack")
    data = _checklstring(args, 1, "unpack")
    ld = len(data)
    pos = _optinteger(args, 2, "unpack", 1)
    if pos <= 0:
        raise _argerror(3, "unpack", "offset must be 1 or greater")
    pos -= 1
    h = [_LITTLE, 1]
    results: list = []
    i = 0
    while i < len(fmt):
        opt = fmt[i]
        i += 1
        size, i = _optsize(opt, fmt, i)
        pos += _gettoalign(pos, h[1], opt, size)
        if not (size <= ld and pos <= ld - size):
            raise _argerror(2, "unpack", "data string too short")
        c = chr(opt)
        if c in "bBhHlLTiI":
            results.append(_get_integer(data[pos : pos + size], h[0], c.islower(), size))
        elif c == "x":
            pass
        elif c == "f":
            raw = data[pos : pos + 4]
            results.append(_st.unpack("<f" if h[0] == _LITTLE else ">f", raw)[0])
        elif c == "d":
            raw = data[pos : pos + 8]
            results.append(_st.unpack("<d" if h[0] == _LITTLE else ">d", raw)[0])
        elif c == "c":
            if size == 0:
                prev = lua_tonumber(results[-1]) if results else None
                if prev is None:
                    raise LibError(b"format 'c0' needs a previous size")
                results.pop()
                size = _f2u64(prev) if prev >= 0 else (_f2i64(prev) & U64)
                if not (size <= ld and pos <= ld - size):
                    raise _argerror(2, "unpack", "data string too short")
            results.append(data[pos : pos + size])
        elif c == "s":
            e = data.find(b"\0", pos)
            if e < 0:
                raise LibError(b"unfinished string in data")
            size = e - pos + 1
            results.append(data[pos:e])
        else:
            i = _controloptions(opt, fmt, i, h, "unpack")
        pos += size
    results.append(pos + 1)
    return tuple(results)


def struct_size(args) -> int:
    fmt = _checklstring(args, 0, "size")
    h = [_LITTLE, 1]
    pos = 0
    i = 0
    while i < len(fmt):
        opt = fmt[i]
        i += 1
        size, i = _optsize(opt, fmt, i)
        pos += _gettoalign(pos, h[1], opt, size)
        if opt == 115:  # 's'
            raise _argerror(1, "size", "option 's' has no fixed size")
        if opt == 99 and size == 0:
            raise _argerror(1, "size", "option 'c0' has no fixed size")
        if not chr(opt).isalnum() or opt > 127:
            i = _controloptions(opt, fmt, i, h, "size")
        pos += size
    return pos


# ====================================================================== cmsgpack

_MAX_NESTING = 16


def _mp_int(n: int) -> bytes:
    if n >= 0:
        if n <= 127:
            return bytes((n,))
        if n <= 0xFF:
            return b"\xcc" + bytes((n,))
        if n <= 0xFFFF:
            return b"\xcd" + n.to_bytes(2, "big")
        if n <= 0xFFFFFFFF:
            return b"\xce" + n.to_bytes(4, "big")
        return b"\xcf" + n.to_bytes(8, "big")
    if n >= -32:
        return bytes((n & 0xFF,))
    if n >= -128:
        return b"\xd0" + bytes((n & 0xFF,))
    if n >= -32768:
        return b"\xd1" + (n & 0xFFFF).to_bytes(2, "big")
    if n >= -2147483648:
        return b"\xd2" + (n & 0xFFFFFFFF).to_bytes(4, "big")
    return b"\xd3" + (n & U64).to_bytes(8, "big")


def _mp_number(v, out: bytearray) -> None:
    n = float(v)
    # IS_INT64_EQUIVALENT: !isinf(x) && (int64_t)x == x
    if n == n and not math.isinf(n) and _f2i64(n) == n:
        out += _mp_int(_f2i64(n))
        return
    f = _float32(n)
    if f == n:
        out += b"\xca" + _st.pack(">f", f)
    else:
        out += b"\xcb" + _st.pack(">d", n)


def _mp_bytes(s: bytes, out: bytearray) -> None:
    n = len(s)
    if n < 32:
        out.append(0xA0 | n)
    elif n <= 0xFF:
        out += b"\xd9" + bytes((n,))
    elif n <= 0xFFFF:
        out += b"\xda" + n.to_bytes(2, "big")
    else:
        out += b"\xdb" + (n & 0xFFFFFFFF).to_bytes(4, "big")
    out += s


def _is_array(items) -> bool:
    count = mx = 0
    for k, _ in items:
        if isinstance(k, bool) or not isinstance(k, (int, float)):
            return False
        n = float(k)
        # (n = lua_tonumber) <= 0 || !IS_INT_EQUIVALENT(n): (int)n == n
        if n <= 0 or math.isinf(n) or n != n or not -2147483648 <= n < 2147483648 or int(n) != n:
            return False
        if n > mx:
            mx = int(n)
        count += 1
    return mx == count


def _mp_header(out: bytearray, n: int, fix: int, b16: bytes, b32: bytes) -> None:
    """An array or map header: fixarray/fixmap up to 15, then 16- and 32-bit lengths."""
    if n <= 15:
        out.append(fix | n)
    elif n <= 65535:
        out += b16 + n.to_bytes(2, "big")
    else:
        out += b32 + (n & 0xFFFFFFFF).to_bytes(4, "big")


def _mp_encode(v, out: bytearray, level: int) -> None:
    if isinstance(v, bytes):
        _mp_bytes(v, out)
    elif isinstance(v, bool):
        out.append(0xC3 if v else 0xC2)
    elif isinstance(v, (int, float)):
        _mp_number(v, out)
    elif v is not None and lupa.lua_type(v) == "table" and level != _MAX_NESTING:
        items = list(v.items())
        n = len(items)
        if _is_array(items):
            _mp_header(out, n, 0x90, b"\xdc", b"\xdd")
            for j in range(1, n + 1):
                _mp_encode(v[j], out, level + 1)
        else:
            _mp_header(out, n, 0x80, b"\xde", b"\xdf")
            for k, val in items:
                _mp_encode(k, out, level + 1)
                _mp_encode(val, out, level + 1)
    else:
        out.append(0xC0)


def msgpack_pack(args) -> bytes:
    if not args:
        raise _argerror(0, "pack", "MessagePack pack needs input.")
    out = bytearray()
    for v in args:
        _mp_encode(v, out, 0)
    return bytes(out)


class _EOF(Exception):
    pass


class _BadFmt(Exception):
    pass


class _Decoder:
    __slots__ = ("data", "pos", "new_table")

    def __init__(self, data: bytes, pos: int, new_table):
        self.data = data
        self.pos = pos
        self.new_table = new_table

    def need(self, n: int) -> None:
        if len(self.data) - self.pos < n:
            raise _EOF

    def take(self, n: int) -> bytes:
        self.need(n)
        p = self.pos
        self.pos = p + n
        return self.data[p : p + n]

    def value(self):
        self.need(1)
        data = self.data
        t = data[self.pos]
        if t <= 0x7F:
            self.pos += 1
            return t
        if t >= 0xE0:
            self.pos += 1
            return t - 256
        if 0xA0 <= t <= 0xBF:
            self.pos += 1
            return self.take(t & 0x1F)
        if 0x90 <= t <= 0x9F:
            self.pos += 1
            return self.array(t & 0x0F)
        if 0x80 <= t <= 0x8F:
            self.pos += 1
            return self.map(t & 0x0F)
        if t == 0xC0:
            self.pos += 1
            return None
        if t == 0xC2 or t == 0xC3:
            self.pos += 1
            return t == 0xC3
        if t in _FIXED:
            size, fmt = _FIXED[t]
            raw = self.take(1 + size)[1:]
            v = _st.unpack(fmt, raw)[0]
            return float(v) if t != 0xCA and t != 0xCB else v
        if t == 0xD9:
            n = self.take(2)[1]
            return self.take(n)
        if t == 0xDA:
            n = int.from_bytes(self.take(3)[1:], "big")
            return self.take(n)
        if t == 0xDB:
            n = int.from_bytes(self.take(5)[1:], "big")
            return self.take(n)
        if t == 0xDC:
            return self.array(int.from_bytes(self.take(3)[1:], "big"))
        if t == 0xDD:
            return self.array(int.from_bytes(self.take(5)[1:], "big"))
        if t == 0xDE:
            return self.map(int.from_bytes(self.take(3)[1:], "big"))
        if t == 0xDF:
            return self.map(int.from_bytes(self.take(5)[1:], "big"))
        raise _BadFmt

    def array(self, n: int):
        t = self.new_table()
        for j in range(1, n + 1):
            v = self.value()
            if v is not None:
                t[j] = v
        return t

    def map(self, n: int):
        t = self.new_table()
        for _ in range(n):
            k = self.value()
            v = self.value()
            if k is None:
                raise LibRaise(b"table index is nil")
            if isinstance(k, float) and k != k:
                raise LibRaise(b"table index is NaN")
            t[k] = v
        return t


# uint 64 goes through lua_pushunsigned, which Lua 5.1 builds push as a signed integer
_FIXED = {
    0xCC: (1, ">B"), 0xCD: (2, ">H"), 0xCE: (4, ">I"), 0xCF: (8, ">q"),
    0xD0: (1, ">b"), 0xD1: (2, ">h"), 0xD2: (4, ">i"), 0xD3: (8, ">q"),
    0xCA: (4, ">f"), 0xCB: (8, ">d"),
}


def _unpack_full(s: bytes, limit: int, offset: int, new_table) -> tuple:
    decode_all = not limit and not offset
    length = len(s)
    if offset < 0 or limit < 0:
        raise LibError(b"Invalid request to unpack with offset of %d and limit of %d." % (offset, _to_c_int(length)))
    if offset > length:
        raise LibError(b"Start offset %d greater than input length %d." % (offset, _to_c_int(length)))
    if decode_all:
        limit = 2**31 - 1
    dec = _Decoder(s, offset, new_table)
    out = []
    cnt = 0
    while dec.pos < length and cnt < limit:
        try:
            out.append(dec.value())
        except _EOF:
            raise LibError(b"Missing bytes in input.") from None
        except _BadFmt:
            raise LibError(b"Bad data format in input.") from None
        cnt += 1
    if not decode_all:
        left = length - dec.pos
        out.insert(0, -1 if left == 0 else _to_c_int(dec.pos))
    return tuple(out)


def msgpack_unpack(args, new_table) -> tuple:
    s = _checklstring(args, 0, "unpack")
    return _unpack_full(s, 0, 0, new_table)


def msgpack_unpack_one(args, new_table) -> tuple:
    offset = _to_c_int(_optinteger(args, 1, "unpack_one", 0))
    s = _checklstring(args, 0, "unpack_one")
    return _unpack_full(s, 1, offset, new_table)


def msgpack_unpack_limit(args, new_table) -> tuple:
    limit = _to_c_int(_checkinteger(args, 1, "unpack_limit"))
    offset = _to_c_int(_optinteger(args, 2, "unpack_limit", 0))
    s = _checklstring(args, 0, "unpack_limit")
    return _unpack_full(s, limit, offset, new_table)


# ====================================================================== cjson decoding

# lua-cjson 2.1.0's decoder (json_next_token / json_parse_*), with its error texts:
# "Expected <what> but found <token type or error> at character <n>".
_T_NAMES = ("T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING", "T_NUMBER",
            "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END", "T_WHITESPACE", "T_ERROR",
            "T_UNKNOWN")
(T_OBJ_BEGIN, T_OBJ_END, T_ARR_BEGIN, T_ARR_END, T_STRING, T_NUMBER, T_BOOLEAN, T_NULL,
 T_COLON, T_COMMA, T_END, T_WHITESPACE, T_ERROR, T_UNKNOWN) = range(14)

_CH2TOKEN = [T_ERROR] * 256
_CH2TOKEN[0] = T_END
for _c in b" \t\r\n":
    _CH2TOKEN[_c] = T_WHITESPACE
for _c, _t in zip(b"{}[]:,", (T_OBJ_BEGIN, T_OBJ_END, T_ARR_BEGIN, T_ARR_END, T_COLON, T_COMMA)):
    _CH2TOKEN[_c] = _t
for _c in b'fiInNt"+-0123456789':
    _CH2TOKEN[_c] = T_UNKNOWN

_ESCAPE2CHAR = {34: 34, 92: 92, 47: 47, 98: 8, 116: 9, 110: 10, 102: 12, 114: 13, 117: 117}

_STRTOD_RE = re.compile(
    rb"[+-]?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?"
    rb"|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
    rb"|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN](?:\([0-9A-Za-z_]*\))?)"
)


def _strtod(data: bytes, pos: int):
    """strtod at data[pos:]: (value, end) or None when nothing converts."""
    m = _STRTOD_RE.match(data, pos)
    if not m:
        return None
    text = m.group(0)
    body = text.lstrip(b"+-")
    neg = text.startswith(b"-")
    low = body.lower()
    if low.startswith(b"0x"):
        if b"p" not in low and b"." not in low:
            value = float(int(low[2:], 16))
        else:
            value = float.fromhex(body.decode())
        value = -value if neg else value
    elif low.startswith(b"inf"):
        value = -math.inf if neg else math.inf
    elif low.startswith(b"nan"):
        value = math.nan
    else:
        value = float(text)
    return value, m.end()


class JsonDecodeError(Exception):
    """A luaL_error of cjson.decode: args[0] is the message."""


class _Token:
    __slots__ = ("type", "index", "value")


class CjsonDecoder:
    def __init__(self, data: bytes, max_depth: int, invalid_numbers: bool, new_table, null):
        nul = data.find(b"\0")
        self.data = data
        self.end = len(data) if nul < 0 else nul  # the C string stops at a NUL
        self.pos = 0
        self.depth = 0
        self.max_depth = max_depth
        self.invalid_numbers = invalid_numbers
        self.new_table = new_table
        self.null = null

    def decode(self):
        data = self.data
        if len(data) >= 2 and (not data[0] or not data[1]):
            raise JsonDecodeError(b"JSON parser does not support UTF-16 or UTF-32")
        tok = self.next_token()
        value = self.value(tok)
        tok = self.next_token()
        if tok.type != T_END:
            self.fail(b"the end", tok)
        return value

    def fail(self, expected: bytes, tok: _Token):
        found = tok.value if tok.type == T_ERROR else _T_NAMES[tok.type].encode()
        raise JsonDecodeError(b"Expected %b but found %b at character %d" % (expected, found, tok.index + 1))

    def _ch(self, i: int) -> int:
        return self.data[i] if i < self.end else 0

    def _error(self, tok: _Token, msg: bytes) -> _Token:
        tok.type = T_ERROR
        tok.index = self.pos
        tok.value = msg
        return tok

    def next_token(self) -> _Token:
        tok = _Token()
        while True:
            ch = self._ch(self.pos)
            tok.type = _CH2TOKEN[ch]
            if tok.type != T_WHITESPACE:
                break
            self.pos += 1
        tok.index = self.pos
        if tok.type == T_ERROR:
            return self._error(tok, b"invalid token")
        if tok.type == T_END:
            return tok
        if tok.type != T_UNKNOWN:
            self.pos += 1
            return tok
        data, p = self.data, self.pos
        if ch == 34:
            return self._string(tok)
        if ch == 45 or 48 <= ch <= 57:
            if not self.invalid_numbers and self._is_invalid_number():
                return self._error(tok, b"invalid number")
            return self._number(tok)
        if data.startswith(b"true", p) and p + 4 <= self.end:
            tok.type, tok.value = T_BOOLEAN, True
            self.pos += 4
            return tok
        if data.startswith(b"false", p) and p + 5 <= self.end:
            tok.type, tok.value = T_BOOLEAN, False
            self.pos += 5
            return tok
        if data.startswith(b"null", p) and p + 4 <= self.end:
            tok.type = T_NULL
            self.pos += 4
            return tok
        if self.invalid_numbers and self._is_invalid_number():
            return self._number(tok)
        return self._error(tok, b"invalid token")

    def _is_invalid_number(self) -> bool:
        p = self.pos
        ch = self._ch(p)
        if ch == 43:  # '+'
            return True
        if ch == 45:
            p += 1
        ch = self._ch(p)
        if ch == 48:
            ch2 = self._ch(p + 1)
            return (ch2 | 0x20) == 120 or 48 <= ch2 <= 57
        if ch <= 57:
            return False
        word = self.data[p : min(p + 3, self.end)].lower()
        return word in (b"inf", b"nan")

    def _number(self, tok: _Token) -> _Token:
        r = _strtod(self.data[: self.end], self.pos)
        if r is None:
            return self._error(tok, b"invalid number")
        tok.type = T_NUMBER
        tok.value, self.pos = r
        return tok

    def _hex4(self, i: int) -> int:
        text = self.data[i : i + 4] if i + 4 <= self.end else b""
        if len(text) != 4 or not all(c in b"0123456789abcdefABCDEF" for c in text):
            return -1
        return int(text, 16)

    def _string(self, tok: _Token) -> _Token:
        self.pos += 1
        out = bytearray()
        while True:
            ch = self._ch(self.pos)
            if ch == 34:
                break
            if not ch:
                return self._error(tok, b"unexpected end of string")
            if ch == 92:
                esc = _ESCAPE2CHAR.get(self._ch(self.pos + 1), 0)
                if esc == 117:  # \u
                    if self._unicode_escape(out) == 0:
                        continue
                    return self._error(tok, b"invalid unicode escape code")
                if not esc:
                    return self._error(tok, b"invalid escape code")
                self.pos += 1
                ch = esc
            out.append(ch)
            self.pos += 1
        self.pos += 1
        tok.type = T_STRING
        tok.value = bytes(out)
        return tok

    def _unicode_escape(self, out: bytearray) -> int:
        p = self.pos
        cp = self._hex4(p + 2)
        if cp < 0:
            return -1
        length = 6
        if (cp & 0xF800) == 0xD800:
            if cp & 0x400:
                return -1
            if self._ch(p + 6) != 92 or self._ch(p + 7) != 117:
                return -1
            low = self._hex4(p + 8)
            if low < 0 or (low & 0xFC00) != 0xDC00:
                return -1
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000
            length = 12
        out += chr(cp).encode("utf-8", "surrogatepass")
        self.pos += length
        return 0

    def _descend(self) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise JsonDecodeError(b"Found too many nested data structures (%d) at character %d" % (self.depth, self.pos))

    def value(self, tok: _Token):
        t = tok.type
        if t == T_STRING or t == T_NUMBER or t == T_BOOLEAN:
            return tok.value
        if t == T_NULL:
            return self.null
        if t == T_OBJ_BEGIN:
            return self._object()
        if t == T_ARR_BEGIN:
            return self._array()
        self.fail(b"value", tok)

    def _object(self):
        self._descend()
        table = self.new_table()
        tok = self.next_token()
        if tok.type == T_OBJ_END:
            self.depth -= 1
            return table
        while True:
            if tok.type != T_STRING:
                self.fail(b"object key string", tok)
            key = tok.value
            tok = self.next_token()
            if tok.type != T_COLON:
                self.fail(b"colon", tok)
            table[key] = self.value(self.next_token())
            tok = self.next_token()
            if tok.type == T_OBJ_END:
                self.depth -= 1
                return table
            if tok.type != T_COMMA:
                self.fail(b"comma or object end", tok)
            tok = self.next_token()

    def _array(self):
        self._descend()
        table = self.new_table()
        tok = self.next_token()
        if tok.type == T_ARR_END:
            self.depth -= 1
            return table
        i = 1
        while True:
            table[i] = self.value(tok)
            i += 1
            tok = self.next_token()
            if tok.type == T_ARR_END:
                self.depth -= 1
                return table
            if tok.type != T_COMMA:
                self.fail(b"comma or array end", tok)
            tok = self.next_token()
