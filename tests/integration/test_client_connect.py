"""redpy.client.connect(): redis-py clients built from URLs, against the redpy server."""

from __future__ import annotations

import redis
import pytest
from redis.cluster import RedisCluster

from redpy.client import connect, parse_hosts


@pytest.fixture
def base(redpy_server, r):  # r: flushed
    return f"redis://127.0.0.1:{redpy_server.port}"


def test_url_with_db(base, r):
    c = connect(base + "/2")
    assert isinstance(c, redis.Redis)
    assert c.set("k", "v") is True
    assert c.get("k") == b"v"
    r.call("SELECT", "2")
    assert r.call("GET", "k") == b"$1\r\nv\r\n"
    c.close()


def test_query_parameters_and_options(base):
    c = connect(base + "/0?db=4&socket_timeout=7", decode_responses=True)
    kw = c.connection_pool.connection_kwargs
    assert kw["db"] == 4 and kw["socket_timeout"] == 7.0
    c.set("x", "1")
    assert c.get("x") == "1"            # decode_responses=True passed through
    assert c.client_info()["db"] == 4  # really on database 4


def test_user_and_password():
    # (redpy has no ACL SETUSER yet: the user is "default", with requirepass)
    from ..helpers import ServerProcess

    srv = ServerProcess("redpy", "--requirepass", "s3cret")
    try:
        base = f"127.0.0.1:{srv.port}/0"
        assert connect(f"redis://default:s3cret@{base}").ping() is True
        assert connect(f"redis://:s3cret@{base}").set("k", "v") is True
        with pytest.raises(redis.AuthenticationError):
            connect(f"redis://default:wrong@{base}").ping()
        with pytest.raises(redis.AuthenticationError):
            connect(f"redis://{base}").get("k")
    finally:
        srv.stop()


def test_rediss_turns_tls_on():
    c = connect("rediss://example.invalid:6390/0", ssl_cert_reqs="none")
    assert c.connection_pool.connection_class is redis.SSLConnection


def test_unix_socket_url(tmp_path):
    from ..helpers import ServerProcess

    sock = tmp_path / "redpy.sock"
    srv = ServerProcess("redpy", "--unixsocket", str(sock))
    try:
        c = connect(f"unix://{sock}?db=1")
        assert c.ping() is True
        c.set("over-unix", "yes")
        assert c.client_info()["db"] == 1
        assert c.get("over-unix") == b"yes"
    finally:
        srv.stop()


def test_default_url_from_environment(base, monkeypatch):
    monkeypatch.setenv("REDIS_URL", base + "/5")
    c = connect()
    assert c.connection_pool.connection_kwargs["db"] == 5
    assert c.ping() is True


def test_cluster_request_returns_rediscluster(monkeypatch):
    seen = {}

    def fake_from_url(url, **kw):  # no cluster needed: check what would be built
        seen.update(url=url, **kw)
        return "cluster-client"

    monkeypatch.setattr(RedisCluster, "from_url", staticmethod(fake_from_url))
    assert connect("redis://n1:7001/0?cluster=true", cluster_hosts="n2:7002,[::1]:7003") == "cluster-client"
    assert "cluster" not in seen["url"]
    assert [(n.host, n.port) for n in seen["startup_nodes"]] == [("n1", 7001), ("n2", 7002), ("::1", 7003)]
    seen.clear()
    connect("redis://n1:7001", clustered=True)
    assert [(n.host, n.port) for n in seen["startup_nodes"]] == [("n1", 7001)]


def test_parse_hosts():
    assert parse_hosts("a:1, b:2,[::1]:7000") == [("a", 1), ("b", 2), ("::1", 7000)]
    assert parse_hosts([("h", "5")]) == [("h", 5)]
    for bad in ("a", "a:x", "[::1]7000", "::1:7000", "a:0", "a:70000"):
        with pytest.raises(ValueError):
            parse_hosts(bad)
    with pytest.raises(ValueError):
        connect("redis://h:1", cluster_hosts="h:2")  # hosts without cluster=True
