"""process_command and call: Redis's processCommand and call(), in Redis's check order.

lookup -> arity -> auth -> no-multi -> ACL -> OOM -> pub/sub context -> MULTI queue -> call

A rejection before `call` counts as rejected_calls of the command (when known) and is
flagged on an open MULTI so that EXEC answers EXECABORT. An error raised by a handler
counts as failed_calls. Unexpected exceptions are logged with the argv and answered
`-ERR internal error`: the connection and the server live on.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from .errors import CommandError, c_string
from .registry import COMMANDS, Command
from .replies import NO_REPLY, QUEUED

if TYPE_CHECKING:
    from .client import Client

log = logging.getLogger("redpy")

_perf_ns = time.perf_counter_ns

# Commands that run at once inside MULTI instead of being queued.
_MULTI_IMMEDIATE = frozenset((b"exec", b"discard", b"multi", b"watch", b"quit", b"reset"))
# Commands a RESP2 client may send in the subscribed context.
_PUBSUB_ALLOWED = frozenset(
    (b"ping", b"subscribe", b"ssubscribe", b"unsubscribe", b"sunsubscribe", b"psubscribe", b"punsubscribe", b"quit", b"reset")
)


def unknown_command_error(argv: list[bytes]) -> CommandError:
    args = b""
    for arg in argv[1:]:
        if len(args) >= 128:
            break
        args += b"'" + c_string(arg)[: 128 - len(args)] + b"' "
    return CommandError(
        b"ERR unknown command '%b', with args beginning with: %b" % (c_string(argv[0])[:128], args)
    )


def reject(c: "Client", cmd: Command | None, err: CommandError) -> None:
    """rejectCommand: answer err, count it, and poison an open MULTI."""
    if cmd is not None:
        cmd.rejected_calls += 1
    if c.multi is not None:
        c.multi_dirty = True
    c.server.stat_error(err.code)
    c.reply(err)


def process_command(c: "Client", argv: list[bytes]) -> None:
    name = argv[0].lower()
    cmd = COMMANDS.get(name)
    argc = len(argv)
    if cmd is None:
        return reject(c, None, unknown_command_error(argv))
    if cmd.subcommands is not None and argc > 1:
        sub = cmd.subcommands.get(argv[1].lower())
        if sub is None:
            return reject(
                c,
                None,
                CommandError(
                    b"ERR unknown subcommand '%b'. Try %b HELP."
                    % (c_string(argv[1])[:128], c_string(argv[0]).upper())
                ),
            )
        cmd = sub
    arity = cmd.arity
    if (arity > 0 and argc != arity) or argc < -arity:
        return reject(
            c, cmd, CommandError(f"ERR wrong number of arguments for '{cmd.fullname}' command")
        )
    if not c.authenticated and not cmd.no_auth:
        return reject(c, cmd, CommandError("NOAUTH Authentication required."))
    if c.multi is not None and cmd.no_multi:
        return reject(c, cmd, CommandError("ERR Command not allowed inside a transaction"))
    server = c.server
    if server.acl_check is not None:
        err = server.acl_check(c, cmd, argv)
        if err is not None:
            return reject(c, cmd, err)
    if server.config.maxmemory and server.oom_check is not None:
        err = server.oom_check(c, cmd)
        if err is not None:
            return reject(c, cmd, err)
    if c.proto == 2 and (c.subscriptions or c.psubscriptions or c.ssubscriptions):
        if name not in _PUBSUB_ALLOWED:
            return reject(
                c,
                cmd,
                CommandError(
                    "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
                    % cmd.fullname
                ),
            )
    if c.multi is not None and name not in _MULTI_IMMEDIATE:
        c.multi.append((cmd, argv))
        c.reply(QUEUED)
        return
    result = call(c, cmd, argv)
    if result is not NO_REPLY:
        c.reply(result)
    if server.ready_keys:
        # Keys made ready by this command (or transaction) serve blocked clients now,
        # after the command is complete, as Redis's handleClientsBlockedOnKeys does.
        server.serve_ready_keys()


def call(c: "Client", cmd: Command, argv: list[bytes]):
    """Run a handler; return its reply value (a CommandError for a failure)."""
    server = c.server
    c.cur_cmd = cmd
    dirty = server.dirty
    start = _perf_ns()
    try:
        result = cmd.handler(c, argv)
    except CommandError as e:
        cmd.failed_calls += 1
        server.stat_error(e.code)
        result = e
    except Exception:
        log.exception("internal error running %r", [a[:64] for a in argv[:8]])
        cmd.failed_calls += 1
        server.stat_error(b"ERR")
        result = CommandError("ERR internal error")
    duration = (_perf_ns() - start) // 1000
    cmd.calls += 1
    cmd.usec += duration
    c.tot_cmds += 1
    c.last_cmd = cmd
    if duration >= server.slowlog_threshold >= 0:
        server.slowlog_push(c, argv, duration)
    if server.monitors and not cmd.skip_monitor:
        server.feed_monitors(c, argv)
    if server.dirty != dirty:
        server.propagate(c, cmd, argv)
    return result
