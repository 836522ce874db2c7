"""One client connection: an asyncio.Protocol plus Redis's per-client state.

The hot path is `data_received`: feed the parser, run every complete request through
`dispatch.process_command`, and write all replies with one `transport.write`. Replies are
appended as encoded bytes to `self.out` by `reply()`; nothing else writes to the socket.

A client that blocks (BLPOP, CLIENT PAUSE) stops processing; the requests after the one
that blocked wait in `self.backlog` and run, in order, when it is released (`resume`).
"""

from __future__ import annotations

import asyncio
import logging
import operator
import os
import socket
import time
from typing import TYPE_CHECKING

from . import dispatch
from .errors import CommandError, ProtocolError
from .resp import RequestParser, encode, hiredis

# The C fast path of the parser (see RequestParser.parse_fast); tests turn it off to
# check that both paths agree.
FAST_PARSE = hiredis is not None and not os.environ.get("REDPY_NO_HIREDIS")

if TYPE_CHECKING:
    from .server import Server

log = logging.getLogger("redpy")

# CLIENT REPLY modes. SKIP_NEXT is set by CLIENT REPLY SKIP and becomes SKIP once that
# command is done; SKIP drops the replies of the next request and then turns back to ON
# (Redis's resetClient). Replies are dropped in OFF and SKIP; pushes never are.
REPLY_ON, REPLY_OFF, REPLY_SKIP_NEXT, REPLY_SKIP = 0, 1, 2, 3


def flag_property(name: str, update: str, doc: str) -> property:
    """An attribute kept in `_<name>` whose setter then calls the method `update`, which
    recomputes a flag the hot path tests instead (Client.gate, Server.hooked)."""
    slot = "_" + name
    recompute = operator.methodcaller(update)

    def set_(self, value) -> None:
        setattr(self, slot, value)
        recompute(self)

    return property(operator.attrgetter(slot), set_, doc=doc)


def _gated(name: str, doc: str) -> property:
    return flag_property(name, "update_gate", doc)


