"""ACL: users, selectors, permission checks and the ACL log (Redis 7.0's acl.c).

`Acl` lives on the Server as `server.acl`. A user has flags, SHA-256 password hashes and
selectors; the first selector is the root one (the user's top-level rules), the others
come from `(...)` rules. A selector holds:

- `allowed`: the set of command fullnames it may run (Redis's command bitmap, over
  Redis's whole command table, implemented here or not), `allcommands` (a shortcut set
  by +@all and dropped by any removal) and `future` (Redis's reserved bit: set by +@all,
  cleared by -@all; it decides whether the description starts with +@all or -@all);
- `firstargs`: fullname -> first arguments allowed for an otherwise blocked command
  (the deprecated `+select|0` form);
- key patterns `[pattern, flags]` (R=1, W=2) and channel patterns.

Descriptions (ACL LIST / GETUSER) are recomputed from the bitmap as Redis 7.0.15 does:
+@all or -@all, then the best-fitting categories, then single-command differences.
Redis emits those single commands in its command dict's order, which is a per-process
random hash order; we emit them in command table order.

The permission check is installed in `server.check_hooks` only while some user is
restricted, so a server without ACL rules pays nothing per command.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time

from .errors import CommandError
from .glob import match as _glob_match
from .keyspecs import FULL_TABLE, get_keys
from .registry import TABLE
from .replies import Double, SetReply
from .resp import split_args

log = logging.getLogger("redpy")

CATEGORIES = (
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
    "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
    "dangerous", "connection", "transaction", "scripting",
)

READ, WRITE = 1, 2

ACL_OK, DENIED_CMD, DENIED_KEY, DENIED_AUTH, DENIED_CHANNEL = 0, 1, 2, 3, 4

# user flags, in the order Redis prints them
F_ON, F_OFF, F_NOPASS, F_SKIP_SANITIZE, F_SANITIZE = 1, 2, 4, 8, 16
_FLAG_NAMES = ((F_ON, b"on"), (F_OFF, b"off"), (F_NOPASS, b"nopass"),
               (F_SKIP_SANITIZE, b"skip-sanitize-payload"), (F_SANITIZE, b"sanitize-payload"))

NO_ACLFILE = (
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify "
    "users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a "
    "Redis configuration file set) in order to store users in the Redis configuration."
)

_ERR_SYNTAX = "Syntax error"
_ERR_UNKNOWN = "Unknown command or category name in ACL"
_ERR_ALLKEYS = (
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not "
    "have any effect. Try 'resetkeys' to start with an empty list of patterns"
)
_ERR_ALLCHANNELS = (
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does "
    "not have any effect. Try 'resetchannels' to start with an empty list of channels"
)
_ERR_NOPASS = "The password you are trying to remove from the user does not exist"
_ERR_HASH = (
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
    "characters"
)
_ERR_CHILD = "Allowing first-arg of a subcommand is not supported"
_ERR_DUPLICATE = "Duplicate user found. A user can only be defined once in config files"


class AclRuleError(Exception):
    """One rule failed; the message is ACLSetUserStringError's text."""


# ------------------------------------------------------------------ the command universe


def _names(entry) -> list[str]:
    lst = entry.get("set", entry.get("a", []))
    return [x["s"] for x in lst]


def _build_universe():
    info = TABLE["info"]
    order = TABLE["order"]
    top: list[str] = []
    subs: dict[str, list[str]] = {}
    cats: dict[str, frozenset] = {}
    no_auth: set[str] = set()
    for name in sorted(info, key=lambda n: order[n]):
        a = info[name]["a"]
        cats[name] = frozenset(c[1:] for c in _names(a[6]))
        if "no_auth" in _names(a[2]):
            no_auth.add(name)
        if "|" in name:
            subs.setdefault(name.split("|", 1)[0], []).append(name)
        else:
            top.append(name)
    return top, subs, cats, no_auth


TOP, SUBS, CATS, NO_AUTH = _build_universe()
ALL = frozenset(CATS)
CAT_MEMBERS = {cat: [n for n in CATS if cat in CATS[n]] for cat in CATEGORIES}
_ENTRIES = {}
for _name, _entry in FULL_TABLE.items():
    _ENTRIES[_name.decode()] = _entry
    for _sub in (_entry.subcommands or {}).values():
        _ENTRIES[_sub.fullname] = _sub


