"""Glob-style matching exactly as Redis's stringmatchlen (KEYS, SCAN MATCH, PSUBSCRIBE, ...).

Syntax: `*` any run of bytes, `?` one byte, `[abc]` `[^abc]` `[a-z]` one byte of a class,
`\\x` the byte x literally (outside and inside brackets). Redis's quirks reproduced here:

- Ranges compare C `char`s, which are signed on the platforms Redis ships for: a byte
  >= 0x80 sorts below 'a', so `[a-\\xff]` means "0xff..'a'" after the endpoints are swapped.
  A reversed range (`[z-a]`) is swapped, not empty.
- `-` makes a range whenever two more pattern bytes follow, even if the second is `]`:
  `[a-]x` is a class holding ']'..'a' and 'x', left unterminated.
- An unterminated `[` ends the class at the end of the pattern: `[ab` matches one of a, b;
  a bare `[` never matches and `[^` matches any byte.
- A backslash inside a class escapes the next byte (compared case-sensitively even with
  nocase); a trailing backslash is a literal backslash.
- With nocase, literals and range ends are folded with C's tolower (ASCII only).
- The empty string matches only the empty pattern (Redis's loop never runs, so even `*`
  does not match it; KEYS special-cases a lone `*` before matching).

A pattern is translated once into a `re` pattern and cached. Star-separated segments are
each of fixed length, so the leftmost occurrence of every middle segment can be committed
to with an atomic group: matching stays linear-ish instead of backtracking exponentially
on patterns like `*a*a*a*a*b` (Redis guards the same case with skipLongerMatches).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable

__all__ = ["match", "compile"]

_STAR = object()


def _signed(b: int) -> int:
    return b - 256 if b >= 128 else b


def _lower(b: int) -> int:
    """C tolower on a (signed) char value: ASCII letters only."""
    return b + 32 if 65 <= b <= 90 else b


def _class(pattern: bytes, i: int, nocase: bool) -> tuple[frozenset, int]:
    """The bytes one `[...]` starting after '[' at i matches, and the index after it."""
    n = len(pattern)
    negate = i < n and pattern[i] == 0x5E  # '^'
    if negate:
        i += 1
    items = []  # ("lit", byte, folds) | ("range", lo, hi)
    while True:
        left = n - i
        if left >= 2 and pattern[i] == 0x5C:  # backslash escape: exact byte
            i += 1
            items.append(("lit", pattern[i], False))
        elif left > 0 and pattern[i] == 0x5D:  # ']'
            i += 1
            break
        elif left == 0:
            break
        elif left >= 3 and pattern[i + 1] == 0x2D:  # '-'
            lo, hi = _signed(pattern[i]), _signed(pattern[i + 2])
            if lo > hi:
                lo, hi = hi, lo
            if nocase:
                lo, hi = _lower(lo), _lower(hi)
            items.append(("range", lo, hi))
            i += 2
        else:
            items.append(("lit", pattern[i], nocase))
        i += 1
    accepted = set()
    for c in range(256):
        sc = _signed(c)
        hit = False
        for kind, a, b in items:
            if kind == "lit":
                if a == c or (b and _lower(a) == _lower(c)):
                    hit = True
                    break
            else:
                v = _lower(sc) if nocase else sc
                if a <= v <= b:
                    hit = True
                    break
        if hit != negate:
            accepted.add(c)
    return frozenset(accepted), i


def _tokens(pattern: bytes, nocase: bool) -> list:
    """The pattern as a list of _STAR or frozensets of the bytes one position accepts."""
    out: list = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == 0x2A:  # '*'
            if not out or out[-1] is not _STAR:
                out.append(_STAR)
            i += 1
        elif ch == 0x3F:  # '?'
            out.append(_ANY)
            i += 1
        elif ch == 0x5B:  # '['
            cls, i = _class(pattern, i + 1, nocase)
            out.append(cls)
        else:
            if ch == 0x5C and i + 1 < n:
                i += 1
                ch = pattern[i]
            if nocase and (65 <= ch <= 90 or 97 <= ch <= 122):
                out.append(frozenset((ch | 0x20, ch & ~0x20)))
            else:
                out.append(frozenset((ch,)))
            i += 1
    return out


_ANY = frozenset(range(256))


def _re_class(accepted: frozenset) -> bytes:
    if accepted == _ANY:
        return b"."
    if not accepted:
        return b"(?!)"
    if len(accepted) == 1:
        return b"\\x%02x" % next(iter(accepted))
    return b"[" + b"".join(b"\\x%02x" % c for c in sorted(accepted)) + b"]"


def _regex(tokens: list) -> bytes:
    segments: list[list] = [[]]
    for t in tokens:
        if t is _STAR:
            segments.append([])
        else:
            segments[-1].append(t)
    text = [b"".join(_re_class(t) for t in seg) for seg in segments]
    if len(text) == 1:
        return text[0]
    # prefix, then each middle segment at its leftmost place (atomic), then the suffix
    # anywhere after (it is fixed length, so it must end the string).
    middle = b"".join(b"(?>.*?" + t + b")" for t in text[1:-1])
    return text[0] + middle + b".*" + text[-1]


@lru_cache(maxsize=512)
def compile(pattern: bytes, nocase: bool = False) -> Callable[[bytes], bool]:  # noqa: A001
    """A predicate for `pattern`: f(string) -> bool, with stringmatchlen's semantics."""
    pattern = bytes(pattern)
    if pattern == b"*":
        return lambda s: len(s) > 0
    if not pattern:
        return lambda s: not s
    fullmatch = re.compile(_regex(_tokens(pattern, nocase)), re.DOTALL).fullmatch

    def matcher(s) -> bool:
        return bool(s) and fullmatch(s) is not None

    return matcher


def match(pattern: bytes, string: bytes, nocase: bool = False) -> bool:
    """stringmatchlen(pattern, string, nocase)."""
    return compile(pattern, nocase)(string)
