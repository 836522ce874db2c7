"""RESP: the sans-IO request parser and the one reply encoder. No asyncio here.

The parser follows Redis 7.0's networking.c (processMultibulkBuffer / processInlineBuffer)
to the byte, because clients and fuzzers see its quirks:

- A request starting with `*` is multibulk, anything else inline.
- Line searches behave like C's strchr: a NUL byte before the `\\r` (multibulk) or `\\n`
  (inline) means "no line yet", so the parser waits (and errors once 64 KiB pile up).
- After a `\\r` Redis skips two bytes without checking the `\\n`, and after a bulk's data it
  skips two bytes without checking them either.
- `*0` and negative counts are empty requests and are skipped; an inline empty line too.

`RequestParser.parse()` returns every complete argv in the buffer; a framing error is
raised as `ProtocolError` *after* the commands before it were returned (they are kept in
`parser.pending` for the caller), so replies to them are written before the error.
"""

from __future__ import annotations

import re
from itertools import chain

try:
    import hiredis
except ImportError:  # the pure-Python parser alone is exact, only slower
    hiredis = None

from .errors import CommandError, ProtocolError
from .replies import (
    NO_REPLY,
    BigNumber,
    Bool,
    Double,
    Push,
    Raw,
    SetReply,
    Simple,
    Verbatim,
    _NullArray,
)

INLINE_MAX_SIZE = 64 * 1024
INT_MAX = 2**31 - 1
# A bulk this large arrives in many reads: its chunks are collected, not re-concatenated.
BIG_BULK = 32 * 1024

_chain = chain.from_iterable
_pack = hiredis.pack_command if hiredis is not None else None
# hiredis allocates an aggregate's list before its elements arrive: "*100000000\r\n" costs
# it seconds. A read that declares any aggregate of 100000 or more elements (or looks like
# it does: payload bytes can match too, which only costs the fast path) is left to the
# exact parser.
_BIG_AGGREGATE = re.compile(rb"[*%~>|][0-9]{6}")
# The same for a read without RESP3 aggregate bytes (a literal first byte: much faster).
_BIG_MULTIBULK = re.compile(rb"\*[0-9]{6}")
# Canonical framing bytes of a bulk of n bytes ("$n\r\n" + "\r\n") and of a request of
# n arguments ("*n\r\n"), for n up to 1024.
_BULK_OVERHEAD = [len(b"$%d\r\n\r\n" % n) for n in range(1025)]
_MULTIBULK_OVERHEAD = [len(b"*%d\r\n" % n) for n in range(1025)]
_MULTIBULK_HEADER = [b"*%d\r\n" % n for n in range(257)]
_JOIN = b"".join
# parse_fast feeds this after a read: an empty RESP3 map, which hiredis makes {} only
# when it starts a reply of its own, at a request boundary (the read holds no `%`).
_END = b"%0\r\n"

_LL = re.compile(rb"-?[1-9][0-9]{0,18}|0")
LLONG_MIN = -(2**63)
LLONG_MAX = 2**63 - 1


def string2ll(s: bytes) -> int | None:
    """Redis's string2ll: strict decimal, no sign '+', no spaces, no leading zeros."""
    if 0 < len(s) < 19 and s.isdigit() and (s[0] != 48 or len(s) == 1):
        return int(s)  # the common case: up to 18 plain digits always fit
    if _LL.fullmatch(s) is None:
        return None
    v = int(s)
    if v < LLONG_MIN or v > LLONG_MAX:
        return None
    return v


