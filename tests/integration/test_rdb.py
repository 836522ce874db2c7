"""RDB persistence end to end, against redis-server 7.0.15.

- A dump written by the oracle (every type and encoding, compressed strings, expiring
  keys, several databases) loads into redpy with the same content (DEBUG DIGEST, and
  per key TYPE / OBJECT ENCODING / PEXPIRETIME), and a dump written by redpy loads into
  the oracle the same way.
- BGSAVE forks and completes; SHUTDOWN saves when save rules are set; save rules fire
  from the cron; a corrupt or truncated dump stops redpy's start with an error;
  redpy-check-rdb reports the problem.
"""

from __future__ import annotations

import os
import struct
import shutil
import subprocess
import sys
import tempfile
import re
import time

import pytest

from ..helpers import ORACLE_BINARY, Conn, ServerProcess, free_port

pytestmark = pytest.mark.skipif(not os.path.exists(ORACLE_BINARY), reason="oracle not installed")


def _ok(reply: bytes) -> None:
    assert not reply.startswith(b"-"), reply


def populate(c: Conn) -> list[tuple[int, str]]:
    """Every type and encoding in dbs 0, 3 and 9; returns (db, key) of every key."""
    keys = []

    def run(db, *cmd):
        _ok(c.call(*cmd))
        keys.append((db, cmd[1]))

    c.call("SELECT", "0")
    run(0, "SET", "str", "hello")
    run(0, "SET", "int", "-12345")
    run(0, "SET", "bigint", "12345678901234567")
    run(0, "SET", "lzf", "abc" * 300)
    run(0, "SET", "random", os.urandom(200))
    run(0, "SET", "ttl", "v", "PX", "5000000")
    run(0, "RPUSH", "list", "a", "1", "-70000", "x" * 80)
    run(0, "RPUSH", "biglist", *[str(i) * (i % 13) for i in range(5000)])
    run(0, "HSET", "hlp", "f", "v", "n", "7")
    run(0, "HSET", "hht", *[x for i in range(700) for x in ("f%d" % i, "v" * (i % 20))])
    run(0, "HSET", "hlong", "f", "w" * 200)
    run(0, "SADD", "sint", "1", "2", "99999999999")
    run(0, "SADD", "sht", *["m%d" % i for i in range(100)])
    run(0, "SADD", "sbigint", *[str(i) for i in range(600)])
    run(0, "ZADD", "zlp", "1", "a", "2.5", "b", "-inf", "c", "0.1", "d")
    run(0, "ZADD", "zsl", *[x for i in range(300) for x in (str(i / 3), "m%d" % i)])
    _ok(c.call("PEXPIRE", "zsl", "9000000"))
    for i in range(1, 260):
        _ok(c.call("XADD", "stream", "%d-1" % i, "f", str(i), "g", "x" * (i % 30)))
    run(0, "XDEL", "stream", "5-1", "150-1")
    _ok(c.call("XGROUP", "CREATE", "stream", "grp", "0"))
    _ok(c.call("XREADGROUP", "GROUP", "grp", "c1", "COUNT", "3", "STREAMS", "stream", ">"))
    c.call("SELECT", "3")
    run(3, "SET", "str", "in db 3")
    run(3, "RPUSH", "list", "q")
    _ok(c.call("EXPIRE", "list", "100000"))
    c.call("SELECT", "9")
    run(9, "ZADD", "z", "1", "m" * 100)
    run(9, "SET", "k", "x" * 1000)
    c.call("SELECT", "0")
    return keys


def snapshot(c: Conn, keys) -> dict:
    out = {}
    for db, key in keys:
        c.call("SELECT", str(db))
        out[(db, key)] = (
            c.call("TYPE", key),
            c.call("OBJECT", "ENCODING", key),
            c.call("DEBUG", "DIGEST-VALUE", key),
            c.call("PEXPIRETIME", key),
        )
    c.call("SELECT", "0")
    out["digest"] = c.call("DEBUG", "DIGEST")
    out["dbsize"] = [(c.call("SELECT", str(db)), c.call("DBSIZE"))[1] for db in range(16)]
    c.call("SELECT", "0")
    return out


