"""Hash commands against redpy alone: exact reply bytes (taken from Redis 7.0.15), and the
Hash type's encoding rules without a server."""

from __future__ import annotations

from redpy.config import Config
from redpy.types.rhash import HASHTABLE, LISTPACK, Hash


def test_hset_hgetall_order(r):
    assert r.call("HSET", "h", "b", "1", "a", "2") == b":2\r\n"
    assert r.call("HSET", "h", "b", "3", "c", "4") == b":1\r\n"
    assert r.call("HGETALL", "h") == b"*6\r\n$1\r\nb\r\n$1\r\n3\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n4\r\n"
    assert r.call("HMSET", "h", "d", "5") == b"+OK\r\n"
    assert r.call("HKEYS", "h") == b"*4\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nc\r\n$1\r\nd\r\n"
    assert r.call("HVALS", "h") == b"*4\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\n4\r\n$1\r\n5\r\n"
    assert r.call("HSET", "h", "a") == b"-ERR wrong number of arguments for 'hset' command\r\n"
    assert r.call("HMSET", "h", "a", "1", "b") == b"-ERR wrong number of arguments for 'hmset' command\r\n"


def test_hdel_removes_key(r):
    r.call("HSET", "h", "a", "1", "b", "2")
    assert r.call("HDEL", "h", "a", "x", "b", "a") == b":2\r\n"
    assert r.call("EXISTS", "h") == b":0\r\n"
    assert r.call("HGETALL", "h") == b"*0\r\n"


def test_hincrby_errors(r):
    r.call("HSET", "h", "s", "x", "m", "9223372036854775807")
    assert r.call("HINCRBY", "h", "s", "1") == b"-ERR hash value is not an integer\r\n"
    assert r.call("HINCRBY", "h", "m", "1") == b"-ERR increment or decrement would overflow\r\n"
    assert r.call("HINCRBY", "h", "n", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert r.call("HINCRBY", "h", "n", "-7") == b":-7\r\n"


def test_hincrbyfloat(r):
    assert r.call("HINCRBYFLOAT", "h", "f", "10.5") == b"$4\r\n10.5\r\n"
    assert r.call("HINCRBYFLOAT", "h", "f", "0.1") == b"$4\r\n10.6\r\n"
    assert r.call("HINCRBYFLOAT", "h", "f", "-5.0e3") == b"$23\r\n-4989.39999999999999991\r\n"
    assert r.call("HINCRBYFLOAT", "h", "f", "inf") == b"-ERR value is NaN or Infinity\r\n"
    assert r.call("HINCRBYFLOAT", "h", "f", "nan") == b"-ERR value is not a valid float\r\n"
    r.call("HSET", "h", "s", "abc", "i", "inf")
    assert r.call("HINCRBYFLOAT", "h", "s", "1") == b"-ERR hash value is not a float\r\n"
    assert r.call("HINCRBYFLOAT", "h", "i", "1") == b"-ERR increment would produce NaN or Infinity\r\n"


def test_hrandfield(r):
    r.call("HSET", "h", "a", "1", "b", "2")
    assert r.call("HRANDFIELD", "h", "5", "WITHVALUES") == b"*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"
    assert r.call("HRANDFIELD", "h", "-5").startswith(b"*5\r\n")
    assert r.call("HRANDFIELD", "h", "1", "WITHVALUES", "x") == b"-ERR syntax error\r\n"
    assert r.call("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES") == b"-ERR value is out of range\r\n"
    assert r.call("HRANDFIELD", "h", "-9223372036854775808") == (
        b"-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
    )
    assert r.call("HRANDFIELD", "nokey") == b"$-1\r\n"
    assert r.call("HRANDFIELD", "h") in (b"$1\r\na\r\n", b"$1\r\nb\r\n")


def test_hscan(r):
    r.call("HSET", "h", "a", "1", "b", "2")
    assert r.call("HSCAN", "h", "0", "MATCH", "b") == b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    assert r.call("HSCAN", "h", "x") == b"-ERR invalid cursor\r\n"
    assert r.call("HSCAN", "h", "0", "COUNT", "0") == b"-ERR syntax error\r\n"
    assert r.call("HSCAN", "nokey", "0", "COUNT", "0") == b"*2\r\n$1\r\n0\r\n*0\r\n"


def _config(entries=4, value=8):
    cfg = Config()
    cfg.hash_max_listpack_entries = entries
    cfg.hash_max_listpack_value = value
    return cfg


def test_hash_type_encoding_rules():
    cfg = _config()
    h = Hash()
    assert h.encoding == LISTPACK
    for i in range(4):
        assert h.set_field(b"f%d" % i, b"v", cfg) is True
    assert h.set_field(b"f0", b"w", cfg) is False
    assert h.encoding == LISTPACK
    h.set_field(b"f4", b"v", cfg)
    assert h.encoding == HASHTABLE
    del h[b"f4"], h[b"f3"]
    assert h.encoding == HASHTABLE  # never back
    g = Hash()
    g.try_conversion([b"a", b"12345678"], cfg.hash_max_listpack_value)
    assert g.encoding == LISTPACK
    g.try_conversion([b"a", b"123456789"], cfg.hash_max_listpack_value)
    assert g.encoding == HASHTABLE
    k = Hash()
    k.set_field(b"123456789", b"1", cfg)  # HINCRBY's path checks lengths in the store
    assert k.encoding == HASHTABLE


def test_hash_copy_keeps_class_and_encoding():
    cfg = _config()
    h = Hash()
    h.set_field(b"a", b"123456789", cfg)
    c = h.copy()
    assert type(c) is Hash and c == h and c.encoding == HASHTABLE and c is not h
    c[b"b"] = b"x"
    assert b"b" not in h
