"""Connection commands: PING, ECHO, SELECT, QUIT, RESET, HELLO, AUTH (CLIENT is in client_cmd)."""

from __future__ import annotations

from ..errors import CommandError
from ..registry import command_group
from ..replies import OK, PONG, Push, Simple

command = command_group("connection")


@command("ping")
def cmd_ping(c, argv):
    """PING [message]

    In the RESP2 subscribed context PING answers like a pub/sub message: ["pong", msg].
    """
    if len(argv) > 2:
        raise CommandError("ERR wrong number of arguments for 'ping' command")
    subscribed = c.subscriptions or c.psubscriptions or c.ssubscriptions
    if subscribed and c.proto == 2:
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    return argv[1] if len(argv) == 2 else PONG


@command("echo")
def cmd_echo(c, argv):
    """ECHO message"""
    return argv[1]


@command("select")
def cmd_select(c, argv):
    """SELECT index"""
    from ..resp import string2ll

    index = string2ll(argv[1])
    if index is None or not -(2**31) <= index < 2**31:
        raise CommandError("ERR value is not an integer or out of range")
    c.select(index)
    return OK


@command("quit")
def cmd_quit(c, argv):
    """QUIT: answer OK and close once the reply is written."""
    c.close_after_reply = True
    return OK


__all__ = ["Push", "Simple"]