class RequestParser:
    """Incremental parser for client requests (multibulk and inline)."""

    __slots__ = (
        "buf",
        "argv",
        "remaining",
        "bulklen",
        "chunks",
        "chunks_len",
        "max_bulk_len",
        "auth_required",
        "pending",
        "had_error",
        "last_count",
        "reader",
    )

    def __init__(self, max_bulk_len: int = 512 * 1024 * 1024):
        self.buf = b""
        self.argv: list[bytes] | None = None  # multibulk request being filled
        self.remaining = 0  # bulks still to read for self.argv
        self.bulklen = -1  # length of the bulk being read, -1 while reading its header
        self.chunks: list[bytes] | None = None  # a big bulk's data, collected read by read
        self.chunks_len = 0
        self.max_bulk_len = max_bulk_len
        # The caller keeps this true while the client must still authenticate: Redis then
        # refuses large requests before reading them (CVE-2021-32675).
        self.auth_required = False
        self.pending: list[list[bytes]] = []
        self.last_count = 0  # requests in the last read parse_fast took (its guess)
        # parse_fast's hiredis reader: empty between reads, replaced after any read it
        # did not take whole (it may hold a partial request or an error)
        self.reader = hiredis.Reader() if hiredis is not None else None

    def buffered(self) -> int:
        """Bytes held for requests not yet complete (client-query-buffer-limit)."""
        return len(self.buf) + self.chunks_len

    def parse_fast(self, data: bytes) -> list[list[bytes]] | None:
        """Parse a read that holds only complete, canonical multibulk requests, in C.

        hiredis parses RESP in C but accepts more than Redis does (other element types,
        RESP3 aggregates), and preallocates aggregates (see _BIG_AGGREGATE). So its
        result is trusted only when it can only be what Redis parses; anything else
        (partial requests, inline requests, anything unusual) returns None and goes to
        the exact parser. hiredis's lengths and counts are as strict as Redis's (no
        sign, no leading zero), and like Redis it skips the two bytes after a bulk
        unchecked.

        The check: hiredis makes bytes of `$` bulks but also of `+` and `(` lines and
        `=` verbatim strings, and lists of `*` but also of `~` sets (and `|`, `>`, `%`
        are RESP3 aggregates). A read that holds none of the bytes `+(=~|%>` can only
        hold `$` bulks, `*` aggregates and elements that hiredis makes into other types
        (integers, doubles, booleans, nulls, errors); so when every request is a list
        of bytes it is exactly what Redis parses: one C join proves it. Reads holding
        those bytes (in payloads, mostly) are checked by length (_parse_fast_checked).
        That the read ends between requests is proven by a marker fed after it (_END).
        """
        if 43 in data or 40 in data or 61 in data or 126 in data or 124 in data or 37 in data or 62 in data:
            return self._parse_fast_checked(data)
        if _BIG_MULTIBULK.search(data) is not None:
            return None
        reader = self.reader
        guess = self.last_count
        try:
            if guess > 1:
                # Clients send pipelines of a steady depth: wrapped in an aggregate of
                # the last read's count, the requests come out of hiredis in one call.
                reader.feed(_MULTIBULK_HEADER[guess])
                reader.feed(data)
                reader.feed(_END)
                out = reader.gets()
                if out is False or out[-1] == {}:  # fewer requests than guessed
                    self.reader = hiredis.Reader()
                    self.last_count = 0
                    return self.parse_fast(data)
            else:
                reader.feed(data)
                reader.feed(_END)
                out = []
            append = out.append
            request = reader.gets()
            while type(request) is list:
                append(request)
                request = reader.gets()
            # The end marker parsed on its own: the read ended between requests, and
            # the reader is empty again. None ("*-1") or [] ("*0") are requests Redis
            # skips: left to the exact parser, as their canonical form is not a request.
            if request != {} or type(request) is not dict or not all(out):
                self.reader = hiredis.Reader()
                return None
            # a TypeError unless every request is a list of bytes
            b"".join(map(_JOIN, out))
        except (hiredis.ProtocolError, TypeError):
            self.reader = hiredis.Reader()
            return None
        self.last_count = len(out) if len(out) < len(_MULTIBULK_HEADER) else 0
        return out

    def _parse_fast_checked(self, data: bytes) -> list[list[bytes]] | None:
        """parse_fast for a read holding some of the bytes `+(=~|%>`: hiredis's result
        is trusted when its canonical length is the read's length (`+`/`(` lines are
        shorter than the bulk they would be), or, for reads with RESP3 aggregate or
        verbatim bytes, when its re-encoding is the read."""
        if 61 in data or 126 in data or 124 in data or 37 in data or 62 in data:
            if _BIG_AGGREGATE.search(data) is not None:
                return None
            exact = False
        elif _BIG_MULTIBULK.search(data) is not None:
            return None
        else:
            exact = True
        reader = hiredis.Reader()
        try:
            reader.feed(data)
            out = []
            append = out.append
            request = reader.gets()
            while request:
                append(request)
                request = reader.gets()
            if request is not False or reader.has_data() or not out:
                return None
            if exact:
                if len(set(map(type, out))) != 1 or type(out[0]) is not list:
                    return None
                args = list(_chain(out))
                try:
                    # join: a TypeError unless every element is bytes
                    size = (
                        len(b"".join(args))
                        + sum(map(_BULK_OVERHEAD.__getitem__, map(len, args)))
                        + sum(map(_MULTIBULK_OVERHEAD.__getitem__, map(len, out)))
                    )
                except IndexError:  # an element or a count beyond the tables
                    exact = False
                else:
                    return out if size == len(data) else None
            packed = b"".join(map(_pack, map(tuple, out)))
        except (hiredis.ProtocolError, TypeError, ValueError):
            return None
        if packed != data:
            return None  # elements that were not canonical bulks, or a partial request
        return out

    def feed(self, data: bytes) -> None:
        if self.chunks is not None:
            self.chunks.append(data)
            self.chunks_len += len(data)
        elif self.buf:
            self.buf += data
        else:
            self.buf = data

    def parse(self, limit: int | None = None) -> list[list[bytes]]:
        """Return every complete request (at most `limit`); raise ProtocolError at a
        framing error. On error, the requests parsed before it are in `self.pending`.
        """
        out: list[list[bytes]] = []
        self.pending = out
        if self.chunks is not None:
            if not self._finish_big_bulk():
                return out
            if not self.remaining:
                out.append(self.argv)
                self.argv = None
        buf = self.buf
        pos = 0
        n = len(buf)
        while pos < n:
            if limit is not None and len(out) >= limit:
                break
            argv = self.argv
            if argv is None:
                if buf[pos] != 42:  # not '*': inline request
                    pos = self._inline(buf, pos, out)
                    if pos < 0:
                        self.buf = buf[-pos - 1 :] if pos != -1 else buf
                        # -1 - p encodes "wait, keep from p"
                        return out
                    continue
                nl = buf.find(b"\r", pos)
                if nl < 0 or nl + 1 >= n:
                    if nl < 0 and n - pos > INLINE_MAX_SIZE:
                        raise ProtocolError("too big mbulk count string")
                    break
                count = string2ll(buf[pos + 1 : nl])
                if count is None or count > INT_MAX:
                    if buf.find(b"\0", pos, nl) >= 0:  # strchr stopped at the NUL
                        if n - pos > INLINE_MAX_SIZE:
                            raise ProtocolError("too big mbulk count string")
                        break
                    raise ProtocolError("invalid multibulk length")
                if count > 10 and self.auth_required:
                    raise ProtocolError("unauthenticated multibulk length")
                pos = nl + 2
                if count <= 0:
                    continue
                argv = self.argv = []
                self.remaining = count
            # Read the bulks of the current multibulk request.
            remaining = self.remaining
            while remaining:
                bulklen = self.bulklen
                if bulklen < 0:
                    if pos >= n:
                        break
                    nl = buf.find(b"\r", pos)
                    if nl < 0 or nl + 1 >= n:
                        if nl < 0 and n - pos > INLINE_MAX_SIZE:
                            raise ProtocolError("too big bulk count string")
                        break
                    if buf[pos] != 36:  # '$'
                        if buf.find(b"\0", pos, nl) >= 0:
                            if n - pos > INLINE_MAX_SIZE:
                                raise ProtocolError("too big bulk count string")
                            break
                        # Redis's error replies turn \r and \n into spaces.
                        got = " " if buf[pos] in (10, 13) else chr(buf[pos])
                        raise ProtocolError(f"expected '$', got '{got}'")
                    bulklen = string2ll(buf[pos + 1 : nl])
                    if bulklen is None or bulklen < 0 or bulklen > self.max_bulk_len:
                        if buf.find(b"\0", pos, nl) >= 0:
                            if n - pos > INLINE_MAX_SIZE:
                                raise ProtocolError("too big bulk count string")
                            break
                        raise ProtocolError("invalid bulk length")
                    if bulklen > 16384 and self.auth_required:
                        raise ProtocolError("unauthenticated bulk length")
                    pos = nl + 2
                    self.bulklen = bulklen
                end = pos + bulklen
                if end + 2 > n:
                    if bulklen >= BIG_BULK:
                        # Collect the rest read by read instead of growing one buffer.
                        self.chunks = [buf[pos:]]
                        self.chunks_len = n - pos
                        self.buf = b""
                        self.remaining = remaining
                        return out
                    break
                argv.append(buf[pos:end])
                pos = end + 2
                self.bulklen = -1
                remaining -= 1
            self.remaining = remaining
            if remaining:
                break
            out.append(argv)
            self.argv = None
        self.buf = buf[pos:] if pos < n else b""
        return out

    def _finish_big_bulk(self) -> bool:
        need = self.bulklen + 2
        if self.chunks_len < need:
            return False
        data = b"".join(self.chunks)
        self.chunks = None
        self.chunks_len = 0
        self.argv.append(data[: self.bulklen])
        self.buf = data[need:]
        self.bulklen = -1
        self.remaining -= 1
        return True

    def _inline(self, buf: bytes, pos: int, out: list) -> int:
        """Parse one inline request at pos; return the new position, or -1-pos to wait."""
        nl = buf.find(b"\n", pos)
        if nl >= 0 and buf.find(b"\0", pos, nl) >= 0:
            nl = -1
        if nl < 0:
            if len(buf) - pos > INLINE_MAX_SIZE:
                raise ProtocolError("too big inline request")
            return -1 - pos
        end = nl
        if end != pos and buf[end - 1] == 13:
            end -= 1
        argv = split_args(buf[pos:end])
        if argv is None:
            raise ProtocolError("unbalanced quotes in request")
        if argv:
            out.append(argv)
        return nl + 1


