"""Command handlers, one module per Redis command group; importing registers them."""

from . import connection, keys, strings  # noqa: F401
