"""redpy-check-aof: check (and with --fix, truncate) an AOF the way redis-check-aof does.

    redpy-check-aof [--fix|--truncate-to-timestamp <ts>] <file.manifest|file.aof>

A `.manifest` is checked as Redis 7.0's multi-part AOF (base, then the incr files; only
the last file may be fixed); any other file as an old-style AOF, RDB preamble first
when it starts with "REDIS". For each file it prints "AOF analyzed: filename=...,
size=..., ok_up_to=..., ok_up_to_line=..., diff=..." and whether it is valid. --fix asks
for confirmation on stdin, then truncates the file at the last valid command;
--truncate-to-timestamp cuts at the first "#TS:" annotation later than the timestamp.
Exit status 0 when everything is valid (or was fixed), 1 otherwise.
"""

from __future__ import annotations

import io
import os
import sys

from .persistence.aof import AofError, parse_manifest

BASE, INCR, OLD = "BASE", "INCR", "OLD"


class _Result:
    def __init__(self):
        self.ok_up_to = 0
        self.line = 1
        self.error = ""
        self.truncate_at = None
        self.last_data = 0  # where the last argument's bytes started


def _err(res: _Result, pos: int, text: str) -> None:
    res.error = "0x%16x: %s" % (pos, text)


def process_resp(data: bytes, start: int, res: _Result, name: str, to_timestamp=None, out=sys.stdout) -> int:
    """Walk commands from start; return the offset up to which the file is valid."""
    pos = start
    n = len(data)
    multi = False
    line = res.line
    valid = start
    valid_line = line
    while pos < n:
        ch = data[pos]
        if ch == 35:  # '#'
            e = data.find(b"\n", pos)
            if e < 0:
                _err(res, pos, "Expected \\r\\n, got: 0000")
                break
            ann = data[pos:e]
            if to_timestamp is not None and ann.startswith(b"#TS:"):
                try:
                    ts = int(ann[4:].strip())
                except ValueError:
                    ts = None
                if ts is not None and ts > to_timestamp:
                    res.truncate_at = pos
                    break
            pos = e + 1
            line += 1
            if not multi:
                valid, valid_line = pos, line
            continue
        if ch != 42:  # '*'
            print(f"AOF {name} format error", file=out)
            break
        argv, npos, nline = _read_command(data, pos, line, res)
        if argv is None:
            line = nline
            break
        pos, line = npos, nline
        cmd = argv[0].lower()
        if cmd == b"multi":
            if multi:
                _err(res, pos, "Unexpected MULTI")
                break
            multi = True
        elif cmd == b"exec":
            if not multi:
                _err(res, pos, "Unexpected EXEC")
                break
            multi = False
        if not multi:
            valid, valid_line = pos, line
    if multi and not res.error:
        _err(res, res.last_data, "Reached EOF before reading EXEC for MULTI")
    res.line = line
    return valid


def _read_command(data: bytes, pos: int, line: int, res: _Result):
    n = len(data)
    e = data.find(b"\r\n", pos)
    if e < 0:
        _err(res, pos, "Expected \\r\\n, got: 0000")
        return None, pos, line
    try:
        argc = int(data[pos + 1 : e])
    except ValueError:
        _err(res, pos, "Invalid argument count")
        return None, pos, line
    pos = e + 2
    line += 1
    argv = []
    for _ in range(argc):
        if pos >= n:
            _err(res, pos, "Expected prefix '$', got: '\\x00'")
            return None, pos, line
        if data[pos] != 36:
            _err(res, pos, "Expected prefix '$', got: '%s'" % chr(data[pos]))
            return None, pos, line
        e = data.find(b"\r\n", pos)
        if e < 0:
            _err(res, pos, "Expected \\r\\n, got: 0000")
            return None, pos, line
        try:
            ln = int(data[pos + 1 : e])
        except ValueError:
            _err(res, pos, "Invalid bulk length")
            return None, pos, line
        start = pos
        pos = e + 2
        line += 1
        res.last_data = pos
        if pos + ln > n:
            _err(res, start, "Expected to read %d bytes, got %d bytes" % (ln, n - pos))
            return None, pos, line
        arg = data[pos : pos + ln]
        pos += ln
        tail = data[pos : pos + 2]
        if tail != b"\r\n":
            _err(res, start, "Expected \\r\\n, got: %s" % (tail.hex().ljust(4, "0")))
            return None, pos, line
        pos += 2
        line += 1
        argv.append(arg)
    if not argv:
        _err(res, pos, "Invalid argument count")
        return None, pos, line
    return argv, pos, line


