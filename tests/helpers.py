"""Test helpers: start servers on free ports, talk raw RESP, read exactly one reply.

`Conn.call(*args)` sends one multibulk request and returns the reply's raw bytes, so tests
compare what Redis and redpy write byte for byte.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ORACLE_BINARY = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def encode_request(args) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = b"%d" % a
        parts.append(b"$%d\r\n%b\r\n" % (len(a), a))
    return b"".join(parts)


class Conn:
    """A raw RESP connection that returns replies as the exact bytes received."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def close(self) -> None:
        self.sock.close()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def call(self, *args) -> bytes:
        self.sock.sendall(encode_request(args))
        return self.read_reply()

    def pipeline(self, commands) -> list[bytes]:
        self.sock.sendall(b"".join(encode_request(c) for c in commands))
        return [self.read_reply() for _ in commands]

    def _fill(self) -> None:
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError("connection closed by server")
        self.buf += data

    def _line_end(self, pos: int) -> int:
        while True:
            end = self.buf.find(b"\r\n", pos)
            if end >= 0:
                return end
            self._fill()

    def _skip(self, pos: int) -> int:
        """Position just after the complete reply starting at pos."""
        end = self._line_end(pos)
        t = self.buf[pos : pos + 1]
        head = self.buf[pos + 1 : end]
        if t in (b"+", b"-", b":", b",", b"_", b"#", b"("):
            return end + 2
        if t in (b"$", b"=", b"!"):
            n = int(head)
            if n < 0:
                return end + 2
            stop = end + 2 + n + 2
            while len(self.buf) < stop:
                self._fill()
            return stop
        if t in (b"*", b"~", b">", b"%", b"|"):
            n = int(head)
            if n < 0:
                return end + 2
            if t in (b"%", b"|"):
                n *= 2
            p = end + 2
            for _ in range(n):
                p = self._skip(p)
            if t == b"|":  # an attribute precedes the real reply
                p = self._skip(p)
            return p
        raise ValueError(f"bad reply type {self.buf[pos:pos + 20]!r}")

    def read_reply(self) -> bytes:
        if not self.buf:
            self._fill()
        end = self._skip(0)
        reply, self.buf = self.buf[:end], self.buf[end:]
        return reply

    def read_available(self, wait: float = 0.2) -> bytes:
        """Everything that arrives within `wait` seconds (b"<CLOSED>" appended on EOF)."""
        self.sock.settimeout(wait)
        out = self.buf
        self.buf = b""
        try:
            while True:
                data = self.sock.recv(1 << 20)
                if not data:
                    return out + b"<CLOSED>"
                out += data
        except (socket.timeout, TimeoutError):
            return out
        finally:
            self.sock.settimeout(10.0)


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


_CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT, signal.SIGFPE, signal.SIGILL}


class ServerProcess:
    """A redis-server (the oracle) or redpy-server subprocess on a free port."""

    def __init__(self, kind: str, *extra: str):
        self.kind = kind
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix=f"{kind}-")
        # REDPY_TEST_APPENDONLY=yes runs every test server (both kinds) with the AOF on
        common = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                  "--appendonly", os.environ.get("REDPY_TEST_APPENDONLY", "no"),
                  "--dir", self.dir, "--enable-debug-command", "yes", *extra]
        if kind == "oracle":
            cmd = [ORACLE_BINARY, *common]
        else:
            cmd = [sys.executable, "-m", "redpy", *common]
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)
        wait_for_port(self.port, self.proc)

    def conn(self) -> Conn:
        return Conn(self.port)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if self.proc.returncode is not None and -self.proc.returncode in _CRASH_SIGNALS:
            # the server died of a signal (a crash): keep its log, and show its end
            kept = os.path.join(tempfile.gettempdir(), f"{self.kind}-crash-{self.proc.pid}.log")
            shutil.copy(os.path.join(self.dir, "server.log"), kept)
            with open(kept, "rb") as f:
                tail = f.read()[-6000:].decode(errors="replace")
            sys.__stderr__.write(
                f"\n{self.kind} (pid {self.proc.pid}) died of signal {-self.proc.returncode}; log kept in {kept}:\n{tail}\n"
            )
        shutil.rmtree(self.dir, ignore_errors=True)

    def alive(self) -> bool:
        return self.proc.poll() is None
