"""ACL integration: the check hook is installed only while some user is restricted, users
from `user` configuration lines (config.acl_users) and from an aclfile at startup, and a
real client (redis-py) driving ACL commands."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from redpy.config import Config
from redpy.embedded import EmbeddedServer
from redpy.server import Server

from ..helpers import Conn, ServerProcess


def test_hook_only_while_some_user_is_restricted():
    server = Server(Config())
    assert server.check_hooks == ()
    assert not server.default_user_needs_auth()
    assert server.acl.set_user(b"u", [b"on", b"+@all", b"~*", b"&*"]) is None
    assert server.check_hooks == ()  # u is unrestricted
    assert server.acl.set_user(b"u", [b"-get"]) is None
    assert server.check_hooks == (server.acl.check_hook,)
    assert server.acl.delete_user(None, b"u")
    assert server.check_hooks == ()
    assert server.acl.set_user(b"default", [b"resetkeys", b"~k*"]) is None
    assert len(server.check_hooks) == 1
    assert server.acl.set_user(b"default", [b"allkeys"]) is None
    assert server.check_hooks == ()


def test_requirepass_is_the_default_users_password():
    config = Config()
    config.requirepass = "sekret"
    server = Server(config)
    assert server.default_user_needs_auth()
    assert server.acl.list_lines()[0].startswith(b"user default on #")
    server.config.set("requirepass", "")
    server.config.requirepass = ""
    server.acl.update_default_password("")
    assert server.acl.list_lines() == [b"user default on nopass ~* &* +@all"]


def test_user_config_lines_like_the_oracle():
    rules = ["alice", "on", ">pw", "~k*", "+get"]
    default = ["default", "on", "nopass", "~*", "+@all"]
    oracle = ServerProcess("oracle", "--user", *rules, "--user", *default)
    try:
        want = oracle.conn().call("ACL", "LIST")
    finally:
        oracle.stop()
    srv = EmbeddedServer()
    srv.config.acl_users = [rules, default]  # what cli.py collects from `user` lines
    with srv:
        c = Conn(srv.port)
        assert c.call("ACL", "LIST") == want
        assert c.call("AUTH", "alice", "pw") == b"+OK\r\n"
        assert c.call("GET", "x") == b"-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"
        assert c.call("GET", "k1") == b"$-1\r\n"
        c.close()


def test_bad_aclfile_aborts_startup(tmp_path):
    path = tmp_path / "bad.acl"
    path.write_text("user alice foo\n")
    proc = subprocess.run(
        [sys.executable, "-m", "redpy", "--port", "0", "--aclfile", str(path)],
        capture_output=True, timeout=30, cwd=tmp_path,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert (b"Aborting Redis startup because of ACL errors: %s:1: Syntax error. WARNING: ACL errors "
            b"detected, no change to the previously active ACL rules was performed" % os.fsencode(path)) in out


def test_redis_py_client():
    redis = pytest.importorskip("redis")
    with EmbeddedServer() as srv:
        r = redis.Redis(port=srv.port)
        assert r.acl_setuser("bob", enabled=True, passwords=["+pw"], keys=["b*"], commands=["+get", "+set"])
        assert r.acl_getuser("bob")["keys"] == ["~b*"]
        assert "bob" in r.acl_users()
        bob = redis.Redis(port=srv.port, username="bob", password="pw")
        assert bob.set("b1", "v")
        with pytest.raises(redis.exceptions.NoPermissionError):
            bob.get("x")
        with pytest.raises(redis.exceptions.NoPermissionError):
            bob.incr("b1")  # redis-py sends INCRBY b1 1
        entries = r.acl_log()
        assert [(e["reason"], e["object"], e["username"]) for e in entries] == [
            ("command", "incrby", "bob"), ("key", "x", "bob")]
        with pytest.raises(redis.exceptions.AuthenticationError):
            redis.Redis(port=srv.port, username="bob", password="bad").ping()
        assert r.acl_log(1)[0]["reason"] == "auth"
        assert r.acl_deluser("bob") == 1
        r.close()
        bob.close()
