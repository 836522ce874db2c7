"""End to end without Juju: the config the charm pushes runs a REAL redpy server, and a
redis-py client connects with the URL that RedisRequires builds from the relation data."""

import socket
import subprocess
import sys
import time

import pytest
from ops import testing

from .conftest import container, rendered_config
from .test_redis_lib import REQUIRER_META, RequirerCharm

redis = pytest.importorskip("redis")
pytest.importorskip("redpy")

CONFIG = {
    "maxmemory": "100mb",
    "maxmemory-policy": "allkeys-lru",
    "appendonly": False,
    "save": "900 1",
    "loglevel": "warning",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedpyProcess:
    """`python -m redpy <rendered redis.conf>`, on loopback and a free port."""

    def __init__(self, conf_path, data_dir):
        self.port = free_port()
        # Later options win: listen on loopback only, keep data in the test's directory.
        args = [sys.executable, "-m", "redpy", str(conf_path),
                "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(data_dir)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redpy exited: {self.proc.stdout.read().decode(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redpy did not start listening in 20 s")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


def provider_run(ctx, event_factory, state):
    """Run an event; return the output state and the redis.conf pushed during it."""
    out = ctx.run(event_factory(), state)
    return out, rendered_config(ctx, out)


def requirer_url(published_unit, published_app, port):
    """The URL RedisRequires builds, with host and port pointed at the test server."""
    unit = dict(published_unit, hostname="127.0.0.1", port=str(port))
    app = dict(published_app, **({"leader-host": "127.0.0.1"} if "leader-host" in published_app else {}))
    rctx = testing.Context(RequirerCharm, meta=REQUIRER_META)
    rel = testing.Relation("redis", remote_app_data=app, remote_units_data={0: unit})
    with rctx(rctx.on.relation_changed(rel, remote_unit=0), testing.State(relations={rel})) as mgr:
        mgr.run()
        return mgr.charm.redis.url


def test_rendered_config_runs_real_redpy_and_requirer_url_connects(ctx, tmp_path):
    rel = testing.Relation("redis", remote_app_name="webapp", remote_units_data={0: {}})
    state = testing.State(leader=True, config=CONFIG, containers={container()},
                          relations={rel, testing.PeerRelation("redis-peers")})
    # pebble-ready renders and pushes the config, and publishes the relation data.
    out, conf = provider_run(ctx, lambda: ctx.on.pebble_ready(container()), state)
    published = out.get_relation(rel.id)
    password = published.local_unit_data["password"]

    conf_path = tmp_path / "redis.conf"
    conf_path.write_text(conf)
    server = RedpyProcess(conf_path, tmp_path)
    try:
        url = requirer_url(published.local_unit_data, published.local_app_data, server.port)
        assert url == f"redis://:{password}@127.0.0.1:{server.port}"

        client = redis.Redis.from_url(url, socket_timeout=5)
        assert client.ping() is True
        assert client.set("charm:key", "value") is True
        assert client.get("charm:key") == b"value"
        # The charm's options reached the server.
        assert client.config_get("maxmemory") == {"maxmemory": "104857600"}
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
        assert client.config_get("appendonly") == {"appendonly": "no"}
        assert client.config_get("save") == {"save": "900 1"}
        assert client.config_get("loglevel") == {"loglevel": "warning"}
        assert client.config_get("requirepass") == {"requirepass": password}
        client.close()

        # The server requires the password.
        anonymous = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=5)
        with pytest.raises(redis.AuthenticationError):
            anonymous.get("charm:key")
        anonymous.close()
    finally:
        server.stop()


def test_rotated_password_reaches_server_and_requirer(ctx, tmp_path):
    rel = testing.Relation("redis", remote_app_name="webapp", remote_units_data={0: {}})
    state = testing.State(leader=True, containers={container()},
                          relations={rel, testing.PeerRelation("redis-peers")})
    out = ctx.run(ctx.on.pebble_ready(container()), state)
    old_password = out.get_relation(rel.id).local_unit_data["password"]
    out, conf = provider_run(
        ctx, lambda: ctx.on.action("set-password", params={"password": "rotated-Pw_1"}), out)
    published = out.get_relation(rel.id)
    assert published.local_unit_data["password"] == "rotated-Pw_1"

    conf_path = tmp_path / "redis.conf"
    conf_path.write_text(conf)
    server = RedpyProcess(conf_path, tmp_path)
    try:
        url = requirer_url(published.local_unit_data, published.local_app_data, server.port)
        client = redis.Redis.from_url(url, socket_timeout=5)
        assert client.ping() is True
        client.close()
        stale = redis.Redis(host="127.0.0.1", port=server.port, password=old_password, socket_timeout=5)
        with pytest.raises(redis.AuthenticationError):
            stale.ping()
        stale.close()
    finally:
        server.stop()
