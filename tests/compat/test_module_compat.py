"""MODULE against the oracle: no module is loaded on either, and loads fail alike.

The oracle runs with enable-module-command yes for the load tests; the default (no)
protects LOAD/LOADEX/UNLOAD but not LIST and HELP, on both servers.
"""

from __future__ import annotations

import os
import stat

import pytest

from ..helpers import ServerProcess

CASES = [
    ("MODULE", "LIST"),
    ("MODULE", "HELP"),
    ("MODULE", "LOAD", "/nonexistent/module.so"),
    ("MODULE", "LOAD", "/nonexistent/module.so", "a", "b"),
    ("MODULE", "LOADEX", "/nonexistent/module.so"),
    ("MODULE", "LOADEX", "/nonexistent/module.so", "CONFIG", "a"),
    ("MODULE", "LOADEX", "/nonexistent/module.so", "CONFIG", "a", "b", "ARGS", "x"),
    ("MODULE", "LOADEX", "/nonexistent/module.so", "bogus"),
    ("MODULE", "UNLOAD", "nosuch"),
    ("MODULE", "LOAD"),
    ("MODULE", "UNLOAD"),
    ("MODULE", "NOSUCH"),
    ("MODULE",),
]


def test_module_commands_default_protection(both):
    for args in CASES:
        both.check(*args)


@pytest.fixture(scope="module")
def module_servers():
    servers = [ServerProcess(kind, "--enable-module-command", "yes") for kind in ("oracle", "redpy")]
    yield servers
    for s in servers:
        s.stop()


def test_module_commands_enabled(module_servers, tmp_path):
    plain = tmp_path / "not-executable.so"
    plain.write_bytes(b"\x7fELF not really")
    plain.chmod(0o644)
    conns = [s.conn() for s in module_servers]
    for args in CASES + [("MODULE", "LOAD", str(plain))]:
        want, got = (c.call(*args) for c in conns)
        assert got == want, f"{args}: redpy {got!r} != redis {want!r}"
    for c in conns:
        c.close()
    # both say why in their logs
    for s in module_servers:
        with open(os.path.join(s.dir, "server.log"), "rb") as f:
            log = f.read()
        assert b"failed to load: It does not have execute permissions." in log, s.kind
        assert b"Syntax Error from arguments to loadex around bogus." in log, s.kind
