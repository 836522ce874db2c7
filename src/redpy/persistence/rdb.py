"""The RDB format, version 10, exactly as Redis 7.0.15 writes it, and every older encoding
Redis 7.0 loads.

Writing (`rdb_bytes`, `dump_payload`): the header "REDIS0010"; aux fields redis-ver,
redis-bits, ctime, used-mem, aof-base (what SAVE/BGSAVE of a master without replication
backlog writes: no repl-* fields); per non-empty db SELECTDB and RESIZEDB; per key an
optional EXPIRETIME_MS, under an LRU (LFU) maxmemory-policy an IDLE (FREQ) opcode,
the type, the key and the value; EOF; the CRC64 (0 when rdbchecksum is off). IDLE and
FREQ carry what OBJECT IDLETIME / FREQ answer (evict.py's clocks); loading gives them
back to the keys (evict.set_clock) when the policy keeps that kind of clock. Function
libraries (persistence/functions.py) follow the aux fields.

Value encodings follow each type's `.encoding` like Redis: strings int-encoded when
they round-trip and fit 32 bits, else LZF-compressed when longer than 20 bytes and it
saves at least 4 bytes (rdbcompression), else raw; lists as QUICKLIST_2 with packed
listpack nodes split like the default quicklist fill; hashes as HASH_LISTPACK or HASH;
sets as SET_INTSET or SET; sorted sets as ZSET_LISTPACK or ZSET_2 (binary doubles,
greatest first as Redis writes them); streams as STREAM_LISTPACKS_2, each rax node's
listpack rebuilt entry by entry as streamAppendItem wrote it, deleted entries flagged
(the bytes are the same as Redis's, DUMP for DUMP).

Reading (`Reader`, `load_file`, `restore_payload`) accepts the old types too: linked
list, set, zset with text scores, hash, zipmap, ziplist list/zset/hash, intset, quicklist
v1, the 6.x stream (STREAM_LISTPACKS, upgraded as Redis 7.0 does). Loaded values get
the encoding Redis would pick after loading. Any inconsistency raises `RdbError` with the offset where reading stopped.
"""

from __future__ import annotations

import math
import os
import struct
import time
from bisect import bisect_left

from ..numbers import string2ll
from ..types.rhash import HASHTABLE as H_HT, LISTPACK as H_LP, Hash
from ..types.rlist import RList
from ..types.rset import HASHTABLE as S_HT, INTSET as S_IS, Set
from ..types.stream import MAX_ID, NACK, U64, ZERO_ID, Consumer, Group, Node, Stream
from ..types.zset import LISTPACK as Z_LP, SKIPLIST as Z_SL, ZSet
from . import lzf
from .crc64 import crc64

RDB_VERSION = 10
REDIS_VERSION = b"7.0.15"

# value types
T_STRING, T_LIST, T_SET, T_ZSET, T_HASH, T_ZSET_2 = 0, 1, 2, 3, 4, 5
T_MODULE, T_MODULE_2 = 6, 7
T_HASH_ZIPMAP, T_LIST_ZIPLIST, T_SET_INTSET, T_ZSET_ZIPLIST, T_HASH_ZIPLIST = 9, 10, 11, 12, 13
T_LIST_QUICKLIST, T_STREAM_LISTPACKS, T_HASH_LISTPACK, T_ZSET_LISTPACK = 14, 15, 16, 17
T_LIST_QUICKLIST_2, T_STREAM_LISTPACKS_2 = 18, 19

TYPE_NAMES = {
    0: "string", 1: "list-linked", 2: "set-hashtable", 3: "zset-v1", 4: "hash-hashtable",
    5: "zset-v2", 6: "module-pre-release", 7: "module-value", 9: "hash-zipmap",
    10: "list-ziplist", 11: "set-intset", 12: "zset-ziplist", 13: "hash-ziplist",
    14: "quicklist", 15: "stream", 16: "hash-listpack", 17: "zset-listpack",
    18: "quicklist-v2", 19: "stream-v2",
}

# opcodes
OP_FUNCTION2, OP_FUNCTION, OP_MODULE_AUX = 0xF5, 0xF6, 0xF7
OP_IDLE, OP_FREQ, OP_AUX, OP_RESIZEDB = 0xF8, 0xF9, 0xFA, 0xFB
OP_EXPIRETIME_MS, OP_EXPIRETIME, OP_SELECTDB, OP_EOF = 0xFC, 0xFD, 0xFE, 0xFF

ENC_INT8, ENC_INT16, ENC_INT32, ENC_LZF = 0, 1, 2, 3

QUICKLIST_NODE_PLAIN, QUICKLIST_NODE_PACKED = 1, 2

_pack_d = struct.Struct("<d").pack
_unpack_d = struct.Struct("<d").unpack_from
_pack_q = struct.Struct("<q").pack
_unpack_q = struct.Struct("<q").unpack_from


class RdbError(Exception):
    """A corrupt or truncated RDB: `offset` is where reading stopped."""

    def __init__(self, message: str, offset: int = 0):
        super().__init__(message)
        self.message = message
        self.offset = offset


class RdbLoadError(OSError):
    """Startup could not load the dump (the server must not start empty)."""


# ====================================================================== writing


def enc_len(n: int) -> bytes:
    if n < 64:
        return bytes((n,))
    if n < 16384:
        return bytes((0x40 | (n >> 8), n & 0xFF))
    if n <= 0xFFFFFFFF:
        return b"\x80" + n.to_bytes(4, "big")
    return b"\x81" + n.to_bytes(8, "big")


def _enc_int(v: int) -> bytes | None:
    if -128 <= v <= 127:
        return bytes((0xC0, v & 0xFF))
    if -32768 <= v <= 32767:
        return b"\xc1" + (v & 0xFFFF).to_bytes(2, "little")
    if -(2**31) <= v <= 2**31 - 1:
        return b"\xc2" + (v & 0xFFFFFFFF).to_bytes(4, "little")
    return None


_INT_START = frozenset(b"-0123456789")


