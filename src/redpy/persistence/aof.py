"""The append-only file: Redis 7.0's multi-part AOF, propagation, loading, rewriting.

Layout (appenddirname under dir): `<appendfilename>.manifest` lists the files, one line
each, `file <name> seq <n> type <b|h|i>`: one base (`<name>.<seq>.base.rdb` with an RDB
preamble, or `.base.aof`), the incremental files (`<name>.<seq>.incr.aof`) written
since, and history files (old ones that a rewrite replaced, deleted unless
aof-disable-auto-gc). The manifest is replaced by rename, so a crash leaves either the
old or the new set of files.

Propagation (Redis's call()/alsoPropagate/propagatePendingCommands):
- dispatch calls `server.propagate(c, cmd, argv, dirtied)` after a top-level command
  when it changed the dataset (or something was queued with also_propagate), and
  `server.propagate_inner(...)` for each command run by EXEC or a script. A handler
  that must be propagated differently sets `server.prop_rewrite` (a new argv, or
  PREVENT for nothing) and/or queues extra ops with `server.also_propagate(dbid, argv)`;
  both set `server.prop_pending`. The ops of one execution unit are written wrapped in
  MULTI/EXEC when there is more than one, as Redis 7.0 does.
- `server.propagate_argv(dbid, argv)` writes an op at once (propagateNow): expired and
  evicted keys' DEL/UNLINK.
- SELECT is written when the op's db differs from the last one written to this file.

Writing: ops accumulate in `server.aof_buf`; Client.flush writes (and with appendfsync
always, fsyncs) it before any reply goes to a socket, as Redis's beforeSleep writes the
AOF before handleClientsWithPendingWrites. With everysec a thread fsyncs once a second.

Nothing here runs while appendonly is off: `server.propagating` stays False.
"""

from __future__ import annotations

import logging
import os
import threading
import time

log = logging.getLogger("redpy")

PREVENT = ()  # prop_rewrite value: do not propagate the command itself
AOF_REWRITE_ITEMS_PER_CMD = 64
MANIFEST_MAX_LINE = 1024

_MULTI = b"*1\r\n$5\r\nMULTI\r\n"
_EXEC = b"*1\r\n$4\r\nEXEC\r\n"


def encode_argv(argv) -> bytes:
    return b"*%d\r\n" % len(argv) + b"".join([b"$%d\r\n%b\r\n" % (len(a), a) for a in argv])


class AofError(OSError):
    """A bad AOF at startup: the server must not start. `line` (manifest errors): the
    offending line and its number."""

    line: tuple[int, str] | None = None


# ====================================================================== manifest


class Manifest:
    def __init__(self):
        self.base: tuple[str, int, str] | None = None  # (name, seq, "b")
        self.incrs: list[tuple[str, int]] = []
        self.history: list[str] = []
        self.curr_base_seq = 0
        self.curr_incr_seq = 0

    def copy(self) -> "Manifest":
        m = Manifest()
        m.base = self.base
        m.incrs = list(self.incrs)
        m.history = list(self.history)
        m.curr_base_seq = self.curr_base_seq
        m.curr_incr_seq = self.curr_incr_seq
        return m

    def text(self) -> bytes:
        lines = []
        if self.base is not None:
            lines.append("file %s seq %d type b\n" % (_quote(self.base[0]), self.base[1]))
        for name in self.history:
            lines.append("file %s seq %d type h\n" % (_quote(name), _seq_of(name)))
        for name, seq in self.incrs:
            lines.append("file %s seq %d type i\n" % (_quote(name), seq))
        return "".join(lines).encode()


def _seq_of(name: str) -> int:
    parts = name.split(".")
    for i in range(len(parts) - 2, 0, -1):
        if parts[i].isdigit():
            return int(parts[i])
    return 0


def _quote(name: str) -> str:
    if all(33 <= ord(ch) < 127 and ch not in "\"'\\" for ch in name):
        return name
    out = ['"']
    for ch in name:
        if ch in '"\\':
            out.append("\\" + ch)
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            out.append("\\x%02x" % ord(ch))
    out.append('"')
    return "".join(out)


def _split_line(line: str) -> list[str] | None:
    """sdssplitargs: words, with "..." (C escapes) and '...' quoting."""
    out = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in " \t\r\n":
            i += 1
        if i >= n:
            return out
        word = []
        if line[i] == '"':
            i += 1
            while True:
                if i >= n:
                    return None
                ch = line[i]
                if ch == "\\" and i + 3 < n and line[i + 1] == "x":
                    try:
                        word.append(chr(int(line[i + 2 : i + 4], 16)))
                        i += 4
                        continue
                    except ValueError:
                        pass
                if ch == "\\" and i + 1 < n:
                    word.append({"n": "\n", "r": "\r", "t": "\t", "b": "\b", "a": "\a"}.get(line[i + 1], line[i + 1]))
                    i += 2
                    continue
                if ch == '"':
                    i += 1
                    if i < n and line[i] not in " \t\r\n":
                        return None
                    break
                word.append(ch)
                i += 1
        elif line[i] == "'":
            i += 1
            while True:
                if i >= n:
                    return None
                ch = line[i]
                if ch == "\\" and i + 1 < n and line[i + 1] == "'":
                    word.append("'")
                    i += 2
                    continue
                if ch == "'":
                    i += 1
                    if i < n and line[i] not in " \t\r\n":
                        return None
                    break
                word.append(ch)
                i += 1
        else:
            while i < n and line[i] not in " \t\r\n":
                word.append(line[i])
                i += 1
        out.append("".join(word))


