"""Client-side helpers: `connect()` builds a redis-py client for a URL.

    from redpy.client import connect
    r = connect("redis://user:secret@localhost:6380/2?socket_timeout=5")
    rc = connect("redis://10.0.0.1:7000", cluster=True)      # -> redis.cluster.RedisCluster

Supported URLs are redis-py's: redis://, rediss:// (TLS), unix:///path?db=N, with a user
and password, the database as the path (or ?db=), and redis-py's query parameters
(socket_timeout, health_check_interval, ...). Keyword options are passed to redis-py and
win over the URL's query parameters. A cluster client is returned when `cluster=True`
(or `clustered=True`, or `?cluster=true` in the URL); `cluster_hosts="h1:p,[::1]:p2"`
adds further startup nodes, so the client starts as long as one of them answers.
With no URL, $REDIS_URL is used, else redis://127.0.0.1:6379/0.

redis-py is imported only when `connect()` is called: the server never needs it.

"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

DEFAULT_URL = "redis://127.0.0.1:6379/0"

_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f", ""}


def to_bool(value: Any, name: str = "value") -> bool:
    """A boolean setting given as bool, int or string ("true", "0", "yes", ...)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    if value is None:
        return False
    raise ValueError(f"{name}: expected a boolean, got {value!r}")


def parse_hosts(spec: Any, name: str = "hosts") -> list[tuple[str, int]]:
    """'h1:7000,h2:7001,[::1]:7002' (or a list of such strings / (host, port) pairs)
    -> [(host, port), ...]. IPv6 addresses are written in brackets."""
    if spec is None:
        return []
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    out: list[tuple[str, int]] = []
    for item in items:
        if isinstance(item, (tuple, list)) and len(item) == 2:
            host, port = item
        else:
            if not isinstance(item, str):
                raise ValueError(f"{name}: bad host entry {item!r}")
            text = item.strip()
            if not text:
                continue
            if text.startswith("["):
                end = text.find("]")
                if end < 0 or text[end + 1 : end + 2] != ":":
                    raise ValueError(f"{name}: bad host entry {text!r} (expected [ipv6]:port)")
                host, port = text[1:end], text[end + 2 :]
            else:
                host, sep, port = text.rpartition(":")
                if not sep or not host or ":" in host:
                    raise ValueError(f"{name}: bad host entry {text!r} (expected host:port)")
        try:
            port = int(port)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: bad port in {item!r}") from None
        if not 0 < port < 65536:
            raise ValueError(f"{name}: port out of range in {item!r}")
        out.append((str(host), port))
    return out


def connect(url: str | None = None, **options: Any):
    """A redis-py client for `url` (see the module docstring)."""
    import redis
    from redis.cluster import ClusterNode, RedisCluster

    if url is None:
        url = os.environ.get("REDIS_URL") or DEFAULT_URL
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    cluster = False
    kept = []
    for k, v in query:
        if k in ("cluster", "clustered"):
            cluster = to_bool(v, k)
        else:
            kept.append((k, v))
    if len(kept) != len(query):
        # (urlunsplit would turn unix:///path into unix:/path: rebuild by hand)
        url = url.split("?", 1)[0] + ("?" + urlencode(kept) if kept else "")
    for k in ("cluster", "clustered"):
        if k in options:
            cluster = to_bool(options.pop(k), k)
    hosts = parse_hosts(options.pop("cluster_hosts", None), "cluster_hosts")

    if not cluster:
        if hosts:
            raise ValueError("cluster_hosts given without cluster=True")
        return redis.Redis.from_url(url, **options)

    if parts.scheme == "unix":
        raise ValueError("a cluster cannot be reached through a unix socket URL")
    nodes = [ClusterNode(h, p) for h, p in hosts]
    if parts.hostname:
        nodes.insert(0, ClusterNode(parts.hostname, parts.port or 6379))
    # Redis Cluster has only database 0: a /0 path is fine, another is refused by redis-py.
    return RedisCluster.from_url(url, startup_nodes=nodes, **options) if nodes else RedisCluster.from_url(url, **options)