def enc_string(s, compress: bool) -> bytes:
    """rdbSaveRawString: int encoding, else LZF when it helps, else length + bytes."""
    n = len(s)
    if n <= 11 and n and s[0] in _INT_START:
        v = string2ll(bytes(s))
        if v is not None:
            e = _enc_int(v)
            if e is not None:
                return e
    if compress and n > 20:
        c = lzf.compress(s, n - 4)
        if c is not None:
            return b"\xc3" + enc_len(len(c)) + enc_len(n) + c
    if n < 64:
        return bytes((n,)) + s
    return enc_len(n) + s


# ---------------------------------------------------------------- listpack


def _lp_backlen(n: int) -> bytes:
    if n <= 127:
        return bytes((n,))
    if n < 16383:
        return bytes((n >> 7, (n & 127) | 128))
    if n < 2097151:
        return bytes((n >> 14, ((n >> 7) & 127) | 128, (n & 127) | 128))
    if n < 268435455:
        return bytes((n >> 21, ((n >> 14) & 127) | 128, ((n >> 7) & 127) | 128, (n & 127) | 128))
    return bytes(
        (n >> 28, ((n >> 21) & 127) | 128, ((n >> 14) & 127) | 128, ((n >> 7) & 127) | 128, (n & 127) | 128)
    )


def lp_entry(s) -> bytes:
    """One listpack entry (encoding, data, backlen) for the element s (bytes)."""
    n = len(s)
    v = string2ll(bytes(s)) if n <= 20 and n and s[0] in _INT_START else None
    if v is not None:
        return lp_int(v)
    if n < 64:
        head = bytes((0x80 | n,))
    elif n < 4096:
        head = bytes((0xE0 | (n >> 8), n & 0xFF))
    else:
        head = b"\xf0" + n.to_bytes(4, "little")
    return head + bytes(s) + _lp_backlen(len(head) + n)


