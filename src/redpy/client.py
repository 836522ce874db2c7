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
import socket
import time
from typing import TYPE_CHECKING

from . import dispatch
from .errors import CommandError, ProtocolError
from .resp import RequestParser, encode

if TYPE_CHECKING:
    from .server import Server

log = logging.getLogger("redpy")

# CLIENT REPLY modes
REPLY_ON, REPLY_OFF, REPLY_SKIP_NEXT, REPLY_SKIP = 0, 1, 2, 3


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
        "authenticated",
        "user",
        "addr",
        "laddr",
        "fd",
        "kind",
        "ctime",
        "last_interaction",
        "last_cmd",
        "cur_cmd",
        "reply_mode",
        "close_after_reply",
        "closed",
        "backlog",
        "blocked",
        "paused",
        "multi",
        "multi_dirty",
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
        self.authenticated = True
        self.user = "default"
        self.addr = ""
        self.laddr = ""
        self.fd = -1
        self.kind = "normal"
        self.ctime = time.time()
        self.last_interaction = self.ctime
        self.last_cmd = b"NULL"
        self.cur_cmd = None
        self.reply_mode = REPLY_ON
        self.close_after_reply = False
        self.closed = False
        self.backlog: list[list[bytes]] = []
        self.blocked = None  # the blocking state object while blocked
        self.paused = False
        self.multi: list | None = None  # queued (cmd, argv) while in MULTI
        self.multi_dirty = False  # a queued command was rejected: EXEC answers EXECABORT
        self.dirty_cas = False  # a WATCHed key was modified: EXEC answers null
        self.watched_keys: list = []  # (db, key)
        self.subscriptions: set[bytes] = set()
        self.psubscriptions: set[bytes] = set()
        self.ssubscriptions: set[bytes] = set()
        self.monitor = False
        self.no_evict = False
        self.no_touch = False
        self.tracking = None
        self.flags_extra = ""
        self.argv_mem = 0
        self.tot_net_in = 0
        self.tot_net_out = 0
        self.tot_cmds = 0
        self.unix = unix

    # ------------------------------------------------------------------ asyncio

    def connection_made(self, transport) -> None:
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

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.server.client_disconnected(self)

    def data_received(self, data: bytes) -> None:
        self.tot_net_in += len(data)
        self.last_interaction = time.time()
        parser = self.parser
        parser.feed(data)
        error = None
        try:
            requests = parser.parse()
        except ProtocolError as e:
            requests = parser.pending
            error = e
        if self.backlog or self.blocked is not None or self.paused:
            self.backlog.extend(requests)
        else:
            self._run(requests)
        if error is not None:
            self.protocol_error(str(error))
        elif parser.buffered() > self.server.config.client_query_buffer_limit:
            log.warning("Closing client that reached max query buffer length: id=%d addr=%s", self.id, self.addr)
            self.flush()
            self.close()
            return
        self.flush()

    def _run(self, requests: list[list[bytes]]) -> None:
        process = dispatch.process_command
        for i, argv in enumerate(requests):
            if self.close_after_reply:
                return
            process(self, argv)
            if self.blocked is not None or self.paused:
                self.backlog.extend(requests[i + 1 :])
                return

    def resume(self) -> None:
        """Run the requests that waited while the client was blocked or paused."""
        while self.backlog and self.blocked is None and not self.paused and not self.close_after_reply:
            requests, self.backlog = self.backlog, []
            self._run(requests)
        self.flush()

    # ------------------------------------------------------------------ replies

    def reply(self, value) -> None:
        """Queue one reply (any handler return value), honouring CLIENT REPLY."""
        if self.reply_mode == REPLY_ON:
            self.out.append(encode(value, self.proto))
        elif self.reply_mode == REPLY_SKIP:
            self.reply_mode = REPLY_ON

    def push(self, value) -> None:
        """Queue an out-of-band message (pub/sub, invalidation) regardless of CLIENT REPLY."""
        self.out.append(encode(value, self.proto))

    def flush(self) -> None:
        out = self.out
        if out and self.transport is not None and not self.closed:
            data = out[0] if len(out) == 1 else b"".join(out)
            out.clear()
            self.tot_net_out += len(data)
            self.transport.write(data)
            if self.close_after_reply:
                self.close()
        elif out:
            out.clear()
        elif self.close_after_reply:
            self.close()

    def protocol_error(self, message: str) -> None:
        """Reply -ERR Protocol error: ... and close once it is written."""
        self.out.append(b"-ERR Protocol error: %s\r\n" % message.encode())
        self.server.stat_error(b"ERR")
        self.close_after_reply = True

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    # ------------------------------------------------------------------ state

    def select(self, index: int) -> None:
        if index < 0 or index >= len(self.server.dbs):
            raise CommandError("ERR DB index is out of range")
        self.db = self.server.dbs[index]

    def flags_string(self) -> str:
        """The `flags=` field of CLIENT LIST (Redis's letters, 'N' when none)."""
        flags = ""
        if self.kind == "replica":
            flags += "S"
        if self.monitor:
            flags += "O"
        if self.multi is not None:
            flags += "x"
        if self.blocked is not None:
            flags += "b"
        if self.tracking is not None:
            flags += "t"
        if self.dirty_cas:
            flags += "d"
        if self.close_after_reply:
            flags += "c"
        if self.unix:
            flags += "U"
        if self.subscriptions or self.psubscriptions or self.ssubscriptions:
            flags += "P"
        if self.no_evict:
            flags += "e"
        if self.no_touch:
            flags += "T"
        flags += self.flags_extra
        return flags or "N"

    def __repr__(self) -> str:
        return f"<Client id={self.id} addr={self.addr}>"


def _format_addr(addr) -> str:
    if not addr:
        return "?:0"
    host, port = addr[0], addr[1]
    return f"{host}:{port}"
