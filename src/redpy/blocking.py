"""Blocking commands on keys (BLPOP & co, BZPOPMIN & co): Redis's blocked.c.

The API for a blocking command handler:

    timeout = parse_timeout(argv[i])          # absolute ms deadline, 0 = forever;
                                              # raises the Redis timeout errors
    ...try the non-blocking form first; if a key has data, answer at once...
    if deny_blocking(c):                      # c.in_exec, or c.deny_blocking (scripts)
        return NULL_ARRAY                     # (or the command's own null)
    return block_for_keys(c, keys, timeout, btype, serve)

- `btype` is the value class the client waits for (RList for the list commands, the
  sorted set class for BZPOP*). A key that becomes ready serves only the clients whose
  btype is the type of the value now stored there, as handleClientsBlockedOnKeys does
  (a client in BLPOP on k stays blocked when k is created as a sorted set).
- `serve(c, key, value)` runs when `key` of the client's db holds a `btype` value after
  some command: it does the work as the blocked client (pops, dirty, signal_modified)
  and returns the reply value (a CommandError is allowed: it is sent as an error and
  unblocks too), or KEEP_BLOCKED to stay blocked (for commands that wait for a
  condition beyond "the key has data").
- On timeout (or CLIENT UNBLOCK ... TIMEOUT) the client gets `timeout_reply`, by default
  the null array (`*-1` / `_`), which is what Redis 7.0 answers for lists, sorted sets
  and streams alike (even BRPOPLPUSH and BLMOVE, whose non-blocking null is `$-1`).

Code that creates a key of a blockable type (a push to a missing list, ZADD to a missing
zset, RENAME/MOVE/COPY/RESTORE/SORT STORE ...) calls `signal_key_as_ready(db, key)`: if a
client is blocked on that key, the key joins `server.ready_keys` (once). dispatch calls
`server.serve_ready_keys()` after each command while `ready_keys` is non-empty; this
module installs `serve_ready_keys(server)` there when a client first blocks.

State kept on the Server (created lazily by `_setup`, read with getattr elsewhere):
- `server.blocking_keys`: (db id, key) -> list of BlockedState, in the order the
  clients blocked (FIFO fairness per key).
- `server.blocked_clients`: how many clients are blocked on keys (INFO blocked_clients).
- `server.clients_in_timeout_table`: how many of them have a timeout (INFO).

`c.blocked` is the BlockedState while a client waits; the server calls
`c.blocked.cancel()` when the connection drops, CLIENT UNBLOCK calls `c.blocked.unblock`.
An unblocked client's pipelined requests run on the next loop iteration
(`loop.call_soon(c.resume)`), as Redis runs them from beforeSleep: after the command that
served it and the rest of that client's input.

Timeouts use loop.call_later at the exact deadline; Redis notices them at its next event
loop pass, so an idle oracle answers up to 1/hz (100 ms) late. Only timing differs.
"""

from __future__ import annotations

import logging
import math
from fractions import Fraction

from .clock import now_ms
from .errors import TIMEOUT_NEGATIVE, TIMEOUT_NOT_FLOAT, CommandError
from .numbers import LLONG_MAX, LLONG_MIN, _round_ld, parse_long_double, string2ll
from .registry import command_group
from .replies import NO_REPLY, NULL_ARRAY

log = logging.getLogger("redpy")


class _KeepBlocked:
    __slots__ = ()

    def __repr__(self) -> str:
        return "KEEP_BLOCKED"


KEEP_BLOCKED = _KeepBlocked()

_LD_1000 = Fraction(1000)


def parse_timeout(arg: bytes) -> int:
    """getTimeoutOrReply in seconds: the absolute deadline in ms, or 0 for "forever".

    Redis computes (long long)ceill(seconds * 1000.0L): the product is rounded to a long
    double and rounded up, so "0.0004" is 1 ms while "-0.0009" is 0, i.e. forever (the
    oracle agrees), and an out-of-range product (1e16, inf) becomes LLONG_MIN on x86,
    hence "timeout is negative". A deadline past LLONG_MAX wraps in Redis and never
    fires: forever here.
    """
    v = parse_long_double(arg)
    if v is None:
        raise CommandError(TIMEOUT_NOT_FLOAT)
    if isinstance(v, float):  # +-inf
        raise CommandError(TIMEOUT_NEGATIVE)
    product = _round_ld(v * _LD_1000)
    ms = math.ceil(product)
    if ms > LLONG_MAX or ms < LLONG_MIN:
        ms = LLONG_MIN
    if ms < 0:
        raise CommandError(TIMEOUT_NEGATIVE)
    if ms == 0:
        return 0
    return ms + now_ms()


def deny_blocking(c) -> bool:
    """CLIENT_DENY_BLOCKING: inside EXEC or a script a blocking command must not block."""
    return getattr(c, "in_exec", False) or getattr(c, "deny_blocking", False)


