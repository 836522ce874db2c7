"""Configuration: one table of every parameter, used by the command line, redis.conf,
CONFIG GET/SET/RESETSTAT/REWRITE and the server itself.

Each `Param` names its kind (bool, int, memory, enum, string or a special format), its
default, bounds and flags, exactly as Redis 7.0.15's config.c declares them; validation
messages are Redis's. Values live as attributes of `Config` under the parameter name with
'-' turned to '_' (`config.maxmemory`, `config.proto_max_bulk_len`), so the hot path reads
them without a lookup. Aliases (hash-max-ziplist-entries, slaveof, lua-time-limit, ...)
share their canonical parameter's attribute.

Parameters that belong to features redpy does not have yet (cluster, replication,
io-threads, active defragmentation) are accepted and stored like Redis stores them, so
configuration files written for Redis load unchanged; the README says which ones have no
effect.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Callable

LLONG_MAX = 2**63 - 1
INT_MAX = 2**31 - 1
UINT_MAX = 2**32 - 1


class ConfigError(Exception):
    """A value Redis would refuse; the message is Redis's text without the prefix."""


@dataclass
class Param:
    name: str
    kind: str  # bool | int | memory | enum | string | special
    default: object
    lo: int = 0
    hi: int = LLONG_MAX
    choices: tuple = ()
    immutable: bool = False
    protected: bool = False
    aliases: tuple = ()
    # special kinds: text -> value and value -> text
    parse: Callable | None = None
    render: Callable | None = None
    # called as apply(server, old_value) after a successful set; may raise ConfigError
    apply: Callable | None = None
    attr: str = field(init=False)

    def __post_init__(self):
        self.attr = self.name.replace("-", "_")


_LL = re.compile(r"-?[1-9][0-9]*|0")
_MEM = re.compile(r"(-?[0-9]+)([kmg]b?)?", re.I)
_UNITS = {"": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3}


def memtoull(text: str) -> int | None:
    """Redis's memtoull: an integer with an optional unit (k, kb, m, mb, g, gb)."""
    m = _MEM.fullmatch(text)
    if m is None or m.group(1).startswith("-"):
        return None
    return int(m.group(1)) * _UNITS[(m.group(2) or "").lower()]


def _parse_save(text: str):
    parts = text.split()
    if len(parts) % 2:
        raise ConfigError("Invalid save parameters")
    rules = []
    for i in range(0, len(parts), 2):
        if not (_LL.fullmatch(parts[i]) and _LL.fullmatch(parts[i + 1])):
            raise ConfigError("Invalid save parameters")
        seconds, changes = int(parts[i]), int(parts[i + 1])
        if seconds < 1 or changes < 0:
            raise ConfigError("Invalid save parameters")
        rules.append((seconds, changes))
    return rules


def _render_save(rules) -> str:
    return " ".join(f"{s} {c}" for s, c in rules)


_COBL_CLASSES = ("normal", "slave", "pubsub")


def _parse_cobl(text: str, current=None):
    parts = text.split()
    if len(parts) % 4:
        raise ConfigError("Wrong number of arguments in buffer limit configuration.")
    limits = dict(current or DEFAULT_COBL)
    for i in range(0, len(parts), 4):
        cls = parts[i].lower()
        if cls == "replica":
            cls = "slave"
        if cls not in _COBL_CLASSES:
            raise ConfigError("Invalid client class specified in buffer limit configuration.")
        hard, soft = memtoull(parts[i + 1]), memtoull(parts[i + 2])
        secs = parts[i + 3]
        if hard is None or soft is None or not _LL.fullmatch(secs) or int(secs) < 0:
            raise ConfigError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
        limits[cls] = (hard, soft, int(secs))
    return limits


def _render_cobl(limits) -> str:
    return " ".join(f"{c} {h} {s} {t}" for c, (h, s, t) in ((c, limits[c]) for c in _COBL_CLASSES))


