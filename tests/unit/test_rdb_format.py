"""The RDB building blocks without sockets: CRC64, LZF, lengths, strings, listpack,
ziplist, intset, zipmap, whole-file parsing and its errors.

Expected bytes come from redis-server 7.0.15 (DUMP replies and SAVE files captured from
the oracle) or from the format's definition where noted.
"""

from __future__ import annotations

import math
import os
import random
import struct

import pytest

from redpy.config import Config
from redpy.persistence import lzf, rdb
from redpy.persistence.crc64 import crc64
from redpy.types.rhash import Hash
from redpy.types.rlist import RList
from redpy.types.rset import Set
from redpy.types.zset import ZSet


def test_crc64_check_value():
    # crc64.c's own test vector
    assert crc64(0, b"123456789") == 0xE9C6D914C4B8D9CA
    assert crc64(0, b"") == 0
    # continuing over two pieces equals one pass, for every split (slicing-by-8 edges)
    data = bytes(range(50))
    for cut in range(len(data)):
        assert crc64(crc64(0, data[:cut]), data[cut:]) == crc64(0, data)


def test_lzf_matches_redis_output():
    # DUMP of SET s "a"*100 and of a repetitive sentence from redis-server 7.0.15
    assert lzf.compress(b"a" * 100, 96) == b"\x01aa\xe0W\x00\x01aa"
    s = b"hello world hello world hello world hello world abcabcabc"
    assert lzf.compress(s, len(s) - 4) == b"\x0chello world h\xe0\x1a\x0b\x02abc@\x02\x01bc"


def test_lzf_roundtrip_and_limits():
    rng = random.Random(7)
    for i in range(300):
        n = rng.randint(1, 700)
        data = bytes(rng.choice(b"abc") for _ in range(n)) if i % 2 else os.urandom(n)
        c = lzf.compress(data, n + 64)
        assert c is not None and lzf.decompress(c, n) == data
    # incompressible data does not fit in len-4 bytes: Redis then stores it raw
    assert lzf.compress(os.urandom(100), 96) is None
    with pytest.raises(lzf.LZFError):
        lzf.decompress(b"\x01aa\xe0W\x00\x01aa", 99)
    with pytest.raises(lzf.LZFError):
        lzf.decompress(b"\xe0\x10\x00", 10)  # back reference before the start


def test_length_encoding():
    assert rdb.enc_len(0) == b"\x00"
    assert rdb.enc_len(63) == b"\x3f"
    assert rdb.enc_len(64) == b"\x40\x40"
    assert rdb.enc_len(16383) == b"\x7f\xff"
    assert rdb.enc_len(16384) == b"\x80\x00\x00\x40\x00"
    assert rdb.enc_len(2**32) == b"\x81" + (2**32).to_bytes(8, "big")
    for n in (0, 1, 63, 64, 300, 16383, 16384, 2**32 - 1, 2**32, 2**40):
        assert rdb.Reader(rdb.enc_len(n)).length() == n


def test_string_encodings():
    assert rdb.enc_string(b"12", True) == b"\xc0\x0c"
    assert rdb.enc_string(b"-129", True) == b"\xc1\x7f\xff"
    assert rdb.enc_string(b"70000", True) == b"\xc2\x70\x11\x01\x00"
    # not canonical integers, or beyond 32 bits: raw
    assert rdb.enc_string(b"012", True) == b"\x03012"
    assert rdb.enc_string(b"4294967296", True) == b"\x0a4294967296"
    assert rdb.enc_string(b"a" * 100, True)[:1] == b"\xc3"
    assert rdb.enc_string(b"a" * 100, False) == b"\x40\x64" + b"a" * 100
    for s in (b"", b"0", b"-1", b"x", b"a" * 100, os.urandom(300), b"9" * 11):
        assert rdb.Reader(rdb.enc_string(s, True)).string() == s


