"""Replication commands that are meaningful without replicas: WAIT.

redpy has no replicas yet (no REPLICAOF/SYNC/PSYNC), so no replica ever acknowledges:
WAIT answers 0 at once when no acknowledgement is needed (or inside MULTI/scripts),
and otherwise blocks the client until its timeout (0 = forever), then answers 0, as
Redis does with no replica connected.
"""

from __future__ import annotations

from ..blocking import deny_blocking
from ..errors import NOT_INTEGER, CommandError
from ..numbers import string2ll
from ..registry import command_group
from ..replies import NO_REPLY

command = command_group("generic")


class _WaitState:
    """The client's blocked state while WAIT runs down its timeout."""

    __slots__ = ("client", "handle")

    def __init__(self, client):
        self.client = client
        self.handle = None

    def finish(self, reply=0) -> None:
        c = self.client
        if c.blocked is not self:
            return
        if self.handle is not None:
            self.handle.cancel()
        c.blocked = None
        c.server.blocked_clients -= 1
        c.reply(reply)
        c.resume()

    def unblock(self, error: bool) -> None:
        """CLIENT UNBLOCK: the acknowledgements so far (none), or the UNBLOCKED error."""
        self.finish(CommandError("UNBLOCKED client unblocked via CLIENT UNBLOCK") if error else 0)

    def cancel(self) -> None:
        """The client went away (or was unblocked): forget the timer."""
        if self.handle is not None:
            self.handle.cancel()
        if self.client.blocked is self:
            self.client.blocked = None
            self.client.server.blocked_clients -= 1


@command("wait")
def cmd_wait(c, argv):
    """WAIT numreplicas timeout"""
    numreplicas = string2ll(argv[1])
    if numreplicas is None:
        raise CommandError(NOT_INTEGER)
    timeout = string2ll(argv[2])
    if timeout is None:
        raise CommandError("ERR timeout is not an integer or out of range")
    if timeout < 0:
        raise CommandError("ERR timeout is negative")
    if numreplicas <= 0 or deny_blocking(c):
        return 0
    state = _WaitState(c)
    c.blocked = state
    c.server.blocked_clients += 1
    if timeout:
        state.handle = c.server.loop.call_later(timeout / 1000.0, state.finish)
    return NO_REPLY