DEFAULT_COBL = {"normal": (0, 0, 0), "slave": (256 * 1024**2, 64 * 1024**2, 60), "pubsub": (32 * 1024**2, 8 * 1024**2, 60)}

# notify-keyspace-events flags in the order Redis prints them (keyspaceEventsFlagsToString)
_NOTIFY_CLASSES = "g$lshzxetmdn"


def _parse_notify(text: str) -> str:
    flags = set()
    for ch in text:
        if ch == "A":
            flags.update("g$lshzxetd")
        elif ch in _NOTIFY_CLASSES + "KE":
            flags.add(ch)
        else:
            raise ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
    return "".join(sorted(flags, key=lambda c: ("g$lshzxetmdnKE".index(c))))


def _render_notify(flags: str) -> str:
    all_classes = set("g$lshzxetd")
    out = ""
    rest = set(flags)
    if all_classes <= rest:
        out = "A"
        rest -= all_classes
    out += "".join(c for c in "g$lshzxetmdn" if c in rest)
    out += "".join(c for c in "KE" if c in rest)
    return out


def _parse_words(count: int | None = None, conv=str, message="wrong number of arguments"):
    def parse(text: str):
        words = text.split()
        if count is not None and len(words) != count:
            raise ConfigError(message)
        try:
            return [conv(w) for w in words]
        except ValueError:
            raise ConfigError("Invalid argument") from None

    return parse