def test_listpack_entries_roundtrip():
    els = [b"0", b"127", b"128", b"-1", b"4095", b"-4096", b"4096", b"32767", b"-32769",
           b"8388607", b"8388608", b"2147483648", b"-9223372036854775808", b"", b"x" * 63,
           b"y" * 64, b"z" * 4095, b"w" * 4096, b"01", b"+1", b" 1"]
    blob = rdb.lp_build([rdb.lp_entry(e) for e in els], len(els))
    assert rdb.lp_decode(blob) == els
    with pytest.raises(rdb.RdbError):
        rdb.lp_decode(blob[:-1] + b"\x00")
    with pytest.raises(rdb.RdbError):
        rdb.lp_decode(blob[:10])


def _ziplist(entries) -> bytes:
    """A ziplist built from the format definition (prevlen, encoding, data)."""
    body = b""
    prev = 0
    for e in entries:
        pl = bytes((prev,)) if prev < 254 else b"\xfe" + prev.to_bytes(4, "little")
        if isinstance(e, int):
            if 0 <= e <= 12:
                enc = bytes((0xF1 + e,))
            elif -128 <= e <= 127:
                enc = b"\xfe" + struct.pack("<b", e)
            elif -32768 <= e <= 32767:
                enc = b"\xc0" + struct.pack("<h", e)
            elif -(2**23) <= e < 2**23:
                enc = b"\xf0" + (e & 0xFFFFFF).to_bytes(3, "little")
            elif -(2**31) <= e < 2**31:
                enc = b"\xd0" + struct.pack("<i", e)
            else:
                enc = b"\xe0" + struct.pack("<q", e)
        else:
            n = len(e)
            if n < 64:
                enc = bytes((n,)) + e
            elif n < 16384:
                enc = bytes((0x40 | (n >> 8), n & 0xFF)) + e
            else:
                enc = b"\x80" + n.to_bytes(4, "big") + e
        entry = pl + enc
        body += entry
        prev = len(entry)
    total = 10 + len(body) + 1
    return struct.pack("<IIH", total, 10, len(entries)) + body + b"\xff"


def test_ziplist_decoding():
    ents = [b"a", 0, 12, 13, -1, 300, -70000, 2**40, b"x" * 100, b"y" * 20000]
    want = [b"a", b"0", b"12", b"13", b"-1", b"300", b"-70000", b"%d" % 2**40, b"x" * 100, b"y" * 20000]
    assert rdb.ziplist_decode(_ziplist(ents)) == want
    with pytest.raises(rdb.RdbError):
        rdb.ziplist_decode(_ziplist(ents)[:-3])


def test_intset_and_zipmap_decoding():
    blob = struct.pack("<II3i", 4, 3, -5, 7, 70000)
    assert rdb.intset_decode(blob) == [b"-5", b"7", b"70000"]
    with pytest.raises(rdb.RdbError):
        rdb.intset_decode(struct.pack("<II2i", 4, 2, 7, 7))  # not strictly ascending
    zm = b"\x02" + b"\x01f\x02\x00v1" + b"\x03abc\x01\x01Z!" + b"\xff"
    assert rdb.zipmap_decode(zm) == [b"f", b"v1", b"abc", b"Z"]


def test_d2string():
    assert rdb.d2string(1.0) == b"1"
    assert rdb.d2string(-0.0) == b"-0"
    assert rdb.d2string(2.5) == b"2.5"
    assert rdb.d2string(0.1) == b"0.10000000000000001"
    assert rdb.d2string(math.inf) == b"inf"
    assert rdb.d2string(1e300) == b"1.0000000000000001e+300"


def _roundtrip(value, config=None):
    config = config or Config()
    t, got = rdb.restore_payload(rdb.dump_payload(value, config), config)
    return got


