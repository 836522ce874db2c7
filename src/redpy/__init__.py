"""redpy: a Redis 7.0-compatible server written in Python."""

__version__ = "0.1.0"

from .embedded import EmbeddedServer  # noqa: E402

__all__ = ["EmbeddedServer", "__version__"]
