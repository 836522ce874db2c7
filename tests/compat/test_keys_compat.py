"""Differential tests of the generic keyspace commands against the oracle.

Relaxations, each named where it is used:
- order-insensitive: KEYS and SCAN results are compared sorted (hash order differs);
- approximate TTL: a TTL read right after setting it may differ by the time elapsed;
- SCAN cursors are opaque: only full iterations (cursor back to 0) are compared.
"""

from __future__ import annotations

import time

import pytest


def parse(reply: bytes):
    """Decode one raw RESP2/RESP3 reply into Python values (bytes, int, list, None)."""
    value, end = _parse(reply, 0)
    assert end == len(reply)
    return value


def _parse(buf: bytes, pos: int):
    end = buf.index(b"\r\n", pos)
    t, head = buf[pos : pos + 1], buf[pos + 1 : end]
    if t in (b"+", b"-"):
        return head, end + 2
    if t == b":":
        return int(head), end + 2
    if t == b"_":
        return None, end + 2
    if t == b"$":
        n = int(head)
        if n < 0:
            return None, end + 2
        return buf[end + 2 : end + 2 + n], end + 4 + n
    if t in (b"*", b"~", b"%"):
        n = int(head)
        if n < 0:
            return None, end + 2
        if t == b"%":
            n *= 2
        out, p = [], end + 2
        for _ in range(n):
            v, p = _parse(buf, p)
            out.append(v)
        return out, p
    raise ValueError(buf[pos:])


def full_scan(conn, *opts, limit: int = 10000) -> list:
    cursor, seen = b"0", []
    for _ in range(limit):
        cursor, keys = parse(conn.call("SCAN", cursor, *opts))
        seen.extend(keys)
        if cursor == b"0":
            return seen
    raise AssertionError("SCAN did not finish")


def populate(both, n: int, prefix: str = "key") -> None:
    """DEBUG POPULATE's key names, set with MSET on both servers."""
    args = [x for i in range(n) for x in (f"{prefix}:{i}", f"value:{i}")]
    both.check("MSET", *args)


def check_sorted(both, *args):
    """order-insensitive: compare an array reply as a sorted list."""
    want, got = both.call(*args)
    assert sorted(parse(got)) == sorted(parse(want)), args
    return parse(got)


# ---------------------------------------------------------------------- del, exists, type


def test_del_unlink_exists_touch(both):
    both.check("MSET", "a", "1", "b", "2", "c", "3")
    both.check("EXISTS", "a", "a", "nokey", "b")
    both.check("TOUCH", "a", "a", "nokey")
    both.check("DEL", "a", "a", "nokey")
    both.check("UNLINK", "b", "c", "b")
    both.check("EXISTS", "a", "b", "c")
    both.check("DBSIZE")
    for cmd in ("DEL", "UNLINK", "EXISTS", "TOUCH", "TYPE", "KEYS", "SCAN", "DBSIZE", "RANDOMKEY"):
        both.check(cmd)
        if cmd in ("TYPE", "KEYS", "DBSIZE", "RANDOMKEY"):
            both.check(cmd, "x", "y", "z")  # arity errors


def test_type_of_every_kind(both):
    both.check("SET", "s", "v")
    both.check("RPUSH", "l", "a")
    both.check("HSET", "h", "f", "v")
    both.check("SADD", "st", "m")
    both.check("ZADD", "z", "1", "m")
    for key in ("s", "l", "h", "st", "z", "missing"):
        both.check("TYPE", key)


def test_type_reply_resp3(both3):
    both3.check("SET", "s", "v")
    both3.check("TYPE", "s")
    both3.check("TYPE", "missing")
    both3.check("EXISTS", "s", "missing")
    both3.check("RANDOMKEY")
    both3.check("OBJECT", "ENCODING", "missing")
    both3.check("OBJECT", "HELP")
    both3.check("TTL", "s")
    both3.check("KEYS", "s*")
    both3.check("SCAN", "0")


def test_keys_patterns(both):
    names = ["foo", "foobar", "fo", "f", "bar", "f*o", "f?o", "[x]", "a\\b", "hello", "hallo", "hxllo"]
    both.check("MSET", *[x for n in names for x in (n, "v")])
    for pattern in ("*", "f*", "f?o", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "f\\*o", "f\\?o",
                    "\\[x\\]", "[[]x]", "*o", "a\\\\b", "nomatch*", "[", "**", "?"):
        check_sorted(both, "KEYS", pattern)


