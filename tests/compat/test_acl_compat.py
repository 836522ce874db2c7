"""ACL against the oracle: SETUSER/GETUSER/LIST descriptions, rule errors, CAT, DRYRUN,
NOPERM errors, the ACL LOG, AUTH/HELLO flows, requirepass, DELUSER and ACL LOAD/SAVE.

Both servers are started for this module only (users would leak into other tests).

Relaxations, named where used:
- `rules_sorted`: Redis prints the single-command rules of a description (after the
  +@all/-@all and category rules) in its command dict's hash order, random per process;
  we sort each run of such rules on both sides.
- `log_relaxed`: ACL LOG's age-seconds and client-info (ids, ports, memory figures) differ
  by nature; they are replaced by placeholders after checking their shape.
"""

from __future__ import annotations

import re
import time

import pytest

from ..helpers import ServerProcess

_RUN = re.compile(rb"[+-][a-z][^ \r\n()@]*(?: [+-][a-z][^ \r\n()@]*)*")


def no_id(reply: bytes) -> bytes:
    """HELLO's client id differs (connection counts differ)."""
    return re.sub(rb"id\r\n:\d+", b"id", reply)


def rules_sorted(reply: bytes) -> bytes:
    return _RUN.sub(lambda m: b" ".join(sorted(m.group(0).split(b" "))), reply)


_AGE = re.compile(rb"\$11\r\nage-seconds\r\n\$\d+\r\n[0-9.e+-]+\r\n")
_CINFO = re.compile(rb"\$11\r\nclient-info\r\n\$\d+\r\n(id=[^\r]*)\r\n")


def log_relaxed(reply: bytes) -> bytes:
    for info in _CINFO.findall(reply):
        assert b" user=" in info and b" cmd=" in info and b" resp=" in info
    return _CINFO.sub(b"<client-info>", _AGE.sub(b"<age>", reply))


class Servers:
    def __init__(self, oracle, mine):
        self.o = oracle
        self.m = mine
        self.admin = (oracle.conn(), mine.conn())

    def conns(self):
        return self.o.conn(), self.m.conn()

    def check(self, *args, conns=None, relax=None):
        oc, mc = conns or self.admin
        want, got = oc.call(*args), mc.call(*args)
        if relax is not None:
            want, got = relax(want), relax(got)
        assert got == want, f"{args!r}: redpy {got!r} != redis {want!r}"
        return want


@pytest.fixture(scope="module")
def servers():
    o = ServerProcess("oracle")
    m = ServerProcess("redpy")
    yield Servers(o, m)
    o.stop()
    m.stop()


@pytest.fixture
def s(servers):
    yield servers
    # back to a server without users, log or password
    for conn in servers.admin:
        conn.call("CONFIG", "SET", "requirepass", "")
        conn.call("ACL", "SETUSER", "default", "on", "nopass", "~*", "&*", "+@all", "clearselectors")
        for name in conn.call("ACL", "USERS").split(b"\r\n")[2::2]:
            if name and name != b"default":
                conn.call("ACL", "DELUSER", name)
        conn.call("ACL", "LOG", "RESET")


RICH = ("ACL", "SETUSER", "y", "on", ">p1", "#" + "a" * 64, "~a*", "%R~r*", "%W~w*", "%RW~rw*",
        "&ch*", "+get", "+@hash", "-hget", "+config|get", "+select|0", "(~s* +set)",
        "(%R~z* +@read -get)")


def test_default_user_and_cat(s):
    s.check("ACL", "LIST")
    s.check("ACL", "USERS")
    s.check("ACL", "GETUSER", "default")
    s.check("ACL", "GETUSER", "nosuch")
    s.check("ACL", "CAT")
    s.check("ACL", "CAT", "nosuch")
    s.check("ACL", "WHOAMI")
    s.check("ACL", "HELP")
    for cat in ("read", "write", "admin", "dangerous", "hyperloglog", "pubsub", "scripting", "Keyspace"):
        # order-insensitive: Redis lists a category's commands in dict hash order
        o, m = (c.call("ACL", "CAT", cat) for c in s.admin)
        assert sorted(m.split(b"\r\n")) == sorted(o.split(b"\r\n")), cat


