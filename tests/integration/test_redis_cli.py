"""redis-cli (Debian's redis-tools) against redpy, compared with redis-cli against the oracle.

One-shot commands (raw and --no-raw output), --pipe mass insertion, and the interactive
mode driven through a pseudo-terminal (stdlib pty): the transcripts must be identical once
the port numbers in the prompts are replaced. Interactive redis-cli asks COMMAND DOCS at
startup for its help and hints; it must work whether or not redpy implements it.
"""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import time

import pytest

from ..helpers import encode_request

REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"

pytestmark = pytest.mark.skipif(
    not os.path.exists(REDIS_CLI) and not os.environ.get("CI"), reason="redis-cli is not installed"
)


def cli(port: int, *args: str, stdin: bytes | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [REDIS_CLI, "-h", "127.0.0.1", "-p", str(port), *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
    )


def both_cli(oracle, redpy_server, *args: str, stdin: bytes | None = None):
    want = cli(oracle.port, *args, stdin=stdin)
    got = cli(redpy_server.port, *args, stdin=stdin)
    return want, got


ONE_SHOT = [
    ["PING"],
    ["PING", "hello world"],
    ["SET", "cli:k", "v"],
    ["GET", "cli:k"],
    ["GET", "cli:missing"],
    ["INCR", "cli:n"],
    ["INCRBY", "cli:n", "41"],
    ["INCR", "cli:k"],
    ["MSET", "cli:a", "1", "cli:b", "2"],
    ["MGET", "cli:a", "cli:missing", "cli:b"],
    ["ECHO", "tab\there, quote\" and \\ backslash, é"],
    ["ECHO", ""],
    ["NOSUCHCOMMAND", "x"],
    ["GET"],
    ["SELECT", "99"],
]


@pytest.fixture
def clean(oracle, redpy_server):
    for srv in (oracle, redpy_server):
        cli(srv.port, "FLUSHALL")
    yield
    for srv in (oracle, redpy_server):
        cli(srv.port, "FLUSHALL")


@pytest.mark.parametrize("mode", [[], ["--no-raw"], ["--raw"]], ids=["default", "no-raw", "raw"])
def test_one_shot_commands(oracle, redpy_server, clean, mode):
    for args in ONE_SHOT:
        want, got = both_cli(oracle, redpy_server, *mode, *args)
        assert (got.returncode, got.stdout, got.stderr) == (want.returncode, want.stdout, want.stderr), args


def test_one_shot_values_read_back(redpy_server, clean):
    assert cli(redpy_server.port, "SET", "cli:x", "hello").stdout == b"OK\n"
    assert cli(redpy_server.port, "GET", "cli:x").stdout == b"hello\n"
    assert cli(redpy_server.port, "--no-raw", "GET", "cli:x").stdout == b'"hello"\n'
    assert cli(redpy_server.port, "-x", "SET", "cli:y", stdin=b"from stdin").stdout == b"OK\n"
    assert cli(redpy_server.port, "GET", "cli:y").stdout == b"from stdin\n"
    assert cli(redpy_server.port, "-n", "2", "SET", "cli:db2", "x").stdout == b"OK\n"
    assert cli(redpy_server.port, "-n", "2", "GET", "cli:db2").stdout == b"x\n"
    assert cli(redpy_server.port, "GET", "cli:db2").stdout == b"\n"


def test_commands_from_stdin(oracle, redpy_server, clean):
    script = b"SET cli:s 1\nINCR cli:s\nGET cli:s\nPING\n"
    want, got = both_cli(oracle, redpy_server, stdin=script)
    assert got.stdout == want.stdout == b"OK\n2\n2\nPONG\n"


def test_repeat_and_interval(oracle, redpy_server, clean):
    want, got = both_cli(oracle, redpy_server, "-r", "5", "INCR", "cli:r")
    assert got.stdout == want.stdout == b"1\n2\n3\n4\n5\n"


def test_pipe_mode_mass_insert(redpy_server, clean):
    n = 3000
    data = b"".join(encode_request(["SET", f"cli:pipe:{i}", f"value-{i}"]) for i in range(n))
    res = cli(redpy_server.port, "--pipe", stdin=data, timeout=60)
    out = res.stdout.decode() + res.stderr.decode()
    assert res.returncode == 0, out
    assert f"errors: 0, replies: {n}" in out, out
    assert cli(redpy_server.port, "GET", "cli:pipe:2999").stdout == b"value-2999\n"
    assert cli(redpy_server.port, "GET", "cli:pipe:0").stdout == b"value-0\n"


def test_pipe_mode_counts_errors(oracle, redpy_server, clean):
    data = b"".join(
        encode_request(args)
        for args in [["SET", "cli:e", "x"], ["INCR", "cli:e"], ["NOSUCH"], ["SET", "cli:f", "1"], ["INCR", "cli:f"]]
    )
    want, got = both_cli(oracle, redpy_server, "--pipe", stdin=data)
    assert got.returncode == want.returncode == 1
    summary = re.compile(rb"errors: \d+, replies: \d+")
    assert summary.search(got.stdout).group() == summary.search(want.stdout).group() == b"errors: 2, replies: 5"


# --------------------------------------------------------------------------- interactive


PROMPT = re.compile(rb"127\.0\.0\.1:\d+(\[\d+\])?> $")
ANSWERED = re.compile(rb"\n[^\n]*127\.0\.0\.1:\d+(\[\d+\])?> $")


def interactive(port: int, lines: list[bytes], term: str, home: str) -> bytes:
    """Run redis-cli on a pty, type each line, and return everything it printed."""
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": term, "HOME": home}
    env.pop("REDISCLI_HISTFILE", None)
    proc = subprocess.Popen(
        [REDIS_CLI, "-h", "127.0.0.1", "-p", str(port)],
        stdin=slave, stdout=slave, stderr=slave, start_new_session=True, env=env,
    )
    os.close(slave)
    out = bytearray()

    def pump(seconds: float, until: re.Pattern | None = None, since: int = 0) -> None:
        end = time.time() + seconds
        while time.time() < end:
            if until is not None and until.search(out, since):
                return
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            out.extend(data)
            # linenoise asks where the cursor is (ESC [ 6 n) to learn the width of the
            # terminal: answer row 1, column 200 (a 200-column terminal).
            for _ in range(data.count(b"\x1b[6n")):
                os.write(master, b"\x1b[1;200R")

    try:
        pump(5, PROMPT)
        for line in lines:
            mark = len(out)
            os.write(master, line + b"\r")
            # Wait for the reply and the next prompt (or the end, after quit/exit).
            pump(5, ANSWERED, mark)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            out.extend(b"<KILLED>")
    finally:
        os.close(master)
    return bytes(out)


SESSION = [
    b"PING",
    b"SET cli:i hello",
    b"GET cli:i",
    b"INCR cli:i",
    b"MGET cli:i cli:nope",
    b"SELECT 3",
    b"SET cli:j 5",
    b"INCRBY cli:j 10",
    b"SELECT 0",
    b"NOSUCH arg",
    b'ECHO "quoted \\x41 arg"',
    b"help GET",
    b"quit",
]


@pytest.mark.parametrize("term", ["dumb", "xterm"])
def test_interactive_session(oracle, redpy_server, clean, tmp_path, term):
    want = interactive(oracle.port, SESSION, term, str(tmp_path))
    got = interactive(redpy_server.port, SESSION, term, str(tmp_path))
    want = want.replace(str(oracle.port).encode(), b"PORT")
    got = got.replace(str(redpy_server.port).encode(), b"PORT")
    assert b"<KILLED>" not in got, got
    # Landmarks first (a clearer failure message), then the whole transcript.
    for landmark in (b"127.0.0.1:PORT> ", b"PONG", b"OK", b'"hello"', b"127.0.0.1:PORT[3]> ",
                     b"(integer) 15", b"(error) ERR value is not an integer or out of range",
                     b'1) "hello"\r\n2) (nil)', b"(error) ERR unknown command 'NOSUCH'",
                     b'"quoted A arg"', b"Get the value of a key"):
        assert landmark in got, (landmark, got)
    assert got == want


def test_interactive_survives_missing_command_docs(redpy_server, tmp_path):
    # Whatever redpy answers to COMMAND DOCS (a table or an unknown command error),
    # interactive redis-cli must start, run commands and leave on "exit".
    out = interactive(redpy_server.port, [b"PING", b"exit"], "dumb", str(tmp_path))
    assert b"PONG" in out and b"<KILLED>" not in out, out
