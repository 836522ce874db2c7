"""File-descriptor limits and many idle connections.

- maxclients against RLIMIT_NOFILE: both servers start under the same soft/hard limits
  (set in the child before exec) and must log the same adjustOpenFilesLimit lines, end
  with the same maxclients, and refuse the same CONFIG SET maxclients with the same text.
- 10,000 idle connections are held and the server still answers.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from tests.helpers import ORACLE_BINARY, Conn, ServerProcess, free_port, wait_for_port

_LINE = re.compile(r"^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ [#*.-] (.*)$")


def _start(kind: str, soft: int, hard: int):
    port = free_port()
    workdir = tempfile.mkdtemp(prefix=f"{kind}-limits-")
    common = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir]
    cmd = [ORACLE_BINARY, *common] if kind == "oracle" else [sys.executable, "-m", "redpy", *common]

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    log = open(os.path.join(workdir, "server.log"), "w+b")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=workdir, preexec_fn=limit)
    wait_for_port(port, proc)
    return proc, port, log, workdir


def _stop(proc, log, workdir) -> list[str]:
    proc.terminate()
    proc.wait(10)
    log.seek(0)
    text = log.read().decode()
    log.close()
    shutil.rmtree(workdir, ignore_errors=True)
    lines = []
    for raw in text.splitlines():
        m = _LINE.match(raw)
        if m and ("open files" in m.group(1) or "maxclients" in m.group(1) or "Failed applying" in m.group(1)):
            lines.append(m.group(1))
    return lines


@pytest.mark.parametrize("soft,hard", [(1024, 4000), (1024, 16000)])
def test_maxclients_follows_nofile_limit(oracle, soft, hard):
    if resource.getrlimit(resource.RLIMIT_NOFILE)[1] < hard:
        pytest.skip(f"the hard NOFILE limit here is below {hard}")
    seen = {}
    for kind in ("oracle", "redpy"):
        proc, port, log, workdir = _start(kind, soft, hard)
        try:
            c = Conn(port)
            replies = [
                c.call("CONFIG", "GET", "maxclients"),
                c.call("CONFIG", "SET", "maxclients", str(hard + 100)),
                c.call("CONFIG", "GET", "maxclients"),
                c.call("CONFIG", "SET", "maxclients", "100"),
                c.call("CONFIG", "GET", "maxclients"),
            ]
            c.close()
        finally:
            lines = _stop(proc, log, workdir)
        seen[kind] = (replies, lines)
    assert seen["redpy"] == seen["oracle"]
    replies, lines = seen["oracle"]
    assert b"The operating system is not able to handle" in replies[1]
    assert lines, "the oracle logged nothing about its file limit"


def test_ten_thousand_idle_connections():
    """10,000 connections stay open and idle; the server answers and counts them.

    A server of its own, so that no other test's connection comes or goes meanwhile."""
    n = 10_000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 100:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1000), hard))
        except (OSError, ValueError):
            pass
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < n + 100:
        pytest.skip("this process cannot open 10,000 sockets")
    # maxclients 10000 would count the control connection too
    redpy_server = ServerProcess("redpy", "--maxclients", str(n + 100))
    try:
        control = redpy_server.conn()
        base = int(re.search(rb"connected_clients:(\d+)", control.call("INFO", "clients")).group(1))
        socks = []
        try:
            deadline = time.monotonic() + 60
            for _ in range(n):
                socks.append(socket.create_connection(("127.0.0.1", redpy_server.port), timeout=10))
                assert time.monotonic() < deadline, "connecting took over a minute"
            # the server accepts asynchronously: wait until it has seen them all
            while time.monotonic() < deadline:
                info = control.call("INFO", "clients")
                count = int(re.search(rb"connected_clients:(\d+)", info).group(1))
                if count >= base + n:
                    break
                time.sleep(0.2)
            assert count == base + n
            print(f"{n} connections opened and counted in {time.monotonic() - (deadline - 60):.1f} s")
            # idle connections still work, and so does the control connection
            for s in (socks[0], socks[n // 2], socks[-1]):
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                assert s.recv(64) == b"+PONG\r\n"
            assert control.call("SET", "k", "v") == b"+OK\r\n"
            assert control.call("GET", "k") == b"$1\r\nv\r\n"
        finally:
            for s in socks:
                s.close()
            control.close()
        # and the server lets go of them
        c = redpy_server.conn()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            count = int(re.search(rb"connected_clients:(\d+)", c.call("INFO", "clients")).group(1))
            if count <= base:
                break
            time.sleep(0.2)
        c.close()
        assert count <= base
    finally:
        redpy_server.stop()


def _closed_after_flood(srv, value_size: int, requests: int) -> tuple[bool, bytes]:
    """Pipeline GETs of a big value without reading; was the connection closed?"""
    control = srv.conn()
    assert control.call("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0") == b"+OK\r\n"
    assert control.call("SET", "big", "x" * value_size) == b"+OK\r\n"
    flood = socket.create_connection(("127.0.0.1", srv.port))
    flood.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * requests)
    time.sleep(1.0)  # let the server fill its output buffer past the limit
    # now read everything: a closed connection ends in EOF, an open one times out
    flood.settimeout(2.0)
    got, closed = 0, False
    try:
        while True:
            data = flood.recv(1 << 20)
            if not data:
                closed = True
                break
            got += len(data)
    except (socket.timeout, TimeoutError):
        pass
    except ConnectionResetError:
        closed = True
    flood.close()
    alive = control.call("PING")
    assert control.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0") == b"+OK\r\n"
    control.call("DEL", "big")
    control.close()
    return closed, alive


def test_normal_client_output_buffer_limit(oracle, redpy_server):
    """A client that never reads its replies is cut off at the normal hard limit."""
    for srv in (oracle, redpy_server):
        # 40 MB of replies: more than the kernel's socket buffers can absorb
        closed, alive = _closed_after_flood(srv, 100_000, 400)
        assert closed, srv.kind
        assert alive == b"+PONG\r\n"
