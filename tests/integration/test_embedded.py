"""redpy.EmbeddedServer: a server on a background thread of the test process itself."""

from __future__ import annotations

import socket

import pytest

import redpy
from redpy import EmbeddedServer

from ..helpers import Conn, free_port

redis = pytest.importorskip("redis")


def port_is_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def test_context_manager_with_redis_py():
    with EmbeddedServer() as srv:
        assert srv.port > 0
        assert srv.url == f"redis://127.0.0.1:{srv.port}/0"
        r = redis.Redis.from_url(srv.url)
        try:
            assert r.ping() is True
            assert r.set("k", "v") is True
            assert r.get("k") == b"v"
            assert r.incr("n") == 1
            p = r.pipeline()
            p.set("a", 1).incr("a").get("a")
            assert p.execute() == [True, 2, b"2"]
        finally:
            r.close()
        port = srv.port
    assert not port_is_open(port)


def test_start_stop_twice_in_one_process():
    ports = []
    for round_ in range(2):
        srv = EmbeddedServer().start()
        try:
            ports.append(srv.port)
            r = redis.Redis(host="127.0.0.1", port=srv.port)
            try:
                # A new server starts empty.
                assert r.get("round") is None
                assert r.set("round", round_)
                assert r.get("round") == str(round_).encode()
            finally:
                r.close()
        finally:
            srv.stop()
        assert not port_is_open(srv.port)
    assert all(p > 0 for p in ports)


def test_two_servers_at_once_are_independent():
    with EmbeddedServer() as a, EmbeddedServer() as b:
        assert a.port != b.port
        ra = redis.Redis.from_url(a.url)
        rb = redis.Redis.from_url(b.url)
        try:
            ra.set("k", "a")
            rb.set("k", "b")
            assert ra.get("k") == b"a"
            assert rb.get("k") == b"b"
        finally:
            ra.close()
            rb.close()


def test_explicit_port_and_raw_protocol():
    port = free_port()
    with EmbeddedServer(port=port) as srv:
        assert srv.port == port
        c = Conn(port)
        try:
            assert c.call("PING") == b"+PONG\r\n"
            assert c.call("SET", "x", "1") == b"+OK\r\n"
            assert c.call("INCR", "x") == b":2\r\n"
        finally:
            c.close()


def test_directives_are_applied():
    with EmbeddedServer(databases=2) as srv:
        c = Conn(srv.port)
        try:
            assert c.call("SELECT", "1") == b"+OK\r\n"
            assert c.call("SELECT", "2") == b"-ERR DB index is out of range\r\n"
        finally:
            c.close()


def test_port_in_use_raises():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(OSError):
            EmbeddedServer(port=port).start()


def test_exported_from_package():
    assert redpy.EmbeddedServer is EmbeddedServer
