"""Command handlers, one module per Redis command group; importing registers them."""

from . import (  # noqa: F401
    acl,
    bitmaps,
    connection,
    geo,
    hashes,
    hyperloglog,
    keys,
    lists,
    persistence,
    pubsub,
    replication,
    scripting,
    server,
    sets,
    sort,
    streams,
    strings,
    tracking,
    transactions,
    zsets,
)
