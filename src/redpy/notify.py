"""Keyspace notifications (Redis's notify.c): events published on pub/sub channels.

`notify(server, cls, event, key, dbid)` is notifyKeyspaceEvent: when the event class
`cls` is enabled by notify-keyspace-events and K and/or E is set, it publishes
`event` on `__keyspace@<db>__:<key>` (K) and then `key` on `__keyevent@<db>__:<event>`
(E). Commands call it exactly where Redis's t_*.c, db.c and expire.c do, with the same
events in the same order.

The config holds the canonical flag string (config.py); its bit mask is memoised per
string, so with notifications off a call costs one truth test of that string.
"""

from __future__ import annotations

# Redis's NOTIFY_* bits
KEYSPACE = 1 << 0  # K
KEYEVENT = 1 << 1  # E
GENERIC = 1 << 2  # g
STRING = 1 << 3  # $
LIST = 1 << 4  # l
SET = 1 << 5  # s
HASH = 1 << 6  # h
ZSET = 1 << 7  # z
EXPIRED = 1 << 8  # x
EVICTED = 1 << 9  # e
STREAM = 1 << 10  # t
KEY_MISS = 1 << 11  # m
MODULE = 1 << 12  # d
NEW = 1 << 13  # n

_BITS = {
    "K": KEYSPACE, "E": KEYEVENT, "g": GENERIC, "$": STRING, "l": LIST, "s": SET,
    "h": HASH, "z": ZSET, "x": EXPIRED, "e": EVICTED, "t": STREAM, "m": KEY_MISS,
    "d": MODULE, "n": NEW,
}  # fmt: skip

# canonical flag string -> mask (a pure function of the string: a memo, not state)
_masks: dict[str, int] = {}


def mask_of(flags: str) -> int:
    m = _masks.get(flags)
    if m is None:
        m = 0
        for ch in flags:
            m |= _BITS.get(ch, 0)
        _masks[flags] = m
    return m


def enabled(server, cls: int) -> bool:
    flags = server.config.notify_keyspace_events
    return bool(flags) and bool(mask_of(flags) & cls)


def notify(server, cls: int, event: bytes, key: bytes, dbid: int) -> None:
    """notifyKeyspaceEvent."""
    flags = server.config.notify_keyspace_events
    if not flags:
        return
    m = _masks.get(flags)
    if m is None:
        m = mask_of(flags)
    if not m & cls:
        return
    publish = server.pubsub.publish
    if m & KEYSPACE:
        publish(b"__keyspace@%d__:" % dbid + key, event)
    if m & KEYEVENT:
        publish(b"__keyevent@%d__:" % dbid + event, key)
