"""The connection group on redpy alone: exact reply bytes (texts checked against Redis
7.0.15 by tests/compat/test_connection_compat.py) and state the oracle cannot show us the
same way (our own client id in replies, the CLIENT INFO line format)."""

from __future__ import annotations

import re

from redpy.commands.connection import _HELP

INFO_LINE = re.compile(
    rb"id=(\d+) addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=\d+ name=(\S*) age=\d+ idle=\d+ "
    rb"flags=(\w+) db=(\d+) sub=(\d+) psub=(\d+) ssub=(\d+) multi=(-?\d+) qbuf=\d+ qbuf-free=\d+ "
    rb"argv-mem=\d+ multi-mem=\d+ rbs=\d+ rbp=\d+ obl=0 oll=0 omem=0 tot-mem=\d+ events=r "
    rb"cmd=(\S+) user=default redir=-1 resp=([23])\n"
)


def my_id(r) -> int:
    return int(r.call("CLIENT", "ID")[1:-2])


def test_ping_echo(r):
    assert r.call("PING") == b"+PONG\r\n"
    assert r.call("PING", "x y") == b"$3\r\nx y\r\n"
    assert r.call("ECHO", "") == b"$0\r\n\r\n"
    assert r.call("PING", "a", "b") == b"-ERR wrong number of arguments for 'ping' command\r\n"


