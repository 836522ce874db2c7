"""CONFIG GET/SET/REWRITE against the oracle: defaults of every parameter, errors, rollback."""

from __future__ import annotations

import re

from redpy.config import PARAMS_BY_NAME

# Parameters whose values legitimately differ between the two fixture servers.
DIFFERENT = {"port", "dir", "pidfile", "bind", "daemonize", "logfile", "unixsocket",
             "supervised", "syslog-enabled", "save", "appendonly", "enable-debug-command",
             # redpy-only defaults
             "io-threads-do-reads"}
DIFFERENT.discard("io-threads-do-reads")


def _pairs(reply: bytes) -> dict[bytes, bytes]:
    items = re.findall(rb"\$\d+\r\n(.*?)\r\n", reply, re.S)
    return dict(zip(items[0::2], items[1::2]))


def test_config_get_all_defaults(both):
    want, got = both.call("CONFIG", "GET", "*")
    w, g = _pairs(want), _pairs(got)
    for name in DIFFERENT:
        w.pop(name.encode(), None)
        g.pop(name.encode(), None)
    missing = sorted(set(w) - set(g))
    assert not missing, missing
    extra = sorted(set(g) - set(w))
    assert not extra, extra
    diffs = {k: (w[k], g[k]) for k in w if w[k] != g[k]}
    assert not diffs, diffs


def test_config_get_each_param_exact(both):
    for name in PARAMS_BY_NAME:
        if name in DIFFERENT:
            continue
        both.check("CONFIG", "GET", name)
    both.check("CONFIG", "GET", "HZ")
    both.check("CONFIG", "GET", "nosuch")
    both.check("CONFIG", "GET", "hz", "HZ")
    both.check("CONFIG", "GET")


def test_config_get_patterns_unordered(both):
    for pat in ("maxmemory*", "*max*entries*", "slave-*", "h?", "[h]z"):
        want, got = both.call("CONFIG", "GET", pat)
        assert _pairs(got) == _pairs(want), pat


def test_config_set_errors(both):
    cases = [
        ("maxmemory-policy", "foo"), ("save", "1 a"), ("port", "abc"), ("daemonize", "yes"),
        ("dir", "/nonexistent"), ("foo", "1"), ("hz", "abc", "maxclients", "5"), ("hz", "5", "hz", "6"),
        ("hz", "5", "HZ", "6"), ("daemonize", "yes", "foo", "1"), ("foo", "1", "daemonize", "yes"),
        ("maxmemory", "-1"), ("maxmemory", "1zb"), ("appendfsync", "x"), ("timeout", "-1"),
        ("activerehashing", "maybe"), ("notify-keyspace-events", "Q"),
        ("client-output-buffer-limit", "foo 1 2 3"), ("proto-max-bulk-len", "1"),
    ]
    for case in cases:
        both.check("CONFIG", "SET", *case)
    both.check("CONFIG", "SET", "hz")


def test_config_set_atomic_rollback(both):
    both.check("CONFIG", "SET", "maxmemory-samples", "7", "hz", "abc")
    both.check("CONFIG", "GET", "maxmemory-samples")
    both.check("CONFIG", "SET", "maxmemory-samples", "7", "timeout", "30")
    both.check("CONFIG", "GET", "maxmemory-samples")
    both.check("CONFIG", "GET", "timeout")
    both.check("CONFIG", "SET", "maxmemory-samples", "5", "timeout", "0")


def test_config_set_hz_clamped_and_values(both):
    for value in ("1000", "0", "10"):
        both.check("CONFIG", "SET", "hz", value)
        both.check("CONFIG", "GET", "hz")
    both.check("CONFIG", "SET", "maxmemory", "1mb")
    both.check("CONFIG", "GET", "maxmemory")
    both.check("CONFIG", "SET", "maxmemory", "0")
    both.check("CONFIG", "SET", "notify-keyspace-events", "KEA")
    both.check("CONFIG", "GET", "notify-keyspace-events")
    both.check("CONFIG", "SET", "notify-keyspace-events", "")


def test_config_rewrite_without_file(both):
    both.check("CONFIG", "REWRITE")
    both.check("CONFIG", "RESETSTAT")
    both.check("CONFIG", "RESETSTAT", "x")
