"""Run a redpy server inside the calling Python process, on a background thread.

    with redpy.EmbeddedServer() as srv:          # port 0: a free port is chosen
        r = redis.Redis.from_url(srv.url)

The server runs its own event loop on a daemon thread; `stop()` shuts it down and joins
the thread. Options are redis.conf directives with '_' for '-' (appendonly="yes").
"""

from __future__ import annotations

import asyncio
import threading

from . import commands  # noqa: F401  (registers every command)
from .cli import build_config
from .server import Server, event_loop_policy


class EmbeddedServer:
    def __init__(self, port: int = 0, host: str = "127.0.0.1", **directives):
        args = ["--port", str(port), "--bind", host, "--save", "", "--appendonly", "no"]
        for name, value in directives.items():
            args += ["--" + name.replace("_", "-"), str(value)]
        self.config = build_config(args)
        self.host = host
        self.server: Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> "EmbeddedServer":
        self._thread = threading.Thread(target=self._run, name="redpy-embedded", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def _run(self) -> None:
        policy = event_loop_policy()
        loop = policy.new_event_loop() if policy is not None else asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self.server = Server(self.config)
        self.server.ephemeral_port = self.config.port == 0

        async def main():
            try:
                await self.server.start()
            except BaseException as e:  # reported to the starting thread
                self._error = e
                self._ready.set()
                return
            self._ready.set()
            await self.server.wait_closed()

        try:
            loop.run_until_complete(main())
        finally:
            loop.close()

    def stop(self) -> None:
        if self.server is not None and self.server.loop is not None and self._thread is not None:
            self.server.loop.call_soon_threadsafe(self.server.request_shutdown, "nosave")
            self._thread.join(10)
        self._thread = None

    def __enter__(self) -> "EmbeddedServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
