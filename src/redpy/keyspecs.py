"""Key extraction from Redis's key specs (db.c's getKeysFromCommandWithSpecs).

`get_keys(argv)` finds the key arguments of any command in Redis 7.0.15's table,
implemented here or not, exactly as COMMAND GETKEYS does: the key specs first (index /
keyword begin-search, range / keynum find-keys), and when they cannot answer (an
`unknown` or `incomplete` spec, `variable_flags`, or arguments the spec cannot cover)
the command's own getkeys procedure, rewritten here from its behaviour. ACL and cluster
use the same function.

A result is a list of (position, flags) with flags a tuple of Redis's key-spec flag
names; None means "the specs failed and there is no procedure" (Redis returns 0 keys).
"""

from __future__ import annotations

from .registry import TABLE, _typed

# Flags in the order addReplyFlagsForKeyArgs prints them.
FLAG_ORDER = (b"RO", b"RW", b"OW", b"RM", b"access", b"update", b"insert", b"delete",
              b"not_key", b"incomplete", b"variable_flags")

RO_ACCESS = (b"RO", b"access")
OW_UPDATE = (b"OW", b"update")
RW_ACCESS_UPDATE = (b"RW", b"access", b"update")
RW_ACCESS_DELETE = (b"RW", b"access", b"delete")


class Spec:
    __slots__ = ("flags", "bs", "bs_arg", "fk", "fk_arg")

    def __init__(self, raw: dict):
        self.flags = tuple(bytes(f) for f in raw[b"flags"])
        bs = raw[b"begin_search"]
        fk = raw[b"find_keys"]
        self.bs = bytes(bs[b"type"])
        self.fk = bytes(fk[b"type"])
        s = bs[b"spec"]
        if self.bs == b"index":
            self.bs_arg = s[b"index"]
        elif self.bs == b"keyword":
            self.bs_arg = (bytes(s[b"keyword"]).lower(), s[b"startfrom"])
        else:
            self.bs_arg = None
        s = fk[b"spec"]
        if self.fk == b"range":
            self.fk_arg = (s[b"lastkey"], s[b"keystep"], s[b"limit"])
        elif self.fk == b"keynum":
            self.fk_arg = (s[b"keynumidx"], s[b"firstkey"], s[b"keystep"])
        else:
            self.fk_arg = None


class TableEntry:
    """What key extraction needs of one command of Redis's full table."""

    __slots__ = ("fullname", "arity", "specs", "no_mandatory_keys", "subcommands", "proc")

    def __init__(self, fullname: str):
        info = TABLE["info"][fullname]["a"]
        self.fullname = fullname
        self.arity = info[1]
        flags = info[2].get("set", info[2].get("a", []))
        self.no_mandatory_keys = any(f.get("s") == "no_mandatory_keys" for f in flags)
        self.specs = [Spec(s) for s in _typed(info[8])]
        self.subcommands: dict[bytes, TableEntry] | None = None
        self.proc = _PROCS.get(fullname)

    def has_keys(self) -> bool:
        """doesCommandHaveKeys: a getkeys procedure or a spec that is a real key."""
        return self.proc is not None or any(b"not_key" not in s.flags for s in self.specs)


def _atoi(b: bytes) -> int:
    """C's atoi: optional sign and leading digits, 0 when none."""
    s = b.lstrip(b" \t\n\v\f\r")
    i = 0
    if s[:1] in (b"+", b"-"):
        i = 1
    j = i
    while j < len(s) and 48 <= s[j] <= 57:
        j += 1
    if j == i:
        return 0
    v = int(s[:j])
    return max(min(v, 2**31 - 1), -(2**31))


def _string2ll(b: bytes):
    from .resp import string2ll

    return string2ll(b)


