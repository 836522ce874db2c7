"""Reply value types that handlers return, beside plain Python values.

Handlers return plain values (bytes, int, list, dict, None); `resp.encode` turns them into
RESP2 or RESP3. The types here cover what plain values cannot say: a status reply, a
double, a null array, a RESP3 set or verbatim string, a push message, or bytes that are
already encoded.
"""

from __future__ import annotations


class Simple(bytes):
    """A status reply: `+OK` in both protocols."""

    __slots__ = ()


class Double(float):
    """A double: bulk string of `%.17g` in RESP2, `,` in RESP3."""

    __slots__ = ()


class Verbatim(bytes):
    """A verbatim string (INFO, CLIENT LIST): bulk in RESP2, `=` with `txt:` in RESP3."""

    __slots__ = ()


class SetReply(list):
    """An ordered RESP3 set (`~`); an array in RESP2."""

    __slots__ = ()


class Push(list):
    """An out-of-band message: `>` in RESP3, an array in RESP2."""

    __slots__ = ()


class Raw(bytes):
    """Bytes that are already RESP, written as they are (identical in both protocols)."""

    __slots__ = ()


class BigNumber(int):
    """A RESP3 big number (`(`); a bulk string in RESP2."""

    __slots__ = ()


class Bool:
    """A RESP3 boolean (`#t`/`#f`); `:1`/`:0` in RESP2."""

    __slots__ = ("value",)

    def __init__(self, value: bool):
        self.value = value


class _NullArray:
    """`*-1` in RESP2, `_` in RESP3."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NULL_ARRAY"


class _NoReply:
    """The handler answers nothing (CLIENT REPLY OFF, blocking commands, QUIT handled)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_REPLY"


NULL = None
NULL_ARRAY = _NullArray()
NO_REPLY = _NoReply()
OK = Simple(b"OK")
QUEUED = Simple(b"QUEUED")
PONG = Simple(b"PONG")