def _parse_percentiles(text: str):
    out = []
    for w in text.split():
        try:
            v = float(w)
        except ValueError:
            raise ConfigError("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]") from None
        if not 0.0 <= v <= 100.0:
            raise ConfigError("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
        out.append(v)
    return out


def _render_percentiles(values) -> str:
    return " ".join("%g" % v for v in values)


def _parse_oom_adj(text: str):
    words = text.split()
    if len(words) != 3:
        raise ConfigError("wrong number of arguments")
    values = []
    for w in words:
        if not re.fullmatch(r"-?[0-9]+", w) or not -2000 <= int(w) <= 2000:
            raise ConfigError("Invalid oom-score-adj-values value")
        values.append(int(w))
    return values


def _render_ints(values) -> str:
    return " ".join(str(v) for v in values)


def _parse_bind(text: str):
    words = text.split()
    if len(words) > 16:
        raise ConfigError("Too many bind addresses specified.")
    return words


def _render_words(words) -> str:
    return " ".join(words)


def _parse_dir(text: str) -> str:
    return text


def _b(name, default, **kw):
    return Param(name, "bool", default, **kw)


def _i(name, default, lo, hi, **kw):
    return Param(name, "int", default, lo=lo, hi=hi, **kw)


def _m(name, default, lo=0, hi=LLONG_MAX, **kw):
    return Param(name, "memory", default, lo=lo, hi=hi, **kw)


def _e(name, default, choices, **kw):
    return Param(name, "enum", default, choices=tuple(choices), **kw)


def _s(name, default="", **kw):
    return Param(name, "string", default, **kw)


def _x(name, default, parse, render, **kw):
    return Param(name, "special", default, parse=parse, render=render, **kw)


def _tls(name, server, old):
    """tls.py's apply functions (imported late: tls.py needs the ssl module)."""
    from . import tls

    getattr(tls, name)(server, old)


def _evict_configure(server, maxmemory: bool = False):
    """maxmemory settings changed: install or remove what evict.py needs (and evict at
    once when maxmemory itself changed, as updateMaxmemory does)."""
    from .evict import configure, maxmemory_changed

    (maxmemory_changed if maxmemory else configure)(server)


def _apply_tls(server, old):
    _tls("apply_tls_config", server, old)


def _apply_maxclients(server) -> None:
    """updateMaxclients: make room for the new maxclients in RLIMIT_NOFILE, or refuse."""
    wanted = server.config.maxclients
    server.adjust_open_files_limit()
    if server.config.maxclients != wanted:
        raise ConfigError(
            f"The operating system is not able to handle the specified number of clients, try with {server.config.maxclients}"
        )


def _aof_apply(server, old):
    from .persistence.aof import apply_appendonly

    apply_appendonly(server, old)


PARAMS: list[Param] = [
    # network and clients
    _x("bind", ["*", "-::*"], _parse_bind, _render_words),
    _s("bind-source-addr"),
    _i("port", 6379, 0, 65535),
    _i("tcp-backlog", 511, 0, INT_MAX, immutable=True),
    _s("unixsocket", immutable=True),
    Param("unixsocketperm", "octal", 0, lo=0, hi=0o777, immutable=True),
    _i("timeout", 0, 0, INT_MAX),
    _i("tcp-keepalive", 300, 0, INT_MAX),
    _i("socket-mark-id", 0, 0, UINT_MAX),
    _b("protected-mode", True),
    _i("maxclients", 10000, 1, UINT_MAX, apply=lambda server, old: _apply_maxclients(server)),
    _m("client-query-buffer-limit", 1024**3, 1024 * 1024, LLONG_MAX),
    _m("proto-max-bulk-len", 512 * 1024**2, 1024 * 1024, LLONG_MAX),
    _x("client-output-buffer-limit", DEFAULT_COBL, _parse_cobl, _render_cobl),
    _m("maxmemory-clients", 0),
    # general
    _b("daemonize", False, immutable=True),
    _e("supervised", "no", ("upstart", "systemd", "auto", "no"), immutable=True),
    _s("pidfile", immutable=True),
    _e("loglevel", "notice", ("debug", "verbose", "notice", "warning")),
    _s("logfile", immutable=True),
    _b("syslog-enabled", False, immutable=True),
    _s("syslog-ident", "redis", immutable=True),
    _e("syslog-facility", "local0", ("user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"), immutable=True),
    _b("crash-log-enabled", True),
    _b("crash-memcheck-enabled", True),
    _i("databases", 16, 1, INT_MAX, immutable=True),
    _b("always-show-logo", False, immutable=True),
    _b("set-proc-title", True, immutable=True),
    _s("proc-title-template", "{title} {listen-addr} {server-mode}"),
    _e("enable-protected-configs", "no", ("no", "yes", "local"), immutable=True),
    _e("enable-debug-command", "no", ("no", "yes", "local"), immutable=True),
    _e("enable-module-command", "no", ("no", "yes", "local"), immutable=True),
    _s("ignore-warnings"),
    _i("hz", 10, 0, INT_MAX),
    _b("dynamic-hz", True),
    _i("active-expire-effort", 1, 1, 10),
    _e("shutdown-on-sigint", "default", ("default", "save", "nosave", "now", "force")),
    _e("shutdown-on-sigterm", "default", ("default", "save", "nosave", "now", "force")),
    _i("shutdown-timeout", 10, 0, INT_MAX),
    _b("activerehashing", True),
    _b("jemalloc-bg-thread", True),
    _b("disable-thp", True, immutable=True),
    _e("oom-score-adj", "no", ("no", "yes", "relative", "absolute")),
    _x("oom-score-adj-values", [0, 200, 800], _parse_oom_adj, _render_ints),
    _i("io-threads", 1, 1, 128, immutable=True),
    _b("io-threads-do-reads", False, immutable=True),
    _s("server_cpulist", immutable=True),
    _s("bio_cpulist", immutable=True),
    _s("aof_rewrite_cpulist", immutable=True),
    _s("bgsave_cpulist", immutable=True),
    # snapshotting
    _x("save", [(3600, 1), (300, 100), (60, 10000)], _parse_save, _render_save),
    _b("stop-writes-on-bgsave-error", True),
    _b("rdbcompression", True),
    _b("rdbchecksum", True),
    _b("sanitize-dump-payload", False),
    _s("dbfilename", "dump.rdb", protected=True),
    _b("rdb-del-sync-files", False),
    _x("dir", "", _parse_dir, str, protected=True),
    _b("rdb-save-incremental-fsync", True),
    # append only file
    _b("appendonly", False, apply=lambda server, old: _aof_apply(server, old)),
    _s("appendfilename", "appendonly.aof", immutable=True),
    _s("appenddirname", "appendonlydir", immutable=True),
    _e("appendfsync", "everysec", ("everysec", "always", "no")),
    _b("no-appendfsync-on-rewrite", False),
    _i("auto-aof-rewrite-percentage", 100, 0, INT_MAX),
    _m("auto-aof-rewrite-min-size", 64 * 1024**2, 0, LLONG_MAX),
    _b("aof-load-truncated", True),
    _b("aof-use-rdb-preamble", True),
    _b("aof-timestamp-enabled", False),
    _b("aof-rewrite-incremental-fsync", True),
    _b("aof-disable-auto-gc", False),
    # security
    _s("requirepass", apply=lambda server, old: server.acl.update_default_password(server.config.requirepass)),
    _s("aclfile", immutable=True),
    _i("acllog-max-len", 128, 0, LLONG_MAX),
    _e("acl-pubsub-default", "resetchannels", ("allchannels", "resetchannels")),
    # memory management
    _m("maxmemory", 0, apply=lambda s, old: _evict_configure(s, True)),
    _e("maxmemory-policy", "noeviction", ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"), apply=lambda s, old: _evict_configure(s)),
    _i("maxmemory-samples", 5, 1, 64),
    _i("maxmemory-eviction-tenacity", 10, 0, 100),
    _b("replica-ignore-maxmemory", True, aliases=("slave-ignore-maxmemory",)),
    _i("lfu-log-factor", 10, 0, INT_MAX),
    _i("lfu-decay-time", 1, 0, INT_MAX),
    _b("lazyfree-lazy-eviction", False),
    _b("lazyfree-lazy-expire", False),
    _b("lazyfree-lazy-server-del", False),
    _b("lazyfree-lazy-user-del", False),
    _b("lazyfree-lazy-user-flush", False),
    _b("replica-lazy-flush", False, aliases=("slave-lazy-flush",)),
    # scripting, slow log, latency
    _i("busy-reply-threshold", 5000, 0, LLONG_MAX, aliases=("lua-time-limit",)),
    _i("slowlog-log-slower-than", 10000, -1, LLONG_MAX),
    _i("slowlog-max-len", 128, 0, LLONG_MAX),
    _i("latency-monitor-threshold", 0, 0, LLONG_MAX),
    _b("latency-tracking", True),
    _x("latency-tracking-info-percentiles", [50.0, 99.0, 99.9], _parse_percentiles, _render_percentiles),
    _x("notify-keyspace-events", "", _parse_notify, _render_notify),
    # data structure encodings
    _m("hash-max-listpack-entries", 512, 0, LLONG_MAX, aliases=("hash-max-ziplist-entries",)),
    _m("hash-max-listpack-value", 64, 0, LLONG_MAX, aliases=("hash-max-ziplist-value",)),
    _i("list-max-listpack-size", -2, -(2**31), INT_MAX, aliases=("list-max-ziplist-size",)),
    _i("list-compress-depth", 0, 0, INT_MAX),
    _m("set-max-intset-entries", 512, 0, LLONG_MAX),
    _m("zset-max-listpack-entries", 128, 0, LLONG_MAX, aliases=("zset-max-ziplist-entries",)),
    _m("zset-max-listpack-value", 64, 0, LLONG_MAX, aliases=("zset-max-ziplist-value",)),
    _m("hll-sparse-max-bytes", 3000, 0, LLONG_MAX),
    _m("stream-node-max-bytes", 4096, 0, LLONG_MAX),
    _i("stream-node-max-entries", 100, 0, LLONG_MAX),
    _i("tracking-table-max-keys", 1000000, 0, LLONG_MAX),
    # active defragmentation (accepted; Python's allocator is not defragmented)
    _b("activedefrag", False),
    _m("active-defrag-ignore-bytes", 100 * 1024**2, 1, LLONG_MAX),
    _i("active-defrag-threshold-lower", 10, 0, 1000),
    _i("active-defrag-threshold-upper", 100, 0, 1000),
    _i("active-defrag-cycle-min", 1, 1, 99),
    _i("active-defrag-cycle-max", 25, 1, 99),
    _i("active-defrag-max-scan-fields", 1000, 1, LLONG_MAX),
    # replication
    _s("replicaof", aliases=("slaveof",)),
    _s("masterauth", protected=False),
    _s("masteruser"),
    _b("replica-serve-stale-data", True, aliases=("slave-serve-stale-data",)),
    _b("replica-read-only", True, aliases=("slave-read-only",)),
    _b("repl-diskless-sync", True),
    _i("repl-diskless-sync-delay", 5, 0, INT_MAX),
    _i("repl-diskless-sync-max-replicas", 0, 0, INT_MAX),
    _e("repl-diskless-load", "disabled", ("disabled", "on-empty-db", "swapdb")),
    _i("repl-ping-replica-period", 10, 1, INT_MAX, aliases=("repl-ping-slave-period",)),
    _i("repl-timeout", 60, 1, INT_MAX),
    _b("repl-disable-tcp-nodelay", False),
    _m("repl-backlog-size", 1024 * 1024, 1, LLONG_MAX),
    _i("repl-backlog-ttl", 3600, 0, INT_MAX),
    _i("replica-priority", 100, 0, INT_MAX, aliases=("slave-priority",)),
    _s("replica-announce-ip", aliases=("slave-announce-ip",)),
    _i("replica-announce-port", 0, 0, 65535, aliases=("slave-announce-port",)),
    _b("replica-announced", True),
    _i("min-replicas-to-write", 0, 0, INT_MAX, aliases=("min-slaves-to-write",)),
    _i("min-replicas-max-lag", 10, 0, INT_MAX, aliases=("min-slaves-max-lag",)),
    _b("replica-ignore-disk-write-errors", False),
    _e("propagation-error-behavior", "ignore", ("ignore", "panic", "panic-on-replicas")),
    # cluster
    _b("cluster-enabled", False, immutable=True),
    _s("cluster-config-file", "nodes.conf", immutable=True),
    _i("cluster-node-timeout", 15000, 0, LLONG_MAX),
    _i("cluster-port", 0, 0, 65535, immutable=True),
    _i("cluster-replica-validity-factor", 10, 0, INT_MAX, aliases=("cluster-slave-validity-factor",)),
    _i("cluster-migration-barrier", 1, 0, INT_MAX),
    _b("cluster-allow-replica-migration", True),
    _b("cluster-require-full-coverage", True),
    _b("cluster-replica-no-failover", False, aliases=("cluster-slave-no-failover",)),
    _b("cluster-allow-reads-when-down", False),
    _b("cluster-allow-pubsubshard-when-down", True),
    _s("cluster-announce-ip"),
    _s("cluster-announce-hostname"),
    _e("cluster-preferred-endpoint-type", "ip", ("ip", "hostname", "unknown-endpoint")),
    _i("cluster-announce-port", 0, 0, 65535),
    _i("cluster-announce-bus-port", 0, 0, 65535),
    _i("cluster-announce-tls-port", 0, 0, 65535),
    _m("cluster-link-sendbuf-limit", 0),
    # TLS
    _i("tls-port", 0, 0, 65535, apply=lambda s, old: _tls("apply_tls_port", s, old)),
    _s("tls-cert-file", apply=_apply_tls),
    _s("tls-key-file", apply=_apply_tls),
    _s("tls-key-file-pass", apply=_apply_tls),
    _s("tls-client-cert-file", apply=_apply_tls),
    _s("tls-client-key-file", apply=_apply_tls),
    _s("tls-client-key-file-pass", apply=_apply_tls),
    _s("tls-dh-params-file", apply=_apply_tls),
    _s("tls-ca-cert-file", apply=_apply_tls),
    _s("tls-ca-cert-dir", apply=_apply_tls),
    _e("tls-auth-clients", "yes", ("no", "yes", "optional"), apply=lambda s, old: _tls("apply_auth_clients", s, old)),
    _s("tls-protocols", apply=_apply_tls),
    _s("tls-ciphers", apply=_apply_tls),
    _s("tls-ciphersuites", apply=_apply_tls),
    _b("tls-prefer-server-ciphers", False, apply=_apply_tls),
    _b("tls-session-caching", True, apply=_apply_tls),
    _i("tls-session-cache-size", 20 * 1024, 0, INT_MAX, apply=_apply_tls),
    _i("tls-session-cache-timeout", 300, 0, INT_MAX, apply=_apply_tls),
    _b("tls-replication", False, apply=_apply_tls),
    _b("tls-cluster", False, apply=_apply_tls),
]

PARAMS_BY_NAME: dict[str, Param] = {}
for _p in PARAMS:
    PARAMS_BY_NAME[_p.name] = _p
    for _a in _p.aliases:
        PARAMS_BY_NAME[_a] = _p

CONFIG_MIN_HZ, CONFIG_MAX_HZ = 1, 500


class Config:
    """The running configuration: typed values as attributes, Redis's text on demand."""

    def __init__(self):
        for p in PARAMS:
            default = p.default
            if isinstance(default, (list, dict)):
                default = type(default)(default)
            setattr(self, p.attr, default)
        self.dir = os.getcwd()
        # `user` directives (ACL users), applied by acl.py at startup
        self.acl_users: list[list[str]] = []
        # Values given on the command line or in the file, kept for CONFIG REWRITE.
        self.file: str | None = None

    # ---------------------------------------------------------------- values as text

    def get_text(self, name: str) -> str:
        """The value as CONFIG GET prints it."""
        p = PARAMS_BY_NAME[name]
        value = getattr(self, p.attr)
        kind = p.kind
        if kind == "bool":
            return "yes" if value else "no"
        if kind in ("int", "memory"):
            return str(value)
        if kind == "octal":
            return "%o" % value
        if kind in ("enum", "string"):
            return value
        return p.render(value)

    def parse(self, name: str, text: str):
        """Validate a textual value for name; return the typed value or raise ConfigError."""
        p = PARAMS_BY_NAME[name]
        kind = p.kind
        if kind == "bool":
            low = text.lower()
            if low == "yes":
                return True
            if low == "no":
                return False
            raise ConfigError("argument must be 'yes' or 'no'")
        if kind == "int":
            if not _LL.fullmatch(text):
                raise ConfigError("argument couldn't be parsed into an integer")
            value = int(text)
            if not p.lo <= value <= p.hi:
                raise ConfigError(f"argument must be between {p.lo} and {p.hi} inclusive")
            return value
        if kind == "memory":
            value = memtoull(text)
            if value is None:
                raise ConfigError("argument must be a memory value")
            if not p.lo <= value <= p.hi:
                raise ConfigError(f"argument must be between {p.lo} and {p.hi} inclusive")
            return value
        if kind == "octal":
            if not re.fullmatch(r"[0-7]+", text):
                raise ConfigError("argument couldn't be parsed into an integer")
            return int(text, 8)
        if kind == "enum":
            low = text.lower()
            if low in p.choices:
                return low
            raise ConfigError("argument(s) must be one of the following: " + ", ".join(p.choices))
        if kind == "string":
            return text
        if p.name == "client-output-buffer-limit":
            return _parse_cobl(text, getattr(self, p.attr))
        return p.parse(text)

    def set(self, name: str, text: str) -> object:
        """Parse and store; returns the old value (for rollback). Does not apply."""
        p = PARAMS_BY_NAME[name]
        value = self.parse(name, text)
        if p.name == "hz":
            value = min(max(value, CONFIG_MIN_HZ), CONFIG_MAX_HZ)
        old = getattr(self, p.attr)
        setattr(self, p.attr, value)
        return old

    def __repr__(self) -> str:
        return f"<Config port={self.port}>"