def test_select(r):
    assert r.call("SELECT", "15") == b"+OK\r\n"
    assert r.call("SELECT", "16") == b"-ERR DB index is out of range\r\n"
    assert r.call("SELECT", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert r.call("SELECT", "4294967296") == (
        b"-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"
    )
    r.call("SELECT", "0")


def test_hello_default_reply(r):
    cid = my_id(r)
    assert r.call("HELLO") == (
        b"*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n"
        b"$2\r\nid\r\n:%d\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
        b"$7\r\nmodules\r\n*0\r\n" % cid
    )


def test_hello_3_switches_protocol(r):
    cid = my_id(r)
    assert r.call("HELLO", "3", "SETNAME", "three") == (
        b"%%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n"
        b"$2\r\nid\r\n:%d\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
        b"$7\r\nmodules\r\n*0\r\n" % cid
    )
    assert r.call("GET", "nokey") == b"_\r\n"
    assert r.call("CLIENT", "GETNAME") == b"$5\r\nthree\r\n"
    info = r.call("CLIENT", "INFO")
    assert info.startswith(b"=") and info[info.index(b"\r\n") + 2 :].startswith(b"txt:id=")
    assert r.call("HELLO", "2")[:4] == b"*14\r"
    assert r.call("GET", "nokey") == b"$-1\r\n"


def test_hello_errors(r):
    assert r.call("HELLO", "4") == b"-NOPROTO unsupported protocol version\r\n"
    assert r.call("HELLO", "x") == b"-ERR Protocol version is not an integer or out of range\r\n"
    assert r.call("HELLO", "3", "AUTH", "u") == b"-ERR Syntax error in HELLO option 'AUTH'\r\n"
    assert r.call("HELLO", "3", "AUTH", "nobody", "pw") == (
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    )
    assert r.call("GET", "nokey") == b"$-1\r\n"


def test_auth_without_password(r):
    assert r.call("AUTH", "pw") == (
        b"-ERR AUTH <password> called without any password configured for the default user. "
        b"Are you sure your configuration is correct?\r\n"
    )
    assert r.call("AUTH", "default", "anything") == b"+OK\r\n"
    assert r.call("AUTH", "a", "b", "c") == b"-ERR syntax error\r\n"


def test_client_info_format(r):
    cid = my_id(r)
    r.call("CLIENT", "SETNAME", "me")
    r.call("SELECT", "3")
    reply = r.call("CLIENT", "INFO")
    header, body = reply.split(b"\r\n", 1)
    assert header == b"$%d" % (len(body) - 2)
    m = INFO_LINE.fullmatch(body[:-2])
    assert m, body
    assert m.groups() == (b"%d" % cid, b"me", b"N", b"3", b"0", b"0", b"0", b"-1", b"client|info", b"2")
    r.call("SELECT", "0")


def test_client_info_flags(r, redpy_server):
    r.call("CLIENT", "NO-EVICT", "on")
    assert b" flags=e " in r.call("CLIENT", "INFO")
    r.call("CLIENT", "NO-EVICT", "off")
    other = redpy_server.conn()
    try:
        oid = my_id(other)
        other.call("MULTI")
        other.call("SET", "a", "1")
        listed = r.call("CLIENT", "LIST", "ID", str(oid))
        m = INFO_LINE.fullmatch(listed.split(b"\r\n", 1)[1][:-2])
        assert m, listed
        assert (m.group(3), m.group(8)) == (b"x", b"1")
        assert b" multi-mem=29 " in listed  # len("set") + 1 + 1, plus 8 bytes per argument
    finally:
        other.close()


def test_client_list_contains_me(r):
    cid = my_id(r)
    body = r.call("CLIENT", "LIST").split(b"\r\n", 1)[1][:-2]
    lines = body.split(b"\n")[:-1]
    mine = [line for line in lines if line.startswith(b"id=%d " % cid)]
    assert len(mine) == 1
    m = INFO_LINE.fullmatch(mine[0] + b"\n")
    assert m and m.group(9) == b"client|list"
    by_id = r.call("CLIENT", "LIST", "ID", str(cid)).split(b"\r\n", 1)[1][:-2]
    assert INFO_LINE.fullmatch(by_id).groups() == m.groups()


def test_client_list_errors(r):
    assert r.call("CLIENT", "LIST", "TYPE", "x") == b"-ERR Unknown client type 'x'\r\n"
    assert r.call("CLIENT", "LIST", "ID", "x") == b"-ERR Invalid client ID\r\n"
    assert r.call("CLIENT", "LIST", "ID") == b"-ERR syntax error\r\n"


def test_client_name(r):
    assert r.call("CLIENT", "GETNAME") == b"$-1\r\n"
    assert r.call("CLIENT", "SETNAME", "x y") == (
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    )
    assert r.call("CLIENT", "SETNAME", "n!~") == b"+OK\r\n"
    assert r.call("CLIENT", "GETNAME") == b"$3\r\nn!~\r\n"
    assert r.call("CLIENT", "SETNAME", "") == b"+OK\r\n"
    assert r.call("CLIENT", "GETNAME") == b"$-1\r\n"


def test_client_misc(r):
    assert r.call("CLIENT", "GETREDIR") == b":-1\r\n"
    assert r.call("CLIENT", "NO-EVICT", "maybe") == b"-ERR syntax error\r\n"
    assert r.call("CLIENT", "SETINFO", "lib-name", "x") == (
        b"-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n"
    )
    help_reply = r.call("CLIENT", "HELP")
    assert help_reply.startswith(b"*%d\r\n+CLIENT <subcommand>" % len(_HELP))


def test_client_reply_modes(r):
    r.send_raw(b"CLIENT REPLY OFF\r\nSET k 1\r\nCLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\nGET k\r\n")
    assert r.read_available(0.3) == b"+OK\r\n$1\r\n1\r\n"
    r.send_raw(b"CLIENT REPLY SKIP\r\nGET k\r\nECHO x\r\n")
    assert r.read_available(0.3) == b"$1\r\nx\r\n"


def test_client_kill_self_filter(r):
    cid = my_id(r)
    assert r.call("CLIENT", "KILL", "ID", str(cid)) == b":0\r\n"
    r.send_raw(b"CLIENT KILL ID %d SKIPME no\r\nPING\r\n" % cid)
    assert r.read_available(0.5) == b":1\r\n<CLOSED>"


def test_client_pause_errors(r):
    assert r.call("CLIENT", "PAUSE", "x") == b"-ERR timeout is not an integer or out of range\r\n"
    assert r.call("CLIENT", "PAUSE", "-5") == b"-ERR timeout is negative\r\n"
    assert r.call("CLIENT", "PAUSE", "5", "x") == b"-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"
    assert r.call("CLIENT", "PAUSE", "0", "WRITE") == b"+OK\r\n"
    assert r.call("CLIENT", "UNPAUSE") == b"+OK\r\n"


def test_reset(r):
    r.call("SELECT", "2")
    r.call("CLIENT", "SETNAME", "n")
    r.call("HELLO", "3")
    r.call("MULTI")
    assert r.call("RESET") == b"+RESET\r\n"
    assert r.call("GET", "nokey") == b"$-1\r\n"
    assert r.call("EXEC") == b"-ERR EXEC without MULTI\r\n"
    assert r.call("CLIENT", "GETNAME") == b"$-1\r\n"
    assert b" db=0 " in r.call("CLIENT", "INFO")


def test_quit(r):
    r.send_raw(b"QUIT\r\nPING\r\n")
    assert r.read_available(0.5) == b"+OK\r\n<CLOSED>"
