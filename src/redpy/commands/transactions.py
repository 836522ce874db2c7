"""MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis's multi.c).

While a client is in MULTI, dispatch queues its requests (after the existence, arity,
auth, ACL and OOM checks; a rejection there poisons the transaction: EXEC answers
EXECABORT). EXEC runs the queue through `dispatch.call`, so argument errors appear as
error elements of EXEC's reply, as in Redis.

WATCH registers the client in `db.watched[key]` with a flag telling whether the key was
already logically expired at WATCH time; `Database.signal_modified` sets `c.dirty_cas`
for every watcher except one whose already-expired key is merely being deleted (Redis's
touchWatchedKey), and EXEC also fails when a watched key expired after WATCH
(isWatchedKeyExpired).
"""

from __future__ import annotations

from .. import dispatch
from ..errors import EXECABORT, CommandError
from ..registry import command_group
from ..replies import NO_REPLY, NULL_ARRAY, OK, Raw

command = command_group("transactions")


def unwatch_all(c) -> None:
    for db, key in c.watched_keys:
        watchers = db.watched.get(key)
        if watchers is not None:
            watchers.pop(c, None)
            if not watchers:
                del db.watched[key]
    c.watched_keys = []


def discard_transaction(c) -> None:
    """Leave MULTI state and forget the watched keys (discardTransaction)."""
    c.multi = None
    c.multi_dirty = False
    c.dirty_cas = False
    unwatch_all(c)


def _watched_key_expired(c) -> bool:
    """isWatchedKeyExpired: a key that was live at WATCH time has expired since."""
    for db, key in c.watched_keys:
        if not db.watched[key][c] and db.is_expired(key):
            return True
    return False


@command("multi")
def cmd_multi(c, argv):
    """MULTI"""
    if c.multi is not None:
        raise CommandError("ERR MULTI calls can not be nested")
    c.multi = []
    c.multi_dirty = False
    return OK


@command("exec")
def cmd_exec(c, argv):
    """EXEC

    A watched key touched since WATCH answers a null array; a request rejected while
    queuing answers EXECABORT. The watched keys are released before the queue runs.
    """
    if c.multi is None:
        raise CommandError("ERR EXEC without MULTI")
    queued = c.multi
    if c.dirty_cas or _watched_key_expired(c):
        discard_transaction(c)
        return NULL_ARRAY
    if c.multi_dirty:
        discard_transaction(c)
        raise CommandError(EXECABORT)
    unwatch_all(c)
    # c.multi stays set while the queue runs (CLIENT LIST shows flags=x multi=N during
    # EXEC, as in Redis); dispatch.call never queues.
    c.in_exec = True
    # Like Redis, the array header goes out first and each reply as its command runs:
    # a later command cannot change an earlier reply, and CLIENT REPLY OFF/SKIP inside
    # the transaction affects the replies after it exactly as in Redis.
    c.reply(Raw(b"*%d\r\n" % len(queued)))  # the same header in RESP2 and RESP3
    server = c.server
    try:
        for cmd, request in queued:
            if server.check_hooks:
                # ACL rules may have changed since the command was queued.
                err = server.acl.check_command(c, cmd, request, b"multi")
                if err is not None:
                    c.reply(err)
                    continue
            reply = dispatch.call(c, cmd, request)
            if reply is not NO_REPLY:
                c.reply(reply)
    finally:
        c.in_exec = False
        c.dirty_cas = False
        c.multi = None
    return NO_REPLY


@command("discard")
def cmd_discard(c, argv):
    """DISCARD"""
    if c.multi is None:
        raise CommandError("ERR DISCARD without MULTI")
    discard_transaction(c)
    return OK


@command("watch")
def cmd_watch(c, argv):
    """WATCH key [key ...]"""
    if c.multi is not None:
        raise CommandError("ERR WATCH inside MULTI is not allowed")
    if c.dirty_cas:
        # Already invalidated: no need to watch more (Redis does the same).
        return OK
    db = c.db
    for key in argv[1:]:
        watchers = db.watched.get(key)
        if watchers is None:
            watchers = db.watched[key] = {}
            c.server.signals_on = True
        if c not in watchers:
            watchers[c] = key in db.data and db.is_expired(key)
            c.watched_keys.append((db, key))
    return OK


@command("unwatch")
def cmd_unwatch(c, argv):
    """UNWATCH"""
    unwatch_all(c)
    c.dirty_cas = False
    return OK