def parse_manifest(text: bytes) -> Manifest:
    """aofLoadManifestFromFile; raises AofError with Redis's messages."""
    m = Manifest()
    maxseq = 0
    if not text:
        raise AofError("Found an empty AOF manifest")
    lineno = 0
    for raw in text.split(b"\n"):
        lineno += 1
        if not raw:
            continue
        try:
            maxseq = _manifest_line(m, raw, maxseq)
        except AofError as e:
            e.line = (lineno, raw.decode("latin-1"))
            raise
    return m


def _manifest_line(m: Manifest, raw: bytes, maxseq: int) -> int:
    """One manifest line into m; the highest incr seq so far."""
    if len(raw) + 1 > MANIFEST_MAX_LINE:
        raise AofError("The AOF manifest file contains too long line")
    line = raw.decode("latin-1")
    if line.startswith("#"):
        return maxseq
    words = _split_line(line.strip("\r"))
    if words is None or len(words) < 6 or len(words) % 2:
        raise AofError("Invalid AOF manifest file format")
    info = {}
    for i in range(0, len(words), 2):
        info[words[i]] = words[i + 1]
    name, seq, typ = info.get("file"), info.get("seq"), info.get("type")
    if not name or seq is None or typ is None or not seq.isdigit() or len(typ) != 1:
        raise AofError("Invalid AOF manifest file format")
    if "/" in name:
        raise AofError("File can't be a path, just a filename")
    seqn = int(seq)
    if typ == "b":
        if m.base is not None:
            raise AofError("Found duplicate base file information")
        m.base = (name, seqn, "b")
        m.curr_base_seq = seqn
    elif typ == "h":
        m.history.append(name)
    elif typ == "i":
        if seqn <= maxseq:
            raise AofError("Found a non-monotonic sequence number")
        m.incrs.append((name, seqn))
        m.curr_incr_seq = maxseq = seqn
    else:
        raise AofError("Unknown AOF file type")
    return maxseq


# ====================================================================== state


class Aof:
    """The AOF state kept on the Server as `server.aof`."""

    def __init__(self):
        self.state = "off"  # off | on | wait_rewrite
        self.fd = -1
        self.selected_db = -1
        self.cur_timestamp = 0
        self.manifest: Manifest | None = None
        self.current_size = 0
        self.last_incr_size = 0
        self.rewrite_base_size = 0
        self.last_fsync = time.monotonic()
        self.fsync_thread: threading.Thread | None = None
        self.fsync_offset = 0
        self.delayed_fsync = 0
        self.child_pid = -1
        self.rewrite_scheduled = False
        self.rewrite_time_start = 0.0
        self.last_rewrite_time_sec = -1
        self.last_bgrewrite_status = "ok"
        self.rewrites = 0
        self.rewrites_consecutive_failures = 0
        self.last_write_status = "ok"
        self.last_write_errno = ""
        self.last_cow_size = 0
        self.pending_incr: tuple[str, int] | None = None  # incr opened for a WAIT_REWRITE


def dir_path(server) -> str:
    return os.path.join(server.config.dir, server.config.appenddirname)


def manifest_name(server) -> str:
    return server.config.appendfilename + ".manifest"


def base_name(server, seq: int, rdb: bool) -> str:
    return "%s.%d.base.%s" % (server.config.appendfilename, seq, "rdb" if rdb else "aof")


def incr_name(server, seq: int) -> str:
    return "%s.%d.incr.aof" % (server.config.appendfilename, seq)


def _fsync_dir(path: str) -> None:
    from .rdb import fsync_dir

    fsync_dir(path)


def persist_manifest(server, m: Manifest) -> None:
    """writeAofManifestFile: temp file, fsync, rename, fsync the directory."""
    d = dir_path(server)
    tmp = os.path.join(d, "temp-" + manifest_name(server))
    with open(tmp, "wb") as f:
        f.write(m.text())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, os.path.join(d, manifest_name(server)))
    _fsync_dir(d)


# ====================================================================== propagation


def install(server) -> None:
    """Wire the propagation hooks (AOF on): server.propagate becomes a closure whose
    common case (one op, no rewrite, no timestamps) appends to the buffer directly."""
    aof = server.aof
    cfg = server.config
    containers = CONTAINERS

    def fast_propagate(c, cmd, argv, dirtied=True):
        if server.prop_pending or argv is None or not dirtied or cfg.aof_timestamp_enabled or aof.state == "off":
            return propagate(server, c, cmd, argv, dirtied)
        if cmd is not None and cmd.name in containers:
            return
        dbid = c.db.id
        buf = server.aof_buf
        if dbid != aof.selected_db:
            s = b"%d" % dbid
            buf += b"*2\r\n$6\r\nSELECT\r\n$%d\r\n%b\r\n" % (len(s), s)
            aof.selected_db = dbid
        n = len(argv)
        if n == 3:
            a, b, v = argv
            buf += b"*3\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n" % (len(a), a, len(b), b, len(v), v)
        elif n == 2:
            a, b = argv
            buf += b"*2\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n" % (len(a), a, len(b), b)
        else:
            buf += b"*%d\r\n" % n + b"".join([b"$%d\r\n%b\r\n" % (len(a), a) for a in argv])

    server.propagate = fast_propagate
    server.propagating = True


