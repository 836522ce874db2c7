"""Differential tests of the stream commands against the oracle, RESP2 and RESP3.

Scripts of commands run on both servers and every raw reply must be equal. Replies that
hold wall-clock values (auto IDs, delivery and seen times, idle times) are compared
with those values masked, as named at each use. Blocking XREAD/XREADGROUP use a second
connection per server that XADDs while the first waits.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.helpers import Conn


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def pair(request, both):
    if request.param == 3:
        both.call("HELLO", "3")
    return both


def _run(b, script):
    """Each line on both servers; XINFO STREAM FULL (seen/delivery times) and XINFO
    CONSUMERS (idle) are compared with clock values masked."""
    for line in script:
        args = line.split(" ")
        if args[:2] == ["XINFO", "CONSUMERS"]:
            _check_masked(b, _ANY_INT, *args)
        elif args[:2] == ["XINFO", "STREAM"] and "FULL" in args:
            _check_masked(b, _ABS_MS, *args)
        else:
            b.check(*args)


_ABS_MS = re.compile(rb":1\d{12}\r\n")
_ANY_INT = re.compile(rb":\d+\r\n")


def _check_masked(b, pattern, *args):
    """Equal replies once the integers matching `pattern` (clock values) are masked."""
    o, m = b.call(*args)
    assert pattern.sub(b":T\r\n", o) == pattern.sub(b":T\r\n", m), (args, o, m)
    return o


_SCRIPT_T1 = [
    'XADD s 1-1 a 1',
    'XADD s 1-1 a 1',
    'XADD s 1-* a 2',
    'XADD s 0-0 a 1',
    'XADD s 2 b 2 c 3',
    'XADD s 5-* x y',
    'XADD s 3-5 x',
    'XADD s',
    'XADD s NOMKSTREAM 6-1 f v',
    'XADD nos NOMKSTREAM 6-1 f v',
    'XADD s MAXLEN 3 7-1 f v',
    'XADD s MAXLEN = 3 LIMIT 5 8-1 f v',
    'XADD s MAXLEN ~ 3 LIMIT 5 8-1 f v',
    'XADD s MAXLEN ~ 3 MINID 1 8-1 f v',
    'XADD s MAXLEN -1 8-1 f v',
    'XADD s LIMIT 5 8-1 f v',
    'XADD s LIMIT 0 8-1 f v',
    'XADD s MAXLEN ~ x 8-1 f v',
    'XADD s MAXLEN ~ 3',
    'XADD s - f v',
    'XADD s + f v',
    'XADD s 18446744073709551615-18446744073709551615 f v',
    'XADD s 18446744073709551616-0 f v',
    'XADD s  9-1 f v',
    'XADD s +10-1 f v',
    'XADD s 11-+1 f v',
    'XADD s 12- f v',
    'XADD s -1 f v',
    'XINFO STREAM s',
    'XLEN s',
    'XLEN nokey',
    'XRANGE s - +',
    'XRANGE s - + COUNT 2',
    'XRANGE s - + COUNT 0',
    'XRANGE s - + COUNT -1',
    'XRANGE s (1-1 +',
    'XRANGE s - (7-1',
    'XRANGE s (18446744073709551615-18446744073709551615 +',
    'XRANGE s - (0-0',
    'XRANGE s 2 2',
    'XRANGE s - + COUNT',
    'XRANGE s - + FOO 1',
    'XRANGE s ( +',
    'XRANGE s (- +',
    'XREVRANGE s + -',
    'XREVRANGE s + - COUNT 1',
    'XREVRANGE s (7-1 -',
    'XRANGE nokey - +',
    'XRANGE nokey - + COUNT 0',
    'SET str x',
    'XADD str * f v',
    'XLEN str',
    'XRANGE str - +',
    'XDEL s 1-1 2-0 99-1',
    'XDEL s x',
    'XDEL s 1-1 x',
    'XDEL nokey 1-1',
    'XINFO STREAM s',
    'XTRIM s MAXLEN 1',
    'XINFO STREAM s',
    'XTRIM s MINID 100',
    'XINFO STREAM s',
    'XTRIM s',
    'XTRIM s LIMIT 1',
    'XTRIM s MAXLEN ~ 1 LIMIT 1',
    'XTRIM nokey MAXLEN x',
    'XTRIM s MAXLEN x',
    'XTRIM s * 1',
    'XDEL s 18446744073709551615-18446744073709551615',
    'XINFO STREAM s',
    'XADD e MAXLEN 0 7-7 f v',
    'XINFO STREAM e',
]

_SCRIPT_T2 = [
    'XDEL nokey x',
    'SET str v',
    'XDEL str x',
    'XTRIM str MAXLEN x',
    'XADD s 1-1 a 1',
    'XADD s 2-1 a 1',
    'XADD s 3-1 a 1',
    'XDEL s 1-1',
    'XINFO STREAM s',
    'XDEL s 2-1',
    'XINFO STREAM s',
    'XDEL s 3-1',
    'XINFO STREAM s',
    'XADD s 4-1 a 1',
    'XINFO STREAM s',
    'XGROUP CREATE s g $',
    'XGROUP CREATE s g $',
    'XGROUP CREATE s g2 0 ENTRIESREAD 5',
    'XGROUP CREATE s g3 0 ENTRIESREAD -2',
    'XGROUP CREATE s g3 0 ENTRIESREAD x',
    'XGROUP CREATE s g3 0 FOO',
    'XGROUP CREATE s g3 0 MKSTREAM MKSTREAM MKSTREAM',
    'XGROUP CREATE s g4 x',
    'XGROUP CREATE nokey g 0',
    'XGROUP CREATE nokey g x MKSTREAM',
    'XGROUP CREATE nokey g 0 MKSTREAM',
    'XGROUP CREATE str g 0',
    'XINFO GROUPS s',
    'XINFO GROUPS nokey',
    'XINFO GROUPS str',
    'XGROUP SETID s g 0',
    'XGROUP SETID s nog 0',
    'XGROUP SETID s g 0 ENTRIESREAD 3',
    'XGROUP SETID s g - ',
    'XGROUP SETID s g $ ENTRIESREAD',
    'XGROUP SETID s g $ MKSTREAM',
    'XINFO GROUPS s',
    'XGROUP CREATECONSUMER s g c1',
    'XGROUP CREATECONSUMER s g c1',
    'XGROUP CREATECONSUMER s g a0',
    'XGROUP CREATECONSUMER s nog c1',
    'XGROUP DELCONSUMER s g c9',
    'XGROUP DELCONSUMER s g a0',
    'XGROUP DESTROY s g3',
    'XGROUP DESTROY s nog',
    'XGROUP DESTROY nokey2 nog',
    'XGROUP HELP',
    'XGROUP HELP x',
    'XGROUP FOO',
    'XGROUP FOO a b c',
    'XINFO HELP',
    'XINFO FOO',
    'XINFO STREAM s FULL',
    'XINFO STREAM s FULL COUNT 1',
    'XINFO STREAM s FULL COUNT x',
    'XINFO STREAM s FULLX',
    'XINFO STREAM s FULL COUNTX 1',
    'XINFO STREAM s FULL COUNT 1 x',
    'XINFO STREAM nokey',
    'XINFO STREAM str',
    'XINFO CONSUMERS s nog',
    'XINFO CONSUMERS nokey g',
    'XSETID s 1-0',
    'XSETID s 10-0',
    'XINFO STREAM s',
    'XSETID s 10-0 ENTRIESADDED 0',
    'XSETID s 10-0 ENTRIESADDED -1',
    'XSETID s 10-0 ENTRIESADDED 100 MAXDELETEDID 11-0',
    'XSETID s 10-0 ENTRIESADDED 100 MAXDELETEDID 9-0',
    'XINFO STREAM s',
    'XSETID s 9-5',
    'XSETID s 10-0 FOO',
    'XSETID nokey 10-0',
    'XSETID str 10-0',
    'XSETID s x',
    'XSETID s -',
]

_SCRIPT_T3 = [
    'XADD s 1-1 a 1',
    'XADD s 2-1 b 2',
    'XADD s 3-1 c 3',
    'XGROUP CREATE s g 0',
    'XGROUP CREATE s h $',
    'XREADGROUP GROUP g c1 COUNT 1 STREAMS s >',
    'XINFO GROUPS s',
    'XREADGROUP GROUP g c2 STREAMS s >',
    'XINFO GROUPS s',
    'XREADGROUP GROUP g c2 STREAMS s >',
    'XREADGROUP GROUP g c1 STREAMS s 0',
    'XREADGROUP GROUP g c2 STREAMS s 0',
    'XREADGROUP GROUP g c2 COUNT 1 STREAMS s 0',
    'XREADGROUP GROUP g c2 STREAMS s 2-1',
    'XREADGROUP GROUP g c3 STREAMS s 0',
    'XREADGROUP GROUP g c1 STREAMS s $',
    'XREADGROUP GROUP nog c1 STREAMS s >',
    'XREADGROUP GROUP g c1 STREAMS nokey >',
    'XREADGROUP GROUP g c1 STREAMS s',
    'XREADGROUP GROUP g c1 STREAMS s s > >',
    'XREADGROUP STREAMS s >',
    'XREADGROUP GROUP g c1 FOO STREAMS s >',
    'XREADGROUP GROUP g c1 COUNT x STREAMS s >',
    'XREAD GROUP g c1 STREAMS s >',
    'XREAD NOACK STREAMS s >',
    'XREAD STREAMS s >',
    'XREAD STREAMS s 0',
    'XREAD STREAMS s $',
    'XREAD COUNT 1 STREAMS s 0',
    'XREAD STREAMS s',
    'XREAD STREAMS s nokey 0 0',
    'XREAD STREAMS s nokey 1-1 0',
    'XREAD STREAMS s x',
    'XREAD BLOCK x STREAMS s 0',
    'XREAD BLOCK -1 STREAMS s 0',
    'XREAD BLOCK 0 STREAMS s 0',
    'XREAD STREAMS str 0',
    'XPENDING s g',
    'XPENDING s h',
    'XPENDING s g - + 10',
    'XPENDING s g - + 10 c1',
    'XPENDING s g - + 10 c9',
    'XPENDING s g (1-1 + 10',
    'XPENDING s g - (3-1 1',
    'XPENDING s g - + 0',
    'XPENDING s g - + -5',
    'XPENDING s g IDLE 0 - + 10',
    'XPENDING s g IDLE 100000 - + 10',
    'XPENDING s g IDLE 10 - + ',
    'XPENDING s g IDLE x - + 10',
    'XPENDING s g - + x',
    'XPENDING s g x + 10',
    'XPENDING s nog',
    'XPENDING nokey g',
    'XPENDING s g - +',
    'XPENDING s g - + 10 c1 x',
    'XACK s g 1-1 9-9',
    'XACK s g 1-1',
    'XACK s g x',
    'XACK s nog x',
    'XACK nokey g x',
    'XACK str g 1',
    'XPENDING s g',
    'XREADGROUP GROUP g c4 NOACK STREAMS s 0',
    'XGROUP SETID s g 0',
    'XREADGROUP GROUP g c4 NOACK COUNT 1 STREAMS s >',
    'XPENDING s g',
    'XINFO GROUPS s',
    'XREADGROUP GROUP g c4 STREAMS s >',
    'XPENDING s g - + 10',
    'XDEL s 2-1',
    'XINFO GROUPS s',
    'XREADGROUP GROUP g c4 STREAMS s 0',
    'XCLAIM s g c5 0 1-1 2-1 3-1 JUSTID',
    'XPENDING s g - + 10',
    'XCLAIM s g c5 0 3-1',
    'XCLAIM s g c6 0 3-1 RETRYCOUNT 7',
    'XPENDING s g - + 10',
    'XCLAIM s g c6 0 3-1 FORCE JUSTID LASTID 4-0',
    'XINFO GROUPS s',
    'XCLAIM s g c6 0 1-1 FORCE',
    'XPENDING s g - + 10',
    'XCLAIM s g c6 x 1-1',
    'XCLAIM s g c6 0 1-1 IDLE x',
    'XCLAIM s g c6 0 1-1 TIME x',
    'XCLAIM s g c6 0 1-1 RETRYCOUNT x',
    'XCLAIM s g c6 0 1-1 LASTID x',
    'XCLAIM s g c6 0 1-1 FOO',
    'XCLAIM s g c6 0 1-1 IDLE',
    'XCLAIM s nog c6 0 1-1',
    'XCLAIM s g c6 100000 1-1',
    'XCLAIM s g c6 0 x 1-1',
    'XINFO CONSUMERS s g',
    'XAUTOCLAIM s g c7 0 0',
    'XAUTOCLAIM s g c7 0 0 COUNT 1',
    'XAUTOCLAIM s g c7 0 0 COUNT 0',
    'XAUTOCLAIM s g c7 0 0 COUNT x',
    'XAUTOCLAIM s g c7 0 0 JUSTID',
    'XAUTOCLAIM s g c7 0 (1-1 JUSTID',
    'XAUTOCLAIM s g c7 x 0',
    'XAUTOCLAIM s g c7 0 x',
    'XAUTOCLAIM s nog c7 0 0',
    'XAUTOCLAIM s g c7 0 0 FOO',
    'XADD s 5-1 e 5',
    'XREADGROUP GROUP g c8 STREAMS s >',
    'XDEL s 5-1',
    'XAUTOCLAIM s g c7 0 0 COUNT 1',
    'XAUTOCLAIM s g c7 0 0',
    'XAUTOCLAIM s g c7 0 0 JUSTID',
    'XINFO GROUPS s',
    'XINFO CONSUMERS s g',
    'XGROUP DELCONSUMER s g c7',
    'XPENDING s g',
]


def test_xadd_xrange_xdel_xtrim(pair):
    pair.check("SET", "str", "x")
    _run(pair, _SCRIPT_T1)


def test_groups_and_xsetid(pair):
    _run(pair, _SCRIPT_T2)


def test_read_ack_pending_claim(pair):
    # XPENDING's extended form and XINFO CONSUMERS report idle times: compared as they
    # are (both run within the same millisecond or so); the scripts avoid sleeping.
    for line in _SCRIPT_T3:
        args = line.split(" ")
        if args[0] in ("XPENDING", "XINFO") and len(args) > 3:
            _check_masked(pair, _ANY_INT, *args)
        else:
            pair.check(*args)


def test_xinfo_full_masked(pair):
    b = pair
    for i in range(1, 6):
        b.check("XADD", "s", f"{i}-1", "f", str(i))
    b.check("XGROUP", "CREATE", "s", "g", "0")
    b.check("XGROUP", "CREATE", "s", "a", "$")
    b.check("XREADGROUP", "GROUP", "g", "c2", "COUNT", "2", "STREAMS", "s", ">")
    b.check("XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", "s", ">")
    b.check("XDEL", "s", "4-1")
    for args in (("XINFO", "STREAM", "s", "FULL"), ("XINFO", "STREAM", "s", "FULL", "COUNT", "1"),
                 ("XINFO", "STREAM", "s", "FULL", "COUNT", "0"), ("XINFO", "STREAM", "s", "FULL", "COUNT", "-3")):
        _check_masked(b, _ABS_MS, *args)
    b.check("XINFO", "GROUPS", "s")
    b.check("XINFO", "STREAM", "s")


def test_lag_and_entries_read(pair):
    b = pair
    b.check("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    b.check("XINFO", "GROUPS", "s")
    for i in range(1, 8):
        b.check("XADD", "s", f"{i}-0", "f", "v")
    b.check("XGROUP", "CREATE", "s", "g2", "$")
    b.check("XGROUP", "CREATE", "s", "g3", "3-0")
    b.check("XGROUP", "CREATE", "s", "g4", "0", "ENTRIESREAD", "2")
    b.check("XINFO", "GROUPS", "s")
    b.check("XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "s", ">")
    b.check("XINFO", "GROUPS", "s")
    b.check("XDEL", "s", "5-0")
    b.check("XINFO", "GROUPS", "s")
    b.check("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">")
    b.check("XREADGROUP", "GROUP", "g3", "c", "STREAMS", "s", ">")
    b.check("XINFO", "GROUPS", "s")
    b.check("XTRIM", "s", "MAXLEN", "2")
    b.check("XINFO", "GROUPS", "s")
    b.check("XINFO", "STREAM", "s")
    b.check("XDEL", "s", "1-0", "6-0", "7-0")
    b.check("XINFO", "GROUPS", "s")
    b.check("XINFO", "STREAM", "s")
    b.check("XGROUP", "SETID", "s", "g", "$")
    b.check("XINFO", "GROUPS", "s")


def test_node_layout_trimming(pair):
    # "~" trimming removes whole listpack nodes: the layout (entries per node by count
    # and by bytes) decides the result, and XINFO STREAM shows radix-tree keys/nodes.
    b = pair
    for i in range(1, 260):
        b.check("XADD", "s", f"{i}-{i % 3}", "f", str(i))
    b.check("XINFO", "STREAM", "s")
    for args in (("MAXLEN", "~", "150"), ("MAXLEN", "~", "150", "LIMIT", "50"),
                 ("MAXLEN", "~", "10", "LIMIT", "100"), ("MINID", "~", "230"), ("MINID", "235")):
        b.check("XTRIM", "s", *args)
        b.check("XINFO", "STREAM", "s")
    b.check("XDEL", "s", "240-0", "241-1")
    for i in range(300, 700, 7):
        b.check("XADD", "s", f"{i * 1000}-{i}", f"field{i % 2}", "v" * (i % 50))
    b.check("XINFO", "STREAM", "s")
    b.check("CONFIG", "SET", "stream-node-max-entries", "5")
    b.check("CONFIG", "SET", "stream-node-max-bytes", "200")
    try:
        for i in range(1000, 1100):
            b.check("XADD", "s", f"{i * 1000}-*", "f", "x" * (i % 40))
        b.check("XINFO", "STREAM", "s")
        b.check("XTRIM", "s", "MAXLEN", "~", "7")
        b.check("XINFO", "STREAM", "s")
        b.check("XADD", "s", "MINID", "~", "1050000", "1200000-0", "f", "v")
        b.check("XLEN", "s")
        b.check("XDEL", "s", "1099000-0", "1098000-0")
        b.check("XINFO", "STREAM", "s")
        b.check("XTRIM", "s", "MAXLEN", "=", "0")
        b.check("XINFO", "STREAM", "s")
    finally:
        b.check("CONFIG", "SET", "stream-node-max-entries", "100")
        b.check("CONFIG", "SET", "stream-node-max-bytes", "4096")
    for i in range(1, 50):
        b.check("XADD", f"b{i % 3}", f"{i}-1", f"f{i}", "y" * (i * 20))
    for k in ("b0", "b1", "b2"):
        b.check("XINFO", "STREAM", k)


def test_auto_ids(pair):
    # "*" uses the clock: only the shape and monotonicity are compared.
    b = pair
    o, m = b.call("XADD", "s", "*", "f", "v")
    assert re.fullmatch(rb"\$\d+\r\n\d{13}-0\r\n", m), m
    assert abs(int(m.split(b"\r\n")[1].split(b"-")[0]) - int(o.split(b"\r\n")[1].split(b"-")[0])) < 5000
    b.check("XADD", "k", "99999999999999-5", "f", "v")
    b.check("XADD", "k", "*", "f", "v")
    b.check("XADD", "k", "99999999999999-*", "f", "v")
    b.check("XADD", "k", "18446744073709551615-18446744073709551614", "f", "v")
    b.check("XADD", "k", "*", "f", "v")
    b.check("XADD", "k", "*", "f", "v")
    b.check("XADD", "k", "18446744073709551615-*", "f", "v")
    b.check("XINFO", "STREAM", "k")


def test_multi_and_wrongtype(pair):
    b = pair
    b.check("SET", "str", "x")
    for args in (("XLEN", "str"), ("XRANGE", "str", "-", "+"), ("XREVRANGE", "str", "+", "-"),
                 ("XDEL", "str", "1"), ("XTRIM", "str", "MAXLEN", "1"), ("XREAD", "STREAMS", "str", "0"),
                 ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "str", ">"), ("XACK", "str", "g", "1"),
                 ("XPENDING", "str", "g"), ("XCLAIM", "str", "g", "c", "0", "1"),
                 ("XAUTOCLAIM", "str", "g", "c", "0", "0"), ("XINFO", "STREAM", "str"),
                 ("XINFO", "GROUPS", "str"), ("XINFO", "CONSUMERS", "str", "g"), ("XSETID", "str", "1"),
                 ("XGROUP", "CREATE", "str", "g", "0"), ("XGROUP", "DESTROY", "str", "g"), ("TYPE", "str")):
        b.check(*args)
    b.check("XADD", "s", "1-1", "f", "v")
    b.check("TYPE", "s")
    b.check("OBJECT", "ENCODING", "s")
    b.check("MULTI")
    b.check("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    b.check("XREAD", "BLOCK", "0", "STREAMS", "s", "0")
    b.check("EXEC")


def _open_pair(b):
    host_o = b.oracle.sock.getpeername()[1]
    host_m = b.mine.sock.getpeername()[1]
    return Conn(host_o), Conn(host_m)


def _send_both(b, *args):
    from tests.helpers import encode_request
    data = encode_request(args)
    b.oracle.send_raw(data)
    b.mine.send_raw(data)


def _read_both(b, wait=0.5):
    return b.oracle.read_available(wait), b.mine.read_available(wait)


def test_blocking_xread(pair):
    b = pair
    o2, m2 = _open_pair(b)
    try:
        b.check("XADD", "s", "1-1", "f", "v")
        # "$" waits for entries after the current last ID
        _send_both(b, "XREAD", "BLOCK", "0", "STREAMS", "s", "other", "$", "$")
        o, m = _read_both(b, 0.2)
        assert o == m == b""
        assert o2.call("XADD", "x", "1-1", "a", "b") == m2.call("XADD", "x", "1-1", "a", "b")
        assert o2.call("XADD", "other", "5-1", "a", "b") == m2.call("XADD", "other", "5-1", "a", "b")
        o, m = _read_both(b)
        assert o == m and o, (o, m)
        # an explicit ID below the top is served at once; COUNT limits
        b.check("XREAD", "COUNT", "1", "BLOCK", "100", "STREAMS", "s", "0")
        # timeout: the null array
        _send_both(b, "XREAD", "BLOCK", "100", "STREAMS", "s", "$")
        time.sleep(0.3)
        o, m = _read_both(b)
        assert o == m, (o, m)
        # a stream deleted then recreated serves the waiting client
        _send_both(b, "XREAD", "BLOCK", "0", "STREAMS", "s", "1-1")
        time.sleep(0.1)
        for args in (("DEL", "s"), ("SET", "s", "str"), ("DEL", "s"), ("XADD", "s", "1-0", "x", "y"),
                     ("XADD", "s", "2-0", "x", "y")):
            assert o2.call(*args) == m2.call(*args)
        o, m = _read_both(b)
        assert o == m and o, (o, m)
        assert o2.call("INFO", "clients").split(b"blocked_clients:")[1][:2] == \
            m2.call("INFO", "clients").split(b"blocked_clients:")[1][:2]
    finally:
        o2.close()
        m2.close()


def test_blocking_xreadgroup(pair):
    b = pair
    o2, m2 = _open_pair(b)
    try:
        b.check("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
        _send_both(b, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
        o, m = _read_both(b, 0.2)
        assert o == m == b""
        for args in (("XADD", "s", "1-1", "f", "v"),):
            assert o2.call(*args) == m2.call(*args)
        o, m = _read_both(b)
        assert o == m and o, (o, m)
        b.check("XPENDING", "s", "g")
        b.check("XINFO", "GROUPS", "s")
        # NOACK while blocked
        _send_both(b, "XREADGROUP", "GROUP", "g", "bob", "NOACK", "BLOCK", "0", "STREAMS", "s", ">")
        time.sleep(0.1)
        assert o2.call("XADD", "s", "2-1", "f", "v") == m2.call("XADD", "s", "2-1", "f", "v")
        o, m = _read_both(b)
        assert o == m and o, (o, m)
        b.check("XPENDING", "s", "g")
        # the group destroyed while a client waits: NOGROUP error
        _send_both(b, "XREADGROUP", "GROUP", "g", "carol", "BLOCK", "0", "STREAMS", "s", ">")
        time.sleep(0.1)
        assert o2.call("XGROUP", "DESTROY", "s", "g") == m2.call("XGROUP", "DESTROY", "s", "g")
        o, m = _read_both(b)
        assert o == m and o.startswith(b"-NOGROUP"), (o, m)
        # timeout
        b.check("XGROUP", "CREATE", "s", "g", "$")
        _send_both(b, "XREADGROUP", "GROUP", "g", "dave", "BLOCK", "100", "STREAMS", "s", ">")
        time.sleep(0.3)
        o, m = _read_both(b)
        assert o == m, (o, m)
        b.check("XINFO", "GROUPS", "s")
    finally:
        o2.close()
        m2.close()


def test_blocking_multiple_keys_and_unblock(pair):
    b = pair
    o2, m2 = _open_pair(b)
    try:
        b.check("XADD", "a", "5-0", "f", "v")
        # waits on a (after 5-0) and on b (missing: after 0-0); an XADD below the
        # waited ID keeps the client blocked
        _send_both(b, "XREAD", "COUNT", "2", "BLOCK", "0", "STREAMS", "a", "b", "$", "3-0")
        time.sleep(0.1)
        for args in (("XADD", "b", "1-0", "x", "1"), ("XADD", "b", "2-0", "x", "1")):
            assert o2.call(*args) == m2.call(*args)
        o, m = _read_both(b, 0.2)
        assert o == m == b"", (o, m)
        for args in (("XADD", "b", "4-0", "x", "2"),):
            assert o2.call(*args) == m2.call(*args)
        o, m = _read_both(b)
        assert o == m and o, (o, m)
        # CLIENT UNBLOCK of a blocked XREAD: the null reply, or the UNBLOCKED error
        for how in ("TIMEOUT", "ERROR"):
            oid = b.oracle.call("CLIENT", "ID")
            mid = b.mine.call("CLIENT", "ID")
            _send_both(b, "XREAD", "BLOCK", "0", "STREAMS", "a", "$")
            time.sleep(0.1)
            assert o2.call("CLIENT", "UNBLOCK", oid[1:-2].decode(), how) == \
                m2.call("CLIENT", "UNBLOCK", mid[1:-2].decode(), how)
            o, m = _read_both(b)
            assert o == m and o, (o, m)
    finally:
        o2.close()
        m2.close()


_NOTIFY_SCRIPT = [
    "XADD s 1-1 f v", "XADD s MAXLEN 0 2-1 f v", "XADD s 3-1 f v", "XDEL s 3-1 9-9",
    "XTRIM s MAXLEN 0", "XGROUP CREATE s g 0", "XGROUP CREATE s2 g $ MKSTREAM",
    "XGROUP CREATECONSUMER s g c", "XADD s 4-1 f v", "XREADGROUP GROUP g d STREAMS s >",
    "XCLAIM s g e 0 4-1", "XAUTOCLAIM s g f 0 0", "XGROUP DELCONSUMER s g c",
    "XGROUP SETID s g 0", "XSETID s 10-1", "XGROUP DESTROY s g", "XRANGE nokey - +",
    "XLEN nokey", "XREAD STREAMS nokey 0",
]


def test_keyspace_notifications(both):
    b = both
    subs = _open_pair(b)
    try:
        b.check("CONFIG", "SET", "notify-keyspace-events", "KEA")
        for s in subs:
            s.call("PSUBSCRIBE", "__keyevent@0__:*")
        for line in _NOTIFY_SCRIPT:
            b.check(*line.split(" "))
        time.sleep(0.1)
        o, m = subs[0].read_available(0.3), subs[1].read_available(0.3)
        assert o == m and b"xgroup-createconsumer" in o, (o, m)
    finally:
        b.check("CONFIG", "SET", "notify-keyspace-events", "")
        for s in subs:
            s.close()


def test_block_from_scripts(pair):
    b = pair
    b.check("XADD", "s", "1-1", "f", "v")
    b.check("XGROUP", "CREATE", "s", "g", "0")
    b.check("EVAL", "return redis.call('xread','block','0','streams','s','0')", "0")
    b.check("EVAL", "return redis.call('XREADGROUP','group','g','c','block','0','streams','s','>')", "0")
    b.check("EVAL", "return redis.call('xread','streams','s','0')", "0")


def _random_script(seed):
    import random
    rnd = random.Random(seed)
    nid = 1
    for step in range(100):
        r = rnd.random()
        if r < 0.3:
            nid += rnd.choice([0, 1, 1, 2])
            yield ["XADD", "s", f"{nid}-*", "f", str(step)]
        elif r < 0.4:
            yield ["XDEL", "s", f"{rnd.randint(1, nid)}-{rnd.randint(0, 1)}"]
        elif r < 0.45:
            yield ["XTRIM", "s", rnd.choice(["MAXLEN", "MINID"]), rnd.choice(["=", "~"]), str(rnd.randint(0, nid))]
        elif r < 0.55:
            yield ["XREADGROUP", "GROUP", rnd.choice("gh"), rnd.choice("abc"), "COUNT", str(rnd.randint(1, 3)),
                   "STREAMS", "s", rnd.choice([">", ">", "0"])]
        elif r < 0.6:
            yield (["XGROUP", rnd.choice(["CREATE", "SETID"]), "s", rnd.choice("gh"),
                    rnd.choice(["0", "$", f"{rnd.randint(0, nid)}-0"])]
                   + rnd.choice([[], ["ENTRIESREAD", str(rnd.randint(-1, 5))]]))
        elif r < 0.65:
            yield ["XACK", "s", rnd.choice("gh"), f"{rnd.randint(1, nid)}-{rnd.randint(0, 1)}"]
        elif r < 0.7:
            yield ["XCLAIM", "s", rnd.choice("gh"), rnd.choice("abc"), "0", f"{rnd.randint(1, nid)}-{rnd.randint(0, 1)}", "JUSTID"]
        elif r < 0.73:
            yield ["XAUTOCLAIM", "s", rnd.choice("gh"), rnd.choice("abc"), "0", "0", "COUNT", str(rnd.randint(1, 4)), "JUSTID"]
        elif r < 0.76:
            yield ["XSETID", "s", f"{nid + rnd.randint(-1, 2)}-5"]
        elif r < 0.78:
            yield ["XGROUP", "DELCONSUMER", "s", rnd.choice("gh"), rnd.choice("abc")]
        else:
            yield rnd.choice([["XINFO", "GROUPS", "s"], ["XINFO", "STREAM", "s"],
                              ["XPENDING", "s", rnd.choice("gh")], ["XRANGE", "s", "-", "+"]])


@pytest.mark.parametrize("seed", range(12))
def test_random_group_histories(pair, seed):
    # entries-read, lag, max-deleted-entry-id, recorded-first-entry-id and the PELs
    # after random mixes of writes, deletions, trims and group reads
    for cmd in _random_script(seed):
        pair.check(*cmd)
