"""redis-py (the `redis` package) against redpy, with the oracle as the reference.

Each scenario runs twice, once with a client of the oracle and once with a client of
redpy; the Python values they produce (and the exception texts) must be equal. RESP2 and
RESP3 (protocol=3), pipelines with and without MULTI, a connection pool that reuses its
connections, and decode_responses.
"""

from __future__ import annotations

import pytest

redis = pytest.importorskip("redis")


def client(srv, **kw) -> "redis.Redis":
    return redis.Redis(host="127.0.0.1", port=srv.port, socket_timeout=10, **kw)


def outcome(fn, r):
    """fn(r)'s value, or the exception's type and text."""
    try:
        return ("ok", fn(r))
    except redis.RedisError as e:
        return ("error", type(e).__name__, str(e))


def same(oracle, redpy_server, fn, **kw):
    """Run fn on a fresh client of each server (both flushed first); results must be equal."""
    results = []
    for srv in (oracle, redpy_server):
        r = client(srv, **kw)
        try:
            r.flushall()
            results.append(outcome(fn, r))
        finally:
            r.close()
    want, got = results
    assert got == want, f"redpy {got!r} != redis {want!r}"
    return got


def test_strings(oracle, redpy_server):
    def scenario(r):
        out = [r.set("s", "v"), r.get("s"), r.get("missing"), r.set("s", "w", nx=True),
               r.set("s", "w", xx=True, get=True), r.incr("n"), r.incrby("n", 41), r.decr("n"),
               r.incrbyfloat("f", 1.5), r.append("s", "xyz"), r.strlen("s"), r.getrange("s", 1, 2),
               r.mset({"a": 1, "b": "2"}), r.mget("a", "b", "missing"), r.setnx("a", 5),
               r.getdel("b"), r.exists("a", "b", "s"), r.delete("a", "missing"), r.type("s")]
        return out

    same(oracle, redpy_server, scenario)


def test_errors_have_the_same_text(oracle, redpy_server):
    same(oracle, redpy_server, lambda r: (r.set("k", "x"), r.incr("k")))
    same(oracle, redpy_server, lambda r: (r.rpush("l", 1), r.get("l")))
    same(oracle, redpy_server, lambda r: r.execute_command("NOSUCHCOMMAND", "a"))
    same(oracle, redpy_server, lambda r: r.execute_command("GET"))


def test_expiry(oracle, redpy_server):
    def scenario(r):
        return [r.set("k", "v", ex=100), r.ttl("k") in (99, 100), r.expire("k", 50), r.ttl("k") in (49, 50),
                r.persist("k"), r.ttl("k"), r.ttl("missing"), r.pexpire("k", 100000), 99000 < r.pttl("k") <= 100000]

    same(oracle, redpy_server, scenario)


def test_collections(oracle, redpy_server):
    def scenario(r):
        return [
            r.rpush("l", "a", "b", "c"), r.lpush("l", "z"), r.lrange("l", 0, -1), r.lpop("l"), r.rpop("l", 2),
            r.hset("h", mapping={"f1": "v1", "f2": "2"}), r.hgetall("h"), r.hincrby("h", "f2", 3), r.hmget("h", "f1", "x"),
            r.sadd("s", "x", "y", "z"), sorted(r.smembers("s")), r.sismember("s", "x"), r.scard("s"),
            r.zadd("z", {"a": 1, "b": 2.5, "c": -1}), r.zrange("z", 0, -1, withscores=True), r.zscore("z", "b"),
            r.zincrby("z", 0.5, "a"), r.zrangebyscore("z", "(1", "+inf"), r.zrank("z", "b"),
        ]

    same(oracle, redpy_server, scenario)


def test_scan_iter(oracle, redpy_server):
    def scenario(r):
        r.mset({f"key:{i}": i for i in range(100)})
        return sorted(r.scan_iter(match="key:1*", count=7))

    got = same(oracle, redpy_server, scenario)
    assert len(got[1]) == 11


def test_pipeline_without_transaction(oracle, redpy_server):
    def scenario(r):
        p = r.pipeline(transaction=False)
        for i in range(200):
            p.set(f"p:{i}", i)
        p.incr("p:0").get("p:199").incr("p:missing").get("nope")
        return p.execute()

    got = same(oracle, redpy_server, scenario)
    assert got[1][-4:] == [1, b"199", 1, None]


def test_pipeline_errors_are_returned(oracle, redpy_server):
    def scenario(r):
        p = r.pipeline(transaction=False)
        p.set("k", "x").incr("k").get("k")
        return p.execute(raise_on_error=False)

    def normalise(result):
        return [repr(x) if isinstance(x, Exception) else x for x in result]

    same(oracle, redpy_server, lambda r: normalise(scenario(r)))


def test_transaction_pipeline(oracle, redpy_server):
    def scenario(r):
        p = r.pipeline(transaction=True)
        p.set("t", 1).incr("t").incrby("t", 10).get("t")
        return p.execute()

    assert same(oracle, redpy_server, scenario) == ("ok", [True, 2, 12, b"12"])


