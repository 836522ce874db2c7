"""The Server object: listeners, the client table, the cron, statistics, shutdown.

Everything mutable lives here (no module-level state): the databases, the clients, the
counters INFO reports, the slow log. One asyncio event loop runs every command; handlers
never await, so each command is atomic as in Redis.

Hooks that later features fill in stay None (or empty) until then and cost one attribute
test on the hot path: `acl_check`, `oom_check`, `monitors`, `tracking_table`, and
`propagate` (AOF and replicas).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
import socket
import sys
import time
from collections import deque

from . import __version__
from .client import Client
from .config import Config
from .db import Database

log = logging.getLogger("redpy")

REDIS_VERSION = "7.0.15"


class SlowlogEntry:
    __slots__ = ("id", "time", "duration", "argv", "addr", "name")

    def __init__(self, id_, when, duration, argv, addr, name):
        self.id = id_
        self.time = when
        self.duration = duration
        self.argv = argv
        self.addr = addr
        self.name = name


class Server:
    def __init__(self, config: Config | None = None):
        self.config = config or Config()
        cfg = self.config
        self.dbs = [Database(self, i) for i in range(cfg.databases)]
        self.clients: dict[int, Client] = {}
        self.next_client_id = 1
        self.dirty = 0
        self.start_time = time.time()
        self.start_monotonic = time.monotonic()
        self.run_id = "".join(random.choice("0123456789abcdef") for _ in range(40))
        self.loop: asyncio.AbstractEventLoop | None = None
        self.listeners: list[asyncio.AbstractServer] = []
        self.port = cfg.port
        self.shutdown_requested: str | None = None
        self._stopped: asyncio.Future | None = None
        self._cron_handle = None
        self.cronloops = 0
        # hooks filled by later features
        self.acl_check = None
        self.oom_check = None
        self.monitors: list[Client] = []
        self.tracking_table: dict = {}
        # keys that received data while clients are blocked on them (blocking.py)
        self.ready_keys: list = []
        self.active_expire_enabled = True
        self.lazy_expire_enabled = True
        self.pause_until = 0.0
        self.pause_writes_only = False
        # slow log
        self.slowlog: deque[SlowlogEntry] = deque()
        self.slowlog_next_id = 0
        # statistics (INFO stats); reset by CONFIG RESETSTAT
        self.reset_stats()
        self.lastsave = int(time.time())

    # ------------------------------------------------------------------ stats

    def reset_stats(self) -> None:
        self.stat_numcommands = 0
        self.stat_numconnections = 0
        self.stat_rejected_conn = 0
        self.stat_expiredkeys = 0
        self.stat_evictedkeys = 0
        self.stat_keyspace_hits = 0
        self.stat_keyspace_misses = 0
        self.stat_total_error_replies = 0
        self.error_stats: dict[bytes, int] = {}
        self.stat_net_input_bytes = 0
        self.stat_net_output_bytes = 0
        from .registry import all_commands

        for cmd in all_commands():
            cmd.calls = cmd.usec = cmd.rejected_calls = cmd.failed_calls = 0

    def stat_error(self, code: bytes) -> None:
        """Count an error reply by its code (INFO errorstats), as afterErrorReply does."""
        self.stat_total_error_replies += 1
        stats = self.error_stats
        if code in stats:
            stats[code] += 1
        elif len(stats) < 128:
            stats[code] = 1

    @property
    def slowlog_threshold(self) -> int:
        return self.config.slowlog_log_slower_than

    def slowlog_push(self, c: Client, argv: list[bytes], duration: int) -> None:
        max_len = self.config.slowlog_max_len
        if max_len <= 0:
            return
        # Redis keeps at most 32 arguments and 128 bytes of each (slowlogCreateEntry).
        kept = []
        argc = len(argv)
        for i, arg in enumerate(argv[:32]):
            if i == 31 and argc > 32:
                kept.append(b"... (%d more arguments)" % (argc - 31))
                break
            if len(arg) > 128:
                kept.append(arg[:128] + b"... (%d more bytes)" % (len(arg) - 128))
            else:
                kept.append(arg)
        self.slowlog.appendleft(
            SlowlogEntry(self.slowlog_next_id, int(time.time()), duration, kept, c.addr.encode(), c.name)
        )
        self.slowlog_next_id += 1
        while len(self.slowlog) > max_len:
            self.slowlog.pop()

    # ------------------------------------------------------------------ hooks

    def expire_enabled(self) -> bool:
        return self.lazy_expire_enabled

    def key_expired(self, db: Database, key: bytes) -> None:
        """A key was deleted because its deadline passed (lazily or by the cron)."""
        self.stat_expiredkeys += 1

    def propagate(self, c: Client, cmd, argv: list[bytes]) -> None:
        """Feed a write to the AOF and replicas. Nothing consumes it until persistence."""

    def serve_ready_keys(self) -> None:
        """Serve clients blocked on keys that became ready (filled in by blocking.py)."""
        self.ready_keys.clear()

    def feed_monitors(self, c: Client, argv: list[bytes]) -> None:
        """Send a command to MONITOR clients (filled in by the MONITOR command)."""

    def tracking_invalidate(self, key: bytes) -> None:
        """Client-side caching invalidation (filled in by CLIENT TRACKING)."""

    # ------------------------------------------------------------------ clients

    def client_connected(self, c: Client) -> None:
        c.id = self.next_client_id
        self.next_client_id += 1
        self.stat_numconnections += 1
        if len(self.clients) >= self.config.maxclients:
            self.stat_rejected_conn += 1
            c.transport.write(b"-ERR max number of clients reached\r\n")
            c.close_after_reply = True
            c.close()
            return
        self.clients[c.id] = c
        if self.config.requirepass or self.default_user_needs_auth():
            c.authenticated = False
            c.parser.auth_required = True

    def default_user_needs_auth(self) -> bool:
        return bool(self.config.requirepass)

    def client_disconnected(self, c: Client) -> None:
        self.clients.pop(c.id, None)
        for db, key in c.watched_keys:
            watchers = db.watched.get(key)
            if watchers is not None:
                watchers.discard(c)
                if not watchers:
                    del db.watched[key]
        c.watched_keys = []
        if c.monitor and c in self.monitors:
            self.monitors.remove(c)
        if c.blocked is not None and hasattr(c.blocked, "cancel"):
            c.blocked.cancel()

    # ------------------------------------------------------------------ cron

    def _schedule_cron(self) -> None:
        self._cron_handle = self.loop.call_later(1.0 / self.config.hz, self.cron)

    def cron(self) -> None:
        """serverCron: active expiry, idle client timeouts, then reschedule."""
        self.cronloops += 1
        try:
            if self.active_expire_enabled:
                # Redis's slow cycle spends at most 25% of each tick on expiry.
                budget = 0.25 / self.config.hz
                deadline = time.perf_counter() + budget
                for db in self.dbs:
                    if db.expires:
                        db.active_expire(deadline)
            timeout = self.config.timeout
            if timeout:
                now = time.time()
                for c in list(self.clients.values()):
                    if (
                        c.blocked is None
                        and not (c.subscriptions or c.psubscriptions or c.ssubscriptions)
                        and c.kind == "normal"
                        and now - c.last_interaction > timeout
                    ):
                        log.debug("Closing idle client")
                        c.close()
            for hook in self.cron_hooks:
                hook()
        except Exception:
            log.exception("error in server cron")
        if self.shutdown_requested is None:
            self._schedule_cron()

    cron_hooks: tuple = ()

    # ------------------------------------------------------------------ running

    async def start(self) -> None:
        """Open the listeners and start the cron; return once ready."""
        self.loop = asyncio.get_running_loop()
        self._stopped = self.loop.create_future()
        cfg = self.config
        factory = lambda: Client(self)  # noqa: E731
        if cfg.port:
            self.port = await self._listen_tcp(factory, cfg.port)
        if cfg.unixsocket:
            try:
                os.unlink(cfg.unixsocket)
            except FileNotFoundError:
                pass
            srv = await self.loop.create_unix_server(lambda: Client(self, unix=True), cfg.unixsocket, backlog=cfg.tcp_backlog)
            if cfg.unixsocketperm:
                os.chmod(cfg.unixsocket, cfg.unixsocketperm)
            self.listeners.append(srv)
        self._schedule_cron()
        log.info("Ready to accept connections tcp" if cfg.port else "Ready to accept connections unix")

    async def _listen_tcp(self, factory, port: int) -> int:
        bound_port = port
        addresses = self.config.bind or ["*"]
        opened = 0
        for addr in addresses:
            optional = addr.startswith("-")
            host = addr.lstrip("-")
            if host == "*":
                hosts = ["0.0.0.0"]
            elif host == "::*":
                hosts = ["::"]
            else:
                hosts = [host]
            for h in hosts:
                family = socket.AF_INET6 if ":" in h else socket.AF_INET
                try:
                    srv = await self.loop.create_server(
                        factory,
                        host=h,
                        port=bound_port,
                        family=family,
                        backlog=self.config.tcp_backlog,
                        reuse_address=True,
                    )
                except OSError as e:
                    if optional:
                        continue
                    raise OSError(f"Could not create server TCP listening socket {h}:{port}: {e.strerror}") from e
                if bound_port == 0 or port == 0:
                    bound_port = srv.sockets[0].getsockname()[1]
                self.listeners.append(srv)
                opened += 1
        if not opened:
            raise OSError(f"Failed listening on port {port} (tcp), aborting.")
        return bound_port

    def request_shutdown(self, mode: str = "default") -> None:
        """Stop at the next opportunity (signal handlers, SHUTDOWN)."""
        if self.shutdown_requested is not None:
            return
        self.shutdown_requested = mode
        if self.loop is not None:
            self.loop.call_soon(self._finish_shutdown)

    def prepare_shutdown(self, mode: str) -> bool:
        """Redis's prepareForShutdown: save if needed; False if it must not stop."""
        return True

    def _finish_shutdown(self) -> None:
        if self._cron_handle is not None:
            self._cron_handle.cancel()
        for srv in self.listeners:
            srv.close()
        for c in list(self.clients.values()):
            c.flush()
            c.close()
        if self.config.unixsocket:
            try:
                os.unlink(self.config.unixsocket)
            except OSError:
                pass
        log.warning("Redis is now ready to exit, bye bye...")
        if self._stopped is not None and not self._stopped.done():
            self._stopped.set_result(None)

    async def wait_closed(self) -> None:
        await self._stopped
        for srv in self.listeners:
            srv.close()
            try:
                await asyncio.wait_for(srv.wait_closed(), 1.0)
            except (asyncio.TimeoutError, Exception):
                pass

    async def serve(self, install_signals: bool = True) -> None:
        await self.start()
        if install_signals:
            for sig, mode_attr in ((signal.SIGTERM, "shutdown_on_sigterm"), (signal.SIGINT, "shutdown_on_sigint")):
                self.loop.add_signal_handler(sig, self._on_signal, sig, mode_attr)
        await self.wait_closed()

    def _on_signal(self, sig, mode_attr) -> None:
        name = "SIGTERM" if sig == signal.SIGTERM else "SIGINT"
        log.warning("Received %s scheduling shutdown...", name)
        mode = getattr(self.config, mode_attr)
        if self.prepare_shutdown(mode):
            self.request_shutdown(mode)


def event_loop_policy():
    """uvloop when it is installed (it is a dependency), asyncio's own loop otherwise."""
    try:
        import uvloop

        return uvloop.EventLoopPolicy()
    except ImportError:
        return None


def run(config: Config) -> int:
    policy = event_loop_policy()
    if policy is not None:
        asyncio.set_event_loop_policy(policy)
    server = Server(config)
    try:
        asyncio.run(server.serve())
    except OSError as e:
        log.warning("%s", e)
        return 1
    return 0


__all__ = ["Server", "run", "REDIS_VERSION", "__version__", "sys"]