def uninstall(server) -> None:
    server.propagating = False
    server.__dict__.pop("propagate", None)
    server.prop_ops = []
    server.prop_rewrite = None
    server.prop_pending = False


def feed(server, dbid: int, data: bytes) -> None:
    """feedAppendOnlyFile: one encoded op (SELECT first when the db changes)."""
    aof = server.aof
    if aof.state == "off":
        return
    buf = server.aof_buf
    if server.config.aof_timestamp_enabled:
        now = int(time.time())
        if aof.cur_timestamp < now:
            buf += b"#TS:%d\r\n" % now
            aof.cur_timestamp = now
    if dbid >= 0 and dbid != aof.selected_db:
        s = b"%d" % dbid
        buf += b"*2\r\n$6\r\nSELECT\r\n$%d\r\n%b\r\n" % (len(s), s)
        aof.selected_db = dbid
    buf += data


def flush_ops(server) -> None:
    """propagatePendingCommands: the unit's ops, wrapped in MULTI/EXEC if more than one."""
    ops = server.prop_ops
    server.prop_ops = []
    server.prop_pending = False
    if not ops:
        return
    if len(ops) > 1:
        feed(server, ops[0][0], _MULTI)
        for dbid, argv in ops:
            feed(server, dbid, encode_argv(argv))
        feed(server, -1, _EXEC)
    else:
        dbid, argv = ops[0]
        feed(server, dbid, encode_argv(argv))


CONTAINERS = frozenset(("exec", "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"))


def propagate(server, c, cmd, argv, dirtied: bool) -> None:
    rewrite = server.prop_rewrite
    server.prop_rewrite = None
    if dirtied and (cmd is None or cmd.name not in CONTAINERS) and rewrite is not PREVENT:
        own = rewrite if rewrite is not None else argv
        if own:
            server.prop_ops.append((c.db.id, own))
    flush_ops(server)


def propagate_inner(server, c, cmd, argv, dirtied: bool) -> None:
    rewrite = server.prop_rewrite
    server.prop_rewrite = None
    if dirtied and rewrite is not PREVENT:
        own = rewrite if rewrite is not None else argv
        if own:
            server.prop_ops.append((c.db.id, own))
            server.prop_pending = True


# ====================================================================== writing


def flush(server, force: bool = False) -> None:
    """flushAppendOnlyFile: write the buffer; fsync per appendfsync."""
    aof = server.aof
    buf = server.aof_buf
    if aof.fd < 0:
        return
    if buf:
        data = bytes(buf)
        try:
            written = os.write(aof.fd, data)
            while written < len(data):
                written += os.write(aof.fd, data[written:])
        except OSError as e:
            if aof.last_write_status == "ok":
                log.warning("Error writing to the AOF file: %s", e.strerror)
            aof.last_write_status = "err"
            aof.last_write_errno = e.strerror or str(e)
            _set_write_error_hook(server, True)
            if server.config.appendfsync == "always":
                log.warning("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...")
                os._exit(1)
            return
        del buf[:]
        aof.current_size += len(data)
        aof.last_incr_size += len(data)
        if aof.last_write_status == "err":
            log.warning("AOF write error looks solved, Redis can write again.")
            aof.last_write_status = "ok"
            _set_write_error_hook(server, False)
    policy = server.config.appendfsync
    if policy == "always":
        if aof.fsync_offset != aof.current_size:
            os.fsync(aof.fd)
            aof.fsync_offset = aof.current_size
            aof.last_fsync = time.monotonic()
    elif policy == "everysec" or force:
        now = time.monotonic()
        if aof.fsync_offset != aof.current_size and (force or now - aof.last_fsync >= 1.0):
            background_fsync(server)


def write_error_check(c, cmd, argv):
    """Check hook while the last AOF write failed: writes (and PING) answer MISCONF,
    as writeCommandsDeniedByDiskError makes processCommand do."""
    from ..errors import CommandError

    aof = c.server.aof
    if aof.state == "off" or aof.last_write_status == "ok":
        return None
    is_write = cmd.write or (cmd.fullname == "exec" and c.multi and any(q[0].write for q in c.multi))
    if is_write or cmd.fullname == "ping":
        return CommandError("MISCONF Errors writing to the AOF file: " + aof.last_write_errno)
    return None


def _set_write_error_hook(server, on: bool) -> None:
    hooks = server.check_hooks
    if on and write_error_check not in hooks:
        server.check_hooks = (*hooks, write_error_check)
    elif not on and write_error_check in hooks:
        server.check_hooks = tuple(h for h in hooks if h is not write_error_check)


def background_fsync(server) -> None:
    aof = server.aof
    t = aof.fsync_thread
    if t is not None and t.is_alive():
        aof.delayed_fsync += 1
        return
    fd = aof.fd
    offset = aof.current_size
    aof.last_fsync = time.monotonic()

    def run():
        try:
            os.fsync(fd)
            aof.fsync_offset = offset
        except OSError:
            pass

    aof.fsync_thread = threading.Thread(target=run, name="aof-fsync", daemon=True)
    aof.fsync_thread.start()


