"""pytest fixtures giving tests a real Redis-compatible server: an embedded redpy.

Installed with redpy (entry point `pytest11: redpy`), so any project's tests can use:

- `redis_server_url` (session): starts one redpy server in this process on a free
  loopback port and gives its URL, e.g. "redis://127.0.0.1:41234/0".
- `redis_embedded_server` (session): the redpy.EmbeddedServer object itself.
- `redis_client` (function): a redis-py client for that server, decode_responses=True,
  with the database flushed before the test (FLUSHALL), closed after it.
- `redis_isolated_url` (function): a fresh server of its own for one test, stopped after.

The server has no persistence (no RDB/AOF files). Disable the plugin with `-p no:redpy`.
"""

from __future__ import annotations

import pytest


def _start():
    from redpy import EmbeddedServer

    return EmbeddedServer(port=0).start()


@pytest.fixture(scope="session")
def redis_embedded_server():
    server = _start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server_url(redis_embedded_server) -> str:
    return redis_embedded_server.url


@pytest.fixture
def redis_client(redis_server_url):
    from redpy.client import connect

    client = connect(redis_server_url, decode_responses=True)
    client.flushall()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def redis_isolated_url():
    server = _start()
    try:
        yield server.url
    finally:
        server.stop()