_SPACE = frozenset(b" \t\n\r\v\f")
_TOKEN_END = frozenset(b" \n\r\t")
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("a"): 7}
_HEX = frozenset(b"0123456789abcdefABCDEF")


def split_args(line: bytes) -> list[bytes] | None:
    """sdssplitargs: split an inline request; None for unbalanced quotes."""
    args: list[bytes] = []
    i = 0
    n = len(line)
    while True:
        while i < n and line[i] in _SPACE:
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        inq = insq = False
        while True:
            ch = line[i] if i < n else 0
            if inq:
                if (
                    ch == 92
                    and i + 3 < n
                    and line[i + 1] == 120
                    and line[i + 2] in _HEX
                    and line[i + 3] in _HEX
                ):
                    cur.append(int(line[i + 2 : i + 4], 16))
                    i += 3
                elif ch == 92 and i + 1 < n:
                    i += 1
                    cur.append(_ESCAPES.get(line[i], line[i]))
                elif ch == 34:
                    if i + 1 < n and line[i + 1] not in _SPACE:
                        return None
                    i += 1
                    break
                elif i >= n:
                    return None
                else:
                    cur.append(ch)
            elif insq:
                if ch == 92 and i + 1 < n and line[i + 1] == 39:
                    i += 1
                    cur.append(39)
                elif ch == 39:
                    if i + 1 < n and line[i + 1] not in _SPACE:
                        return None
                    i += 1
                    break
                elif i >= n:
                    return None
                else:
                    cur.append(ch)
            else:
                if i >= n or ch in _TOKEN_END:
                    break
                if ch == 34:
                    inq = True
                elif ch == 39:
                    insq = True
                else:
                    cur.append(ch)
            i += 1
        args.append(bytes(cur))