def wait_fsync(server) -> None:
    t = server.aof.fsync_thread
    if t is not None:
        t.join()


def fsync_now(server) -> None:
    aof = server.aof
    flush(server)
    wait_fsync(server)
    if aof.fd >= 0:
        try:
            os.fsync(aof.fd)
        except OSError:
            pass
        aof.fsync_offset = aof.current_size


def _open_incr(server, name: str) -> None:
    aof = server.aof
    wait_fsync(server)
    path = os.path.join(dir_path(server), name)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    if aof.fd >= 0:
        try:
            os.fsync(aof.fd)
        except OSError:
            pass
        os.close(aof.fd)
    aof.fd = fd
    aof.last_incr_size = os.fstat(fd).st_size
    aof.fsync_offset = aof.current_size
    aof.selected_db = -1  # the new file starts with a SELECT


def open_new_incr(server, on_rewrite: bool) -> None:
    """openNewIncrAofForAppend: the next incr file takes the new writes."""
    aof = server.aof
    m = aof.manifest
    if aof.state == "off":
        return  # BGREWRITEAOF with appendonly off: only a new base
    flush(server)
    seq = m.curr_incr_seq + 1
    name = incr_name(server, seq)
    if aof.state == "wait_rewrite":
        aof.pending_incr = (name, seq)
        m.curr_incr_seq = seq
    else:
        m = m.copy()
        m.incrs.append((name, seq))
        m.curr_incr_seq = seq
        persist_manifest(server, m)
        aof.manifest = m
    _open_incr(server, name)
    log.info("Creating AOF incr file %s on %s", name, "background rewrite" if on_rewrite else "server start")


