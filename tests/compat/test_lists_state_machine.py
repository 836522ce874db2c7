"""A hypothesis state machine for lists, on both servers.

Random sequences of list commands (pushes, pops with counts, LMOVE/LMPOP between keys,
LINSERT/LSET/LREM/LTRIM, LPOS with its options, LRANGE/LINDEX, and a string key to hit
WRONGTYPE) go to the oracle and to redpy; the raw replies must be equal, errors by their
full message. After each step both lists are read whole (LRANGE 0 -1) and compared, so a
difference in content shows up at the step that made it. No relaxations: list commands
are deterministic.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule

from ..helpers import Conn
from .machines import DifferentialMachine, run

KEYS = st.sampled_from([b"l1", b"l2", b"{t}l3", b"str"])
ELEMENTS = st.one_of(st.sampled_from([b"a", b"b", b"", b"1", b"-2", b"9223372036854775808", b"x" * 70]), st.binary(max_size=6))
INDEXES = st.one_of(st.integers(-6, 6), st.sampled_from([b"x", b"9223372036854775807", b"-9223372036854775808"]))
COUNTS = st.one_of(st.integers(-2, 5), st.sampled_from([b"x"]))
SIDES = st.sampled_from([b"LEFT", b"RIGHT", b"left", b"UP"])


class ListMachine(DifferentialMachine):
    @initialize(packed=st.sampled_from([b"-2", b"2", b"3"]))
    def connect(self, packed):
        self.o = Conn(self.oracle_port)
        self.m = Conn(self.redpy_port)
        # a small list-max-listpack-size makes quicklists of several nodes
        for conn in (self.o, self.m):
            assert conn.call("FLUSHALL") == b"+OK\r\n"
            assert conn.call("CONFIG", "SET", "list-max-listpack-size", packed) == b"+OK\r\n"
            assert conn.call("SET", "str", "v") == b"+OK\r\n"

    def teardown(self):
        for name in ("o", "m"):
            conn = getattr(self, name, None)
            if conn is not None:
                conn.call("CONFIG", "SET", "list-max-listpack-size", "-2")
                conn.close()

    @rule(cmd=st.sampled_from([b"LPUSH", b"RPUSH", b"LPUSHX", b"RPUSHX"]), key=KEYS, elements=st.lists(ELEMENTS, min_size=1, max_size=5))
    def push(self, cmd, key, elements):
        self.same(cmd, key, *elements)

    @rule(cmd=st.sampled_from([b"LPOP", b"RPOP"]), key=KEYS, count=st.one_of(st.none(), COUNTS))
    def pop(self, cmd, key, count):
        self.same(cmd, key, *([] if count is None else [count]))

    @rule(key=KEYS, start=INDEXES, stop=INDEXES)
    def lrange(self, key, start, stop):
        self.same(b"LRANGE", key, start, stop)

    @rule(key=KEYS, index=INDEXES)
    def lindex(self, key, index):
        self.same(b"LINDEX", key, index)

    @rule(key=KEYS, index=INDEXES, element=ELEMENTS)
    def lset(self, key, index, element):
        self.same(b"LSET", key, index, element)

    @rule(key=KEYS, where=st.sampled_from([b"BEFORE", b"AFTER", b"after", b"AROUND"]), pivot=ELEMENTS, element=ELEMENTS)
    def linsert(self, key, where, pivot, element):
        self.same(b"LINSERT", key, where, pivot, element)

    @rule(key=KEYS, count=INDEXES, element=ELEMENTS)
    def lrem(self, key, count, element):
        self.same(b"LREM", key, count, element)

    @rule(key=KEYS, start=INDEXES, stop=INDEXES)
    def ltrim(self, key, start, stop):
        self.same(b"LTRIM", key, start, stop)

    @rule(
        key=KEYS,
        element=ELEMENTS,
        opts=st.lists(
            st.sampled_from([[b"RANK", b"1"], [b"RANK", b"-1"], [b"RANK", b"2"], [b"RANK", b"0"], [b"COUNT", b"0"], [b"COUNT", b"2"], [b"MAXLEN", b"3"], [b"MAXLEN", b"-1"], [b"BOGUS"]]),
            max_size=2,
        ),
    )
    def lpos(self, key, element, opts):
        self.same(b"LPOS", key, element, *[w for opt in opts for w in opt])

    @rule(src=KEYS, dst=KEYS, wherefrom=SIDES, whereto=SIDES)
    def lmove(self, src, dst, wherefrom, whereto):
        self.same(b"LMOVE", src, dst, wherefrom, whereto)

    @rule(src=KEYS, dst=KEYS)
    def rpoplpush(self, src, dst):
        self.same(b"RPOPLPUSH", src, dst)

    @rule(keys=st.lists(KEYS, min_size=1, max_size=3), side=SIDES, count=st.one_of(st.none(), COUNTS))
    def lmpop(self, keys, side, count):
        self.same(b"LMPOP", len(keys), *keys, side, *([] if count is None else [b"COUNT", count]))

    @rule(key=KEYS)
    def llen_type_encoding(self, key):
        self.same(b"LLEN", key)
        self.same(b"TYPE", key)
        self.same(b"OBJECT", b"ENCODING", key)

    @invariant()
    def contents_equal(self):
        if hasattr(self, "o"):
            for key in (b"l1", b"l2", b"{t}l3"):
                self.same(b"LRANGE", key, b"0", b"-1")


def test_list_state_machine(oracle, redpy_server):
    run(ListMachine, oracle, redpy_server)
