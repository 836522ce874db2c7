"""MULTI/EXEC/DISCARD/WATCH against the oracle, including multi-client WATCH cases."""

import time

import pytest


def test_multi_exec_basics(both):
    both.check("MULTI")
    both.check("MULTI")  # nested: an error that does not poison the transaction
    both.check("SET", "a", "1")
    both.check("INCR", "a")
    both.check("LPUSH", "a", "x")  # WRONGTYPE surfaces inside EXEC's reply
    both.check("EXEC")
    both.check("EXEC")
    both.check("DISCARD")
    both.check("UNWATCH")


def test_queue_time_errors_abort(both):
    both.check("MULTI")
    both.check("SET", "a")
    both.check("NOSUCH", "x")
    both.check("GET", "a")
    both.check("EXEC")
    both.check("GET", "a")


def test_exec_rejected_inside_multi_quotes_the_reason(both):
    both.check("MULTI")
    both.check("PING")
    both.check("EXEC", "extra")
    both.check("EXEC")


def test_watch_inside_multi_and_discard(both):
    both.check("MULTI")
    both.check("WATCH", "a")
    both.check("PING")
    both.check("DISCARD")
    both.check("EXEC")


@pytest.mark.parametrize("proto", ["2", "3"])
def test_watch_invalidated_by_other_client(both, oracle, redpy_server, proto):
    both.call("HELLO", proto)  # the reply holds the connection id, which differs
    others = (oracle.conn(), redpy_server.conn())
    both.check("SET", "w", "1")
    both.check("WATCH", "w")
    for other in others:
        assert other.call("SET", "w", "2") == b"+OK\r\n"
    both.check("MULTI")
    both.check("GET", "w")
    both.check("EXEC")
    for other in others:
        other.close()


@pytest.mark.parametrize(
    "setup, write",
    [
        (("SET", "w", "1"), ("SET", "w", "2")),
        (("SET", "w", "1"), ("INCR", "w")),
        (("SET", "w", "1"), ("MSET", "w", "2", "x", "3")),
        (("RPUSH", "w", "a"), ("LPUSH", "w", "b")),
        (("RPUSH", "w", "a", "b"), ("RPOP", "w")),
        (("SADD", "w", "a"), ("SADD", "w", "b")),
        (("HSET", "w", "f", "v"), ("HSET", "w", "g", "v")),
        (("ZADD", "w", "1", "a"), ("ZADD", "w", "2", "a")),
    ],
)
@pytest.mark.parametrize("delay", [0, 0.35])
def test_watch_armed_at_once_and_past_the_cron(both, oracle, redpy_server, setup, write, delay):
    """A WATCH is armed at once and stays armed past server cron ticks (hz 10), for
    every write fast path (server.signals_on)."""
    others = (oracle.conn(), redpy_server.conn())
    both.check(*setup)
    both.check("WATCH", "w")
    time.sleep(delay)
    for other in others:
        other.call(*write)
    both.check("MULTI")
    both.check("EXISTS", "w")
    both.check("EXEC")
    for other in others:
        other.close()


def test_watch_flush_only_touches_existing_keys(both, oracle, redpy_server):
    others = (oracle.conn(), redpy_server.conn())
    both.check("WATCH", "absent")
    for other in others:
        other.call("FLUSHDB")
    both.check("MULTI")
    both.check("PING")
    both.check("EXEC")
    both.check("SET", "present", "1")
    both.check("WATCH", "present")
    for other in others:
        other.call("FLUSHDB")
    both.check("MULTI")
    both.check("PING")
    both.check("EXEC")
    for other in others:
        other.close()


def test_watched_key_expiring_aborts_exec(both):
    both.check("SET", "t", "1", "PX", "50")
    both.check("WATCH", "t")
    time.sleep(0.12)
    both.check("MULTI")
    both.check("PING")
    both.check("EXEC")


def test_own_write_to_watched_key_aborts(both):
    both.check("WATCH", "k")
    both.check("SET", "k", "v")
    both.check("MULTI")
    both.check("GET", "k")
    both.check("EXEC")
    both.check("WATCH", "k")
    both.check("UNWATCH")
    both.check("SET", "k", "v2")
    both.check("MULTI")
    both.check("GET", "k")
    both.check("EXEC")


def test_wait_without_replicas(both, oracle, redpy_server):
    """WAIT: errors, 0 at once when nothing is needed or in MULTI, 0 after the timeout."""
    for args in (("WAIT", "0", "0"), ("WAIT", "x", "0"), ("WAIT", "1", "x"), ("WAIT", "1", "-1"),
                 ("WAIT", "-1", "0"), ("WAIT", "1", "1.5"), ("WAIT", "1", "50")):
        both.check(*args)
    both.check("MULTI")
    both.check("WAIT", "1", "0")
    both.check("EXEC")
    start = time.time()
    both.check("WAIT", "2", "150")
    assert time.time() - start >= 0.25  # each server waited its 150 ms


def test_client_unblock_wait(redpy_server):
    waiter = redpy_server.conn()
    other = redpy_server.conn()
    my_id = waiter.call("CLIENT", "ID")[1:-2]
    waiter.send_raw(b"WAIT 1 0\r\n")
    time.sleep(0.1)
    assert other.call("CLIENT", "UNBLOCK", my_id, "ERROR") == b":1\r\n"
    assert waiter.read_reply() == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    waiter.close()
    other.close()
