"""A django-redis CLIENT_CLASS for one Redis server or a Redis Cluster, with or without TLS.

    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://user:secret@redis.example:6379/0",
            "KEY_PREFIX": "myservice",
            "OPTIONS": {
                "CLIENT_CLASS": "redpy.client.django.RedisClient",
                "CLIENT_CLASS_KWARGS": {
                    "clustered": False,            # or "mode": "standalone" | "cluster"
                    "clustered_hosts": "h1:6379,h2:6379,[::1]:7000",   # or "redis_hosts"
                    "ssl": True,
                    "ssl_keyfile": "/etc/path/redis.key",
                    "ssl_certfile": "/etc/path/redis.cert",
                    "ssl_cert_reqs": "required",
                    "ssl_ca_certs": "/etc/path/redis_ca.cert",
                    "ssl_check_hostname": False,
                },
            },
        }
    }

Rules:
- LOCATION is parsed, not handed to redis-py as a URL: its host, port, user, password and
  database (the path, or ?db=) become connection parameters and override the same names
  in CLIENT_CLASS_KWARGS. `rediss://` turns TLS on (ssl=True).
- `clustered: true` (or `mode: "cluster"`) gives a redis.cluster.RedisCluster. Its startup
  nodes are LOCATION's host followed by `clustered_hosts` / `redis_hosts` (comma-separated
  host:port, IPv6 in brackets); the cache starts as long as one of them answers
  with a healthy cluster. Cluster mode has only database 0.
- Every other CLIENT_CLASS_KWARGS entry (socket_timeout, health_check_interval, ssl_*, ...)
  goes to the redis-py client unchanged; a name redis-py does not know fails there.
- A bad setting raises django.core.exceptions.ImproperlyConfigured naming the setting.
- KEY_PREFIX is Django's: keys are "<prefix>:<version>:<key>". `cache.clear()` deletes
  only the keys of this cache's prefix (SCAN MATCH "<prefix>:*" + UNLINK), never FLUSHDB,
  so several services can share one database.
- On a cluster, get_many() reads slot by slot (MGET cannot span slots); set_many() and
  delete_many() already work there (pipeline / redis-py's per-slot DEL). `cache.close()`
  (with OPTIONS CLOSE_CONNECTION) closes the RedisCluster and its node connections.
"""

from __future__ import annotations

import ssl as _ssl
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django_redis.client import DefaultClient
from redis import Redis
from redis.cluster import ClusterNode, RedisCluster

from . import parse_hosts, to_bool

_CERT_REQS = {
    "none": _ssl.CERT_NONE,
    "optional": _ssl.CERT_OPTIONAL,
    "required": _ssl.CERT_REQUIRED,
    "cert_none": _ssl.CERT_NONE,
    "cert_optional": _ssl.CERT_OPTIONAL,
    "cert_required": _ssl.CERT_REQUIRED,
}
_BOOL_OPTIONS = ("ssl", "ssl_check_hostname", "clustered", "decode_responses")
_DELETE_BATCH = 500


def _glob_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