def lookup_rule_command(name: str) -> str | None:
    """ACLLookupCommand: a top-level name or container|sub, as a fullname."""
    parts = name.lower().split("|")
    if len(parts) > 2 or parts[0] not in CATS or "|" in parts[0]:
        return None
    if len(parts) == 1:
        return parts[0]
    if parts[0] not in SUBS:
        return None
    full = parts[0] + "|" + parts[1]
    return full if full in CATS else None


def _change_perm(bits: set, name: str, allow: bool) -> None:
    if allow:
        bits.add(name)
        bits.update(SUBS.get(name, ()))
    else:
        bits.discard(name)
        bits.difference_update(SUBS.get(name, ()))


def _category_names(cat: str) -> list[str]:
    """The commands whose permission a category rule changes (with their subcommands)."""
    out = []
    for name in TOP:
        if cat in CATS[name]:
            out.append(name)
        for sub in SUBS.get(name, ()):
            if cat in CATS[sub]:
                out.append(sub)
    return out


# ------------------------------------------------------------------ selectors and users


class Selector:
    __slots__ = ("allowed", "allcommands", "future", "firstargs", "allkeys", "patterns",
                 "allchannels", "channels")

    def __init__(self, allchannels: bool = False):
        self.allowed: set[str] = set()
        self.allcommands = False
        self.future = False
        self.firstargs: dict[str, list[bytes]] = {}
        self.allkeys = False
        self.patterns: list[list] = []
        self.allchannels = allchannels
        self.channels: list[bytes] = []

    def copy(self) -> "Selector":
        s = Selector(self.allchannels)
        s.allowed = set(self.allowed)
        s.allcommands = self.allcommands
        s.future = self.future
        s.firstargs = {k: list(v) for k, v in self.firstargs.items()}
        s.allkeys = self.allkeys
        s.patterns = [list(p) for p in self.patterns]
        s.channels = list(self.channels)
        return s

    def _perm(self, name: str, allow: bool) -> None:
        _change_perm(self.allowed, name, allow)
        self.firstargs.pop(name, None)
        if not allow:
            self.allcommands = False

    def apply(self, op: bytes) -> None:
        """ACLSetSelector: apply one rule or raise AclRuleError."""
        low = op.lower()
        if low in (b"allkeys", b"~*"):
            self.allkeys = True
            self.patterns.clear()
        elif low == b"resetkeys":
            self.allkeys = False
            self.patterns.clear()
        elif low in (b"allchannels", b"&*"):
            self.allchannels = True
            self.channels.clear()
        elif low == b"resetchannels":
            self.allchannels = False
            self.channels.clear()
        elif low in (b"allcommands", b"+@all"):
            self.allowed = set(ALL)
            self.allcommands = self.future = True
            self.firstargs.clear()
        elif low in (b"nocommands", b"-@all"):
            self.allowed = set()
            self.allcommands = self.future = False
            self.firstargs.clear()
        elif op[:1] in (b"~", b"%"):
            self._key_pattern(op)
        elif op[:1] == b"&":
            if self.allchannels:
                raise AclRuleError(_ERR_ALLCHANNELS)
            pat = op[1:]
            if pat not in self.channels:
                self.channels.append(pat)
        elif op[:2] in (b"+@", b"-@"):
            cat = op[2:].decode("utf-8", "surrogateescape").lower()
            if cat not in CAT_MEMBERS:
                raise AclRuleError(_ERR_UNKNOWN)
            allow = op[:1] == b"+"
            for name in _category_names(cat):
                self._perm(name, allow)
        elif op[:1] == b"+":
            self._allow_command(op[1:].decode("utf-8", "surrogateescape"))
        elif op[:1] == b"-":
            name = lookup_rule_command(op[1:].decode("utf-8", "surrogateescape"))
            if name is None:
                raise AclRuleError(_ERR_UNKNOWN)
            self._perm(name, False)
        else:
            raise AclRuleError(_ERR_SYNTAX)

    def _allow_command(self, rule: str) -> None:
        if "|" not in rule:
            name = lookup_rule_command(rule)
            if name is None:
                raise AclRuleError(_ERR_UNKNOWN)
            self._perm(name, True)
            return
        base, sub = rule.rsplit("|", 1)
        name = lookup_rule_command(base)
        if name is None:
            raise AclRuleError(_ERR_UNKNOWN)
        if "|" in name:
            raise AclRuleError(_ERR_CHILD)
        if not sub:
            raise AclRuleError(_ERR_SYNTAX)
        if name in SUBS:
            full = lookup_rule_command(rule)
            if full is None:
                raise AclRuleError(_ERR_UNKNOWN)
            self._perm(full, True)
        else:
            args = self.firstargs.setdefault(name, [])
            arg = sub.encode("utf-8", "surrogateescape")
            if arg.lower() not in (a.lower() for a in args):
                args.append(arg)

    def _key_pattern(self, op: bytes) -> None:
        if self.allkeys:
            raise AclRuleError(_ERR_ALLKEYS)
        flags = 0
        offset = 1
        if op[:1] == b"%":
            n = len(op)
            while offset < n:
                ch = op[offset : offset + 1].upper()
                if ch == b"R" and not flags & READ:
                    flags |= READ
                elif ch == b"W" and not flags & WRITE:
                    flags |= WRITE
                elif ch == b"~":
                    offset += 1
                    break
                else:
                    raise AclRuleError(_ERR_SYNTAX)
                offset += 1
            if not flags:
                raise AclRuleError(_ERR_SYNTAX)
        else:
            flags = READ | WRITE
        pat = op[offset:]
        for p in self.patterns:
            if p[0] == pat:
                p[1] |= flags
                return
        self.patterns.append([pat, flags])

    # -------------------------------------------------------------- descriptions

    def describe_keys(self) -> bytes:
        if self.allkeys:
            return b"~*"
        out = []
        for pat, flags in self.patterns:
            prefix = b"~" if flags == READ | WRITE else (b"%R~" if flags == READ else b"%W~")
            out.append(prefix + pat)
        return b" ".join(out)

    def describe_channels(self) -> bytes:
        if self.allchannels:
            return b"&*"
        return b" ".join(b"&" + ch for ch in self.channels)

    def describe_commands(self) -> bytes:
        """ACLDescribeSelectorCommandRules: +@all/-@all, best-fit categories, then commands."""
        additive = not self.future
        rules = [b"-@all" if additive else b"+@all"]
        fake = set() if additive else set(ALL)
        temp = set(self.allowed)
        applied = set()
        while True:
            best = None
            mindiff = 1 << 62
            maxsame = 0
            for cat in CATEGORIES:
                if cat in applied:
                    continue
                on = sum(1 for n in CAT_MEMBERS[cat] if n in temp)
                off = len(CAT_MEMBERS[cat]) - on
                diff, same = (off, on) if additive else (on, off)
                if same > diff and (diff < mindiff or (diff == mindiff and same > maxsame)):
                    best, mindiff, maxsame = cat, diff, same
            if best is None:
                break
            for name in _category_names(best):
                _change_perm(fake, name, additive)
                _change_perm(temp, name, not additive)
            rules.append((b"+@" if additive else b"-@") + best.encode())
            applied.add(best)
        allowed = self.allowed
        for name in TOP:
            userbit = name in allowed
            if userbit != (name in fake):
                rules.append((b"+" if userbit else b"-") + name.encode())
                _change_perm(fake, name, userbit)
            for sub in SUBS.get(name, ()):
                subbit = sub in allowed
                if subbit != (sub in fake):
                    rules.append((b"+" if subbit else b"-") + sub.encode())
                    _change_perm(fake, sub, subbit)
            if not userbit and name in self.firstargs:
                for arg in self.firstargs[name]:
                    rules.append(b"+" + name.encode() + b"|" + arg)
        return b" ".join(rules)

    def describe(self) -> bytes:
        parts = []
        if self.allkeys:
            parts.append(b"~*")
        else:
            keys = self.describe_keys()
            if keys:
                parts.append(keys)
        if self.allchannels:
            parts.append(b"&*")
        else:
            parts.append(b"resetchannels")
            if self.channels:
                parts.append(self.describe_channels())
        parts.append(self.describe_commands())
        return b" ".join(parts)

    def reply(self) -> dict:
        return {
            b"commands": self.describe_commands(),
            b"keys": self.describe_keys(),
            b"channels": self.describe_channels(),
        }

    # -------------------------------------------------------------- checks

    def unrestricted(self) -> bool:
        return self.allcommands and self.allkeys and self.allchannels

    def check(self, fullname: str, is_sub: bool, argv: list[bytes], cache: list):
        """ACLSelectorCheckCmd: (result, argument index of the denied key or channel)."""
        if not self.allcommands and fullname not in NO_AUTH and fullname not in self.allowed:
            args = self.firstargs.get(fullname)
            idx = 2 if is_sub else 1
            if not args or len(argv) <= idx:
                return DENIED_CMD, 0
            first = argv[idx].lower()
            if not any(a.lower() == first for a in args):
                return DENIED_CMD, 0
        if not self.allkeys:
            entry = _ENTRIES.get(fullname)
            if entry is not None and entry.has_keys():
                if cache[0] is None:
                    cache[0] = get_keys(entry, argv) or []
                for pos, kflags in cache[0]:
                    need = 0
                    if b"access" in kflags:
                        need |= READ
                    if b"insert" in kflags or b"delete" in kflags or b"update" in kflags:
                        need |= WRITE
                    key = argv[pos]
                    for pat, pflags in self.patterns:
                        if pflags & need == need and _glob_match(pat, key):
                            break
                    else:
                        return DENIED_KEY, pos
        if not self.allchannels:
            spec = _CHANNEL_ARGS.get(fullname)
            if spec is not None:
                start, count, is_pattern = spec
                stop = len(argv) if count < 0 else min(len(argv), start + count)
                for pos in range(start, stop):
                    if not channel_allowed(self.channels, argv[pos], is_pattern):
                        return DENIED_CHANNEL, pos
        return ACL_OK, 0