def test_setuser_descriptions(s):
    s.check("ACL", "SETUSER", "x")
    s.check(*RICH)
    s.check("ACL", "SETUSER", "z", "%RW~*")
    s.check("ACL", "SETUSER", "z2", "%R~*")
    s.check("ACL", "SETUSER", "z3", "+get", "+GET", "-get", "+@read", "+get", "+@READ")
    s.check("ACL", "SETUSER", "z4", "+select|0", "-select", "+@all", "-get", "+config|get", "-config|set")
    s.check("ACL", "SETUSER", "e8", "~a", "%R~a", "~b", "%W~b", "%W~c", "%R~c", "&a", "&a", ">x", ">x")
    s.check("ACL", "SETUSER", "e9", "skip-sanitize-payload")
    s.check("ACL", "SETUSER", "e10", "sanitize-payload", "on", "nopass", ">x")
    s.check("ACL", "SETUSER", "e11", "nopass", ">x", "resetpass")
    s.check("ACL", "SETUSER", "e12", "", "()", "( )", "%R", "%W~", "~", "&")
    s.check("ACL", "SETUSER", "e6", "on", "~x", "(+get)", "reset")
    s.check("ACL", "SETUSER", "e13", "(~x +get)", "clearselectors", "<x", ">a", "!" + "b" * 64)
    s.check("ACL", "SETUSER", "e14", "allkeys", "resetkeys", "~k", "allchannels", "resetchannels",
            "allcommands", "nocommands", "+@string")
    s.check("ACL", "SETUSER", "c1", "+@read", "+@write", "-@dangerous")
    s.check("ACL", "SETUSER", "c2", "+@all", "-@write", "-@admin")
    s.check("ACL", "SETUSER", "c3", "+@fast", "+@slow")
    s.check("ACL", "SETUSER", "c4", "+@all", "-@all", "+@string", "-set", "+client|list")
    s.check("ACL", "SETUSER", "c5", "+@geo", "+@stream", "-@read")
    s.check("ACL", "SETUSER", "c6", "+config", "-config|set")
    s.check("ACL", "SETUSER", "c7", "-@all", "+@admin", "+@all", "-@keyspace")
    s.check("ACL", "LIST", relax=rules_sorted)
    for user in ("x", "y", "z", "e8", "e12", "e13", "c1", "c2", "c4", "c5", "c6", "c7"):
        s.check("ACL", "GETUSER", user, relax=rules_sorted)
    s.check("ACL", "USERS")


def test_getuser_resp3(s):
    o, m = s.conns()
    s.check("HELLO", "3", conns=(o, m), relax=no_id)
    s.check(*RICH, conns=(o, m))
    s.check("ACL", "GETUSER", "y", conns=(o, m), relax=rules_sorted)
    s.check("ACL", "GETUSER", "default", conns=(o, m))


@pytest.mark.parametrize(
    "rule",
    ["foo", "%X~a", "%~a", "%RR~a", "%", "+nosuch", "+@nosuch", "+get|x", "+config|get|x",
     "+config|", "-config|nosuch", "+config|nosuch", "-select|0", "#abc", "#" + "A" * 64,
     "!abc", "<nopass", "(~a", "(foo)", ")", "-", "+", "~a*"],
)
def test_setuser_rule_errors(s, rule):
    s.check("ACL", "SETUSER", "e", rule)
    s.check("ACL", "LIST")


def test_setuser_errors_are_atomic(s):
    s.check("ACL", "SETUSER", "e2", "allkeys", "~x")
    s.check("ACL", "SETUSER", "e3", "allchannels", "&x")
    s.check("ACL", "SETUSER", "e4", "(~a", "b")
    s.check("ACL", "SETUSER", "e5", "on", "(~a", "+get")
    s.check("ACL", "SETUSER", "a b")
    s.check("ACL", "SETUSER", "e6", "on", ">p", "bogus")
    s.check("ACL", "SETUSER", "e7", "on")
    s.check("ACL", "SETUSER", "e7", "off", "+get", "bogus")
    s.check("ACL", "LIST")
    s.check("ACL", "SETUSER")
    s.check("ACL", "GETUSER")


def test_misc_subcommands(s):
    s.check("ACL", "GENPASS", "0")
    s.check("ACL", "GENPASS", "5000")
    s.check("ACL", "GENPASS", "x")
    s.check("ACL", "GENPASS", "1", "2")
    for bits in ("1", "5", "256", "4096"):
        o, m = (c.call("ACL", "GENPASS", bits) for c in s.admin)
        assert len(o) == len(m) and re.fullmatch(rb"\$\d+\r\n[0-9a-f]+\r\n", m)
    o, m = (c.call("ACL", "GENPASS") for c in s.admin)
    assert len(o) == len(m)
    s.check("ACL", "DELUSER", "default")
    s.check("ACL", "SETUSER", "d1")
    s.check("ACL", "SETUSER", "d2")
    s.check("ACL", "DELUSER", "nosuch", "d1", "d2", "d1")
    s.check("ACL", "LOG", "x")
    s.check("ACL", "LOG", "-1")
    s.check("ACL", "LOG", "0")
    s.check("ACL", "LOG", "1", "2")
    s.check("ACL", "LOG", "RESET")
    s.check("ACL", "LOG")
    s.check("ACL", "SAVE")
    s.check("ACL", "LOAD")
    s.check("ACL", "FOO")
    s.check("ACL")
    s.check("CLIENT", "KILL", "USER", "nosuch")


