"""redpy-check-rdb: check an RDB file the way redis-check-rdb does.

    redpy-check-rdb <rdb-file-name>

Prints "[offset N] ..." progress lines (aux fields, databases, checksum) and, on a
problem, "--- RDB ERROR DETECTED ---" with the offset and the reason (unexpected EOF,
checksum mismatch, bad encoding) and what was being read. Exit status 0 when the file
is good, 1 otherwise.
"""

from __future__ import annotations

import sys

from .config import Config
from .persistence import rdb


def check(path: str, out=sys.stdout) -> int:
    def say(line: str) -> None:
        print(line, file=out)

    say(f"[offset 0] Checking RDB file {path}")
    try:
        with open(path, "rb") as f:
            buf = f.read()
    except OSError as e:
        say(f"Cannot check RDB file {path}: {e.strerror}")
        return 1
    config = Config()
    config.databases = 1 << 30  # like redis-check-rdb: any db index is acceptable
    stats = {"keys": 0, "expires": 0, "expired": 0}
    last = {"key": None}

    def on_aux(k: bytes, v: bytes, pos: int) -> None:
        say(f"[offset {pos}] AUX FIELD {k.decode('latin-1')} = '{v.decode('latin-1')}'")

    import time

    now = int(time.time() * 1000)

    def on_key(dbid, key, value, expire) -> None:
        last["key"] = key
        stats["keys"] += 1
        if expire != -1:
            stats["expires"] += 1
            if expire < now:
                stats["expired"] += 1

    try:
        info = rdb.parse(
            buf, config, on_aux=on_aux, on_key=on_key,
            on_select=lambda dbid, pos: say(f"[offset {pos}] Selecting DB ID {dbid}"),
        )
    except rdb.RdbError as e:
        say("--- RDB ERROR DETECTED ---")
        say(f"[offset {e.offset}] {e.message}")
        doing = getattr(e, "doing", None)
        if doing is not None:
            say(f"[additional info] While doing: {doing}")
            key = getattr(e, "key", None)
            if key is not None:
                say(f"[additional info] Reading key '{key.decode('latin-1')}'")
            t = e.type
            say(f"[additional info] Reading type {t} ({rdb.TYPE_NAMES.get(t, 'unknown')})")
        say(f"[info] {stats['keys']} keys read")
        say(f"[info] {stats['expires']} expires")
        say(f"[info] {stats['expired']} already expired")
        return 1
    end = info["end"]
    # the checksum is reported once its 8 bytes are read, as redis-check-rdb does
    if info.get("checksum"):
        say(f"[offset {end + 8}] Checksum OK")
    else:
        say(f"[offset {end + 8}] RDB file was saved with checksum disabled: no check performed.")
    say(f"[offset {end + 8}] \\o/ RDB looks OK! \\o/")
    say(f"[info] {stats['keys']} keys read")
    say(f"[info] {stats['expires']} expires")
    say(f"[info] {stats['expired']} already expired")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("Usage: redpy-check-rdb <rdb-file-name>", file=sys.stderr)
        return 1
    return check(args[0])


if __name__ == "__main__":
    sys.exit(main())