class Client(asyncio.Protocol):
    __slots__ = (
        "server",
        "transport",
        "parser",
        "out",
        "id",
        "name",
        "lib_name",
        "lib_ver",
        "db",
        "proto",
        "_authenticated",
        "_multi",
        "gate",
        "user",
        "addr",
        "laddr",
        "fd",
        "kind",
        "ctime",
        "last_interaction",
        "last_cmd",
        "_reply_mode",
        "_close_after_reply",
        "closed",
        "backlog",
        "_blocked",
        "_paused",
        "multi_dirty",
        "in_exec",
        "dirty_cas",
        "watched_keys",
        "subscriptions",
        "psubscriptions",
        "ssubscriptions",
        "monitor",
        "no_evict",
        "no_touch",
        "tracking",
        "flags_extra",
        "argv_mem",
        "tot_net_in",
        "obuf_soft_since",
        "tot_net_out",
        "tot_cmds",
        "unix",
    )

    def __init__(self, server: "Server", unix: bool = False):
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.parser = RequestParser(server.config.proto_max_bulk_len)
        self.out: list[bytes] = []
        self.id = 0
        self.name = b""
        self.lib_name = b""
        self.lib_ver = b""
        self.db = server.dbs[0]
        self.proto = 2
        self.gate = False  # see update_gate
        self._authenticated = True
        self._multi: list | None = None  # queued (cmd, argv) while in MULTI
        self.user = "default"
        self.addr = ""
        self.laddr = ""
        self.fd = -1
        self.kind = "normal"
        self.ctime = time.time()
        self.last_interaction = self.ctime
        self.last_cmd = None  # the last Command looked up (CLIENT LIST cmd=), None before any
        self._reply_mode = REPLY_ON
        self._close_after_reply = False
        self.closed = False
        self.backlog: list[list[bytes]] = []
        self._blocked = None  # the blocking state object while blocked
        self._paused = False
        self.multi_dirty = False  # a queued command was rejected: EXEC answers EXECABORT
        self.in_exec = False  # running EXEC's queue: blocking commands must not block
        self.dirty_cas = False  # a WATCHed key was modified: EXEC answers null
        self.watched_keys: list = []  # (db, key)
        # dicts used as ordered sets of channel names (see pubsub.py)
        self.subscriptions: dict[bytes, None] = {}
        self.psubscriptions: dict[bytes, None] = {}
        self.ssubscriptions: dict[bytes, None] = {}
        self.monitor = False
        self.no_evict = False
        self.no_touch = False
        self.tracking = None
        self.flags_extra = ""
        self.argv_mem = 0
        self.tot_net_in = 0
        self.obuf_soft_since = 0.0
        self.tot_net_out = 0
        self.tot_cmds = 0
        self.unix = unix

    # ------------------------------------------------------------------ asyncio

    def connection_made(self, transport) -> None:
        if self.transport is not None:
            # accepted while a script was busy (busy.HeldTransport): the loop now owns
            # the socket; the client keeps its state and its unsent output
            self._adopt(transport)
            return
        self.transport = transport
        server = self.server
        sock = transport.get_extra_info("socket")
        if sock is not None:
            self.fd = sock.fileno()
            if not self.unix:
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except OSError:
                    pass
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        if self.unix:
            self.addr = f"{server.config.unixsocket}:0"
            self.laddr = self.addr
        else:
            self.addr = _format_addr(peer)
            self.laddr = _format_addr(local)
        server.client_connected(self)

    def _adopt(self, transport) -> None:
        held, self.transport = self.transport, transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            self.fd = sock.fileno()
        if held.pending:
            data = bytes(held.pending)
            held.pending.clear()
            transport.write(data)
        if held.closing:
            transport.close()

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.server.client_disconnected(self)

    def data_received(self, data: bytes) -> None:
        self.tot_net_in += len(data)
        self.last_interaction = time.time()
        parser = self.parser
        error = None
        requests = None
        if FAST_PARSE and data[0] == 42 and not parser.buf and parser.argv is None and not parser.auth_required:
            requests = parser.parse_fast(data)
        if requests is not None:
            self._queue_or_run(requests)
        else:
            parser.feed(data)
            if parser.auth_required:
                error = self._run_unauthenticated()
            else:
                try:
                    requests = parser.parse()
                except ProtocolError as e:
                    requests = parser.pending
                    error = e
                if requests:
                    self._queue_or_run(requests)
        if error is not None:
            self.protocol_error(str(error))
        elif parser.buffered() > self.server.config.client_query_buffer_limit:
            log.warning("Closing client that reached max query buffer length: id=%d addr=%s", self.id, self.addr)
            self.flush()
            self.close()
            return
        self.server.write_before_sleep(self)

    def _run(self, requests: list[list[bytes]]) -> None:
        """Run requests in order until one blocks, pauses or closes the client (the
        rest then wait in self.backlog); see dispatch.run_requests."""
        dispatch.run_requests(self, requests)

    def _run_unauthenticated(self) -> ProtocolError | None:
        """Parse and run one request at a time until the client is authenticated.

        Redis applies its unauthenticated size limits while parsing, so an AUTH followed
        by a large request in the same read must run before that request is parsed.
        """
        parser = self.parser
        while True:
            parser.auth_required = not self.authenticated and self.server.default_user_needs_auth()
            try:
                requests = parser.parse(limit=1 if parser.auth_required else None)
            except ProtocolError as e:
                if parser.pending:
                    self._queue_or_run(parser.pending)
                return e
            if not requests:
                return None
            self._queue_or_run(requests)
            if self.close_after_reply:
                return None

    def _queue_or_run(self, requests) -> None:
        if self.backlog or (self.gate and (self._blocked is not None or self._paused)):
            self.backlog.extend(requests)
        else:
            self._run(requests)

    def resume(self) -> None:
        """Run the requests that waited while the client was blocked or paused."""
        while self.backlog and self.blocked is None and not self.paused and not self.close_after_reply:
            requests, self.backlog = self.backlog, []
            self._run(requests)
        self.flush()

    # ------------------------------------------------------------------ replies

    def reply(self, value) -> None:
        """Queue one reply (any handler return value), honouring CLIENT REPLY."""
        mode = self._reply_mode
        if mode == REPLY_ON or mode == REPLY_SKIP_NEXT:
            self.out.append(encode(value, self.proto))

    def request_done(self) -> None:
        """After each request (resetClient): advance CLIENT REPLY SKIP's state."""
        if self.reply_mode == REPLY_SKIP:
            self.reply_mode = REPLY_ON
        elif self.reply_mode == REPLY_SKIP_NEXT:
            self.reply_mode = REPLY_SKIP

    def push(self, value) -> None:
        """Queue an out-of-band message (pub/sub, invalidation) regardless of CLIENT REPLY."""
        self.out.append(encode(value, self.proto))

    def flush(self) -> None:
        out = self.out
        if out and self.transport is not None and not self.closed:
            if self.server.aof_buf:
                # the AOF is written (fsynced with appendfsync always) before replies
                self.server.aof_flush()
            data = out[0] if len(out) == 1 else b"".join(out)
            out.clear()
            self.tot_net_out += len(data)
            transport = self.transport
            transport.write(data)
            if self._close_after_reply:
                self.close()
            elif transport.get_write_buffer_size():
                self._check_output_limits(transport.get_write_buffer_size())
        elif out:
            out.clear()
        elif self._close_after_reply:
            self.close()

    def _check_output_limits(self, pending: int) -> None:
        """client-output-buffer-limit: close a client whose unsent output is too large.

        The hard limit closes at once; the soft limit when exceeded for soft-seconds
        continuously (checkClientOutputBufferLimits).
        """
        kind = "pubsub" if (self.subscriptions or self.psubscriptions or self.ssubscriptions) else "normal"
        if self.kind == "replica":
            kind = "slave"
        hard, soft, seconds = self.server.config.client_output_buffer_limit[kind]
        now = time.monotonic()
        over = hard and pending >= hard
        if not over and soft and pending >= soft:
            if not self.obuf_soft_since:
                self.obuf_soft_since = now
            elif now - self.obuf_soft_since >= seconds:
                over = True
        elif not over:
            self.obuf_soft_since = 0.0
        if over:
            log.warning(
                "Client id=%d addr=%s closed for overcoming of output buffer limits.", self.id, self.addr
            )
            self.closed = True
            self.transport.abort()

    def protocol_error(self, message: str) -> None:
        """Reply -ERR Protocol error: ... and close once it is written."""
        # The message may quote the offending byte: written raw, as latin-1 keeps it.
        self.out.append(b"-ERR Protocol error: %s\r\n" % message.encode("latin-1"))
        self.server.stat_error(b"ERR")
        self.close_after_reply = True

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    # ------------------------------------------------------------------ state

    # dispatch's fast path serves a client only while `gate` is false: it skips the
    # per-state checks (auth, MULTI, subscribed context, a busy script) and the ones
    # after each request (CLIENT REPLY, blocked, paused, closing). Setting
    # `authenticated`, `multi`, `reply_mode`, `blocked`, `paused` or
    # `close_after_reply` updates it; code that changes the subscriptions must call
    # update_gate() afterwards.

    def update_gate(self) -> None:
        self.gate = (
            not self._authenticated
            or self._multi is not None
            or bool(self.subscriptions or self.psubscriptions or self.ssubscriptions)
            or self.server.busy_script is not None
            or self._reply_mode != REPLY_ON
            or self._blocked is not None
            or self._paused
            or self._close_after_reply
        )

    reply_mode = _gated("reply_mode", "CLIENT REPLY's mode: REPLY_ON, REPLY_OFF, REPLY_SKIP_NEXT or REPLY_SKIP.")
    blocked = _gated("blocked", "The blocking state object while blocked (blocking.py), None otherwise.")
    paused = _gated("paused", "True while CLIENT PAUSE holds this client.")
    close_after_reply = _gated("close_after_reply", "Close the connection once the pending replies are written.")
    authenticated = _gated("authenticated", "False until AUTH/HELLO succeeds where the default user needs it.")
    multi = _gated("multi", "The queued (cmd, argv) pairs while in MULTI, None otherwise.")

    def allows_protected(self, setting: str) -> bool:
        """allowProtectedAction: enable-debug-command & co. are no / yes / local."""
        if setting == "yes":
            return True
        if setting == "local":
            return self.unix or self.addr.rsplit(":", 1)[0] in ("127.0.0.1", "::1", "::ffff:127.0.0.1")
        return False

    def select(self, index: int) -> None:
        if index < 0 or index >= len(self.server.dbs):
            raise CommandError("ERR DB index is out of range")
        self.db = self.server.dbs[index]

    def __repr__(self) -> str:
        return f"<Client id={self.id} addr={self.addr}>"


def _format_addr(addr) -> str:
    """anetFormatAddr: host:port, with IPv6 hosts in brackets."""
    if not addr:
        return "?:0"
    host, port = addr[0], addr[1]
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"