def test_value_roundtrip_and_encodings():
    cfg = Config()
    big = RList(b"%d" % i * (i % 9) for i in range(5000))
    got = _roundtrip(big)
    assert type(got) is RList and list(got) == list(big)
    h = Hash({b"f": b"v", b"n": b"1"})
    got = _roundtrip(h)
    assert got == h and got.encoding == b"listpack"
    h2 = Hash({b"f%d" % i: b"v" for i in range(600)}, encoding=b"hashtable")
    got = _roundtrip(h2)
    assert got == h2 and got.encoding == b"hashtable"
    s = Set({b"1", b"-70000", b"9999999999"})
    got = _roundtrip(s)
    assert got == s and got.encoding == b"intset"
    s2 = Set({b"a", b"1"}, encoding=b"hashtable")
    got = _roundtrip(s2)
    assert got == s2 and got.encoding == b"hashtable"
    z = ZSet()
    for m, sc in ((b"a", 1.0), (b"b", 0.1), (b"c", -math.inf)):
        z.insert(m, sc, cfg)
    got = _roundtrip(z)
    assert list(got.items()) == list(z.items()) and got.encoding == b"listpack"
    z2 = ZSet(b"skiplist")
    for i in range(200):
        z2.insert(b"m%d" % i, i / 7, cfg)
    got = _roundtrip(z2)
    assert list(got.items()) == list(z2.items()) and got.encoding == b"skiplist"


def test_restore_payload_errors():
    cfg = Config()
    good = rdb.dump_payload(b"hello", cfg)
    assert rdb.restore_payload(good, cfg) == (0, b"hello")
    for bad, kind in (
        (good[:-1] + bytes((good[-1] ^ 1,)), "version"),  # checksum
        (good[:-10] + b"\x0b\x00" + good[-8:], "version"),  # version 11
        (b"\x00" * 5, "version"),
    ):
        with pytest.raises(ValueError) as e:
            rdb.restore_payload(bad, cfg)
        assert e.value.args[0] == kind
    body = b"\x00\x30hel" + b"\x0a\x00"  # string announces 48 bytes, has 3
    with pytest.raises(ValueError) as e:
        rdb.restore_payload(body + crc64(0, body).to_bytes(8, "little"), cfg)
    assert e.value.args[0] == "format"


class _FakeServer:
    def __init__(self, config):
        from redpy.server import Server

        self.config = config
        self.dbs = Server(config).dbs


def test_file_parse_errors():
    cfg = Config()
    srv = _FakeServer(cfg)
    srv.dbs[0].data[b"k"] = b"v" * 50
    srv.dbs[0].expires[b"k"] = 2**45
    srv.dbs[2].data[b"l"] = RList([b"a"])
    data = rdb.rdb_bytes(srv)
    assert data.startswith(b"REDIS0010\xfa\x09redis-ver\x067.0.15")
    seen = []
    stats = rdb.parse(data, cfg, on_key=lambda *a: seen.append(a))
    assert seen == [(0, b"k", b"v" * 50, 2**45), (2, b"l", RList([b"a"]), -1)]
    assert stats["keys"] == 2
    for cut in range(len(data) - 1):
        with pytest.raises(rdb.RdbError):
            rdb.parse(data[:cut], cfg)
    flipped = bytearray(data)
    flipped[-12] ^= 0x40
    with pytest.raises(rdb.RdbError, match="checksum|Unexpected|Unknown|Invalid"):
        rdb.parse(bytes(flipped), cfg)
    with pytest.raises(rdb.RdbError, match="signature"):
        rdb.parse(b"RUBBISH00", cfg)
    with pytest.raises(rdb.RdbError, match="version 11"):
        rdb.parse(b"REDIS0011\xff", cfg)
    # rdbchecksum no: a zero checksum is written and not verified on load
    cfg.rdbchecksum = False
    plain = rdb.rdb_bytes(srv)
    assert plain[-8:] == b"\x00" * 8
    cfg.rdbchecksum = True
    assert rdb.parse(plain, cfg)["keys"] == 2


def test_crc64_lanes_match_bytewise():
    from redpy.persistence import crc64 as mod

    if mod.numpy() is None:
        pytest.skip("numpy not installed: only the pure Python path exists")
    rng = random.Random(3)
    for n in (mod._LANES_MIN, mod._LANES_MIN + 4097, 3 * mod._LANES_MIN + 5):
        data = rng.randbytes(n)
        assert mod.crc64(0, data) == mod._crc64_py(0, data)
        assert mod.crc64(0x1234, data) == mod._crc64_py(0x1234, data)


