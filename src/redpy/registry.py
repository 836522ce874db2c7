"""The command table, filled by decorators at the definition sites.

Every command's metadata (arity, flags, ACL categories, key specs, docs) comes from
`data/commands.json`, generated from Redis 7.0.15 itself by scripts/gen_command_table.py:
nothing is retyped. A handler is registered with only its name:

    command = command_group("string")

    @command("set")
    def cmd_set(c, argv): ...

The name must exist in Redis's table and belong to the declared group, so a typo fails at
import. Containers (CONFIG, CLIENT, ...) exist as soon as one of their subcommands is
registered; their table entry holds only the implemented subcommands, so an unimplemented
subcommand answers exactly like an unknown one.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Callable

from . import replies


def _typed(v):
    """Turn the generated typed JSON back into reply values (see the generator)."""
    if v is None or isinstance(v, int):
        return v
    (kind, x), = v.items()
    if kind == "b":
        return x.encode("latin-1")
    if kind == "s":
        return replies.Simple(x.encode("latin-1"))
    if kind == "a":
        return [_typed(i) for i in x]
    if kind == "set":
        return replies.SetReply(_typed(i) for i in x)
    if kind == "m":
        return {_typed(k): _typed(val) for k, val in x}
    if kind == "d":
        return replies.Double(x)
    raise ValueError(kind)


def _load_table() -> dict:
    raw = json.loads(resources.files(__package__).joinpath("data/commands.json").read_text())
    order = {name: i for i, name in enumerate(raw["order"])}
    return {"order": order, "info": raw["info"], "docs": raw["docs"]}


TABLE = _load_table()

# Flags that dispatch tests on every call become attributes, not set lookups.
_FLAG_ATTRS = (
    "write",
    "readonly",
    "denyoom",
    "admin",
    "pubsub",
    "noscript",
    "blocking",
    "loading",
    "stale",
    "skip_monitor",
    "skip_slowlog",
    "asking",
    "fast",
    "no_auth",
    "may_replicate",
    "sentinel",
    "only_sentinel",
    "no_mandatory_keys",
    "protected",
    "module",
    "no_async_loading",
    "no_multi",
    "movablekeys",
    "allow_busy",
)


# Durations (microseconds) counted in Command.hist's list; longer ones in a dict.
HIST_SIZE = 64


class Command:
    """One entry of the command table: a command or a subcommand."""

    __slots__ = (
        "name",
        "fullname",
        "group",
        "arity",
        "flags",
        "acl_categories",
        "first_key",
        "last_key",
        "step",
        "key_specs",
        "handler",
        "parent",
        "subcommands",
        "order",
        "_info",
        "_docs",
        # per-command statistics (INFO commandstats; see record_long and reset_stats)
        "hist",
        "hist_long",
        "untracked_calls",
        "untracked_usec",
        "rejected_calls",
        "failed_calls",
    ) + _FLAG_ATTRS

    def __init__(self, fullname: str, handler: Callable | None):
        info = TABLE["info"][fullname]["a"]
        self.fullname = fullname
        self.name = fullname.rsplit("|", 1)[-1]
        self.handler = handler
        self.parent: Command | None = None
        self.subcommands: dict[bytes, Command] | None = None
        self.order = TABLE["order"][fullname]
        self.arity = info[1]
        flags = [f["s"] for f in info[2]["set"] if "s" in f] if "set" in info[2] else [
            f["s"] for f in info[2]["a"]
        ]
        self.flags = frozenset(flags)
        for attr in _FLAG_ATTRS:
            setattr(self, attr, attr in self.flags)
        # CMD_PROTECTED is not among the flags COMMAND INFO shows; Redis 7.0 sets it on
        # DEBUG and on MODULE LOAD/LOADEX/UNLOAD (enable-debug-command /
        # enable-module-command); MODULE LIST and HELP are not protected.
        self.protected = fullname in ("debug", "module|load", "module|loadex", "module|unload")
        self.first_key, self.last_key, self.step = info[3], info[4], info[5]
        cats = info[6]["set"] if "set" in info[6] else info[6]["a"]
        self.acl_categories = tuple(c["s"][1:] for c in cats)
        self._info = info
        self._docs = TABLE["docs"].get(fullname)
        self.key_specs = _typed(info[8])
        self.group = _typed({"m": self._docs["m"]}).get(b"group", b"").decode() if self._docs else ""
        self.reset_stats()

    # Statistics. Dispatch records a call taking d microseconds, while latency-tracking
    # is on, as `cmd.hist[d] += 1` (an IndexError from d >= HIST_SIZE: record_long),
    # and while it is off as untracked_calls/untracked_usec. One increment per call is
    # all the hot path pays: calls and usec are sums over the histogram.

    def reset_stats(self) -> None:
        """CONFIG RESETSTAT (and a new command): every counter to zero."""
        self.hist = [0] * HIST_SIZE
        self.hist_long: dict[int, int] = {}  # duration >= HIST_SIZE -> calls
        self.untracked_calls = self.untracked_usec = 0
        self.rejected_calls = self.failed_calls = 0

    def record_long(self, duration: int) -> None:
        self.hist_long[duration] = self.hist_long.get(duration, 0) + 1

    @property
    def latency(self) -> dict[int, int]:
        """Duration in microseconds -> calls, of the calls made while latency-tracking
        was on (INFO latencystats, LATENCY HISTOGRAM; hdr.py)."""
        out = {d: n for d, n in enumerate(self.hist) if n}
        out.update(self.hist_long)
        return out

    @property
    def calls(self) -> int:
        return sum(self.hist) + sum(self.hist_long.values()) + self.untracked_calls

    @property
    def usec(self) -> int:
        hist = self.hist
        return (
            sum(map(int.__mul__, range(HIST_SIZE), hist))
            + sum(d * n for d, n in self.hist_long.items())
            + self.untracked_usec
        )

    def info_reply(self) -> list:
        """This command's COMMAND INFO entry, with only the implemented subcommands."""
        reply = _typed({"a": self._info[:9]})
        subs = sorted(self.subcommands.values(), key=lambda s: s.order) if self.subcommands else []
        # Redis sends a container's subcommands as an array, a leaf's empty list as a set.
        container = list if "a" in self._info[9] else replies.SetReply
        reply.append(container(s.info_reply() for s in subs))
        return reply

    def docs_reply(self) -> dict:
        reply = _typed(self._docs)
        if self.subcommands:
            subs = sorted(self.subcommands.values(), key=lambda s: s.order)
            reply[b"subcommands"] = {s.fullname.encode(): s.docs_reply() for s in subs}
        return reply

    def __repr__(self) -> str:
        return f"<Command {self.fullname}>"


