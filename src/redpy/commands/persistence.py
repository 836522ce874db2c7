"""SAVE, BGSAVE, DUMP, RESTORE, FUNCTION DUMP / RESTORE, DEBUG RELOAD's loading, and
the server's RDB life cycle.

The life cycle (`rdb_init` from Server.__init__, `load_at_startup` from Server.start,
`shutdown_save` from Server.prepare_shutdown, `rdb_cron` among the cron hooks):
- SAVE writes the dump in the event loop (blocking, as in Redis).
- BGSAVE forks: the child writes temp-<pid>.rdb, fsyncs, renames it over the dump and
  leaves with os._exit(0) (1 on error); the parent reaps it in the cron with
  waitpid(WNOHANG) and then updates lastsave, dirty and rdb_last_bgsave_status as
  backgroundSaveDoneHandler does. The rename makes a crash at any moment leave the
  previous dump intact.
- Save rules (`save <seconds> <changes>`) start a BGSAVE from the cron; a failed BGSAVE
  is retried after 5 seconds (CONFIG_BGSAVE_RETRY_DELAY).
- After a failed BGSAVE with save rules set and stop-writes-on-bgsave-error, write
  commands (and PING) answer MISCONF (`misconf_check`, a check hook that is in
  server.check_hooks only while the last background save failed).
- rdb-del-sync-files only concerns replication syncs, which redpy does not do: no effect.
"""

from __future__ import annotations

import logging
import os
import time

from ..clock import now_ms
from ..errors import CommandError
from ..persistence import rdb
from ..registry import command_group
from ..replies import OK, Simple

log = logging.getLogger("redpy")

server_command = command_group("server")
generic_command = command_group("generic")

BGSAVE_RETRY_DELAY = 5

MISCONF = (
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
    "persist to disk. Commands that may modify the data set are disabled, because this "
    "instance is configured to report errors during writes if RDB snapshotting fails "
    "(stop-writes-on-bgsave-error option). Please check the Redis logs for details "
    "about the RDB error."
)


# ====================================================================== life cycle


def rdb_init(server) -> None:
    """Persistence state on the Server (INFO persistence reads these names)."""
    server.rdb_child_pid = -1
    server.rdb_bgsave_in_progress = False
    server.rdb_bgsave_scheduled = False
    server.rdb_last_bgsave_status = "ok"
    server.rdb_last_bgsave_time_sec = -1
    server.rdb_save_time_start = 0.0
    server.lastbgsave_try = 0
    server.dirty_before_bgsave = 0
    server.stat_rdb_saves = 0
    server.loading = False
    server.rdb_last_load_keys_loaded = 0
    server.rdb_last_load_keys_expired = 0
    server.cron_hooks.append(lambda: rdb_cron(server))


def rdb_path(server) -> str:
    return os.path.join(server.config.dir, server.config.dbfilename)


def load_at_startup(server) -> None:
    """Load the dump before listening; a bad dump stops the start (RdbLoadError)."""
    path = rdb_path(server)
    start = time.monotonic()
    server.loading = True
    try:
        stats = rdb.load_file(server, path)
    except rdb.RdbError as e:
        msg = f"Internal error in RDB reading offset {e.offset}, file {path} -> {e.message}"
        log.warning("%s", msg)
        log.warning("Fatal error loading the DB: Invalid argument. Exiting.")
        raise rdb.RdbLoadError(msg) from None
    except OSError as e:
        log.warning("Fatal error loading the DB: %s. Exiting.", e.strerror)
        raise rdb.RdbLoadError(f"Fatal error loading the DB: {e.strerror}. Exiting.") from None
    finally:
        server.loading = False
    if stats is not None:
        server.rdb_last_load_keys_loaded = stats["keys"] - stats["expired"]
        server.rdb_last_load_keys_expired = stats["expired"]
        log.info(
            "Done loading RDB, keys loaded: %d, keys expired: %d.",
            server.rdb_last_load_keys_loaded, stats["expired"],
        )
        log.info("DB loaded from disk: %.3f seconds", time.monotonic() - start)


