"""Differential tests of the string group against the oracle: same requests, same bytes.

Relaxations, named where used: TTL values are compared after the fact with PTTL ranges
only where the clock moves between the two servers (none here: TTL has second
resolution and the checks run within the same second or use far deadlines).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

LLMAX = "9223372036854775807"
LLMIN = "-9223372036854775808"


def _resp3(both):
    """Switch both connections to RESP3, or skip when redpy has no HELLO yet."""
    both.oracle.call("HELLO", "3")
    if both.mine.call("HELLO", "3").startswith(b"-"):
        pytest.skip("HELLO is not implemented in redpy yet")
    return both


def test_get_set_basic(both):
    both.check("GET", "k")
    both.check("SET", "k", "v")
    both.check("GET", "k")
    both.check("SET", "k", "")
    both.check("GET", "k")
    both.check("SET", "k", b"\x00\xff\r\n")
    both.check("GET", "k")
    both.check("RPUSH", "l", "a")
    both.check("GET", "l")
    both.check("SET", "l", "v")
    both.check("GET", "l")


def test_set_options(both):
    both.check("SET", "k", "v", "NX")
    both.check("SET", "k", "v2", "NX")
    both.check("SET", "k", "v3", "XX")
    both.check("SET", "nokey", "v", "XX")
    both.check("SET", "k", "v", "NX", "NX")
    both.check("SET", "k", "v", "XX", "XX")
    both.check("SET", "k", "v", "nx", "xx")
    both.check("SET", "k", "v", "XX", "NX")
    both.check("SET", "k", "v", "nx\x00zz")  # options compare as C strings
    both.check("SET", "k", "v", "GET")
    both.check("SET", "k", "w", "GET", "GET")
    both.check("SET", "k2", "w", "GET")
    both.check("SET", "k", "x", "NX", "GET")
    both.check("SET", "k", "y", "XX", "GET")
    both.check("SET", "absent", "y", "XX", "GET")
    both.check("EXISTS", "absent")
    both.check("RPUSH", "l", "a")
    both.check("SET", "l", "v", "GET")
    both.check("SET", "l", "v", "NX", "GET")
    both.check("LLEN", "l")


def test_set_expire_options(both):
    both.check("SET", "k", "v", "EX", "100")
    both.check("TTL", "k")
    both.check("SET", "k", "v", "EX", "10", "EX", "200")
    both.check("TTL", "k")
    both.check("SET", "k", "v", "KEEPTTL")
    both.check("TTL", "k")
    both.check("SET", "k", "v")
    both.check("TTL", "k")
    both.check("SET", "k", "v", "PX", "100000")
    both.check("TTL", "k")
    both.check("SET", "k", "v", "EXAT", "4102444800")
    both.check("EXPIRETIME", "k")
    both.check("SET", "k", "v", "PXAT", "4102444800123")
    both.check("PEXPIRETIME", "k")
    both.check("SET", "k", "v", "PXAT", LLMAX)
    both.check("PEXPIRETIME", "k")
    both.check("SET", "k", "v", "EXAT", "1")
    both.check("GET", "k")
    for bad in (
        ("EX",),
        ("EX", "10", "PX", "100"),
        ("PX", "10", "EX", "100"),
        ("EX", "10", "EXAT", "100"),
        ("PXAT", "10", "EXAT", "100"),
        ("KEEPTTL", "EX", "10"),
        ("EX", "10", "KEEPTTL"),
        ("PERSIST",),
        ("EX", "0"),
        ("EX", "-1"),
        ("PX", "0"),
        ("EXAT", "0"),
        ("PXAT", "-5"),
        ("EX", "abc"),
        ("EX", "1.5"),
        ("EX", "9223372036854775"),
        ("EX", "9223372036854776"),
        ("EX", LLMAX),
        ("PX", LLMAX),
        ("EXAT", "9223372036854776"),
        ("EX", "99999999999999999999"),
        ("FOO",),
        ("NX", "FOO"),
    ):
        both.check("SET", "k", "v", *bad)
    both.check("SET", "k", "v", "EX", "0", "GET")
    both.check("GET", "k")


def test_setnx_setex_psetex(both):
    both.check("SETNX", "k", "a")
    both.check("SETNX", "k", "b")
    both.check("GET", "k")
    both.check("SETEX", "k", "100", "v")
    both.check("TTL", "k")
    both.check("PSETEX", "k", "100000", "v")
    both.check("TTL", "k")
    for t in ("0", "-1", "x", "9223372036854776", "9223372036854775", LLMAX, ""):
        both.check("SETEX", "k", t, "v")
        both.check("PSETEX", "k", t, "v")
    both.check("RPUSH", "l", "a")
    both.check("SETNX", "l", "x")
    both.check("SETEX", "l", "10", "x")
    both.check("TYPE", "l")


def test_getex(both):
    both.check("GETEX", "nokey")
    both.check("GETEX", "nokey", "EX", "0")
    both.check("GETEX", "nokey", "EX", "abc")
    both.check("GETEX", "nokey", "FOO")
    both.check("SET", "k", "v")
    both.check("GETEX", "k")
    both.check("GETEX", "k", "EX", "100")
    both.check("TTL", "k")
    both.check("GETEX", "k", "PX", "200000")
    both.check("TTL", "k")
    both.check("GETEX", "k", "PERSIST")
    both.check("TTL", "k")
    both.check("GETEX", "k", "PERSIST", "PERSIST")
    both.check("GETEX", "k", "EXAT", "4102444800")
    both.check("EXPIRETIME", "k")
    both.check("GETEX", "k", "PXAT", "4102444800555")
    both.check("PEXPIRETIME", "k")
    both.check("GETEX", "k", "EX", "10", "EX", "20")
    both.check("TTL", "k")
    for bad in (
        ("PERSIST", "EX", "10"),
        ("EX", "10", "PERSIST"),
        ("EX", "10", "PX", "10"),
        ("KEEPTTL",),
        ("NX",),
        ("XX",),
        ("GET",),
        ("EX",),
        ("EX", "0"),
        ("PX", "-1"),
        ("EX", "x"),
        ("EX", "9223372036854776"),
        ("PX", LLMAX),
    ):
        both.check("GETEX", "k", *bad)
    both.check("GETEX", "k", "EXAT", "1")
    both.check("EXISTS", "k")
    both.check("SET", "k", "v")
    both.check("GETEX", "k", "PXAT", "1")
    both.check("EXISTS", "k")
    both.check("RPUSH", "l", "a")
    both.check("GETEX", "l")
    both.check("GETEX", "l", "EX", "abc")
    both.check("GETEX", "l", "FOO")


def test_getdel_getset(both):
    both.check("GETDEL", "k")
    both.check("SET", "k", "v", "EX", "100")
    both.check("GETDEL", "k")
    both.check("EXISTS", "k")
    both.check("GETSET", "k", "a")
    both.check("EXPIRE", "k", "100")
    both.check("GETSET", "k", "b")
    both.check("TTL", "k")
    both.check("GET", "k")
    both.check("RPUSH", "l", "a")
    both.check("GETDEL", "l")
    both.check("GETSET", "l", "x")
    both.check("TYPE", "l")


def test_mset_msetnx_mget(both):
    both.check("MSET", "a", "1", "b", "2")
    both.check("MSET", "a", "1", "b")
    both.check("MSETNX", "a", "1", "b")
    both.check("MGET", "a", "b", "c")
    both.check("MSETNX", "c", "3", "a", "x")
    both.check("MGET", "a", "b", "c")
    both.check("MSETNX", "c", "3", "d", "4")
    both.check("MSETNX", "e", "5", "e", "6")
    both.check("MGET", "a", "b", "c", "d", "e")
    both.check("RPUSH", "l", "x")
    both.check("MGET", "l", "a")
    both.check("MSETNX", "l", "1")
    both.check("SET", "t", "v", "EX", "100")
    both.check("MSET", "t", "w")
    both.check("TTL", "t")
    both.check("MSET", "l", "now-a-string")
    both.check("GET", "l")


def test_incr_decr(both):
    both.check("INCR", "n")
    both.check("INCRBY", "n", "10")
    both.check("DECR", "n")
    both.check("DECRBY", "n", "5")
    both.check("DECRBY", "n", "-5")
    both.check("INCRBY", "n", LLMAX)
    both.check("SET", "n", LLMAX)
    both.check("INCR", "n")
    both.check("SET", "n", LLMIN)
    both.check("DECR", "n")
    both.check("DECRBY", "n", LLMIN)
    both.check("DECRBY", "n", "1")
    both.check("INCRBY", "n", LLMIN)
    both.check("SET", "n", "0")
    both.check("INCRBY", "n", LLMIN)
    both.check("DECRBY", "m", LLMIN)
    for bad in ("x", "1.5", " 1", "1 ", "+1", "01", "", "9223372036854775808", "-0"):
        both.check("INCRBY", "n", bad)
        both.check("DECRBY", "n", bad)
        both.check("SET", "z", bad)
        both.check("INCR", "z")
        both.check("DECR", "z")
    both.check("SET", "z", "-0")
    both.check("SET", "n", "10", "EX", "100")
    both.check("INCR", "n")
    both.check("TTL", "n")
    both.check("RPUSH", "l", "a")
    both.check("INCR", "l")
    both.check("INCRBY", "l", "x")
    both.check("DECRBY", "l", "1")
    both.check("APPEND", "s", "12")
    both.check("INCR", "s")
    both.check("GET", "s")



def test_incr_across_the_shared_integers(both):
    """INCR stores 0..9999 as shared values (numbers.SHARED_INT_BYTES) and parses them
    back by table: the boundaries, the way back down, and values that only look alike."""
    both.check("SET", "n", "9997")
    for _ in range(4):
        both.check("INCR", "n")
        both.check("GET", "n")
        both.check("OBJECT", "REFCOUNT", "n")
    for _ in range(3):
        both.check("DECRBY", "n", "2")
        both.check("OBJECT", "REFCOUNT", "n")
    both.check("SET", "n", "1")
    for _ in range(3):
        both.check("DECR", "n")
        both.check("GET", "n")
        both.check("OBJECT", "ENCODING", "n")
    for value in ("007", "0x1", "1e3", "999 ", "\x009"):
        both.check("SET", "n", value)
        both.check("INCR", "n")
    both.check("SET", "n", "42")
    both.check("APPEND", "n", "0")
    both.check("INCR", "n")
    both.check("GET", "n")


INCRBYFLOAT_CASES = [
    ("10.5", "0.1"),
    ("1e300", "1.2"),
    ("5.0e3", "2.0e2"),
    ("3", "-3"),
    ("-0", "0"),
    ("0", "-0"),
    ("1", "-1.5"),
    ("0", "1e-20"),
    ("0", "-1e-20"),
    ("0", "0.000003814697265625"),  # a decimal tie at the 17th digit: half to even
    ("1e4900", "1e4900"),
    ("1.18973149535723176e4932", "1e4932"),
    ("-1.18973149535723176e4932", "-1e4932"),
    ("0", "1e-4940"),
    ("0", "1e-5000"),
    ("0", "0e-5000"),
    ("0", "1e5000"),
    ("0", "inf"),
    ("0", "-inf"),
    ("0", "INFINITY"),
    ("0", "nan"),
    ("0", "0x1.8p1"),
    ("0x10", "1"),
    ("0", "0X1P3"),
    ("0", "1e"),
    ("0", " 1"),
    ("0", "1 "),
    ("0", ""),
    ("0", "abc"),
    ("0", "1.5\x00abc"),
    ("abc", "1"),
    ("", "1"),
    ("1.5", "+.5"),
    ("5.", "1"),
    (LLMAX, "1"),
    ("0", "0" * 5119),
    ("0", "0" * 5120),
    ("1" * 5120, "1"),
    ("0", "1" + "0" * 4932),
    ("0", "0." + "0" * 5000 + "1"),
    ("0", "1e+99999999999999999999999"),
    ("0", "1e-99999999999999999999999"),
    ("0.1", "0.2"),
    ("-3.14159", "3.14159"),
    ("123456789012345678901234567890", "0.5"),
]


@pytest.mark.parametrize("start,incr", INCRBYFLOAT_CASES)
def test_incrbyfloat_values(both, start, incr):
    both.check("SET", "k", start)
    both.check("INCRBYFLOAT", "k", incr)
    both.check("GET", "k")
    both.check("INCRBYFLOAT", "new", incr)


def test_incrbyfloat_chains(both):
    for start, incr in (("10.5", "0.1"), ("0", "0.1"), ("1", "-0.3333333333333333333333"), ("1e300", "1.2")):
        both.check("SET", "k", start)
        for _ in range(25):
            both.check("INCRBYFLOAT", "k", incr)


def test_incrbyfloat_misc(both):
    both.check("SET", "k", "1", "EX", "100")
    both.check("INCRBYFLOAT", "k", "1.5")
    both.check("TTL", "k")
    both.check("RPUSH", "l", "a")
    both.check("INCRBYFLOAT", "l", "1")
    both.check("INCRBYFLOAT", "l", "x")
    both.check("SET", "k", "abc")
    both.check("INCRBYFLOAT", "k", "x")


def test_getrange_substr(both):
    both.check("SET", "k", "Hello World")
    pairs = [
        ("0", "3"), ("-3", "-1"), ("0", "-1"), ("10", "100"), ("5", "3"), ("-100", "-50"),
        ("-100", "100"), ("11", "11"), ("0", LLMAX), (LLMIN, "0"), ("0", "-100"), ("-1", "-5"),
        ("x", "1"), ("1", "x"), ("1.0", "2"), ("-1", "-1"), ("-11", "-11"), ("-12", "-12"),
    ]
    for a, b in pairs:
        both.check("GETRANGE", "k", a, b)
        both.check("SUBSTR", "k", a, b)
    both.check("GETRANGE", "nokey", "0", "-1")
    both.check("GETRANGE", "nokey", "x", "-1")
    both.check("SET", "e", "")
    both.check("GETRANGE", "e", "0", "-1")
    both.check("GETRANGE", "e", "-1", "0")
    both.check("SET", "n", "12345")
    both.check("GETRANGE", "n", "1", "2")
    both.check("RPUSH", "l", "a")
    both.check("GETRANGE", "l", "0", "1")
    both.check("GETRANGE", "l", "x", "1")


def test_setrange(both):
    both.check("SETRANGE", "k", "0", "")
    both.check("EXISTS", "k")
    both.check("SETRANGE", "k", "5", "")
    both.check("SETRANGE", "k", "3", "ab")
    both.check("GET", "k")
    both.check("SETRANGE", "k", "0", "X")
    both.check("SETRANGE", "k", "10", "tail")
    both.check("GET", "k")
    both.check("SETRANGE", "k", "2", "")
    both.check("SETRANGE", "k", "-1", "x")
    both.check("SETRANGE", "k", "x", "x")
    both.check("SETRANGE", "k", "99999999999999999999", "x")
    both.check("SETRANGE", "k", "536870911", "")
    both.check("SETRANGE", "k", "536870912", "x")
    both.check("SETRANGE", "k", "536870911", "xy")
    both.check("SETRANGE", "k", LLMAX, "x")
    both.check("SETRANGE", "new", "536870912", "")
    both.check("SETRANGE", "new", "536870912", "x")
    both.check("EXISTS", "new")
    both.check("SET", "n", "123", "EX", "100")
    both.check("SETRANGE", "n", "1", "x")
    both.check("TTL", "n")
    both.check("GET", "n")
    both.check("RPUSH", "l", "a")
    both.check("SETRANGE", "l", "0", "x")
    both.check("SETRANGE", "l", "-1", "x")
    both.check("SETRANGE", "l", "0", "")


def test_append_strlen(both):
    both.check("APPEND", "k", "")
    both.check("EXISTS", "k")
    both.check("APPEND", "k", "Hello")
    both.check("APPEND", "k", " World")
    both.check("APPEND", "k", "")
    both.check("GET", "k")
    both.check("STRLEN", "k")
    both.check("STRLEN", "nokey")
    both.check("SET", "n", "12")
    both.check("APPEND", "n", "34")
    both.check("INCR", "n")
    both.check("STRLEN", "n")
    both.check("RPUSH", "l", "a")
    both.check("APPEND", "l", "x")
    both.check("STRLEN", "l")
    for _ in range(50):
        both.check("APPEND", "grow", "abc")
    both.check("GET", "grow")


def test_string_size_limits(both):
    # A key at exactly proto-max-bulk-len (512MB) refuses one more byte.
    both.check("SETRANGE", "big", "536870911", "x")
    both.check("APPEND", "big", "!")
    both.check("APPEND", "big", "")
    both.check("STRLEN", "big")
    both.check("SETRANGE", "big", "0", "abc")
    both.check("GETRANGE", "big", "0", "5")
    both.check("GETRANGE", "big", "-3", "-1")
    both.check("DEL", "big")


def test_lcs(both):
    both.check("SET", "a", "ohmytext")
    both.check("SET", "b", "mynewtext")
    both.check("LCS", "a", "b")
    both.check("LCS", "a", "b", "LEN")
    both.check("LCS", "a", "b", "IDX")
    both.check("LCS", "a", "b", "idx", "withmatchlen")
    both.check("LCS", "a", "b", "IDX", "MINMATCHLEN", "4")
    both.check("LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN")
    both.check("LCS", "a", "b", "IDX", "MINMATCHLEN", "-5")
    both.check("LCS", "a", "b", "MINMATCHLEN", "3")
    both.check("LCS", "a", "b", "LEN", "MINMATCHLEN", "3", "WITHMATCHLEN")
    both.check("LCS", "a", "b", "LEN", "LEN")
    for bad in (
        ("IDX", "LEN"),
        ("LEN", "IDX"),
        ("MINMATCHLEN",),
        ("MINMATCHLEN", "x"),
        ("FOO",),
        ("FOO", "LEN", "IDX"),
        ("LEN", "IDX", "FOO"),
        ("MINMATCHLEN", "x", "FOO"),
    ):
        both.check("LCS", "a", "b", *bad)
    both.check("LCS", "x", "y")
    both.check("LCS", "x", "y", "LEN")
    both.check("LCS", "x", "y", "IDX")
    both.check("LCS", "a", "y", "IDX")
    both.check("LCS", "a", "a", "IDX", "WITHMATCHLEN")
    both.check("RPUSH", "l", "a")
    both.check("LCS", "a", "l")
    both.check("LCS", "l", "a", "FOO")
    both.check("SET", "c", "ACCGGTCGAGTGCGCGGAAGCCGGCCGAA")
    both.check("SET", "d", "GTCGTTCGGAATGCCGTTGCTCTGTAAA")
    both.check("LCS", "c", "d")
    both.check("LCS", "c", "d", "IDX", "WITHMATCHLEN")
    both.check("LCS", "d", "c", "IDX", "MINMATCHLEN", "2", "WITHMATCHLEN")


def test_lcs_random(both):
    import random

    rnd = random.Random(7)
    for _ in range(40):
        a = "".join(rnd.choice("abc") for _ in range(rnd.randint(0, 30)))
        b = "".join(rnd.choice("abc") for _ in range(rnd.randint(0, 30)))
        both.check("MSET", "a", a, "b", b)
        both.check("LCS", "a", "b")
        both.check("LCS", "a", "b", "IDX", "WITHMATCHLEN")
        both.check("LCS", "a", "b", "IDX", "MINMATCHLEN", "2")


def test_lcs_resp3(both):
    _resp3(both)
    both.check("SET", "a", "ohmytext")
    both.check("SET", "b", "mynewtext")
    both.check("LCS", "a", "b", "IDX")
    both.check("LCS", "a", "b", "IDX", "WITHMATCHLEN")
    both.check("LCS", "x", "y", "IDX")
    both.check("GET", "nokey")
    both.check("GETEX", "nokey")
    both.check("GETDEL", "nokey")
    both.check("GETSET", "nokey", "v")
    both.check("SET", "k", "v", "NX")
    both.check("SET", "k2", "v", "XX", "GET")
    both.check("MGET", "a", "nokey")
    both.check("INCRBYFLOAT", "f", "1.5")


def test_inside_multi(both):
    both.check("MULTI")
    both.check("SET", "k", "v", "EX", "0")
    both.check("INCR", "k")
    both.check("SET", "k", "1")
    both.check("INCRBYFLOAT", "k", "x")
    both.check("GETRANGE", "k", "0", "-1")
    both.check("EXEC")


def test_replies_inside_multi_are_snapshots(both):
    # EXEC encodes its replies at the end: a value edited in place later in the same
    # transaction must not show through the earlier replies.
    both.check("APPEND", "k", "a")
    both.check("APPEND", "k", "b")
    both.check("SET", "m", "x")
    both.check("MULTI")
    for cmd in (("GET", "k"), ("MGET", "k"), ("GETEX", "k"), ("SET", "k", "z", "NX", "GET"), ("GETRANGE", "k", "0", "-1"),
                ("APPEND", "k", "c"), ("SETRANGE", "k", "0", "Z"), ("SETBIT", "k", "0", "1"),
                ("BITFIELD", "k", "SET", "u8", "#1", "65"), ("GET", "k"), ("LCS", "k", "m")):
        both.check(*cmd)
    both.check("EXEC")


# ------------------------------------------------------------------ random sequences

_KEYS = st.sampled_from(["a", "b", "l"])
_INTS = st.sampled_from(["0", "1", "-1", "3", "-3", "5", "100", "-100", LLMAX, LLMIN, "x", "", "1.5", "9223372036854775808"])
_VALS = st.one_of(
    st.sampled_from(["", "0", "10", "-7", "1.5", "abc", "1e3", "inf", "nan", " 1", "\x00", "ohmytext", "x", "xy"]),
    st.binary(max_size=8),
)
# Relative expire times long enough that no key expires between the two servers' replies.
_TIMES = st.sampled_from(["100000", "0", "-1", "x", LLMAX, "9223372036854776", "9223372036854775"])
_FLOATS = st.sampled_from(["0.1", "-0.1", "1e10", "1e-10", "inf", "x", "1.5", "-0", "3"])
_SET_OPTS = st.lists(
    st.sampled_from(["NX", "XX", "GET", "KEEPTTL", "EX", "PX", "EXAT", "PXAT", "PERSIST", "100000", "0", "x"]),
    max_size=4,
)
_LCS_OPTS = st.lists(st.sampled_from(["LEN", "IDX", "MINMATCHLEN", "WITHMATCHLEN", "2", "x"]), max_size=4)


def _command():
    return st.one_of(
        st.tuples(st.just("SET"), _KEYS, _VALS).map(list) | st.builds(lambda k, v, o: ["SET", k, v, *o], _KEYS, _VALS, _SET_OPTS),
        st.builds(lambda k, o: ["GETEX", k, *o], _KEYS, _SET_OPTS),
        st.builds(lambda c, k: [c, k], st.sampled_from(["GET", "GETDEL", "STRLEN", "INCR", "DECR"]), _KEYS),
        st.builds(lambda c, k, n: [c, k, n], st.sampled_from(["INCRBY", "DECRBY"]), _KEYS, _INTS),
        st.builds(lambda c, k, t: [c, k, t, "v"], st.sampled_from(["SETEX", "PSETEX"]), _KEYS, _TIMES),
        st.builds(lambda k, f: ["INCRBYFLOAT", k, f], _KEYS, _FLOATS),
        st.builds(lambda c, k, v: [c, k, v], st.sampled_from(["APPEND", "GETSET", "SETNX"]), _KEYS, _VALS),
        st.builds(lambda c, k, a, b: [c, k, a, b], st.sampled_from(["GETRANGE", "SUBSTR"]), _KEYS, _INTS, _INTS),
        st.builds(lambda k, o, v: ["SETRANGE", k, o, v], _KEYS, st.sampled_from(["0", "1", "5", "-1", "x", "536870912"]), _VALS),
        st.builds(lambda ks: ["MGET", *ks], st.lists(_KEYS, min_size=1, max_size=3)),
        st.builds(lambda kv: ["MSET", *kv], st.lists(st.one_of(_KEYS, _VALS), min_size=1, max_size=5)),
        st.builds(lambda kv: ["MSETNX", *kv], st.lists(st.one_of(_KEYS, _VALS), min_size=1, max_size=5)),
        st.builds(lambda a, b, o: ["LCS", a, b, *o], _KEYS, _KEYS, _LCS_OPTS),
        st.builds(lambda k: ["RPUSH", k, "x"], st.just("l")),
    )


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(cmds=st.lists(_command(), min_size=10, max_size=40))
def test_random_string_sequences(oracle, redpy_server, cmds):
    o, m = oracle.conn(), redpy_server.conn()
    try:
        o.call("FLUSHALL")
        m.call("FLUSHALL")
        for cmd in cmds:
            want = o.call(*cmd)
            got = m.call(*cmd)
            assert got == want, f"{cmd!r}: redpy {got!r} != redis {want!r}"
        for key in ("a", "b", "l"):
            assert m.call("TYPE", key) == o.call("TYPE", key)
    finally:
        o.close()
        m.close()


def test_limits_follow_proto_max_bulk_len(both):
    both.check("CONFIG", "SET", "proto-max-bulk-len", "1048576")
    try:
        both.check("SETRANGE", "k", "1048575", "x")
        both.check("SETRANGE", "k", "1048576", "x")
        both.check("APPEND", "k", "y")
        both.check("SETBIT", "b", "8388607", "1")
        both.check("SETBIT", "b", "8388608", "1")
        both.check("GETBIT", "b", "8388608")
        both.check("BITFIELD", "b", "GET", "u8", "#1048575")
        both.check("BITFIELD", "b", "GET", "u8", "#1048576")
        both.check("STRLEN", "b")
    finally:
        both.check("CONFIG", "SET", "proto-max-bulk-len", "536870912")
