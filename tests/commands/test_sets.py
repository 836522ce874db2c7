"""Set commands against redpy alone: exact reply bytes (taken from Redis 7.0.15), and the
Set type's encoding rules without a server."""

from __future__ import annotations

from redpy.types.rset import HASHTABLE, INTSET, Set, new_set


def test_intset_order_and_card(r):
    assert r.call("SADD", "s", "10", "-2", "3", "3") == b":3\r\n"
    assert r.call("SMEMBERS", "s") == b"*3\r\n$2\r\n-2\r\n$1\r\n3\r\n$2\r\n10\r\n"
    assert r.call("SCARD", "s") == b":3\r\n"
    assert r.call("SMISMEMBER", "s", "3", "4") == b"*2\r\n:1\r\n:0\r\n"
    assert r.call("SREM", "s", "3", "10", "-2", "x") == b":3\r\n"
    assert r.call("EXISTS", "s") == b":0\r\n"


def test_store_commands(r):
    r.call("SADD", "a", "1", "2", "3")
    r.call("SADD", "b", "2", "3", "4")
    assert r.call("SINTERSTORE", "d", "a", "b") == b":2\r\n"
    assert r.call("SMEMBERS", "d") == b"*2\r\n$1\r\n2\r\n$1\r\n3\r\n"
    assert r.call("SUNION", "a", "b") == b"*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n"
    assert r.call("SDIFFSTORE", "d", "a", "a") == b":0\r\n"
    assert r.call("EXISTS", "d") == b":0\r\n"
    assert r.call("SINTERCARD", "2", "a", "b", "LIMIT", "1") == b":1\r\n"
    assert r.call("SINTERCARD", "0", "a") == b"-ERR numkeys should be greater than 0\r\n"
    assert r.call("SINTERCARD", "3", "a") == b"-ERR Number of keys can't be greater than number of args\r\n"
    assert r.call("SINTERCARD", "1", "a", "LIMIT", "-1") == b"-ERR LIMIT can't be negative\r\n"


def test_spop_srandmember_smove(r):
    r.call("SADD", "s", "1", "2")
    assert r.call("SPOP", "s", "-1") == b"-ERR value is out of range, must be positive\r\n"
    assert r.call("SRANDMEMBER", "s", "5") == b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    assert r.call("SRANDMEMBER", "s", "-3").startswith(b"*3\r\n")
    assert r.call("SMOVE", "s", "t", "1") == b":1\r\n"
    assert r.call("SMOVE", "nokey", "t", "1") == b":0\r\n"
    assert r.call("SPOP", "s", "5") == b"*1\r\n$1\r\n2\r\n"
    assert r.call("EXISTS", "s") == b":0\r\n"
    assert r.call("SPOP", "t") == b"$1\r\n1\r\n"
    assert r.call("SPOP", "t") == b"$-1\r\n"


def test_sscan_intset(r):
    r.call("SADD", "s", "3", "1", "22")
    assert r.call("SSCAN", "s", "0", "MATCH", "?", "COUNT", "1") == b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\n1\r\n$1\r\n3\r\n"


def test_set_type_encoding_rules():
    s = Set()
    assert s.encoding == INTSET
    assert s.add_member(b"1", 3) and s.add_member(b"-9223372036854775808", 3)
    assert not s.add_member(b"1", 3)
    assert s.add_member(b"7", 3) and s.encoding == INTSET
    assert s.members() == [b"-9223372036854775808", b"1", b"7"]
    s.add_member(b"8", 3)
    assert s.encoding == HASHTABLE
    for bad in (b"01", b"-0", b"9223372036854775808", b"1.0", b" 1", b"a"):
        t = Set()
        t.add_member(bad, 512)
        assert t.encoding == HASHTABLE, bad
    assert new_set([b"1", b"2"], 2).encoding == INTSET
    assert new_set([b"1", b"2", b"3"], 2).encoding == HASHTABLE
    assert new_set([b"1", b"x"], 10).encoding == HASHTABLE
    c = s.copy()
    assert type(c) is Set and c == s and c.encoding == HASHTABLE and c is not s