def save_sync(server) -> bool:
    """rdbSave in the foreground; True on success."""
    try:
        rdb.save_to(server, rdb_path(server))
    except (OSError, rdb.RdbError) as e:
        log.warning("Failed saving the DB: %s", e)
        return False
    log.info("DB saved on disk")
    server.dirty = 0
    server.lastsave = int(time.time())
    _set_status(server, "ok")
    server.stat_rdb_saves += 1
    return True


def save_background(server) -> bool:
    """rdbSaveBackground: fork a child that writes the dump; False if fork failed."""
    server.dirty_before_bgsave = server.dirty
    server.lastbgsave_try = int(time.time())
    path = rdb_path(server)
    fork_start = time.perf_counter_ns()
    try:
        pid = os.fork()
    except OSError as e:
        _set_status(server, "err")
        log.warning("Can't save in background: fork: %s", e.strerror)
        return False
    if pid == 0:  # the child: never return into the event loop
        code = 1
        try:
            rdb.save_to(server, path)
            code = 0
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    server.forked(fork_start)
    log.info("Background saving started by pid %d", pid)
    server.rdb_child_pid = pid
    server.rdb_bgsave_in_progress = True
    server.rdb_bgsave_scheduled = False
    server.rdb_save_time_start = time.monotonic()
    return True


def _bgsave_done(server, ok: bool) -> None:
    """backgroundSaveDoneHandler."""
    server.rdb_last_bgsave_time_sec = int(time.monotonic() - server.rdb_save_time_start)
    server.rdb_child_pid = -1
    server.rdb_bgsave_in_progress = False
    if ok:
        log.info("Background saving terminated with success")
        server.dirty -= server.dirty_before_bgsave
        server.lastsave = int(time.time())
        _set_status(server, "ok")
        server.stat_rdb_saves += 1
    else:
        log.warning("Background saving error")
        _set_status(server, "err")


def _set_status(server, status: str) -> None:
    """Record the last save's outcome; MISCONF's check hook is installed only while it
    is "err", so the dispatcher's hot path does not pay for it otherwise. It goes after
    the ACL and OOM hooks, as in processCommand."""
    server.rdb_last_bgsave_status = status
    hooks = server.check_hooks
    if status == "err":
        if misconf_check not in hooks:
            server.check_hooks = (*hooks, misconf_check)
    elif misconf_check in hooks:
        server.check_hooks = tuple(h for h in hooks if h is not misconf_check)


def kill_child(server) -> None:
    """killRDBChild: stop a running BGSAVE and remove its temp file."""
    pid = server.rdb_child_pid
    if pid <= 0:
        return
    try:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    except (OSError, ChildProcessError):
        pass
    try:
        os.unlink(os.path.join(server.config.dir, "temp-%d.rdb" % pid))
    except OSError:
        pass
    server.rdb_child_pid = -1
    server.rdb_bgsave_in_progress = False


def rdb_cron(server) -> None:
    """Reap the BGSAVE child, then run a scheduled BGSAVE or the save rules."""
    if getattr(server, "migrate_cached_sockets", None):
        migrate_close_idle(server)
    pid = server.rdb_child_pid
    if pid > 0:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done, status = pid, 1 << 8
        if done == 0:
            return
        _bgsave_done(server, os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0)
    if server.aof.child_pid > 0:
        return  # hasActiveChildProcess: nothing starts while the AOF rewrite runs
    now = int(time.time())
    retry_ok = now - server.lastbgsave_try > BGSAVE_RETRY_DELAY or server.rdb_last_bgsave_status == "ok"
    if server.rdb_bgsave_scheduled and retry_ok:
        save_background(server)
        return
    for seconds, changes in server.config.save:
        if server.dirty >= changes and now - server.lastsave > seconds and retry_ok:
            log.info("%d changes in %d seconds. Saving...", changes, seconds)
            save_background(server)
            return


