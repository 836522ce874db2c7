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
import shutil
import subprocess
import sys
import tempfile
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
