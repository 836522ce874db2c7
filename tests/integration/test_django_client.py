"""redpy.client.django.RedisClient: django-redis's cache API through our CLIENT_CLASS.

Against the redpy server (standalone), against a real three-primary Redis Cluster made
from Debian's redis-server on free loopback ports (`redis-cli --cluster create`), and over
TLS: the real Redis always (Debian's build has TLS), redpy when it has TLS
(src/redpy/tls.py); without it that test is skipped.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time

import pytest

django = pytest.importorskip("django")
pytest.importorskip("django_redis")

from django.conf import settings  # noqa: E402

if not settings.configured:
    settings.configure(USE_TZ=True, CACHES={})

from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django_redis.cache import RedisCache  # noqa: E402
from redis.cluster import RedisCluster  # noqa: E402

from redpy.client.django import RedisClient  # noqa: E402

from ..helpers import ORACLE_BINARY, ServerProcess, free_port  # noqa: E402

CLIENT = "redpy.client.django.RedisClient"


def make_cache(location: str, prefix: str = "svc", **kwargs) -> RedisCache:
    options = {"CLIENT_CLASS": CLIENT, "CLIENT_CLASS_KWARGS": kwargs}
    options.update(kwargs.pop("_options", {}))
    return RedisCache(location, {"KEY_PREFIX": prefix, "OPTIONS": options})


def exercise_cache_api(cache: RedisCache, raw) -> None:
    """The Django cache API, checked through `raw` (a redis-py client on the same data)."""
    cache.clear()
    assert cache.get("missing") is None
    assert cache.get("missing", "dflt") == "dflt"
    assert cache.set("a", {"x": [1, 2]}, timeout=100) is True
    assert cache.get("a") == {"x": [1, 2]}
    assert raw.exists("svc:1:a") == 1          # KEY_PREFIX:version:key
    assert 90 < raw.ttl("svc:1:a") <= 100
    assert 90 < cache.ttl("a") <= 100
    assert cache.add("a", "other") is False
    assert cache.add("b", "bee") is True
    assert cache.get("b") == "bee"
    cache.set_many({"m1": 1, "m2": "two", "m3": 3.5})
    assert cache.get_many(["m1", "m2", "m3", "nope"]) == {"m1": 1, "m2": "two", "m3": 3.5}
    cache.set("n", 10)
    assert cache.incr("n") == 11
    assert cache.incr("n", 5) == 16
    assert cache.decr("n", 6) == 10
    with pytest.raises(ValueError):
        cache.incr("no-such-counter")
    assert cache.touch("b", 50) is True
    assert 40 < cache.ttl("b") <= 50
    assert cache.touch("no-such-key", 50) is False
    cache.set("forever", 1, timeout=None)
    assert cache.ttl("forever") is None
    assert cache.delete("b") is True
    assert cache.delete("b") is False
    assert cache.get("b") is None
    assert cache.has_key("a")
    # clear(): only this cache's prefixed keys go, other data stays
    raw.set("not-ours", "keep")
    raw.set("svcX:1:a", "keep")                # same start, other prefix
    cache.clear()
    assert cache.get("a") is None and cache.get("m1") is None and cache.get("forever") is None
    assert raw.get("not-ours") == b"keep"
    assert raw.get("svcX:1:a") == b"keep"
    assert [k for k in raw.scan_iter(match="svc:*")] == []
    raw.delete("not-ours", "svcX:1:a")


# --- standalone: redpy --------------------------------------------------------------


@pytest.fixture
def location(redpy_server, r):  # r: flushed
    return f"redis://127.0.0.1:{redpy_server.port}/0"


def test_cache_api_against_redpy(location):
    import redis

    cache = make_cache(location)
    assert isinstance(cache.client, RedisClient)
    exercise_cache_api(cache, redis.Redis.from_url(location))


def test_clear_with_many_keys_and_patterned_prefix(location):
    import redis

    raw = redis.Redis.from_url(location)
    cache = make_cache(location, prefix="we[ir]d*")     # glob characters in the prefix
    cache.set_many({f"k{i}": i for i in range(1200)})    # more than one SCAN/UNLINK batch
    raw.set("weird*:1:x", 1)                             # would match an unescaped pattern
    assert raw.dbsize() == 1201
    cache.clear()
    assert raw.keys() == [b"weird*:1:x"]


def test_location_overrides_kwargs_and_goes_to_redis_py(location, redpy_server):
    cache = make_cache(
        location.replace("/0", "/3"),
        host="wrong.invalid", port=1, db=9, socket_timeout=4.5, health_check_interval=7,
    )
    client = cache.client.get_client()
    kw = client.connection_pool.connection_kwargs
    assert (kw["host"], kw["port"], kw["db"]) == ("127.0.0.1", redpy_server.port, 3)
    assert kw["socket_timeout"] == 4.5 and kw["health_check_interval"] == 7
    cache.set("k", 1)
    assert client.client_info()["db"] == 3


def test_user_and_password_from_location():
    srv = ServerProcess("redpy", "--requirepass", "pw:/@x")
    try:
        from urllib.parse import quote

        cache = make_cache(f"redis://default:{quote('pw:/@x', safe='')}@127.0.0.1:{srv.port}/1",
                           password="ignored")
        kw = cache.client.get_client().connection_pool.connection_kwargs
        assert (kw["username"], kw["password"], kw["db"]) == ("default", "pw:/@x", 1)
        cache.set("k", "v")
        assert cache.get("k") == "v"
        bad = make_cache(f"redis://default:nope@127.0.0.1:{srv.port}/1")
        with pytest.raises(Exception, match="(?i)password|auth"):
            bad.get("k")
    finally:
        srv.stop()


def test_standalone_host_list_skips_a_dead_node(location, redpy_server):
    dead = free_port()
    cache = make_cache(f"redis://127.0.0.1:{dead}/0", mode="standalone",
                       redis_hosts=f"127.0.0.1:{dead},127.0.0.1:{redpy_server.port}")
    cache.set("k", "v")
    kw = cache.client.get_client().connection_pool.connection_kwargs
    assert kw["port"] == redpy_server.port
    assert cache.get("k") == "v"


def test_rediss_location_turns_tls_on():
    cache = make_cache("rediss://127.0.0.1:6390/0", ssl_cert_reqs="none", ssl_check_hostname="false")
    is_cluster, kw, hosts = cache.client._connection_kwargs[0]
    assert not is_cluster
    assert kw["ssl"] is True and kw["ssl_cert_reqs"] == ssl.CERT_NONE and kw["ssl_check_hostname"] is False


@pytest.mark.parametrize(
    "location,kwargs,names",
    [
        ("redis://h:1/0", {"clustered": "maybe"}, "clustered"),
        ("redis://h:1/0", {"mode": "sharded"}, "mode"),
        ("redis://h:1/0", {"mode": "standalone", "clustered": True}, "clustered"),
        ("redis://h:1/0", {"clustered": True, "clustered_hosts": "h1:70000"}, "clustered_hosts"),
        ("redis://h:1/0", {"clustered": True, "clustered_hosts": "h1"}, "clustered_hosts"),
        ("redis://h:1/0", {"mode": "cluster", "redis_hosts": "[::1]7000"}, "redis_hosts"),
        ("redis://h:1/0", {"ssl": True, "ssl_cert_reqs": "sometimes"}, "ssl_cert_reqs"),
        ("redis://h:1/0", {"ssl": "si"}, "ssl"),
        ("redis://h:1/2", {"clustered": True}, "database 0"),
        ("http://h:1/0", {}, "LOCATION"),
        ("redis://h:port/0", {}, "LOCATION"),
        ("redis://h:1/x", {}, "LOCATION"),
        ("redis://h:1/0", {"no_such_redis_option": 1}, "no_such_redis_option"),
    ],
)
def test_bad_settings_are_improperly_configured(location, kwargs, names):
    with pytest.raises(ImproperlyConfigured, match=names.replace("[", r"\[")):
        cache = make_cache(location, **kwargs)
        cache.client.get_client()


def test_kwargs_must_be_a_dict():
    cache = RedisCache("redis://h:1/0", {"OPTIONS": {"CLIENT_CLASS": CLIENT, "CLIENT_CLASS_KWARGS": "x"}})
    with pytest.raises(ImproperlyConfigured, match="CLIENT_CLASS_KWARGS"):
        cache.client


# --- a real three-primary Redis Cluster ----------------------------------------------


def _cluster_port() -> int:
    for _ in range(200):
        p = free_port()
        if p + 10000 > 65535 or p in (7000, 7100):
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p + 10000))     # the cluster bus port
            except OSError:
                continue
        return p
    raise RuntimeError("no free port pair")


@pytest.fixture(scope="module")
def cluster():
    if not os.path.exists(ORACLE_BINARY) or not shutil.which("redis-cli"):
        if os.environ.get("CI"):
            pytest.fail("redis-server / redis-cli missing in CI")
        pytest.skip("redis-server / redis-cli not installed")
    base = tempfile.mkdtemp(prefix="redpy-cluster-")
    procs, ports = [], []
    try:
        for i in range(3):
            port = _cluster_port()
            d = os.path.join(base, str(port))
            os.mkdir(d)
            procs.append(subprocess.Popen(
                [ORACLE_BINARY, "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                 "--cluster-config-file", "nodes.conf", "--dir", d, "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=d))
            ports.append(port)
        for port in ports:
            _wait_port(port)
        subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in ports],
                        "--cluster-replicas", "0", "--cluster-yes"],
                       check=True, capture_output=True, timeout=60)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            states = [subprocess.run(["redis-cli", "-p", str(p), "CLUSTER", "INFO"], capture_output=True,
                                     text=True, timeout=10).stdout for p in ports]
            if all("cluster_state:ok" in s for s in states):
                break
            time.sleep(0.3)
        else:
            raise RuntimeError(f"cluster not ok: {states}")
        yield ports
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(base, ignore_errors=True)


def _wait_port(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def test_cluster_cache_api(cluster):
    p1, p2, p3 = cluster
    cache = make_cache(f"redis://127.0.0.1:{p1}", clustered=True,
                       clustered_hosts=f"127.0.0.1:{p2},127.0.0.1:{p3}")
    client = cache.client.get_client()
    assert isinstance(client, RedisCluster)
    raw = RedisCluster(host="127.0.0.1", port=p1)
    exercise_cache_api(cache, raw)
    # the keys really are spread over the three primaries
    cache.set_many({f"spread{i}": i for i in range(60)})
    counts = [int(subprocess.run(["redis-cli", "-p", str(p), "DBSIZE"], capture_output=True, text=True,
                                 timeout=10).stdout) for p in cluster]
    assert all(c > 0 for c in counts) and sum(counts) == 60
    cache.clear()
    assert sum(int(subprocess.run(["redis-cli", "-p", str(p), "DBSIZE"], capture_output=True, text=True,
                                  timeout=10).stdout) for p in cluster) == 0
    raw.close()


def test_cluster_starts_with_first_listed_node_down(cluster):
    p1, p2, p3 = cluster
    dead = free_port()
    cache = make_cache(f"redis://127.0.0.1:{dead}", mode="cluster",
                       redis_hosts=f"127.0.0.1:{dead},127.0.0.1:{p2},127.0.0.1:{p3}")
    cache.set("k", "v")
    assert cache.get("k") == "v"
    cache.clear()


def test_cluster_without_host_list_fails_when_location_is_down(cluster):
    dead = free_port()
    cache = make_cache(f"redis://127.0.0.1:{dead}", clustered=True)
    with pytest.raises(Exception):
        cache.set("k", "v")


def test_cluster_ipv6_style_host_list_and_close(cluster):
    p1, p2, p3 = cluster
    cache = make_cache(f"redis://127.0.0.1:{p1}", clustered="true",
                       clustered_hosts=f"[127.0.0.1]:{p2}",
                       _options={"CLOSE_CONNECTION": True})
    _, _, hosts = cache.client._connection_kwargs[0]
    assert hosts == [("127.0.0.1", p1), ("127.0.0.1", p2)]  # LOCATION first
    cache.set("k", 1)
    cache.close()                                  # closes the RedisCluster
    assert cache.client._clients == [None]
    assert cache.get("k") == 1                     # and reconnects afterwards
    cache.clear()


# --- TLS -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certs():
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    d = tempfile.mkdtemp(prefix="redpy-tls-")

    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d, timeout=60)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=redpy test CA",
        "-keyout", "ca.key", "-out", "ca.crt")
    for name in ("server", "client"):
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", f"{name}.key",
            "-out", f"{name}.csr")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-out", f"{name}.crt")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _tls_args(certs: str, tls_port: int) -> list[str]:
    return ["--tls-port", str(tls_port), "--tls-cert-file", f"{certs}/server.crt",
            "--tls-key-file", f"{certs}/server.key", "--tls-ca-cert-file", f"{certs}/ca.crt"]


def _tls_cache_roundtrip(certs: str, tls_port: int) -> None:
    common = dict(ssl_ca_certs=f"{certs}/ca.crt", ssl_check_hostname=False)
    cache = make_cache(f"rediss://127.0.0.1:{tls_port}/0", ssl_cert_reqs="required",
                       ssl_certfile=f"{certs}/client.crt", ssl_keyfile=f"{certs}/client.key", **common)
    cache.set("tls-key", {"ok": True})
    assert cache.get("tls-key") == {"ok": True}
    assert cache.client.get_client().connection_pool.connection_class.__name__ == "SSLConnection"
    cache.clear()
    # the same with `ssl: True` and a redis:// LOCATION
    cache2 = make_cache(f"redis://127.0.0.1:{tls_port}/0", ssl=True, ssl_cert_reqs="required",
                        ssl_certfile=f"{certs}/client.crt", ssl_keyfile=f"{certs}/client.key", **common)
    assert cache2.add("k2", 1) is True
    cache2.clear()
    # the server requires a client certificate (tls-auth-clients yes): without one it fails
    nocert = make_cache(f"rediss://127.0.0.1:{tls_port}/0", ssl_cert_reqs="required", **common)
    with pytest.raises(Exception):
        nocert.set("k", 1)


def test_tls_against_redis(certs):
    if not os.path.exists(ORACLE_BINARY):
        pytest.skip("redis-server not installed")
    tls_port = free_port()
    srv = ServerProcess("oracle", *_tls_args(certs, tls_port))
    try:
        _wait_port(tls_port)
        _tls_cache_roundtrip(certs, tls_port)
    finally:
        srv.stop()


def test_tls_against_redpy(certs):
    if importlib.util.find_spec("redpy.tls") is None:
        pytest.skip("redpy has no TLS (tls-port) support yet")
    tls_port = free_port()
    srv = ServerProcess("redpy", *_tls_args(certs, tls_port))
    try:
        _wait_port(tls_port)
        _tls_cache_roundtrip(certs, tls_port)
    finally:
        srv.stop()