def shutdown_save(server, mode: str) -> bool:
    """prepareForShutdown's RDB part: False when the server must not stop."""
    flags = mode.split()
    if server.rdb_child_pid > 0:
        log.warning("There is a child saving an .rdb. Killing it!")
        kill_child(server)
    if ("nosave" not in flags and server.config.save) or "save" in flags:
        log.info("Saving the final RDB snapshot before exiting.")
        if not save_sync(server):
            if "force" in flags:
                log.warning("Error trying to save the DB. Exit anyway.")
            else:
                log.warning("Error trying to save the DB, can't exit.")
                return False
    return True


def misconf_check(c, cmd, argv):
    """Check hook: MISCONF for writes (and PING) after a failed background save."""
    server = c.server
    if (
        server.rdb_last_bgsave_status == "ok"
        or not server.config.stop_writes_on_bgsave_error
        or not server.config.save
    ):
        return None
    is_write = cmd.write or (cmd.fullname == "exec" and c.multi and any(q[0].write for q in c.multi))
    if is_write or cmd.fullname == "ping":
        return CommandError(MISCONF)
    return None


def debug_reload(server, save: bool = True, merge: bool = False, allow_dup: bool | None = None) -> bool:
    """DEBUG RELOAD: save (unless NOSAVE), empty the dataset and the function libraries
    (unless NOFLUSH: merge), load. A library of the dump that exists is an error unless
    allow_dup (MERGE's RDBFLAGS_ALLOW_DUP; by default, merge)."""
    if allow_dup is None:
        allow_dup = merge
    if save and not save_sync(server):
        return False
    path = rdb_path(server)
    with open(path, "rb") as f:
        buf = f.read()
    keep = [(dict(db.data), dict(db.expires)) for db in server.dbs] if merge else None
    for db in server.dbs:
        db.flush()
    if not merge:
        # emptyData flushes the function libraries too
        eng = getattr(server, "lua_engine", None)
        if eng is not None:
            eng.flush_functions()
    try:
        rdb.load_into(server, buf, replace_functions=allow_dup)
    finally:
        # NOFLUSH keeps what was there, also when the load fails
        if keep is not None:
            for db, (data, expires) in zip(server.dbs, keep):
                for k, v in data.items():
                    if k not in db.data:
                        db.data[k] = v
                        if k in expires:
                            db.expires[k] = expires[k]
    return True


# ====================================================================== commands


@server_command("save")
def cmd_save(c, argv):
    """SAVE"""
    server = c.server
    if server.rdb_child_pid > 0:
        raise CommandError("ERR Background save already in progress")
    if not save_sync(server):
        raise CommandError("ERR")
    return OK


@server_command("bgsave")
def cmd_bgsave(c, argv):
    """BGSAVE [SCHEDULE]

    SCHEDULE with a save already running answers "Background saving scheduled" and the
    cron starts it once the running one ends.
    """
    server = c.server
    schedule = False
    if len(argv) > 1:
        if len(argv) == 2 and argv[1].lower() == b"schedule":
            schedule = True
        else:
            raise CommandError("ERR syntax error")
    if server.rdb_child_pid > 0:
        if schedule:
            server.rdb_bgsave_scheduled = True
            return Simple(b"Background saving scheduled")
        raise CommandError("ERR Background save already in progress")
    if server.aof.child_pid > 0:
        if schedule:
            server.rdb_bgsave_scheduled = True
            return Simple(b"Background saving scheduled")
        raise CommandError(
            "ERR Another child process is active (AOF?): can't BGSAVE right now. "
            "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."
        )
    if not save_background(server):
        raise CommandError("ERR")
    return Simple(b"Background saving started")


@server_command("bgrewriteaof")
def cmd_bgrewriteaof(c, argv):
    """BGREWRITEAOF

    With a BGSAVE running the rewrite is scheduled and starts from the cron once it ends.
    """
    from ..persistence import aof

    server = c.server
    if server.aof.child_pid > 0:
        raise CommandError("ERR Background append only file rewriting already in progress")
    if server.rdb_child_pid > 0:
        server.aof.rewrite_scheduled = True
        return Simple(b"Background append only file rewriting scheduled")
    if server.aof.manifest is None:
        server.aof.manifest = aof._read_manifest_or_new(server)
    if not aof.rewrite_background(server):
        raise CommandError(
            "ERR Can't execute an AOF background rewriting. Please check the server logs for more information."
        )
    return Simple(b"Background append only file rewriting started")