def lp_int(v: int) -> bytes:
    """One listpack integer entry (lpAppendInteger); v fits a signed 64-bit integer."""
    if 0 <= v <= 127:
        return bytes((v, 1))
    if -4096 <= v <= 4095:
        u = v & 0x1FFF
        return bytes((0xC0 | (u >> 8), u & 0xFF, 2))
    if -32768 <= v <= 32767:
        return b"\xf1" + (v & 0xFFFF).to_bytes(2, "little") + b"\x03"
    if -8388608 <= v <= 8388607:
        return b"\xf2" + (v & 0xFFFFFF).to_bytes(3, "little") + b"\x04"
    if -(2**31) <= v <= 2**31 - 1:
        return b"\xf3" + (v & 0xFFFFFFFF).to_bytes(4, "little") + b"\x05"
    return b"\xf4" + (v & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little") + b"\x09"


def lp_build(entries: list[bytes], count: int) -> bytes:
    """A listpack from already-encoded entries."""
    body = b"".join(entries)
    total = 6 + len(body) + 1
    return total.to_bytes(4, "little") + min(count, 65535).to_bytes(2, "little") + body + b"\xff"


def d2string(d: float) -> bytes:
    """Redis 7.0's d2string: how a listpack stores a sorted set score."""
    if math.isinf(d):
        return b"inf" if d > 0 else b"-inf"
    if d == 0:
        return b"-0" if math.copysign(1.0, d) < 0 else b"0"
    if -4503599627370495 < d < 4503599627370496 and d == int(d):
        return b"%d" % int(d)
    return (b"%.17g" % d)


def _quicklist_nodes(lst, fill: int) -> list[bytes]:
    """Split list elements into listpack nodes as quicklistPush does with `fill`."""
    limits = (4096, 8192, 16384, 32768, 65536)
    nodes = []
    entries: list[bytes] = []
    sz = 0
    for el in lst:
        n = len(el)
        if entries:
            # quicklist's SIZE_ESTIMATE_OVERHEAD: a deliberate overestimate
            new_sz = sz + n + 8
            if fill < 0:
                off = -fill - 1
                ok = off < 5 and new_sz <= limits[off]
            else:
                ok = new_sz <= 8192 and len(entries) < fill
            if not ok:
                nodes.append(lp_build(entries, len(entries)))
                entries = []
        if not entries:
            sz = 7
        e = lp_entry(el)
        entries.append(e)
        sz += len(e)
    if entries:
        nodes.append(lp_build(entries, len(entries)))
    return nodes


def _intset_blob(members) -> bytes:
    ints = sorted(int(m) for m in members)
    lo, hi = (ints[0], ints[-1]) if ints else (0, 0)
    if -32768 <= lo and hi <= 32767:
        width, fmt = 2, "h"
    elif -(2**31) <= lo and hi <= 2**31 - 1:
        width, fmt = 4, "i"
    else:
        width, fmt = 8, "q"
    return struct.pack("<II%d%s" % (len(ints), fmt), width, len(ints), *ints)

# ---------------------------------------------------------------- streams


def _s64(v: int) -> int:
    v &= U64
    return v - (1 << 64) if v >> 63 else v


def _raw_id(sid) -> bytes:
    """A stream ID as a rax key: ms and seq as 64-bit big-endian integers."""
    return sid[0].to_bytes(8, "big") + sid[1].to_bytes(8, "big")


def stream_listpack(s: Stream, node: Node, end) -> bytes:
    """The listpack of one node as streamAppendItem built it: the master entry (valid
    count, deleted count, master fields, 0), then per entry (deleted ones flagged)
    flags, ms and seq deltas to the master ID, [field count, fields and] values, and
    the entry's element count. `end` is the next node's master ID (None: last node)."""
    ids = s.ids
    lo = bisect_left(ids, node.master)
    hi = bisect_left(ids, end) if end is not None else len(ids)
    members = ids[lo:hi]
    tomb = node.tomb
    if tomb:
        members = sorted(members + list(tomb))
    fields = node.fields
    nf = len(fields)
    out = [lp_int(node.count), lp_int(node.deleted), lp_int(nf)]
    out.extend(lp_entry(f) for f in fields)
    out.append(b"\x00\x01")
    append, extend = out.append, out.extend
    data = s.data
    mms, mseq = node.master
    small = _LP_SMALL
    entry, lpi = lp_entry, lp_int
    same_tail = lpi(nf + 3)
    other_tail = lpi(2 * nf + 4)
    lo64, hi64 = -(1 << 63), 1 << 63
    for sid in members:
        fv = data.get(sid)
        flags = 0
        if fv is None:
            fv = tomb[sid]
            flags = 1
        n = len(fv) >> 1
        same = n == nf and tuple(fv[0::2]) == fields
        if same:
            flags |= 2
        d_ms = sid[0] - mms
        d_seq = sid[1] - mseq
        if d_seq < lo64 or d_seq >= hi64:
            d_seq = _s64(d_seq)
        append(small[flags])
        append(small[d_ms] if d_ms < 128 else lpi(_s64(d_ms)))
        append(small[d_seq] if 0 <= d_seq < 128 else lpi(d_seq))
        if same:
            extend([entry(v) for v in fv[1::2]])
            append(same_tail)
        else:
            append(lpi(n))
            extend([entry(x) for x in fv])
            append(other_tail if n == nf else lpi(2 * n + 4))
    return lp_build(out, len(out))


_LP_SMALL = [bytes((v, 1)) for v in range(128)]


def _encode_pel_ids(ids) -> bytes:
    return b"".join(_raw_id(sid) for sid in sorted(ids))


def encode_stream(s: Stream, compress: bool) -> bytes:
    """rdbSaveObject for RDB_TYPE_STREAM_LISTPACKS_2 (Redis 7.0): the rax of listpacks,
    length, last ID, first ID, max deleted ID, entries added, then the consumer groups
    (name, last ID, entries read, global PEL with delivery time and count, consumers
    with seen time and their PEL IDs), every rax in key order."""
    nodes = s.nodes
    parts = [enc_len(len(nodes))]
    for i, node in enumerate(nodes):
        end = nodes[i + 1].master if i + 1 < len(nodes) else None
        parts.append(enc_string(_raw_id(node.master), compress))
        parts.append(enc_string(stream_listpack(s, node, end), compress))
    for v in (len(s.ids), *s.last_id, *s.first_id, *s.max_deleted_id, s.entries_added):
        parts.append(enc_len(v))
    groups = s.groups
    parts.append(enc_len(len(groups)))
    for name in sorted(groups):
        g = groups[name]
        parts.append(enc_string(name, compress))
        parts.append(enc_len(g.last_id[0]))
        parts.append(enc_len(g.last_id[1]))
        parts.append(enc_len(g.entries_read & U64))
        pel = g.pel
        parts.append(enc_len(len(pel)))
        for sid in sorted(pel):
            nack = pel[sid]
            parts.append(_raw_id(sid) + _pack_q(nack.delivery_time) + enc_len(nack.delivery_count))
        consumers = g.consumers
        parts.append(enc_len(len(consumers)))
        for cname in sorted(consumers):
            cons = consumers[cname]
            parts.append(enc_string(cname, compress))
            parts.append(_pack_q(cons.seen_time))
            parts.append(enc_len(len(cons.pel)))
            parts.append(_encode_pel_ids(cons.pel))
    return b"".join(parts)


def encode_value(value, compress: bool, config) -> tuple[int, bytes]:
    """rdbSaveObjectType + rdbSaveObject: (type, serialized value)."""
    t = type(value)
    if t is bytes or t is bytearray:
        return T_STRING, enc_string(value, compress)
    if t is RList:
        nodes = _quicklist_nodes(value, config.list_max_listpack_size)
        parts = [enc_len(len(nodes))]
        for node in nodes:
            parts.append(b"\x02")
            parts.append(enc_string(node, compress))
        return T_LIST_QUICKLIST_2, b"".join(parts)
    if t is Hash:
        if value.encoding is H_LP or value.encoding == H_LP:
            entries = []
            for f, v in value.items():
                entries.append(lp_entry(f))
                entries.append(lp_entry(v))
            return T_HASH_LISTPACK, enc_string(lp_build(entries, len(entries)), compress)
        parts = [enc_len(len(value))]
        for f, v in value.items():
            parts.append(enc_string(f, compress))
            parts.append(enc_string(v, compress))
        return T_HASH, b"".join(parts)
    if t is Set:
        if value.encoding == S_IS:
            return T_SET_INTSET, enc_string(_intset_blob(value), compress)
        parts = [enc_len(len(value))]
        for m in value:
            parts.append(enc_string(m, compress))
        return T_SET, b"".join(parts)
    if t is ZSet:
        if value.encoding == Z_LP:
            entries = []
            for m, s in value.items():
                entries.append(lp_entry(m))
                entries.append(lp_entry(d2string(s)))
            return T_ZSET_LISTPACK, enc_string(lp_build(entries, len(entries)), compress)
        parts = [enc_len(len(value))]
        for m, s in value.reversed_items():
            parts.append(enc_string(m, compress))
            parts.append(_pack_d(s))
        return T_ZSET_2, b"".join(parts)
    if t is Stream:
        return T_STREAM_LISTPACKS_2, encode_stream(value, compress)
    raise RdbError(f"cannot serialize a value of type {t.__name__}")


def dump_payload(value, config) -> bytes:
    """DUMP: type + value + RDB version (2 bytes LE) + CRC64 (8 bytes LE)."""
    t, body = encode_value(value, config.rdbcompression, config)
    payload = bytes((t,)) + body + RDB_VERSION.to_bytes(2, "little")
    return payload + crc64(0, payload).to_bytes(8, "little")


def _aux(key: bytes, value) -> bytes:
    if isinstance(value, int):
        value = b"%d" % value
    return b"\xfa" + enc_string(key, False) + enc_string(value, False)


def used_memory() -> int:
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    except Exception:  # pragma: no cover
        return 0


def rdb_chunks(server, now_ms: int | None = None):
    """Yield the RDB file's bytes in chunks, without the trailing checksum."""
    config = server.config
    compress = config.rdbcompression
    yield b"REDIS%04d" % RDB_VERSION
    yield b"".join(
        (
            _aux(b"redis-ver", REDIS_VERSION),
            _aux(b"redis-bits", 64),
            _aux(b"ctime", int(time.time())),
            _aux(b"used-mem", used_memory()),
            _aux(b"aof-base", 0),
        )
    )
    if getattr(server, "lua_engine", None) is not None:
        from .functions import function_records

        yield function_records(server, compress)
    pack_q = _pack_q
    # rdbSaveKeyValuePair writes the LRU idle time (seconds) under an LRU policy and the
    # LFU counter under an LFU policy: what OBJECT IDLETIME / OBJECT FREQ answer (evict.py)
    from ..evict import frequency, idle_seconds

    policy = config.maxmemory_policy
    access = "lru" if "lru" in policy else "lfu" if "lfu" in policy else None
    for db in server.dbs:
        data = db.data
        if not data:
            continue
        expires = db.expires
        yield b"\xfe" + enc_len(db.id) + b"\xfb" + enc_len(len(data)) + enc_len(len(expires))
        out = []
        append = out.append
        for key, value in data.items():
            if expires:
                when = expires.get(key)
                if when is not None:
                    append(b"\xfc" + pack_q(when))
            if access == "lru":
                append(b"\xf8" + enc_len(idle_seconds(db, key)))
            elif access == "lfu":
                append(b"\xf9" + bytes((frequency(db, key),)))
            t = type(value)
            if t is bytes or t is bytearray:
                # the string fast path of encode_value
                append(b"\x00")
                append(enc_string(key, compress))
                append(enc_string(value, compress))
            else:
                t, body = encode_value(value, compress, config)
                append(bytes((t,)) + enc_string(key, compress) + body)
            if len(out) > 30000:
                yield b"".join(out)
                out.clear()
        if out:
            yield b"".join(out)
    yield b"\xff"


def rdb_bytes(server) -> bytes:
    """The whole RDB file as rdbSave writes it."""
    body = b"".join(rdb_chunks(server))
    crc = crc64(0, body) if server.config.rdbchecksum else 0
    return body + crc.to_bytes(8, "little")


def save_to(server, path: str, temp_name: str | None = None) -> None:
    """Write the dump to a temp file, fsync it, rename it over path (crash safe)."""
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, temp_name or "temp-%d.rdb" % os.getpid())
    data = rdb_bytes(server)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(directory)