# --------------------------------------------------------------------------- encoding

# integer replies -1..9999 (Redis replies with its shared integers' encodings too)
_INT_CACHE_MAX = 9999
_INT_CACHE = [b":%d\r\n" % i for i in range(-1, _INT_CACHE_MAX + 1)]
_LEN_CACHE = [b"$%d\r\n" % i for i in range(0, 1025)]
_DOLLAR_CACHE = [b"$%d" % i for i in range(0, 1025)]
_CRLF = b"\r\n"
_TYPES_OF = frozenset
_ONLY_BYTES = frozenset((bytes,))


def format_double(d: float) -> bytes:
    """Redis 7.0's addReplyDouble text: %.17g, with inf/-inf spelled out. Python's %g
    already writes inf, -inf and nan (for a NaN of either sign) as Redis does."""
    return b"%.17g" % d


def _bulk(v: bytes) -> bytes:
    n = len(v)
    if n <= 1024:
        return b"".join((_LEN_CACHE[n], v, _CRLF))
    return b"$%d\r\n%b\r\n" % (n, v)


def encode(v, proto: int = 2) -> bytes:
    """Encode a handler's return value as RESP2 (proto 2) or RESP3 (proto 3)."""
    t = type(v)
    if t is bytes:
        return _bulk(v)
    if t is int:
        if -1 <= v <= _INT_CACHE_MAX:
            return _INT_CACHE[v + 1]
        return b":%d\r\n" % v
    if v is None:
        return b"_\r\n" if proto == 3 else b"$-1\r\n"
    if t is Simple:
        return b"+%b\r\n" % v
    if t is list or t is tuple:
        return _array(b"*", v, proto)
    return _ENCODERS[t](v, proto)


def bulk_array(items: list) -> Raw:
    """The reply (RESP2 and RESP3 alike) of an array whose elements are all bytes, as
    the handler of a type that holds only bytes (a list's LRANGE) knows: encoded here
    without the per-element type check that encode makes."""
    if not items:
        return Raw(b"*0\r\n")
    body = _bulks_of(items)
    if body is None:
        body = b"".join(map(_bulk, items))
    return Raw(b"*%d\r\n%b" % (len(items), body))