# commands whose channels ACL checks (publish/subscribe kinds): (first, count, pattern)
_CHANNEL_ARGS = {
    "subscribe": (1, -1, False),
    "ssubscribe": (1, -1, False),
    "psubscribe": (1, -1, True),
    "publish": (1, 1, False),
    "spublish": (1, 1, False),
}


def channel_allowed(channels: list[bytes], channel: bytes, is_pattern: bool) -> bool:
    """ACLCheckChannelAgainstList: patterns are compared literally, channels matched."""
    for pat in channels:
        if (is_pattern and pat == channel) or (not is_pattern and _glob_match(pat, channel)):
            return True
    return False


def hash_password(password: bytes) -> bytes:
    return hashlib.sha256(password).hexdigest().encode()


def _check_hash(h: bytes) -> None:
    if len(h) != 64 or any(ch not in b"0123456789abcdef" for ch in h):
        raise AclRuleError(_ERR_HASH)


def merge_selector_args(args: list[bytes]):
    """ACLMergeSelectorArguments: join `(a b c)` spread over arguments; (merged, bad index)."""
    out = []
    current = None
    start = -1
    for j, op in enumerate(args):
        if op[:1] == b"(" and op[-1:] != b")":
            current = op
            start = j
            continue
        if start != -1:
            current += b" " + op
            if op[-1:] == b")":
                start = -1
                out.append(current)
            continue
        out.append(op)
    if start != -1:
        return None, start
    return out, -1