def _start_with(kind: str, directory: str, *extra: str) -> ServerProcess:
    return ServerProcess(kind, "--dir", directory, *extra)


def test_oracle_dump_loads_into_redpy():
    o = ServerProcess("oracle")
    d = tempfile.mkdtemp(prefix="rdb-")
    try:
        c = o.conn()
        keys = populate(c)
        # a key already expired when saved: Redis writes it, a master skips it on load
        c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        c.call("SET", "gone", "x", "PX", "1")
        time.sleep(0.05)
        _ok(c.call("SAVE"))
        assert c.call("EXISTS", "gone") == b":0\r\n"
        want = snapshot(c, keys)
        shutil.copy(os.path.join(o.dir, "dump.rdb"), d)
        m = _start_with("redpy", d)
        try:
            mc = m.conn()
            assert snapshot(mc, keys) == want
            assert mc.call("EXISTS", "gone") == b":0\r\n"
        finally:
            m.stop()
    finally:
        o.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_redpy_dump_loads_into_oracle():
    m = ServerProcess("redpy")
    d = tempfile.mkdtemp(prefix="rdb-")
    try:
        c = m.conn()
        keys = populate(c)
        _ok(c.call("SAVE"))
        want = snapshot(c, keys)
        shutil.copy(os.path.join(m.dir, "dump.rdb"), d)
        o = _start_with("oracle", d)
        try:
            assert snapshot(o.conn(), keys) == want
        finally:
            o.stop()
        # and redpy reads its own dump back
        m2 = _start_with("redpy", d)
        try:
            assert snapshot(m2.conn(), keys) == want
        finally:
            m2.stop()
    finally:
        m.stop()
        shutil.rmtree(d, ignore_errors=True)


def _info_field(c: Conn, name: str) -> str:
    info = c.call("INFO", "persistence").decode()
    for line in info.split("\r\n"):
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    raise AssertionError(name)


def test_bgsave_and_info():
    m = ServerProcess("redpy")
    try:
        c = m.conn()
        for i in range(2000):
            c.call("SET", "k%d" % i, "v%d" % i)
        assert _info_field(c, "rdb_changes_since_last_save") == "2000"
        before = c.call("LASTSAVE")
        assert c.call("BGSAVE", "now") == b"-ERR syntax error\r\n"
        assert c.call("BGSAVE") == b"+Background saving started\r\n"
        reply = c.call("BGSAVE")
        assert reply in (b"-ERR Background save already in progress\r\n", b"+Background saving started\r\n")
        deadline = time.time() + 20
        while _info_field(c, "rdb_bgsave_in_progress") != "0" and time.time() < deadline:
            time.sleep(0.05)
        assert _info_field(c, "rdb_last_bgsave_status") == "ok"
        assert _info_field(c, "rdb_changes_since_last_save") == "0"
        assert int(c.call("LASTSAVE")[1:]) >= int(before[1:])
        path = os.path.join(m.dir, "dump.rdb")
        assert os.path.exists(path)
        assert not [f for f in os.listdir(m.dir) if f.startswith("temp-")]
        res = subprocess.run([sys.executable, "-m", "redpy.check_rdb", path], capture_output=True, text=True)
        assert res.returncode == 0, res.stdout
        assert "[info] 2000 keys read" in res.stdout
        # SCHEDULE with no save running starts one
        assert c.call("BGSAVE", "SCHEDULE") in (b"+Background saving started\r\n", b"+Background saving scheduled\r\n")
    finally:
        m.stop()


