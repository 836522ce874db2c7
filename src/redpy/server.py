"""The Server object: listeners, the client table, the cron, statistics, shutdown.

Everything mutable lives here (no module-level state): the databases, the clients, the
counters INFO reports, the slow log. One asyncio event loop runs every command; handlers
never await, so each command is atomic as in Redis.

Hooks that later features fill in stay None (or empty) until then and cost one attribute
test on the hot path: `check_hooks` (ACL, OOM), `monitors`, `tracking_table`, and
`propagate` (AOF and replicas).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
import sys
import time
from collections import deque

from . import __version__
from .connection import Client
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
        # Embedded mode: port 0 asks for a free port instead of "no TCP listener".
        self.ephemeral_port = False
        # SCAN cursors' key snapshots (scan.py)
        self.scan_snapshots = None
        # TLS (tls.py): the server context and listeners, set up by start()
        self.tls_context = None
        self.tls_listeners: list = []
        self.tls_client_factory = None
        self.tls_port = 0
        self.shutdown_requested: str | None = None
        self._stopped: asyncio.Future | None = None
        self._cron_handle = None
        self.cronloops = 0
        # hooks filled by later features
        # (c, cmd, argv) -> CommandError | None, run before every command in this order:
        # ACL, then OOM. Empty until those features are configured.
        self.check_hooks: tuple = ()
        # True once something consumes propagated writes (AOF, replicas, MONITOR-like
        # feeds): until then dispatch does not call propagate() at all.
        self.propagating = False
        self.monitors: list[Client] = []
        from .pubsub import PubSub

        self.pubsub = PubSub(self)
        # clients with replies queued by another client's command (PUBLISH, served
        # blocked clients): flushed once at the end of the current read
        self.pending_flush: set[Client] = set()
        self.tracking_table: dict = {}
        # client-side caching (tracking.py): clients with tracking on; while non-zero
        # dispatch sets current_client around each command, and invalidations caused by
        # that client's own command wait in tracking_pending until its reply is queued
        self.tracking_clients = 0
        self.current_client = None
        self.tracking_pending: list = []
        # blocking.py: (db id, key) -> blocked states in arrival order; keys that got
        # data while clients wait on them (served after the current command)
        self.blocking_keys: dict = {}
        self.ready_keys: list = []
        self.ready_set: set = set()
        self.blocked_clients = 0
        self.clients_in_timeout_table = 0
        self.active_expire_enabled = True
        self.lazy_expire_enabled = True
        # a script past busy-reply-threshold (its RunCtx) and what busy.py polls meanwhile
        self.busy_script = None
        self.busy_state = None
        self.pause_until = 0.0
        self.pause_writes_only = False
        # slow log
        self.slowlog: deque[SlowlogEntry] = deque()
        self.slowlog_next_id = 0
        # statistics (INFO stats); reset by CONFIG RESETSTAT
        self.reset_stats()
        self.lastsave = int(time.time())
        self.stat_ops_per_sec = 0
        from .info import ops_sampler

        # callables run at every cron tick
        self.cron_hooks: list = [ops_sampler(self)]
        # ACL (acl.py): users, the ACL log, the permission check hook (installed in
        # check_hooks only while some user is restricted); AUTH/HELLO and CLIENT KILL USER
        # call acl_authenticate / acl_user_exists.
        from .acl import Acl

        self.acl = Acl(self)
        self.acl_authenticate = self.acl.authenticate
        self.acl_user_exists = self.acl.user_exists
        self.acl.load_at_startup()
        # RDB persistence state (rdb_child_pid, rdb_last_bgsave_status, ...) and its
        # cron hook: save rules, scheduled BGSAVE, reaping the BGSAVE child
        from .commands.persistence import rdb_init

        rdb_init(self)

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
        if self.config.notify_keyspace_events:
            from .notify import EXPIRED, notify

            notify(self, EXPIRED, b"expired", key, db.id)
            if self.pending_flush and self.loop is not None:
                # from the cron no read follows to flush the subscribers: do it soon
                self.loop.call_soon(self.flush_pending)

    def propagate(self, c: Client, cmd, argv: list[bytes]) -> None:
        """Feed a write to the AOF and replicas. Nothing consumes it until persistence."""

    def latency_sample(self, event: str, ms: int) -> None:
        """Record a latency event if it reaches latency-monitor-threshold (LATENCY)."""
        from .commands.server import latency_add_sample_if_needed

        latency_add_sample_if_needed(self, event, ms)

    def stat_numcommands_total(self) -> int:
        from .registry import all_commands

        return sum(cmd.calls for cmd in all_commands())

    def flush_pending(self) -> None:
        pending = self.pending_flush
        while pending:
            pending.pop().flush()

    def serve_ready_keys(self) -> None:
        """Serve clients blocked on keys that became ready (handleClientsBlockedOnKeys)."""
        from .blocking import serve_ready_keys

        serve_ready_keys(self)

    def feed_monitors(self, c: Client, argv: list[bytes]) -> None:
        """Send a command to MONITOR clients (filled in by the MONITOR command)."""

    def tracking_invalidate(self, key: bytes) -> None:
        """Client-side caching invalidation (filled in by CLIENT TRACKING)."""

    # ------------------------------------------------------------------ clients

    def client_connected(self, c: Client) -> None:
        """A connection is ready (after the TLS handshake): Redis's accept checks."""
        cfg = self.config
        if len(self.clients) >= cfg.maxclients:
            # acceptCommonHandler: refused before any client exists (no id, not counted
            # in total_connections_received)
            self.stat_rejected_conn += 1
            c.transport.write(b"-ERR max number of clients reached\r\n")
            c.close_after_reply = True
            c.close()
            return
        c.id = self.next_client_id
        self.next_client_id += 1
        # protected mode tests DefaultUser->flags & USER_FLAG_NOPASS: unlike
        # default_user_needs_auth(), a disabled nopass default user still counts
        acl = getattr(self, "acl", None)
        if acl is not None:
            from .acl import F_NOPASS

            nopass = bool(acl.default.flags & F_NOPASS)
        else:
            nopass = not self.default_user_needs_auth()
        if cfg.protected_mode and nopass and not c.unix:
            # clientAcceptHandler: only the peer address matters (not bind); loopback is
            # what connIsLocal calls local: "127.*" and "::1"
            peer = c.transport.get_extra_info("peername")
            host = peer[0] if peer else ""
            if not (host.startswith("127.") or host == "::1"):
                from .errors import PROTECTED_MODE_DENIED

                self.stat_rejected_conn += 1
                c.transport.write(b"-" + PROTECTED_MODE_DENIED.encode() + b"\r\n")
                c.close_after_reply = True
                c.close()
                return
        self.stat_numconnections += 1
        self.clients[c.id] = c
        if self.config.requirepass or self.default_user_needs_auth():
            c.authenticated = False
            c.parser.auth_required = True

    def default_user_needs_auth(self) -> bool:
        """authRequired: the default user has passwords (not nopass) or is disabled."""
        return self.acl.default_needs_auth()

    def client_disconnected(self, c: Client) -> None:
        self.clients.pop(c.id, None)
        if c.watched_keys:
            from .commands.transactions import unwatch_all

            unwatch_all(c)
        if c.subscriptions or c.psubscriptions or c.ssubscriptions:
            self.pubsub.unsubscribe_all(c)
        self.pending_flush.discard(c)
        if c.tracking is not None:
            self.tracking_disable(c)  # set by tracking.install
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


    # ------------------------------------------------------------------ running

    async def start(self) -> None:
        """Open the listeners (TCP, TLS, unix socket) and start the cron; return once ready."""
        from . import tls

        self.loop = asyncio.get_running_loop()
        self._stopped = self.loop.create_future()
        cfg = self.config
        # Load the dump before listening; a corrupt dump raises RdbLoadError (an
        # OSError, so run() exits with status 1 instead of starting empty).
        from .commands.persistence import load_at_startup

        load_at_startup(self)
        factory = lambda: Client(self)  # noqa: E731
        self.tls_client_factory = tls.accept_factory(self)
        if not tls.configure(self):
            raise OSError(tls.CONFIGURE_FAILED)
        if cfg.port or self.ephemeral_port:
            self.port = await self._listen_tcp(factory, cfg.port)
        self.tls_port = cfg.tls_port
        if cfg.tls_port:
            self.tls_port = await self._listen_tcp(self.tls_client_factory, cfg.tls_port, self.tls_context)
            if not self.port:
                # INFO's tcp_port: server.port ? server.port : server.tls_port
                self.port = self.tls_port
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
        kinds = [k for k, on in (("tcp", cfg.port or self.ephemeral_port), ("tls", cfg.tls_port), ("unix", cfg.unixsocket)) if on]
        log.info("Ready to accept connections %s", " ".join(kinds) or "tcp")

    async def _listen_tcp(self, factory, port: int, ssl_context=None) -> int:
        """Listen on every bind address (TLS when ssl_context is given); the bound port."""
        from .tls import bind_tcp

        socks = bind_tcp(self.config.bind, port, self.config.tcp_backlog)
        if not socks:
            raise OSError(f"Failed listening on port {port} ({'tls' if ssl_context else 'tcp'}), aborting.")
        bound_port = socks[0].getsockname()[1]
        for sock in socks:
            srv = await self.loop.create_server(factory, sock=sock, ssl=ssl_context, backlog=self.config.tcp_backlog)
            self.listeners.append(srv)
            if ssl_context is not None:
                self.tls_listeners.append(srv)
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
        from .commands.persistence import shutdown_save

        return shutdown_save(self, mode)

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