class User:
    __slots__ = ("name", "flags", "passwords", "selectors")

    def __init__(self, name: bytes, allchannels: bool = False):
        self.name = name
        self.flags = F_OFF
        self.passwords: list[bytes] = []
        self.selectors = [Selector(allchannels)]

    def copy(self) -> "User":
        u = User(self.name)
        u.flags = self.flags
        u.passwords = list(self.passwords)
        u.selectors = [s.copy() for s in self.selectors]
        return u

    @property
    def root(self) -> Selector:
        return self.selectors[0]

    @property
    def enabled(self) -> bool:
        return not self.flags & F_OFF

    def apply(self, op: bytes, pubsub_default: bool) -> None:
        """ACLSetUser: one rule, or AclRuleError."""
        if not op:
            return
        low = op.lower()
        if low == b"on":
            self.flags = (self.flags | F_ON) & ~F_OFF
        elif low == b"off":
            self.flags = (self.flags | F_OFF) & ~F_ON
        elif low == b"skip-sanitize-payload":
            self.flags = (self.flags | F_SKIP_SANITIZE) & ~F_SANITIZE
        elif low == b"sanitize-payload":
            self.flags = (self.flags | F_SANITIZE) & ~F_SKIP_SANITIZE
        elif low == b"nopass":
            self.flags |= F_NOPASS
            self.passwords.clear()
        elif low == b"resetpass":
            self.flags &= ~F_NOPASS
            self.passwords.clear()
        elif op[:1] in (b">", b"#"):
            if op[:1] == b">":
                h = hash_password(op[1:])
            else:
                h = op[1:]
                _check_hash(h)
            if h not in self.passwords:
                self.passwords.append(h)
            self.flags &= ~F_NOPASS
        elif op[:1] in (b"<", b"!"):
            if op[:1] == b"<":
                h = hash_password(op[1:])
            else:
                h = op[1:]
                _check_hash(h)
            if h not in self.passwords:
                raise AclRuleError(_ERR_NOPASS)
            self.passwords.remove(h)
        elif op[:1] == b"(" and op[-1:] == b")":
            sel = Selector(pubsub_default)
            words = split_args(op[1:-1])
            if words is None:
                raise AclRuleError(_ERR_SYNTAX)
            for w in words:
                sel.apply(w)
            self.selectors.append(sel)
        elif low == b"clearselectors":
            del self.selectors[1:]
        elif low == b"reset":
            for rule in (b"resetpass", b"resetkeys", b"resetchannels"):
                self.apply(rule, pubsub_default)
            if pubsub_default:
                self.apply(b"allchannels", pubsub_default)
            for rule in (b"off", b"sanitize-payload", b"clearselectors", b"-@all"):
                self.apply(rule, pubsub_default)
        else:
            self.root.apply(op)

    def describe(self) -> bytes:
        """ACLDescribeUser: the ACL LIST line without "user <name> "."""
        parts = [name for flag, name in _FLAG_NAMES if self.flags & flag]
        parts.extend(b"#" + h for h in self.passwords)
        parts.append(self.root.describe())
        out = b" ".join(parts)
        for sel in self.selectors[1:]:
            out += b" (" + sel.describe() + b")"
        return out

    def unrestricted(self) -> bool:
        return self.root.unrestricted()

    def check(self, fullname: str, is_sub: bool, argv: list[bytes]):
        """ACLCheckAllUserCommandPerm: (result, index of the offending argument)."""
        relevant, last_idx = DENIED_CMD, 0
        cache = [None]
        for sel in self.selectors:
            res, idx = sel.check(fullname, is_sub, argv, cache)
            if res == ACL_OK:
                return ACL_OK, 0
            if res > relevant or (res == relevant and idx > last_idx):
                relevant, last_idx = res, idx
        return relevant, last_idx