# name (bytes, lower case) -> Command. Built once at import by the decorators.
COMMANDS: dict[bytes, Command] = {}


def command_group(group: str):
    """Return the decorator that registers commands of one Redis command group."""

    def command(fullname: str):
        if fullname not in TABLE["info"]:
            raise KeyError(f"{fullname!r} is not a Redis 7.0 command")

        def register(handler: Callable) -> Callable:
            cmd = Command(fullname, handler)
            if cmd.group != group:
                raise ValueError(f"{fullname} belongs to group {cmd.group!r}, not {group!r}")
            if "|" in fullname:
                parent_name = fullname.split("|", 1)[0]
                parent = COMMANDS.get(parent_name.encode())
                if parent is None:
                    parent = Command(parent_name, None)
                    parent.subcommands = {}
                    COMMANDS[parent_name.encode()] = parent
                cmd.parent = parent
                parent.subcommands[cmd.name.encode()] = cmd
            else:
                if fullname.encode() in COMMANDS:
                    raise ValueError(f"{fullname} registered twice")
                COMMANDS[fullname.encode()] = cmd
            return handler

        return register

    return command


def all_commands():
    """Every implemented command and subcommand, in the oracle's order."""
    out = []
    for cmd in COMMANDS.values():
        out.append(cmd)
        if cmd.subcommands:
            out.extend(cmd.subcommands.values())
    return sorted(out, key=lambda c: c.order)


def lookup(argv: list[bytes]) -> Command | None:
    """lookupCommand: the container itself when there is no subcommand argument."""
    cmd = COMMANDS.get(argv[0].lower())
    if cmd is None or cmd.subcommands is None or len(argv) == 1:
        return cmd
    return cmd.subcommands.get(argv[1].lower())
