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
from .replies import NO_REPLY, OK, QUEUED
from .resp import _CRLF, _INT_CACHE, _INT_CACHE_MAX, _LEN_CACHE, encode
from .tracking import after_command as tracking_after_command, remember as tracking_remember

if TYPE_CHECKING:
    from .connection import Client

log = logging.getLogger("redpy")

_perf_ns = time.perf_counter_ns
_NEVER = 1 << 62  # a duration no command reaches
_OK = b"+OK\r\n"

# Commands that run at once inside MULTI instead of being queued.
_MULTI_IMMEDIATE = frozenset(("exec", "discard", "multi", "watch", "quit", "reset"))
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


def reject(c: "Client", cmd: Command | None, err: CommandError, formatted: bool = True) -> None:
    """rejectCommand: answer err, count it, and poison an open MULTI.

    `formatted` errors are Redis's rejectCommandFormat ones (unknown command, arity,
    context): when EXEC itself is rejected inside MULTI, Redis aborts the transaction
    and quotes them without their "ERR " code; shared errors (NOAUTH, OOM, NOPERM)
    keep their code.
    """
    if cmd is not None:
        cmd.rejected_calls += 1
    c.server.stat_error(err.code)
    if c.multi is not None:
        c.multi_dirty = True
        if cmd is not None and cmd.fullname == "exec":
            from .commands.transactions import discard_transaction

            discard_transaction(c)
            text = err.message[4:] if formatted and err.message.startswith(b"ERR ") else err.message
            c.reply(CommandError(b"EXECABORT Transaction discarded because of: " + text))
            return
    c.reply(err)


def _lookup_error(argv: list[bytes]) -> CommandError:
    return CommandError(
        b"ERR unknown subcommand '%b'. Try %b HELP."
        % (c_string(argv[1])[:128], c_string(argv[0]).upper())
    )


def process_command(c: "Client", argv: list[bytes]) -> None:
    """Run one request from a client and queue its reply (run_requests of one)."""
    run_requests(c, [argv])


def _alert_threshold(config) -> int:
    """The shortest duration (microseconds) that needs the slowlog or the latency
    monitor: run_requests compares each command's duration with it once."""
    slow = config.slowlog_log_slower_than
    alert = slow if slow >= 0 else _NEVER
    if config.latency_monitor_threshold and alert > 1000:
        alert = 1000
    return alert