def test_shutdown_saves_with_rules_and_reloads():
    d = tempfile.mkdtemp(prefix="rdb-")
    try:
        m = _start_with("redpy", d, "--save", "3600 1")
        c = m.conn()
        c.call("RPUSH", "l", "a", "b")
        c.call("SET", "s", "v", "EX", "1000")
        c.send_raw(b"*1\r\n$8\r\nSHUTDOWN\r\n")
        m.proc.wait(10)
        m.log.close()
        assert os.path.exists(os.path.join(d, "dump.rdb"))
        m = _start_with("redpy", d, "--save", "3600 1")
        c = m.conn()
        assert c.call("LRANGE", "l", "0", "-1") == b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"
        assert 990 <= int(c.call("TTL", "s")[1:]) <= 1000
        # NOSAVE: the change is not written
        c.call("SET", "new", "1")
        c.send_raw(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
        m.proc.wait(10)
        m.log.close()
        m = _start_with("redpy", d)
        assert m.conn().call("EXISTS", "new", "l") == b":1\r\n"
        m.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_save_rules_trigger_bgsave():
    m = ServerProcess("redpy", "--save", "1 1")
    try:
        c = m.conn()
        c.call("SET", "k", "v")
        path = os.path.join(m.dir, "dump.rdb")
        deadline = time.time() + 8
        while not os.path.exists(path) and time.time() < deadline:
            time.sleep(0.1)
        assert os.path.exists(path)
        deadline = time.time() + 5
        while _info_field(c, "rdb_changes_since_last_save") != "0" and time.time() < deadline:
            time.sleep(0.1)
        assert _info_field(c, "rdb_changes_since_last_save") == "0"
    finally:
        m.stop()


def _start_fails(directory: str) -> tuple[int, str]:
    port = free_port()
    proc = subprocess.run(
        [sys.executable, "-m", "redpy", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", directory],
        capture_output=True, text=True, timeout=30,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_corrupt_dump_stops_startup():
    m = ServerProcess("redpy")
    d = tempfile.mkdtemp(prefix="rdb-")
    try:
        c = m.conn()
        c.call("SET", "a", bytes(range(60, 110)))  # incompressible: stored raw
        c.call("RPUSH", "l", "x", "y")
        _ok(c.call("SAVE"))
        good = open(os.path.join(m.dir, "dump.rdb"), "rb").read()
        path = os.path.join(d, "dump.rdb")
        # truncated
        with open(path, "wb") as f:
            f.write(good[:-20])
        code, out = _start_fails(d)
        assert code != 0 and "Unexpected EOF" in out
        res = subprocess.run([sys.executable, "-m", "redpy.check_rdb", path], capture_output=True, text=True)
        assert res.returncode == 1
        assert "--- RDB ERROR DETECTED ---" in res.stdout and "Unexpected EOF reading RDB file" in res.stdout
        # checksum mismatch (a byte of a value flipped)
        bad = bytearray(good)
        bad[good.index(bytes(range(60, 110))) + 3] ^= 1
        with open(path, "wb") as f:
            f.write(bad)
        code, out = _start_fails(d)
        assert code != 0 and "Wrong RDB checksum" in out
        res = subprocess.run([sys.executable, "-m", "redpy.check_rdb", path], capture_output=True, text=True)
        assert res.returncode == 1 and "Wrong RDB checksum" in res.stdout
        with open(path, "wb") as f:
            f.write(good)
        res = subprocess.run([sys.executable, "-m", "redpy.check_rdb", path], capture_output=True, text=True)
        assert res.returncode == 0 and "Checksum OK" in res.stdout
    finally:
        m.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_failed_bgsave_misconf():
    """A BGSAVE into a directory that no longer exists fails; with save rules set, writes
    and PING then answer MISCONF on both servers, reads still work; SAVE answers -ERR."""
    o = ServerProcess("oracle", "--enable-protected-configs", "yes")
    m = ServerProcess("redpy", "--enable-protected-configs", "yes")
    gone = tempfile.mkdtemp(prefix="rdb-gone-")
    try:
        conns = [o.conn(), m.conn()]
        for c in conns:
            _ok(c.call("SET", "a", "1"))
            _ok(c.call("CONFIG", "SET", "dir", gone))
            _ok(c.call("CONFIG", "SET", "save", "3600 1"))
        os.rmdir(gone)
        for c in conns:
            assert c.call("BGSAVE") == b"+Background saving started\r\n"
        for c in conns:
            deadline = time.time() + 10
            while _info_field(c, "rdb_bgsave_in_progress") != "0" and time.time() < deadline:
                time.sleep(0.05)
            assert _info_field(c, "rdb_last_bgsave_status") == "err"
        for args in (("SET", "a", "2"), ("PING",), ("GET", "a"), ("SAVE",), ("CONFIG", "SET", "save", ""), ("SET", "a", "3")):
            want = conns[0].call(*args)
            assert conns[1].call(*args) == want, args
    finally:
        o.stop()
        m.stop()
        shutil.rmtree(gone, ignore_errors=True)


def test_debug_reload_keeps_the_dataset(redpy_server):
    c = redpy_server.conn()
    c.call("FLUSHALL")
    c.call("SET", "s", "v")
    c.call("RPUSH", "l", "a", "b")
    c.call("ZADD", "z", "1.5", "m")
    digest = c.call("DEBUG", "DIGEST")
    assert c.call("DEBUG", "RELOAD") == b"+OK\r\n"
    assert c.call("DEBUG", "DIGEST") == digest
    assert c.call("DEBUG", "RELOAD", "BOGUS") == b"-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n"
    c.call("SET", "extra", "1")
    assert c.call("DEBUG", "RELOAD", "NOSAVE") == b"+OK\r\n"
    assert c.call("EXISTS", "extra") == b":0\r\n"  # the dump from before the write
    c.call("SET", "extra", "1")
    assert c.call("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE") == b"+OK\r\n"
    assert c.call("EXISTS", "extra", "s") == b":2\r\n"
    c.close()


# ---------------------------------------------------------------------- streams, functions

STREAM_SCRIPT = [
    *[("XADD", "s", "%d-%d" % (i // 2 + 1, i % 2), "f", str(i), "g", "x" * (i % 5)) for i in range(20)],
    ("XADD", "s", "50-0", "other", "fields"),
    ("XDEL", "s", "1-1", "3-0", "3-1", "4-0", "9-1"),
    ("XGROUP", "CREATE", "s", "g1", "0"),
    ("XGROUP", "CREATE", "s", "g2", "$"),
    ("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "4", "STREAMS", "s", ">"),
    ("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", "s", ">"),
    ("XGROUP", "CREATECONSUMER", "s", "g1", "idle"),
    ("XACK", "s", "g1", "1-0"),
    ("XCLAIM", "s", "g1", "bob", "0", "2-0", "RETRYCOUNT", "3"),
    ("XDEL", "s", "2-1"),  # pending but deleted
    ("XADD", "t", "MAXLEN", "3", "*", "a", "1"),
    ("XADD", "t", "MAXLEN", "3", "*", "a", "2"),
    ("XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM"),
    ("FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return args[1] end)"),
    ("FUNCTION", "LOAD", "#!lua name=other\nredis.register_function{function_name='ro', callback=function() return 7 end, flags={'no-writes'}}"),
]


def stream_state(c: Conn) -> list:
    out = []
    for key in ("s", "t", "empty"):
        out.append(c.call("XINFO", "STREAM", key, "FULL"))
        out.append(c.call("XRANGE", key, "-", "+"))
        out.append(c.call("DEBUG", "DIGEST-VALUE", key))
        out.append(c.call("XINFO", "GROUPS", key))
    out.append(c.call("XPENDING", "s", "g1"))
    out.append(c.call("XPENDING", "s", "g1", "-", "+", "10", "bob").count(b"\r\n"))
    for lib in ("mylib", "other"):
        out.append(c.call("FUNCTION", "LIST", "LIBRARYNAME", lib, "WITHCODE"))
    out.append(c.call("FCALL", "myfunc", "0", "hello"))
    out.append(c.call("FCALL_RO", "ro", "0"))
    out.append(c.call("DEBUG", "DIGEST"))
    return out


@pytest.mark.parametrize("source,target", [("oracle", "redpy"), ("redpy", "oracle")])
def test_streams_and_functions_cross_load(source, target):
    """Streams with several listpack nodes, deleted entries, groups, pending entries and
    consumers, and function libraries: saved by one server, loaded by the other."""
    src = ServerProcess(source, "--stream-node-max-entries", "4")
    d = tempfile.mkdtemp(prefix="rdb-")
    try:
        c = src.conn()
        for cmd in STREAM_SCRIPT:
            _ok(c.call(*cmd))
        _ok(c.call("SAVE"))
        want = stream_state(c)
        assert b"radix-tree-keys\r\n:6\r\n" in want[0]  # several nodes
        shutil.copy(os.path.join(src.dir, "dump.rdb"), d)
        dst = _start_with(target, d, "--stream-node-max-entries", "4")
        try:
            dc = dst.conn()
            assert stream_state(dc) == want
            # the loaded stream keeps filling its last node the same way
            for cmd in (("XADD", "s", "60-0", "f", "1"), ("XADD", "s", "61-0", "f", "2"),
                        ("XDEL", "s", "5-0"), ("XTRIM", "s", "MINID", "7")):
                assert dc.call(*cmd) == c.call(*cmd), cmd
            for key in ("s",):
                assert dc.call("XINFO", "STREAM", key, "FULL") == c.call("XINFO", "STREAM", key, "FULL")
        finally:
            dst.stop()
    finally:
        src.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_debug_reload_keeps_streams_and_functions():
    m = ServerProcess("redpy", "--stream-node-max-entries", "4")
    try:
        c = m.conn()
        for cmd in STREAM_SCRIPT:
            _ok(c.call(*cmd))
        want = stream_state(c)
        assert c.call("DEBUG", "RELOAD") == b"+OK\r\n"
        assert stream_state(c) == want
        # NOFLUSH without MERGE: the libraries are still there, loading them again fails
        # as on Redis (RDBFLAGS_ALLOW_DUP only with MERGE)
        assert c.call("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH") == b"-ERR Error trying to load the RDB dump\r\n"
        assert stream_state(c) == want
        assert c.call("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE") == b"+OK\r\n"
        assert stream_state(c) == want
        # a library deleted after the save comes back with the dump
        _ok(c.call("FUNCTION", "DELETE", "other"))
        assert c.call("DEBUG", "RELOAD", "NOSAVE") == b"+OK\r\n"
        assert stream_state(c) == want
    finally:
        m.stop()


# ---------------------------------------------------------------------- old encodings


def _rlen(n: int) -> bytes:
    if n < 64:
        return bytes((n,))
    if n < 16384:
        return bytes((0x40 | (n >> 8), n & 0xFF))
    return b"\x80" + n.to_bytes(4, "big")


def _rstr(s: bytes) -> bytes:
    return _rlen(len(s)) + s


def _zl_payload(v: bytes) -> bytes:
    """A ziplist entry's encoding and data (ziplist.c): integers as Redis stores them."""
    try:
        i = int(v)
        ok = str(i).encode() == v
    except ValueError:
        ok = False
    if not ok:
        n = len(v)
        if n <= 63:
            return bytes((n,)) + v
        if n <= 16383:
            return bytes((0x40 | (n >> 8), n & 0xFF)) + v
        return b"\x80" + n.to_bytes(4, "big") + v
    if 0 <= i <= 12:
        return bytes((0xF1 + i,))
    if -128 <= i <= 127:
        return b"\xfe" + struct.pack("<b", i)
    if -32768 <= i <= 32767:
        return b"\xc0" + struct.pack("<h", i)
    if -(1 << 23) <= i < (1 << 23):
        return b"\xf0" + (i & 0xFFFFFF).to_bytes(3, "little")
    if -(1 << 31) <= i < (1 << 31):
        return b"\xd0" + struct.pack("<i", i)
    return b"\xe0" + struct.pack("<q", i)


def _ziplist(items) -> bytes:
    body = b""
    prev = 0
    tail = 10
    for v in items:
        e = (bytes((prev,)) if prev < 254 else b"\xfe" + struct.pack("<I", prev)) + _zl_payload(v)
        tail = 10 + len(body)
        body += e
        prev = len(e)
    return struct.pack("<IIH", 10 + len(body) + 1, tail, min(len(items), 65535)) + body + b"\xff"


def _zipmap(pairs) -> bytes:
    out = bytes((min(len(pairs), 254),))
    for k, v in pairs:
        out += bytes((len(k),)) + k
        vl = bytes((len(v),)) if len(v) < 254 else b"\xfe" + struct.pack("<I", len(v))
        out += vl + b"\x02" + v + b"\x00\x00"  # two bytes of free space after the value
    return out + b"\xff"


def _intset(ints, width=None) -> bytes:
    ints = sorted(ints)
    if width is None:
        width = 2 if all(-32768 <= i <= 32767 for i in ints) else 4 if all(-(2**31) <= i < 2**31 for i in ints) else 8
    fmt = {2: "h", 4: "i", 8: "q"}[width]
    return struct.pack("<II", width, len(ints)) + struct.pack("<%d%s" % (len(ints), fmt), *ints)


def old_encodings_rdb() -> bytes:
    """An RDB v9 file (as Redis 5/6 wrote them) with every encoding Redis 7.0 no longer
    writes but still loads, built from the formats' definitions."""
    from redpy.persistence.crc64 import crc64

    def rec(t, key, value, expire_s=None):
        pre = b"" if expire_s is None else b"\xfd" + struct.pack("<i", expire_s)
        return pre + bytes((t,)) + _rstr(key) + value

    n = lambda i: str(i).encode()  # noqa: E731
    nodes = [_ziplist([n(i) for i in range(k, k + 50)]) for k in range(0, 200, 50)]
    recs = [
        rec(10, b"zl-list", _rstr(_ziplist([b"a", b"1", b"-5", b"300", b"-70000", b"9000000000", b"x" * 70]))),
        rec(14, b"qlist", _rlen(len(nodes)) + b"".join(_rstr(z) for z in nodes)),
        rec(14, b"qlist-big", _rlen(1) + _rstr(_ziplist([b"y" * 20000, b"z"]))),
        rec(11, b"is16", _rstr(_intset([1, 2, 3, -4]))),
        rec(11, b"is32", _rstr(_intset([1, 100000]))),
        rec(11, b"is64", _rstr(_intset([1, 2**40, -(2**50)]))),
        rec(11, b"is-wide", _rstr(_intset([1, 2, 3], width=8))),
        rec(11, b"is-many", _rstr(_intset(range(600)))),
        rec(12, b"zl-zset", _rstr(_ziplist([b"c", b"-3", b"a", b"1", b"b", b"2.5", b"d", b"inf"]))),
        rec(12, b"zl-zset-big", _rstr(_ziplist([x for i in range(200) for x in (b"m%d" % i, n(i))]))),
        rec(12, b"zl-zset-long", _rstr(_ziplist([b"n", b"1", b"m" * 100, b"2"]))),
        rec(13, b"zl-hash", _rstr(_ziplist([b"f1", b"v1", b"f2", b"12", b"n", b"-1"]))),
        rec(13, b"zl-hash-big", _rstr(_ziplist([x for i in range(600) for x in (b"f%d" % i, b"v")]))),
        rec(13, b"zl-hash-long", _rstr(_ziplist([b"f", b"v" * 100]))),
        rec(9, b"zipmap", _rstr(_zipmap([(b"a", b"1"), (b"bb", b"hello"), (b"c", b"x" * 300)]))),
        rec(9, b"zipmap-small", _rstr(_zipmap([(b"a", b"1"), (b"b", b"2")]))),
        rec(1, b"linked", _rlen(3) + _rstr(b"a") + b"\xc0\x05" + _rstr(b"c")),
        rec(2, b"set", _rlen(3) + _rstr(b"a") + _rstr(b"b") + b"\xc1\x00\x01"),
        rec(3, b"zset1", _rlen(3) + _rstr(b"a") + b"\x031.5" + _rstr(b"b") + b"\xfe" + _rstr(b"c") + b"\xff"),
        rec(4, b"hash", _rlen(2) + _rstr(b"f") + _rstr(b"v") + _rstr(b"g") + b"\xc0\x07", expire_s=2000000000),
    ]
    body = b"REDIS0009" + b"\xfa" + _rstr(b"redis-ver") + _rstr(b"6.0.16") + b"\xfe\x00" + b"".join(recs) + b"\xff"
    return body + crc64(0, body).to_bytes(8, "little")


_READ_ALL = {b"+list\r\n": ("LRANGE", "0", "-1"), b"+set\r\n": ("SORT", "ALPHA"),
             b"+zset\r\n": ("ZRANGE", "0", "-1", "WITHSCORES"), b"+hash\r\n": ("HGETALL",)}


def test_old_encodings_load_like_redis():
    """Ziplist, zipmap, intset, quicklist v1, linked list, text-score zset: the oracle
    and redpy load the hand-built file with the same content and encodings."""
    data = old_encodings_rdb()
    seen = []
    for kind in ("oracle", "redpy"):
        d = tempfile.mkdtemp(prefix="rdb-")
        try:
            with open(os.path.join(d, "dump.rdb"), "wb") as f:
                f.write(data)
            p = _start_with(kind, d)
            try:
                c = p.conn()
                keys = sorted(c.call("KEYS", "*").split(b"\r\n")[2::2])
                out = {}
                for k in keys:
                    t = c.call("TYPE", k)
                    cmd = _READ_ALL[t]
                    content = c.call(cmd[0], k, *cmd[1:])
                    if t == b"+hash\r\n":
                        content = sorted(content.split(b"\r\n"))
                    out[k] = (t, c.call("OBJECT", "ENCODING", k), c.call("DEBUG", "DIGEST-VALUE", k),
                              content, c.call("PEXPIRETIME", k))
                out["digest"] = c.call("DEBUG", "DIGEST")
                seen.append(out)
            finally:
                p.stop()
        finally:
            shutil.rmtree(d, ignore_errors=True)
    assert len(seen[0]) == 21
    assert seen[1] == seen[0]


# ---------------------------------------------------------------------- LRU / LFU


@pytest.mark.parametrize("policy,opcode", [("allkeys-lru", b"\xf8\x00"), ("volatile-lfu", b"\xf9\x05"),
                                           ("noeviction", b"")])
def test_lru_lfu_opcodes(policy, opcode):
    """Under an LRU (LFU) policy every key is preceded by IDLE (FREQ): the oracle's file
    and redpy's hold the same records, and each loads the other's."""
    records = [b"\x00\x01k\x01v", b"\x12\x01l\x01\x02\n\n\x00\x00\x00\x01\x00\x81a\x02\xff"]
    files = []
    for kind in ("oracle", "redpy"):
        p = ServerProcess(kind, "--maxmemory-policy", policy)
        try:
            c = p.conn()
            _ok(c.call("SET", "k", "v"))
            _ok(c.call("RPUSH", "l", "a"))
            _ok(c.call("SAVE"))
            with open(os.path.join(p.dir, "dump.rdb"), "rb") as f:
                data = f.read()
            files.append(data)
            for rec in records:
                assert opcode + rec in data, (kind, rec)
                if opcode:
                    assert b"\xff" + rec not in data and b"\xfb\x02\x00" + rec not in data
        finally:
            p.stop()
    for kind, data in (("redpy", files[0]), ("oracle", files[1])):
        d = tempfile.mkdtemp(prefix="rdb-")
        try:
            with open(os.path.join(d, "dump.rdb"), "wb") as f:
                f.write(data)
            p = _start_with(kind, d, "--maxmemory-policy", policy)
            try:
                assert p.conn().call("LRANGE", "l", "0", "-1") == b"*1\r\n$1\r\na\r\n"
            finally:
                p.stop()
        finally:
            shutil.rmtree(d, ignore_errors=True)


def test_fork_statistics():
    """BGSAVE counts a fork in INFO stats (total_forks, latest_fork_usec) as Redis does,
    and CONFIG RESETSTAT clears both, on both servers."""
    for kind in ("oracle", "redpy"):
        p = ServerProcess(kind)
        try:
            c = p.conn()
            stats = c.call("INFO", "stats")
            assert b"total_forks:0\r\n" in stats and b"latest_fork_usec:0\r\n" in stats, kind
            _ok(c.call("SET", "k", "v"))
            assert c.call("BGSAVE") == b"+Background saving started\r\n"
            deadline = time.time() + 20
            while b"rdb_bgsave_in_progress:0" not in c.call("INFO", "persistence") and time.time() < deadline:
                time.sleep(0.05)
            stats = c.call("INFO", "stats")
            assert b"total_forks:1\r\n" in stats, kind
            assert int(re.search(rb"latest_fork_usec:(\d+)", stats).group(1)) > 0, kind
            _ok(c.call("CONFIG", "RESETSTAT"))
            stats = c.call("INFO", "stats")
            assert b"total_forks:0\r\n" in stats and b"latest_fork_usec:0\r\n" in stats, kind
        finally:
            p.stop()
