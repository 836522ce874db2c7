"""List commands on redpy alone: exact reply bytes (taken from Redis 7.0.15), plus unit
tests of the list type and of the blocking timeout parser (no sockets)."""

from __future__ import annotations

import math
import time

import pytest

from redpy.blocking import parse_timeout
from redpy.db import TYPE_NAMES
from redpy.errors import CommandError
from redpy.types.rlist import RList

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


# ---------------------------------------------------------------------- unit


def test_rlist_type_and_encoding():
    lst = RList([b"a"])
    assert TYPE_NAMES[RList] == b"list"
    assert lst.encoding == b"quicklist"
    lst.extend([b"x" * 10000] * 100)
    assert lst.encoding == b"quicklist"
    assert isinstance(lst.copy(), RList)


@pytest.mark.parametrize(
    "arg,ms",
    [
        (b"0", 0),
        (b"-0", 0),
        (b"-0.0009", 0),  # ceill(-0.9) is -0: forever
        (b"-0.001", 0),  # -0.001L * 1000 is just above -1: forever too (as the oracle)
        (b"0.0004", 1),  # ceill(0.4): 1 ms
        (b"0.001", 1),
        (b"1.5", 1500),
        (b"2", 2000),
        (b"1e3", 1_000_000),
        (b"0x10", 16000),
    ],
)
def test_parse_timeout_values(arg, ms):
    before = int(time.time() * 1000)
    deadline = parse_timeout(arg)
    after = int(time.time() * 1000) + 1
    if ms == 0:
        assert deadline == 0
    else:
        assert before + ms <= deadline <= after + ms


@pytest.mark.parametrize(
    "arg,err",
    [
        (b"abc", "ERR timeout is not a float or out of range"),
        (b"nan", "ERR timeout is not a float or out of range"),
        (b" 1", "ERR timeout is not a float or out of range"),
        (b"", "ERR timeout is not a float or out of range"),
        (b"-1", "ERR timeout is negative"),
        (b"-0.002", "ERR timeout is negative"),
        (b"1e16", "ERR timeout is negative"),  # out of long long: LLONG_MIN on x86
        (b"inf", "ERR timeout is negative"),
        (b"1e400", "ERR timeout is negative"),
    ],
)
def test_parse_timeout_errors(arg, err):
    with pytest.raises(CommandError) as e:
        parse_timeout(arg)
    assert e.value.message == err.encode()


def test_parse_timeout_past_llong_max_is_accepted():
    # 9223372036854775.807 s is just below LLONG_MAX ms: accepted; the deadline
    # overflows in Redis, which then never times out.
    assert parse_timeout(b"9223372036854775.807") > 0
    assert not math.isinf(parse_timeout(b"9223372036854775.807"))


# ---------------------------------------------------------------------- over TCP


def test_push_pop_exact_bytes(r):
    assert r.call("RPUSH", "l", "a", "b", "c") == b":3\r\n"
    assert r.call("LPUSH", "l", "z") == b":4\r\n"
    assert r.call("LRANGE", "l", "0", "-1") == b"*4\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
    assert r.call("LPOP", "l") == b"$1\r\nz\r\n"
    assert r.call("RPOP", "l", "2") == b"*2\r\n$1\r\nc\r\n$1\r\nb\r\n"
    assert r.call("LPOP", "l", "0") == b"*0\r\n"
    assert r.call("RPOP", "l") == b"$1\r\na\r\n"
    assert r.call("LLEN", "l") == b":0\r\n"
    assert r.call("LPOP", "l") == b"$-1\r\n"
    assert r.call("LPOP", "l", "1") == b"*-1\r\n"
    assert r.call("LPOP", "l", "-1") == b"-ERR value is out of range, must be positive\r\n"
    assert r.call("LPOP", "l", "1", "2") == b"-ERR wrong number of arguments for 'lpop' command\r\n"
    assert r.call("RPUSHX", "l", "a") == b":0\r\n"


def test_index_commands(r):
    r.call("RPUSH", "l", "a", "b", "c")
    assert r.call("LINDEX", "l", "-1") == b"$1\r\nc\r\n"
    assert r.call("LINDEX", "l", "3") == b"$-1\r\n"
    assert r.call("LSET", "l", "1", "B") == b"+OK\r\n"
    assert r.call("LSET", "l", "3", "x") == b"-ERR index out of range\r\n"
    assert r.call("LSET", "nokey", "0", "x") == b"-ERR no such key\r\n"
    assert r.call("LINSERT", "l", "AFTER", "B", "b2") == b":4\r\n"
    assert r.call("LINSERT", "l", "BEFORE", "zz", "x") == b":-1\r\n"
    assert r.call("LINSERT", "l", "UNDER", "B", "x") == b"-ERR syntax error\r\n"
    assert r.call("LRANGE", "l", "1", "2") == b"*2\r\n$1\r\nB\r\n$2\r\nb2\r\n"
    assert r.call("LTRIM", "l", "1", "-2") == b"+OK\r\n"
    assert r.call("LRANGE", "l", "0", "-1") == b"*2\r\n$1\r\nB\r\n$2\r\nb2\r\n"
    assert r.call("LTRIM", "l", "5", "1") == b"+OK\r\n"
    assert r.call("LLEN", "l") == b":0\r\n"


