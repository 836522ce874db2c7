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

__all__ = ["string2ll", "parse_double", "format_double", "LLONG_MAX", "LLONG_MIN", "SHARED_INTEGERS",
           "SHARED_INT_BYTES", "SHARED_INT_VALUE"]

# Redis's shared integers (OBJ_SHARED_INTEGERS): 0..9999 as one object each. Here the
# canonical bytes of each, which INCR and friends store, and the way back: a dict lookup
# of a stored value (whose hash bytes keep) is 4x cheaper than int() of bytes, and the
# table 10x cheaper than b"%d" (valgrind counts: 1150 and 950 instructions).
SHARED_INTEGERS = 10000
SHARED_INT_BYTES = [b"%d" % i for i in range(SHARED_INTEGERS)]
SHARED_INT_VALUE = {b: i for i, b in enumerate(SHARED_INT_BYTES)}

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
    if len(s) < 16 and s.isdigit():
        return float(s)  # plain digits (leading zeros too): what strtod reads, exactly
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
#
# An x87 long double has a 64-bit significand (explicit integer bit), exponents down to
# 2**-16382 for normal values, subnormals down to 2**-16445, and overflows at 2**16384.
# Values are kept as exact Fractions, rounded to that grid (ties to even) after every
# parse and every addition, which is what the FPU does.

_LD_MANT = 64
_LD_MIN_EXP = -16381  # smallest e with 2**(e-1) a normal long double
_LD_SUB_SHIFT = 16445  # subnormal quantum is 2**-16445
_LD_OVERFLOW = 1 << 16384
# string2ld copies the argument into a 5*1024 byte buffer with its terminator.
_LD_MAX_CHARS = 5 * 1024

_DEC = re.compile(rb"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
_HEX = re.compile(rb"([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?")


def _int_from_digits(digits: bytes, base: int = 10) -> int:
    """int(digits) without Python's 4300-digit conversion limit (inputs reach 5119)."""
    if len(digits) <= 4000:
        return int(digits, base)
    return _int_from_digits(digits[:-4000], base) * base**4000 + int(digits[-4000:], base)


_TEN_4000 = 10**4000


def _int_to_str(n: int) -> str:
    """str(n) for n >= 0 without Python's 4300-digit conversion limit."""
    if n < _TEN_4000:
        return str(n)
    hi, lo = divmod(n, _TEN_4000)
    return _int_to_str(hi) + str(lo).rjust(4000, "0")


def _round_ld(x: Fraction) -> Fraction:
    """Round an exact rational to the nearest x87 long double (ties to even).

    The result may be >= 2**16384, meaning the operation overflowed to infinity.
    """
    n, d = x.numerator, x.denominator
    if n == 0:
        return x
    neg = n < 0
    if neg:
        n = -n
    # e such that 2**(e-1) <= n/d < 2**e
    e = n.bit_length() - d.bit_length()
    if (n >> e if e >= 0 else n << -e) >= d:
        e += 1
    shift = min(_LD_MANT - e, _LD_SUB_SHIFT)
    if shift >= 0:
        q, r = divmod(n << shift, d)
        den = d
    else:
        den = d << -shift
        q, r = divmod(n, den)
    twice = r << 1
    if twice > den or (twice == den and q & 1):
        q += 1
    if neg:
        q = -q
    return Fraction(q, 1 << shift) if shift >= 0 else Fraction(q << -shift)


def _parse_ld_exact(s: bytes) -> Fraction | None:
    """The exact value of a decimal or hex literal, or None when its magnitude is far
    outside the long double range (strtold's ERANGE), found from the digit count and the
    exponent without building huge powers of ten."""
    m = _HEX.fullmatch(s)
    if m is not None:
        sign, ip, fp, ex = m.groups()
        fp = fp or b""
        digits = (ip + fp).lstrip(b"0")
        exp2 = int(ex or b"0") - 4 * len(fp)
        if not digits:
            return Fraction(0)
        mant = _int_from_digits(digits, 16)
        mag2 = exp2 + mant.bit_length()
        if mag2 > 16400 or mag2 < -16500:
            return None
        v = Fraction(mant << exp2) if exp2 >= 0 else Fraction(mant, 1 << -exp2)
        return -v if sign == b"-" else v
    m = _DEC.fullmatch(s)
    sign, ip, fp, ex = m.groups()
    fp = fp or b""
    digits = (ip + fp).lstrip(b"0")
    if not digits:
        return Fraction(0)
    exp10 = int(ex or b"0") - len(fp)
    mag10 = exp10 + len(digits)  # 10**(mag10-1) <= value < 10**mag10
    if mag10 - 1 > 4933 or mag10 < -4952:
        return None
    mant = _int_from_digits(digits)
    v = Fraction(mant * 10**exp10) if exp10 >= 0 else Fraction(mant, 10**-exp10)
    return -v if sign == b"-" else v


def parse_long_double(s: bytes) -> Fraction | float | None:
    """string2ld: strtold of the whole argument, None when Redis refuses it.

    Refused: empty, 5120 bytes or more, leading space, trailing garbage, NaN, overflow
    (ERANGE with HUGE_VAL) and underflow to zero (ERANGE with 0); a result that
    underflows to a subnormal is accepted. "inf"/"infinity" come back as float infinities.
    """
    if not s or len(s) >= _LD_MAX_CHARS or s[0] in b" \t\n\r\v\f":
        return None
    if _FLOAT.fullmatch(s) is None:
        return None
    low = s.lower()
    if b"n" in low:  # nan, inf, infinity
        if b"nan" in low:
            return None
        return -math.inf if low.startswith(b"-") else math.inf
    exact = _parse_ld_exact(s)
    if exact is None:
        return None  # overflow or underflow to zero: ERANGE
    if exact == 0:
        return exact
    value = _round_ld(exact)
    if value == 0 or abs(value) >= _LD_OVERFLOW:
        return None
    return value


def long_double_add(a, b):
    """a + b in long double; an infinite or NaN result comes back as a float."""
    if isinstance(a, float):
        return a + b if isinstance(b, float) else a
    if isinstance(b, float):
        return b
    value = _round_ld(a + b)
    if abs(value) >= _LD_OVERFLOW:
        return math.inf if value > 0 else -math.inf
    return value


def format_long_double(v: Fraction) -> bytes:
    """ld2string(LD_STR_HUMAN): "%.17Lf", trailing zeros and '.' removed, "-0" -> "0".

    glibc prints the exact binary value rounded half to even at the 17th decimal.
    """
    n, d = v.numerator, v.denominator
    sign = "-" if n < 0 else ""
    if n < 0:
        n = -n
    if d == 1:
        return (sign + _int_to_str(n)).encode()
    q, r = divmod(n * 10**17, d)
    twice = r << 1
    if twice > d or (twice == d and q & 1):
        q += 1
    digits = _int_to_str(q).rjust(18, "0")
    text = (digits[:-17] + "." + digits[-17:]).rstrip("0").rstrip(".")
    if text == "0":
        sign = ""
    return (sign + text).encode()
