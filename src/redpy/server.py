"""The Server object: listeners, the client table, the cron, statistics, shutdown.

Everything mutable lives here (no module-level state): the databases, the clients, the
counters INFO reports, the slow log. One asyncio event loop runs every command; handlers
never await, so each command is atomic as in Redis.

Hooks that later features fill in stay None (or empty) until then and cost nothing on
the hot path: `check_hooks` (ACL, OOM), `propagating` + `propagate` (AOF and replicas),
`monitors`, `tracking_clients` and `pause_until` are properties (or, for `monitors`, a
list) that keep two flags current: `hooked`, true while a hook that must run before a
command is set (check hooks, a pause, tracking), which sends every command down
dispatch's full path, and `post_hooked`, true while one that runs after it is
(propagation, monitors), which dispatch's fast path serves itself. Assign them as plain
attributes.
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
from .connection import Client, flag_property
from .config import Config
from .db import Database

log = logging.getLogger("redpy")

# CONFIG_MIN_RESERVED_FDS: descriptors kept for listeners, files and the like beyond maxclients
_MIN_RESERVED_FDS = 32

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


class _MonitorList(list):
    """server.monitors: a list that keeps server.post_hooked current as it changes."""

    __slots__ = ("server",)

    def __init__(self, server):
        super().__init__()
        self.server = server

    def append(self, c) -> None:
        super().append(c)
        self.server._update_hooked()

    def remove(self, c) -> None:
        super().remove(c)
        self.server._update_hooked()

    def clear(self) -> None:
        super().clear()
        self.server._update_hooked()


def _hook_property(name: str, doc: str) -> property:
    return flag_property(name, "_update_hooked", doc)


class Server:
    # What dispatch's fast path must not skip; each setter updates `hooked` and
    # `post_hooked`.
    check_hooks = _hook_property(
        "check_hooks", "(c, cmd, argv) -> CommandError | None, run before every command: ACL, then OOM"
    )
    propagating = _hook_property("propagating", "True while something consumes propagate()")
    pause_until = _hook_property("pause_until", "CLIENT PAUSE's end (unix seconds), 0.0 when not paused")
    tracking_clients = _hook_property("tracking_clients", "how many clients have tracking on")

    def _update_hooked(self) -> None:
        self.hooked = bool(self._check_hooks or self._pause_until or self._tracking_clients)
        self.post_hooked = bool(self._propagating or self.monitors)

    def __init__(self, config: Config | None = None):
        self._check_hooks: tuple = ()
        self._propagating = False
        self._pause_until = 0.0
        self._tracking_clients = 0
        self.monitors: list[Client] = _MonitorList(self)
        self.hooked = self.post_hooked = False
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
        # AOF (persistence/aof.py): the buffer written before replies go out, the ops of
        # the current execution unit, a handler's argv rewrite (or aof.PREVENT), and
        # prop_pending when either was set (dispatch then calls propagate)
        from .persistence.aof import Aof

        self.aof = Aof()
        self.aof_buf = bytearray()
        self.prop_ops: list = []
        self.prop_rewrite = None
        self.prop_pending = False
        self.active_expiring = False  # the cron's active expiry is running
        from .pubsub import PubSub

        self.pubsub = PubSub(self)
        # clients with replies to write (write_before_sleep), or queued by another
        # client's command (PUBLISH, served blocked clients)
        self.pending_flush: set[Client] = set()
        self.flush_scheduled = False
        self.tracking_table: dict = {}
        # True while db.signal_modified has anything to do (a WATCHed key in some db,
        # tracked keys or BCAST prefixes, evict.py's key_hook): hot write paths call it
        # only then. Set at once by whatever adds one of those; made exact again
        # (possibly False) by update_signals, in the cron.
        self.signals_on = False
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
        from .persistence import aof as _aof

        self.cron_hooks.append(lambda: _aof.cron(self))
        # maxmemory (evict.py): memory accounting, the OOM check hook, LRU/LFU clocks;
        # sets key_hook (None unless configured) and pre_command_oom_state
        from . import evict

        evict.init(self)
        self.cron_hooks.append(self.update_signals)

    # ------------------------------------------------------------------ stats

    def reset_stats(self) -> None:
        self.stat_numcommands = 0
        self.stat_numconnections = 0
        self.stat_rejected_conn = 0
        self.stat_expiredkeys = 0
        self.stat_evictedkeys = 0
        # INFO stats' fork figures and LATENCY DOCTOR's fork rate (GB/s), as Redis
        # computes them after each fork
        self.stat_fork_rate = 0.0
        self.stat_fork_time = 0  # µs, the latest fork (INFO latest_fork_usec)
        self.stat_total_forks = 0
        self.stat_total_eviction_exceeded_time = 0  # µs
        self.stat_last_eviction_exceeded_time = 0.0  # monotonic start, 0 when under
        self.stat_keyspace_hits = 0
        self.stat_keyspace_misses = 0
        self.stat_total_error_replies = 0
        self.error_stats: dict[bytes, int] = {}
        self.stat_net_input_bytes = 0
        self.stat_net_output_bytes = 0
        from .registry import all_commands

        for cmd in all_commands():
            cmd.reset_stats()

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
        if self.propagating:
            # propagateDeletion: from the cron at once; a lazy expiry inside a command
            # joins that command's unit (MULTI/EXEC with the command, as Redis 7.0)
            argv = [b"UNLINK" if self.config.lazyfree_lazy_expire else b"DEL", key]
            if self.active_expiring:
                self.propagate_argv(db.id, argv)
            else:
                self.also_propagate(db.id, argv)
        if self.config.notify_keyspace_events:
            from .notify import EXPIRED, notify

            notify(self, EXPIRED, b"expired", key, db.id)
            self.schedule_flush()  # from the cron no read follows to flush the subscribers

    def key_evicted(self, db: Database, key: bytes) -> None:
        """Evict key (performEvictions): the one path through which keys are evicted.

        Redis's order: propagate (DEL, or UNLINK with lazyfree-lazy-eviction, written at
        once: evictions run before the command, outside its unit), delete, count,
        signalModifiedKey (WATCH, tracking), the "evicted" event.
        """
        if self.propagating:
            self.propagate_argv(db.id, [b"UNLINK" if self.config.lazyfree_lazy_eviction else b"DEL", key])
        db.delete(key)  # dict, expires, signal_modified (WATCH, tracking, accounting)
        self.stat_evictedkeys += 1
        if self.config.notify_keyspace_events:
            from .notify import EVICTED, notify

            notify(self, EVICTED, b"evicted", key, db.id)

    def propagate(self, c: Client, cmd, argv, dirtied: bool = True) -> None:
        """After a top-level command (dispatch, served blocked clients): write its
        rewritten argv and the ops it queued, as one unit (MULTI/EXEC if several)."""
        from .persistence.aof import propagate

        propagate(self, c, cmd, argv, dirtied)

    def propagate_inner(self, c: Client, cmd, argv, dirtied: bool = True) -> None:
        """After a command run by EXEC or a script: queue its op in the unit."""
        from .persistence.aof import propagate_inner

        propagate_inner(self, c, cmd, argv, dirtied)

    def also_propagate(self, dbid: int, argv: list[bytes]) -> None:
        """alsoPropagate: queue an extra op in the current unit (only while propagating)."""
        self.prop_ops.append((dbid, argv))
        self.prop_pending = True

    def rewrite_propagation(self, argv) -> None:
        """rewriteClientCommandVector for propagation: argv replaces the command's own
        (aof.PREVENT: the command itself is not propagated). Only while propagating."""
        self.prop_rewrite = argv
        self.prop_pending = True

    def propagate_argv(self, dbid: int, argv: list[bytes]) -> None:
        """propagateNow: write an op at once, outside any unit (expired or evicted keys)."""
        if self.propagating:
            from .persistence.aof import encode_argv, feed

            feed(self, dbid, encode_argv(argv))

    def aof_flush(self) -> None:
        """Write (and per appendfsync, fsync) the AOF buffer: before replies go out."""
        _aof_flush(self)

    def forked(self, started_ns: int) -> None:
        """After a fork in the parent (BGSAVE, BGREWRITEAOF): Redis's fork statistics,
        the fork rate LATENCY DOCTOR judges, and the "fork" latency event."""
        usec = (time.perf_counter_ns() - started_ns) // 1000
        self.stat_fork_time = usec
        self.stat_total_forks += 1
        from .evict import used_memory

        self.stat_fork_rate = used_memory(self) * 1_000_000 / max(usec, 1) / (1024**3)
        self.latency_sample("fork", usec // 1000)

    def latency_sample(self, event: str, ms: int) -> None:
        """Record a latency event if it reaches latency-monitor-threshold (LATENCY)."""
        from .commands.server import latency_add_sample_if_needed

        latency_add_sample_if_needed(self, event, ms)

    def write_before_sleep(self, c: Client) -> None:
        """Write c's replies, and those queued for others, once this turn of the event
        loop has read every client that was ready (Redis writes in beforeSleep too).

        Writing each client's replies as soon as its read is served costs the kernel a
        wake-up of the peer per write: the peer (redis-benchmark, a busy client) has gone
        back to sleep between two reads. Written in a burst, the first write wakes it and
        the others find it awake: that halved redpy's system time per request at pipeline
        16 (0.9-1.2 µs -> 0.4 µs, Redis's own figure). Without a running loop (the
        in-process benchmark), at once.
        """
        self.pending_flush.add(c)
        self.schedule_flush()

    def schedule_flush(self) -> None:
        """Flush pending_flush at the end of this turn of the loop (at once without a
        loop); also for code that no read's write_before_sleep follows (the cron)."""
        if self.pending_flush and not self.flush_scheduled:
            if self.loop is None:
                self.flush_pending()
            else:
                self.flush_scheduled = True
                self.loop.call_soon(self.flush_pending)

    def flush_pending(self) -> None:
        self.flush_scheduled = False
        pending = self.pending_flush
        while pending:
            c = pending.pop()
            try:
                c.flush()
            except Exception:  # the others' replies must still go out
                log.exception("error writing to client id=%d", c.id)

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

    def update_signals(self) -> None:
        """signals_on, exactly (see __init__)."""
        self.signals_on = (
            bool(self.tracking_table) or self.key_hook is not None or any(db.watched for db in self.dbs)
        )

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
                self.active_expiring = True
                try:
                    for db in self.dbs:
                        if db.expires:
                            db.active_expire(deadline)
                finally:
                    self.active_expiring = False
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


    # ------------------------------------------------------------------ file descriptors

    def adjust_open_files_limit(self) -> None:
        """Redis's adjustOpenFilesLimit: room for maxclients plus 32 reserved descriptors.

        Raise the soft RLIMIT_NOFILE to maxclients + 32; if the kernel refuses, step down
        16 at a time to the best it allows and lower maxclients to fit, logging the same
        lines as redis-server. Called at startup and when CONFIG SET changes maxclients.
        Like Redis it sets the hard limit too, also in embedded mode, where the limits are
        the embedding process's.
        """
        import resource

        cfg = self.config
        maxfiles = cfg.maxclients + _MIN_RESERVED_FDS
        try:
            old_soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        except (OSError, ValueError) as e:
            cfg.maxclients = 1024 - _MIN_RESERVED_FDS
            log.warning(
                "Unable to obtain the current NOFILE limit (%s), assuming 1024 and setting the max clients configuration accordingly.", e
            )
            return
        if old_soft == resource.RLIM_INFINITY or old_soft >= maxfiles:
            return
        best = maxfiles
        error = "Operation not permitted"
        while best > old_soft:
            # Both limits, as Redis sets them: a later CONFIG SET maxclients then finds
            # the same ceiling as on redis-server.
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (best, best))
                break
            except OSError as e:
                error = e.strerror or error
            except ValueError:
                # Python reports EPERM (raising the hard limit) as ValueError
                error = "Operation not permitted"
            if best < 16:
                best = old_soft
                break
            best -= 16
        if best < old_soft:
            best = old_soft
        if best < maxfiles:
            log.warning("You requested maxclients of %d requiring at least %d max file descriptors.", cfg.maxclients, maxfiles)
            log.warning("Server can't set maximum open files to %d because of OS error: %s.", maxfiles, error)
            if best <= _MIN_RESERVED_FDS:
                log.warning(
                    "Your current 'ulimit -n' of %d is not enough for the server to start. Please increase your open file limit to at least %d. Exiting.",
                    old_soft, maxfiles,
                )
                raise OSError("Not enough file descriptors to start")
            cfg.maxclients = best - _MIN_RESERVED_FDS
            log.warning(
                "Current maximum open files is %d. maxclients has been reduced to %d to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
                best, cfg.maxclients,
            )
        else:
            log.info("Increased maximum number of open files to %d (it was originally set to %d).", maxfiles, old_soft)

    # ------------------------------------------------------------------ running

    async def start(self) -> None:
        """Open the listeners (TCP, TLS, unix socket) and start the cron; return once ready."""
        from . import tls

        self.loop = asyncio.get_running_loop()
        self._stopped = self.loop.create_future()
        cfg = self.config
        # Load the dump before listening; a corrupt dump raises RdbLoadError (an
        # OSError, so run() exits with status 1 instead of starting empty).
        if cfg.appendonly:
            # the AOF (manifest, base, incr files) instead of the dump; a bad AOF
            # raises AofError (an OSError: run() exits with status 1)
            from .persistence.aof import load_at_startup
        else:
            from .commands.persistence import load_at_startup

        load_at_startup(self)
        self.adjust_open_files_limit()
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
            # TLS listeners get tls.TLSConnection from their factory, not asyncio's TLS
            srv = await self.loop.create_server(factory, sock=sock, backlog=self.config.tcp_backlog)
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
        from .persistence.aof import shutdown as aof_shutdown

        # Redis checks the initial AOF rewrite before saving the RDB
        if self.aof.state == "wait_rewrite" and self.aof.child_pid > 0 and "force" not in mode.split():
            return aof_shutdown(self, mode)
        if not shutdown_save(self, mode):
            return False
        return aof_shutdown(self, mode)

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


def _aof_flush(server) -> None:
    global _aof_flush
    from .persistence.aof import flush

    _aof_flush = flush
    flush(server)


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