def test_lpos_and_lrem(r):
    r.call("RPUSH", "l", "a", "b", "a", "c", "a")
    assert r.call("LPOS", "l", "a") == b":0\r\n"
    assert r.call("LPOS", "l", "a", "RANK", "-1") == b":4\r\n"
    assert r.call("LPOS", "l", "a", "RANK", "2", "COUNT", "0") == b"*2\r\n:2\r\n:4\r\n"
    assert r.call("LPOS", "l", "a", "MAXLEN", "2", "COUNT", "0") == b"*1\r\n:0\r\n"
    assert r.call("LPOS", "l", "x") == b"$-1\r\n"
    assert r.call("LPOS", "l", "a", "RANK", "0") == (
        b"-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second"
        b" ... or use negative to start from the end of the list\r\n"
    )
    assert r.call("LPOS", "l", "a", "COUNT", "-1") == b"-ERR COUNT can't be negative\r\n"
    assert r.call("LREM", "l", "-2", "a") == b":2\r\n"
    assert r.call("LRANGE", "l", "0", "-1") == b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"


def test_mpop_and_move(r):
    r.call("RPUSH", "a", "1", "2", "3")
    assert r.call("LMPOP", "2", "x", "a", "RIGHT", "COUNT", "2") == b"*2\r\n$1\r\na\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
    assert r.call("LMPOP", "1", "x", "LEFT") == b"*-1\r\n"
    assert r.call("LMPOP", "0", "x", "LEFT") == b"-ERR numkeys should be greater than 0\r\n"
    assert r.call("LMPOP", "1", "x", "LEFT", "COUNT", "0") == b"-ERR count should be greater than 0\r\n"
    assert r.call("LMOVE", "a", "b", "LEFT", "RIGHT") == b"$1\r\n1\r\n"
    assert r.call("LLEN", "a") == b":0\r\n"
    assert r.call("RPOPLPUSH", "b", "b") == b"$1\r\n1\r\n"
    assert r.call("LMOVE", "b", "c", "UP", "RIGHT") == b"-ERR syntax error\r\n"
    r.call("SET", "s", "v")
    assert r.call("LMOVE", "b", "s", "LEFT", "LEFT") == WRONGTYPE
    assert r.call("LLEN", "b") == b":1\r\n"


def test_wrongtype(r):
    r.call("SET", "s", "v")
    for args in (("LPUSH", "s", "a"), ("LLEN", "s"), ("LRANGE", "s", "0", "1"), ("LPOP", "s"),
                 ("LINDEX", "s", "0"), ("LSET", "s", "0", "a"), ("LREM", "s", "0", "a"),
                 ("LTRIM", "s", "0", "1"), ("LPOS", "s", "a"), ("BLPOP", "s", "0"),
                 ("BLMPOP", "0", "1", "s", "LEFT"), ("BRPOPLPUSH", "s", "d", "0")):
        assert r.call(*args) == WRONGTYPE, args


def test_blocking_forms_answer_at_once_with_data(r):
    r.call("RPUSH", "l", "a", "b", "c")
    assert r.call("BLPOP", "x", "l", "0") == b"*2\r\n$1\r\nl\r\n$1\r\na\r\n"
    assert r.call("BRPOP", "l", "0") == b"*2\r\n$1\r\nl\r\n$1\r\nc\r\n"
    assert r.call("BLMPOP", "1", "1", "l", "LEFT", "COUNT", "3") == b"*2\r\n$1\r\nl\r\n*1\r\n$1\r\nb\r\n"
    assert r.call("BLPOP", "l", "0.05") == b"*-1\r\n"
    assert r.call("BRPOPLPUSH", "l", "d", "0.05") == b"*-1\r\n"
    assert r.call("BLPOP", "l", "-1") == b"-ERR timeout is negative\r\n"
    assert r.call("BLPOP", "l", "x") == b"-ERR timeout is not a float or out of range\r\n"


def test_blocked_client_is_served_and_unblocked(redpy_server, r):
    waiter = redpy_server.conn()
    try:
        wid = waiter.call("CLIENT", "ID")
        waiter.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n")
        deadline = time.time() + 5
        while b"blocked_clients:1" not in r.call("INFO", "clients") and time.time() < deadline:
            time.sleep(0.01)
        assert r.call("RPUSH", "q", "v") == b":1\r\n"
        assert waiter.read_reply() == b"*2\r\n$1\r\nq\r\n$1\r\nv\r\n"
        assert r.call("LLEN", "q") == b":0\r\n"
        if wid.startswith(b":"):
            waiter.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n")
            time.sleep(0.1)
            assert r.call("CLIENT", "UNBLOCK", wid[1:-2].decode(), "ERROR") == b":1\r\n"
            assert waiter.read_reply() == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
            assert r.call("CLIENT", "UNBLOCK", wid[1:-2].decode()) == b":0\r\n"
    finally:
        waiter.close()