def cron(server) -> None:
    """serverCron's AOF part: reap the rewrite child, scheduled/auto rewrites, fsync."""
    aof = server.aof
    if aof.child_pid > 0:
        try:
            done, status = os.waitpid(aof.child_pid, os.WNOHANG)
        except ChildProcessError:
            done, status = aof.child_pid, 1 << 8
        if done:
            rewrite_done(server, os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0)
    if aof.state == "off":
        return
    busy = aof.child_pid > 0 or server.rdb_child_pid > 0
    if not busy and aof.rewrite_scheduled:
        rewrite_background(server)
    elif not busy and aof.state == "on":
        cfg = server.config
        perc = cfg.auto_aof_rewrite_percentage
        if perc and aof.current_size > cfg.auto_aof_rewrite_min_size:
            base = aof.rewrite_base_size or 1
            growth = (aof.current_size * 100 // base) - 100
            if growth >= perc:
                log.info("Starting automatic rewriting of AOF on %d%% growth", growth)
                rewrite_background(server)
    if server.aof_buf or (cfg_everysec(server) and aof.fsync_offset != aof.current_size):
        flush(server)


def cfg_everysec(server) -> bool:
    return server.config.appendfsync == "everysec"


# ====================================================================== rewriting


def _num(v) -> bytes:
    return b"%d" % v


def _score(d: float) -> bytes:
    if d != d:
        return b"nan"
    if d == float("inf"):
        return b"inf"
    if d == float("-inf"):
        return b"-inf"
    if d == int(d) and abs(d) < 1e17:
        return b"%d" % int(d)
    return repr(d).encode()


def _sid(sid) -> bytes:
    return b"%d-%d" % sid


def rewrite_commands(server, now_ms: int | None = None):
    """rewriteAppendOnlyFileRio: yield the commands that rebuild the dataset."""
    from ..types.rhash import Hash
    from ..types.rlist import RList
    from ..types.rset import Set
    from ..types.stream import Stream
    from ..types.zset import ZSet

    if server.config.aof_timestamp_enabled:
        yield b"#TS:%d\r\n" % int(time.time())
    yield from _functions_commands(server)
    for db in server.dbs:
        if not db.data:
            continue
        yield encode_argv([b"SELECT", _num(db.id)])
        expires = db.expires
        for key, value in db.data.items():
            t = type(value)
            if t is bytes or t is bytearray:
                yield encode_argv([b"SET", key, bytes(value)])
            elif t is RList:
                items = list(value)
                for i in range(0, len(items), AOF_REWRITE_ITEMS_PER_CMD):
                    yield encode_argv([b"RPUSH", key, *items[i : i + AOF_REWRITE_ITEMS_PER_CMD]])
            elif t is Set:
                items = list(value)
                for i in range(0, len(items), AOF_REWRITE_ITEMS_PER_CMD):
                    yield encode_argv([b"SADD", key, *items[i : i + AOF_REWRITE_ITEMS_PER_CMD]])
            elif t is ZSet:
                pairs = list(value.items())
                for i in range(0, len(pairs), AOF_REWRITE_ITEMS_PER_CMD):
                    args = [b"ZADD", key]
                    for member, score in pairs[i : i + AOF_REWRITE_ITEMS_PER_CMD]:
                        args += (_score(score), member)
                    yield encode_argv(args)
            elif t is Hash:
                items = list(value.items())
                for i in range(0, len(items), AOF_REWRITE_ITEMS_PER_CMD):
                    args = [b"HMSET", key]
                    for f, v in items[i : i + AOF_REWRITE_ITEMS_PER_CMD]:
                        args += (f, v)
                    yield encode_argv(args)
            elif t is Stream:
                yield from _stream_commands(key, value)
            else:  # pragma: no cover - every type is above
                raise ValueError("unknown type %r" % t)
            when = expires.get(key) if expires else None
            if when is not None:
                yield encode_argv([b"PEXPIREAT", key, _num(when)])


def _functions_commands(server):
    """FUNCTION LOAD for every library (rewriteFunctions)."""
    eng = getattr(server, "lua_engine", None)
    if eng is None or not eng.libraries:
        return
    for lib in eng.libraries.values():
        code = getattr(lib, "code", None)
        if code is not None:
            yield encode_argv([b"FUNCTION", b"LOAD", code])


def _stream_commands(key: bytes, s):
    if s.ids:
        for sid in s.ids:
            yield encode_argv([b"XADD", key, _sid(sid), *s.data[sid]])
    else:
        # an empty stream still exists: create it with one entry trimmed away
        yield encode_argv([b"XADD", key, b"MAXLEN", b"0", _sid(s.last_id), b"x", b"y"])
    yield encode_argv(
        [b"XSETID", key, _sid(s.last_id), b"ENTRIESADDED", _num(s.entries_added), b"MAXDELETEDID", _sid(s.max_deleted_id)]
    )
    for gname, g in s.groups.items():
        yield encode_argv([b"XGROUP", b"CREATE", key, gname, _sid(g.last_id), b"ENTRIESREAD", _num(g.entries_read)])
        for sid, nack in g.pel.items():
            yield encode_argv(
                [b"XCLAIM", key, gname, nack.consumer.name, b"0", _sid(sid), b"TIME", _num(nack.delivery_time),
                 b"RETRYCOUNT", _num(nack.delivery_count), b"JUSTID", b"FORCE"]
            )
        for cname, consumer in g.consumers.items():
            if not consumer.pel:
                yield encode_argv([b"XGROUP", b"CREATECONSUMER", key, gname, cname])


def rdb_preamble_chunks(server):
    """The RDB image of a base file: aof-base 1 and the checksum."""
    from . import rdb
    from .crc64 import crc64

    crc = 0
    check = server.config.rdbchecksum
    zero = rdb._aux(b"aof-base", 0)
    first_aux = True
    for chunk in rdb.rdb_chunks(server):
        if first_aux and zero in chunk:
            chunk = chunk.replace(zero, rdb._aux(b"aof-base", 1), 1)
            first_aux = False
        if check:
            crc = crc64(crc, chunk)
        yield chunk
    yield crc.to_bytes(8, "little")


def write_base(server, path: str, preamble: bool) -> None:
    """rewriteAppendOnlyFile: the dataset into path (temp name chosen by the caller)."""
    with open(path, "wb") as f:
        if preamble:
            # the RDB image carries the function libraries too (FUNCTION2 records)
            for chunk in rdb_preamble_chunks(server):
                f.write(chunk)
        else:
            out = []
            size = 0
            for cmd in rewrite_commands(server):
                out.append(cmd)
                size += len(cmd)
                if size > 1 << 20:
                    f.write(b"".join(out))
                    out.clear()
                    size = 0
            f.write(b"".join(out))
        f.flush()
        os.fsync(f.fileno())


def rewrite_background(server) -> bool:
    """rewriteAppendOnlyFileBackground: new incr file, then fork the child that writes
    the new base; False (logged) when it cannot start."""
    aof = server.aof
    if aof.child_pid > 0 or server.rdb_child_pid > 0:
        return False
    try:
        os.makedirs(dir_path(server), exist_ok=True)
        flush(server, force=True)
        wait_fsync(server)
        open_new_incr(server, True)
    except OSError as e:
        log.warning("Can't open new incr AOF file: %s", e.strerror)
        aof.last_bgrewrite_status = "err"
        return False
    aof.rewrite_time_start = time.monotonic()
    fork_start = time.perf_counter_ns()
    try:
        pid = os.fork()
    except OSError as e:
        log.warning("Can't rewrite append only file in background: fork: %s", e.strerror)
        aof.last_bgrewrite_status = "err"
        return False
    if pid == 0:
        code = 1
        try:
            tmp = os.path.join(dir_path(server), "temp-rewriteaof-bg-%d.aof" % os.getpid())
            write_base(server, tmp, server.config.aof_use_rdb_preamble)
            log.info("Successfully created the temporary AOF base file %s", os.path.basename(tmp))
            code = 0
        except BaseException as e:
            log.warning("Error rewriting the append only file: %s", e)
            code = 1
        finally:
            os._exit(code)
    server.forked(fork_start)
    log.info("Background append only file rewriting started by pid %d", pid)
    aof.child_pid = pid
    aof.rewrite_scheduled = False
    return True


def rewrite_done(server, ok: bool) -> None:
    """backgroundRewriteDoneHandler."""
    aof = server.aof
    pid = aof.child_pid
    aof.child_pid = -1
    aof.last_rewrite_time_sec = int(time.monotonic() - aof.rewrite_time_start)
    tmp = os.path.join(dir_path(server), "temp-rewriteaof-bg-%d.aof" % pid)
    if not ok:
        if not ok:
            log.warning("Background AOF rewrite terminated with error")
            aof.last_bgrewrite_status = "err"
            aof.rewrites_consecutive_failures += 1
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return
    log.info("Background AOF rewrite terminated with success")
    m = aof.manifest.copy()
    preamble = server.config.aof_use_rdb_preamble
    seq = m.curr_base_seq + 1
    new_base = base_name(server, seq, preamble)
    d = dir_path(server)
    try:
        os.replace(tmp, os.path.join(d, new_base))
    except OSError as e:
        log.warning("Error trying to rename the temporary AOF base file %s into %s: %s", os.path.basename(tmp), new_base, e.strerror)
        aof.last_bgrewrite_status = "err"
        aof.rewrites_consecutive_failures += 1
        return
    log.info("Successfully renamed the temporary AOF base file %s into %s", os.path.basename(tmp), new_base)
    if m.base is not None:
        m.history.append(m.base[0])
    m.base = (new_base, seq, "b")
    m.curr_base_seq = seq
    if aof.state == "off":
        m.history += [name for name, _ in m.incrs]
        m.incrs = []
    elif aof.state == "wait_rewrite":
        for name, _ in m.incrs:
            m.history.append(name)
        m.incrs = [aof.pending_incr]
        aof.pending_incr = None
    else:
        # every incr file but the one opened at the rewrite start is now history
        for name, _ in m.incrs[:-1]:
            m.history.append(name)
        m.incrs = m.incrs[-1:]
    try:
        persist_manifest(server, m)
    except OSError as e:
        log.warning("Can't persist the AOF manifest file: %s", e.strerror)
        aof.last_bgrewrite_status = "err"
        return
    aof.manifest = m
    if aof.state == "wait_rewrite":
        aof.state = "on"
    base_size = _size(os.path.join(d, new_base))
    aof.current_size = base_size + aof.last_incr_size
    aof.rewrite_base_size = aof.current_size
    aof.fsync_offset = -1  # sizes were recounted: the next flush fsyncs the incr file
    aof.last_bgrewrite_status = "ok"
    aof.rewrites += 1
    aof.rewrites_consecutive_failures = 0
    delete_history(server)
    log.info("Background AOF rewrite finished successfully")


def delete_history(server) -> None:
    aof = server.aof
    m = aof.manifest
    if server.config.aof_disable_auto_gc or not m.history:
        return
    d = dir_path(server)
    for name in m.history:
        log.info("Removing the history file %s in the background", name)
        try:
            os.unlink(os.path.join(d, name))
        except OSError:
            pass
    m.history = []
    try:
        persist_manifest(server, m)
    except OSError:
        pass


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def kill_child(server) -> None:
    aof = server.aof
    pid = aof.child_pid
    if pid <= 0:
        return
    log.info("Killing running AOF rewrite child: %d", pid)
    try:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    except (OSError, ChildProcessError):
        pass
    try:
        os.unlink(os.path.join(dir_path(server), "temp-rewriteaof-bg-%d.aof" % pid))
    except OSError:
        pass
    aof.child_pid = -1


# ====================================================================== on / off


def start(server) -> bool:
    """startAppendOnly (CONFIG SET appendonly yes): rewrite now, or once BGSAVE ends."""
    aof = server.aof
    if aof.state != "off":
        return True
    try:
        os.makedirs(dir_path(server), exist_ok=True)
    except OSError as e:
        log.warning("Can't create the AOF directory: %s", e.strerror)
        return False
    if aof.manifest is None:
        aof.manifest = _read_manifest_or_new(server)
    aof.state = "wait_rewrite"
    server.aof_buf = bytearray()
    install(server)
    if server.rdb_child_pid > 0:
        aof.rewrite_scheduled = True
        log.warning("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.")
        return True
    if aof.child_pid > 0:
        kill_child(server)
    if not rewrite_background(server):
        aof.state = "off"
        uninstall(server)
        log.warning("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.")
        return False
    return True


def _read_manifest_or_new(server) -> Manifest:
    path = os.path.join(dir_path(server), manifest_name(server))
    try:
        with open(path, "rb") as f:
            return parse_manifest(f.read())
    except (OSError, AofError):
        return Manifest()


def stop(server) -> None:
    """stopAppendOnly (CONFIG SET appendonly no)."""
    aof = server.aof
    if aof.state == "off":
        return
    fsync_now(server)
    if aof.fd >= 0:
        os.close(aof.fd)
    aof.fd = -1
    aof.state = "off"
    aof.rewrite_scheduled = False
    kill_child(server)
    server.aof_buf = bytearray()
    uninstall(server)


def apply_appendonly(server, old) -> None:
    from ..config import ConfigError

    if server.config.appendonly:
        if not start(server):
            server.config.appendonly = False
            raise ConfigError("Failed to enable AOF")
    else:
        stop(server)


def shutdown(server, mode: str = "") -> bool:
    """prepareForShutdown's AOF part; False when the server must not stop (the first
    AOF of a CONFIG SET appendonly yes is still being written)."""
    aof = server.aof
    if aof.child_pid > 0:
        if aof.state == "wait_rewrite":
            if "force" in mode.split():
                log.warning("Writing initial AOF. Exit anyway.")
            else:
                log.warning("Writing initial AOF, can't exit.")
                return False
        kill_child(server)
    if aof.state != "off" and aof.fd >= 0:
        log.info("Calling fsync() on the AOF file.")
        fsync_now(server)
    return True


# ====================================================================== loading


class _Truncated(Exception):
    def __init__(self, valid_up_to: int):
        self.valid_up_to = valid_up_to


class _Format(Exception):
    pass



def _header_line(data, pos: int, start: int) -> tuple[int, int]:
    """The number after a '*' or '$' at pos, and where the next line starts; _Truncated
    or _Format (reported at the request's start) when the line is cut or not a number."""
    e = data.find(b"\r\n", pos)
    if e < 0:
        raise _Truncated(start)
    try:
        return int(data[pos + 1 : e]), e + 2
    except ValueError:
        raise _Format(start) from None

def parse_commands(data, pos: int = 0):
    """Yield (start, end, argv) for each command from pos; annotations are skipped.

    Raises _Truncated(valid offset) at an incomplete command, _Format at bad bytes.
    """
    n = len(data)
    find = data.find
    while pos < n:
        start = pos
        ch = data[pos]
        if ch == 35:  # '#': an annotation line
            e = find(b"\n", pos)
            if e < 0:
                raise _Truncated(start)
            pos = e + 1
            yield start, pos, None
            continue
        if ch != 42:  # '*'
            raise _Format(start)
        argc, pos = _header_line(data, pos, start)
        if argc < 1:
            raise _Format(start)
        argv = []
        for _ in range(argc):
            if pos >= n:
                raise _Truncated(start)
            if data[pos] != 36:  # '$'
                raise _Format(start)
            ln, pos = _header_line(data, pos, start)
            if ln < 0:
                raise _Format(start)
            if pos + ln + 2 > n:
                raise _Truncated(start)
            argv.append(bytes(data[pos : pos + ln]))
            pos += ln + 2
        yield start, pos, argv


def _fake_client(server):
    """The client that replays an AOF (createAOFClient): not in server.clients."""
    from ..connection import Client

    c = Client(server)
    c.id = -1  # AOF_CLIENT_ID-like: not in server.clients
    c.addr = ""
    return c


AOF_OK, AOF_NOT_EXIST, AOF_EMPTY, AOF_TRUNCATED = "ok", "not_exist", "empty", "truncated"


def load_file(server, path: str, last: bool, c) -> str:
    """loadSingleAppendOnlyFile: replay one file; raises AofError when it must stop."""
    from ..errors import CommandError
    from ..registry import COMMANDS
    from . import rdb

    name = os.path.basename(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise AofError(f"The AOF file {name} doesn't exist") from None
    if not data:
        return AOF_EMPTY
    pos = 0
    if data[:5] == b"REDIS":
        log.info("Reading RDB base file on AOF loading...")

        def on_key(dbid, key, value, expire):
            db = server.dbs[dbid]
            db.data[key] = value
            if expire != -1:
                db.expires[key] = expire
            else:
                db.expires.pop(key, None)

        on_function, install_functions = rdb.function_loader(server)
        try:
            stats = rdb.parse(data, server.config, on_key=on_key, on_function=on_function)
            install_functions(stats["end"])
        except rdb.RdbError as e:
            log.warning("Error reading the RDB base file %s, AOF loading aborted", name)
            raise AofError(f"Error reading the RDB base file {name}, AOF loading aborted: {e.message}") from None
        pos = stats["end"] + (8 if stats["version"] >= 5 else 0)
        if pos < len(data):
            log.info("Reading the remaining AOF tail...")
    multi_start = -1
    queued = None
    try:
        for start, end, argv in parse_commands(data, pos):
            if argv is None:
                continue
            lname = argv[0].lower()
            cmd = COMMANDS.get(lname)
            if cmd is not None and cmd.subcommands is not None and len(argv) > 1:
                cmd = cmd.subcommands.get(argv[1].lower())
            if cmd is None or cmd.handler is None:
                log.warning("Unknown command '%s' reading the append only file %s", argv[0][:128].decode("latin-1"), name)
                raise AofError(f"Unknown command '{argv[0][:128].decode('latin-1')}' reading the append only file {name}")
            if lname == b"multi":
                multi_start = start
                queued = []
                continue
            if lname == b"exec" and queued is not None:
                for qcmd, qargv in queued:
                    _run(c, qcmd, qargv, CommandError)
                queued = None
                multi_start = -1
                continue
            if queued is not None:
                queued.append((cmd, argv))
                continue
            _run(c, cmd, argv, CommandError)
        if queued is not None:
            # a MULTI without its EXEC at the end: the transaction never completed
            raise _Truncated(multi_start)
    except _Truncated as t:
        at = t.valid_up_to if multi_start < 0 else min(multi_start, t.valid_up_to)
        if server.config.aof_load_truncated and last:
            log.warning("!!! Warning: short read while loading the AOF file %s!!!", name)
            log.warning("!!! Truncating the AOF %s at offset %d !!!", name, at)
            try:
                os.truncate(path, at)
            except OSError as e:
                log.warning("Error truncating the AOF file %s: %s", name, e.strerror)
                raise AofError(f"Error truncating the AOF file {name}: {e.strerror}") from None
            log.warning("AOF %s loaded anyway because aof-load-truncated is enabled", name)
            return AOF_TRUNCATED
        if not last:
            msg = f"Fatal error: the truncated file is not the last file ({name})"
        else:
            msg = (
                f"Unexpected end of file reading the append only file {name}. You can: "
                "1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. "
                "2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."
            )
        log.warning("%s", msg)
        raise AofError(msg) from None
    except _Format:
        msg = (
            f"Bad file format reading the append only file {name}: make a backup of your AOF file, "
            "then use ./redis-check-aof --fix <filename.manifest>"
        )
        log.warning("%s", msg)
        raise AofError(msg) from None
    return AOF_OK


def _run(c, cmd, argv, CommandError) -> None:
    arity = cmd.arity
    if (arity > 0 and len(argv) != arity) or len(argv) < -arity:
        raise _Format(0)
    try:
        cmd.handler(c, argv)
    except CommandError:
        pass
    c.out.clear()


def _replay(server, m, d: str, upgrade=None) -> int:
    """loadAppendOnlyFiles: base then incr files into the dataset; their total size."""
    start_t = time.monotonic()
    server.loading = True
    saved_lazy = server.lazy_expire_enabled
    saved_active = server.active_expire_enabled
    server.lazy_expire_enabled = False
    saved_prop = server.propagating
    server.propagating = False
    total = 0
    try:
        if m is not None and (m.base is not None or m.incrs):
            c = _fake_client(server)
            files = ([m.base[0]] if m.base else []) + [name for name, _ in m.incrs]
            for i, name in enumerate(files):
                path = upgrade if upgrade is not None and i == 0 else os.path.join(d, name)
                status = load_file(server, path, i == len(files) - 1, c)
                total += _size(path)
                if status in (AOF_OK, AOF_TRUNCATED):
                    log.info("DB loaded from %s file %s: %.3f seconds",
                             "base" if m.base and name == m.base[0] else "incr", name, time.monotonic() - start_t)
            log.info("DB loaded from append only file: %.3f seconds", time.monotonic() - start_t)
    finally:
        server.loading = False
        server.lazy_expire_enabled = saved_lazy
        server.active_expire_enabled = saved_active
        server.propagating = saved_prop
    return total


def debug_loadaof(server) -> None:
    """DEBUG LOADAOF: flush the AOF, empty the dataset and replay the AOF files."""
    aof = server.aof
    flush(server, force=True)
    fsync_now(server)
    for db in server.dbs:
        db.flush()
    _replay(server, aof.manifest, dir_path(server))
    server.dirty = 0
    log.warning("Append Only File loaded by DEBUG LOADAOF")


def load_at_startup(server) -> None:
    """loadAppendOnlyFiles + aofOpenIfNeededOnServerStart + aofDelHistoryFiles."""
    aof = server.aof
    d = dir_path(server)
    mpath = os.path.join(d, manifest_name(server))
    m = None
    if os.path.exists(mpath):
        try:
            with open(mpath, "rb") as f:
                m = parse_manifest(f.read())
        except AofError as e:
            log.warning("\n*** FATAL AOF MANIFEST FILE ERROR ***\n")
            if e.line is not None:
                log.warning("Reading the manifest file, at line %d\n", e.line[0])
                log.warning(">>> '%s'\n", e.line[1])
            log.warning("%s\n", e)
            raise
        except OSError as e:
            raise AofError(f"Can't open the AOF manifest {mpath} for reading: {e.strerror}") from None
    old_style = os.path.join(server.config.dir, server.config.appendfilename)
    if m is None and os.path.isfile(old_style):
        # aofUpgradePrepare: a Redis < 7.0 appendonly.aof becomes the base of a new
        # multi-part AOF (moved into the directory once loaded)
        m = Manifest()
        m.base = (server.config.appendfilename, 1, "b")
        m.curr_base_seq = 1
        upgrade = old_style
    else:
        upgrade = None
    total = _replay(server, m, d, upgrade)
    os.makedirs(d, exist_ok=True)
    if upgrade is not None:
        os.replace(upgrade, os.path.join(d, server.config.appendfilename))
        persist_manifest(server, m)
        log.info("Successfully migrated an old-style AOF file (%s) into the AOF directory (%s).",
                 server.config.appendfilename, server.config.appenddirname)
    if m is None:
        m = Manifest()
    aof.manifest = m
    aof.state = "on"
    server.aof_buf = bytearray()
    if m.base is None and not m.incrs:
        # Creating AOF base file on server start (the dataset is empty)
        seq = 1
        name = base_name(server, seq, server.config.aof_use_rdb_preamble)
        tmp = os.path.join(d, "temp-" + name)
        write_base(server, tmp, server.config.aof_use_rdb_preamble)
        os.replace(tmp, os.path.join(d, name))
        m.base = (name, seq, "b")
        m.curr_base_seq = seq
        log.info("Creating AOF base file %s on server start", name)
        total = _size(os.path.join(d, name))
    if not m.incrs:
        seq = m.curr_incr_seq + 1
        name = incr_name(server, seq)
        m.incrs.append((name, seq))
        m.curr_incr_seq = seq
        persist_manifest(server, m)
        _open_incr(server, name)
        log.info("Creating AOF incr file %s on server start", name)
    else:
        _open_incr(server, m.incrs[-1][0])
    aof.current_size = total
    aof.rewrite_base_size = total
    aof.fsync_offset = total
    delete_history(server)
    install(server)