# ====================================================================== reading


class Reader:
    """A cursor over an RDB image; every read checks the bounds (unexpected EOF)."""

    __slots__ = ("buf", "pos", "end")

    def __init__(self, buf: bytes, pos: int = 0, end: int | None = None):
        self.buf = buf
        self.pos = pos
        self.end = len(buf) if end is None else end

    def fail(self, message: str):
        raise RdbError(message, self.pos)

    def read(self, n: int) -> bytes:
        p = self.pos
        if p + n > self.end:
            raise RdbError("Unexpected EOF reading RDB file", self.pos)
        self.pos = p + n
        return self.buf[p : p + n]

    def byte(self) -> int:
        p = self.pos
        if p >= self.end:
            raise RdbError("Unexpected EOF reading RDB file", p)
        self.pos = p + 1
        return self.buf[p]

    def length_enc(self) -> tuple[int, bool]:
        """(length, is_encoded) as rdbLoadLenByRef."""
        b = self.byte()
        kind = b >> 6
        if kind == 0:
            return b & 0x3F, False
        if kind == 1:
            return ((b & 0x3F) << 8) | self.byte(), False
        if kind == 3:
            return b & 0x3F, True
        if b == 0x80:
            return int.from_bytes(self.read(4), "big"), False
        if b == 0x81:
            return int.from_bytes(self.read(8), "big"), False
        self.pos -= 1
        self.fail(f"Unknown length encoding {b} in rdbLoadLen()")

    def length(self) -> int:
        n, enc = self.length_enc()
        if enc:
            self.pos -= 1
            self.fail("Unexpected encoded length")
        return n

    def string(self) -> bytes:
        n, enc = self.length_enc()
        if not enc:
            return self.read(n)
        if n == ENC_INT8:
            return b"%d" % int.from_bytes(self.read(1), "little", signed=True)
        if n == ENC_INT16:
            return b"%d" % int.from_bytes(self.read(2), "little", signed=True)
        if n == ENC_INT32:
            return b"%d" % int.from_bytes(self.read(4), "little", signed=True)
        if n == ENC_LZF:
            clen = self.length()
            ulen = self.length()
            data = self.read(clen)
            if ulen == 0:
                self.fail("Invalid LZF compressed string")
            try:
                return lzf.decompress(data, ulen)
            except lzf.LZFError as e:
                self.fail(f"Invalid LZF compressed string ({e})")
        self.fail(f"Unknown RDB string encoding type {n}")

    def double_text(self) -> float:
        n = self.byte()
        if n == 253:
            return math.nan
        if n == 254:
            return math.inf
        if n == 255:
            return -math.inf
        text = self.read(n)
        try:
            return float(text.decode("ascii"))
        except ValueError:
            self.fail("Invalid double value")

    def double_bin(self) -> float:
        return _unpack_d(self.read(8))[0]


# ---------------------------------------------------------------- blobs


def _blob_fail(what: str):
    raise RdbError(f"{what} integrity check failed")