def test_dryrun(s):
    s.check(*RICH)
    s.check("ACL", "SETUSER", "p", "on", "nopass", "-@all", "+publish", "+subscribe",
            "+psubscribe", "&ch*", "&lit")
    for args in (
        ("nosuch", "get", "a"), ("y", "nosuchcmd"), ("y", "get"), ("y", "get", "a"),
        ("y", "get", "zz"), ("y", "set", "s1", "v"), ("y", "set", "aa", "v"), ("y", "set", "z1", "v"),
        ("y", "publish", "ch1", "x"), ("y", "config", "get", "x"), ("y", "config", "set", "x", "y"),
        ("y", "select", "0"), ("y", "select", "1"), ("y", "hget", "r1", "f"), ("y", "hset", "w1", "f", "v"),
        ("y", "hset", "rw1", "f", "v"), ("y", "ping"), ("y", "auth", "a", "b"), ("y", "config"),
        ("y", "config", "foo"), ("y", "copy", "r1", "w1"), ("y", "copy", "rw1", "r1"),
        ("p", "publish", "ch1", "m"), ("p", "publish", "x", "m"), ("p", "subscribe", "ch1", "x"),
        ("p", "psubscribe", "ch*"), ("p", "psubscribe", "c*"), ("p", "subscribe", "lit"),
        ("default", "flushall"), ("y",),
    ):
        s.check("ACL", "DRYRUN", *args)


def test_noperm_errors_and_log(s):
    s.check("ACL", "SETUSER", "y", "on", ">p1", "~a*", "%R~r*", "%W~w*", "&ch*", "+get", "+set",
            "+publish", "+subscribe", "+psubscribe", "+ssubscribe", "+multi", "+exec", "+hset",
            "(~s* +set)")
    conns = s.conns()
    for args in (
        ("AUTH", "y", "p1"), ("GET", "a"), ("GET", "zz"), ("SET", "r1", "v"), ("SET", "w1", "v"),
        ("GET", "w1"), ("GET", "r1"), ("SET", "s1", "x"), ("PUBLISH", "ch1", "x"), ("PUBLISH", "zz", "x"),
        ("HSET", "a", "f", "v"), ("MULTI",), ("GET", "zz"), ("SET", "a", "1"), ("LPUSH", "a", "1"),
        ("EXEC",), ("AUTH", "y", "bad"), ("AUTH", "nouser", "x"), ("auth", "y", "bad"),
        ("HELLO", "3", "AUTH", "y", "bad"), ("ACL", "WHOAMI"), ("PING",), ("AUTH", "x"),
        ("AUTH", "default", "x"), ("ACL", "WHOAMI"), ("CLIENT", "LIST"),
    ):
        s.check(*args, conns=conns, relax=lambda r: r if not r.startswith(b"$") else b"$")
    s.check("ACL", "LOG", relax=log_relaxed)
    s.check("ACL", "LOG", "3", relax=log_relaxed)
    s.check("ACL", "LOG", "100", relax=log_relaxed)
    s.check("CONFIG", "SET", "acllog-max-len", "2")
    conns = s.conns()
    s.check("AUTH", "y", "p1", conns=conns)
    s.check("GET", "zz", conns=conns)
    s.check("ACL", "LOG", relax=log_relaxed)
    s.check("CONFIG", "SET", "acllog-max-len", "128")
    s.check("ACL", "LOG", "RESET")
    s.check("ACL", "LOG")


def test_channels_and_pubsub_kill(s):
    s.check("ACL", "SETUSER", "y", "on", ">p1", "resetchannels", "&ch*", "&lit", "+@all", "~*")
    e = s.conns()
    for args in (("AUTH", "y", "p1"), ("SUBSCRIBE", "ch1", "zz"), ("PSUBSCRIBE", "c*"),
                 ("PSUBSCRIBE", "ch*"), ("SSUBSCRIBE", "x"), ("PUBLISH", "zz", "m"), ("PUBLISH", "lit", "m"),
                 ("SPUBLISH", "ch2", "m")):
        s.check(*args, conns=e)
    subs = s.conns()
    s.check("AUTH", "y", "p1", conns=subs)
    s.check("SUBSCRIBE", "ch1", conns=subs)
    s.check("ACL", "SETUSER", "y", "&ch1", "&ch2")
    s.check("PING", conns=subs)
    s.check("ACL", "SETUSER", "y", "resetchannels", "&other")
    time.sleep(0.2)
    for conn in subs:
        with pytest.raises(ConnectionError):
            conn.call("PING")
    s.check("ACL", "LOG", relax=log_relaxed)