def check_file(path: str, kind: str, fix: bool, last: bool, to_timestamp=None, out=sys.stdout, inp=sys.stdin) -> bool:
    """checkSingleAof: True when the file is (now) valid; exits on errors like Redis."""
    name = path if kind == OLD else os.path.basename(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        print(f"Cannot open file {path}: {e.strerror}", file=out)
        sys.exit(1)
    if kind != OLD and not data:
        print(f"{kind} AOF {name} is empty", file=out)
        return True
    res = _Result()
    start = 0
    if data[:5] == b"REDIS":
        buf = io.StringIO()
        code = _check_rdb_prefix(path, data, buf)
        out.write(buf.getvalue())
        if code is None:
            print("RDB preamble of AOF file is not sane, aborting.", file=out)
            sys.exit(1)
        print("RDB preamble is OK, proceeding with AOF tail...", file=out)
        start = code
    pos = process_resp(data, start, res, name, to_timestamp, out)
    if res.truncate_at is not None:
        pos = res.truncate_at
        diff = len(data) - pos
    else:
        diff = len(data) - pos
    if res.error:
        print(res.error, file=out)
    print(f"AOF analyzed: filename={name}, size={len(data)}, ok_up_to={pos}, ok_up_to_line={res.line}, diff={diff}", file=out)
    if diff > 0:
        if fix or res.truncate_at is not None:
            if not last:
                print(f"Failed to truncate AOF {name} because it is not the last file", file=out)
                sys.exit(1)
            print(f"This will shrink the AOF {name} from {len(data)} bytes, with {diff} bytes, to {pos} bytes", file=out)
            print("Continue? [y/N]: ", end="", file=out)
            out.flush()
            answer = inp.readline()
            if not answer or answer[0].lower() != "y":
                print("Aborting...", file=out)
                sys.exit(1)
            try:
                os.truncate(path, pos)
            except OSError as e:
                print(f"Failed to truncate AOF {name}: {e.strerror}", file=out)
                sys.exit(1)
            print(f"Successfully truncated AOF {name}", file=out)
            return True
        print(f"AOF {name} is not valid. Use the --fix option to try fixing it.", file=out)
        sys.exit(1)
    if kind == OLD:
        print(f"AOF {name} is valid", file=out)
    else:
        print(f"{kind} AOF {name} is valid", file=out)
    return True


def _check_rdb_prefix(path: str, data: bytes, out) -> int | None:
    """The RDB part's report (as redpy-check-rdb prints it); its end offset or None."""
    from .check_rdb import check as check_rdb
    from .config import Config
    from .persistence import rdb

    code = check_rdb(path, out=out)
    if code != 0:
        return None
    config = Config()
    config.databases = 1 << 30
    try:
        stats = rdb.parse(data, config, check_crc=False)
    except rdb.RdbError:
        return None
    return stats["end"] + (8 if stats["version"] >= 5 else 0)


def main(argv=None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    fix = False
    to_ts = None
    if len(args) == 2 and args[0] == "--fix":
        fix = True
        path = args[1]
    elif len(args) == 3 and args[0] == "--truncate-to-timestamp":
        try:
            to_ts = int(args[1])
        except ValueError:
            print("Invalid timestamp, aborting...")
            return 1
        path = args[2]
    elif len(args) == 1:
        path = args[0]
    else:
        print("Usage: redpy-check-aof [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>")
        return 1
    if path.endswith(".manifest"):
        print("Start checking Multi Part AOF")
        try:
            with open(path, "rb") as f:
                m = parse_manifest(f.read())
        except OSError as e:
            print(f"Cannot open file {path}: {e.strerror}")
            return 1
        except AofError as e:
            print(str(e))
            return 1
        d = os.path.dirname(path) or "."
        files = []
        if m.base is not None:
            files.append((m.base[0], BASE))
        files += [(name, INCR) for name, _ in m.incrs]
        if not files:
            print("Invalid AOF manifest file format")
            return 1
        for i, (name, kind) in enumerate(files):
            full = os.path.join(d, name)
            if kind == BASE:
                rdb = False
                try:
                    with open(full, "rb") as f:
                        rdb = f.read(5) == b"REDIS"
                except OSError:
                    pass
                print("Start to check BASE AOF (%s format)." % ("RDB" if rdb else "RESP"))
            elif i == (1 if m.base is not None else 0):
                print("Start to check INCR files.")
            check_file(full, kind, fix, i == len(files) - 1, to_ts)
        print("All AOF files and manifest are valid")
        return 0
    print("Start checking Old-Style AOF")
    check_file(path, OLD, fix, True, to_ts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
