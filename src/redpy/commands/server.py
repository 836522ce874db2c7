"""Server commands (Redis's server.c, config.c, debug.c, slowlog.c, latency.c, object.c):
COMMAND, CONFIG, INFO, TIME, LASTSAVE, ROLE, SLOWLOG, LATENCY, MEMORY, MONITOR, DEBUG,
SHUTDOWN.

Persistence (SAVE, BGSAVE, ...), replication, ACL and modules live in their own modules.
INFO's text is built by `redpy.info`; COMMAND GETKEYS uses `redpy.keyspecs`.

Hooks installed on the Server instance (no core change needed):
- `server.feed_monitors` is replaced by `_feed_monitors` when the first MONITOR arrives.
- `latency_add_sample_if_needed(server, event, ms)` records LATENCY events; dispatch.call
  must call it for "command"/"fast-command" (see the report of this module's author).
"""

from __future__ import annotations

import hashlib
import logging
import os
import struct
import time

from .. import glob, info, keyspecs
from ..config import PARAMS, PARAMS_BY_NAME, ConfigError
from ..errors import NO_SUCH_KEY, NOT_INTEGER, SYNTAX, CommandError, subcommand_syntax
from ..registry import COMMANDS, command_group
from ..replies import NO_REPLY, NULL, OK, Double, Raw, SetReply, Simple, Verbatim
from ..resp import encode, string2ll

command = command_group("server")
log = logging.getLogger("redpy")


def _help(container: str, lines) -> list:
    """addReplyHelp: the header, the lines, then HELP, all status replies."""
    out = [f"{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"]
    out.extend(lines)
    out.append("HELP")
    out.append("    Prints this help.")
    return [Simple(s.encode()) for s in out]


def _getlong(arg: bytes, lo=-(2**63), hi=2**63 - 1, msg=NOT_INTEGER) -> int:
    v = string2ll(arg)
    if v is None or not lo <= v <= hi:
        raise CommandError(msg)
    return v


# ====================================================================== COMMAND


def _lookup_by_fullname(name: bytes):
    """lookupCommandBySds: `config|get` names a subcommand."""
    parts = name.lower().split(b"|")
    if len(parts) > 2:
        return None
    cmd = COMMANDS.get(parts[0])
    if cmd is None or len(parts) == 1:
        return cmd
    if cmd.subcommands is None:
        return None
    return cmd.subcommands.get(parts[1])


def _top_commands():
    return sorted(COMMANDS.values(), key=lambda c: c.order)


def cmd_command(c, argv):
    """COMMAND (the container's own handler, set after its subcommands register)"""
    return [cmd.info_reply() for cmd in _top_commands()]


@command("command|count")
def cmd_command_count(c, argv):
    """COMMAND COUNT"""
    return len(COMMANDS)


@command("command|info")
def cmd_command_info(c, argv):
    """COMMAND INFO [command-name ...]"""
    if len(argv) == 2:
        return [cmd.info_reply() for cmd in _top_commands()]
    out = []
    for name in argv[2:]:
        cmd = _lookup_by_fullname(name)
        out.append(cmd.info_reply() if cmd is not None else NULL)
    return out


@command("command|docs")
def cmd_command_docs(c, argv):
    """COMMAND DOCS [command-name ...]"""
    if len(argv) == 2:
        return {cmd.fullname.encode(): cmd.docs_reply() for cmd in _top_commands()}
    out = {}
    for name in argv[2:]:
        cmd = _lookup_by_fullname(name)
        if cmd is not None:
            out[cmd.fullname.encode()] = cmd.docs_reply()
    return out


def _with_subs(cmd):
    yield cmd
    if cmd.subcommands:
        yield from sorted(cmd.subcommands.values(), key=lambda s: s.order)


@command("command|list")
def cmd_command_list(c, argv):
    """COMMAND LIST [FILTERBY MODULE module-name | ACLCAT category | PATTERN pattern]

    Without a filter only top-level names are listed; ACLCAT and PATTERN also test the
    subcommands (their full names, `config|get`), as commandListWithFilter does.
    """
    argc = len(argv)
    if argc == 2:
        return [cmd.fullname.encode() for cmd in _top_commands()]
    if argc != 5 or argv[2].lower() != b"filterby":
        raise CommandError(SYNTAX)
    kind, value = argv[3].lower(), argv[4]
    out = []
    if kind == b"module":
        return out  # no modules are loaded
    if kind == b"aclcat":
        cat = value.lower().decode("latin-1")
        test = lambda cmd: cat in cmd.acl_categories  # noqa: E731
    elif kind == b"pattern":
        m = glob.compile(value, nocase=True)
        test = lambda cmd: m(cmd.fullname.encode())  # noqa: E731
    else:
        raise CommandError(SYNTAX)
    for top in _top_commands():
        for cmd in _with_subs(top):
            if test(cmd):
                out.append(cmd.fullname.encode())
    return out


def _getkeys_generic(c, argv, with_flags: bool):
    sub = argv[2:]
    entry = keyspecs.lookup_any(sub)
    if entry is None:
        raise CommandError("ERR Invalid command specified")
    if not entry.has_keys():
        raise CommandError("ERR The command has no key arguments")
    arity, argc = entry.arity, len(sub)
    if (arity > 0 and arity != argc) or argc < -arity:
        raise CommandError("ERR Invalid number of arguments specified for command")
    keys = keyspecs.get_keys(entry, sub)
    if not keys:
        if entry.no_mandatory_keys:
            return []
        raise CommandError("ERR Invalid arguments specified for command")
    if not with_flags:
        return [sub[pos] for pos, _ in keys]
    return [[sub[pos], SetReply(Simple(f) for f in flags)] for pos, flags in keys]


@command("command|getkeys")
def cmd_command_getkeys(c, argv):
    """COMMAND GETKEYS command [arg ...]"""
    return _getkeys_generic(c, argv, False)


@command("command|getkeysandflags")
def cmd_command_getkeysandflags(c, argv):
    """COMMAND GETKEYSANDFLAGS command [arg ...]"""
    return _getkeys_generic(c, argv, True)


@command("command|help")
def cmd_command_help(c, argv):
    """COMMAND HELP"""
    return _help("COMMAND", _HELP_COMMAND)


# COMMAND is a container that also runs without a subcommand: the registry builds the
# container from its subcommands; its own handler answers `COMMAND` alone.
COMMANDS[b"command"].handler = cmd_command


# ====================================================================== CONFIG


def _config_names():
    """Every name CONFIG GET patterns match: canonical names and aliases."""
    return list(PARAMS_BY_NAME)


