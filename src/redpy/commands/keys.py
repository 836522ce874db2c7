"""Generic keyspace commands (Redis's db.c, expire.c): DEL, EXISTS, EXPIRE, SCAN, ..."""

from __future__ import annotations

from ..errors import SYNTAX, CommandError
from ..registry import command_group
from ..replies import OK

command = command_group("server")


def _flush_mode(argv) -> None:
    """FLUSHALL/FLUSHDB [ASYNC | SYNC]: both free memory before answering here."""
    if len(argv) > 2:
        raise CommandError(SYNTAX)
    if len(argv) == 2 and argv[1].lower() not in (b"async", b"sync"):
        raise CommandError(SYNTAX)


@command("flushdb")
def cmd_flushdb(c, argv):
    """FLUSHDB [ASYNC | SYNC]"""
    _flush_mode(argv)
    c.server.dirty += c.db.flush() + 1
    return OK


@command("flushall")
def cmd_flushall(c, argv):
    """FLUSHALL [ASYNC | SYNC]"""
    _flush_mode(argv)
    removed = sum(db.flush() for db in c.server.dbs)
    c.server.dirty += removed + 1
    return OK
