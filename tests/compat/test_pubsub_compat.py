"""Pub/sub against the oracle: subscription replies, messages, the RESP2 context, PUBSUB."""

import time

import pytest


@pytest.fixture
def pubs(both, oracle, redpy_server):
    """A second connection to each server, to publish from."""
    conns = (oracle.conn(), redpy_server.conn())
    yield conns
    for conn in conns:
        conn.close()


def publish_both(pubs, *args):
    replies = [conn.call(*args) for conn in pubs]
    assert replies[0] == replies[1], f"{args}: {replies}"
    return replies[0]


def test_subscribe_publish_unsubscribe_resp2(both, pubs):
    both.check_raw(b"SUBSCRIBE a b a\r\nPSUBSCRIBE h* h?\r\nSSUBSCRIBE sa\r\n")
    assert publish_both(pubs, "PUBLISH", "a", "hi") == b":1\r\n"
    # one matching pattern at a time: Redis visits patterns in hash-table order
    assert publish_both(pubs, "PUBLISH", "hxy", "x") == b":1\r\n"
    publish_both(pubs, "SPUBLISH", "sa", "m")
    publish_both(pubs, "PUBLISH", "nobody", "m")
    both.check_raw(b"", wait=0.2)
    # only the pub/sub commands, PING, QUIT and RESET are allowed now
    both.check_raw(b"GET x\r\nPING\r\nPING hello\r\nMULTI\r\n")
    # (with no argument Redis unsubscribes in its hash-table order: leave one channel)
    both.check_raw(b"UNSUBSCRIBE b\r\nUNSUBSCRIBE\r\nPUNSUBSCRIBE h*\r\nPUNSUBSCRIBE\r\nSUNSUBSCRIBE\r\nUNSUBSCRIBE\r\nPING\r\n")


def test_subscribe_resp3_mixes_pushes_and_replies(both, pubs):
    both.call("HELLO", "3")
    both.check_raw(b"SUBSCRIBE a\r\nGET x\r\nUNSUBSCRIBE zz\r\n")
    publish_both(pubs, "PUBLISH", "a", "yo")
    both.check_raw(b"", wait=0.2)
    both.check_raw(b"PUNSUBSCRIBE\r\nSUNSUBSCRIBE x\r\nPING\r\n")


def test_pubsub_introspection(both, pubs):
    both.check_raw(b"SUBSCRIBE c1 c2\r\nPSUBSCRIBE p*\r\nSSUBSCRIBE s1\r\n")
    for args in (
        ("PUBSUB", "NUMSUB", "c1", "c2", "c3", "c1"),
        ("PUBSUB", "NUMSUB"),
        ("PUBSUB", "NUMPAT"),
        ("PUBSUB", "SHARDCHANNELS"),
        ("PUBSUB", "SHARDNUMSUB", "s1", "x"),
        ("PUBSUB", "CHANNELS", "c1"),
        ("PUBSUB", "CHANNELS", "c1", "extra"),
        ("PUBSUB", "HELP"),
        ("PUBSUB", "NOSUCH"),
        ("SUBSCRIBE",),
    ):
        publish_both(pubs, *args)
    o, m = (conn.call("PUBSUB", "CHANNELS") for conn in pubs)
    assert sorted(o.split(b"\r\n")) == sorted(m.split(b"\r\n"))  # channel order is Redis's hash order


def test_numsub_resp3_is_a_flat_array(both3):
    both3.check("PUBSUB", "NUMSUB", "a", "a")


def test_subscribe_inside_multi(both, pubs):
    both.check("MULTI")
    both.check("SUBSCRIBE", "x")
    both.check_raw(b"EXEC\r\n")
    publish_both(pubs, "PUBLISH", "x", "after")
    both.check_raw(b"", wait=0.2)


def test_slow_subscriber_is_disconnected(redpy_server):
    """A subscriber that never reads is cut off at the pubsub hard limit (32 MiB)."""
    sub = redpy_server.conn()
    sub.sock.setsockopt(__import__("socket").SOL_SOCKET, __import__("socket").SO_RCVBUF, 4096)
    sub.call("SUBSCRIBE", "flood")
    pub = redpy_server.conn()
    payload = b"x" * 65536
    received = 0
    deadline = time.time() + 30
    for _ in range(2000):  # 128 MiB at most
        received = int(pub.call("PUBLISH", "flood", payload)[1:-2])
        if received == 0 or time.time() > deadline:
            break
    assert received == 0, "the subscriber was not disconnected"
    assert pub.call("PING") == b"+PONG\r\n"
    pub.close()
    sub.close()