def lp_decode(blob: bytes, ints: bool = False) -> list:
    """The elements of a listpack: integers as their decimal text, or as int with ints."""
    n = len(blob)
    if n < 7 or int.from_bytes(blob[0:4], "little") != n or blob[-1] != 0xFF:
        _blob_fail("Listpack")
    count = int.from_bytes(blob[4:6], "little")
    out = []
    append = out.append
    num = int if ints else (lambda v: b"%d" % v)
    p = 6
    end = n - 1
    while p < end:
        b = blob[p]
        start = p
        if b < 0x80:
            append(num(b))
            p += 1
        elif b < 0xC0:
            ln = b & 0x3F
            append(blob[p + 1 : p + 1 + ln])
            p += 1 + ln
        elif b < 0xE0:
            v = ((b & 0x1F) << 8) | blob[p + 1]
            if v >= 1 << 12:
                v -= 1 << 13
            append(num(v))
            p += 2
        elif b < 0xF0:
            ln = ((b & 0x0F) << 8) | blob[p + 1]
            append(blob[p + 2 : p + 2 + ln])
            p += 2 + ln
        elif b == 0xF0:
            ln = int.from_bytes(blob[p + 1 : p + 5], "little")
            append(blob[p + 5 : p + 5 + ln])
            p += 5 + ln
        elif b in _LP_INT_WIDTH:
            w = _LP_INT_WIDTH[b]
            append(num(int.from_bytes(blob[p + 1 : p + 1 + w], "little", signed=True)))
            p += 1 + w
        else:
            _blob_fail("Listpack")
        if p > end:
            _blob_fail("Listpack")
        enclen = p - start
        if enclen <= 127:
            if blob[p] != enclen:
                _blob_fail("Listpack")
            p += 1
        else:
            bl = _lp_backlen(enclen)
            if blob[p : p + len(bl)] != bl:
                _blob_fail("Listpack")
            p += len(bl)
    if p != end or (count != 65535 and count != len(out)):
        _blob_fail("Listpack")
    return out


_LP_INT_WIDTH = {0xF1: 2, 0xF2: 3, 0xF3: 4, 0xF4: 8}


def ziplist_decode(blob: bytes) -> list[bytes]:
    """The elements of a ziplist (the pre-7.0 compact encoding)."""
    n = len(blob)
    if n < 11 or int.from_bytes(blob[0:4], "little") != n or blob[-1] != 0xFF:
        _blob_fail("Ziplist")
    count = int.from_bytes(blob[8:10], "little")
    out = []
    p = 10
    end = n - 1
    while p < end:
        p += 1 if blob[p] < 254 else 5
        if p >= end:
            _blob_fail("Ziplist")
        b = blob[p]
        kind = b >> 6
        if kind == 0:
            out.append(blob[p + 1 : p + 1 + (b & 0x3F)])
            p += 1 + (b & 0x3F)
        elif kind == 1:
            ln = ((b & 0x3F) << 8) | blob[p + 1]
            out.append(blob[p + 2 : p + 2 + ln])
            p += 2 + ln
        elif kind == 2:
            ln = int.from_bytes(blob[p + 1 : p + 5], "big")
            out.append(blob[p + 5 : p + 5 + ln])
            p += 5 + ln
        else:
            if b == 0xC0:
                w = 2
            elif b == 0xD0:
                w = 4
            elif b == 0xE0:
                w = 8
            elif b == 0xF0:
                w = 3
            elif b == 0xFE:
                w = 1
            elif 0xF1 <= b <= 0xFD:
                out.append(b"%d" % ((b & 0x0F) - 1))
                p += 1
                continue
            else:
                _blob_fail("Ziplist")
            out.append(b"%d" % int.from_bytes(blob[p + 1 : p + 1 + w], "little", signed=True))
            p += 1 + w
        if p > end:
            _blob_fail("Ziplist")
    if p != end or (count != 65535 and count != len(out)):
        _blob_fail("Ziplist")
    return out


def intset_decode(blob: bytes) -> list[bytes]:
    if len(blob) < 8:
        _blob_fail("Intset")
    width, count = struct.unpack_from("<II", blob)
    if width not in (2, 4, 8) or len(blob) != 8 + width * count:
        _blob_fail("Intset")
    fmt = {2: "h", 4: "i", 8: "q"}[width]
    ints = struct.unpack_from("<%d%s" % (count, fmt), blob, 8)
    for a, b in zip(ints, ints[1:]):
        if a >= b:
            _blob_fail("Intset")
    return [b"%d" % i for i in ints]


def zipmap_decode(blob: bytes) -> list[bytes]:
    out = []
    p = 1
    n = len(blob)
    try:
        while blob[p] != 0xFF:
            for is_value in (False, True):
                b = blob[p]
                if b < 254:
                    ln = b
                    p += 1
                else:
                    ln = int.from_bytes(blob[p + 1 : p + 5], "little")
                    p += 5
                free = 0
                if is_value:
                    free = blob[p]
                    p += 1
                if p + ln > n:
                    _blob_fail("Zipmap")
                out.append(blob[p : p + ln])
                p += ln + free
    except IndexError:
        _blob_fail("Zipmap")
    if p != n - 1:
        _blob_fail("Zipmap")
    return out


# ---------------------------------------------------------------- objects


def _make_hash(pairs: list[bytes], config, r: Reader, check_values: bool = True) -> Hash | None:
    """A loaded hash. Only the entry count decides for a ziplist or listpack blob
    (Redis keeps long values in it); the zipmap and the plain type check lengths too."""
    if not pairs:
        return None
    if len(pairs) % 2:
        r.fail("Hash with an odd number of elements")
    h = Hash(encoding=H_LP)
    it = iter(pairs)
    limit = config.hash_max_listpack_value
    big = False
    for f in it:
        v = next(it)
        if f in h:
            r.fail("Duplicate hash fields detected")
        h[f] = v
        if check_values and (len(f) > limit or len(v) > limit):
            big = True
    if big or len(h) > config.hash_max_listpack_entries:
        h.encoding = H_HT
    return h


def _make_zset(pairs, config, r: Reader, listpack: bool) -> ZSet | None:
    """A loaded sorted set. From a ziplist or listpack blob only the entry count decides
    (Redis keeps long members in it); from the skiplist types the lengths count too."""
    if not pairs:
        return None
    d = {}
    maxlen = 0
    for m, s in pairs:
        if m in d:
            r.fail("Duplicate zset fields detected")
        if s != s:
            r.fail("Zset with NAN score detected")
        d[m] = s
        if len(m) > maxlen:
            maxlen = len(m)
    fits = len(d) <= config.zset_max_listpack_entries and (listpack or maxlen <= config.zset_max_listpack_value)
    return ZSet.from_dict(d, Z_LP if fits else Z_SL)


