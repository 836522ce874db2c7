"""A hypothesis state machine: strings and generic keyspace commands, on both servers.

Each rule sends the same request to the oracle and to redpy and compares the raw replies
(errors included, by their full message). Relaxations, each named where it is made:
- TTL/PTTL: the remaining time may differ by the time between the two requests;
- KEYS and a full SCAN iteration: compared as sets (Redis's order is its hash order);
- RANDOMKEY: only whether a key came back.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import initialize, rule

from ..helpers import Conn
from .machines import DifferentialMachine, run

KEYS = st.sampled_from([b"a", b"b", b"c", b"n", b"{x}1", b"\xff\x00k"])
VALUES = st.one_of(
    st.sampled_from([b"", b"0", b"1", b"-1", b"10", b"3.5", b"abc", b"9223372036854775807", b" 1"]),
    st.binary(max_size=12),
)
INTS = st.one_of(st.integers(-5, 5), st.sampled_from([2**63 - 1, -(2**63), 10**20]))
EXPIRE_OPTS = st.sampled_from([[], [b"NX"], [b"XX"], [b"GT"], [b"LT"], [b"NX", b"XX"], [b"BOGUS"]])


def _int_reply(reply: bytes) -> int | None:
    return int(reply[1:-2]) if reply.startswith(b":") else None


class KeyspaceMachine(DifferentialMachine):

    @initialize()
    def connect(self):
        self.o = Conn(self.oracle_port)
        self.m = Conn(self.redpy_port)
        for conn in (self.o, self.m):
            assert conn.call("FLUSHALL") == b"+OK\r\n"

    def teardown(self):
        for name in ("o", "m"):
            conn = getattr(self, name, None)
            if conn is not None:
                conn.close()

    # strings
    @rule(key=KEYS, value=VALUES, opts=st.sampled_from([[], [b"NX"], [b"XX"], [b"GET"], [b"KEEPTTL"], [b"EX", b"100"], [b"PX", b"0"], [b"NX", b"XX"]]))
    def set(self, key, value, opts):
        self.same(b"SET", key, value, *opts)

    @rule(key=KEYS)
    def get(self, key):
        self.same(b"GET", key)

    @rule(key=KEYS, by=INTS)
    def incrby(self, key, by):
        self.same(b"INCRBY", key, b"%d" % by)

    @rule(key=KEYS, value=VALUES)
    def append(self, key, value):
        self.same(b"APPEND", key, value)

    @rule(key=KEYS, start=INTS, end=INTS)
    def getrange(self, key, start, end):
        self.same(b"GETRANGE", key, b"%d" % start, b"%d" % end)

    @rule(key=KEYS)
    def lpush(self, key):  # a second type, for WRONGTYPE paths
        self.same(b"LPUSH", key, b"x")

    # generic
    @rule(keys=st.lists(KEYS, min_size=1, max_size=3))
    def delete(self, keys):
        self.same(b"DEL", *keys)

    @rule(keys=st.lists(KEYS, min_size=1, max_size=3))
    def exists(self, keys):
        self.same(b"EXISTS", *keys)

    @rule(key=KEYS)
    def type_(self, key):
        self.same(b"TYPE", key)

    @rule(key=KEYS, seconds=INTS, opts=EXPIRE_OPTS, cmd=st.sampled_from([b"EXPIRE", b"PEXPIRE"]))
    def expire(self, key, seconds, opts, cmd):
        self.same(cmd, key, b"%d" % (seconds * 100 if seconds in range(1, 6) else seconds), *opts)

    @rule(key=KEYS)
    def persist(self, key):
        self.same(b"PERSIST", key)

    @rule(key=KEYS, cmd=st.sampled_from([b"TTL", b"PTTL"]))
    def ttl(self, key, cmd):
        want, got = self.o.call(cmd, key), self.m.call(cmd, key)
        w, g = _int_reply(want), _int_reply(got)
        # relaxation: the clock moved between the two requests
        tolerance = 1 if cmd == b"TTL" else 50
        assert w is not None and g is not None and (w == g or (w >= 0 and abs(w - g) <= tolerance)), (cmd, want, got)

    @rule(src=KEYS, dst=KEYS, cmd=st.sampled_from([b"RENAME", b"RENAMENX"]))
    def rename(self, src, dst, cmd):
        self.same(cmd, src, dst)

    @rule(src=KEYS, dst=KEYS, replace=st.booleans())
    def copy(self, src, dst, replace):
        self.same(b"COPY", src, dst, *([b"REPLACE"] if replace else []))

    @rule(key=KEYS, db=st.sampled_from([b"1", b"0", b"99", b"x"]))
    def move(self, key, db):
        self.same(b"MOVE", key, db)

    @rule(key=KEYS)
    def object_encoding(self, key):
        self.same(b"OBJECT", b"ENCODING", key)

    @rule()
    def dbsize(self):
        self.same(b"DBSIZE")

    @rule(pattern=st.sampled_from([b"*", b"?", b"[ab]", b"{x}*", b"\\*", b"[^a]*"]))
    def keys(self, pattern):
        want, got = self.o.call(b"KEYS", pattern), self.m.call(b"KEYS", pattern)
        # relaxation: KEYS lists in Redis's hash order
        assert sorted(want.split(b"\r\n")) == sorted(got.split(b"\r\n")), (pattern, want, got)

    @rule(count=st.sampled_from([b"1", b"2", b"10"]))
    def scan_all(self, count):
        def iterate(conn):
            cursor, seen = b"0", set()
            for _ in range(100):
                reply = conn.call(b"SCAN", cursor, b"COUNT", count)
                parts = reply.split(b"\r\n")
                cursor = parts[2]
                seen.update(parts[5::2])  # *2, $n, cursor, *N, then $len key pairs
                if cursor == b"0":
                    return seen
            raise AssertionError("SCAN did not finish")

        # relaxation: SCAN's order and page sizes are Redis's hash-table walk
        assert iterate(self.o) == iterate(self.m)

    @rule()
    def randomkey(self):
        want, got = self.o.call(b"RANDOMKEY"), self.m.call(b"RANDOMKEY")
        # relaxation: which key is random; whether one exists is not
        assert (want == b"$-1\r\n") == (got == b"$-1\r\n")


def test_keyspace_state_machine(oracle, redpy_server):
    run(KeyspaceMachine, oracle, redpy_server, steps=30)
