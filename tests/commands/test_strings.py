"""String and bitmap commands on redpy alone: exact reply bytes (texts taken from Redis
7.0.15), plus the storage invariants the oracle cannot show (raw bytearray edits)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from redpy.commands import bitmaps, strings
from redpy.errors import CommandError
from redpy.server import Server


def test_set_get_options(r):
    assert r.call("SET", "k", "v", "NX") == b"+OK\r\n"
    assert r.call("SET", "k", "w", "NX") == b"$-1\r\n"
    assert r.call("SET", "k", "w", "XX", "GET") == b"$1\r\nv\r\n"
    assert r.call("SET", "k", "v", "EX", "10", "PX", "5") == b"-ERR syntax error\r\n"
    assert r.call("SET", "k", "v", "EX", "0") == b"-ERR invalid expire time in 'set' command\r\n"
    assert r.call("SET", "k", "v", "EX", "10", "EX", "20") == b"+OK\r\n"
    assert r.call("TTL", "k") == b":20\r\n"
    assert r.call("SETEX", "k", "-1", "v") == b"-ERR invalid expire time in 'setex' command\r\n"
    assert r.call("SETNX", "k", "v") == b":0\r\n"


def test_getex_and_getdel(r):
    r.call("SET", "k", "v")
    assert r.call("GETEX", "k", "PERSIST", "EX", "1") == b"-ERR syntax error\r\n"
    assert r.call("GETEX", "k", "EXAT", "1") == b"$1\r\nv\r\n"
    assert r.call("EXISTS", "k") == b":0\r\n"
    r.call("SET", "k", "v")
    assert r.call("GETDEL", "k") == b"$1\r\nv\r\n"
    assert r.call("GETDEL", "k") == b"$-1\r\n"


def test_incrbyfloat_and_ranges(r):
    r.call("SET", "f", "10.5")
    assert r.call("INCRBYFLOAT", "f", "0.1") == b"$4\r\n10.6\r\n"
    assert r.call("INCRBYFLOAT", "f", "inf") == b"-ERR increment would produce NaN or Infinity\r\n"
    assert r.call("INCRBYFLOAT", "f", "x") == b"-ERR value is not a valid float\r\n"
    r.call("SET", "k", "Hello World")
    assert r.call("GETRANGE", "k", "-3", "-1") == b"$3\r\nrld\r\n"
    assert r.call("GETRANGE", "k", "-1", "-5") == b"$0\r\n\r\n"
    assert r.call("SETRANGE", "k", "-1", "x") == b"-ERR offset is out of range\r\n"
    assert r.call("SETRANGE", "k", "536870912", "x") == (
        b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
    )


def test_lcs_shapes(r):
    r.call("MSET", "a", "ohmytext", "b", "mynewtext")
    assert r.call("LCS", "a", "b") == b"$6\r\nmytext\r\n"
    assert r.call("LCS", "a", "b", "LEN") == b":6\r\n"
    assert r.call("LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN") == (
        b"*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n"
    )


def test_bitmap_errors(r):
    assert r.call("SETBIT", "k", "-1", "1") == b"-ERR bit offset is not an integer or out of range\r\n"
    assert r.call("SETBIT", "k", "1", "2") == b"-ERR bit is not an integer or out of range\r\n"
    assert r.call("BITFIELD", "k", "GET", "u64", "0") == (
        b"-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"
    )
    assert r.call("BITFIELD", "k", "OVERFLOW", "x") == b"-ERR Invalid OVERFLOW type specified\r\n"
    assert r.call("BITFIELD_RO", "k", "SET", "u8", "0", "1") == (
        b"-ERR BITFIELD_RO only supports the GET subcommand\r\n"
    )
    assert r.call("BITPOS", "k", "2") == b"-ERR The bit argument must be 1 or 0.\r\n"
    assert r.call("BITOP", "NOT", "d", "a", "b") == b"-ERR BITOP NOT must be called with a single source key.\r\n"


def test_bitfield_values(r):
    assert r.call("BITFIELD", "k", "SET", "i8", "0", "-100", "GET", "u8", "0") == b"*2\r\n:0\r\n:156\r\n"
    assert r.call("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-100") == b"*1\r\n:-128\r\n"
    assert r.call("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "-1") == b"*1\r\n$-1\r\n"
    assert r.call("BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "i8", "0", "-1") == b"*1\r\n:127\r\n"
    assert r.call("BITCOUNT", "k", "1", "6", "BIT") == b":6\r\n"
    assert r.call("BITPOS", "k", "0") == b":0\r\n"


# ------------------------------------------------------------------ in-process invariants


@pytest.fixture
def client():
    server = Server()
    return SimpleNamespace(server=server, db=server.dbs[0], proto=2)


def test_append_and_setrange_edit_one_bytearray_in_place(client):
    strings.cmd_set(client, [b"set", b"k", b"ab"])
    assert strings.cmd_append(client, [b"append", b"k", b"cd"]) == 4
    buf = client.db.data[b"k"]
    assert type(buf) is bytearray
    strings.cmd_append(client, [b"append", b"k", b"ef"])
    strings.cmd_setrange(client, [b"setrange", b"k", b"10", b"z"])
    from redpy.commands.bitmaps import cmd_setbit

    cmd_setbit(client, [b"setbit", b"k", b"0", b"1"])
    assert client.db.data[b"k"] is buf
    assert bytes(buf) == b"\xe1bcdef\0\0\0\0z"


def test_setbit_and_bitfield_write_in_place(client):
    bitmaps.cmd_setbit(client, [b"setbit", b"k", b"15", b"1"])
    buf = client.db.data[b"k"]
    assert type(buf) is bytearray and bytes(buf) == b"\x00\x01"
    bitmaps.cmd_bitfield(client, [b"bitfield", b"k", b"SET", b"u8", b"#2", b"255"])
    assert client.db.data[b"k"] is buf and bytes(buf) == b"\x00\x01\xff"


def test_dirty_counts(client):
    before = client.server.dirty
    strings.cmd_mset(client, [b"mset", b"a", b"1", b"b", b"2"])
    assert client.server.dirty == before + 2
    with pytest.raises(CommandError):
        strings.cmd_incrbyfloat(client, [b"incrbyfloat", b"a", b"x"])
    assert client.server.dirty == before + 2
    assert strings.cmd_setrange(client, [b"setrange", b"a", b"0", b""]) == 1
    assert client.server.dirty == before + 2