def _score_from_text(r: Reader, text: bytes) -> float:
    try:
        return float(text.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        r.fail("Zset listpack with an invalid score")


# ---------------------------------------------------------------- streams


def _lp_ints(els, i: int, n: int, r: "Reader") -> list[int]:
    """n integer elements from i (els decoded with ints=True)."""
    out = els[i : i + n]
    if len(out) != n:
        r.fail("Stream listpack integrity check failed.")
    for j, v in enumerate(out):
        if type(v) is not int:
            v = string2ll(v)
            if v is None:
                r.fail("Stream listpack integrity check failed.")
            out[j] = v
    return out


def _as_bytes(xs) -> list[bytes]:
    return [b"%d" % x if type(x) is int else x for x in xs]


def _stream_node(key: bytes, blob: bytes, r: "Reader"):
    """A node from its rax key and listpack: (Node, [(id, fields and values, deleted)])."""
    bad = "Stream listpack integrity check failed."
    try:
        els = lp_decode(blob, ints=True)
    except RdbError:
        r.fail(bad)
    if not els:
        r.fail("Empty listpack inside stream")
    master = (int.from_bytes(key[:8], "big"), int.from_bytes(key[8:], "big"))
    count, deleted, nf = _lp_ints(els, 0, 3, r)
    if nf < 0 or len(els) < 4 + nf:
        r.fail(bad)
    fields = tuple(_as_bytes(els[3 : 3 + nf]))
    if els[3 + nf] != 0:
        r.fail(bad)
    node = Node(master, fields, len(blob))
    node.count, node.deleted = count, deleted
    entries = []
    i = 4 + nf
    n_els = len(els)
    prev = None
    valid = dead = 0
    while i < n_els:
        flags, msd, seqd = _lp_ints(els, i, 3, r)
        i += 3
        if flags & 2:
            vals = els[i : i + nf]
            if len(vals) != nf:
                r.fail(bad)
            fv = [None] * (2 * nf)
            fv[0::2] = fields
            fv[1::2] = _as_bytes(vals)
            i += nf
            want = nf + 3
        else:
            (n,) = _lp_ints(els, i, 1, r)
            i += 1
            if n < 0 or i + 2 * n > n_els:
                r.fail(bad)
            fv = _as_bytes(els[i : i + 2 * n])
            i += 2 * n
            want = 2 * n + 4
        (lpc,) = _lp_ints(els, i, 1, r)
        i += 1
        if lpc != want:
            r.fail(bad)
        sid = ((master[0] + msd) & U64, (master[1] + seqd) & U64)
        if sid < master or (prev is not None and sid <= prev):
            r.fail(bad)
        prev = sid
        if flags & 1:
            dead += 1
        else:
            valid += 1
        entries.append((sid, fv, flags & 1))
    if valid != count or dead != deleted or not entries:
        r.fail(bad)
    node.last = prev
    return node, entries


def _read_raw_id(r: "Reader"):
    raw = r.read(16)
    return (int.from_bytes(raw[:8], "big"), int.from_bytes(raw[8:], "big"))


def load_stream(r: "Reader", t: int) -> Stream:
    """rdbLoadObject for RDB_TYPE_STREAM_LISTPACKS(_2), with Redis's error texts."""
    s = Stream()
    nodes = []
    for _ in range(r.length()):
        key = r.string()
        if len(key) != 16:
            r.fail("Stream node key entry is not the size of a stream ID")
        blob = r.string()
        nodes.append(_stream_node(key, blob, r))
    nodes.sort(key=lambda ne: ne[0].master)
    ids, data = s.ids, s.data
    for j, (node, entries) in enumerate(nodes):
        if j and node.master == nodes[j - 1][0].master:
            r.fail("Listpack re-added with existing key")
        if j + 1 < len(nodes) and node.last >= nodes[j + 1][0].master:
            r.fail("Stream listpack integrity check failed.")
        for sid, fv, dead in entries:
            if dead:
                node.tomb[sid] = fv
            else:
                ids.append(sid)
                data[sid] = fv
        s.nodes.append(node)
    length = r.length()
    if length != len(ids):
        r.fail("Stream listpack integrity check failed.")
    s.last_id = (r.length(), r.length())
    if s.nodes and s.last_id < s.nodes[-1].last:
        # Redis never writes this; XADD would then break the ID order, so it is refused
        r.fail("Stream listpack integrity check failed.")
    if t == T_STREAM_LISTPACKS_2:
        s.first_id = (r.length(), r.length())
        s.max_deleted_id = (r.length(), r.length())
        s.entries_added = r.length()
    else:
        # as Redis 7.0 migrates a 6.x stream: no tombstones known, offset = length
        s.max_deleted_id = ZERO_ID
        s.entries_added = length
        s.first_id = ids[0] if ids else MAX_ID
    groups = {}
    for _ in range(r.length()):
        name = r.string()
        last = (r.length(), r.length())
        if t == T_STREAM_LISTPACKS_2:
            er = r.length()
            if er >> 63:
                er -= 1 << 64
        else:
            er = s.estimate_distance(last)
        if name in groups:
            r.fail("Duplicated consumer group name %s" % name.decode("latin-1"))
        g = groups[name] = Group(last, er)
        pel = g.pel
        for _ in range(r.length()):
            sid = _read_raw_id(r)
            nack = NACK(None, _unpack_q(r.read(8))[0])
            nack.delivery_count = r.length()
            if sid in pel:
                r.fail("Duplicated global PEL entry loading stream consumer group")
            pel[sid] = nack
        consumers = {}
        for _ in range(r.length()):
            cname = r.string()
            if cname in consumers:
                r.fail("Duplicate stream consumer detected.")
            cons = consumers[cname] = Consumer(cname, _unpack_q(r.read(8))[0])
            for _ in range(r.length()):
                sid = _read_raw_id(r)
                nack = pel.get(sid)
                if nack is None:
                    r.fail("Consumer entry not found in group global PEL")
                if sid in cons.pel:
                    r.fail("Duplicated consumer PEL entry  loading a stream consumer group")
                nack.consumer = cons
                cons.pel[sid] = nack
        # Redis checks this only under sanitize-dump-payload; a NACK without an owner
        # would break XPENDING/XCLAIM here, so it is always refused.
        for nack in pel.values():
            if nack.consumer is None:
                r.fail("Stream CG PEL entry without consumer")
        g.consumers = dict(sorted(consumers.items()))
    s.groups = dict(sorted(groups.items()))
    return s


def load_object(r: Reader, t: int, config):
    """rdbLoadObject: the value of type t, or None for an empty container."""
    if t == T_STRING:
        return r.string()
    if t == T_LIST:
        n = r.length()
        return RList(r.string() for _ in range(n)) or None
    if t in (T_LIST_QUICKLIST, T_LIST_QUICKLIST_2):
        n = r.length()
        lst = RList()
        for _ in range(n):
            container = QUICKLIST_NODE_PACKED
            if t == T_LIST_QUICKLIST_2:
                container = r.length()
                if container not in (QUICKLIST_NODE_PLAIN, QUICKLIST_NODE_PACKED):
                    r.fail(f"Quicklist integrity check failed (container {container})")
            blob = r.string()
            if container == QUICKLIST_NODE_PLAIN:
                lst.append(blob)
                continue
            try:
                els = lp_decode(blob) if t == T_LIST_QUICKLIST_2 else ziplist_decode(blob)
            except RdbError as e:
                r.fail(e.message)
            # Redis skips empty nodes when loading.
            lst.extend(els)
        return lst or None
    if t == T_LIST_ZIPLIST:
        try:
            return RList(ziplist_decode(r.string())) or None
        except RdbError as e:
            r.fail(e.message)
    if t == T_SET:
        n = r.length()
        s = Set(encoding=S_IS if n <= config.set_max_intset_entries else S_HT)
        for _ in range(n):
            m = r.string()
            if m in s:
                r.fail("Duplicate set members detected")
            s.add(m)
            if s.encoding is S_IS and string2ll(m) is None:
                s.encoding = S_HT
        return s or None
    if t == T_SET_INTSET:
        try:
            members = intset_decode(r.string())
        except RdbError as e:
            r.fail(e.message)
        s = Set(members, encoding=S_IS)
        if len(s) > config.set_max_intset_entries:
            s.encoding = S_HT
        return s or None
    if t in (T_ZSET, T_ZSET_2):
        n = r.length()
        pairs = []
        for _ in range(n):
            m = r.string()
            s = r.double_bin() if t == T_ZSET_2 else r.double_text()
            pairs.append((m, s))
        return _make_zset(pairs, config, r, False)
    if t in (T_ZSET_ZIPLIST, T_ZSET_LISTPACK):
        blob = r.string()
        try:
            els = lp_decode(blob) if t == T_ZSET_LISTPACK else ziplist_decode(blob)
        except RdbError as e:
            r.fail(e.message)
        if len(els) % 2:
            r.fail("Zset listpack with an odd number of elements")
        pairs = [(els[i], _score_from_text(r, els[i + 1])) for i in range(0, len(els), 2)]
        return _make_zset(pairs, config, r, True)
    if t == T_HASH:
        n = r.length()
        pairs = []
        for _ in range(n):
            pairs.append(r.string())
            pairs.append(r.string())
        return _make_hash(pairs, config, r)
    if t in (T_HASH_ZIPMAP, T_HASH_ZIPLIST, T_HASH_LISTPACK):
        blob = r.string()
        try:
            if t == T_HASH_LISTPACK:
                els = lp_decode(blob)
            elif t == T_HASH_ZIPLIST:
                els = ziplist_decode(blob)
            else:
                els = zipmap_decode(blob)
        except RdbError as e:
            r.fail(e.message)
        return _make_hash(els, config, r, check_values=t == T_HASH_ZIPMAP)
    if t in (T_STREAM_LISTPACKS, T_STREAM_LISTPACKS_2):
        return load_stream(r, t)
    if t in (T_MODULE, T_MODULE_2):
        r.fail("Module values are not supported by this server")
    r.fail(f"Unknown RDB encoding type {t}")


def restore_payload(payload: bytes, config):
    """RESTORE's check and decode: the value, or raise ValueError(kind).

    kind "version" for a bad footer or checksum (verifyDumpPayload), "format" for a
    value that does not decode (rdbLoadObjectType/rdbLoadObject).
    """
    n = len(payload)
    if n < 10:
        raise ValueError("version")
    ver = int.from_bytes(payload[n - 10 : n - 8], "little")
    if ver > RDB_VERSION:
        raise ValueError("version")
    if not getattr(config, "skip_checksum_validation", False):
        if crc64(0, memoryview(payload)[: n - 8]) != int.from_bytes(payload[n - 8 :], "little"):
            raise ValueError("version")
    # Redis reads the value from a buffer over the whole payload: a value that runs
    # past its end into the footer still loads (checked against the oracle).
    r = Reader(payload, 0, n)
    try:
        t = r.byte()
        if t > T_STREAM_LISTPACKS_2 or t == 8:
            raise ValueError("format")
        value = load_object(r, t, config)
    except RdbError:
        raise ValueError("format") from None
    if value is None:
        raise ValueError("format")
    return t, value


# ---------------------------------------------------------------- whole files


def parse(buf: bytes, config, on_aux=None, on_key=None, check_crc: bool = True, on_select=None,
          on_function=None, on_clock=None) -> dict:
    """Walk an RDB image; call on_key(dbid, key, value, expire_ms) for every key,
    on_clock(dbid, key, lfu_freq, lru_idle) after it when the key had a FREQ or IDLE
    record (the other is -1), and on_function(code) for every function library.

    Returns statistics. Raises RdbError at the first inconsistency.
    """
    if len(buf) < 9 or buf[:5] != b"REDIS":
        raise RdbError("Wrong signature trying to load DB from file", 0)
    try:
        ver = int(buf[5:9])
    except ValueError:
        raise RdbError("Wrong signature trying to load DB from file", 0) from None
    if ver < 1 or ver > RDB_VERSION:
        raise RdbError(f"Can't handle RDB format version {ver}", 0)
    r = Reader(buf, 9)
    dbid = 0
    expire = lru_idle = lfu_freq = -1
    stats = {"keys": 0, "expires": 0, "version": ver}
    while True:
        t = r.byte()
        if t == OP_EXPIRETIME_MS:
            expire = _unpack_q(r.read(8))[0]
            continue
        if t == OP_EXPIRETIME:
            expire = int.from_bytes(r.read(4), "little", signed=True) * 1000
            continue
        if t == OP_IDLE:
            lru_idle = r.length()
            continue
        if t == OP_FREQ:
            lfu_freq = r.byte()
            continue
        if t == OP_SELECTDB:
            dbid = r.length()
            if on_select:
                on_select(dbid, r.pos)
            if dbid >= config.databases:
                r.fail(f"FATAL: Data file was created with a Redis server configured to handle more than {config.databases} databases. Exiting")
            continue
        if t == OP_RESIZEDB:
            r.length()
            r.length()
            continue
        if t == OP_AUX:
            k = r.string()
            v = r.string()
            if on_aux:
                on_aux(k, v, r.pos)
            continue
        if t == OP_MODULE_AUX:
            r.fail("Module auxiliary data is not supported by this server")
        if t in (OP_FUNCTION, OP_FUNCTION2):
            from .functions import read_library

            try:
                code = read_library(r, t)
            except RdbError as e:
                raise RdbError("Failed loading library, " + e.message, e.offset) from None
            stats["functions"] = stats.get("functions", 0) + 1
            if on_function:
                on_function(code)
            continue
        if t == OP_EOF:
            break
        if t > T_STREAM_LISTPACKS_2 or t == 8:
            r.pos -= 1
            r.fail(f"Unknown RDB encoding type {t}")
        try:
            key = r.string()
        except RdbError as e:
            e.doing = "read-key"
            e.type = t
            raise
        try:
            value = load_object(r, t, config)
        except RdbError as e:
            e.doing = "read-object-value"
            e.key = key
            e.type = t
            raise
        stats["keys"] += 1
        if expire != -1:
            stats["expires"] += 1
        if value is not None and on_key:
            on_key(dbid, key, value, expire)
            if on_clock is not None and (lru_idle >= 0 or lfu_freq >= 0):
                on_clock(dbid, key, lfu_freq, lru_idle)
        expire = lru_idle = lfu_freq = -1
    stats["end"] = r.pos
    if ver >= 5:
        stored = int.from_bytes(r.read(8), "little")
        if check_crc and stored and config.rdbchecksum:
            got = crc64(0, memoryview(buf)[: r.pos - 8])
            if got != stored:
                raise RdbError(f"Wrong RDB checksum expected: ({stored:x}) got ({got:x}). Aborting now.", r.pos - 8)
        stats["checksum"] = stored
    return stats


def load_into(server, buf: bytes, replace_functions: bool = False) -> dict:
    """Replace the dataset with the dump's content (expired keys are skipped, as a master
    does) and add its function libraries to the current ones (a library that exists is
    an error unless replace_functions, DEBUG RELOAD MERGE's RDBFLAGS_ALLOW_DUP)."""
    now = int(time.time() * 1000)
    dbs = server.dbs
    loaded = {}

    def on_key(dbid, key, value, expire):
        if expire != -1 and expire < now:
            loaded["expired"] = loaded.get("expired", 0) + 1
            return
        db = dbs[dbid]
        if key in db.data:
            raise RdbError(f"Duplicate key '{key!r}' found in RDB file", 0)
        db.data[key] = value
        if expire != -1:
            db.expires[key] = expire

    clocks = []  # (dbid, key, lfu_freq, lru_idle): applied once the keys are in

    def on_clock(dbid, key, lfu_freq, lru_idle):
        if key in dbs[dbid].data:
            clocks.append((dbid, key, lfu_freq, lru_idle))

    on_function, install_functions = function_loader(server, replace_functions)

    # parse into fresh dicts first so that a corrupt file leaves the dataset untouched
    saved = [(db.data, db.expires) for db in dbs]
    for db in dbs:
        db.data, db.expires = {}, {}
    try:
        stats = parse(buf, server.config, on_key=on_key, on_function=on_function, on_clock=on_clock)
        install_functions(stats["end"])
    except BaseException:
        for db, (d, e) in zip(dbs, saved):
            db.data, db.expires = d, e
        raise
    stats["expired"] = loaded.get("expired", 0)
    if server.key_hook is not None:
        from ..evict import recompute

        for db in dbs:
            if db.access is not None:
                db.access.clear()
        recompute(server)  # maxmemory: estimate the loaded keys
        from ..evict import set_clock

        for dbid, key, lfu_freq, lru_idle in clocks:
            set_clock(dbs[dbid], key, lfu_freq, lru_idle)
    return stats


def function_loader(server, replace: bool = False):
    """(on_function, install) for parse(): the libraries of a file are compiled as they
    are read, and `install(offset)` adds them to the server's once the file is read (a
    library that exists is an error unless `replace`)."""
    from ..errors import CommandError

    compiler = None

    def on_function(code):
        nonlocal compiler
        from .functions import Compiler

        if compiler is None:
            compiler = Compiler(server)
        try:
            compiler.add(code)
        except CommandError as e:
            raise RdbError("Failed loading library, " + _err_text(e), 0) from None

    def install(offset: int) -> None:
        if compiler is None:
            return
        from .functions import join

        try:
            join(server, compiler.libraries, replace)
        except CommandError as e:
            raise RdbError("Failed loading library, " + _err_text(e), offset) from None

    return on_function, install


def fsync_dir(path: str) -> None:
    """fsync a directory (after a rename in it); a failure is ignored, as in Redis."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def _err_text(e) -> str:
    """A CommandError's text without the "ERR " code, as Redis logs library errors."""
    msg = e.args[0] if e.args else b""
    if isinstance(msg, bytes):
        msg = msg.decode("utf-8", "replace")
    return msg[4:] if msg.startswith("ERR ") else msg


def load_file(server, path: str) -> dict | None:
    """rdbLoad: None when there is no file."""
    try:
        with open(path, "rb") as f:
            buf = f.read()
    except FileNotFoundError:
        return None
    return load_into(server, buf)
