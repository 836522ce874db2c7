"""numbers.py: Redis's long double INCRBYFLOAT arithmetic, checked without sockets.

Expected texts were taken from Redis 7.0.15 (x86-64, 80-bit long double); the compat
tests compare many more values against a live oracle.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from redpy.numbers import format_long_double, long_double_add, parse_long_double


def incrbyfloat(base: bytes, incr: bytes) -> bytes | None:
    a = parse_long_double(base)
    b = parse_long_double(incr)
    if a is None or b is None:
        return None
    s = long_double_add(a, b)
    if isinstance(s, float):
        return b"inf"
    return format_long_double(s)


@pytest.mark.parametrize(
    "base,incr,want",
    [
        (b"10.5", b"0.1", b"10.6"),
        (b"5.0e3", b"2.0e2", b"5200"),
        (b"0", b"0.000003814697265625", b"0.00000381469726562"),
        (b"0", b"0x1.8p1", b"3"),
        (b"3", b"-3", b"0"),
        (b"-0", b"-0", b"0"),
        (b"0", b"-1e-20", b"0"),
        (b"0", b"1e-4940", b"0"),
        (b"0x10", b"1", b"17"),
        (b"1", b"-1.5", b"-0.5"),
    ],
)
def test_incrbyfloat_texts(base, incr, want):
    assert incrbyfloat(base, incr) == want


def test_long_results_are_exact_binary_expansions():
    got = incrbyfloat(b"1e300", b"1.2")
    assert got.startswith(b"1000000000000000000008997324079559193870523944273290747938")
    assert len(got) == 301
    big = incrbyfloat(b"0", b"1" + b"0" * 4932)
    assert len(big) == 4933 and big.startswith(b"10000000000000000000060189493879638913")


@pytest.mark.parametrize(
    "text",
    [b"", b" 1", b"1 ", b"1e", b"abc", b"nan", b"-nan", b"1.5\x00abc", b"\x00", b"0x", b"1e-5000",
     b"1e5000", b"0" * 5120, b"1e+99999999999999999999999", b"1e-99999999999999999999999", b"0." + b"0" * 5000 + b"1"],
)
def test_refused_values(text):
    assert parse_long_double(text) is None


def test_accepted_edge_values():
    assert parse_long_double(b"0" * 5119) == 0
    assert parse_long_double(b"0e-5000") == 0
    assert parse_long_double(b"inf") == math.inf
    assert parse_long_double(b"-Infinity") == -math.inf
    assert parse_long_double(b"+.5") == Fraction(1, 2)
    tiny = parse_long_double(b"3.6e-4951")  # a subnormal long double: accepted
    assert tiny == Fraction(1, 2**16445)


def test_rounding_to_64_bit_significand():
    # 2**64 + 1 needs 65 bits: rounds to even (2**64); 2**64 + 3 rounds up to 2**64 + 4.
    assert parse_long_double(b"18446744073709551617") == 2**64
    assert parse_long_double(b"18446744073709551619") == 2**64 + 4
    assert long_double_add(Fraction(2**64), Fraction(1)) == 2**64


def test_overflow_is_infinite():
    top = parse_long_double(b"1.18973149535723176e4932")
    assert isinstance(long_double_add(top, top), float)
    assert long_double_add(Fraction(1), math.inf) == math.inf
    assert math.isnan(long_double_add(math.inf, -math.inf))