def _record(c: "Client", cmd: Command, argv: list[bytes], duration: int) -> None:
    """A command's statistics, slowlog entry and latency sample (call()'s bookkeeping)."""
    server = c.server
    server.stat_numcommands += 1
    config = server.config
    if config.latency_tracking:
        try:
            cmd.hist[duration] += 1
        except IndexError:
            cmd.record_long(duration)
    else:
        cmd.untracked_calls += 1
        cmd.untracked_usec += duration
    if duration >= config.slowlog_log_slower_than >= 0 and not cmd.skip_slowlog:
        c.server.slowlog_push(c, argv, duration)
    if duration >= 1000 and config.latency_monitor_threshold:
        c.server.latency_sample("fast-command" if cmd.fast else "command", duration // 1000)


def run_requests(c: "Client", requests: list[list[bytes]]) -> None:
    """Run a client's requests in order (Client._run).

    The fast path serves a plain command (no subcommands, not protected) from a client
    in no special state (`c.gate`: not authenticated, in MULTI, subscribed, a busy
    script, CLIENT REPLY not ON, blocked, paused, closing) while no server-wide hook is
    on (`server.hooked`: check hooks, a pause, client tracking); it propagates and
    feeds monitors itself (`server.post_hooked`). Everything else takes
    `_process_full`, which runs every check in Redis's order. What the fast path reads
    of the configuration is read once per batch, and again after a request that took
    the full path (the only way the configuration can change).

    After each request, CLIENT REPLY SKIP's state advances; a request that blocks the
    client (BLPOP, CLIENT PAUSE) or closes it stops the loop, and the requests after it
    wait in c.backlog.

    Command timing takes one clock read per command: a command's time runs from the
    end of the previous one in the same read (the first: from the start of the loop),
    so it also holds the previous reply's queueing and this command's lookup, a
    fraction of a microsecond. The clock is read afresh after anything that can take
    long outside a command (the full path, serving blocked clients).
    """
    server = c.server
    out = c.out
    plain = _PLAIN_AS_SENT.get
    perf_ns = _perf_ns
    config = server.config
    tracking = config.latency_tracking
    alert = _alert_threshold(config)
    i = 0
    slow = 0  # requests that took the full path (it counts its calls) or were refused
    start = perf_ns()
    for argv in requests:
        i += 1
        cmd = plain(argv[0])
        if cmd is None or c.gate or server.hooked:
            slow += 1
            _process_full(c, argv)
            tracking = config.latency_tracking
            alert = _alert_threshold(config)
            start = perf_ns()
        else:
            c.last_cmd = cmd  # Redis sets lastcmd at lookup (CLIENT LIST's cmd=)
            arity = cmd.arity
            argc = len(argv)
            if (arity > 0 and argc != arity) or argc < -arity:
                slow += 1
                reject(c, cmd, CommandError(f"ERR wrong number of arguments for '{cmd.fullname}' command"))
            else:
                # call(), inlined
                dirty = server.dirty
                try:
                    result = cmd.handler(c, argv)
                except CommandError as e:
                    cmd.failed_calls += 1
                    server.stat_error(e.code)
                    result = e
                except Exception:
                    result = _internal_error(c, cmd, argv)
                end = perf_ns()
                duration = (end - start) // 1000
                start = end
                # _record, inlined (a call per request costs as much as the recording)
                if tracking:
                    try:
                        cmd.hist[duration] += 1
                    except IndexError:
                        cmd.record_long(duration)
                else:
                    cmd.untracked_calls += 1
                    cmd.untracked_usec += duration
                if duration >= alert:
                    if duration >= config.slowlog_log_slower_than >= 0 and not cmd.skip_slowlog:
                        server.slowlog_push(c, argv, duration)
                    if duration >= 1000 and config.latency_monitor_threshold:
                        server.latency_sample("fast-command" if cmd.fast else "command", duration // 1000)
                if server.post_hooked:
                    if server.propagating and (server.dirty != dirty or server.prop_pending):
                        server.propagate(c, cmd, argv, server.dirty != dirty)
                    if server.monitors and not cmd.skip_monitor:
                        server.feed_monitors(c, argv)
                # CLIENT REPLY is ON: c.gate is false
                if result is not NO_REPLY:
                    t = type(result)
                    if t is bytes:
                        n = len(result)
                        out.append(b"".join((_LEN_CACHE[n], result, _CRLF)) if n <= 1024 else encode(result))
                    elif result is OK:
                        out.append(_OK)
                    elif t is int:
                        out.append(_INT_CACHE[result + 1] if -1 <= result <= _INT_CACHE_MAX else b":%d\r\n" % result)
                    else:
                        out.append(encode(result, c.proto))
                if server.ready_keys:
                    server.serve_ready_keys()
                    start = perf_ns()
        if c.gate:
            if c._reply_mode > 1 and not c._paused:
                c.request_done()  # REPLY_SKIP_NEXT / REPLY_SKIP
            if c._blocked is not None or c._paused or c._close_after_reply:
                if not c._close_after_reply:
                    c.backlog.extend(requests[i:])
                break
    # the calls made here (call()'s stat_numcommands++), by the read: the ops sampler's
    # count, while INFO sums the commands' histograms (exact at any moment)
    server.stat_numcommands += i - slow


def _process_full(c: "Client", argv: list[bytes]) -> None:
    """process_command with every check: lookup -> arity -> protected -> auth/no-multi
    -> check hooks (ACL, OOM) -> pub/sub context -> pause -> MULTI queue -> call."""
    cmd = _BY_NAME_AS_SENT.get(argv[0])
    if cmd is None:
        cmd = COMMANDS.get(argv[0].lower())
        if cmd is None:
            c.last_cmd = None
            return reject(c, None, unknown_command_error(argv))
        if len(_BY_NAME_AS_SENT) < 4096:
            _BY_NAME_AS_SENT[argv[0]] = cmd
            if cmd.subcommands is None and not cmd.protected:
                _PLAIN_AS_SENT[argv[0]] = cmd
    argc = len(argv)
    if cmd.subcommands is not None and argc > 1:
        sub = cmd.subcommands.get(argv[1].lower())
        if sub is None:
            c.last_cmd = None
            return reject(c, None, _lookup_error(argv))
        cmd = sub
    c.last_cmd = cmd  # Redis sets lastcmd at lookup (CLIENT LIST's cmd=)
    arity = cmd.arity
    if (arity > 0 and argc != arity) or argc < -arity:
        return reject(
            c, cmd, CommandError(f"ERR wrong number of arguments for '{cmd.fullname}' command")
        )
    if cmd.protected and not _protected_allowed(c, cmd):
        return reject(
            c,
            cmd,
            CommandError(
                'ERR %s command not allowed. If the %s option is set to "local", you can run it '
                "from a local connection, otherwise you need to set this option in the "
                "configuration file, and then restart the server."
                % (("DEBUG", "enable-debug-command") if cmd.name == "debug" else ("MODULE", "enable-module-command"))
            ),
        )
    server = c.server
    # c.gate is true only for clients in a special state (not authenticated, in MULTI,
    # subscribed); server.check_hooks holds the ACL and OOM checks once configured.
    gate = c.gate
    if gate and _check_client_state(c, cmd):
        return
    if server.check_hooks and _run_check_hooks(c, cmd, argv):
        return
    if gate and _check_context(c, cmd, argv):
        return
    if server.pause_until and not gate:
        from .commands.connection import pause_blocks

        if pause_blocks(c, cmd, argv):
            return

    # call(), inlined
    tracking = server.tracking_clients
    if tracking:
        server.current_client = c
    dirty = server.dirty
    start = _perf_ns()
    try:
        result = cmd.handler(c, argv)
    except CommandError as e:
        cmd.failed_calls += 1
        server.stat_error(e.code)
        result = e
    except Exception:
        result = _internal_error(c, cmd, argv)
    _record(c, cmd, argv, (_perf_ns() - start) // 1000)
    if server.propagating and (server.dirty != dirty or server.prop_pending):
        server.propagate(c, cmd, argv, server.dirty != dirty)
    if server.monitors and not cmd.skip_monitor:
        server.feed_monitors(c, argv)
    if result is not NO_REPLY:
        if c._reply_mode == 0:
            c.out.append(encode(result, c.proto))
        else:
            c.reply(result)
    if tracking:
        # client-side caching: keys read, invalidations queued for c (after its reply)
        tracking_after_command(c, cmd, argv)
    if server.ready_keys:
        server.serve_ready_keys()


def _protected_allowed(c: "Client", cmd: Command) -> bool:
    cfg = c.server.config
    return c.allows_protected(cfg.enable_debug_command if cmd.name == "debug" else cfg.enable_module_command)


def _check_client_state(c: "Client", cmd: Command) -> bool:
    """Auth and no-multi checks; True when the request was rejected."""
    if not c.authenticated and not cmd.no_auth and c.server.default_user_needs_auth():
        reject(c, cmd, CommandError("NOAUTH Authentication required."), formatted=False)
        return True
    if c.multi is not None and cmd.no_multi:
        reject(c, cmd, CommandError("ERR Command not allowed inside a transaction"))
        return True
    return False


def _run_check_hooks(c: "Client", cmd: Command, argv: list[bytes]) -> bool:
    """ACL, then OOM (in Redis's order); True when the request was rejected."""
    for hook in c.server.check_hooks:
        err = hook(c, cmd, argv)
        if err is not None:
            reject(c, cmd, err, formatted=False)
            return True
    return False


def _check_context(c: "Client", cmd: Command, argv: list[bytes]) -> bool:
    """The RESP2 subscribed context, then MULTI queueing; True when handled here."""
    if c.proto == 2 and (c.subscriptions or c.psubscriptions or c.ssubscriptions):
        if cmd.parent is not None or cmd.name.encode() not in _PUBSUB_ALLOWED:
            reject(
                c,
                cmd,
                CommandError(
                    "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
                    % cmd.fullname
                ),
            )
            return True
    server = c.server
    busy = server.busy_script
    if busy is not None and not cmd.allow_busy:
        # a script is past busy-reply-threshold (see busy.py)
        from .errors import BUSY_EVAL, BUSY_FUNCTION

        reject(c, cmd, CommandError(BUSY_FUNCTION if busy.fcall else BUSY_EVAL), formatted=False)
        return True
    if server.pause_until:
        from .commands.connection import pause_blocks

        if pause_blocks(c, cmd, argv):
            return True
    multi = c.multi
    if multi is not None and cmd.fullname not in _MULTI_IMMEDIATE:
        multi.append((cmd, argv))
        c.reply(QUEUED)
        return True
    return False


def _internal_error(c: "Client", cmd: Command, argv: list[bytes]) -> CommandError:
    log.exception("internal error running %r", [a[:64] for a in argv[:8]])
    cmd.failed_calls += 1
    c.server.stat_error(b"ERR")
    return CommandError("ERR internal error")


def call(c: "Client", cmd: Command, argv: list[bytes]):
    """Run a handler for EXEC and scripts; return its reply value (a CommandError on failure).

    The same bookkeeping as the inlined call in process_command.
    """
    server = c.server
    dirty = server.dirty
    start = _perf_ns()
    try:
        result = cmd.handler(c, argv)
    except CommandError as e:
        cmd.failed_calls += 1
        server.stat_error(e.code)
        result = e
    except Exception:
        result = _internal_error(c, cmd, argv)
    c.last_cmd = cmd
    _record(c, cmd, argv, (_perf_ns() - start) // 1000)
    if server.propagating and (server.dirty != dirty or server.prop_pending):
        server.propagate_inner(c, cmd, argv, server.dirty != dirty)
    if server.monitors and not cmd.skip_monitor:
        server.feed_monitors(c, argv)
    if server.tracking_clients and c.tracking is not None:
        tracking_remember(c, cmd, argv)
    return result


# Command lookup by the name exactly as sent: clients send names in one spelling
# (redis-py and redis-benchmark "SET", redis-cli as typed), so caching each spelling saves
# a lower() per request. Bounded, since the names come from the network.
_BY_NAME_AS_SENT: dict[bytes, Command] = {}
# The same for the commands process_command's fast path serves: no subcommands, not
# protected.
_PLAIN_AS_SENT: dict[bytes, Command] = {}
