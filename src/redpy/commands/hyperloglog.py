"""HyperLogLog commands (Redis's hyperloglog.c).

An HLL is a string in Redis's exact format (`types.hll`), stored as a bytearray (a raw
string: Redis's createHLLObject and dbUnshareStringValue both yield the raw encoding).
"""

from __future__ import annotations

import random

from ..errors import WRONGTYPE, CommandError
from ..notify import STRING as NOTIFY_STRING, notify
from ..registry import command_group
from ..replies import OK, Simple
from ..types import hll

command = command_group("hyperloglog")

INVALID_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
CORRUPTED_HLL = "INVALIDOBJ Corrupted HLL object detected"


def _check_hll(v) -> None:
    """isHLLObjectOrReply."""
    t = type(v)
    if t is not bytes and t is not bytearray:
        raise CommandError(WRONGTYPE)
    if not hll.is_valid(v):
        raise CommandError(INVALID_HLL)


def _read(c, key: bytes):
    """lookupKeyRead: counts a keyspace hit or miss."""
    return c.db.lookup_read(key)


def _unshare(c, key: bytes, v) -> bytearray:
    """dbUnshareStringValue: the stored value as a raw (bytearray) string, TTL kept."""
    if type(v) is bytearray:
        return v
    o = bytearray(v)
    c.db.data[key] = o
    return o


@command("pfadd")
def cmd_pfadd(c, argv):
    """PFADD key [element [element ...]]

    Creating the key counts as an update, so PFADD key (no elements) on a missing key
    replies 1.
    """
    key = argv[1]
    db = c.db
    v = db.lookup(key)
    updated = 0
    if v is None:
        o = hll.create()
        db.add(key, o)
        updated += 1
    else:
        _check_hll(v)
        o = _unshare(c, key, v)
    maxbytes = c.server.config.hll_sparse_max_bytes
    for ele in argv[2:]:
        r = hll.add(o, ele, maxbytes)
        if r == 1:
            updated += 1
        elif r == -1:
            raise CommandError(CORRUPTED_HLL)
    if updated:
        hll.invalidate_cache(o)
        db.signal_modified(key)
        notify(c.server, NOTIFY_STRING, b"pfadd", key, db.id)
        c.server.dirty += updated
    return 1 if updated else 0


@command("pfcount")
def cmd_pfcount(c, argv):
    """PFCOUNT key [key ...]

    With one key the cached cardinality is refreshed in place when stale (a write:
    dirty++). With several keys the union is counted and nothing is cached.
    """
    if len(argv) > 2:
        regs = [0] * hll.HLL_REGISTERS
        for key in argv[1:]:
            v = _read(c, key)
            if v is None:
                continue
            _check_hll(v)
            try:
                hll.merge(regs, v)
            except hll.CorruptHLL:
                raise CommandError(CORRUPTED_HLL) from None
        return hll.count_histo(hll.histogram(regs))
    key = argv[1]
    v = _read(c, key)  # a read lookup: counts a hit or miss (checked against the oracle)
    if v is None:
        return 0
    _check_hll(v)
    o = _unshare(c, key, v)
    if hll.cache_valid(o):
        return hll.get_cache(o)
    try:
        card = hll.count(o)
    except hll.CorruptHLL:
        raise CommandError(CORRUPTED_HLL) from None
    hll.set_cache(o, card)
    c.db.signal_modified(key)
    c.server.dirty += 1
    return card


@command("pfmerge")
def cmd_pfmerge(c, argv):
    """PFMERGE destkey [sourcekey [sourcekey ...]]

    The destination is merged too. It becomes dense when any input is dense; otherwise
    the registers are set one by one in the sparse form (promoting it if it outgrows
    hll-sparse-max-bytes).
    """
    regs = [0] * hll.HLL_REGISTERS
    use_dense = False
    for key in argv[1:]:
        v = _read(c, key)
        if v is None:
            continue
        _check_hll(v)
        if v[4] == hll.HLL_DENSE:
            use_dense = True
        try:
            hll.merge(regs, v)
        except hll.CorruptHLL:
            raise CommandError(CORRUPTED_HLL) from None
    db = c.db
    dst = argv[1]
    v = db.lookup(dst)
    if v is None:
        o = hll.create()
        db.add(dst, o)
    else:
        o = _unshare(c, dst, v)
    if use_dense:
        try:
            hll.sparse_to_dense(o)
        except hll.CorruptHLL:
            raise CommandError(CORRUPTED_HLL) from None
    maxbytes = c.server.config.hll_sparse_max_bytes
    for j, val in enumerate(regs):
        if not val:
            continue
        if o[4] == hll.HLL_DENSE:
            hll.dense_set(o, j, val)
        else:
            hll.sparse_set(o, j, val, maxbytes)
    hll.invalidate_cache(o)
    db.signal_modified(dst)
    notify(c.server, NOTIFY_STRING, b"pfadd", dst, db.id)
    c.server.dirty += 1
    return OK


