"""redpy-server: redis-server's command line and redis.conf syntax -> Config, then run.

    redpy-server [/path/to/redis.conf] [--directive value ...] [-]

As in redis-server, the file's lines come first, then the `--name value...` options in
order (a later one wins), and `-` reads more configuration from standard input. Each
line is split with the inline-protocol rules (quotes, escapes). A bad line stops startup
with Redis's "*** FATAL CONFIG FILE ERROR ***" message naming the line.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import sys
import time

from . import __version__
from .config import PARAMS_BY_NAME, Config, ConfigError
from .resp import split_args

REDIS_VERSION = "7.0.15"


class FatalConfigError(Exception):
    pass


def _fatal(line_no: int, line: str, message: str) -> FatalConfigError:
    return FatalConfigError(
        f"\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n"
        f"Reading the configuration file, at line {line_no}\n"
        f">>> '{line}'\n{message}"
    )


def args_to_config_text(argv: list[str]) -> tuple[str | None, str]:
    """Split redis-server's arguments into (config file, extra configuration text)."""
    path = None
    i = 0
    if argv and not argv[0].startswith("--") and argv[0] != "-":
        path = argv[0]
        i = 1
    lines: list[str] = []
    current: list[str] = []
    for arg in argv[i:]:
        if arg == "-":
            # redis-server: "-" alone reads configuration from stdin
            if current:
                lines.append(" ".join(current))
                current = []
            lines.append(sys.stdin.read())
        elif arg.startswith("--") and len(arg) > 2:
            if current:
                lines.append(" ".join(current))
            current = [arg[2:]]
        else:
            current.append(_quote(arg))
    if current:
        lines.append(" ".join(current))
    return path, "\n".join(lines)


def _quote(arg: str) -> str:
    """sdscatrepr, as redis-server quotes every command-line value before parsing it."""
    out = '"'
    for ch in arg:
        o = ord(ch)
        if ch in '\\"':
            out += "\\" + ch
        elif ch == "\n":
            out += "\\n"
        elif ch == "\r":
            out += "\\r"
        elif ch == "\t":
            out += "\\t"
        elif ch == "\a":
            out += "\\a"
        elif ch == "\b":
            out += "\\b"
        elif 32 <= o < 127 or o > 255:
            out += ch
        else:
            out += "\\x%02x" % (o & 0xFF)
    return out + '"'


