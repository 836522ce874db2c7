"""Serving other clients while a script runs past busy-reply-threshold (Redis's
processEventsWhileBlocked, as scriptInterrupt calls it).

A script runs synchronously inside its handler, so the event loop is blocked while it
runs. The Lua VM has a count hook (every 100000 instructions, as luaMaskCountHook);
once the script has run for busy-reply-threshold milliseconds the engine calls
`enter()` and then, at every hook, `process_events()`:

- every client's socket except the caller's (Redis protects the caller: its input is
  not read until the script ends) is polled without waiting; the bytes read go to the
  client's own `data_received`, so the parser's buffer, the backlog of a blocked
  client and CLIENT REPLY state stay exactly as if the loop had delivered them. While
  `server.busy_script` is set every client has `gate` set, so dispatch's
  `_check_context` answers BUSY to the commands without the allow-busy flag (in
  processCommand's order: after the pub/sub context check, before MULTI queueing).
  Replies go out through the transport's write, which writes at once when the socket
  accepts it.
- the TCP and unix listeners are polled too: a connection accepted meanwhile gets a
  `HeldTransport` that writes to the socket directly; when the script ends, `leave()`
  hands each socket to the loop (connect_accepted_socket), and the Client keeps its
  state (Client.connection_made adopts the loop's transport).
- a socket at EOF or in error is left alone (the loop sees the EOF again once it runs);
  a held connection that closes is closed here.

TLS connections cannot be read beside their SSL transport: their requests wait, and
run once the script ends. So does a connection the loop accepted in the same iteration
as the script's request but had not yet announced (asyncio calls connection_made with
call_soon, and the loop is blocked): it is served when the script ends. Nothing here
runs while no script is past the threshold.
"""

from __future__ import annotations

import asyncio
import logging
import os
import select
import socket

log = logging.getLogger("redpy")

_READ_SIZE = 16 * 1024
_MAX_ACCEPTS = 100


class HeldTransport(asyncio.Transport):
    """The transport of a connection accepted while the loop is blocked by a script."""

    def __init__(self, sock: socket.socket, unix: bool):
        super().__init__()
        self.sock = sock
        self.unix = unix
        self.pending = bytearray()
        self.closing = False
        self.finished = False
        try:
            self.peer = sock.getpeername()
            self.local = sock.getsockname()
        except OSError:
            self.peer = self.local = None

    def get_extra_info(self, name, default=None):
        if name == "socket":
            return self.sock
        if name == "peername":
            return self.peer
        if name == "sockname":
            return self.local
        return default

    def write(self, data) -> None:
        if self.closing and self.finished:
            return
        if self.pending:
            self.pending += data
            self.try_write()
            return
        try:
            n = self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            n = 0
        except OSError:
            self.closing = True
            return
        if n < len(data):
            self.pending += data[n:]

    def try_write(self) -> None:
        if not self.pending:
            return
        try:
            n = self.sock.send(self.pending)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.pending.clear()
            self.closing = True
            return
        del self.pending[:n]

    def get_write_buffer_size(self) -> int:
        return len(self.pending)

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.pending.clear()
        self.closing = True


class BusyState:
    """What process_events polls: client fds and listening sockets."""

    __slots__ = ("ctx", "poller", "key", "fds", "listeners", "held", "dead")

    def __init__(self, ctx):
        self.ctx = ctx
        self.poller = None
        self.key = None
        self.fds: dict = {}  # fd -> Client
        self.listeners: dict = {}  # fd -> (socket, unix)
        self.held: list = []  # Clients accepted meanwhile (HeldTransport)
        self.dead: set = set()  # fds at EOF or in error


def enter(server, ctx) -> None:
    """The script crossed busy-reply-threshold (enterScriptTimedoutMode)."""
    state = BusyState(ctx)
    for srv in server.listeners:
        if srv in server.tls_listeners:
            continue
        for s in srv.sockets or ():
            try:
                fd = os.dup(s.fileno())
                lsock = socket.socket(s.family, s.type, fileno=fd)
                lsock.setblocking(False)
            except OSError:
                continue
            state.listeners[lsock.fileno()] = (lsock, s.family == socket.AF_UNIX)
    server.busy_script = ctx
    server.busy_state = state
    for c in server.clients.values():
        c.gate = True