@command("config|get")
def cmd_config_get(c, argv):
    """CONFIG GET parameter [parameter ...]

    A name without glob characters is looked up directly (aliases too) and answered with
    the name as typed; patterns match canonical names and aliases, case-insensitively.
    """
    cfg = c.server.config
    # keyed by lower-case name (Redis's dict compares names case-insensitively)
    matches: dict[bytes, tuple[bytes, str]] = {}
    for pattern in argv[2:]:
        if not any(ch in pattern for ch in b"[*?"):
            key = pattern.lower()
            name = key.decode("latin-1")
            if key in matches or name not in PARAMS_BY_NAME:
                continue
            matches[key] = (pattern, name)
            continue
        m = glob.compile(pattern, nocase=True)
        for name in _config_names():
            key = name.encode()
            if key not in matches and m(key):
                matches[key] = (key, name)
    return {shown: cfg.get_text(name).encode("utf-8", "surrogateescape") for shown, name in matches.values()}


@command("config|set")
def cmd_config_set(c, argv):
    """CONFIG SET parameter value [parameter value ...]

    All or nothing: every value is parsed and stored, then the apply hooks run; any
    failure restores every old value.
    """
    argc = len(argv)
    if argc < 4 or argc % 2:
        raise CommandError("ERR wrong number of arguments for 'config|set' command")
    server = c.server
    cfg = server.config
    params = []
    values = []
    unknown = None
    err_arg = errstr = None
    invalid = False
    for i in range(2, argc, 2):
        name = argv[i].decode("utf-8", "surrogateescape")
        p = PARAMS_BY_NAME.get(name.lower())
        if p is None:
            if not invalid:
                unknown = name
                invalid = True
            continue
        if invalid:
            continue
        if p.immutable or (p.protected and not c.allows_protected(cfg.enable_protected_configs)):
            errstr = "can't set immutable config" if p.immutable else "can't set protected config"
            err_arg = name
            invalid = True
            continue
        if p in params:
            errstr = "duplicate parameter"
            err_arg = name
            invalid = True
        params.append(p)
        values.append(argv[i + 1].decode("utf-8", "surrogateescape"))
    if not invalid:
        olds = []
        try:
            for p, text in zip(params, values):
                err_arg = p.name
                olds.append(cfg.set(p.name, text))
            for p, old in zip(params, olds):
                err_arg = p.name
                if p.apply is not None and getattr(cfg, p.attr) != old:
                    try:
                        p.apply(server, old)
                    except ConfigError:
                        log.warning(
                            "Failed applying new configuration. Possibly related to new %s setting. Restoring previous settings.",
                            p.name,
                        )
                        raise
        except ConfigError as e:
            for p, old in reversed(list(zip(params, olds))):
                setattr(cfg, p.attr, old)
            errstr = str(e)
            invalid = True
        else:
            for p in params:
                _after_set(server, p)
            return OK
    if unknown is not None:
        raise CommandError(f"ERR Unknown option or number of arguments for CONFIG SET - '{unknown}'")
    if errstr:
        raise CommandError(f"ERR CONFIG SET failed (possibly related to argument '{err_arg}') - {errstr}")
    raise CommandError(f"ERR CONFIG SET failed (possibly related to argument '{err_arg}')")


def _after_set(server, p) -> None:
    """Effects a stored value needs at once beyond what readers of the config see."""
    if p.name == "hz" and server.loop is not None and server._cron_handle is not None:
        server._cron_handle.cancel()
        server._schedule_cron()
    elif p.name in ("slowlog-max-len",):
        while len(server.slowlog) > server.config.slowlog_max_len:
            server.slowlog.pop()


@command("config|resetstat")
def cmd_config_resetstat(c, argv):
    """CONFIG RESETSTAT"""
    server = c.server
    server.reset_stats()
    server.slowlog_reset_stats = True
    _latency_state(server).clear()
    return OK


@command("config|rewrite")
def cmd_config_rewrite(c, argv):
    """CONFIG REWRITE"""
    cfg = c.server.config
    if not cfg.file:
        raise CommandError("ERR The server is running without a config file")
    try:
        rewrite_config(cfg, cfg.file)
    except OSError as e:
        log.warning("CONFIG REWRITE failed: %s", e.strerror)
        raise CommandError(f"ERR Rewriting config file: {e.strerror}") from None
    log.info("CONFIG REWRITE executed with success.")
    return OK


@command("config|help")
def cmd_config_help(c, argv):
    """CONFIG HELP"""
    return _help("CONFIG", _HELP_CONFIG)


_GB, _MB, _KB = 1024**3, 1024**2, 1024
_REWRITE_MARKER = "# Generated by CONFIG REWRITE"


def _repr_str(s: str) -> str:
    return sdscatrepr(s.encode("utf-8", "surrogateescape")).decode("utf-8", "surrogateescape")


def _format_memory(v: int) -> str:
    """rewriteConfigFormatMemory: the largest unit that divides the value."""
    if v and v % _GB == 0:
        return f"{v // _GB}gb"
    if v and v % _MB == 0:
        return f"{v // _MB}mb"
    if v and v % _KB == 0:
        return f"{v // _KB}kb"
    return str(v)


def _rewrite_lines(cfg, p) -> tuple[list[str], bool]:
    """The lines for one parameter and whether they differ from the default (force)."""
    value = getattr(cfg, p.attr)
    default = p.default
    name = p.name
    if name == "dir":
        return [f"dir {_repr_str(value)}"], True
    if name == "save":
        if not value:
            return ['save ""'], value != default
        return [f"save {s} {n}" for s, n in value], value != default
    if name == "client-output-buffer-limit":
        lines = []
        force = False
        for cls in ("normal", "slave", "pubsub"):
            h, s, t = value[cls]
            lines.append(f"client-output-buffer-limit {cls} {_format_memory(h)} {_format_memory(s)} {t}")
            force |= value[cls] != default[cls]
        return lines, force
    if name == "latency-tracking-info-percentiles":
        # Redis always writes this one (its default comparison never matches).
        return [f"{name} {cfg.get_text(name)}"], True
    kind = p.kind
    if kind == "memory":
        text = _format_memory(value)
    elif kind == "string" or name == "notify-keyspace-events":
        text = _repr_str(cfg.get_text(name))
    else:
        text = cfg.get_text(name)
    if p.kind == "special" and name != "notify-keyspace-events":
        force = cfg.get_text(name) != _default_text(p)
    else:
        force = value != default
    return [f"{name} {text}"], force


def _default_text(p) -> str:
    from ..config import Config

    return Config().get_text(p.name)


