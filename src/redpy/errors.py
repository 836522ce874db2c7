"""Command errors and the texts Redis 7.0.15 uses for them.

A handler raises `CommandError(TEXT)` with the whole text, error code included
("ERR ...", "WRONGTYPE ..."); `resp.encode` writes it as `-TEXT\\r\\n`. Texts shared by
several command groups live here; each is checked against the oracle by the tests.
"""

from __future__ import annotations


class CommandError(Exception):
    """An error reply. `message` is the full text, code first, as bytes."""

    __slots__ = ("message",)

    def __init__(self, message: str | bytes):
        if isinstance(message, str):
            message = message.encode("utf-8", "surrogateescape")
        # Redis replaces newlines in error texts with spaces so the reply stays one line.
        if b"\r" in message or b"\n" in message:
            message = message.replace(b"\r", b" ").replace(b"\n", b" ")
        super().__init__(message)
        self.message = message

    @property
    def code(self) -> bytes:
        return self.message.split(b" ", 1)[0]


class ProtocolError(Exception):
    """A framing error: answered with `-ERR Protocol error: ...`, then the connection closes."""


# Generic
SYNTAX = "ERR syntax error"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NO_SUCH_KEY = "ERR no such key"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
OVERFLOW = "ERR increment or decrement would overflow"
NAN_OR_INF = "ERR increment would produce NaN or Infinity"
INDEX_OUT_OF_RANGE = "ERR index out of range"
DB_INDEX_OUT_OF_RANGE = "ERR DB index is out of range"
STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
BUSYKEY = "BUSYKEY Target key name already exists."
NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
OOM = "OOM command not allowed when used memory > 'maxmemory'."
# A script or function past busy-reply-threshold (shared.slowevalerr / slowscripterr)
BUSY_EVAL = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
BUSY_FUNCTION = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
EXECABORT = "EXECABORT Transaction discarded because of previous errors."
BIT_OFFSET = "ERR bit offset is not an integer or out of range"
BIT_VALUE = "ERR bit is not an integer or out of range"
OFFSET_OUT_OF_RANGE = "ERR offset is out of range"
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
TIMEOUT_NEGATIVE = "ERR timeout is negative"


def wrong_arity(fullname: str) -> CommandError:
    return CommandError(f"ERR wrong number of arguments for '{fullname}' command")


def invalid_expire(cmdname: str) -> CommandError:
    return CommandError(f"ERR invalid expire time in '{cmdname}' command")


def subcommand_syntax(subcommand: bytes, container: str) -> CommandError:
    """addReplySubcommandSyntaxError: a known container, a subcommand it cannot parse."""
    sub = c_string(subcommand)[:128].decode("latin-1")
    return CommandError(
        f"ERR unknown subcommand or wrong number of arguments for '{sub}'. "
        f"Try {container.upper()} HELP."
    )


def c_string(arg: bytes) -> bytes:
    """What C's %s prints of an argument: everything before the first NUL byte."""
    nul = arg.find(b"\0")
    return arg if nul < 0 else arg[:nul]

# Sent (with no "-ERR" prefix) to a non-loopback connection refused by protected mode,
# then the connection is closed (networking.c clientAcceptHandler).
PROTECTED_MODE_DENIED = (
    "DENIED Redis is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from "
    "the loopback interface. If you want to connect from external computers to Redis you "
    "may adopt one of the following solutions: 1) Just disable protected mode sending the "
    "command 'CONFIG SET protected-mode no' from the loopback interface by connecting to "
    "Redis from the same host the server is running, however MAKE SURE Redis is not "
    "publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change "
    "permanent. 2) Alternatively you can just disable the protected mode by editing the "
    "Redis configuration file, and setting the protected mode option to 'no', and then "
    "restarting the server. 3) If you started the server manually just for testing, restart "
    "it with the '--protected-mode no' option. 4) Setup a an authentication password for "
    "the default user. NOTE: You only need to do one of the above things in order for the "
    "server to start accepting connections from the outside."
)
