"""resp.encode: every reply type in RESP2 and RESP3 (DESIGN.md's table).

The expected bytes were taken from Redis 7.0.15; the tests at the bottom ask a live oracle
for equivalent replies (DEBUG PROTOCOL, ZRANGE WITHSCORES, EXEC with an error) and compare
them with what encode() writes for the corresponding values.
"""

from __future__ import annotations

import pytest

from redpy.errors import CommandError
from redpy.replies import (
    NO_REPLY,
    NULL,
    NULL_ARRAY,
    OK,
    PONG,
    QUEUED,
    BigNumber,
    Bool,
    Double,
    Push,
    Raw,
    SetReply,
    Simple,
    Verbatim,
)
from redpy.resp import encode, encode_error

BIG = 1234567999999999999999999999999999999

# (value, RESP2 bytes, RESP3 bytes)
TABLE = [
    (b"", b"$0\r\n\r\n", b"$0\r\n\r\n"),
    (b"Hello World", b"$11\r\nHello World\r\n", b"$11\r\nHello World\r\n"),
    (b"a\r\nb\0", b"$5\r\na\r\nb\0\r\n", b"$5\r\na\r\nb\0\r\n"),
    (b"x" * 1024, b"$1024\r\n" + b"x" * 1024 + b"\r\n", b"$1024\r\n" + b"x" * 1024 + b"\r\n"),
    (b"x" * 1025, b"$1025\r\n" + b"x" * 1025 + b"\r\n", b"$1025\r\n" + b"x" * 1025 + b"\r\n"),
    (bytearray(b"abc"), b"$3\r\nabc\r\n", b"$3\r\nabc\r\n"),
    (memoryview(b"abc"), b"$3\r\nabc\r\n", b"$3\r\nabc\r\n"),
    (0, b":0\r\n", b":0\r\n"),
    (-1, b":-1\r\n", b":-1\r\n"),
    (-2, b":-2\r\n", b":-2\r\n"),
    (1023, b":1023\r\n", b":1023\r\n"),
    (1024, b":1024\r\n", b":1024\r\n"),
    (12345, b":12345\r\n", b":12345\r\n"),
    (2**63 - 1, b":9223372036854775807\r\n", b":9223372036854775807\r\n"),
    (-(2**63), b":-9223372036854775808\r\n", b":-9223372036854775808\r\n"),
    (True, b":1\r\n", b":1\r\n"),
    (False, b":0\r\n", b":0\r\n"),
    (NULL, b"$-1\r\n", b"_\r\n"),
    (NULL_ARRAY, b"*-1\r\n", b"_\r\n"),
    (OK, b"+OK\r\n", b"+OK\r\n"),
    (PONG, b"+PONG\r\n", b"+PONG\r\n"),
    (QUEUED, b"+QUEUED\r\n", b"+QUEUED\r\n"),
    (Simple(b"Background saving started"), b"+Background saving started\r\n", b"+Background saving started\r\n"),
    ([], b"*0\r\n", b"*0\r\n"),
    ((), b"*0\r\n", b"*0\r\n"),
    ([0, 1, 2], b"*3\r\n:0\r\n:1\r\n:2\r\n", b"*3\r\n:0\r\n:1\r\n:2\r\n"),
    ([b"a", None, 5000, [b"b"]], b"*4\r\n$1\r\na\r\n$-1\r\n:5000\r\n*1\r\n$1\r\nb\r\n", b"*4\r\n$1\r\na\r\n_\r\n:5000\r\n*1\r\n$1\r\nb\r\n"),
    ((b"t", 1), b"*2\r\n$1\r\nt\r\n:1\r\n", b"*2\r\n$1\r\nt\r\n:1\r\n"),
    ({}, b"*0\r\n", b"%0\r\n"),
    ({b"f": b"v"}, b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n", b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n"),
    (
        {0: Bool(False), 1: Bool(True), 2: Bool(False)},
        b"*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n",
        b"%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n",
    ),
    ({b"m": {b"n": [1]}}, b"*2\r\n$1\r\nm\r\n*2\r\n$1\r\nn\r\n*1\r\n:1\r\n", b"%1\r\n$1\r\nm\r\n%1\r\n$1\r\nn\r\n*1\r\n:1\r\n"),
    (SetReply([0, 1, 2]), b"*3\r\n:0\r\n:1\r\n:2\r\n", b"~3\r\n:0\r\n:1\r\n:2\r\n"),
    (SetReply([]), b"*0\r\n", b"~0\r\n"),
    ({b"x"}, b"*1\r\n$1\r\nx\r\n", b"~1\r\n$1\r\nx\r\n"),
    (frozenset([b"x"]), b"*1\r\n$1\r\nx\r\n", b"~1\r\n$1\r\nx\r\n"),
    (Double(3.141), b"$5\r\n3.141\r\n", b",3.141\r\n"),
    (Double(0.1), b"$19\r\n0.10000000000000001\r\n", b",0.10000000000000001\r\n"),
    (Double(0.30000000000000004), b"$19\r\n0.30000000000000004\r\n", b",0.30000000000000004\r\n"),
    (Double(0.0), b"$1\r\n0\r\n", b",0\r\n"),
    (Double(100.0), b"$3\r\n100\r\n", b",100\r\n"),
    (Double(1.5), b"$3\r\n1.5\r\n", b",1.5\r\n"),
    (Double(1e17), b"$5\r\n1e+17\r\n", b",1e+17\r\n"),
    (Double(123456789012345678.0), b"$22\r\n1.2345678901234568e+17\r\n", b",1.2345678901234568e+17\r\n"),
    (Double(1e300), b"$23\r\n1.0000000000000001e+300\r\n", b",1.0000000000000001e+300\r\n"),
    (Double(5e-324), b"$23\r\n4.9406564584124654e-324\r\n", b",4.9406564584124654e-324\r\n"),
    (Double(float("inf")), b"$3\r\ninf\r\n", b",inf\r\n"),
    (Double(float("-inf")), b"$4\r\n-inf\r\n", b",-inf\r\n"),
    (BigNumber(BIG), b"$37\r\n%d\r\n" % BIG, b"(%d\r\n" % BIG),
    (Bool(True), b":1\r\n", b"#t\r\n"),
    (Bool(False), b":0\r\n", b"#f\r\n"),
    (
        Verbatim(b"This is a verbatim\nstring"),
        b"$25\r\nThis is a verbatim\nstring\r\n",
        b"=29\r\ntxt:This is a verbatim\nstring\r\n",
    ),
    (Verbatim(b""), b"$0\r\n\r\n", b"=4\r\ntxt:\r\n"),
    (
        Push([b"message", b"ch", b"hi"]),
        b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
        b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
    ),
    (Push([b"server-cpu-usage", 42]), b"*2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n", b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"),
    (Raw(b"+already\r\n"), b"+already\r\n", b"+already\r\n"),
    (NO_REPLY, b"", b""),
    (CommandError("ERR syntax error"), b"-ERR syntax error\r\n", b"-ERR syntax error\r\n"),
    (
        [OK, CommandError("ERR value is not an integer or out of range")],
        b"*2\r\n+OK\r\n-ERR value is not an integer or out of range\r\n",
        b"*2\r\n+OK\r\n-ERR value is not an integer or out of range\r\n",
    ),
    ([NULL_ARRAY, Double(2.5), Bool(True)], b"*3\r\n*-1\r\n$3\r\n2.5\r\n:1\r\n", b"*3\r\n_\r\n,2.5\r\n#t\r\n"),
    ([[b"member", Double(1.0)]], b"*1\r\n*2\r\n$6\r\nmember\r\n$1\r\n1\r\n", b"*1\r\n*2\r\n$6\r\nmember\r\n,1\r\n"),
]


@pytest.mark.parametrize("value, resp2, resp3", TABLE, ids=lambda v: repr(v)[:40])
def test_encode(value, resp2, resp3):
    assert encode(value, 2) == resp2
    assert encode(value, 3) == resp3


def test_default_protocol_is_resp2():
    assert encode(None) == b"$-1\r\n"
    assert encode({b"a": 1}) == b"*2\r\n$1\r\na\r\n:1\r\n"


def test_error_text_newlines_become_spaces():
    err = CommandError("ERR bad\r\nthing")
    assert encode(err, 2) == b"-ERR bad  thing\r\n"
    assert encode_error(err) == b"-ERR bad  thing\r\n"
    assert encode_error(CommandError(b"WRONGTYPE x\xff")) == b"-WRONGTYPE x\xff\r\n"


def test_big_nested_array():
    value = [[b"k%d" % i, i, None] for i in range(2000)]
    out = encode(value, 2)
    assert out.startswith(b"*2000\r\n*3\r\n$2\r\nk0\r\n:0\r\n$-1\r\n")
    assert out.endswith(b"*3\r\n$5\r\nk1999\r\n:1999\r\n$-1\r\n")
    assert out.count(b"$-1\r\n") == 2000


# --------------------------------------------------------------------------- against the oracle


@pytest.fixture(scope="module")
def oracle_conns(oracle):
    c2 = oracle.conn()
    c3 = oracle.conn()
    c3.call("HELLO", "3")
    c2.call("FLUSHALL")
    yield c2, c3
    c2.close()
    c3.close()


DEBUG_PROTOCOL = [
    ("string", b"Hello World"),
    ("integer", 12345),
    ("double", Double(3.141)),
    ("bignum", BigNumber(BIG)),
    ("null", None),
    ("array", [0, 1, 2]),
    ("set", SetReply([0, 1, 2])),
    ("map", {0: Bool(False), 1: Bool(True), 2: Bool(False)}),
    ("verbatim", Verbatim(b"This is a verbatim\nstring")),
    ("true", Bool(True)),
    ("false", Bool(False)),
]


@pytest.mark.parametrize("kind, value", DEBUG_PROTOCOL, ids=[k for k, _ in DEBUG_PROTOCOL])
def test_debug_protocol_matches_oracle(oracle_conns, kind, value):
    c2, c3 = oracle_conns
    assert encode(value, 2) == c2.call("DEBUG", "PROTOCOL", kind)
    assert encode(value, 3) == c3.call("DEBUG", "PROTOCOL", kind)


def test_push_matches_oracle(oracle_conns):
    _, c3 = oracle_conns
    first = c3.call("DEBUG", "PROTOCOL", "push")
    second = c3.read_reply()  # DEBUG PROTOCOL push sends a push, then a normal reply
    assert first == encode(Push([b"server-cpu-usage", 42]), 3)
    assert second == encode(b"Some real reply following the push reply", 3)


SCORES = [("0.1", 0.1), ("inf", float("inf")), ("-inf", float("-inf")), ("1e300", 1e300), ("1.5", 1.5),
          ("100", 100.0), ("1e17", 1e17), ("123456789012345678", 123456789012345678.0), ("5e-324", 5e-324),
          ("0", 0.0), ("-2.25", -2.25), ("3.0000000000000004", 3.0000000000000004)]


def test_doubles_match_oracle_zrange(oracle_conns):
    c2, c3 = oracle_conns
    args = ["ZADD", "encoder:z"]
    for i, (text, _) in enumerate(SCORES):
        args += [text, "m%02d" % i]
    c2.call(*args)
    ordered = sorted(((v, b"m%02d" % i) for i, (_, v) in enumerate(SCORES)))
    flat = []
    pairs = []
    for v, m in ordered:
        flat += [m, Double(v)]
        pairs.append([m, Double(v)])
    try:
        assert encode(flat, 2) == c2.call("ZRANGE", "encoder:z", "0", "-1", "WITHSCORES")
        assert encode(pairs, 3) == c3.call("ZRANGE", "encoder:z", "0", "-1", "WITHSCORES")
        assert encode(Double(0.1), 3) == c3.call("ZINCRBY", "encoder:z2", "0.1", "a")
        assert encode(Double(0.1 + 0.2), 2) == c2.call("ZINCRBY", "encoder:z2", "0.2", "a")
    finally:
        c2.call("DEL", "encoder:z", "encoder:z2")


def test_null_array_and_errors_in_arrays_match_oracle(oracle_conns):
    c2, c3 = oracle_conns
    assert encode(NULL_ARRAY, 2) == c2.call("BLPOP", "encoder:nokey", "0.01")
    assert encode(NULL_ARRAY, 3) == c3.call("BLPOP", "encoder:nokey", "0.01")
    assert encode(None, 2) == c2.call("GET", "encoder:nokey")
    assert encode(None, 3) == c3.call("GET", "encoder:nokey")
    c2.call("MULTI")
    c2.call("SET", "encoder:k", "v")
    c2.call("INCR", "encoder:k")
    try:
        want = c2.call("EXEC")
    finally:
        c2.call("DEL", "encoder:k")
    assert encode([OK, CommandError("ERR value is not an integer or out of range")], 2) == want


def test_maps_and_sets_match_oracle(oracle_conns):
    c2, c3 = oracle_conns
    c2.call("HSET", "encoder:h", "f", "v")
    c2.call("SADD", "encoder:s", "x")
    try:
        assert encode({b"f": b"v"}, 2) == c2.call("HGETALL", "encoder:h")
        assert encode({b"f": b"v"}, 3) == c3.call("HGETALL", "encoder:h")
        assert encode({b"x"}, 2) == c2.call("SMEMBERS", "encoder:s")
        assert encode({b"x"}, 3) == c3.call("SMEMBERS", "encoder:s")
        assert encode({}, 3) == c3.call("HGETALL", "encoder:nokey")
        assert encode(SetReply(), 3) == c3.call("SMEMBERS", "encoder:nokey")
    finally:
        c2.call("DEL", "encoder:h", "encoder:s")


# Long arrays and maps of plain bytes are encoded with one join: the same bytes as
# element by element, and anything else in them (status replies, numbers, long or
# mutable strings) still encoded by its own type.


def _reference(v, proto):
    """Element-by-element encoding of arrays and maps (what the join must equal)."""
    if type(v) is list:
        return b"*%d\r\n" % len(v) + b"".join(_reference(i, proto) for i in v)
    if type(v) is dict:
        head = b"%%%d\r\n" % len(v) if proto == 3 else b"*%d\r\n" % (2 * len(v))
        return head + b"".join(_reference(k, proto) + _reference(x, proto) for k, x in v.items())
    return encode(v, proto)


@pytest.mark.parametrize("proto", [2, 3])
def test_long_arrays_and_maps_as_element_by_element(proto):
    import random

    rnd = random.Random(3)
    odd = [Simple(b"OK"), Verbatim(b"txt"), 7, -1, 5000, None, Double(1.5), bytearray(b"ba"),
           b"x" * 1024, b"y" * 1025, [b"nested"], NULL_ARRAY]
    for _ in range(300):
        n = rnd.randint(0, 40)
        items = [b"e%d" % rnd.randint(0, 10**rnd.randint(0, 6)) for _ in range(n)]
        if items and rnd.random() < 0.6:
            items[rnd.randrange(n)] = rnd.choice(odd)
        assert encode(items, proto) == _reference(items, proto)
        d = {k: v for k, v in zip(items, reversed(items)) if type(k) is bytes}
        assert encode(d, proto) == _reference(d, proto)


def test_long_array_of_bulks_bytes():
    assert encode([b"ab"] * 8 + [b""], 2) == b"*9\r\n" + b"$2\r\nab\r\n" * 8 + b"$0\r\n\r\n"
    assert encode({b"f%d" % i: b"v" for i in range(4)}, 3) == b"%4\r\n" + b"".join(
        b"$2\r\nf%d\r\n$1\r\nv\r\n" % i for i in range(4)
    )
    assert encode([Simple(b"OK")] * 8, 2) == b"*8\r\n" + b"+OK\r\n" * 8
