"""The stream value type (Redis's t_stream.c data model, 7.0).

A Stream keeps its entries as `ids` (a sorted list of (ms, seq) tuples) and `data`
(id -> flat [field, value, ...] list). IDs only ever grow at the end (XADD), entries go
away anywhere (XDEL, XTRIM).

Redis stores entries in listpack "nodes" of a radix tree; "~" trimming removes whole
nodes only, and XINFO STREAM reports radix-tree-keys (the node count) and
radix-tree-nodes, so the node layout is emulated: `nodes` is a list of Node (first ID
ever stored in it = its rax key, valid/deleted counts, last ID stored, an estimate of
the listpack size in bytes). A new entry goes to the last node unless that node
reached stream-node-max-entries (valid + deleted entries) or its bytes plus the new
field/value lengths reach stream-node-max-bytes, as streamAppendItem decides. A node
whose valid count drops to 0 through XDEL is freed, as streamIteratorRemoveEntry does.
Entries deleted from a node that lives on (XDEL, exact trimming inside a node) stay in
its `tomb` (Redis only flags them in the listpack), so that the RDB writes the listpack
Redis would (persistence/rdb.py) and a loaded dump keeps its deleted entries.
The byte size is an estimate of the listpack encoding (integers and short strings as
Redis encodes them), exact enough for small entries.

radix-tree-nodes is computed from the node keys (16-byte big-endian IDs) as the node
count of a compressed radix tree built by insertions; after deletions Redis's rax may
keep a layout that differs from this canonical one (a documented approximation).

Consumer groups (`groups`, name -> Group) and consumers live in rax trees in Redis,
so they are listed in byte order of the name.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from ..db import TYPE_NAMES
from ..numbers import string2ll

U64 = (1 << 64) - 1
MAX_ID = (U64, U64)
ZERO_ID = (0, 0)
INVALID_ENTRIES_READ = -1


def _lp_int_enc(v: int) -> int:
    if 0 <= v <= 127:
        return 1
    if -4096 <= v <= 4095:
        return 2
    if -32768 <= v <= 32767:
        return 3
    if -8388608 <= v <= 8388607:
        return 4
    if -2147483648 <= v <= 2147483647:
        return 5
    return 9


def _lp_backlen(n: int) -> int:
    if n <= 127:
        return 1
    if n < 16383:
        return 2
    if n < 2097151:
        return 3
    if n < 268435455:
        return 4
    return 5


def lp_int_size(v: int) -> int:
    e = _lp_int_enc(v)
    return e + _lp_backlen(e)


def lp_str_size(s: bytes) -> int:
    if len(s) <= 20:
        v = string2ll(s)
        if v is not None:
            return lp_int_size(v)
    n = len(s)
    e = 1 + n if n < 64 else (2 + n if n < 4096 else 5 + n)
    return e + _lp_backlen(e)


class Node:
    """One listpack of the rax. `tomb` keeps the entries deleted from it (id -> fields
    and values) while the node lives: Redis only flags them in the listpack, and the
    RDB serializes the listpack as it is (persistence/rdb.py)."""

    __slots__ = ("master", "fields", "count", "deleted", "last", "bytes", "tomb")

    def __init__(self, master, fields, nbytes):
        self.master = master
        self.fields = fields
        self.count = 0
        self.deleted = 0
        self.last = master
        self.bytes = nbytes
        self.tomb = {}


class NACK:
    __slots__ = ("delivery_time", "delivery_count", "consumer")

    def __init__(self, consumer, now):
        self.delivery_time = now
        self.delivery_count = 1
        self.consumer = consumer


class Consumer:
    __slots__ = ("name", "seen_time", "pel")

    def __init__(self, name, now):
        self.name = name
        self.seen_time = now
        self.pel = {}  # id -> NACK


class Group:
    __slots__ = ("last_id", "entries_read", "pel", "consumers")

    def __init__(self, last_id, entries_read):
        self.last_id = last_id
        self.entries_read = entries_read
        self.pel = {}  # id -> NACK
        self.consumers = {}  # name -> Consumer


class Stream:
    __slots__ = ("ids", "data", "nodes", "last_id", "first_id", "max_deleted_id",
                 "entries_added", "groups")

    def __init__(self):
        self.ids = []
        self.data = {}
        self.nodes = []
        self.last_id = ZERO_ID
        self.first_id = ZERO_ID
        self.max_deleted_id = ZERO_ID
        self.entries_added = 0
        self.groups = {}

    def __len__(self):
        return len(self.ids)

    def __bool__(self):
        # An empty stream is still a value (streams are never deleted when emptied).
        return True

    def copy(self) -> "Stream":
        s = Stream()
        s.ids = list(self.ids)
        s.data = dict(self.data)
        nodes = []
        for n in self.nodes:
            m = Node(n.master, n.fields, n.bytes)
            m.count, m.deleted, m.last = n.count, n.deleted, n.last
            m.tomb = dict(n.tomb)
            nodes.append(m)
        s.nodes = nodes
        s.last_id, s.first_id, s.max_deleted_id = self.last_id, self.first_id, self.max_deleted_id
        s.entries_added = self.entries_added
        for name, g in self.groups.items():
            ng = Group(g.last_id, g.entries_read)
            for cname, cons in g.consumers.items():
                ng.consumers[cname] = Consumer(cname, cons.seen_time)
            for i, nack in g.pel.items():
                nn = NACK(None, nack.delivery_time)
                nn.delivery_count = nack.delivery_count
                if nack.consumer is not None:
                    nc = ng.consumers[nack.consumer.name]
                    nn.consumer = nc
                    nc.pel[i] = nn
                ng.pel[i] = nn
            s.groups[name] = ng
        return s

    # ------------------------------------------------------------------ entries

    def append(self, sid, fv, config) -> None:
        """streamAppendItem once the ID is decided: store and place in a node."""
        fields = tuple(fv[0::2])
        values = fv[1::2]
        nf = len(fields)
        node = self.nodes[-1] if self.nodes else None
        if node is not None:
            max_bytes = config.stream_node_max_bytes
            if max_bytes == 0 or max_bytes > (1 << 30):
                max_bytes = 1 << 30
            totlen = sum(len(x) for x in fv)
            max_entries = config.stream_node_max_entries
            if node.bytes + totlen >= max_bytes:
                node = None
            elif max_entries and node.count + node.deleted >= max_entries:
                node = None
        if node is None:
            nbytes = 7 + lp_int_size(1) + lp_int_size(0) + lp_int_size(nf)
            nbytes += sum(lp_str_size(f) for f in fields) + lp_int_size(0)
            node = Node(sid, fields, nbytes)
            self.nodes.append(node)
        same = node.fields == fields
        size = lp_int_size(2 if same else 0)
        size += lp_int_size(sid[0] - node.master[0]) + lp_int_size(_s64(sid[1] - node.master[1]))
        if same:
            size += sum(lp_str_size(v) for v in values)
            size += lp_int_size(nf + 3)
        else:
            size += lp_int_size(nf) + sum(lp_str_size(x) for x in fv)
            size += lp_int_size(2 * nf + 4)
        node.bytes += size
        node.count += 1
        node.last = sid
        self.ids.append(sid)
        self.data[sid] = fv
        self.last_id = sid
        self.entries_added += 1
        if len(self.ids) == 1:
            self.first_id = sid

    def _node_index(self, sid) -> int:
        lo, hi = 0, len(self.nodes)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.nodes[mid].master <= sid:
                lo = mid + 1
            else:
                hi = mid
        return lo - 1

    def delete(self, sid) -> bool:
        """streamDeleteItem: remove one entry; a node left without valid entries is freed."""
        fv = self.data.pop(sid, None)
        if fv is None:
            return False
        i = bisect_left(self.ids, sid)
        del self.ids[i]
        ni = self._node_index(sid)
        node = self.nodes[ni]
        node.count -= 1
        node.deleted += 1
        if node.count == 0:
            del self.nodes[ni]
        else:
            node.tomb[sid] = fv
        return True

    def range(self, start, end, count=0, rev=False):
        """Entries with start <= id <= end (ids), count 0 = all."""
        ids = self.ids
        lo = bisect_left(ids, start)
        hi = bisect_right(ids, end)
        if lo >= hi:
            return []
        if rev:
            sel = ids[lo:hi][::-1]
        else:
            sel = ids[lo:hi]
        if count:
            sel = sel[:count]
        return sel

    def last_valid_id(self):
        return self.ids[-1] if self.ids else ZERO_ID

    def trim(self, strategy, maxlen, minid, approx, limit) -> int:
        """streamTrim: whole nodes from the head, then (exact only) entries inside one."""
        deleted = 0
        while self.nodes:
            if strategy == "maxlen" and len(self.ids) <= maxlen:
                break
            node = self.nodes[0]
            entries = node.count
            if limit and deleted + entries > limit:
                break
            if strategy == "maxlen":
                remove = len(self.ids) - entries >= maxlen
            else:
                remove = node.last < minid
            if remove:
                self.nodes.pop(0)
                end = self.nodes[0].master if self.nodes else None
                hi = bisect_left(self.ids, end) if end is not None else len(self.ids)
                for sid in self.ids[:hi]:
                    del self.data[sid]
                del self.ids[:hi]
                deleted += entries
                continue
            if approx:
                break
            end = self.nodes[1].master if len(self.nodes) > 1 else None
            hi = bisect_left(self.ids, end) if end is not None else len(self.ids)
            n = 0
            for sid in self.ids[:hi]:
                if strategy == "maxlen":
                    if len(self.ids) - n <= maxlen:
                        break
                elif sid >= minid:
                    break
                n += 1
            tomb = node.tomb
            for sid in self.ids[:n]:
                tomb[sid] = self.data.pop(sid)
            del self.ids[:n]
            node.count -= n
            node.deleted += n
            deleted += n
            break
        if deleted:
            self.first_id = self.ids[0] if self.ids else ZERO_ID
        return deleted

    # ------------------------------------------------------------------ info

    def rax_nodes(self) -> int:
        keys = [_encode_id(n.master) for n in self.nodes]
        if not keys:
            return 1
        return _count_rax(keys, 0)

    # ------------------------------------------------------------------ lag

    def range_has_tombstones(self, start) -> bool:
        """streamRangeHasTombstones(s, start, NULL)."""
        if not self.ids or self.max_deleted_id == ZERO_ID:
            return False
        if self.first_id > self.max_deleted_id:
            return False
        return start <= self.max_deleted_id

    def estimate_distance(self, sid) -> int:
        """streamEstimateDistanceFromFirstEverEntry."""
        if not self.entries_added:
            return 0
        if not self.ids and sid <= self.last_id:
            return self.entries_added
        if sid == self.last_id:
            return self.entries_added
        if sid > self.last_id:
            return INVALID_ENTRIES_READ
        if self.max_deleted_id == ZERO_ID or self.max_deleted_id < self.first_id:
            if sid < self.first_id:
                return self.entries_added - len(self.ids)
            if sid == self.first_id:
                return self.entries_added - len(self.ids) + 1
        return INVALID_ENTRIES_READ

    def group_lag(self, g):
        """streamReplyWithCGLag: an int, or None when it cannot be known."""
        if not self.entries_added:
            return 0
        if g.entries_read != INVALID_ENTRIES_READ and not self.range_has_tombstones(g.last_id):
            return self.entries_added - g.entries_read
        er = self.estimate_distance(g.last_id)
        if er != INVALID_ENTRIES_READ:
            return self.entries_added - er
        return None


def _s64(v: int) -> int:
    v &= U64
    return v - (1 << 64) if v >> 63 else v


def _encode_id(sid) -> bytes:
    return sid[0].to_bytes(8, "big") + sid[1].to_bytes(8, "big")


def _count_rax(keys, depth) -> int:
    """Nodes of a rax holding `keys` (same length, distinct, sorted) below `depth`."""
    if len(keys) == 1:
        rest = len(keys[0]) - depth
        return 2 if rest > 0 else 1
    first, last = keys[0], keys[-1]
    p = depth
    while first[p] == last[p]:
        p += 1
    total = 1 if p > depth else 0  # a compressed node for the common prefix
    total += 1  # the branching node
    groups = {}
    for k in keys:
        groups.setdefault(k[p], []).append(k)
    for g in groups.values():
        total += _count_rax(g, p + 1)
    return total


TYPE_NAMES[Stream] = b"stream"