def test_misconf_check_hook():
    """After a failed BGSAVE with save rules, writes and PING get MISCONF (the hook the
    dispatcher runs through server.check_hooks); reads pass; no rules or the option off:
    nothing is refused. The text is Redis 7.0.15's (writeCommandsGetDiskErrorMessage)."""
    import redpy.commands  # noqa: F401  (registers the commands)
    from redpy.commands.persistence import MISCONF, misconf_check
    from redpy.registry import lookup
    from redpy.server import Server

    srv = Server(Config())

    class C:
        server = srv
        multi = None

    c = C()
    set_cmd, get_cmd, ping = lookup([b"set"]), lookup([b"get"]), lookup([b"ping"])
    srv.config.save = [(1, 1)]
    assert misconf_check(c, set_cmd, [b"set", b"k", b"v"]) is None
    srv.rdb_last_bgsave_status = "err"
    err = misconf_check(c, set_cmd, [b"set", b"k", b"v"])
    assert err is not None and err.message == MISCONF.encode()
    assert misconf_check(c, ping, [b"ping"]) is not None
    assert misconf_check(c, get_cmd, [b"get", b"k"]) is None
    c.multi = [(set_cmd, [b"set", b"k", b"v"])]
    assert misconf_check(c, lookup([b"exec"]), [b"exec"]) is not None
    srv.config.stop_writes_on_bgsave_error = False
    assert misconf_check(c, set_cmd, [b"set", b"k", b"v"]) is None
    srv.config.stop_writes_on_bgsave_error = True
    srv.config.save = []
    assert misconf_check(c, set_cmd, [b"set", b"k", b"v"]) is None


# ---------------------------------------------------------------------- streams

# DUMP (rdbcompression no) from redis-server 7.0.15 of:
#   XADD k 1-1 a 1 / XADD k 2-5 a hello / XADD k 3-0 b -300 c x / XDEL k 2-5 / XGROUP CREATE k g 0
_STREAM_DUMP = (
    b"\x13\x01\x10\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01@BB\x00\x00\x00"
    b"\x18\x00\x02\x01\x01\x01\x01\x01\x81a\x02\x00\x01\x02\x01\x00\x01\x00\x01\x01\x01\x04\x01\x03"
    b"\x01\x01\x01\x04\x01\x85hello\x06\x04\x01\x00\x01\x02\x01\xdf\xff\x02\x02\x01\x81b\x02\xde\xd4"
    b"\x02\x81c\x02\x81x\x02\x08\x01\xff\x02\x03\x00\x01\x01\x02\x05\x03\x01\x01g\x00\x00\x81\xff\xff"
    b"\xff\xff\xff\xff\xff\xff\x00\x00\n\x00\xed?\xcc=\x1af\xa14"
)


class _StreamConfig:
    stream_node_max_bytes = 4096
    stream_node_max_entries = 100


def _sample_stream():
    from redpy.types.stream import Group, Stream

    s = Stream()
    s.append((1, 1), [b"a", b"1"], _StreamConfig)
    s.append((2, 5), [b"a", b"hello"], _StreamConfig)
    s.append((3, 0), [b"b", b"-300", b"c", b"x"], _StreamConfig)
    assert s.delete((2, 5))
    s.max_deleted_id = (2, 5)
    s.groups[b"g"] = Group((0, 0), -1)
    return s


def test_stream_listpack_matches_redis():
    """Master entry, same-fields flag, a deleted entry kept and flagged, deltas, counts."""
    s = _sample_stream()
    assert s.nodes[0].tomb == {(2, 5): [b"a", b"hello"]}
    assert rdb.encode_stream(s, False) == _STREAM_DUMP[1:-10]
    assert s.nodes[0].bytes == len(rdb.stream_listpack(s, s.nodes[0], None)) == 66


