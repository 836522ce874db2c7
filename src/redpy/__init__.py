"""redpy: a Redis 7.0-compatible server written in Python."""

import logging

__version__ = "0.1.0"

# A library stays quiet unless the application configures logging (redpy-server does).
logging.getLogger("redpy").addHandler(logging.NullHandler())

from .embedded import EmbeddedServer  # noqa: E402

__all__ = ["EmbeddedServer", "__version__"]