@generic_command("dump")
def cmd_dump(c, argv):
    """DUMP key"""
    value = c.db.lookup(argv[1])
    if value is None:
        return None
    return rdb.dump_payload(value, c.server.config)


def _getll(arg: bytes) -> int:
    from ..numbers import string2ll

    v = string2ll(arg)
    if v is None:
        raise CommandError("ERR value is not an integer or out of range")
    return v


@generic_command("restore")
def cmd_restore(c, argv):
    """RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]

    IDLETIME sets the key's LRU clock, FREQ its LFU counter, when the policy keeps
    that kind of clock (evict.set_clock). Options are checked before the key, the key before
    the TTL, the TTL before the payload (Redis's order).
    """
    replace = absttl = False
    idle = freq = -1
    j = 4
    argc = len(argv)
    while j < argc:
        opt = argv[j].lower()
        additional = argc - j - 1
        if opt == b"replace":
            replace = True
        elif opt == b"absttl":
            absttl = True
        elif opt == b"idletime" and additional >= 1 and freq == -1:
            idle = _getll(argv[j + 1])
            if idle < 0:
                raise CommandError("ERR Invalid IDLETIME value, must be >= 0")
            j += 1
        elif opt == b"freq" and additional >= 1 and idle == -1:
            freq = _getll(argv[j + 1])
            if freq < 0 or freq > 255:
                raise CommandError("ERR Invalid FREQ value, must be >= 0 and <= 255")
            j += 1
        else:
            raise CommandError("ERR syntax error")
        j += 1
    db = c.db
    key = argv[1]
    server = c.server
    if not replace and db.lookup(key) is not None:
        raise CommandError("BUSYKEY Target key name already exists.")
    ttl = _getll(argv[2])
    if ttl < 0:
        raise CommandError("ERR Invalid TTL value, must be >= 0")
    try:
        _, value = rdb.restore_payload(argv[3], server.config)
    except ValueError as e:
        if e.args and e.args[0] == "version":
            raise CommandError("ERR DUMP payload version or checksum are wrong") from None
        raise CommandError("ERR Bad data format") from None
    deleted = replace and db.delete(key)
    if ttl and not absttl:
        ttl += now_ms()
    if ttl and ttl <= now_ms():
        if deleted:
            from ..notify import GENERIC, notify

            notify(server, GENERIC, b"del", key, db.id)
            server.dirty += 1
            if server.propagating:
                server.rewrite_propagation([b"UNLINK" if server.config.lazyfree_lazy_server_del else b"DEL", key])
        return OK
    db.add(key, value)
    if idle >= 0 or freq >= 0:
        from ..evict import set_clock

        set_clock(db, key, freq, idle)
    if ttl:
        db.set_expire(key, ttl)
        if not absttl and server.propagating:
            # propagated with the absolute deadline and ABSTTL (as Redis)
            server.rewrite_propagation([*argv[:2], b"%d" % ttl, *argv[3:], b"ABSTTL"])
    from ..notify import GENERIC, notify

    notify(server, GENERIC, b"restore", key, db.id)
    server.dirty += 1
    from ..types.rlist import RList
    from ..types.stream import Stream
    from ..types.zset import ZSet

    if isinstance(value, (RList, ZSet, Stream)):
        from ..blocking import signal_key_as_ready

        signal_key_as_ready(db, key)
    return OK


# ====================================================================== FUNCTION DUMP / RESTORE
# (here rather than in commands/scripting.py: they are the RDB side of functions; the
# format and the policies are in persistence/functions.py)

_function_command = command_group("scripting")