def _bulks(items) -> bytes | None:
    """The elements of a non-empty array that holds only bytes, encoded as bulks with
    one join (no Python loop); None for any other array (or elements over 1024 bytes
    of different lengths)."""
    if _TYPES_OF(map(type, items)) != _ONLY_BYTES:  # bytes subclasses (Simple, ...) are not bulks
        return None
    return _bulks_of(items)


def _bulks_of(items) -> bytes | None:
    """_bulks for elements known to be bytes."""
    lens = list(map(len, items))
    size = lens[0]
    if lens.count(size) == len(lens):  # 3.5x cheaper than min() and max() of the list
        # elements of one length (ids, fixed-width values): one separator joins them
        head = b"$%d\r\n" % size
        return b"".join((head, (b"\r\n" + head).join(items), _CRLF))
    parts = [None] * (2 * len(items))
    try:
        parts[0::2] = map(_DOLLAR_CACHE.__getitem__, lens)
    except IndexError:  # a longer element
        return None
    parts[1::2] = items
    parts.append(b"")  # "$n" CRLF element CRLF ... element CRLF
    return _CRLF.join(parts)


def _array(prefix: bytes, items, proto: int) -> bytes:
    if len(items) >= 8:
        body = _bulks(items)
        if body is not None:
            return b"%b%d\r\n%b" % (prefix, len(items), body)
    parts = [b"%b%d\r\n" % (prefix, len(items))]
    append = parts.append
    for item in items:
        t = type(item)
        if t is bytes:
            append(_bulk(item))
        elif t is int and -1 <= item <= _INT_CACHE_MAX:
            append(_INT_CACHE[item + 1])
        else:
            append(encode(item, proto))
    return b"".join(parts)


def _enc_map(v: dict, proto: int) -> bytes:
    if proto == 3:
        header = b"%%%d\r\n" % len(v)
    else:
        header = b"*%d\r\n" % (2 * len(v))
    if len(v) >= 4:
        flat = [None] * (2 * len(v))
        flat[0::2] = v
        flat[1::2] = v.values()
        body = _bulks(flat)
        if body is not None:
            return header + body
    parts = [header]
    for k, val in v.items():
        parts.append(encode(k, proto))
        parts.append(encode(val, proto))
    return b"".join(parts)


def _enc_set(v, proto: int) -> bytes:
    return _array(b"~" if proto == 3 else b"*", list(v), proto)


def _enc_push(v: Push, proto: int) -> bytes:
    return _array(b">" if proto == 3 else b"*", v, proto)


def _enc_double(v: Double, proto: int) -> bytes:
    text = format_double(v)
    if proto == 3:
        return b",%b\r\n" % text
    return _bulk(text)


def _enc_verbatim(v: Verbatim, proto: int) -> bytes:
    if proto == 3:
        return b"=%d\r\ntxt:%b\r\n" % (len(v) + 4, v)
    return _bulk(bytes(v))


def _enc_bignum(v: BigNumber, proto: int) -> bytes:
    if proto == 3:
        return b"(%d\r\n" % v
    return _bulk(b"%d" % v)


def _enc_bool(v: Bool, proto: int) -> bytes:
    if proto == 3:
        return b"#t\r\n" if v.value else b"#f\r\n"
    return b":1\r\n" if v.value else b":0\r\n"


def _enc_null_array(v, proto: int) -> bytes:
    return b"_\r\n" if proto == 3 else b"*-1\r\n"


def _enc_error(v: CommandError, proto: int) -> bytes:
    return b"-%b\r\n" % v.message


_ENCODERS = {
    bytearray: lambda v, proto: _bulk(bytes(v)),
    memoryview: lambda v, proto: _bulk(bytes(v)),
    bool: lambda v, proto: _INT_CACHE[int(v) + 1],
    Raw: lambda v, proto: v,  # already encoded (a bytes subclass joins like bytes)
    dict: _enc_map,
    set: _enc_set,
    frozenset: _enc_set,
    SetReply: _enc_set,
    Push: _enc_push,
    Double: _enc_double,
    Verbatim: _enc_verbatim,
    BigNumber: _enc_bignum,
    Bool: _enc_bool,
    _NullArray: _enc_null_array,
    CommandError: _enc_error,
    type(NO_REPLY): lambda v, proto: b"",
}


def encode_error(err: CommandError) -> bytes:
    return b"-%b\r\n" % err.message
