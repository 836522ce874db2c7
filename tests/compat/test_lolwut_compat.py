"""LOLWUT against the oracle.

The art's random parts come from the C library's rand() in Redis and from Python's
generator here, so they are compared byte for byte only where no random number is
drawn (Schotter's first two rows of squares, a one-row skyline, the version line),
and elsewhere by shape: the number of lines, the width of each Braille line, and the
closing text.
"""

from __future__ import annotations

import pytest

DETERMINISTIC = [
    (), ("foo",), ("VERSION", "7"), ("VERSION", "4"), ("VERSION", "59"), ("VERSION", "-1"),
    ("VERSION", "5", "10", "2", "2"), ("VERSION", "5", "40", "4", "2"), ("VERSION", "5", "3", "1", "1"),
    ("VERSION", "5", "2000", "0", "1"), ("version", "4", "9"),
    ("VERSION", "6", "10", "1"), ("VERSION", "5.9"), ("VERSION", "x"), ("VERSION", "5", "x"),
    ("VERSION", "6", "1", "y"), ("VERSION",),
]


@pytest.mark.parametrize("args", DETERMINISTIC, ids=lambda a: " ".join(a) or "plain")
def test_lolwut_exact(both, args):
    both.check("LOLWUT", *args)


def _shape(reply: bytes):
    text = reply.split(b"\r\n", 1)[1].decode()
    lines = text.split("\n")
    # Braille lines: their width in characters; ANSI skyline lines: their pixel count
    return [(len(line) if "\x1b" not in line else line.count("\x1b[0m")) for line in lines[:-3]], lines[-3:]


@pytest.mark.parametrize("args", [("VERSION", "5"), ("VERSION", "5", "1"), ("VERSION", "5", "20", "3", "6"), ("VERSION", "6"), ("VERSION", "6", "30", "12")])
def test_lolwut_random_art_shape(both, args):
    want, got = both.oracle.call("LOLWUT", *args), both.mine.call("LOLWUT", *args)
    assert _shape(got) == _shape(want)
    both.check("LOLWUT", "VERSION", "5", "10", "2", "2")  # and the connection is fine
