"""Client-side caching (Redis's tracking.c): CLIENT TRACKING state and invalidation.

Two modes, as in Redis:
- default: after a read-only command the keys it named are remembered in
  `server.tracking_table` (key -> {client id: None}); when a key changes
  (`Database.signal_modified` -> `server.tracking_invalidate`) every remembered client
  gets an invalidation message and the key is forgotten until read again.
- BCAST: clients subscribe to key prefixes ("" = every key); changed keys matching a
  prefix are collected and sent once per prefix after the current batch of commands
  (Redis does it in beforeSleep).

Messages are RESP3 pushes `>2 invalidate [keys]` (a null instead of keys after a flush),
or, to a RESP2 REDIRECT target in pub/sub mode, a `message` on `__redis__:invalidate`.
An invalidation caused by the tracking client's own command is queued and sent after
that command's reply (`after_command`), as Redis 7.0's tracking_pending_keys.

Invariants: `server.tracking_clients` counts clients with tracking on; dispatch calls
`after_command` only when it is non-zero, and sets `server.current_client` around each
command then. The table object is truthy while keys are tracked or a BCAST prefix exists,
so that `signal_modified` costs one truth test otherwise.
"""

from __future__ import annotations

import random
from functools import partial

from .keyspecs import keys_of

_CHANNEL_MSG = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
_PUSH_INVALIDATE = b">2\r\n$10\r\ninvalidate\r\n"
_NO_CACHING_PROCS = frozenset(("eval_ro", "evalsha_ro", "fcall_ro"))


class Tracking:
    """A client's tracking state (c.tracking; None when tracking is off)."""

    __slots__ = ("redirect", "bcast", "optin", "optout", "noloop", "caching", "broken_redirect", "prefixes")

    def __init__(self):
        self.redirect = 0
        self.bcast = False
        self.optin = False
        self.optout = False
        self.noloop = False
        self.caching = False
        self.broken_redirect = False
        self.prefixes: list[bytes] = []


class BcastState:
    __slots__ = ("keys", "clients")

    def __init__(self):
        self.keys: dict[bytes, object] = {}  # changed key -> the client that changed it
        self.clients: dict = {}


class TrackingTable(dict):
    """key -> {client id: None}; also holds the BCAST prefixes."""

    def __init__(self):
        super().__init__()
        self.prefixes: dict[bytes, BcastState] = {}
        self.broadcast_scheduled = False

    def __bool__(self):
        return bool(self.prefixes) or dict.__len__(self) > 0


def install(server) -> TrackingTable:
    """Replace the server's no-op hooks by this module's, once."""
    table = server.tracking_table
    if isinstance(table, TrackingTable):
        return table
    table = TrackingTable()
    server.tracking_table = table
    server.tracking_invalidate = partial(invalidate_key, server)
    server.tracking_disable = partial(disable, server)
    return table


# ---------------------------------------------------------------------- enable / disable


def enable(server, c, redirect: int, bcast: bool, optin: bool, optout: bool, noloop: bool, prefixes) -> None:
    table = install(server)
    t = c.tracking
    if t is None:
        t = c.tracking = Tracking()
        server.tracking_clients += 1
    t.broken_redirect = False
    t.redirect = redirect
    if bcast:
        t.bcast = True
        for p in prefixes or [b""]:
            state = table.prefixes.get(p)
            if state is None:
                state = table.prefixes[p] = BcastState()
                server.signals_on = True
            state.clients[c] = None
            if p not in t.prefixes:
                t.prefixes.append(p)
        t.prefixes.sort()
    else:
        t.bcast = False
    t.optin, t.optout, t.noloop = optin, optout, noloop


def disable(server, c) -> None:
    """disableTracking: default-mode keys stay in the table (skipped when sent)."""
    t = c.tracking
    if t is None:
        return
    table = server.tracking_table
    if t.bcast and isinstance(table, TrackingTable):
        for p in t.prefixes:
            state = table.prefixes.get(p)
            if state is not None:
                state.clients.pop(c, None)
                if not state.clients:
                    del table.prefixes[p]
    c.tracking = None
    server.tracking_clients -= 1


def prefix_overlap_error(t, prefixes: list[bytes]):
    """checkPrefixCollisionsOrReply: (error text, whether tracking is still enabled).

    Redis returns the index of the prefix on a collision between two given prefixes, so
    for any but the first one the error is sent and tracking is enabled anyway (+OK too).
    """
    for i, p in enumerate(prefixes):
        if t is not None:
            for old in t.prefixes:
                if _overlap(old, p):
                    return (
                        "ERR Prefix '%s' overlaps with an existing prefix '%s'. "
                        "Prefixes for a single client must not overlap." % (_s(p), _s(old)),
                        False,
                    )
        for q in prefixes[i + 1 :]:
            if _overlap(p, q):
                return (
                    "ERR Prefix '%s' overlaps with another provided prefix '%s'. "
                    "Prefixes for a single client must not overlap." % (_s(p), _s(q)),
                    i != 0,
                )
    return None, True


def _overlap(a: bytes, b: bytes) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def _s(b: bytes) -> str:
    # the error formats the prefix with %s: it stops at a NUL byte
    return b.split(b"\0", 1)[0].decode("latin-1")


# ---------------------------------------------------------------------- remembering keys


