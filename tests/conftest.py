"""Shared fixtures: the oracle (Debian's redis-server 7.0.15) and redpy, each on a free port.

- `oracle`, `redpy_server`: session-wide server processes.
- `r`: a raw connection to redpy, database flushed first.
- `both`: a `Pair` of raw connections to both servers, both flushed; `both.check(*args)`
  sends the request to each and asserts the raw reply bytes are equal.

In CI the oracle must exist (CI=true): a missing redis-server fails instead of skipping.
"""

from __future__ import annotations

import os

import pytest

from .helpers import ORACLE_BINARY, Conn, ServerProcess


def _oracle_available() -> bool:
    return os.path.exists(ORACLE_BINARY)


@pytest.fixture(scope="session")
def oracle():
    if not _oracle_available():
        if os.environ.get("CI"):
            pytest.fail("redis-server (the oracle) is not installed in CI")
        pytest.skip("redis-server (the oracle) is not installed")
    srv = ServerProcess("oracle")
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def redpy_server():
    srv = ServerProcess("redpy")
    yield srv
    srv.stop()


@pytest.fixture
def r(redpy_server):
    c = redpy_server.conn()
    c.call("FLUSHALL")
    yield c
    c.close()


class Pair:
    """The same requests to the oracle and to redpy."""

    def __init__(self, oracle: Conn, mine: Conn):
        self.oracle = oracle
        self.mine = mine

    def check(self, *args) -> bytes:
        want = self.oracle.call(*args)
        got = self.mine.call(*args)
        assert got == want, f"{args!r}: redpy {got!r} != redis {want!r}"
        return got

    def call(self, *args) -> tuple[bytes, bytes]:
        return self.oracle.call(*args), self.mine.call(*args)

    def check_raw(self, data: bytes, wait: float = 0.3) -> bytes:
        """Send raw bytes to both; compare everything each answers within `wait`."""
        self.oracle.send_raw(data)
        self.mine.send_raw(data)
        want = self.oracle.read_available(wait)
        got = self.mine.read_available(wait)
        assert got == want, f"{data!r}: redpy {got!r} != redis {want!r}"
        return got


def _flush(conn: Conn) -> None:
    conn.call("FLUSHALL")


@pytest.fixture
def both(oracle, redpy_server):
    o, m = oracle.conn(), redpy_server.conn()
    _flush(o)
    _flush(m)
    pair = Pair(o, m)
    yield pair
    o.close()
    m.close()


@pytest.fixture
def both3(both):
    """Like `both`, with both connections switched to RESP3."""
    both.oracle.call("HELLO", "3")
    both.mine.call("HELLO", "3")
    return both