def error_message(res: int, fullname: str, value: bytes, verbose: bool) -> bytes:
    """getAclErrorMessage."""
    if res == DENIED_CMD:
        msg = b"this user has no permissions to run the '%b' command" % fullname.encode()
    elif res == DENIED_KEY:
        msg = (b"this user has no permissions to access the '%b' key" % value if verbose
               else b"this user has no permissions to access one of the keys used as arguments")
    elif res == DENIED_CHANNEL:
        msg = (b"this user has no permissions to access the '%b' channel" % value if verbose
               else b"this user has no permissions to access one of the channels used as arguments")
    else:
        msg = b"lookup the user permissions"
    return (b"T" + msg[1:]) if verbose else msg


_REASONS = {DENIED_CMD: b"command", DENIED_KEY: b"key", DENIED_AUTH: b"auth", DENIED_CHANNEL: b"channel"}


_EXEC_REASONS = {
    DENIED_CMD: b"no permission to execute the command or subcommand",
    DENIED_KEY: b"no permission to touch the specified keys",
    DENIED_CHANNEL: b"no permission to access one of the channels used as arguments",
}
# EVAL adds " script: <sha>, on @user_script:<line>." to the redis.call error itself
_SCRIPT_REASONS = {
    DENIED_CMD: b"can't run this command or subcommand",
    DENIED_KEY: b"can't access at least one of the keys mentioned in the command arguments",
    DENIED_CHANNEL: b"can't publish to the channel mentioned in the command",
}


class LogEntry:
    __slots__ = ("count", "reason", "context", "object", "username", "ctime", "cinfo")


# ------------------------------------------------------------------ the ACL state