def test_keys_and_dbsize_skip_expired_without_deleting(both):
    both.check("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        both.check("SET", "live", "v")
        both.check("SET", "gone", "v", "PX", "1")
        time.sleep(0.02)
        both.check("KEYS", "*")
        both.check("DBSIZE")  # still 2: KEYS does not delete
        both.check("KEYS", "g*")
        both.check("DBSIZE")
        both.check("EXISTS", "gone")  # lazy expiry deletes
        both.check("DBSIZE")
    finally:
        both.check("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_empty_key_name_and_star(both):
    both.check("SET", "", "v")
    both.check("SET", "x", "v")
    check_sorted(both, "KEYS", "*")
    both.check("KEYS", "**")  # "" is only matched by a lone "*" special case
    both.check("KEYS", "")


# ---------------------------------------------------------------------- rename, move, copy


def test_rename(both):
    both.check("RENAME", "nokey", "x")
    both.check("RENAMENX", "nokey", "x")
    both.check("SET", "a", "1", "EX", "1000")
    both.check("RENAME", "a", "a")
    both.check("RENAMENX", "a", "a")
    both.check("RENAME", "a", "b")
    both.check("EXISTS", "a", "b")
    both.check("TTL", "b")
    both.check("SET", "c", "2")
    both.check("RENAMENX", "b", "c")
    both.check("RENAME", "b", "c")
    both.check("GET", "c")
    both.check("TTL", "c")
    both.check("RPUSH", "l", "x")
    both.check("RENAME", "l", "c")
    both.check("TYPE", "c")
    both.check("RENAMENX", "c", "d")
    both.check("LRANGE", "d", "0", "-1")


def test_move(both):
    both.check("SET", "k", "v", "EX", "1000")
    for db in ("x", "16", "-1", "2147483648", "0", "1.5", ""):
        both.check("MOVE", "k", db)
    both.check("MOVE", "nokey", "1")
    both.check("MOVE", "k", "1")
    both.check("EXISTS", "k")
    both.check("SELECT", "1")
    both.check("TTL", "k")
    both.check("SET", "k2", "other")
    both.check("SELECT", "0")
    both.check("SET", "k2", "mine")
    both.check("MOVE", "k2", "1")
    both.check("GET", "k2")
    both.check("SELECT", "1")
    both.check("GET", "k2")
    both.check("FLUSHDB")
    both.check("SELECT", "0")


def test_copy(both):
    both.check("SET", "s", "v", "EX", "1000")
    both.check("COPY", "s", "s")
    both.check("COPY", "s", "s", "DB", "0")
    both.check("COPY", "nokey", "x")
    for opts in (("DB", "x"), ("DB", "16"), ("DB", "-1"), ("DB", "2147483648"), ("FOO",), ("DB",),
                 ("REPLACE", "FOO"), ("DB", "1", "DB", "x")):
        both.check("COPY", "s", "t", *opts)
    both.check("COPY", "s", "t")
    both.check("TTL", "t")
    both.check("COPY", "s", "t")
    both.check("SET", "s", "w")
    both.check("COPY", "s", "t", "REPLACE")
    both.check("GET", "t")
    both.check("TTL", "t")
    both.check("COPY", "s", "s", "DB", "1")
    both.check("SELECT", "1")
    both.check("GET", "s")
    both.check("FLUSHDB")
    both.check("SELECT", "0")


def test_copy_duplicates_containers(both):
    both.check("RPUSH", "l", "a", "b")
    both.check("HSET", "h", "f", "v")
    both.check("SADD", "st", "1", "2")
    both.check("ZADD", "z", "1", "a")
    for src in ("l", "h", "st", "z"):
        both.check("COPY", src, src + "2")
    both.check("RPUSH", "l2", "c")
    both.check("HSET", "h2", "g", "w")
    both.check("SADD", "st2", "x")
    both.check("ZADD", "z2", "2", "b")
    both.check("LRANGE", "l", "0", "-1")
    both.check("HGETALL", "h")
    both.check("SMEMBERS", "st")
    both.check("ZRANGE", "z", "0", "-1")
    for key in ("l2", "h2", "st2", "z2", "st"):
        both.check("OBJECT", "ENCODING", key)


# ---------------------------------------------------------------------- swapdb, flush


def test_swapdb(both):
    both.check("SET", "a", "0", "EX", "1000")
    both.check("SELECT", "1")
    both.check("SET", "b", "1")
    for args in (("x", "1"), ("1", "x"), ("0", "16"), ("-1", "0"), ("2147483648", "0"), ("0", "0"), ("1", "1")):
        both.check("SWAPDB", *args)
    both.check("SWAPDB", "0", "1")
    both.check("KEYS", "*")
    both.check("TTL", "a")
    both.check("DBSIZE")
    both.check("SELECT", "0")
    both.check("KEYS", "*")
    both.check("SWAPDB", "1", "0")
    both.check("KEYS", "*")
    both.check("SELECT", "1")
    both.check("FLUSHDB")
    both.check("SELECT", "0")


def test_swapdb_invalidates_watch(oracle, redpy_server):
    """A WATCHed key that exists in either db makes EXEC fail after SWAPDB."""
    for srv in (oracle, redpy_server):
        a, b = srv.conn(), srv.conn()
        try:
            a.call("FLUSHALL")
            a.call("SELECT", "1")
            a.call("SET", "k", "v")
            b.call("WATCH", "k")  # db 0, where k does not exist yet
            b.call("MULTI")
            b.call("PING")
            a.call("SWAPDB", "0", "1")
            assert b.call("EXEC") == b"*-1\r\n", srv.kind
            b.call("WATCH", "nothere")
            b.call("MULTI")
            b.call("PING")
            a.call("SWAPDB", "0", "1")
            assert b.call("EXEC") == b"*1\r\n+PONG\r\n", srv.kind
            a.call("FLUSHALL")
        finally:
            a.close()
            b.close()


def test_flush_options(both):
    both.check("SET", "a", "1")
    for args in (("FOO",), ("ASYNC", "SYNC"), ("async",), ("SYNC",)):
        both.check("FLUSHDB", *args)
        both.check("FLUSHALL", *args)
    both.check("DBSIZE")


# ---------------------------------------------------------------------- expire family


def test_expire_errors(both):
    both.check("SET", "k", "v")
    for cmd in ("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"):
        for opts in (("foo",), ("nx", "xx"), ("gt", "lt"), ("nx", "gt"), ("xx", "gt", "lt"),
                     ("fo\x00o",), ("NX", "nx"), ("lt", "nx")):
            both.check(cmd, "k", "10", *opts)
        both.check(cmd, "k", "x", "foo")
        both.check(cmd, "k", "x", "nx")
        both.check(cmd, "k", "1.5")
        both.check(cmd, "k", "")
        both.check(cmd, "k")
    for cmd, value in (("EXPIRE", "9223372036854776"), ("EXPIRE", "-9223372036854776"),
                       ("PEXPIRE", "9223372036854775807"), ("EXPIREAT", "9223372036854776"),
                       ("EXPIRE", "9223372036854775807"), ("PEXPIREAT", "-9223372036854775808")):
        both.check(cmd, "k", value)
        both.check("SET", "k", "v")
    both.check("EXPIREAT", "k", "9223372036854775")
    both.check("PEXPIREAT", "k", "9223372036854775807")
    both.check("PEXPIRETIME", "k")
    both.check("EXPIRETIME", "k")


def test_expire_past_deadline_deletes(both):
    for cmd, value in (("EXPIRE", "-1"), ("PEXPIRE", "0"), ("EXPIREAT", "0"), ("PEXPIREAT", "1"),
                       ("EXPIRE", "-9223372036854775")):
        both.check("SET", "k", "v")
        both.check(cmd, "k", value)
        both.check("EXISTS", "k")
    both.check("EXPIRE", "nokey", "100")
    both.check("EXPIRE", "nokey", "-100")


def test_expire_nx_xx_gt_lt(both):
    both.check("SET", "k", "v")
    both.check("PEXPIREAT", "k", "99999999999000", "XX")
    both.check("PEXPIREAT", "k", "99999999999000", "GT")
    both.check("PEXPIREAT", "k", "99999999999000", "LT")
    both.check("PEXPIRETIME", "k")
    both.check("PEXPIREAT", "k", "99999999999000", "NX")
    both.check("PEXPIREAT", "k", "99999999998000", "NX")
    both.check("PEXPIREAT", "k", "99999999998000", "GT")
    both.check("PEXPIREAT", "k", "99999999999000", "GT")
    both.check("PEXPIREAT", "k", "99999999999001", "GT")
    both.check("PEXPIRETIME", "k")
    both.check("PEXPIREAT", "k", "99999999999001", "LT")
    both.check("PEXPIREAT", "k", "99999999999000", "lt", "XX")
    both.check("PEXPIRETIME", "k")
    both.check("EXPIREAT", "k", "99999999999", "xx")
    both.check("EXPIRETIME", "k")
    both.check("PERSIST", "k")
    both.check("PERSIST", "k")
    both.check("PERSIST", "nokey")
    both.check("EXPIREAT", "k", "99999999999", "XX")
    both.check("EXPIREAT", "k", "99999999999", "LT")
    both.check("EXPIRETIME", "k")
    both.check("EXPIRE", "k", "-1", "GT")  # GT fails, nothing deleted
    both.check("EXISTS", "k")
    both.check("EXPIRE", "k", "-1", "LT")
    both.check("EXISTS", "k")


def test_ttl_family(both):
    both.check("SET", "k", "v")
    for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        both.check(cmd, "k")
        both.check(cmd, "nokey")
    both.check("PEXPIREAT", "k", "99999999999500")
    both.check("EXPIRETIME", "k")  # rounded to the nearest second
    both.check("PEXPIREAT", "k", "99999999999499")
    both.check("EXPIRETIME", "k")
    both.check("EXPIRE", "k", "100")
    both.check("TTL", "k")
    both.check("PEXPIRE", "k", "100500")
    # approximate TTL: both round (ttl+500)/1000; the ms part may differ by elapsed time
    want, got = both.call("TTL", "k")
    assert abs(parse(want) - parse(got)) <= 1
    want, got = both.call("PTTL", "k")
    assert abs(parse(want) - parse(got)) <= 1000


def test_lazy_expiry(both):
    both.check("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        both.check("SET", "k", "v", "PX", "30")
        both.check("TTL", "k")
        time.sleep(0.06)
        both.check("DBSIZE")
        both.check("TTL", "k")
        both.check("DBSIZE")
        for cmd in (("EXISTS", "k"), ("TYPE", "k"), ("PERSIST", "k"), ("EXPIRE", "k", "10"),
                    ("RENAME", "k", "j"), ("COPY", "k", "j"), ("MOVE", "k", "1"), ("DEL", "k"),
                    ("OBJECT", "ENCODING", "k"), ("TOUCH", "k")):
            both.check("SET", "k", "v", "PX", "1")
            time.sleep(0.01)
            both.check(*cmd)
            both.check("DBSIZE")
    finally:
        both.check("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_active_expiry_removes_keys(redpy_server, oracle):
    """Keys expire without being touched within about a second (DBSIZE counts them)."""
    for srv in (oracle, redpy_server):
        conn = srv.conn()
        try:
            conn.call("FLUSHALL")
            for i in range(50):
                conn.call("SET", f"k{i}", "v", "PX", "100")
            conn.call("SET", "stay", "v")
            deadline = time.time() + 3
            while conn.call("DBSIZE") != b":1\r\n" and time.time() < deadline:
                time.sleep(0.1)
            assert conn.call("DBSIZE") == b":1\r\n", srv.kind
        finally:
            conn.close()


# ---------------------------------------------------------------------- object


def test_object_encodings(both):
    both.check("SET", "int", "12345")
    both.check("SET", "neg", "-9223372036854775808")
    both.check("SET", "toolong", "123456789012345678901")
    both.check("SET", "lead0", "0123")
    both.check("SET", "emb", "x" * 44)
    both.check("SET", "raw", "x" * 45)
    both.check("SET", "app", "12")
    both.check("APPEND", "app", "3")
    both.check("APPEND", "newapp", "123")
    both.check("SET", "inc", "5")
    both.check("APPEND", "inc", "0")
    both.check("INCR", "inc")
    both.check("SETRANGE", "sr", "0", "1")
    for key in ("int", "neg", "toolong", "lead0", "emb", "raw", "app", "newapp", "inc", "sr", "nokey"):
        both.check("OBJECT", "ENCODING", key)
        both.check("OBJECT", "REFCOUNT", key)
    both.check("RPUSH", "l", "a")
    both.check("HSET", "h", "f", "v")
    both.check("SADD", "s", "1")
    both.check("SADD", "s2", "a")
    both.check("ZADD", "z", "1", "a")
    for key in ("l", "h", "s", "s2", "z"):
        both.check("OBJECT", "ENCODING", key)
        both.check("OBJECT", "REFCOUNT", key)


def test_object_refcount_shared_integers(both):
    for value in ("0", "5", "9999", "10000", "-1", "00", "hello"):
        both.check("SET", "k", value)
        both.check("OBJECT", "REFCOUNT", "k")
    both.check("SET", "k", "5")
    both.check("COPY", "k", "k2")  # a copied integer is not shared
    both.check("OBJECT", "ENCODING", "k2")


def test_object_freq_idletime_help_errors(both):
    both.check("SET", "k", "v")
    both.check("OBJECT", "IDLETIME", "k")
    both.check("OBJECT", "IDLETIME", "nokey")
    both.check("OBJECT", "FREQ", "k")
    both.check("OBJECT", "FREQ", "nokey")
    both.check("OBJECT", "HELP")
    both.check("OBJECT", "HELP", "x")
    both.check("OBJECT")
    both.check("OBJECT", "FOO")
    both.check("OBJECT", "ENCODING")
    both.check("OBJECT", "ENCODING", "k", "x")
    both.check("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    try:
        both.check("OBJECT", "IDLETIME", "k")
        both.check("OBJECT", "FREQ", "nokey")
    finally:
        both.check("CONFIG", "SET", "maxmemory-policy", "noeviction")


# ---------------------------------------------------------------------- random, scan


def test_randomkey(both):
    both.check("RANDOMKEY")
    both.check("SET", "only", "v")
    both.check("RANDOMKEY")
    both.check("SET", "other", "v")
    want, got = both.call("RANDOMKEY")  # random: only membership is comparable
    assert parse(got) in (b"only", b"other") and parse(want) in (b"only", b"other")


def test_scan_errors(both):
    both.check("SET", "k", "v")
    for cursor in ("", "00", "+0", "-0", " 1", "18446744073709551616", "1a", "0x1", "-", "+",
                   "1 ", "-18446744073709551616", "1.0", "\x001", "0\x00x"):
        both.check("SCAN", cursor, "COUNT", "100")
    # valid cursors Redis never handed out: what they return depends on Redis's hash seed,
    # so only "accepted, not an error" is compared
    for cursor in ("-1", "+5", "18446744073709551615", "-18446744073709551615", "4294967296"):
        want, got = both.call("SCAN", cursor, "COUNT", "100")
        assert want.startswith(b"*2\r\n") and got.startswith(b"*2\r\n"), cursor
    for opts in (("COUNT", "0"), ("COUNT", "-1"), ("COUNT", "x"), ("COUNT",), ("MATCH",),
                 ("FOO", "x"), ("TYPE",), ("COUNT", "9223372036854775808"), ("COUNT", "1", "FOO")):
        both.check("SCAN", "0", *opts)
    both.check("SCAN", "x", "COUNT", "0")  # the cursor is parsed first


def test_scan_small_keyspace_in_one_call(both):
    both.check("MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5")
    for opts in ((), ("COUNT", "1000"), ("TYPE", "string"), ("TYPE", "STRING"), ("TYPE", "hash"),
                 ("TYPE", "nosuch"), ("MATCH", "[a-c]"), ("MATCH", "*"), ("MATCH", "z*", "TYPE", "string")):
        want, got = both.call("SCAN", "0", *opts)
        want, got = parse(want), parse(got)
        assert got[0] == want[0] == b"0", opts  # everything, cursor 0
        assert sorted(got[1]) == sorted(want[1]), opts  # order-insensitive


def test_scan_full_iteration(both):
    populate(both, 1000)
    both.check("RPUSH", "list1", "a")
    both.check("HSET", "hash1", "f", "v")
    for opts in ((), ("COUNT", "7"), ("COUNT", "1000"), ("MATCH", "key:1*"), ("TYPE", "list"),
                 ("MATCH", "*1", "COUNT", "3", "TYPE", "string")):
        want = sorted(full_scan(both.oracle, *opts))
        got = full_scan(both.mine, *opts)
        assert len(got) == len(set(got)), opts  # no duplicates
        assert sorted(got) == want, opts


def test_scan_count_is_a_hint(both):
    populate(both, 500)
    cursor, keys = parse(both.mine.call("SCAN", "0", "COUNT", "10"))
    assert cursor != b"0" and 5 <= len(keys) <= 20


def test_scan_expired_keys_skipped_and_deleted(both):
    both.check("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        both.check("SET", "live", "v")
        both.check("SET", "gone", "v", "PX", "1")
        both.check("SET", "gone2", "v", "PX", "1")
        time.sleep(0.02)
        both.check("SCAN", "0", "MATCH", "zz*")  # MATCH filters first: nothing deleted
        both.check("DBSIZE")
        both.check("SCAN", "0", "MATCH", "gone")
        both.check("DBSIZE")
        both.check("SCAN", "0")
        both.check("DBSIZE")
    finally:
        both.check("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_scan_while_keys_change(r):
    """Every key present from the start to the end of an iteration is returned once."""
    stable = [f"stable:{i}" for i in range(300)]
    r.pipeline([("SET", k, "v") for k in stable])
    r.pipeline([("SET", f"churn:{i}", "v") for i in range(300)])
    cursor, seen, step = b"0", [], 0
    while True:
        cursor, keys = parse(r.call("SCAN", cursor, "COUNT", "17"))
        seen.extend(keys)
        # add and remove other keys between the calls
        r.pipeline([("DEL", f"churn:{step * 5 + j}") for j in range(5)])
        r.pipeline([("SET", f"new:{step}:{j}", "v") for j in range(5)])
        step += 1
        if cursor == b"0":
            break
        assert step < 1000
    names = {k.decode() for k in seen}
    assert set(stable) <= names
    assert len(seen) == len(names)
    assert not any(n.startswith("new:") for n in names)


def test_scan_unknown_cursor_is_served(r):
    r.pipeline([("SET", f"k{i}", "v") for i in range(100)])
    cursor, keys = parse(r.call("SCAN", "12345", "COUNT", "10"))
    assert isinstance(keys, list)
    cursor, keys = parse(r.call("SCAN", "18446744073709551615", "COUNT", "1000"))
    assert cursor == b"0" and 0 < len(keys) <= 100


@pytest.mark.parametrize("proto", [2, 3])
def test_scan_reply_shape(both, proto):
    if proto == 3:
        both.call("HELLO", "3")  # its reply holds the client id, which differs
    both.check("SET", "k", "v")
    both.check("SCAN", "0")
    both.check("SCAN", "0", "MATCH", "nomatch")


# ---------------------------------------------------------------------- glob vs the oracle


def test_glob_fuzz_against_keys(both):
    """KEYS with random patterns over keys made of glob-special bytes and every byte 0-255:
    redpy's KEYS and glob.match both agree with the oracle (order-insensitive)."""
    import random

    from redpy import glob

    rnd = random.Random(7)
    alphabet = b"ab]-[^\\*?zAZ\x00\x7f\x80\xff"
    keys = {bytes([b]) for b in range(256)}
    keys |= {bytes(rnd.choice(alphabet) for _ in range(rnd.randint(1, 5))) for _ in range(400)}
    keys = sorted(keys)
    both.check("MSET", *[x for k in keys for x in (k, b"1")])
    patterns = [bytes(rnd.choice(alphabet) for _ in range(rnd.randint(0, 6))) for _ in range(600)]
    patterns += [b"[a-\xff]", b"[\x80-\x7f]*", b"*[^\x00-a]", b"[z-a]?", b"\\", b"[\\"]
    want_all = both.oracle.pipeline([("KEYS", p) for p in patterns])
    got_all = both.mine.pipeline([("KEYS", p) for p in patterns])
    for pattern, want, got in zip(patterns, want_all, got_all):
        expected = sorted(parse(want))
        assert sorted(parse(got)) == expected, pattern
        assert sorted(k for k in keys if glob.match(pattern, k)) == expected, pattern


def test_glob_nocase_against_config_get(oracle):
    """CONFIG GET matches parameter names with nocase=1: the oracle checks nocase mode."""
    from redpy import glob

    conn = oracle.conn()
    try:
        names = parse(conn.call("CONFIG", "GET", "*"))[0::2]
        for pattern in (b"MAXMEMORY*", b"[A-Z]*", b"[^A]*", b"*-MAX-*", b"[a-Z]*", b"[Z-a]*",
                        b"h[A-Z]", b"[M]axmemory", b"[\\H]z", b"?Z", b"*SLAVE*", b"[_-a]*",
                        b"[Y-b]*", b"[^a-z]*", b"*\\-MAX*"):
            want = sorted(parse(conn.call("CONFIG", "GET", pattern))[0::2])
            assert sorted(n for n in names if glob.match(pattern, n, nocase=True)) == want, pattern
    finally:
        conn.close()