@_function_command("function|dump")
def cmd_function_dump(c, argv):
    """FUNCTION DUMP"""
    from ..persistence.functions import dump_payload

    return dump_payload(c.server)


@_function_command("function|restore")
def cmd_function_restore(c, argv):
    """FUNCTION RESTORE serialized-value [FLUSH | APPEND | REPLACE]"""
    from ..persistence.functions import restore

    if len(argv) > 4:
        from ..errors import subcommand_syntax

        raise subcommand_syntax(argv[1], argv[0].decode("latin-1"))
    policy = "append"
    if len(argv) == 4:
        policy = argv[3].lower().decode("latin-1")
        if policy not in ("append", "replace", "flush"):
            raise CommandError(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."
            )
    restore(c.server, argv[2], policy)
    return OK


# ====================================================================== MIGRATE

MIGRATE_SOCKET_CACHE_TTL = 10  # seconds an idle cached connection is kept


class _MigrateSocket:
    __slots__ = ("sock", "last_dbid", "last_use", "buf")

    def __init__(self, sock):
        self.sock = sock
        self.last_dbid = -1
        self.last_use = time.time()
        self.buf = b""

    def read_line(self, timeout: float) -> bytes:
        """syncReadLine: one reply line without CRLF; raises OSError on EOF/timeout."""
        deadline = time.monotonic() + timeout
        while b"\r\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("timeout")
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("connection closed")
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line


def _migrate_cache(server) -> dict:
    cache = getattr(server, "migrate_cached_sockets", None)
    if cache is None:
        cache = server.migrate_cached_sockets = {}
    return cache


def _migrate_close(server, name: bytes) -> None:
    cs = _migrate_cache(server).pop(name, None)
    if cs is not None:
        try:
            cs.sock.close()
        except OSError:
            pass


def migrate_close_idle(server) -> None:
    """migrateCloseTimedoutSockets, run from the cron."""
    cache = getattr(server, "migrate_cached_sockets", None)
    if not cache:
        return
    now = time.time()
    for name in [n for n, cs in cache.items() if now - cs.last_use > MIGRATE_SOCKET_CACHE_TTL]:
        _migrate_close(server, name)


def _migrate_get_socket(server, host: bytes, port: bytes, timeout_ms: int) -> _MigrateSocket:
    import socket

    name = host + b":" + port
    cache = _migrate_cache(server)
    cs = cache.get(name)
    if cs is not None:
        cs.last_use = time.time()
        return cs
    if len(cache) == 64:  # Redis keeps at most 64 cached connections
        _migrate_close(server, next(iter(cache)))
    try:
        sock = socket.create_connection((host.decode("latin-1"), int(port)), timeout=timeout_ms / 1000.0)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (ConnectionRefusedError, TimeoutError):
        # Redis connects without blocking and learns of a refused or unfinished
        # connection only when it writes the request (checked against the oracle).
        raise CommandError("IOERR error or timeout writing to target instance") from None
    except (OSError, ValueError, UnicodeError, OverflowError):
        raise CommandError("IOERR error or timeout connecting to the client") from None
    cs = cache[name] = _MigrateSocket(sock)
    return cs


def _bulk_cmd(*args: bytes) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%b\r\n" % (len(a), a))
    return b"".join(out)


def _getlong(arg: bytes) -> int:
    return _getll(arg)