def rewrite_config(cfg, path: str) -> None:
    """rewriteConfig: keep comments and unknown lines, replace known options in place,
    blank their extra occurrences, append new ones after the CONFIG REWRITE marker."""
    try:
        with open(path) as f:
            old_lines = f.read().split("\n")
        if old_lines and old_lines[-1] == "":
            old_lines.pop()
    except FileNotFoundError:
        old_lines = []
    from ..resp import split_args

    positions: dict[str, list[int]] = {}
    lines = list(old_lines)
    marker_at = None
    for i, line in enumerate(lines):
        s = line.strip()
        if s == _REWRITE_MARKER:
            marker_at = i
            continue
        if not s or s.startswith("#"):
            continue
        words = split_args(s.encode("utf-8", "surrogateescape"))
        if not words:
            continue
        name = words[0].decode("utf-8", "surrogateescape").lower()
        p = PARAMS_BY_NAME.get(name)
        if p is not None:
            positions.setdefault(p.name, []).append(i)
    appended: list[str] = []
    for p in PARAMS:
        new, force = _rewrite_lines(cfg, p)
        slots = positions.get(p.name, [])
        if not slots and not force:
            continue
        for j, text in enumerate(new):
            if j < len(slots):
                lines[slots[j]] = text
            else:
                appended.append(text)
        for k in slots[len(new):]:
            lines[k] = None
    if appended:
        if marker_at is None:
            if lines and lines[-1] != "":
                lines.append("")
            lines.append(_REWRITE_MARKER)
        lines.extend(appended)
    text = "\n".join("" if x is None else x for x in lines) + "\n"
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# ====================================================================== INFO, TIME, ROLE


@command("info")
def cmd_info(c, argv):
    """INFO [section [section ...]]

    RESP3 answers a verbatim string; unknown sections give an empty reply.
    """
    return Verbatim(info.generate(c.server, [a.lower() for a in argv[1:]]).encode())


