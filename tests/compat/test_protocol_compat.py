"""Malformed and unusual RESP input sent to the oracle and to redpy: the bytes each answers
(and whether it closes the connection) must be identical.

Every input goes over a fresh connection to each server, because a framing error closes it.
`<CLOSED>` at the end of an answer means the server closed the connection.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import redpy.commands  # noqa: F401  (registers the commands)
from redpy.registry import COMMANDS

from ..helpers import Conn, ServerProcess, encode_request

WAIT = 0.25


def exchange(port: int, data: bytes, wait: float = WAIT, chunks: int = 1) -> bytes:
    c = Conn(port)
    try:
        if chunks == 1:
            c.send_raw(data)
        else:
            step = max(1, len(data) // chunks)
            for i in range(0, len(data), step):
                c.send_raw(data[i : i + step])
        return c.read_available(wait)
    finally:
        c.close()


def _diff(got: bytes, want: bytes) -> str:
    i = 0
    while i < min(len(got), len(want)) and got[i] == want[i]:
        i += 1
    start = max(0, i - 40)
    return f"first difference at byte {i}: redpy {got[start:i + 80]!r} != redis {want[start:i + 80]!r}"


def check(oracle: ServerProcess, mine: ServerProcess, data: bytes, wait: float = WAIT, chunks: int = 1) -> bytes:
    """The same input to both servers at once (each on a new connection); answers equal."""
    with ThreadPoolExecutor(2) as pool:
        want_f = pool.submit(exchange, oracle.port, data, wait, chunks)
        got_f = pool.submit(exchange, mine.port, data, wait, chunks)
        want, got = want_f.result(), got_f.result()
    assert got == want, f"{data[:60]!r}: {_diff(got, want)}"
    return got


@pytest.fixture(scope="module")
def auth_servers():
    """Both servers with --requirepass pw (the unauthenticated request limits)."""
    o = ServerProcess("oracle", "--requirepass", "pw")
    try:
        m = ServerProcess("redpy", "--requirepass", "pw")
    except Exception:
        o.stop()
        raise
    yield o, m
    o.stop()
    m.stop()


@pytest.fixture(scope="module")
def small_bulk_servers():
    """Both servers with proto-max-bulk-len at its minimum, 1mb."""
    o = ServerProcess("oracle", "--proto-max-bulk-len", "1mb")
    try:
        m = ServerProcess("redpy", "--proto-max-bulk-len", "1mb")
    except Exception:
        o.stop()
        raise
    yield o, m
    o.stop()
    m.stop()


PING = b"*1\r\n$4\r\nPING\r\n"

# Inputs that get the same answer with and without requirepass (framing errors and waits).
FRAMING = [
    # invalid multibulk lengths
    b"*abc\r\n",
    b"*\r\n",
    b"*+1\r\n",
    b"*-0\r\n",
    b"*01\r\n",
    b"* 1\r\n",
    b"*1 \r\n",
    b"*2147483648\r\n",
    b"*9223372036854775808\r\n",
    b"*99999999999999999999999\r\n",
    # invalid bulk lengths
    b"*1\r\n$-1\r\n",
    b"*1\r\n$\r\n",
    b"*1\r\n$abc\r\n",
    b"*1\r\n$01\r\n",
    b"*1\r\n$+4\r\n",
    b"*1\r\n$536870913\r\n",
    b"*1\r\n$9223372036854775808\r\n",
    # expected '$'
    b"*1\r\nx3\r\n",
    b"*2\r\n$1\r\na\r\n:1\r\n",
    b"*1\r\n\r\n",
    b"*1\r\n\nfoo\r\n",
    b"*1\r\n\xff3\r\n",
    b"*1\r\n\x013\r\n",
    # inline quoting
    b'PING "a\r\n',
    b"PING 'a\r\n",
    b'ECHO "a"b\r\n',
    b"ECHO 'a'b\r\n",
    b'ECHO "a\\\r\n',
    # NUL before the line end: Redis waits (its strchr stops at the NUL)
    b"*1\0\r\n" + PING,
    b"*x\0\r\n",
    b"*1\r\n$4\0\r\n" + PING,
    b"*1\r\n\0$4\r\nPING\r\n",
    b"PI\0NG\r\n" + PING,
    # partial input: waits
    b"*1\r",
    b"*1\r\n$4\r\nPIN",
    b"*2147483647\r\n",
    b"*1\r\n$1000\r\n",
    # 64 KiB limits
    b"x" * 65536,
    b"x" * 65537,
    b"PING\0" + b"x" * 65536,
    b"*" + b"1" * 65536,
    b"*" + b"1" * 65537,
    b"*1\r\n$" + b"1" * 65537,
    b"*1\r\n" + b"y" * 65537,
    b"*1\0" + b"1" * 65537,
]


@pytest.mark.parametrize("data", FRAMING, ids=lambda d: repr(d[:30]))
def test_framing(oracle, redpy_server, data):
    check(oracle, redpy_server, data)


@pytest.mark.parametrize("data", FRAMING, ids=lambda d: repr(d[:30]))
def test_framing_unauthenticated(auth_servers, data):
    check(*auth_servers, data)


VALID = [
    b"*0\r\n" + PING,
    b"*-1\r\n" + PING,
    b"*-99999\r\n" + PING,
    b"\r\n\n  \r\n\t\r\nPING\r\n",
    b"\r\n",
    b"   \n",
    b"*1\r\n$4\r\nPINGxx" + PING,  # two bytes after a bulk are skipped unchecked
    b"*1\r\n$3\r\nGETxx",
    b"*1\rx$4\rxPING\r\n",  # the byte after '\r' is not checked either
    b"*1\r\n$4\r\nPI\0G\r\n",  # NUL inside bulk data is data
    b"*2\r\n$4\r\nECHO\r\n$5\r\na\0b\r\n\r\n",
    b'ECHO "\\x41\\x4g\\xff\\n"\r\n',
    b"ECHO 'it\\'s' '\\n'\r\n",
    b'ECHO a"b c"\r\n',
    b'ECHO ""\r\n',
    b"ECHO a\rb\r\n",
    b"PING\n",
    b"PING\r\nPING\nPING\r\n",
    b"  ping  \r\n",
    b"ECHO " + b"a" * 70000 + b"\r\n",
    b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
    b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$3\r\nGET\r\n*x\r\n" + PING,  # replies, then the error
    b"SET k v\r\nGET k\r\n\"unbalanced\r\nPING\r\n",
    b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$-5\r\n",
    b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
    b"*1\r\n$0\r\n\r\n",
    b"NOSUCHCMD a b\r\n",
]


@pytest.mark.parametrize("data", VALID, ids=lambda d: repr(d[:30]))
def test_valid_and_quirky(oracle, redpy_server, data):
    check(oracle, redpy_server, data)


@pytest.mark.parametrize("data", VALID, ids=lambda d: repr(d[:30]))
def test_valid_and_quirky_unauthenticated(auth_servers, data):
    check(*auth_servers, data)


def test_big_bulk_in_chunks(oracle, redpy_server):
    value = bytes(range(256)) * 4000  # 1 MB, arrives in many reads
    data = encode_request(["SET", "big", value]) + encode_request(["STRLEN", "big"])
    data += encode_request(["GET", "big"]) + encode_request(["DEL", "big"])
    got = check(oracle, redpy_server, data, wait=1.0, chunks=50)
    assert value in got


def test_pipelined_thousand(oracle, redpy_server):
    data = b"".join(encode_request(["ECHO", str(i)]) for i in range(1000)) + b"PING\r\n"
    check(oracle, redpy_server, data, wait=0.5)


@pytest.mark.parametrize(
    "data",
    [
        b"*10\r\n",  # at the limit: waits
        b"*11\r\n",
        b"*1000\r\n",
        b"*1\r\n$16384\r\n",  # at the limit: waits
        b"*1\r\n$16385\r\n",
        b"*1\r\n$1048577\r\n",
        b"*11\r\n$4\r\n",
        b"*2\r\n$4\r\nECHO\r\n$16385\r\n",
        b"*1\r\n$536870913\r\n",  # invalid bulk length wins over unauthenticated
        b"*2147483648\r\n",
        PING + b"*11\r\n",  # the reply to PING comes before the error
    ],
    ids=repr,
)
def test_unauthenticated_limits(auth_servers, data):
    got = check(*auth_servers, data)
    if data in (b"*11\r\n", b"*1\r\n$16385\r\n"):
        assert got.startswith(b"-ERR Protocol error: unauthenticated") and got.endswith(b"<CLOSED>")


def test_limits_lifted_after_auth(auth_servers):
    if b"auth" not in COMMANDS:
        pytest.skip("AUTH is not registered yet")
    data = encode_request(["AUTH", "pw"]) + b"*12\r\n" + b"$4\r\nMSET\r\n" + b"".join(b"$1\r\nx\r\n" for _ in range(11))
    data += b"*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$20000\r\n" + b"z" * 20000 + b"\r\n"
    got = check(*auth_servers, data)
    assert b"Protocol error" not in got


def test_unauthenticated_commands(auth_servers):
    check(*auth_servers, b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\nNOSUCH\r\n")


@pytest.mark.parametrize(
    "data",
    [
        b"*1\r\n$1048576\r\n",  # at the limit: waits
        b"*1\r\n$1048577\r\n",
        b"*2\r\n$4\r\nECHO\r\n$1048577\r\n",
        b"*2\r\n$4\r\nECHO\r\n$1048576\r\n" + b"q" * 1048576 + b"\r\n",
    ],
    ids=lambda d: repr(d[:30]),
)
def test_proto_max_bulk_len(small_bulk_servers, data):
    got = check(*small_bulk_servers, data, wait=0.6)
    if data == b"*1\r\n$1048577\r\n":
        assert got == b"-ERR Protocol error: invalid bulk length\r\n<CLOSED>"


def test_protocol_error_then_new_connection_works(oracle, redpy_server):
    check(oracle, redpy_server, b"*x\r\n")
    check(oracle, redpy_server, PING)


def test_quit_closes_after_reply(oracle, redpy_server):
    check(oracle, redpy_server, b"PING\r\nQUIT\r\nPING\r\n")


@pytest.mark.parametrize("data", [b"*2147483647\r\n", b"*1\r\n$4\r\nPING\r\n*100000000\r\n"], ids=repr)
def test_huge_multibulk_count_does_not_stall_the_server(redpy_server, data):
    # Redis allocates argv lazily (at most 1024 slots up front), so a huge announced count
    # costs nothing until the bulks arrive. Other clients must not notice it either.
    a = Conn(redpy_server.port)
    b = Conn(redpy_server.port)
    try:
        a.send_raw(data)
        time.sleep(0.05)
        start = time.monotonic()
        assert b.call("PING") == b"+PONG\r\n"
        elapsed = time.monotonic() - start
        assert elapsed < 0.5, f"PING took {elapsed:.2f}s after {data!r} on another connection"
    finally:
        a.close()
        b.close()
    c = Conn(redpy_server.port)
    try:
        start = time.monotonic()
        assert c.call("PING") == b"+PONG\r\n"
        assert time.monotonic() - start < 0.5, "the server stalled after the connection closed"
    finally:
        c.close()