@generic_command("migrate")
def cmd_migrate(c, argv):
    """MIGRATE host port <key | ""> destination-db timeout [COPY] [REPLACE] [AUTH password | AUTH2 username password] [KEYS key [key ...]]

    The connection to the target is cached per host:port for 10 seconds (SELECT is
    sent only when the target db changes), as Redis does; the transfer blocks the
    server up to `timeout` ms per read, as in Redis. Without COPY the migrated keys are
    deleted locally.
    """
    server = c.server
    copy = replace = False
    username = password = None
    first_key, num_keys = 3, 1
    argc = len(argv)
    j = 6
    while j < argc:
        moreargs = argc - 1 - j
        opt = argv[j].lower()
        if opt == b"copy":
            copy = True
        elif opt == b"replace":
            replace = True
        elif opt == b"auth":
            if not moreargs:
                raise CommandError("ERR syntax error")
            j += 1
            password = argv[j]
        elif opt == b"auth2":
            if moreargs < 2:
                raise CommandError("ERR syntax error")
            username, password = argv[j + 1], argv[j + 2]
            j += 2
        elif opt == b"keys":
            if argv[3]:
                raise CommandError(
                    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"
                )
            first_key, num_keys = j + 1, argc - j - 1
            break
        else:
            raise CommandError("ERR syntax error")
        j += 1
    timeout = _getlong(argv[5])
    dbid = _getlong(argv[4])
    if timeout <= 0:
        timeout = 1000
    db = c.db
    keys = [k for k in argv[first_key : first_key + num_keys] if db.lookup(k) is not None]
    if not keys:
        return Simple(b"NOKEY")
    host, port = argv[1], argv[2]
    name = host + b":" + port
    may_retry = True
    while True:
        cs = _migrate_get_socket(server, host, port, timeout)
        parts = []
        if password is not None:
            parts.append(_bulk_cmd(b"AUTH", username, password) if username is not None else _bulk_cmd(b"AUTH", password))
        select = cs.last_dbid != dbid
        if select:
            parts.append(_bulk_cmd(b"SELECT", b"%d" % dbid))
        now = now_ms()
        sent = []
        for key in keys:
            ttl = 0
            when = db.get_expire(key)
            if when != -1:
                ttl = when - now
                if ttl < 0:
                    continue
                if ttl < 1:
                    ttl = 1
            value = db.data.get(key)
            if value is None:
                continue
            sent.append(key)
            payload = rdb.dump_payload(value, server.config)
            args = [b"RESTORE", key, b"%d" % ttl, payload]
            if replace:
                args.append(b"REPLACE")
            parts.append(_bulk_cmd(*args))
        write_error = False
        try:
            cs.sock.settimeout(timeout / 1000.0)
            cs.sock.sendall(b"".join(parts))
        except OSError as e:
            write_error = True
            _migrate_close(server, name)
            if may_retry and not isinstance(e, TimeoutError):
                may_retry = False
                continue
            raise CommandError("IOERR error or timeout writing to target instance") from None
        try:
            buf0 = cs.read_line(timeout / 1000.0) if password is not None else b""
            buf1 = cs.read_line(timeout / 1000.0) if select else b""
        except OSError as e:
            _migrate_close(server, name)
            if may_retry and not isinstance(e, TimeoutError):
                may_retry = False
                continue
            raise CommandError("IOERR error or timeout reading to target instance") from None
        error = None
        socket_error = None
        done = 0
        moved = []
        for key in sent:
            try:
                buf2 = cs.read_line(timeout / 1000.0)
            except OSError as e:
                socket_error = e
                break
            done += 1
            if buf0[:1] == b"-" or buf1[:1] == b"-" or buf2[:1] == b"-":
                if error is None:
                    cs.last_dbid = -1
                    errbuf = buf0 if buf0[:1] == b"-" else buf1 if buf1[:1] == b"-" else buf2
                    error = CommandError(b"ERR Target instance replied with error: " + errbuf[1:])
            elif not copy:
                db.delete(key)
                from ..notify import GENERIC, notify

                notify(server, GENERIC, b"del", key, db.id)
                server.dirty += 1
                moved.append(key)
        if moved and server.propagating:
            # the keys that left are propagated as DEL (never the MIGRATE itself)
            server.rewrite_propagation([b"DEL", *moved])
        if error is None and socket_error is not None and done == 0 and may_retry and not isinstance(socket_error, TimeoutError):
            _migrate_close(server, name)
            may_retry = False
            continue
        if socket_error is not None:
            _migrate_close(server, name)
        if error is not None:
            raise error
        if socket_error is not None:
            raise CommandError("IOERR error or timeout %s to target instance" % ("writing" if write_error else "reading"))
        cs.last_dbid = dbid
        return OK