@command("pfdebug")
def cmd_pfdebug(c, argv):
    """PFDEBUG subcommand key

    Subcommands GETREG, DECODE, ENCODING, TODENSE. The key is checked before the
    subcommand name, so an unknown subcommand on a missing key reports the key.
    """
    sub = argv[1]
    key = argv[2]
    v = c.db.lookup(key)
    if v is None:
        raise CommandError("ERR The specified key does not exist")
    _check_hll(v)
    o = _unshare(c, key, v)
    name = sub.split(b"\0", 1)[0].lower()
    if name == b"getreg":
        if o[4] == hll.HLL_SPARSE:
            try:
                hll.sparse_to_dense(o)
            except hll.CorruptHLL:
                raise CommandError(CORRUPTED_HLL) from None
            c.server.dirty += 1
        return hll.dense_registers(o)
    if name == b"decode":
        if o[4] != hll.HLL_SPARSE:
            raise CommandError("ERR HLL encoding is not sparse")
        parts = []
        p = hll.HLL_HDR_SIZE
        end = len(o)
        while p < end:
            b = o[p]
            if not (b & 0xC0):
                parts.append(b"z:%d" % ((b & 0x3F) + 1))
                p += 1
            elif b & 0x80:
                parts.append(b"v:%d,%d" % (((b >> 2) & 31) + 1, (b & 3) + 1))
                p += 1
            else:
                nxt = o[p + 1] if p + 1 < end else 0
                parts.append(b"Z:%d" % ((((b & 0x3F) << 8) | nxt) + 1))
                p += 2
        return b" ".join(parts)
    if name == b"encoding":
        return Simple(b"dense" if o[4] == hll.HLL_DENSE else b"sparse")
    if name == b"todense":
        if o[4] == hll.HLL_SPARSE:
            try:
                hll.sparse_to_dense(o)
            except hll.CorruptHLL:
                raise CommandError(CORRUPTED_HLL) from None
            c.server.dirty += 1
            return 1
        return 0
    raise CommandError("ERR Unknown PFDEBUG subcommand '%s'" % sub.split(b"\0", 1)[0].decode("utf-8", "replace"))


@command("pfselftest")
def cmd_pfselftest(c, argv):
    """PFSELFTEST

    Checks the dense register packing with random values and that the sparse and dense
    representations estimate the same cardinality within the expected error. Lighter
    than Redis's (which adds ten million elements), same replies.
    """
    o = bytearray(hll.HLL_DENSE_SIZE)
    o[0:4] = b"HYLL"
    rnd = random.Random()
    for _ in range(3):
        ref = [rnd.randrange(hll.HLL_REGISTER_MAX + 1) for _ in range(hll.HLL_REGISTERS)]
        o[hll.HLL_HDR_SIZE:] = bytes(hll.HLL_DENSE_SIZE - hll.HLL_HDR_SIZE)
        for j, val in enumerate(ref):
            hll.dense_set(o, j, val)
        for j in range(hll.HLL_REGISTERS):
            if hll.dense_get(o, j) != ref[j]:
                raise CommandError("ERR TESTFAILED Register error at %d" % j)
    sparse = hll.create()
    dense = hll.create()
    hll.sparse_to_dense(dense)
    seed = rnd.getrandbits(64)
    checkpoint = 1
    relerr = 1.04 / (hll.HLL_REGISTERS ** 0.5)
    for j in range(1, 10001):
        ele = seed.to_bytes(8, "little") + j.to_bytes(8, "little")
        hll.add(sparse, ele, 3000)
        hll.add(dense, ele, 0)
        if j == checkpoint:
            a = hll.count(sparse)
            b = hll.count(dense)
            if a != b:
                raise CommandError("ERR TESTFAILED dense/sparse disagree: %d != %d" % (b, a))
            maxerr = relerr * 6 if j >= 10 else 1
            err = abs(j - b) / j if j >= 10 else abs(j - b)
            if err > maxerr:
                raise CommandError(
                    "ERR TESTFAILED Too big error. card:%d abserr:%d" % (j, abs(j - b))
                )
            checkpoint *= 10
    return OK
