"""Protected mode, compared with the oracle.

A connection whose peer address is not loopback ("127.*", "::1") is refused with the
DENIED text and closed while protected-mode is yes and the default user has no password.
A non-loopback peer needs a non-loopback local address: the machine's own interface
address is used, connecting from it to itself (the traffic never leaves the machine).
Both servers listen on 127.0.0.1 and that address, on free ports.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time

import pytest

from tests.helpers import Conn, ServerProcess


def _own_address():
    try:
        out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"], capture_output=True, text=True).stdout
    except OSError:
        return None
    for line in out.splitlines():
        parts = line.split()
        if "inet" in parts:
            addr = parts[parts.index("inet") + 1].split("/")[0]
            try:  # usable as a local source and destination
                s = socket.socket()
                s.bind((addr, 0))
                s.close()
            except OSError:
                continue
            return addr
    return None


ADDR = _own_address()
pytestmark = pytest.mark.skipif(ADDR is None, reason="no non-loopback IPv4 address on this machine")

DENIED_START = b"-DENIED Redis is running in protected mode because protected mode is enabled"


@pytest.fixture(scope="module")
def servers():
    sock_dir = tempfile.mkdtemp(prefix="protected-")
    made = {}
    try:
        for kind in ("oracle", "redpy"):
            made[kind] = ServerProcess(
                kind, "--bind", "127.0.0.1", ADDR, "--protected-mode", "yes",
                "--unixsocket", os.path.join(sock_dir, f"{kind}.sock"),
            )  # fmt: skip
        yield made
    finally:
        for s in made.values():
            s.stop()


def _read_all(sock, timeout=5.0):
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def _external(port, payload=b"", source=None):
    """Connect from the machine's own non-loopback address; everything until close."""
    sock = socket.create_connection((ADDR, port), timeout=5, source_address=(source or ADDR, 0))
    if payload:
        sock.sendall(payload)
    try:
        return _read_all(sock)
    finally:
        sock.close()


def _stats(port):
    c = Conn(port)
    info = c.call("INFO", "stats").decode()
    c.close()
    fields = dict(line.split(":", 1) for line in info.split("\r\n")[1:] if ":" in line)
    return int(fields["rejected_connections"]), int(fields["total_connections_received"])


def _config(servers, *args):
    for s in servers.values():
        c = s.conn()
        assert c.call("CONFIG", "SET", *args) == b"+OK\r\n"
        c.close()


def test_denied_text_and_close(servers):
    got = {kind: _external(s.port) for kind, s in servers.items()}
    assert got["oracle"].startswith(DENIED_START)
    assert got["oracle"].endswith(b"from the outside.\r\n")
    assert got["redpy"] == got["oracle"]


def test_denied_even_with_commands_sent(servers):
    # the refusal happens at accept: requests already sent are never run
    got = {kind: _external(s.port, b"SET protected x\r\nPING\r\n") for kind, s in servers.items()}
    assert got["redpy"] == got["oracle"]
    assert got["oracle"].count(b"\r\n") == 1
    for s in servers.values():
        assert s.conn().call("EXISTS", "protected") == b":0\r\n"


def test_loopback_peer_on_external_address_is_accepted(servers):
    # what counts is the peer address, not the address the server listens on
    got = {kind: _external(s.port, b"PING\r\nQUIT\r\n", source="127.0.0.1") for kind, s in servers.items()}
    assert got["oracle"] == got["redpy"] == b"+PONG\r\n+OK\r\n"


def test_external_peer_on_loopback_listener_is_denied(servers):
    got = {}
    for kind, s in servers.items():
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=5, source_address=(ADDR, 0))
        got[kind] = _read_all(sock)
        sock.close()
    assert got["oracle"].startswith(DENIED_START)
    assert got["redpy"] == got["oracle"]


def test_unix_socket_is_local(servers):
    for s in servers.values():
        path = s.proc.args[s.proc.args.index("--unixsocket") + 1]
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(path)
        sock.sendall(b"PING\r\nQUIT\r\n")
        assert _read_all(sock) == b"+PONG\r\n+OK\r\n", s.kind
        sock.close()


def test_rejections_counted(servers):
    before = {kind: _stats(s.port) for kind, s in servers.items()}
    for s in servers.values():
        _external(s.port)
        _external(s.port)
    after = {kind: _stats(s.port) for kind, s in servers.items()}
    deltas = {kind: (after[kind][0] - before[kind][0], after[kind][1] - before[kind][1]) for kind in servers}
    # rejected_connections +2; total_connections_received counts only the INFO client
    assert deltas["oracle"] == deltas["redpy"] == (2, 1)


def test_denied_client_uses_a_client_id(servers):
    deltas = {}
    for kind, s in servers.items():
        c = Conn(s.port)
        first = int(c.call("CLIENT", "ID")[1:-2])
        c.close()
        _external(s.port)
        c = Conn(s.port)
        deltas[kind] = int(c.call("CLIENT", "ID")[1:-2]) - first
        c.close()
    assert deltas["oracle"] == deltas["redpy"] == 2


def test_password_lifts_protection(servers):
    _config(servers, "requirepass", "pw")
    try:
        got = {kind: _external(s.port, b"PING\r\nAUTH pw\r\nPING\r\nQUIT\r\n") for kind, s in servers.items()}
    finally:
        for s in servers.values():
            c = s.conn()
            assert c.call("AUTH", "pw") == b"+OK\r\n"
            assert c.call("CONFIG", "SET", "requirepass", "") == b"+OK\r\n"
            c.close()
    assert got["oracle"].startswith(b"-NOAUTH")
    assert got["redpy"] == got["oracle"]


def test_protected_mode_no(servers):
    _config(servers, "protected-mode", "no")
    try:
        got = {kind: _external(s.port, b"PING\r\nQUIT\r\n") for kind, s in servers.items()}
    finally:
        _config(servers, "protected-mode", "yes")
    assert got["oracle"] == got["redpy"] == b"+PONG\r\n+OK\r\n"
    # and back on: denied again
    assert _external(servers["redpy"].port).startswith(DENIED_START)


def test_established_connection_survives_turning_protection_on(servers):
    _config(servers, "protected-mode", "no")
    socks = {kind: socket.create_connection((ADDR, s.port), timeout=5, source_address=(ADDR, 0)) for kind, s in servers.items()}
    try:
        time.sleep(0.1)
        _config(servers, "protected-mode", "yes")
        for kind, sock in socks.items():
            sock.sendall(b"PING\r\n")
            assert sock.recv(100) == b"+PONG\r\n", kind
    finally:
        for sock in socks.values():
            sock.close()
        _config(servers, "protected-mode", "yes")


def test_disabled_nopass_default_user_still_protected(servers):
    # protected mode looks at the nopass flag only: "off" does not lift it
    for s in servers.values():
        c = s.conn()
        assert c.call("ACL", "SETUSER", "admin", "on", ">pw", "+@all", "~*") == b"+OK\r\n"
        assert c.call("ACL", "SETUSER", "default", "off") == b"+OK\r\n"
        c.close()
    try:
        got = {kind: _external(s.port, b"PING\r\n") for kind, s in servers.items()}
    finally:
        for s in servers.values():
            c = s.conn()
            assert c.call("AUTH", "admin", "pw") == b"+OK\r\n"
            assert c.call("ACL", "SETUSER", "default", "on") == b"+OK\r\n"
            assert c.call("ACL", "DELUSER", "admin") == b":1\r\n"
            c.close()
    assert got["oracle"].startswith(DENIED_START)
    assert got["redpy"] == got["oracle"]