class Acl:
    def __init__(self, server):
        self.server = server
        self.users: dict[bytes, User] = {}
        self.log: list[LogEntry] = []  # newest first
        self._hook = self.check_hook
        default = User(b"default")
        for rule in (b"+@all", b"~*", b"&*", b"on", b"nopass"):
            default.apply(rule, False)
        self.users[b"default"] = default
        self.default = default
        self.update_default_password(server.config.requirepass)

    # -------------------------------------------------------------- users

    def pubsub_default(self) -> bool:
        return self.server.config.acl_pubsub_default == "allchannels"

    def update_default_password(self, password) -> None:
        """ACLUpdateDefaultUserPassword: requirepass becomes the default user's password."""
        if isinstance(password, str):
            password = password.encode("utf-8", "surrogateescape")
        self.default.apply(b"resetpass", False)
        self.default.apply(b">" + password if password else b"nopass", False)
        self.refresh()

    def set_user(self, name: bytes, args: list[bytes]) -> bytes | None:
        """ACLStringSetUser: apply every rule to a copy, then commit; an error text or None."""
        merged, bad = merge_selector_args(args)
        if merged is None:
            return b"Unmatched parenthesis in acl selector starting at '%b'." % args[bad]
        existing = self.users.get(name)
        temp = existing.copy() if existing is not None else User(name, self.pubsub_default())
        pubsub_default = self.pubsub_default()
        for op in merged:
            try:
                temp.apply(op, pubsub_default)
            except AclRuleError as e:
                return b"Error in ACL SETUSER modifier '%b': %b" % (op, str(e).encode())
        if existing is not None:
            self._kill_pubsub_clients_if_needed(temp, existing)
            existing.flags, existing.passwords, existing.selectors = temp.flags, temp.passwords, temp.selectors
        else:
            self.users[name] = temp
        self.refresh()
        return None

    def _kill_pubsub_clients_if_needed(self, new: User, old: User) -> None:
        """ACLKillPubsubClientsIfNeeded: root channel permissions revoked -> disconnect."""
        if new.root.allchannels:
            return
        upcoming = new.root.channels
        if not old.root.allchannels and all(ch in upcoming for ch in old.root.channels):
            return
        name = old.name.decode("utf-8", "surrogateescape")
        for c in list(self.server.clients.values()):
            if c.user != name:
                continue
            kill = any(not channel_allowed(upcoming, p, True) for p in c.psubscriptions) or any(
                not channel_allowed(upcoming, ch, False) for ch in list(c.subscriptions) + list(c.ssubscriptions)
            )
            if kill:
                self._disconnect(c)

    def delete_user(self, c, name: bytes) -> bool:
        user = self.users.pop(name, None)
        if user is None:
            return False
        uname = name.decode("utf-8", "surrogateescape")
        for other in list(self.server.clients.values()):
            if other.user == uname:
                if other is c:
                    c.close_after_reply = True
                else:
                    self._disconnect(other)
        self.refresh()
        return True

    def _disconnect(self, target) -> None:
        from .commands.connection import _kill

        _kill(None, target)

    def user_exists(self, name: bytes) -> bool:
        return name in self.users

    def refresh(self) -> None:
        """Install the ACL check only while some user is restricted."""
        server = self.server
        hooks = tuple(h for h in server.check_hooks if h != self._hook)
        if any(not u.unrestricted() for u in self.users.values()):
            hooks = (self._hook,) + hooks
        server.check_hooks = hooks

    # -------------------------------------------------------------- auth

    def default_needs_auth(self) -> bool:
        """authRequired: the default user is not nopass, or it is disabled."""
        flags = self.default.flags
        return not flags & F_NOPASS or bool(flags & F_OFF)

    def authenticate(self, c, username: bytes, password: bytes, argv0: bytes = b"AUTH") -> bool:
        """ACLCheckUserCredentials; a failure is logged (reason auth)."""
        user = self.users.get(username)
        if user is not None and user.enabled:
            if user.flags & F_NOPASS or hash_password(password) in user.passwords:
                return True
        self.add_log(c, DENIED_AUTH, 0, username=username, obj=argv0)
        return False

    # -------------------------------------------------------------- checks

    def check_hook(self, c, cmd, argv):
        """server.check_hooks entry: NOPERM (and an ACL LOG entry) or None."""
        user = self.users.get(c.user.encode("utf-8", "surrogateescape"))
        if user is None or user.unrestricted():
            return None
        res, idx = user.check(cmd.fullname, cmd.parent is not None, argv)
        if res == ACL_OK:
            return None
        return self._deny(c, cmd, argv, res, idx, None, b"NOPERM ")

    def check_command(self, c, cmd, argv, context: bytes):
        """The same check for EXEC's queued commands (context b"multi") and scripts'
        redis.call (context b"lua"): the error after logging it, or None when allowed.

        Redis 7.0.15 words these two with its older texts (checked on the oracle).
        """
        user = self.users.get(c.user.encode("utf-8", "surrogateescape"))
        if user is None or user.unrestricted():
            return None
        res, idx = user.check(cmd.fullname, cmd.parent is not None, argv)
        if res == ACL_OK:
            return None
        if context == b"multi":
            prefix = (b"NOPERM ACLs rules changed between the moment the transaction was accumulated "
                      b"and the EXEC call. This command is no longer allowed for the following reason: ")
            text = _EXEC_REASONS[res]
        else:
            prefix, text = b"ERR The user executing the script ", _SCRIPT_REASONS[res]
        obj = cmd.fullname.encode() if res == DENIED_CMD else argv[idx]
        self.add_log(c, res, idx, obj=obj, context=context)
        return CommandError(prefix + text)

    def _deny(self, c, cmd, argv, res, idx, context, prefix) -> CommandError:
        obj = cmd.fullname.encode() if res == DENIED_CMD else argv[idx]
        self.add_log(c, res, idx, obj=obj, context=context)
        return CommandError(prefix + error_message(res, cmd.fullname, argv[idx], False))

    # -------------------------------------------------------------- log

    def add_log(self, c, reason: int, idx: int, username: bytes | None = None,
                obj: bytes = b"", context: bytes | None = None) -> None:
        from .commands.connection import _client_info

        e = LogEntry()
        e.count = 1
        e.reason = reason
        e.context = context or (b"multi" if c.multi is not None else b"toplevel")
        e.object = obj
        e.username = username if username is not None else c.user.encode("utf-8", "surrogateescape")
        e.ctime = int(time.time() * 1000)
        e.cinfo = _client_info(c, None, [], time.time())
        log = self.log
        for i, cur in enumerate(log[:10]):
            if (cur.reason == e.reason and cur.context == e.context and cur.object == e.object
                    and cur.username == e.username and e.ctime - cur.ctime < 60000):
                del log[i]
                cur.cinfo = e.cinfo
                cur.ctime = e.ctime
                cur.count += 1
                log.insert(0, cur)
                return
        log.insert(0, e)
        max_len = self.server.config.acllog_max_len
        del log[max_len:]

    def log_reply(self, count: int) -> list:
        now = int(time.time() * 1000)
        out = []
        for e in self.log[:count]:
            out.append({
                b"count": e.count,
                b"reason": _REASONS[e.reason],
                b"context": e.context,
                b"object": e.object,
                b"username": e.username,
                b"age-seconds": Double((now - e.ctime) / 1000.0),
                b"client-info": e.cinfo,
            })
        return out

    # -------------------------------------------------------------- ACL LIST / files

    def list_lines(self) -> list[bytes]:
        return [b"user " + name + b" " + self.users[name].describe() for name in sorted(self.users)]

    def getuser_reply(self, name: bytes):
        user = self.users.get(name)
        if user is None:
            return None
        reply = {
            b"flags": SetReply(n for flag, n in _FLAG_NAMES if user.flags & flag),
            b"passwords": list(user.passwords),
        }
        reply.update(user.root.reply())
        reply[b"selectors"] = [s.reply() for s in user.selectors[1:]]
        return reply

    def load_config_users(self, lines: list[list[bytes]]) -> str | None:
        """ACLLoadConfiguredUsers: `user` config lines; the default user is reset first."""
        pubsub_default = self.pubsub_default()
        users: dict[bytes, User] = {b"default": self.default.copy()}
        for words in lines:
            name = words[0]
            if name in users and name != b"default":
                return _ERR_DUPLICATE
            user = users[name] if name == b"default" else User(name, pubsub_default)
            if name == b"default":
                user.apply(b"reset", pubsub_default)
            merged, bad = merge_selector_args(words[1:])
            if merged is None:
                return "Unmatched parenthesis in acl selector starting at '%s'." % words[1 + bad].decode(
                    "utf-8", "surrogateescape")
            for op in merged:
                try:
                    user.apply(op, pubsub_default)
                except AclRuleError as e:
                    return "Error loading ACL rule '%s' for the user named '%s': %s" % (
                        op.decode("utf-8", "surrogateescape"), name.decode("utf-8", "surrogateescape"), e)
            users[name] = user
        self.install_users(users)
        return None

    def install_users(self, users: dict, current=None) -> None:
        """Replace the user table (ACL LOAD); clients of vanished users are disconnected."""
        if b"default" not in users:
            default = User(b"default")
            for rule in (b"+@all", b"~*", b"&*", b"on", b"nopass"):
                default.apply(rule, False)
            users[b"default"] = default
        # the default user object stays the same one (clients and requirepass refer to it)
        self.default.flags = users[b"default"].flags
        self.default.passwords = users[b"default"].passwords
        self.default.selectors = users[b"default"].selectors
        users[b"default"] = self.default
        self.users = users
        # Redis frees every old user but the default one, with its clients (the caller
        # after its reply), even when the new table has a user of the same name.
        for other in list(self.server.clients.values()):
            if other.user != "default":
                if other is current:
                    other.close_after_reply = True
                else:
                    self._disconnect(other)
        self.refresh()

    def load_file(self, path: str, current=None) -> str | None:
        """ACLLoadFromFile: None on success, else the error text (nothing changes then).

        Lines are not comments-aware (Redis 7.0 reports a `#` line as not starting with
        `user`); users are created fresh, the default user included (no reset).
        """
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            return f"Error loading ACLs, opening file '{path}': {e.strerror}"
        pubsub_default = self.pubsub_default()
        users: dict[bytes, User] = {}
        errors = []
        for no, raw in enumerate(data.split(b"\n"), 1):
            line = raw.strip(b" \t\r\n")
            if not line:
                continue
            words = split_args(line)
            if words is None:
                errors.append(f"{path}:{no}: {_ERR_SYNTAX}. ")
                continue
            if not words:
                continue
            if words[0] != b"user" or len(words) < 2:
                errors.append(f"{path}:{no} should start with user keyword followed by the username. ")
                continue
            name = words[1]
            if b" " in name or b"\0" in name:
                errors.append(f"{path}:{no}: {_ERR_SYNTAX}. ")
                continue
            if name in users:
                errors.append(f"WARNING: Duplicate user '{name.decode('utf-8', 'surrogateescape')}' found on line {no}. ")
                continue
            user = User(name, pubsub_default)
            users[name] = user
            merged, _ = merge_selector_args(words[2:])
            if merged is None:
                errors.append(f"{path}:{no}: Unmatched parenthesis in selector definition.")
                continue
            for op in merged:
                try:
                    user.apply(op.strip(b"\t\r\n"), pubsub_default)
                except AclRuleError as e:
                    errors.append(f"{path}:{no}: {e}. ")
                    break
        if errors:
            return "".join(errors) + (
                "WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
        self.install_users(users, current)
        return None

    def save_file(self, path: str) -> bool:
        tmp = f"{path}.tmp-{os.getpid()}"
        try:
            with open(tmp, "wb") as f:
                f.write(b"".join(line + b"\n" for line in self.list_lines()))
            os.replace(tmp, path)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            return False
        return True

    def load_at_startup(self) -> None:
        """Users from `user` config lines (config.acl_users) or from the aclfile."""
        config = self.server.config
        conf_users = config.acl_users
        if conf_users and config.aclfile:
            log.warning(
                "Configuring Redis with users defined in redis.conf and at the same setting an "
                "ACL file path is invalid. This setup is very likely to lead to configuration "
                "errors and security holes, please define either an ACL file or declare users "
                "directly in your redis.conf, but not both."
            )
            raise SystemExit(1)
        if conf_users:
            words = [[w.encode("utf-8", "surrogateescape") if isinstance(w, str) else w for w in u] for u in conf_users]
            err = self.load_config_users(words)
            if err is not None:
                log.warning("%s", err)
                raise SystemExit(1)
        elif config.aclfile:
            err = self.load_file(config.aclfile)
            if err is not None:
                log.warning("Aborting Redis startup because of ACL errors: %s", err)
                raise SystemExit(1)