def keys_from_specs(entry: TableEntry, argv: list[bytes]):
    """getKeysUsingKeySpecs: a list of (pos, flags), or None for an invalid spec."""
    argc = len(argv)
    out = []
    for spec in entry.specs:
        if b"not_key" in spec.flags:
            continue
        if spec.bs == b"index":
            first = spec.bs_arg
        elif spec.bs == b"keyword":
            keyword, startfrom = spec.bs_arg
            start = startfrom if startfrom > 0 else argc + startfrom
            end = argc - 1 if startfrom > 0 else 0
            first = 0
            i = start
            while i != end:
                if i >= argc or i < 1:
                    break
                if argv[i].lower() == keyword:
                    first = i + 1
                    break
                i = i + 1 if start <= end else i - 1
            if not first:
                continue
        else:
            return None
        if spec.fk == b"range":
            lastkey, step, limit = spec.fk_arg
            if lastkey >= 0:
                last = first + lastkey
            elif not limit:
                last = argc + lastkey
            else:
                last = first + ((argc - first) // limit + lastkey)
        elif spec.fk == b"keynum":
            numidx, firstkey, step = spec.fk_arg
            if first + numidx >= argc:
                return None
            numkeys = _string2ll(argv[first + numidx])
            if numkeys is None or numkeys < 0:
                return None
            first += firstkey
            last = first + numkeys - 1
        else:
            return None
        if last >= argc or last < first or first >= argc:
            return None
        for i in range(first, last + 1, step):
            out.append((i, spec.flags))
        if b"incomplete" in spec.flags:
            return None
    return out


def get_keys(entry: TableEntry, argv: list[bytes]):
    """getKeysFromCommandWithSpecs with GET_KEYSPEC_DEFAULT: a list of (pos, flags)."""
    has_keyspec = any(b"not_key" not in s.flags for s in entry.specs)
    has_varflags = any(b"variable_flags" in s.flags for s in entry.specs)
    if has_keyspec and not has_varflags:
        keys = keys_from_specs(entry, argv)
        if keys is not None:
            return keys
    if entry.proc is not None:
        return entry.proc(argv)
    return []


# ---------------------------------------------------------------- getkeys procedures


def _generic(store: int, count_at: int, first: int, step: int = 1):
    def proc(argv):
        argc = len(argv)
        num = _atoi(argv[count_at]) if count_at < argc else 0
        if num < 1 or num > (argc - first) // step:
            return []
        keys = [(first + i * step, ()) for i in range(num)]
        if store:
            keys.append((store, ()))
        return keys

    return proc


def _sort(argv):
    keys = [(1, RO_ACCESS)]
    store = None
    i = 2
    argc = len(argv)
    while i < argc:
        arg = argv[i].lower()
        if arg == b"limit":
            i += 2
        elif arg == b"store" and i + 1 < argc:
            store = i + 1
        elif arg in (b"get", b"by"):
            i += 1
        i += 1
    if store is not None:
        keys.append((store, OW_UPDATE))
    return keys


def _sort_ro(argv):
    return [(1, RO_ACCESS)]


def _migrate(argv):
    argc = len(argv)
    first, num = 3, 1
    if argc > 6:
        i = 6
        while i < argc:
            arg = argv[i].lower()
            if arg == b"keys":
                if argv[3]:
                    return []
                first = i + 1
                num = argc - first
                break
            if arg == b"auth":
                i += 1
            elif arg == b"auth2":
                i += 2
            i += 1
    return [(first + i, RW_ACCESS_DELETE) for i in range(num)]


def _georadius(argv):
    stored = -1
    i = 5
    argc = len(argv)
    while i < argc:
        if argv[i].lower() in (b"store", b"storedist") and i + 1 < argc:
            stored = i + 1
            i += 1
        i += 1
    keys = [(1, RO_ACCESS)]
    if stored != -1:
        keys.append((stored, OW_UPDATE))
    return keys


def _xread(argv):
    argc = len(argv)
    streams_pos = -1
    i = 1
    while i < argc:
        arg = argv[i].lower()
        if arg in (b"block", b"count"):
            i += 1
        elif arg == b"group":
            i += 2
        elif arg == b"noack":
            pass
        elif arg == b"streams":
            streams_pos = i
            break
        else:
            break
        i += 1
    num = argc - streams_pos - 1
    if streams_pos == -1 or num == 0 or num % 2:
        return []
    num //= 2
    return [(i, ()) for i in range(streams_pos + 1, argc - num)]


def _set(argv):
    for arg in argv[3:]:
        if arg.lower() == b"get":
            return [(1, RW_ACCESS_UPDATE)]
    return [(1, OW_UPDATE)]


def _bitfield(argv):
    readonly = True
    argc = len(argv)
    i = 2
    while i < argc:
        rem = argc - i - 1
        arg = argv[i].lower()
        if arg == b"get" and rem >= 2:
            i += 2
        elif arg in (b"set", b"incrby") and rem >= 3:
            readonly = False
            break
        elif arg == b"overflow" and rem >= 1:
            i += 1
        else:
            readonly = False
            break
        i += 1
    return [(1, RO_ACCESS if readonly else RW_ACCESS_UPDATE)]


_PROCS = {
    "zunionstore": _generic(1, 2, 3),
    "zinterstore": _generic(1, 2, 3),
    "zdiffstore": _generic(1, 2, 3),
    "zunion": _generic(0, 1, 2),
    "zinter": _generic(0, 1, 2),
    "zdiff": _generic(0, 1, 2),
    "zintercard": _generic(0, 1, 2),
    "sintercard": _generic(0, 1, 2),
    "lmpop": _generic(0, 1, 2),
    "zmpop": _generic(0, 1, 2),
    "blmpop": _generic(0, 2, 3),
    "bzmpop": _generic(0, 2, 3),
    "eval": _generic(0, 2, 3),
    "evalsha": _generic(0, 2, 3),
    "eval_ro": _generic(0, 2, 3),
    "evalsha_ro": _generic(0, 2, 3),
    "fcall": _generic(0, 2, 3),
    "fcall_ro": _generic(0, 2, 3),
    "sort": _sort,
    "sort_ro": _sort_ro,
    "migrate": _migrate,
    "georadius": _georadius,
    "georadiusbymember": _georadius,
    "xread": _xread,
    "xreadgroup": _xread,
    "set": _set,
    "bitfield": _bitfield,
}


def _build_table() -> dict[bytes, TableEntry]:
    table: dict[bytes, TableEntry] = {}
    names = sorted(TABLE["info"], key=lambda n: n.count("|"))
    for name in names:
        entry = TableEntry(name)
        if "|" in name:
            parent, sub = name.split("|", 1)
            p = table[parent.encode()]
            if p.subcommands is None:
                p.subcommands = {}
            p.subcommands[sub.encode()] = entry
        else:
            table[name.encode()] = entry
    return table


FULL_TABLE = _build_table()


def lookup_any(argv: list[bytes]) -> TableEntry | None:
    """lookupCommand over Redis's whole table (implemented or not)."""
    entry = FULL_TABLE.get(argv[0].lower())
    if entry is None or entry.subcommands is None or len(argv) == 1:
        return entry
    return entry.subcommands.get(argv[1].lower())


def keys_of(argv: list[bytes]) -> list[bytes]:
    """The key names of a command line (for ACL and cluster); [] when none or unknown."""
    entry = lookup_any(argv)
    if entry is None:
        return []
    return [argv[pos] for pos, _ in get_keys(entry, argv)]