def test_transaction_with_error_inside(oracle, redpy_server):
    def scenario(r):
        p = r.pipeline(transaction=True)
        p.set("t", "x").incr("t").get("t")
        return p.execute()

    same(oracle, redpy_server, scenario)


def test_watch_transaction(oracle, redpy_server):
    def scenario(r):
        r.set("w", 1)

        def bump(pipe):
            value = int(pipe.get("w"))
            pipe.multi()
            pipe.set("w", value + 1)

        r.transaction(bump, "w")
        # A conflicting write between WATCH and EXEC makes it fail.
        with r.pipeline() as pipe:
            pipe.watch("w")
            r.set("w", 100)
            pipe.multi()
            pipe.set("w", 5)
            try:
                pipe.execute()
                aborted = False
            except redis.WatchError:
                aborted = True
        return r.get("w"), aborted

    assert same(oracle, redpy_server, scenario) == ("ok", (b"100", True))


def test_connection_pool_reuse(redpy_server):
    pool = redis.ConnectionPool(host="127.0.0.1", port=redpy_server.port, max_connections=3)
    r = redis.Redis(connection_pool=pool)
    try:
        ids = set()
        for i in range(50):
            r.set(f"pool:{i}", i)
            assert r.get(f"pool:{i}") == str(i).encode()
            ids.add(r.client_id())
        # Sequential use keeps reusing one connection: one server-side client.
        assert len(ids) == 1
        assert len(pool._available_connections) == 1
        # Concurrent checkouts get distinct connections, returned to the pool afterwards.
        conns = [pool.get_connection() for _ in range(3)]
        assert len({id(c) for c in conns}) == 3
        with pytest.raises(redis.ConnectionError):
            pool.get_connection()
        for c in conns:
            pool.release(c)
        assert len(pool._available_connections) == 3
        assert r.ping() is True
    finally:
        pool.disconnect()


def test_pool_survives_server_side_close(redpy_server):
    r = client(redpy_server)
    try:
        assert r.ping()
        # The server closes the connection (QUIT); the pool reconnects on the next command.
        conn = r.connection_pool.get_connection()
        conn.send_command("QUIT")
        assert conn.read_response() in (b"OK", "OK")
        r.connection_pool.release(conn)
        assert r.set("after-quit", "1") is True
        assert r.get("after-quit") == b"1"
    finally:
        r.close()


def test_decode_responses(oracle, redpy_server):
    def scenario(r):
        return [r.set("é", "ü"), r.get("é"), r.mget("é", "x"), r.hset("h", "f", "v"), r.hgetall("h"),
                r.incr("n"), r.zadd("z", {"m": 1.5}), r.zrange("z", 0, -1, withscores=True)]

    got = same(oracle, redpy_server, scenario, decode_responses=True)
    assert got[1][1] == "ü"


def test_binary_values(oracle, redpy_server):
    value = bytes(range(256)) * 10

    def scenario(r):
        return [r.set(b"\x00bin\xff", value), r.get(b"\x00bin\xff") == value, r.strlen(b"\x00bin\xff")]

    same(oracle, redpy_server, scenario)


def test_large_value(redpy_server):
    r = client(redpy_server)
    try:
        value = b"x" * (5 * 1024 * 1024)
        assert r.set("big", value)
        assert r.get("big") == value
    finally:
        r.close()


# --------------------------------------------------------------------------- RESP3


def test_resp3_hello(oracle, redpy_server):
    def scenario(r):
        info = r.execute_command("HELLO", "3")
        return sorted(k for k in info), info[b"proto"], info[b"role"]

    same(oracle, redpy_server, scenario, protocol=3)


def test_resp3_types(oracle, redpy_server):
    def scenario(r):
        return [
            r.set("k", "v"), r.get("missing"), r.hset("h", mapping={"a": "1", "b": "2"}), r.hgetall("h"),
            r.sadd("s", "x", "y"), r.smembers("s"), r.zadd("z", {"m": 1.5, "n": 2}),
            r.zscore("z", "m"), r.zrange("z", 0, -1, withscores=True), r.incrbyfloat("f", "0.1"),
            r.lpop("missing"), r.mget("k", "missing"),
        ]

    same(oracle, redpy_server, scenario, protocol=3)


def test_resp3_pipeline(oracle, redpy_server):
    def scenario(r):
        p = r.pipeline()
        p.set("a", 1).hgetall("none").hset("h", "f", "v").hgetall("h").zadd("z", {"m": 2}).zscore("z", "m")
        return p.execute()

    same(oracle, redpy_server, scenario, protocol=3)


def test_resp3_decode_responses(oracle, redpy_server):
    same(oracle, redpy_server, lambda r: (r.hset("h", "é", "ü"), r.hgetall("h")), protocol=3, decode_responses=True)