def test_stream_load_roundtrip():
    t, s = rdb.restore_payload(_STREAM_DUMP, Config())
    assert t == rdb.T_STREAM_LISTPACKS_2
    assert s.ids == [(1, 1), (3, 0)]
    assert s.data[(3, 0)] == [b"b", b"-300", b"c", b"x"]
    (node,) = s.nodes
    assert (node.master, node.fields, node.count, node.deleted, node.last) == ((1, 1), (b"a",), 2, 1, (3, 0))
    assert node.tomb == {(2, 5): [b"a", b"hello"]}
    assert (s.last_id, s.first_id, s.max_deleted_id, s.entries_added) == ((3, 0), (1, 1), (2, 5), 3)
    assert s.groups[b"g"].entries_read == -1
    assert rdb.encode_stream(s, False) == _STREAM_DUMP[1:-10]
    # a deep copy (COPY) keeps the deleted entries too
    assert rdb.encode_stream(s.copy(), False) == _STREAM_DUMP[1:-10]


def test_stream_with_consumers_roundtrip():
    from redpy.types.stream import NACK, Consumer

    s = _sample_stream()
    g = s.groups[b"g"]
    g.last_id, g.entries_read = (3, 0), 2
    for name, sid, when in ((b"bob", (1, 1), 1700000000123), (b"al", (3, 0), 5)):
        cons = g.consumers[name] = Consumer(name, when + 1)
        nack = NACK(cons, when)
        nack.delivery_count = 300
        g.pel[sid] = cons.pel[sid] = nack
    g.consumers[b"idle"] = Consumer(b"idle", 9)
    body = rdb.encode_stream(s, True)
    r = rdb.Reader(body)
    s2 = rdb.load_stream(r, rdb.T_STREAM_LISTPACKS_2)
    assert r.pos == len(body)
    g2 = s2.groups[b"g"]
    assert list(g2.consumers) == [b"al", b"bob", b"idle"]
    assert g2.pel[(1, 1)].consumer is g2.consumers[b"bob"] and g2.pel[(1, 1)].delivery_count == 300
    assert g2.consumers[b"bob"].pel[(1, 1)] is g2.pel[(1, 1)]
    assert (g2.pel[(3, 0)].delivery_time, g2.consumers[b"al"].seen_time) == (5, 6)
    assert rdb.encode_stream(s2, True) == body


def test_stream_load_errors():
    def fails(body: bytes, message: str, t=rdb.T_STREAM_LISTPACKS_2):
        with pytest.raises(rdb.RdbError) as e:
            rdb.load_stream(rdb.Reader(body), t)
        assert e.value.message == message

    good = _STREAM_DUMP[1:-10]
    fails(b"\x01\x05abcde", "Stream node key entry is not the size of a stream ID")
    empty_lp = rdb.lp_build([], 0)
    fails(b"\x01\x10" + b"\x00" * 16 + rdb.enc_string(empty_lp, False), "Empty listpack inside stream")
    node = good[: good.index(b"\xff\x02\x03") + 1]  # the node, then length 3 instead of 2
    fails(node + b"\x03", "Stream listpack integrity check failed.")
    fails(node + b"\x02\x03\x00", "Unexpected EOF reading RDB file")
    meta = good[len(node) :]
    groups = meta.index(b"\x01\x01g")
    two_groups = node + meta[:groups] + b"\x02" + meta[groups + 1 :] + meta[groups + 1 :]
    fails(two_groups, "Duplicated consumer group name g")
    # a consumer claiming an ID the group's PEL does not hold
    pel = b"\x00" + b"\x01\x03bob" + b"\x00" * 8 + b"\x01" + b"\x00" * 16
    fails(node + meta[:groups] + b"\x01\x01g\x00\x00\x00" + pel, "Consumer entry not found in group global PEL")
    # a PEL entry nobody owns
    nack = b"\x01" + b"\x00" * 15 + b"\x01" + b"\x00" * 8 + b"\x01"
    fails(node + meta[:groups] + b"\x01\x01g\x00\x00\x00" + nack + b"\x00", "Stream CG PEL entry without consumer")
    # the 6.x type: no first/max-deleted/entries-added, no entries-read
    v1 = node + b"\x02\x03\x00" + b"\x01\x01g\x00\x00" + b"\x00\x00"
    s = rdb.load_stream(rdb.Reader(v1), rdb.T_STREAM_LISTPACKS)
    assert (s.first_id, s.max_deleted_id, s.entries_added) == ((1, 1), (0, 0), 2)
    assert s.groups[b"g"].entries_read == 0  # estimated: last ID before the first entry