def load_config_text(config: Config, text: str, seen_save: list | None = None) -> None:
    """Apply configuration lines to config; raise FatalConfigError on the first bad line."""
    seen_save = seen_save if seen_save is not None else [False]
    for line_no, raw_line in enumerate(text.split("\n"), 1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        words = split_args(line.encode("utf-8", "surrogateescape"))
        if words is None:
            raise _fatal(line_no, line, "Unbalanced quotes in configuration line")
        if not words:
            continue
        name = words[0].decode("utf-8", "surrogateescape").lower()
        values = [w.decode("utf-8", "surrogateescape") for w in words[1:]]
        if name == "include":
            if len(values) != 1:
                raise _fatal(line_no, line, "Bad directive or wrong number of arguments")
            try:
                with open(values[0]) as f:
                    load_config_text(config, f.read(), seen_save)
            except OSError as e:
                raise _fatal(line_no, line, f"Can't open included file: {e.strerror}") from None
            continue
        if name == "user" and values:
            config.acl_users.append(values)
            continue
        param = PARAMS_BY_NAME.get(name)
        if param is None or not values:
            raise _fatal(line_no, line, "Bad directive or wrong number of arguments")
        try:
            if param.name == "save":
                # The first save line replaces the defaults; later lines add rules;
                # `save ""` clears them.
                joined = " ".join(values)
                rules = config.parse("save", joined) if joined.strip() else []
                config.save = (config.save if seen_save[0] else []) + rules
                seen_save[0] = True
            elif param.kind == "special" or len(values) == 1:
                config.set(name, " ".join(values))
            else:
                raise ConfigError("wrong number of arguments")
        except ConfigError as e:
            raise _fatal(line_no, line, str(e)) from None
        if param.name == "dir":
            try:
                os.chdir(config.dir)
            except OSError as e:
                raise _fatal(line_no, line, e.strerror) from None
            config.dir = os.getcwd()


def build_config(argv: list[str]) -> Config:
    path, extra = args_to_config_text(argv)
    config = Config()
    # redpy's safe default: loopback only, unless the configuration binds elsewhere.
    config.bind = ["127.0.0.1", "-::1"]
    seen_save = [False]
    if path is not None:
        if path == "-":
            text = sys.stdin.read()
        else:
            try:
                with open(path) as f:
                    text = f.read()
            except OSError as e:
                raise FatalConfigError(f"Fatal error, can't open config file '{path}': {e.strerror}") from None
            config.file = os.path.abspath(path)
    else:
        text = ""
    # redis-server appends "\n" and then the command-line options to the file's text and
    # parses the whole as one configuration: options start on the line after the file.
    load_config_text(config, text + "\n" + extra, seen_save)
    return config


class RedisFormatter(logging.Formatter):
    """Redis's log line: `pid:M 22 Nov 2026 04:10:00.123 * message`."""

    MARKS = {logging.DEBUG: ".", 15: "-", logging.INFO: "*", logging.WARNING: "#"}

    def format(self, record: logging.LogRecord) -> str:
        t = time.localtime(record.created)
        stamp = time.strftime("%d %b %Y %H:%M:%S", t) + ".%03d" % record.msecs
        mark = self.MARKS.get(record.levelno, "#")
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return f"{record.process}:M {stamp} {mark} {text}"


LOGLEVELS = {"debug": logging.DEBUG, "verbose": 15, "notice": logging.INFO, "warning": logging.WARNING}


def setup_logging(config: Config) -> None:
    logger = logging.getLogger("redpy")
    logger.handlers.clear()
    handler = logging.FileHandler(config.logfile) if config.logfile else logging.StreamHandler(sys.stdout)
    handler.setFormatter(RedisFormatter())
    logger.addHandler(handler)
    logger.setLevel(LOGLEVELS[config.loglevel])
    logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-v", "--version"):
        print(f"Redis server v={REDIS_VERSION} sha=00000000:0 malloc=libc bits=64 build=redpy-{__version__}")
        return 0
    if argv and argv[0] in ("-h", "--help"):
        print("Usage: redpy-server [/path/to/redis.conf] [options] [-]\n"
              "       redpy-server - (read config from stdin)\n"
              "       redpy-server -v or --version\n"
              "       redpy-server -h or --help\n\n"
              "Examples:\n"
              "       redpy-server (run the server with default config)\n"
              "       redpy-server /etc/redis/6379.conf\n"
              "       redpy-server --port 7777\n"
              "       redpy-server /etc/myredis.conf --loglevel verbose -\n")
        return 0
    try:
        config = build_config(argv)
    except FatalConfigError as e:
        print(str(e), file=sys.stderr)
        return 1
    if config.daemonize:
        print("redpy-server does not daemonize: run it under a supervisor (daemonize no)", file=sys.stderr)
        return 1
    setup_logging(config)
    # A fatal signal (a crash in a C extension) prints every thread's Python stack to
    # stderr, as Redis prints its crash report, instead of dying silently.
    faulthandler.enable()
    log = logging.getLogger("redpy")
    log.info("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")
    log.info("Redis version=%s, bits=64, commit=00000000, modified=0, pid=%d, just started (redpy %s)",
             REDIS_VERSION, os.getpid(), __version__)
    if config.file is None:
        log.warning("Warning: no config file specified, using the default config. In order to specify a config file use redpy-server /path/to/redis.conf")
    else:
        log.info("Configuration loaded")
    if config.pidfile:
        with open(config.pidfile, "w") as f:
            f.write(f"{os.getpid()}\n")
    from . import commands  # noqa: F401  (registers every command)
    from .server import run

    log.info("Running mode=standalone, port=%d.", config.port)
    try:
        return run(config)
    finally:
        if config.pidfile:
            try:
                os.unlink(config.pidfile)
            except OSError:
                pass