def test_requirepass_and_auth_flows(s):
    s.check("AUTH", "x")
    s.check("AUTH", "default", "x")
    s.check("CONFIG", "SET", "requirepass", "secret")
    s.check("ACL", "LIST")
    c = s.conns()
    for args in (("GET", "a"), ("ACL", "WHOAMI"), ("AUTH", "wrong"), ("AUTH", "secret"),
                 ("GET", "a"), ("ACL", "WHOAMI")):
        s.check(*args, conns=c)
    c = s.conns()
    s.check("HELLO", "3", "AUTH", "default", "secret", "SETNAME", "n", conns=c, relax=no_id)
    s.check("CONFIG", "SET", "requirepass", "")
    s.check("ACL", "LIST")
    s.check("ACL", "SETUSER", "default", ">p2")
    s.check("CONFIG", "GET", "requirepass")
    c = s.conns()
    s.check("GET", "a", conns=c)
    s.check("AUTH", "p2", conns=c)
    s.check("ACL", "SETUSER", "default", "nopass")
    s.check("ACL", "SETUSER", "u", "on", ">pw", "+@all", "~*")
    c = s.conns()
    s.check("AUTH", "u", "pw", conns=c)
    s.check("ACL", "WHOAMI", conns=c)
    s.check("RESET", conns=c)
    s.check("ACL", "WHOAMI", conns=c)
    s.check("ACL", "SETUSER", "u", "off")
    s.check("AUTH", "u", "pw", conns=c)
    s.check("ACL", "SETUSER", "default", "off")
    c = s.conns()
    s.check("PING", conns=c)
    s.check("AUTH", "default", "x", conns=c)
    s.check("ACL", "SETUSER", "default", "on")
    s.check("ACL", "LOG", relax=log_relaxed)


def test_deluser_disconnects(s):
    s.check("ACL", "SETUSER", "u", "on", ">pw", "+@all", "~*", "&*")
    victim = s.conns()
    s.check("AUTH", "u", "pw", conns=victim)
    me = s.conns()
    s.check("AUTH", "u", "pw", conns=me)
    s.check("ACL", "DELUSER", "u", conns=me)
    time.sleep(0.1)
    for conn in victim + me:
        with pytest.raises(ConnectionError):
            conn.call("PING")
    s.check("ACL", "USERS")


def test_restricted_default_user(s):
    s.check("ACL", "SETUSER", "default", "-@all", "+get", "+acl", "resetkeys", "~k*", "+config|set", "+set")
    c = s.conns()
    for args in (("GET", "k1"), ("GET", "x"), ("SET", "x", "1"), ("PING",), ("CONFIG", "GET", "x"),
                 ("ACL", "WHOAMI"), ("ACL", "LIST")):
        s.check(*args, conns=c, relax=rules_sorted)
    s.check("ACL", "SETUSER", "default", "+@all", "~*", conns=c)
    s.check("PING", conns=c)
    s.check("ACL", "LOG", relax=log_relaxed)


def test_acl_file(tmp_path):
    path = tmp_path / "users.acl"
    path.write_text("user alice on >pw ~k* +get\nuser bob off\n")
    o = ServerProcess("oracle", "--aclfile", str(path))
    try:
        m = ServerProcess("redpy", "--aclfile", str(path))
    except Exception:
        o.stop()
        raise
    try:
        srv = Servers(o, m)
        srv.check("ACL", "LIST")
        c = srv.conns()
        srv.check("AUTH", "alice", "pw", conns=c)
        srv.check("GET", "k1", conns=c)
        srv.check("GET", "x", conns=c)
        bad = (
            "user alice on >pw ~k* +get\n# c\n\nuser bob foo\nbad line\nuser alice on\n"
            "user \"a b\" on\nuser c (~x\nuser d on \"unbalanced\n"
        )
        path.write_text(bad)
        srv.check("ACL", "LOAD", relax=lambda r: r.replace(str(path).encode(), b"PATH"))
        path.write_text("user alice on >pw ~k* +get\nuser alice on\n")
        srv.check("ACL", "LOAD")
        srv.check("ACL", "SETUSER", "zed", "on")
        srv.check("ACL", "SAVE")
        saved = path.read_bytes()
        srv.check("ACL", "LIST")
        path.write_text("user zed on\n")
        # ACL LOAD disconnects the clients of every replaced user but default
        other = srv.conns()
        srv.check("AUTH", "alice", "pw", conns=c)
        srv.check("ACL", "LOAD")
        for conn in c:
            with pytest.raises(ConnectionError):
                conn.call("PING")
        srv.check("PING", conns=other)
        srv.check("ACL", "LIST")
        path.write_bytes(saved)
        srv.check("ACL", "LOAD")
        srv.check("ACL", "LIST")
        path.write_text("user default on nopass ~* +@all\nuser alice on >pw ~k* +get\n")
        srv.check("ACL", "LOAD")
        srv.check("ACL", "LIST")
    finally:
        o.stop()
        m.stop()
