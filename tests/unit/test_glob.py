"""glob.py: Redis's stringmatchlen semantics, case by case (expectations from Redis 7.0.15).

The same module is fuzzed against the oracle's KEYS and CONFIG GET in
tests/compat/test_keys_compat.py.
"""

from __future__ import annotations

import time

import pytest

from redpy import glob

CASES = [
    # pattern, string, matches
    (b"*", b"anything", True),
    (b"*", b"", False),  # the empty string matches only the empty pattern
    (b"**", b"", False),
    (b"", b"", True),
    (b"", b"a", False),
    (b"a*", b"a", True),
    (b"a*b", b"a", False),
    (b"a*b", b"axxb", True),
    (b"a*b", b"axxbc", False),
    (b"?", b"a", True),
    (b"?", b"", False),
    (b"?", b"ab", False),
    (b"h?llo", b"h\xffllo", True),
    (b"[abc]", b"b", True),
    (b"[abc]", b"d", False),
    (b"[^abc]", b"d", True),
    (b"[^abc]", b"a", False),
    (b"[a-c]", b"b", True),
    (b"[c-a]", b"b", True),  # reversed ranges are swapped
    (b"[a-c]", b"d", False),
    (b"[a-]", b"]", True),  # '-' takes the ']' as its end: class ']'..'a', unterminated
    (b"[a-]", b"^", True),
    (b"[a-]", b"b", False),
    (b"[a-]x", b"x", True),  # ... and the bytes after it join the class
    (b"[a-]x", b"ax", False),
    (b"[ab", b"a", True),  # unterminated class ends with the pattern
    (b"[ab", b"ab", False),
    (b"[", b"[", False),  # a bare '[' never matches
    (b"[^", b"z", True),  # '[^' matches any byte
    (b"[]", b"]", False),
    (b"[]]", b"]", False),
    (b"[^]", b"x", True),
    (b"[\\]]", b"]", True),
    (b"[\\]", b"]", True),  # escaped ']' then unterminated
    (b"[\\", b"\\", True),  # a trailing backslash in a class is a literal backslash
    (b"\\*", b"*", True),
    (b"\\*", b"a", False),
    (b"\\", b"\\", True),  # a trailing backslash is literal
    (b"a\\", b"a\\", True),
    (b"\\a", b"a", True),
    (b"[a-\xff]", b"\xff", True),  # signed chars: 0xff (-1) .. 'a'
    (b"[a-\xff]", b"\x00", True),
    (b"[a-\xff]", b"b", False),
    (b"[\x80-\xff]", b"\x90", True),
    (b"[\x80-\xff]", b"a", False),
    (b"[\x00-\x7f]", b"\x80", False),
    (b"a\x00b", b"a\x00b", True),
    (b"*a*a*a*a*a*a*a*a*a*a*b", b"a" * 60, False),
    (b"*a*a*a*a*a*a*a*a*a*a*b", b"a" * 60 + b"b", True),
    (b"*.txt", b"x.txt", True),
    (b"*.txt", b"xtxt", False),
    (b"[*]", b"*", True),
    (b"[?]", b"a", False),
]


@pytest.mark.parametrize("pattern,string,expected", CASES)
def test_match(pattern, string, expected):
    assert glob.match(pattern, string) is expected
    assert glob.compile(pattern)(string) is expected


NOCASE = [
    (b"HELLO", b"hello", True),
    (b"h\\E*", b"hello", True),
    (b"[A-C]x", b"bx", True),
    (b"[a-c]x", b"BX", True),
    (b"[Z-a]", b"b", False),  # folded ends: 'z'..'a' is empty, as in Redis
    (b"[\\A]", b"a", False),  # an escaped class byte is compared exactly
    (b"[A]", b"a", True),
    (b"[^A]", b"a", False),
    (b"?", b"\xc9", True),
    (b"\xc9", b"\xe9", False),  # only ASCII folds
]


@pytest.mark.parametrize("pattern,string,expected", NOCASE)
def test_match_nocase(pattern, string, expected):
    assert glob.match(pattern, string, nocase=True) is expected


def test_case_sensitive_by_default():
    assert not glob.match(b"HELLO", b"hello")
    assert not glob.match(b"[A-C]", b"b")


def test_compile_is_cached():
    assert glob.compile(b"a*b") is glob.compile(b"a*b")
    assert glob.compile(b"a*b") is not glob.compile(b"a*b", True)


def test_pathological_pattern_is_fast():
    pattern = b"*a" * 200 + b"*b"
    start = time.perf_counter()
    assert not glob.match(pattern, b"a" * 5000)
    assert time.perf_counter() - start < 1.0