@command("time")
def cmd_time(c, argv):
    """TIME"""
    now = time.time_ns() // 1000
    return [b"%d" % (now // 1000000), b"%d" % (now % 1000000)]


@command("lastsave")
def cmd_lastsave(c, argv):
    """LASTSAVE"""
    return c.server.lastsave


@command("role")
def cmd_role(c, argv):
    """ROLE (a master without replicas)"""
    return [b"master", info.repl_offset(c.server), []]


# ====================================================================== SLOWLOG


@command("slowlog|get")
def cmd_slowlog_get(c, argv):
    """SLOWLOG GET [count]"""
    server = c.server
    count = 10
    if len(argv) == 3:
        count = _getlong(argv[2], -1, 2**63 - 1, "ERR count should be greater than or equal to -1")
        if count == -1:
            count = len(server.slowlog)
    if len(argv) > 3:
        raise subcommand_syntax(argv[1], "slowlog")
    out = []
    for e in list(server.slowlog)[:count]:
        out.append([e.id, e.time, e.duration, list(e.argv), e.addr, e.name])
    return out


@command("slowlog|len")
def cmd_slowlog_len(c, argv):
    """SLOWLOG LEN"""
    return len(c.server.slowlog)


@command("slowlog|reset")
def cmd_slowlog_reset(c, argv):
    """SLOWLOG RESET"""
    c.server.slowlog.clear()
    return OK


@command("slowlog|help")
def cmd_slowlog_help(c, argv):
    """SLOWLOG HELP"""
    return _help("SLOWLOG", _HELP_SLOWLOG)


# ====================================================================== LATENCY

_LATENCY_HISTORY = 160


class _LatencyEvent:
    __slots__ = ("samples", "max")

    def __init__(self):
        self.samples: list[list[int]] = []  # [time, latency_ms], oldest first
        self.max = 0


def _latency_state(server) -> dict:
    state = getattr(server, "latency_events", None)
    if state is None:
        state = server.latency_events = {}
    return state


def latency_add_sample_if_needed(server, event: str, ms: int) -> None:
    """latencyAddSampleIfNeeded: record when latency-monitor-threshold is reached."""
    threshold = server.config.latency_monitor_threshold
    if threshold and ms >= threshold:
        latency_add_sample(server, event, ms)


def latency_add_sample(server, event: str, ms: int) -> None:
    """latencyAddSample: one sample per second per event, the max of that second."""
    state = _latency_state(server)
    ev = state.get(event)
    if ev is None:
        ev = state[event] = _LatencyEvent()
    now = int(time.time())
    if ms > ev.max:
        ev.max = ms
    if ev.samples and ev.samples[-1][0] == now:
        if ms > ev.samples[-1][1]:
            ev.samples[-1][1] = ms
        return
    ev.samples.append([now, ms])
    if len(ev.samples) > _LATENCY_HISTORY:
        del ev.samples[0]


@command("latency|latest")
def cmd_latency_latest(c, argv):
    """LATENCY LATEST"""
    out = []
    for name, ev in _latency_state(c.server).items():
        last = ev.samples[-1]
        out.append([name.encode(), last[0], last[1], ev.max])
    return out


@command("latency|history")
def cmd_latency_history(c, argv):
    """LATENCY HISTORY event"""
    ev = _latency_state(c.server).get(argv[2].decode("latin-1"))
    if ev is None:
        return []
    return [[t, ms] for t, ms in ev.samples]


@command("latency|reset")
def cmd_latency_reset(c, argv):
    """LATENCY RESET [event ...]"""
    state = _latency_state(c.server)
    if len(argv) == 2:
        n = len(state)
        state.clear()
        return n
    n = 0
    for name in argv[2:]:
        if state.pop(name.decode("latin-1"), None) is not None:
            n += 1
    return n


def _histogram_entry(cmd, proto: int) -> bytes:
    """fillCommandCDF: the command's name and {calls, histogram_usec: {usec: calls}}."""
    from ..hdr import cumulative_distribution

    cdf = cumulative_distribution(cmd.latency)
    body = {b"calls": sum(cmd.latency.values()), b"histogram_usec": dict(cdf)}
    return encode(cmd.fullname.encode(), proto) + encode(body, proto)


@command("latency|histogram")
def cmd_latency_histogram(c, argv):
    """LATENCY HISTOGRAM [command ...]

    A map keyed by command name; with names given Redis answers one entry per name as
    given, duplicates included, and a container's name stands for its subcommands. A
    map with repeated keys cannot be a dict, so the reply is encoded here.
    """
    from ..registry import all_commands

    if len(argv) == 2:
        chosen = [cmd for cmd in all_commands() if cmd.latency]
    else:
        chosen = []
        for name in argv[2:]:
            cmd = _lookup_by_fullname(name)
            if cmd is None:
                continue
            if cmd.latency:
                chosen.append(cmd)
            if cmd.subcommands:
                chosen.extend(sub for sub in sorted(cmd.subcommands.values(), key=lambda s: s.order) if sub.latency)
    proto = c.proto
    head = b"%%%d\r\n" % len(chosen) if proto == 3 else b"*%d\r\n" % (2 * len(chosen))
    return Raw(head + b"".join(_histogram_entry(cmd, proto) for cmd in chosen))


@command("latency|doctor")
def cmd_latency_doctor(c, argv):
    """LATENCY DOCTOR"""
    from ..latency import anon_huge_pages, doctor_report

    server = c.server
    report = doctor_report(_latency_state(server), server.config, server.stat_fork_rate, anon_huge_pages())
    return Verbatim(report.encode())


@command("latency|graph")
def cmd_latency_graph(c, argv):
    """LATENCY GRAPH event

    The event name is matched exactly (Redis's latency dict compares with strcmp).
    """
    from ..latency import graph

    name = argv[2].decode("latin-1")
    ev = _latency_state(c.server).get(name)
    if ev is None:
        raise CommandError(b"ERR No samples available for event '%b'" % argv[2])
    return Verbatim(graph(name, ev.samples, ev.max).encode("latin-1"))


@command("latency|help")
def cmd_latency_help(c, argv):
    """LATENCY HELP"""
    return _help("LATENCY", _HELP_LATENCY)


# ====================================================================== LOLWUT


@command("lolwut")
def cmd_lolwut(c, argv):
    """LOLWUT [VERSION version] [arg ...]

    VERSION 5 (and 4.9) draws Schotter, VERSION 6 (and 5.9) the skyline; any other
    version, as this server's own 7.0, answers the version line. The art's random
    parts use Python's generator, so they differ from redis-server's.
    """
    from .. import lolwut

    version = "7.0.15"
    args = argv[1:]
    if len(argv) >= 3 and argv[1].lower() == b"version":
        v = _getlong(argv[2])
        version = "%d.0.0" % (v & 0xFFFFFFFF)  # printed with %u
        args = argv[3:]
    if (version[:2] == "5." and version[2] != "9") or version[:3] == "4.9":
        cols, per_row, per_col = 66, 8, 12
        if len(args) > 0:
            cols = _getlong(args[0])
        if len(args) > 1:
            per_row = _getlong(args[1])
        if len(args) > 2:
            per_col = _getlong(args[2])
        cols = min(max(cols, 1), 1000)
        per_row = min(max(per_row, 1), 200)
        per_col = min(max(per_col, 1), 200)
        return Verbatim(lolwut.schotter(cols, per_row, per_col).encode())
    if (version[:2] == "6." and version[2] != "9") or version[:3] == "5.9":
        cols, rows = 80, 20
        if len(args) > 0:
            cols = _getlong(args[0])
        if len(args) > 1:
            rows = _getlong(args[1])
        return Verbatim(lolwut.skyline(min(max(cols, 1), 1000), min(max(rows, 1), 1000)).encode())
    return Verbatim(b"Redis ver. 7.0.15\n")


# ====================================================================== MODULE
# Redis modules are native shared objects written against redis-server's C module API,
# which redpy does not have. So no module is ever loaded: MODULE LIST is always empty,
# MODULE LOAD/LOADEX fail as Redis fails on a module it cannot load (the same reply, a
# log line saying why), and MODULE UNLOAD finds no module by any name.

_LOAD_FAILED = "ERR Error loading the extension. Please check the server logs."


def _module_load(path: bytes) -> None:
    """moduleLoad's checks in order, then the refusal every loadable file meets here."""
    name = path.decode("utf-8", "surrogateescape")
    try:
        st = os.stat(path)
    except OSError:
        log.warning("Module %s failed to load: %s: cannot open shared object file: No such file or directory", name, name)
        raise CommandError(_LOAD_FAILED) from None
    if not st.st_mode & 0o111:
        log.warning("Module %s failed to load: It does not have execute permissions.", name)
        raise CommandError(_LOAD_FAILED)
    log.warning("Module %s failed to load: redpy cannot load Redis modules (native shared objects).", name)
    raise CommandError(_LOAD_FAILED)

_HELP_MODULE = (
    "LIST",
    "    Return a list of loaded modules.",
    "LOAD <path> [<arg> ...]",
    "    Load a module library from <path>, passing to it any optional arguments.",
    "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
    "    Load a module library from <path>, while passing it module configurations and optional arguments.",
    "UNLOAD <name>",
    "    Unload a module.",
)


@command("module|list")
def cmd_module_list(c, argv):
    """MODULE LIST

    Always empty: redpy cannot load Redis modules (native shared objects).
    """
    return []


@command("module|load")
def cmd_module_load(c, argv):
    """MODULE LOAD path [arg ...]

    Fails like a module Redis cannot load: redpy has no native module API.
    """
    _module_load(argv[2])


@command("module|loadex")
def cmd_module_loadex(c, argv):
    """MODULE LOADEX path [CONFIG name value ...] [ARGS arg ...]

    The arguments are checked as parseLoadexArguments does (its errors are logged and
    answered like a failed load); then the load fails as MODULE LOAD's does.
    """
    args = argv[3:]
    i = 0
    while i < len(args):
        word = args[i].lower()
        if word == b"config":
            if i + 2 >= len(args):
                log.info("CONFIG specified without name value pair")
                raise CommandError(_LOAD_FAILED)
            i += 3
        elif word == b"args":
            break
        else:
            log.info("Syntax Error from arguments to loadex around %s.", args[i].decode("utf-8", "replace"))
            raise CommandError(_LOAD_FAILED)
    _module_load(argv[2])


@command("module|unload")
def cmd_module_unload(c, argv):
    """MODULE UNLOAD name"""
    raise CommandError("ERR Error unloading module: no such module with that name")


@command("module|help")
def cmd_module_help(c, argv):
    """MODULE HELP"""
    return _help("MODULE", _HELP_MODULE)


# ====================================================================== MEMORY


def _jemalloc_class(n: int) -> int:
    """The jemalloc size class Redis's allocations round up to (zmalloc_size)."""
    if n <= 8:
        return 8
    if n <= 128:
        return (n + 15) // 16 * 16
    size = 128
    step = 32
    while True:
        for _ in range(4):
            size += step
            if n <= size:
                return size
        step *= 2


def _string_size(v) -> int:
    if isinstance(v, bytes) and len(v) <= 20 and string2ll(v) is not None:
        return 16
    if isinstance(v, bytes) and len(v) <= 44:
        return _jemalloc_class(16 + 3 + len(v) + 1)
    return 16 + _jemalloc_class(len(v) + 9)


def _elem_size(v) -> int:
    if isinstance(v, (bytes, bytearray)):
        return _jemalloc_class(len(v) + 3)
    return 16


def object_size(value, samples: int = 5) -> int:
    """An estimate in Redis's terms (objectComputeSize): strings exactly as jemalloc
    rounds them, containers by sampling `samples` elements (0: all)."""
    if isinstance(value, (bytes, bytearray)):
        return _string_size(value)
    try:
        n = len(value)
    except TypeError:
        return 16
    if n == 0:
        return 16
    items = value.items() if hasattr(value, "items") else value
    total = 0
    taken = 0
    for item in items:
        if isinstance(item, tuple):
            total += sum(_elem_size(x) for x in item) + 24
        else:
            total += _elem_size(item) + 8
        taken += 1
        if samples and taken >= samples:
            break
    return 16 + 64 + total * n // max(taken, 1)


def key_memory_usage(db, key: bytes, value, samples: int = 5) -> int:
    """MEMORY USAGE: value + the key's sds allocation + sizeof(dictEntry)."""
    n = len(key)
    hdr = 1 if n < 32 else 3 if n < 256 else 5 if n < 65536 else 9
    return object_size(value, samples) + _jemalloc_class(hdr + n + 1) + 24


@command("memory|usage")
def cmd_memory_usage(c, argv):
    """MEMORY USAGE key [SAMPLES count]

    An estimate: strings use the sizes Redis's allocator would give; containers sample
    `count` elements (default 5, 0 = all) and extrapolate.
    """
    samples = 5
    i = 3
    while i < len(argv):
        if argv[i].lower() == b"samples" and i + 1 < len(argv):
            samples = _getlong(argv[i + 1])
            if samples < 0:
                raise CommandError(SYNTAX)
            if samples == 0:
                samples = 2**63 - 1
            i += 2
        else:
            raise CommandError(SYNTAX)
    value = c.db.lookup(argv[2])
    if value is None:
        return NULL
    return key_memory_usage(c.db, argv[2], value, samples)


@command("memory|stats")
def cmd_memory_stats(c, argv):
    """MEMORY STATS (Redis's field names; the numbers are redpy's estimates)"""
    server = c.server
    m = info.memory_numbers(server)
    out = {
        b"peak.allocated": m["peak"],
        b"total.allocated": m["used"],
        b"startup.allocated": m["startup"],
        b"replication.backlog": 0,
        b"clients.slaves": 0,
        b"clients.normal": m["clients"],
        b"cluster.links": 0,
        b"aof.buffer": 0,
        b"lua.caches": 0,
        b"functions.caches": 0,
    }
    for db in server.dbs:
        if db.data:
            out[b"db.%d" % db.id] = {
                b"overhead.hashtable.main": info.dict_overhead(len(db.data)),
                b"overhead.hashtable.expires": info.dict_overhead(len(db.expires)),
                b"overhead.hashtable.slot-to-keys": 0,
            }
    keys = sum(len(db.data) for db in server.dbs)
    out[b"overhead.total"] = m["overhead"]
    out[b"keys.count"] = keys
    out[b"keys.bytes-per-key"] = (m["used"] - m["startup"]) // keys if keys else 0
    out[b"dataset.bytes"] = m["dataset"]
    out[b"dataset.percentage"] = Double(m["dataset_perc"])
    out[b"peak.percentage"] = Double(m["used"] * 100.0 / m["peak"] if m["peak"] else 0.0)
    out[b"allocator.allocated"] = m["used"]
    out[b"allocator.active"] = m["used"]
    out[b"allocator.resident"] = m["rss"]
    out[b"allocator-fragmentation.ratio"] = Double(1.0)
    out[b"allocator-fragmentation.bytes"] = 0
    out[b"allocator-rss.ratio"] = Double(m["rss"] / m["used"] if m["used"] else 0.0)
    out[b"allocator-rss.bytes"] = m["rss"] - m["used"]
    out[b"rss-overhead.ratio"] = Double(1.0)
    out[b"rss-overhead.bytes"] = 0
    out[b"fragmentation"] = Double(m["rss"] / m["used"] if m["used"] else 0.0)
    out[b"fragmentation.bytes"] = m["rss"] - m["used"]
    return out


@command("memory|doctor")
def cmd_memory_doctor(c, argv):
    """MEMORY DOCTOR

    Only the two reports that do not depend on allocator internals: an (almost) empty
    instance (< 5MB beyond the interpreter's startup memory) and "no issues".
    """
    m = info.memory_numbers(c.server)
    # Redis's 5 MB test is on its own allocations: leave the interpreter's startup out
    if m["used"] - m["startup"] + info.STARTUP_BYTES < 5 * 1024 * 1024:
        text = ("Hi Sam, this instance is empty or is using very little memory, my issues detector "
                "can't be used in these conditions. Please, leave for your mission on Earth and fill "
                "it with some data. The new Sam and I will be back to our programming as soon as I "
                "finished rebooting.\n")
    else:
        text = ("Hi Sam, I can't find any memory issue in your instance. I can only account for "
                "what occurs on this base.\n")
    return Verbatim(text.encode())


@command("memory|malloc-stats")
def cmd_memory_malloc_stats(c, argv):
    """MEMORY MALLOC-STATS (what Redis answers when built without jemalloc)"""
    return Verbatim(b"Stats not supported for the current allocator")


@command("memory|purge")
def cmd_memory_purge(c, argv):
    """MEMORY PURGE"""
    return OK


@command("memory|help")
def cmd_memory_help(c, argv):
    """MEMORY HELP"""
    return _help("MEMORY", _HELP_MEMORY)


# ====================================================================== MONITOR


def sdscatrepr(s: bytes) -> bytes:
    """sdscatrepr: a double-quoted, escaped representation."""
    out = bytearray(b'"')
    for ch in s:
        if ch == 0x5C or ch == 0x22:
            out += b"\\" + bytes((ch,))
        elif ch == 10:
            out += b"\\n"
        elif ch == 13:
            out += b"\\r"
        elif ch == 9:
            out += b"\\t"
        elif ch == 7:
            out += b"\\a"
        elif ch == 8:
            out += b"\\b"
        elif 32 <= ch < 127:
            out.append(ch)
        else:
            out += b"\\x%02x" % ch
    out += b'"'
    return bytes(out)


def _feed_monitors(server, c, argv) -> None:
    """replicationFeedMonitors, called by dispatch.call after the command ran (as 7.0
    does). Admin commands are not shown."""
    from ..registry import lookup

    cmd = lookup(argv)
    if cmd is not None and cmd.admin:
        return
    now = time.time()
    if c.unix:
        who = b"unix:%s" % server.config.unixsocket.encode()
    else:
        who = c.addr.encode()
    line = b"+%.6f [%d %s] " % (now, c.db.id, who) + b" ".join(sdscatrepr(a) for a in argv) + b"\r\n"
    from ..replies import Raw

    raw = Raw(line)
    for m in list(server.monitors):
        if m.closed:
            continue
        m.push(raw)
        m.flush()


@command("monitor")
def cmd_monitor(c, argv):
    """MONITOR

    A second MONITOR from the same client is ignored without a reply, as in Redis.
    """
    if c.monitor or c.kind == "replica":
        return NO_REPLY
    server = c.server
    if "feed_monitors" not in vars(server):
        server.feed_monitors = lambda cl, args: _feed_monitors(server, cl, args)
    c.monitor = True
    server.monitors.append(c)
    return OK


# ====================================================================== DEBUG

_TYPE_CODES = {"string": 0, "list": 1, "set": 2, "zset": 3, "hash": 4, "module": 5, "stream": 6}


def _sha1(data: bytes) -> bytes:
    return hashlib.sha1(data).digest()


def _xor_digest(digest: bytearray, data: bytes) -> None:
    h = _sha1(data)
    for j in range(20):
        digest[j] ^= h[j]


def _mix_digest(digest: bytearray, data: bytes) -> None:
    _xor_digest(digest, data)
    digest[:] = _sha1(bytes(digest))


def _type_name(value) -> str:
    from ..db import type_name

    return type_name(value).decode()


def _format_score(score: float) -> bytes:
    from ..numbers import format_double

    return format_double(score)


def xor_object_digest(db, key: bytes, digest: bytearray, value) -> None:
    """xorObjectDigest: the type, the value by Redis's rules per type, the expire mark."""
    tname = _type_name(value)
    _mix_digest(digest, struct.pack(">I", _TYPE_CODES.get(tname, 0)))
    if tname == "string":
        _mix_digest(digest, bytes(value))
    elif tname == "list":
        for ele in value:
            _mix_digest(digest, bytes(ele))
    elif tname == "set":
        for ele in value:
            _xor_digest(digest, bytes(ele))
    elif tname == "zset":
        for member, score in value.items():
            ele = bytearray(20)
            _mix_digest(ele, bytes(member))
            _mix_digest(ele, _format_score(score))
            _xor_digest(digest, bytes(ele))
    elif tname == "hash":
        for field, val in value.items():
            ele = bytearray(20)
            _mix_digest(ele, bytes(field))
            _mix_digest(ele, bytes(val))
            _xor_digest(digest, bytes(ele))
    elif tname == "stream":
        # every entry in ID order: "ms.seq", then each field and value
        data = value.data
        for sid in value.ids:
            _mix_digest(digest, b"%d.%d" % sid)
            for x in data[sid]:
                _mix_digest(digest, bytes(x))
    else:
        raise CommandError("ERR DEBUG DIGEST is not supported for this type in redpy")
    if key in db.expires:
        _xor_digest(digest, b"!!expire!!")


def dataset_digest(server) -> bytes:
    """computeDatasetDigest: 40 hex digits, zeros for an empty dataset."""
    final = bytearray(20)
    for db in server.dbs:
        if not db.data:
            continue
        _mix_digest(final, struct.pack(">I", db.id))
        for key in list(db.data):
            value = db.lookup(key)
            if value is None:
                continue
            d = bytearray(20)
            _mix_digest(d, key)
            xor_object_digest(db, key, d, value)
            _xor_digest(final, bytes(d))
    return final.hex().encode()


def _string_encoding(value) -> bytes:
    if isinstance(value, bytearray):
        return b"raw"
    if len(value) <= 20 and string2ll(value) is not None:
        return b"int"
    return b"embstr" if len(value) <= 44 else b"raw"


def _rdb_len_size(n: int) -> int:
    if n < 64:
        return 1
    if n < 16384:
        return 2
    if n <= 0xFFFFFFFF:
        return 5
    return 9


def _string_serialized_len(value) -> int:
    """rdbSavedObjectLen of a string without LZF (redpy does not compress)."""
    v = bytes(value)
    if len(v) <= 11:
        n = string2ll(v)
        if n is not None:
            if -(2**7) <= n < 2**7:
                return 2
            if -(2**15) <= n < 2**15:
                return 3
            if -(2**31) <= n < 2**31:
                return 5
    return _rdb_len_size(len(v)) + len(v)


def _lru_clock() -> int:
    return int(time.time()) & ((1 << 24) - 1)


def _stringmatch_fuzz(rounds: int = 2000) -> None:
    """stringmatchlen_fuzz_test: random patterns against random strings, for crashes.

    Redis runs 100000 rounds in C; 2000 keep the command near half a second here.
    """
    import random

    from .. import glob

    alphabet = b"*?[]^-\\ab\x00\xff"
    rnd = random.Random()
    for _ in range(rounds):
        pattern = bytes(rnd.choice(alphabet) for _ in range(rnd.randrange(32)))
        string = bytes(rnd.choice(alphabet) for _ in range(rnd.randrange(32)))
        glob.match(pattern, string, nocase=bool(rnd.getrandbits(1)))


def _debug_reload(server, options):
    """DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty the dataset, load the dump."""
    from .persistence import debug_reload

    save = flush = True
    merge = False
    for opt in options:
        low = opt.lower()
        if low == b"merge":
            merge = True
        elif low == b"noflush":
            flush = False
        elif low == b"nosave":
            save = False
        else:
            raise CommandError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
    from ..persistence.rdb import RdbError

    try:
        if not debug_reload(server, save=save, merge=not flush, allow_dup=merge):
            raise CommandError("ERR")
    except (OSError, RdbError) as e:
        log.warning("DEBUG RELOAD: %s", e)
        raise CommandError("ERR Error trying to load the RDB dump") from None
    log.warning("DB reloaded by DEBUG RELOAD")
    return OK


@command("debug")
def cmd_debug(c, argv):
    """DEBUG subcommand [argument ...]

    Implemented: HELP, SLEEP, POPULATE, SET-ACTIVE-EXPIRE, OBJECT, DIGEST, DIGEST-VALUE,
    CHANGE-REPL-ID, QUICKLIST-PACKED-THRESHOLD, LISTPACK, LOG, ERROR. Other subcommands
    answer the unknown-subcommand error. OBJECT's address is the Python id and its
    serializedlength assumes no LZF compression.
    """
    server = c.server
    sub = argv[1].lower()
    argc = len(argv)
    if sub == b"help" and argc == 2:
        return _help("DEBUG", _HELP_DEBUG)
    if sub == b"sleep" and argc == 3:
        try:
            secs = float(argv[2].decode("latin-1"))
        except ValueError:
            secs = 0.0
        if secs > 0:
            time.sleep(secs)
        return OK
    if sub == b"populate" and 3 <= argc <= 5:
        # DEBUG POPULATE count [prefix] [size]: key "<prefix>:<j>" = "value:<j>", cut or
        # zero-padded to size; existing keys are skipped; no dirty (as in Redis)
        positive = "ERR value is out of range, must be positive"
        count = _getlong(argv[2], 0, 2**63 - 1, positive)
        size = _getlong(argv[4], 0, 2**63 - 1, positive) if argc == 5 else 0
        prefix = argv[3].split(b"\0", 1)[0] if argc >= 4 else b"key"
        db = c.db
        for j in range(count):
            key = b"%b:%d" % (prefix, j)
            if db.lookup(key) is not None:
                continue
            value = b"value:%d" % j
            if size:
                value = value[:size].ljust(size, b"\0")
            db.add(key, value)
        return OK
    if sub == b"set-active-expire" and argc == 3:
        server.active_expire_enabled = bool(keyspecs._atoi(argv[2]))
        return OK
    if sub == b"object" and argc == 3:
        from ..evict import lookup_notouch

        db = c.db
        value = lookup_notouch(db, argv[2], False) if db.touch is not None else db.lookup(argv[2])
        if value is None:
            raise CommandError(NO_SUCH_KEY)
        if isinstance(value, (bytes, bytearray)):
            enc = _string_encoding(value)
            ser = _string_serialized_len(value)
        else:
            enc = getattr(value, "encoding", b"unknown")
            enc = enc if isinstance(enc, bytes) else str(enc).encode()
            ser = len(value) if hasattr(value, "__len__") else 0
        lru, idle = _lru_clock(), 0
        if db.access is not None:  # the key's LRU clock (evict.py)
            from ..evict import idle_seconds

            lru = db.access.get(argv[2], server.lru_start)
            idle = idle_seconds(db, argv[2])
        return Simple(
            b"Value at:0x%x refcount:1 encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d"
            % (id(value), enc, ser, lru, idle)
        )
    if sub == b"digest" and argc == 2:
        return Simple(dataset_digest(server))
    if sub == b"digest-value" and argc >= 2:
        out = []
        for key in argv[2:]:
            d = bytearray(20)
            value = c.db.lookup(key)
            if value is not None:
                xor_object_digest(c.db, key, d, value)
            out.append(Simple(d.hex().encode()))
        return out
    if sub == b"reload":
        return _debug_reload(server, argv[2:])
    if sub == b"loadaof" and argc == 2:
        # Redis exits when there is no AOF to load (AOF off); redpy refuses instead
        if server.aof.state != "on":
            raise CommandError("ERR DEBUG LOADAOF needs appendonly yes")
        from ..persistence.aof import AofError, debug_loadaof

        try:
            debug_loadaof(server)
        except AofError:
            raise CommandError("ERR Error loading the append only file") from None
        return OK
    if sub == b"stringmatch-test" and argc == 2:
        _stringmatch_fuzz()
        return Simple(b"Apparently Redis did not crash: test passed")
    if sub == b"change-repl-id" and argc == 2:
        info.change_replication_id(server)
        return OK
    if sub == b"quicklist-packed-threshold" and argc == 3:
        from ..config import memtoull

        sz = memtoull(argv[2].decode("latin-1"))
        if sz is None or sz > (1 << 32) - (1 << 20):
            raise CommandError("ERR argument must be a memory value bigger than 1 and smaller than 4gb")
        server.quicklist_packed_threshold = sz or (1 << 30)
        return OK
    if sub == b"listpack" and argc == 3:
        value = c.db.lookup(argv[2])
        if value is None:
            raise CommandError(NO_SUCH_KEY)
        if getattr(value, "encoding", None) != b"listpack":
            raise CommandError("ERR Not a listpack encoded object.")
        log.info("listpack of %r: %d entries", argv[2], len(value))
        return Simple(b"Listpack structure printed on stdout")
    if sub == b"log" and argc == 3:
        log.warning("DEBUG LOG: %s", argv[2].decode("utf-8", "replace"))
        return OK
    if sub == b"error" and argc == 3:
        raise CommandError(argv[2])
    raise subcommand_syntax(argv[1], "debug")


# ====================================================================== SHUTDOWN


@command("shutdown")
def cmd_shutdown(c, argv):
    """SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]

    The server is asked to stop with the flags as a space-separated mode string
    ("default" when none): server.prepare_shutdown(mode), then request_shutdown(mode).
    The client gets no reply when the server stops.
    """
    flags = []
    abort = False
    for arg in argv[1:]:
        a = arg.lower()
        if a in (b"nosave", b"save", b"now", b"force"):
            if a.decode() not in flags:
                flags.append(a.decode())
        elif a == b"abort":
            abort = True
        else:
            raise CommandError(SYNTAX)
    if (abort and flags) or ("nosave" in flags and "save" in flags):
        raise CommandError(SYNTAX)
    server = c.server
    if abort:
        raise CommandError("ERR No shutdown in progress.")
    mode = " ".join(flags) or "default"
    busy = server.busy_script
    if busy is not None:
        # a script past busy-reply-threshold: only SHUTDOWN NOSAVE, which stops the
        # script at its next hook (whatever it wrote) and then the server
        from ..errors import BUSY_EVAL, BUSY_FUNCTION

        if "nosave" not in flags:
            raise CommandError(BUSY_FUNCTION if busy.fcall else BUSY_EVAL)
        server.prepare_shutdown(mode)
        busy.killed = busy.shutdown = True
        server.request_shutdown(mode)
        return NO_REPLY
    if not server.prepare_shutdown(mode):
        raise CommandError("ERR Errors trying to SHUTDOWN. Check logs.")
    server.request_shutdown(mode)
    return NO_REPLY


_HELP_CONFIG = (
    'GET <pattern>',
    '    Return parameters matching the glob-like <pattern> and their values.',
    'SET <directive> <value>',
    '    Set the configuration <directive> to <value>.',
    'RESETSTAT',
    '    Reset statistics reported by the INFO command.',
    'REWRITE',
    '    Rewrite the configuration file.',
)

_HELP_COMMAND = (
    '(no subcommand)',
    '    Return details about all Redis commands.',
    'COUNT',
    '    Return the total number of commands in this Redis server.',
    'LIST',
    '    Return a list of all commands in this Redis server.',
    'INFO [<command-name> ...]',
    '    Return details about multiple Redis commands.',
    '    If no command names are given, documentation details for all',
    '    commands are returned.',
    'DOCS [<command-name> ...]',
    '    Return documentation details about multiple Redis commands.',
    '    If no command names are given, documentation details for all',
    '    commands are returned.',
    'GETKEYS <full-command>',
    '    Return the keys from a full Redis command.',
    'GETKEYSANDFLAGS <full-command>',
    '    Return the keys and the access flags from a full Redis command.',
)

_HELP_SLOWLOG = (
    'GET [<count>]',
    '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
    '    Entries are made of:',
    '    id, timestamp, time in microseconds, arguments array, client IP and port,',
    '    client name',
    'LEN',
    '    Return the length of the slowlog.',
    'RESET',
    '    Reset the slowlog.',
)

_HELP_LATENCY = (
    'DOCTOR',
    '    Return a human readable latency analysis report.',
    'GRAPH <event>',
    '    Return an ASCII latency graph for the <event> class.',
    'HISTORY <event>',
    '    Return time-latency samples for the <event> class.',
    'LATEST',
    '    Return the latest latency samples for all events.',
    'RESET [<event> ...]',
    '    Reset latency data of one or more <event> classes.',
    '    (default: reset all data for all event classes)',
    'HISTOGRAM [COMMAND ...]',
    '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
    '    If no commands are specified then all histograms are replied.',
)

_HELP_MEMORY = (
    'DOCTOR',
    '    Return memory problems reports.',
    'MALLOC-STATS',
    '    Return internal statistics report from the memory allocator.',
    'PURGE',
    '    Attempt to purge dirty pages for reclamation by the allocator.',
    'STATS',
    '    Return information about the memory usage of the server.',
    'USAGE <key> [SAMPLES <count>]',
    '    Return memory in bytes used by <key> and its value. Nested values are',
    '    sampled up to <count> times (default: 5, 0 means sample all).',
)

_HELP_DEBUG = (
    'AOF-FLUSH-SLEEP <microsec>',
    '    Server will sleep before flushing the AOF, this is used for testing.',
    'ASSERT',
    '    Crash by assertion failed.',
    'CHANGE-REPL-ID',
    '    Change the replication IDs of the instance.',
    '    Dangerous: should be used only for testing the replication subsystem.',
    'CONFIG-REWRITE-FORCE-ALL',
    '    Like CONFIG REWRITE but writes all configuration options, including',
    '    keywords not listed in original configuration file or default values.',
    'CRASH-AND-RECOVER [<milliseconds>]',
    '    Hard crash and restart after a <milliseconds> delay (default 0).',
    'DIGEST',
    '    Output a hex signature representing the current DB content.',
    'DIGEST-VALUE <key> [<key> ...]',
    '    Output a hex signature of the values of all the specified keys.',
    'ERROR <string>',
    '    Return a Redis protocol error with <string> as message. Useful for clients',
    '    unit tests to simulate Redis errors.',
    'LEAK <string>',
    '    Create a memory leak of the input string.',
    'LOG <message>',
    '    Write <message> to the server log.',
    'HTSTATS <dbid>',
    '    Return hash table statistics of the specified Redis database.',
    'HTSTATS-KEY <key>',
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    'LOADAOF',
    '    Flush the AOF buffers on disk and reload the AOF in memory.',
    'REPLICATE <string>',
    '    Replicates the provided string to replicas, allowing data divergence.',
    'MALLCTL <key> [<val>]',
    '    Get or set a malloc tuning integer.',
    'MALLCTL-STR <key> [<val>]',
    '    Get or set a malloc tuning string.',
    'OBJECT <key>',
    '    Show low level info about `key` and associated value.',
    'DROP-CLUSTER-PACKET-FILTER <packet-type>',
    '    Drop all packets that match the filtered type. Set to -1 allow all packets.',
    'OOM',
    '    Crash the server simulating an out-of-memory error.',
    'PANIC',
    '    Crash the server simulating a panic.',
    'POPULATE <count> [<prefix>] [<size>]',
    '    Create <count> string keys named key:<num>. If <prefix> is specified then',
    "    it is used instead of the 'key' prefix. These are not propagated to",
    '    replicas. Cluster slots are not respected so keys not belonging to the',
    '    current node can be created in cluster mode.',
    'PROTOCOL <type>',
    '    Reply with a test value of the specified type. <type> can be: string,',
    '    integer, double, bignum, null, array, set, map, attrib, push, verbatim,',
    '    true, false.',
    'RELOAD [option ...]',
    '    Save the RDB on disk and reload it back to memory. Valid <option> values:',
    '    * MERGE: conflicting keys will be loaded from RDB.',
    '    * NOFLUSH: the existing database will not be removed before load, but',
    '      conflicting keys will generate an exception and kill the server.',
    '    * NOSAVE: the database will be loaded from an existing RDB file.',
    '    Examples:',
    '    * DEBUG RELOAD: verify that the server is able to persist, flush and reload',
    '      the database.',
    '    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an',
    '      existing RDB file.',
    '    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB',
    '      file to the database.',
    'RESTART [<milliseconds>]',
    '    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).',
    'SDSLEN <key>',
    '    Show low level SDS string info representing `key` and value.',
    'SEGFAULT',
    '    Crash the server with sigsegv.',
    'SET-ACTIVE-EXPIRE <0|1>',
    '    Setting it to 0 disables expiring keys in background when they are not',
    '    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the',
    '    default.',
    'QUICKLIST-PACKED-THRESHOLD <size>',
    '    Sets the threshold for elements to be inserted as plain vs packed nodes',
    '    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.',
    'SET-SKIP-CHECKSUM-VALIDATION <0|1>',
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    'SLEEP <seconds>',
    '    Stop the server for <seconds>. Decimals allowed.',
    'STRINGMATCH-TEST',
    '    Run a fuzz tester against the stringmatchlen() function.',
    'STRUCTSIZE',
    '    Return the size of different Redis core C structures.',
    'LISTPACK <key>',
    '    Show low level info about the listpack encoding of <key>.',
    'QUICKLIST <key> [<0|1>]',
    '    Show low level info about the quicklist encoding of <key>.',
    '    The optional argument (0 by default) sets the level of detail',
    'CLIENT-EVICTION',
    '    Show low level client eviction pools info (maxmemory-clients).',
    'PAUSE-CRON <0|1>',
    '    Stop periodic cron job processing.',
    'REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>',
    '    Sets the time (in milliseconds) to wait between client reply buffer peak resets.',
    '    In case NEVER is provided the last observed peak will never be reset',
    '    In case RESET is provided the peak reset time will be restored to the default value',
    'REPLYBUFFER RESIZING <0|1>',
    '    Enable or disable the reply buffer resize cron job',
    'CLUSTERLINK KILL <to|from|all> <node-id>',
    '    Kills the link based on the direction to/from (both) with the provided node.',
)