class RedisClient(DefaultClient):
    """django-redis client building a Redis or RedisCluster from LOCATION + options."""

    def __init__(self, server, params: dict[str, Any], backend) -> None:
        super().__init__(server, params, backend)
        kwargs = self._options.get("CLIENT_CLASS_KWARGS", {}) or {}
        if not isinstance(kwargs, dict):
            raise ImproperlyConfigured("OPTIONS['CLIENT_CLASS_KWARGS'] must be a dict")
        self._client_kwargs = dict(kwargs)
        # Validate at construction so a bad setting fails when the cache is created.
        self._connection_kwargs = [self._build_kwargs(loc) for loc in self._server]

    # --- settings ------------------------------------------------------------------
    def _build_kwargs(self, location: str) -> tuple[bool, dict[str, Any], list[tuple[str, int]]]:
        kw = dict(self._client_kwargs)

        mode = kw.pop("mode", None)
        clustered = kw.pop("clustered", None)
        if mode is not None:
            if mode not in ("standalone", "cluster"):
                raise ImproperlyConfigured(
                    f"CLIENT_CLASS_KWARGS['mode'] must be 'standalone' or 'cluster', not {mode!r}"
                )
            is_cluster = mode == "cluster"
            if clustered is not None and self._bool("clustered", clustered) != is_cluster:
                raise ImproperlyConfigured(
                    "CLIENT_CLASS_KWARGS['clustered'] contradicts CLIENT_CLASS_KWARGS['mode']"
                )
        else:
            is_cluster = self._bool("clustered", clustered) if clustered is not None else False

        hosts: list[tuple[str, int]] = []
        for name in ("clustered_hosts", "redis_hosts"):
            value = kw.pop(name, None)
            if value:
                try:
                    hosts += parse_hosts(value, name)
                except ValueError as e:
                    raise ImproperlyConfigured(f"CLIENT_CLASS_KWARGS['{name}']: {e}") from None

        for name in _BOOL_OPTIONS:
            if name in kw:
                kw[name] = self._bool(name, kw[name])
        if "ssl_cert_reqs" in kw:
            kw["ssl_cert_reqs"] = self._cert_reqs(kw["ssl_cert_reqs"])

        # LOCATION: its fields override CLIENT_CLASS_KWARGS.
        try:
            parts = urlsplit(location)
            port = parts.port
        except ValueError as e:
            raise ImproperlyConfigured(f"LOCATION {location!r}: {e}") from None
        if parts.scheme not in ("redis", "rediss"):
            raise ImproperlyConfigured(
                f"LOCATION {location!r}: the scheme must be redis:// or rediss://"
            )
        if parts.hostname:
            kw["host"] = parts.hostname
        if port is not None:
            kw["port"] = port
        if parts.username:
            kw["username"] = unquote(parts.username)
        if parts.password:
            kw["password"] = unquote(parts.password)
        db = None
        path = parts.path.strip("/")
        if path:
            db = path
        for k, v in parse_qsl(parts.query):
            if k == "db":
                db = v
        if db is not None:
            try:
                kw["db"] = int(db)
            except ValueError:
                raise ImproperlyConfigured(f"LOCATION {location!r}: bad database number {db!r}") from None
        if parts.scheme == "rediss":
            kw["ssl"] = True
        if "port" in kw:
            try:
                kw["port"] = int(kw["port"])
            except (TypeError, ValueError):
                raise ImproperlyConfigured(f"CLIENT_CLASS_KWARGS['port']: bad port {kw['port']!r}") from None

        if not kw.get("ssl"):
            # ssl_* settings only mean something with TLS on; redis-py's cluster client
            # refuses them without it, so keep them out of a plain connection.
            for name in [k for k in kw if k.startswith("ssl_")]:
                del kw[name]
            kw.pop("ssl", None)

        if is_cluster:
            if kw.get("db", 0) != 0:
                raise ImproperlyConfigured(
                    f"LOCATION {location!r}: a Redis Cluster has only database 0"
                )
            kw.pop("db", None)
            if "host" in kw:
                hosts.insert(0, (kw.pop("host"), kw.pop("port", 6379)))
            else:
                kw.pop("port", None)
            if not hosts:
                raise ImproperlyConfigured(
                    "CLIENT_CLASS_KWARGS['clustered_hosts']: no cluster node given (LOCATION has no host)"
                )
        elif hosts:
            # Standalone with a host list: LOCATION's host first, then the others in order.
            if "host" in kw:
                hosts.insert(0, (kw["host"], kw.get("port", 6379)))
        return is_cluster, kw, hosts

    @staticmethod
    def _bool(name: str, value: Any) -> bool:
        try:
            return to_bool(value, name)
        except ValueError:
            raise ImproperlyConfigured(
                f"CLIENT_CLASS_KWARGS['{name}'] must be a boolean, not {value!r}"
            ) from None

    @staticmethod
    def _cert_reqs(value: Any):
        if value is None or isinstance(value, _ssl.VerifyMode):
            return value
        if isinstance(value, str) and value.lower() in _CERT_REQS:
            return _CERT_REQS[value.lower()]
        raise ImproperlyConfigured(
            "CLIENT_CLASS_KWARGS['ssl_cert_reqs'] must be 'none', 'optional' or 'required', "
            f"not {value!r}"
        )

    # --- connections ---------------------------------------------------------------
    def connect(self, index: int = 0):
        is_cluster, kw, hosts = self._connection_kwargs[index]
        kw = dict(kw)
        if is_cluster:
            nodes = [ClusterNode(h, p) for h, p in hosts]
            try:
                # RedisCluster tries its startup nodes in turn until one gives the slots.
                return RedisCluster(startup_nodes=nodes, **kw)
            except TypeError as e:
                raise ImproperlyConfigured(f"CLIENT_CLASS_KWARGS: {e}") from None
        if hosts:
            last_error = None
            for host, port in hosts:
                kw["host"], kw["port"] = host, port
                client = self._redis(kw)
                try:
                    client.ping()
                    return client
                except Exception as e:  # try the next listed host
                    last_error = e
                    client.close()
            raise last_error
        return self._redis(kw)

    @staticmethod
    def _redis(kw: dict[str, Any]) -> Redis:
        try:
            return Redis(**kw)
        except TypeError as e:
            raise ImproperlyConfigured(f"CLIENT_CLASS_KWARGS: {e}") from None

    def disconnect(self, index: int = 0, client=None) -> None:
        if client is None:
            client = self._clients[index]
        if client is not None:
            client.close()

    # --- multi-key reads on a cluster ------------------------------------------------
    def get_many(self, keys, version=None, client=None) -> dict:
        if client is None:
            client = self.get_client(write=False)
        if isinstance(client, RedisCluster):
            # MGET needs all keys in one slot: read per slot (redis-py's mget_nonatomic)
            client = _ClusterMget(client)
        return super().get_many(keys, version=version, client=client)

    # --- clear: only this cache's keys -----------------------------------------------
    def clear(self, client=None) -> None:
        if client is None:
            client = self.get_client(write=True)
        prefix = self._backend.key_prefix
        pattern = _glob_escape(prefix) + ":*"
        is_cluster = isinstance(client, RedisCluster)
        batch: list = []
        for key in client.scan_iter(match=pattern, count=_DELETE_BATCH):
            batch.append(key)
            if len(batch) >= _DELETE_BATCH:
                self._unlink(client, batch, is_cluster)
                batch = []
        if batch:
            self._unlink(client, batch, is_cluster)

    @staticmethod
    def _unlink(client, keys: list, is_cluster: bool) -> None:
        if is_cluster:
            # keys of several slots: one UNLINK per key, grouped per node by the pipeline
            pipe = client.pipeline()
            for key in keys:
                pipe.unlink(key)
            pipe.execute()
        else:
            client.unlink(*keys)


class _ClusterMget:
    """A RedisCluster whose mget() reads the keys slot by slot."""

    def __init__(self, cluster: RedisCluster):
        self._cluster = cluster

    def mget(self, *keys):
        return self._cluster.mget_nonatomic(*keys)

    def __getattr__(self, name):
        return getattr(self._cluster, name)