def after_command(c, cmd, argv) -> None:
    """After a command and its reply: remember the keys it read, send this client's
    pending invalidations, reset CLIENT CACHING, enforce tracking-table-max-keys."""
    server = c.server
    server.current_client = None
    t = c.tracking
    if t is not None:
        remember(c, cmd, argv)
        # resetClient: CACHING lasts for one command (or one transaction)
        if t.caching and c.multi is None and not cmd.fullname.startswith("client|"):
            t.caching = False
    pending = server.tracking_pending
    if pending:
        server.tracking_pending = []
        if c.tracking is not None:
            for key in pending:
                send(server, c, _null(c) if key is None else _keys_proto([key]))
    limit_table(server)


def remember(c, cmd, argv) -> None:
    """trackingRememberKeys, for a read-only command run by a tracking client."""
    t = c.tracking
    if t is None or t.bcast or "readonly" not in cmd.flags or cmd.fullname in _NO_CACHING_PROCS:
        return
    if (t.optin and not t.caching) or (t.optout and t.caching):
        return
    keys = keys_of(argv)
    if not keys:
        return
    table = c.server.tracking_table
    c.server.signals_on = True
    cid = c.id
    for key in keys:
        ids = table.get(key)
        if ids is None:
            table[key] = {cid: None}
        else:
            ids[cid] = None


def limit_table(server) -> None:
    """trackingLimitUsedSlots: forget random keys (invalidating them) over the limit."""
    table = server.tracking_table
    max_keys = server.config.tracking_table_max_keys
    if not max_keys or dict.__len__(table) <= max_keys:
        return
    while dict.__len__(table) > max_keys:
        # Redis picks keys by a random walk; a random pick costs a copy of the keys
        # here, so large tables give up their oldest key instead.
        key = random.choice(list(table)) if dict.__len__(table) <= 1024 else next(iter(table))
        invalidate_key(server, key, from_command=False)


# ---------------------------------------------------------------------- invalidation


def invalidate_key(server, key: bytes, from_command: bool = True) -> None:
    """trackingInvalidateKey (signalModifiedKey's tracking half)."""
    table = server.tracking_table
    current = server.current_client if from_command else None
    if table.prefixes:
        _remember_for_broadcast(server, table, current, key)
    ids = table.pop(key, None)
    if not ids:
        return
    clients = server.clients
    for cid in ids:
        target = clients.get(cid)
        if target is None or target.tracking is None or target.tracking.bcast:
            continue
        if target is current:
            if target.tracking.noloop:
                continue
            server.tracking_pending.append(key)
        else:
            send(server, target, _keys_proto([key]))


def invalidate_on_flush(server) -> None:
    """trackingInvalidateKeysOnFlush: every tracking client gets a null invalidation."""
    table = server.tracking_table
    if not isinstance(table, TrackingTable):
        return
    current = server.current_client
    if server.tracking_clients:
        for c in list(server.clients.values()):
            if c.tracking is None:
                continue
            if c is current:
                server.tracking_pending.append(None)
            else:
                send(server, c, _null(c))
    dict.clear(table)


def _null(c) -> bytes:
    return b"_\r\n" if c.proto >= 3 else b"$-1\r\n"


def _keys_proto(keys) -> bytes:
    parts = [b"*%d\r\n" % len(keys)]
    for k in keys:
        parts.append(b"$%d\r\n%s\r\n" % (len(k), k))
    return b"".join(parts)


def send(server, c, body: bytes) -> None:
    """sendTrackingMessage: body is the protocol of the keys array (or of a null)."""
    t = c.tracking
    target = c
    redirected = False
    if t is not None and t.redirect:
        target = server.clients.get(t.redirect)
        if target is None:
            t.broken_redirect = True
            if c.proto >= 3:
                c.out.append(b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % t.redirect)
                server.pending_flush.add(c)
            return
        redirected = True
    if target.proto >= 3:
        head = _PUSH_INVALIDATE
    elif redirected and (target.subscriptions or target.psubscriptions or target.ssubscriptions):
        head = _CHANNEL_MSG
    else:
        return
    target.out.append(head + body)
    server.pending_flush.add(target)


# ---------------------------------------------------------------------- BCAST


def _remember_for_broadcast(server, table: TrackingTable, c, key: bytes) -> None:
    """trackingRememberKeyToBroadcast."""
    added = False
    for p, state in table.prefixes.items():
        if key.startswith(p):
            state.keys.pop(key, None)
            state.keys[key] = c
            added = True
    if added and not table.broadcast_scheduled and server.loop is not None:
        table.broadcast_scheduled = True
        server.loop.call_soon(broadcast, server)


def broadcast(server) -> None:
    """trackingBroadcastInvalidationMessages: one message per prefix with its keys."""
    table = server.tracking_table
    table.broadcast_scheduled = False
    for p in sorted(table.prefixes):
        state = table.prefixes[p]
        if not state.keys:
            continue
        keys = sorted(state.keys)
        proto = _keys_proto(keys)
        for c in list(state.clients):
            if c.tracking is None or c.closed:
                continue
            if c.tracking.noloop:
                own = [k for k in keys if state.keys[k] is not c]
                if own:
                    send(server, c, _keys_proto(own))
            else:
                send(server, c, proto)
        state.keys = {}
    server.flush_pending()
