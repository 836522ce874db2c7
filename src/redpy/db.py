"""The keyspace: one `Database` per db index, each a data dict and an expires dict.

Invariants:
- `data` maps key (bytes) to value; `expires` maps a key of `data` to its absolute
  deadline in Unix milliseconds. A key in `expires` is always in `data`.
- Values: strings are `bytes` (or `bytearray` once modified in place by APPEND, SETRANGE,
  SETBIT, BITFIELD: Redis's "raw" encoding), other types are the classes registered in
  `TYPE_NAMES`. A container that becomes empty is removed at once (`delete`).
- A key is expired when now > deadline (Redis's keyIsExpired). Lookups expire lazily; the
  server's cron calls `active_expire` to sample keys with deadlines, as Redis does.
- Every change to a key goes through `signal_modified` (WATCH, client tracking); the
  handler itself adds to `server.dirty`, as Redis's commands do.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING

from .clock import now_ms
from .notify import GENERIC as NOTIFY_GENERIC, KEY_MISS as NOTIFY_KEY_MISS, NEW as NOTIFY_NEW, notify

if TYPE_CHECKING:
    from .server import Server

# Python type of a stored value -> the name TYPE answers. Type modules add their classes.
TYPE_NAMES: dict[type, bytes] = {bytes: b"string", bytearray: b"string"}

# Redis's active expiry: keys sampled per loop, and how many may be found expired
# (percent) before the loop stops repeating.
ACTIVE_EXPIRE_KEYS_PER_LOOP = 20
ACTIVE_EXPIRE_ACCEPTABLE_STALE = 10


class Database:
    __slots__ = ("id", "server", "data", "expires", "watched", "_expire_scan", "_expire_pos",
                 "access", "touch", "mem_sizes", "mem_scan", "mem_scan_pos")

    def __init__(self, server: "Server", index: int):
        self.id = index
        self.server = server
        self.data: dict[bytes, object] = {}
        self.expires: dict[bytes, int] = {}
        # key -> {client: expired-at-WATCH flag} for WATCH/MULTI/EXEC
        self.watched: dict[bytes, dict] = {}
        # Active expiry walks a snapshot of the expires keys, a slice per cron tick, so
        # that every key with a deadline is visited in turn (Redis walks its hash table
        # with a cursor for the same reason).
        self._expire_scan: list[bytes] = []
        self._expire_pos = 0
        # maxmemory (evict.py), all None while not configured: key -> LRU/LFU clock and
        # the function lookups stamp it with; key -> estimated size (16-byte units) and
        # the cron's re-estimation cursor
        self.access: dict | None = None
        self.touch = None
        self.mem_sizes: dict | None = None
        self.mem_scan: list = []
        self.mem_scan_pos = 0

    # ------------------------------------------------------------------ lookups

    def lookup(self, key: bytes):
        """The value at key, or None; an expired key is deleted on the way."""
        v = self.data.get(key)
        if v is not None and self.expires:
            when = self.expires.get(key)
            if when is not None and when < now_ms() and self.server.expire_enabled():
                self._expire(key)
                return None
        if self.touch is not None and v is not None:
            self.touch(key)  # LRU/LFU clock (evict.py), only under maxmemory settings
        return v

    def lookup_read(self, key: bytes, notify_miss: bool = True):
        """lookupKeyRead: lookup() that counts a keyspace hit or miss; a miss emits the
        keymiss event unless notify_miss is False (Redis's LOOKUP_NONOTIFY)."""
        v = self.lookup(key)
        server = self.server
        if v is None:
            server.stat_keyspace_misses += 1
            if notify_miss and server.config.notify_keyspace_events:
                notify(server, NOTIFY_KEY_MISS, b"keymiss", key, self.id)
            return None
        server.stat_keyspace_hits += 1
        return v

    def exists(self, key: bytes) -> bool:
        return self.lookup(key) is not None

    def is_expired(self, key: bytes) -> bool:
        """keyIsExpired, without deleting (KEYS, DBSIZE-like walks)."""
        when = self.expires.get(key)
        return when is not None and when < now_ms()

    def random_key(self) -> bytes | None:
        """RANDOMKEY: a random live key, deleting expired ones it meets."""
        data = self.data
        tries = 0
        while data:
            key = random.choice(list(data)) if len(data) < 64 else _random_dict_key(data)
            if key in self.expires:
                tries += 1
                # Redis stops trying when every key is volatile and it met many expired
                # ones, and returns the expired key it last saw rather than loop forever.
                if len(self.expires) == len(data) and tries >= 100:
                    return key
                if self.lookup(key) is None:
                    continue
            return key
        return None

    # ------------------------------------------------------------------ changes

    def set(self, key: bytes, value, keepttl: bool = False) -> None:
        """setKey: store value at key, dropping its TTL unless keepttl."""
        if self.server.config.notify_keyspace_events and key not in self.data:
            notify(self.server, NOTIFY_NEW, b"new", key, self.id)
        self.data[key] = value
        if not keepttl and self.expires:
            self.expires.pop(key, None)
        self.signal_modified(key)

    def add(self, key: bytes, value) -> None:
        """dbAdd: store a value at a key known not to exist."""
        if self.server.config.notify_keyspace_events:
            notify(self.server, NOTIFY_NEW, b"new", key, self.id)
        self.data[key] = value
        self.signal_modified(key)

    def delete(self, key: bytes) -> bool:
        if key not in self.data:
            return False
        del self.data[key]
        if self.expires:
            self.expires.pop(key, None)
        self.signal_modified(key)
        return True

    def remove_members(self, key: bytes, container, members, remove, cls: int, event: bytes) -> int:
        """HDEL/SREM's core: remove the members present with `remove`, delete the key when
        the container empties, then signal, emit `event` (and "del" if the key went) and
        count the removals as dirty, in Redis's order. Returns how many were removed."""
        removed = 0
        emptied = False
        for member in members:
            if member in container:
                remove(member)
                removed += 1
                if not container:
                    self.delete(key)
                    emptied = True
                    break
        if removed:
            server = self.server
            if not emptied:
                self.signal_modified(key)
            notify(server, cls, event, key, self.id)
            if emptied:
                notify(server, NOTIFY_GENERIC, b"del", key, self.id)
            server.dirty += removed
        return removed

    def delete_if_empty(self, key: bytes, value) -> bool:
        """Remove a container that has become empty; True if it was removed."""
        if not value:
            self.delete(key)
            return True
        return False

    def signal_modified(self, key: bytes) -> None:
        """signalModifiedKey: invalidate WATCH and client-side caches for key.

        Nothing to do while server.signals_on is false: hot write paths test it first.
        """
        if self.watched:
            clients = self.watched.get(key)
            if clients:
                for client, expired in clients.items():
                    if expired and key not in self.data:
                        # touchWatchedKey: a key already expired at WATCH time that is
                        # now deleted is logically unchanged.
                        clients[client] = False
                        continue
                    client.dirty_cas = True
        server = self.server
        if server.tracking_table:
            server.tracking_invalidate(key)
        if server.key_hook is not None:
            server.key_hook(self, key)  # maxmemory accounting, LRU/LFU clocks (evict.py)

    def flush(self) -> int:
        """Empty the db; return how many keys it held."""
        removed = len(self.data)
        for key, clients in self.watched.items():
            if key in self.data:
                for client, expired in clients.items():
                    if not expired:
                        client.dirty_cas = True
        self.data = {}
        self.expires = {}
        self._expire_scan = []
        self._expire_pos = 0
        if self.server.key_hook is not None:
            from .evict import forget_db

            forget_db(self)
        return removed

    # ------------------------------------------------------------------ expiry

    def set_expire(self, key: bytes, when_ms: int) -> None:
        self.expires[key] = when_ms
        if self.server.key_hook is not None:
            self.server.key_hook(self, key)  # the expires entry counts (evict.py)

    def get_expire(self, key: bytes) -> int:
        """The deadline in ms, or -1 when the key has none."""
        return self.expires.get(key, -1)

    def persist(self, key: bytes) -> bool:
        if self.expires.pop(key, None) is None:
            return False
        return True

    def _expire(self, key: bytes) -> None:
        """Delete an expired key: the deletion is propagated and notified like Redis's."""
        del self.data[key]
        del self.expires[key]
        self.signal_modified(key)
        self.server.key_expired(self, key)

    def active_expire(self, deadline: float) -> int:
        """One slice of Redis's activeExpireCycle for this db; returns keys expired.

        Samples keys with a deadline, 20 per loop, and repeats while more than 10% of a
        sample had expired, until the time budget (`deadline`, perf_counter) runs out.
        """
        expired = 0
        expires = self.expires
        while expires:
            if self._expire_pos >= len(self._expire_scan):
                self._expire_scan = list(expires)
                self._expire_pos = 0
            batch = self._expire_scan[self._expire_pos : self._expire_pos + ACTIVE_EXPIRE_KEYS_PER_LOOP]
            self._expire_pos += len(batch)
            now = now_ms()
            found = 0
            for key in batch:
                when = expires.get(key)
                if when is not None and when < now:
                    self._expire(key)
                    found += 1
            expired += found
            if found * 100 <= len(batch) * ACTIVE_EXPIRE_ACCEPTABLE_STALE:
                break
            if time.perf_counter() > deadline:
                break
        return expired


def _random_dict_key(d: dict) -> bytes:
    """A random key of a large dict without copying all of it."""
    skip = random.randrange(len(d))
    # Walk from a random start in insertion order; cheap enough up to a few million keys
    # compared with building a list each call.
    for i, key in enumerate(d):
        if i == skip:
            return key
    raise AssertionError("unreachable")


def type_name(value) -> bytes:
    return TYPE_NAMES[type(value)]