def leave(server) -> None:
    """The script is over: back to normal dispatch; the loop takes the held sockets."""
    state = server.busy_state
    server.busy_script = None
    server.busy_state = None
    if state is None:
        return
    for lsock, _ in state.listeners.values():
        lsock.close()
    for c in list(server.clients.values()):
        c.update_gate()
    loop = server.loop
    for c in state.held:
        t = c.transport
        if not isinstance(t, HeldTransport):
            continue
        if t.closing or loop is None or server.shutdown_requested is not None:
            _finish_held(c, t)
        else:
            loop.create_task(_adopt(loop, c, t))


async def _adopt(loop, c, t: HeldTransport) -> None:
    try:
        await loop.connect_accepted_socket(lambda: c, t.sock)
    except Exception:
        log.exception("could not hand a connection accepted during a busy script to the loop")
        _finish_held(c, t)


def _finish_held(c, t: HeldTransport) -> None:
    if t.finished:
        return
    t.try_write()
    t.finished = t.closing = True
    try:
        t.sock.close()
    except OSError:
        pass
    if not c.closed:
        c.connection_lost(None)


def _rebuild(server, state: BusyState) -> None:
    caller = state.ctx.c
    poller = select.poll()
    fds = {}
    for c in server.clients.values():
        t = c.transport
        if c is caller or c.closed or t is None or t.is_closing():
            continue
        if isinstance(t, HeldTransport):
            fd = t.sock.fileno()
        else:
            if t.get_extra_info("ssl_object") is not None:
                continue
            fd = c.fd
        if fd < 0 or fd in state.dead:
            continue
        fds[fd] = c
        poller.register(fd, select.POLLIN)
    for fd in state.listeners:
        poller.register(fd, select.POLLIN)
    state.poller = poller
    state.fds = fds
    state.key = (server.next_client_id, len(server.clients))


def process_events(server) -> None:
    """Serve what is readable now, without waiting (processEventsWhileBlocked)."""
    state = server.busy_state
    if state is None:
        return
    if state.key != (server.next_client_id, len(server.clients)):
        _rebuild(server, state)
    try:
        events = state.poller.poll(0)
    except OSError:
        return
    if not events:
        return
    saved_current = server.current_client
    changed = False
    try:
        for fd, _ in events:
            if fd in state.listeners:
                try:
                    _accept(server, state, fd)
                except Exception:
                    log.exception("error accepting a client while a script is busy")
                changed = True
                continue
            c = state.fds.get(fd)
            if c is None or c.closed:
                continue
            t = c.transport
            try:
                data = os.read(fd, _READ_SIZE)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:
                changed = True
                if isinstance(t, HeldTransport):
                    _finish_held(c, t)  # closed here: its fd number may come back
                else:
                    state.dead.add(fd)  # the loop closes it later
                continue
            c.gate = True
            try:
                c.data_received(data)
                # its replies (BUSY...) now: the loop's write_before_sleep waits for the script
                server.flush_pending()
            except Exception:  # never into the script: it would die of it
                log.exception("error serving a client while a script is busy")
            c.gate = True  # a command may have recomputed it (MULTI, RESET, ...)
            if isinstance(t, HeldTransport):
                if t.closing:
                    _finish_held(c, t)
                    changed = True
                else:
                    t.try_write()
            elif t.is_closing():
                changed = True
    finally:
        server.current_client = saved_current
    if changed:
        state.key = None


def _accept(server, state: BusyState, fd: int) -> None:
    from .connection import Client

    lsock, unix = state.listeners[fd]
    for _ in range(_MAX_ACCEPTS):
        try:
            sock, _addr = lsock.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            log.warning("Accepting client connection: %s", e)
            return
        sock.setblocking(False)
        c = Client(server, unix=unix)
        t = HeldTransport(sock, unix)
        c.connection_made(t)
        if c.id and not t.closing:
            c.gate = True
            state.held.append(c)
        else:
            _finish_held(c, t)
