"""Redis-exact number parsing and formatting.

- `string2ll`: Redis's strict integer syntax (no '+', no spaces, no leading zeros).
- `parse_double`: strtod as Redis checks it (getDoubleFromObject): no leading space, the
  whole argument consumed, no NaN; "inf"/"infinity" and hex floats accepted like C does.
- `LongDouble`: INCRBYFLOAT and HINCRBYFLOAT compute in x87 80-bit long double (64-bit
  significand) and print with "%.17Lf" stripped of trailing zeros; Python has no long
  double, so values are kept as exact fractions rounded to 64 significant bits after every
  operation, which reproduces the hardware results bit for bit.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from .resp import LLONG_MAX, LLONG_MIN, string2ll

__all__ = ["string2ll", "parse_double", "format_double", "LLONG_MAX", "LLONG_MIN"]

_FLOAT = re.compile(
    rb"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf(?:inity)?|nan(?:\([0-9a-zA-Z_]*\))?"
    rb"|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)",
    re.IGNORECASE,
)


def _strtod_text(s: bytes) -> float | None:
    """The value C's strtod gives for the whole of s, or None if s is not all a number."""
    if _FLOAT.fullmatch(s) is None:
        return None
    low = s.lower()
    if b"x" in low:
        sign = -1.0 if low.startswith(b"-") else 1.0
        body = low.lstrip(b"+-")
        if b"p" not in body:
            body += b"p0"
        return sign * float.fromhex(body.decode())
    if b"nan" in low:
        return math.nan
    return float(s)


def parse_double(s: bytes) -> float | None:
    """getDoubleFromObject: a finite or infinite double, None for anything Redis refuses."""
    if not s or len(s) > 5000 or s[0] in b" \t\n\r\v\f":
        return None
    try:
        v = _strtod_text(s)
    except (ValueError, OverflowError):
        return None
    if v is None or v != v:
        return None
    if math.isinf(v) and b"inf" not in s.lower():
        return None  # ERANGE overflow is refused; a spelled-out inf is accepted
    return v


def format_double(d: float) -> bytes:
    """%.17g, the text Redis 7.0 uses for doubles in replies."""
    if d != d:
        return b"nan"
    if math.isinf(d):
        return b"inf" if d > 0 else b"-inf"
    return b"%.17g" % d


# ------------------------------------------------------------------ long double

_LD_MANT = 64  # x87 extended precision significand bits
_LD_MAX_EXP = 16384


def _round_ld(x: Fraction) -> Fraction:
    """Round an exact rational to the nearest x87 long double (ties to even)."""
    if x == 0:
        return Fraction(0)
    sign = -1 if x < 0 else 1
    x = abs(x)
    # exponent e such that 2**(e-1) <= x < 2**e
    e = x.numerator.bit_length() - x.denominator.bit_length()
    if Fraction(2) ** e <= x:
        e += 1
    while Fraction(2) ** (e - 1) > x:
        e -= 1
    shift = _LD_MANT - e  # scale so the significand has 64 integer bits
    scaled = x * (Fraction(2) ** shift)
    q, r = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * r
    if twice > scaled.denominator or (twice == scaled.denominator and q & 1):
        q += 1
    return sign * Fraction(q) / (Fraction(2) ** shift)


def _is_ld_overflow(x: Fraction) -> bool:
    return abs(x) >= Fraction(2) ** _LD_MAX_EXP


def parse_long_double(s: bytes) -> Fraction | float | None:
    """string2ld: strtold of the whole argument; inf is returned as a float infinity."""
    if not s or len(s) > 5000 or s[0] in b" \t\n\r\v\f":
        return None
    if _FLOAT.fullmatch(s) is None:
        return None
    low = s.lower()
    if b"nan" in low:
        return None
    if b"inf" in low:
        return -math.inf if low.startswith(b"-") else math.inf
    if b"x" in low:
        v = _strtod_text(s)
        return Fraction(v) if v is not None else None
    text = s.decode()
    try:
        exact = Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None
    value = _round_ld(exact)
    if _is_ld_overflow(value):
        return None
    return value


def long_double_add(a, b):
    """a + b in long double; an infinite or NaN result comes back as a float."""
    if isinstance(a, float) or isinstance(b, float):
        return float(a) + float(b)
    value = _round_ld(a + b)
    if _is_ld_overflow(value):
        return math.inf if value > 0 else -math.inf
    return value


def format_long_double(v: Fraction) -> bytes:
    """ld2string(LD_STR_HUMAN): "%.17Lf" then trailing zeros (and '.') removed."""
    sign = "-" if v < 0 else ""
    scaled = abs(v) * 10**17
    q, r = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * r
    if twice > scaled.denominator or (twice == scaled.denominator and q & 1):
        q += 1
    digits = str(q).rjust(18, "0")
    text = digits[:-17] + "." + digits[-17:]
    text = text.rstrip("0").rstrip(".")
    if text == "0":
        sign = ""
    return (sign + text).encode()
