"""The server's one clock, so tests and DEBUG commands can reason about time in one place.

Redis reads the wall clock (in milliseconds) for expiry and the monotonic clock for
durations; both are plain functions here, cheap enough to call on every key lookup.
"""

from __future__ import annotations

import time


def now_ms() -> int:
    """Unix time in milliseconds: what expiry deadlines are compared against."""
    return time.time_ns() // 1_000_000


def now_us() -> int:
    return time.time_ns() // 1_000


def monotonic_us() -> int:
    return time.monotonic_ns() // 1_000