class BlockedState:
    """One client blocked on keys (Redis's c->bpop)."""

    __slots__ = ("client", "server", "db", "keys", "btype", "serve", "timeout_reply", "deadline", "handle")

    def __init__(self, c, keys, deadline, btype, serve, timeout_reply):
        self.client = c
        self.server = c.server
        self.db = c.db
        self.keys = keys
        self.btype = btype
        self.serve = serve
        self.timeout_reply = timeout_reply
        self.deadline = deadline
        self.handle = None

    def _detach(self) -> None:
        """unblockClient: forget the keys, the timer, the counters; c.blocked = None."""
        server = self.server
        bk = server.blocking_keys
        dbid = self.db.id
        for key in self.keys:
            waiters = bk.get((dbid, key))
            if waiters is not None:
                try:
                    waiters.remove(self)
                except ValueError:
                    pass
                if not waiters:
                    del bk[(dbid, key)]
        if self.deadline:
            server.clients_in_timeout_table -= 1
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None
        server.blocked_clients -= 1
        if self.client.blocked is self:
            self.client.blocked = None

    def _finish(self, reply, failed: bool = False) -> None:
        """Send the reply, unblock, and let the client's pipeline go on.

        An error reply counts in INFO errorstats and as a failed call of the blocked
        command; so does CLIENT UNBLOCK even with TIMEOUT (updateStatsOnUnblock with
        had_errors), while a real timeout does not (checked on the oracle).
        """
        self._detach()
        c = self.client
        if isinstance(reply, CommandError):
            self.server.stat_error(reply.code)
            failed = True
        if failed and hasattr(c.last_cmd, "failed_calls"):
            c.last_cmd.failed_calls += 1
        c.reply(reply)
        loop = self.server.loop
        if loop is not None:
            loop.call_soon(c.resume)
        else:
            c.resume()

    def cancel(self) -> None:
        """The client disconnected: leave no trace, answer nothing."""
        self._detach()

    def on_timeout(self) -> None:
        self.handle = None
        if self.client.blocked is self:
            self._finish(self.timeout_reply)

    def unblock(self, error: bool) -> None:
        """CLIENT UNBLOCK: as a timeout, or with the UNBLOCKED error."""
        if error:
            self._finish(CommandError("UNBLOCKED client unblocked via CLIENT UNBLOCK"))
        else:
            self._finish(self.timeout_reply, failed=True)


def block_for_keys(c, keys, deadline: int, btype, serve, timeout_reply=NULL_ARRAY):
    """blockForKeys: block c on keys until one holds a `btype` value; returns NO_REPLY.

    `deadline` is parse_timeout's result (absolute ms, 0 = forever). Keys repeated in
    the command are waited on once, as Redis does.
    """
    server = c.server
    unique = list(dict.fromkeys(keys))
    state = BlockedState(c, unique, deadline, btype, serve, timeout_reply)
    bk = server.blocking_keys
    dbid = c.db.id
    for key in unique:
        waiters = bk.get((dbid, key))
        if waiters is None:
            bk[(dbid, key)] = [state]
        else:
            waiters.append(state)
    server.blocked_clients += 1
    if deadline:
        server.clients_in_timeout_table += 1
        # A deadline beyond any clock (Redis wraps it to a value that never fires)
        # counts as having a timeout but needs no timer.
        delay = (deadline - now_ms()) / 1000.0
        if delay < 10**8 and server.loop is not None:
            state.handle = server.loop.call_later(max(delay, 0.0), state.on_timeout)
    c.blocked = state
    return NO_REPLY


def signal_key_as_ready(db, key: bytes) -> None:
    """signalKeyAsReady: key of db got a value; queue it if a client waits on it."""
    server = db.server
    bk = server.blocking_keys
    if not bk:
        return
    ident = (db.id, key)
    if ident not in bk or ident in server.ready_set:
        return
    server.ready_set.add(ident)
    server.ready_keys.append((db, key))


def serve_ready_keys(server) -> None:
    """handleClientsBlockedOnKeys: serve clients blocked on the ready keys, FIFO per key.

    A served client may make other keys ready (BLMOVE pushes to its destination), so
    the loop takes the current list and repeats until no key is ready. A key leaves the
    ready set before its clients are served, so serving may signal it again.
    """
    bk = server.blocking_keys
    ready_set = server.ready_set
    while server.ready_keys:
        batch = server.ready_keys
        server.ready_keys = []
        for db, key in batch:
            ident = (db.id, key)
            ready_set.discard(ident)
            waiters = bk.get(ident)
            if not waiters:
                continue
            value = db.lookup(key)
            if value is None:
                continue
            vtype = type(value)
            for state in list(waiters):
                if state.client.blocked is not state or state.btype is not vtype:
                    continue
                dirty = server.dirty
                try:
                    reply = state.serve(state.client, key, value)
                except CommandError as e:
                    reply = e
                except Exception:
                    log.exception("internal error serving a client blocked on %r", key[:64])
                    reply = CommandError("ERR internal error")
                if server.propagating and (server.dirty != dirty or server.prop_pending):
                    # the serve callback set the non-blocking form (LPOP, LMOVE, ...)
                    server.propagate(state.client, None, None, server.dirty != dirty)
                if reply is KEEP_BLOCKED:
                    continue
                state._finish(reply)
                # The key was emptied (and deleted) by this client: the rest wait on.
                if db.data.get(key) is not value:
                    break


# ---------------------------------------------------------------------- CLIENT UNBLOCK

command = command_group("connection")


@command("client|unblock")
def cmd_client_unblock(c, argv):
    """CLIENT UNBLOCK client-id [TIMEOUT | ERROR]

    The reason is checked before the id. A client that is not blocked (or blocked by
    something that cannot be unblocked) answers 0.
    """
    from .errors import NOT_INTEGER, subcommand_syntax

    if len(argv) > 4:
        raise subcommand_syntax(argv[1], "client")
    error = False
    if len(argv) == 4:
        reason = argv[3].lower()
        if reason == b"timeout":
            error = False
        elif reason == b"error":
            error = True
        else:
            raise CommandError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    target_id = string2ll(argv[2])
    if target_id is None:
        raise CommandError(NOT_INTEGER)
    target = c.server.clients.get(target_id)
    if target is None:
        return 0
    state = target.blocked
    unblock = getattr(state, "unblock", None)
    if unblock is None:
        return 0
    unblock(error)
    return 1
