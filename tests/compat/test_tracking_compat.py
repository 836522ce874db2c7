"""Client-side caching against the oracle: CLIENT TRACKING/CACHING/TRACKINGINFO/GETREDIR
and the invalidation messages (RESP3 pushes, RESP2 redirection to __redis__:invalidate).

Client ids differ between the servers, so REDIRECT uses each server's own id.
"""

import time

import pytest


class Side:
    def __init__(self, srv):
        self.srv = srv
        self.tracker = srv.conn()  # the tracking client
        self.writer = srv.conn()  # another client that modifies keys
        self.redir = srv.conn()  # a redirection target

    def close(self):
        for conn in (self.tracker, self.writer, self.redir):
            conn.close()


@pytest.fixture
def sides(both, oracle, redpy_server):
    pair = (Side(oracle), Side(redpy_server))
    yield pair
    for s in pair:
        s.close()
    both.call("CONFIG", "SET", "tracking-table-max-keys", "1000000")


def same(sides, who, *args, wait=None):
    """Send args from the same role on both servers; compare the replies (all bytes
    received within `wait` when given)."""
    out = []
    for s in sides:
        conn = getattr(s, who)
        if wait is None:
            out.append(conn.call(*args))
        else:
            conn.send_raw(_req(args))
            out.append(conn.read_available(wait))
    assert out[0] == out[1], f"{who} {args}: redpy {out[1]!r} != redis {out[0]!r}"
    return out[0]


def pending(sides, who, wait=0.2):
    out = [getattr(s, who).read_available(wait) for s in sides]
    assert out[0] == out[1], f"{who}: redpy {out[1]!r} != redis {out[0]!r}"
    return out[0]


def _req(args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


def hello3(sides):
    """HELLO 3 for the trackers (the reply holds the client id, which differs)."""
    for s in sides:
        assert s.tracker.call("HELLO", "3").startswith(b"%7\r\n")


def client_ids(sides, who):
    return [int(getattr(s, who).call("CLIENT", "ID")[1:-2]) for s in sides]


def test_option_errors(both):
    for args in (
        ("CLIENT", "TRACKING"),
        ("CLIENT", "TRACKING", "maybe"),
        ("CLIENT", "TRACKING", "on", "nosuch"),
        ("CLIENT", "TRACKING", "on", "REDIRECT"),
        ("CLIENT", "TRACKING", "on", "REDIRECT", "abc"),
        ("CLIENT", "TRACKING", "on", "REDIRECT", "999999"),
        ("CLIENT", "TRACKING", "on", "PREFIX", "a"),
        ("CLIENT", "TRACKING", "on", "BCAST", "OPTIN"),
        ("CLIENT", "TRACKING", "on", "BCAST", "OPTOUT"),
        ("CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"),
        ("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "ab", "PREFIX", "a"),
        ("CLIENT", "TRACKINGINFO"),
        ("CLIENT", "TRACKING", "off"),
        ("CLIENT", "TRACKING", "off", "garbage"),
        ("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x", "PREFIX", "y"),
        ("CLIENT", "TRACKINGINFO"),
        ("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "xyz"),
        ("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "z"),
        ("CLIENT", "TRACKINGINFO"),
        ("CLIENT", "TRACKING", "on"),
        ("CLIENT", "TRACKING", "off"),
        ("CLIENT", "CACHING", "yes"),
        ("CLIENT", "TRACKING", "on", "OPTIN"),
        ("CLIENT", "CACHING", "no"),
        ("CLIENT", "CACHING", "maybe"),
        ("CLIENT", "CACHING", "yes"),
        ("CLIENT", "TRACKINGINFO"),
        ("CLIENT", "TRACKINGINFO"),
        ("CLIENT", "TRACKING", "on", "OPTOUT"),
        ("CLIENT", "TRACKING", "on", "OPTIN", "NOLOOP"),
        ("CLIENT", "GETREDIR"),
        ("CLIENT", "TRACKINGINFO"),
        ("CLIENT", "TRACKING", "off"),
        ("CLIENT", "TRACKING", "on", "OPTOUT"),
        ("CLIENT", "CACHING", "yes"),
        ("CLIENT", "CACHING", "no"),
        ("CLIENT", "TRACKINGINFO"),
        ("CLIENT", "TRACKING", "off"),
        ("CLIENT", "GETREDIR"),
        ("CLIENT", "CACHING"),
        ("CLIENT", "CACHING", "yes", "no"),
    ):
        both.check(*args)
    # a collision between given prefixes other than the first: the error, then +OK too
    # (Redis's check returns the prefix's index), and tracking is on
    got = both.check_raw(b"CLIENT TRACKING on BCAST PREFIX a PREFIX b PREFIX bc\r\n")
    assert got.endswith(b"+OK\r\n") and got.startswith(b"-ERR Prefix 'b' overlaps")
    both.check("CLIENT", "TRACKINGINFO")
    both.check("CLIENT", "TRACKING", "off")
    both.call("HELLO", "3")
    both.check("CLIENT", "TRACKING", "on", "BCAST", "NOLOOP", "PREFIX", "b", "PREFIX", "a")
    both.check("CLIENT", "TRACKINGINFO")
    both.check("CLIENT", "TRACKING", "off")
    both.check("CLIENT", "TRACKINGINFO")


def test_redirect_info(sides):
    ids = client_ids(sides, "redir")
    for s, rid in zip(sides, ids):
        assert s.tracker.call("CLIENT", "TRACKING", "on", "REDIRECT", str(rid)) == b"+OK\r\n"
        assert s.tracker.call("CLIENT", "GETREDIR") == b":%d\r\n" % rid
        info = s.tracker.call("CLIENT", "TRACKINGINFO")
        assert info == b"*6\r\n$5\r\nflags\r\n*1\r\n$2\r\non\r\n$8\r\nredirect\r\n:%d\r\n$8\r\nprefixes\r\n*0\r\n" % rid
        got = s.tracker.call("CLIENT", "TRACKING", "on", "REDIRECT", str(rid), "REDIRECT", str(rid))
        assert got == b"-ERR A client can only redirect to a single other client\r\n"
    # the redirect target disconnects: RESP2 tracker sees nothing, flags show it
    for s in sides:
        s.tracker.call("GET", "k")
        s.redir.close()
    time.sleep(0.1)
    same(sides, "writer", "SET", "k", "1")
    pending(sides, "tracker")
    for s, rid in zip(sides, ids):
        info = s.tracker.call("CLIENT", "TRACKINGINFO")
        assert info == (
            b"*6\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$15\r\nbroken_redirect\r\n"
            b"$8\r\nredirect\r\n:%d\r\n$8\r\nprefixes\r\n*0\r\n" % rid
        )


def test_resp3_default_mode(sides):
    hello3(sides)
    same(sides, "tracker", "CLIENT", "TRACKING", "on")
    same(sides, "tracker", "MGET", "a", "b", "c")
    same(sides, "tracker", "GET", "x")
    same(sides, "tracker", "HGET", "h", "f")
    same(sides, "tracker", "SET", "mine", "1")
    same(sides, "writer", "MSET", "a", "1", "c", "2", "mine", "3")
    pending(sides, "tracker")
    # invalidated keys are forgotten until read again
    same(sides, "writer", "SET", "a", "2")
    same(sides, "writer", "HSET", "h", "f", "v")
    pending(sides, "tracker")
    # the client's own writes: the invalidation follows the reply
    same(sides, "tracker", "GET", "a")
    same(sides, "tracker", "GET", "b")
    same(sides, "tracker", "SET", "a", "x", wait=0.2)
    same(sides, "tracker", "DEL", "b", "h", wait=0.2)
    # reads that fail (WRONGTYPE) are remembered too
    same(sides, "writer", "LPUSH", "l", "a")
    same(sides, "tracker", "GET", "l")
    same(sides, "writer", "RPUSH", "l", "b")
    pending(sides, "tracker")
    # expiry invalidates
    same(sides, "tracker", "GET", "e")
    same(sides, "writer", "SET", "e", "1", "PX", "30")
    pending(sides, "tracker")
    same(sides, "tracker", "GET", "e")
    time.sleep(0.3)
    pending(sides, "tracker")
    # flushes: a null invalidation for every tracking client
    same(sides, "writer", "FLUSHALL")
    pending(sides, "tracker")
    same(sides, "tracker", "FLUSHDB", wait=0.2)
    same(sides, "tracker", "CLIENT", "TRACKING", "off")
    same(sides, "tracker", "GET", "z")
    same(sides, "writer", "SET", "z", "1")
    pending(sides, "tracker")


def test_noloop_and_multi(sides):
    hello3(sides)
    same(sides, "tracker", "CLIENT", "TRACKING", "on", "NOLOOP")
    same(sides, "tracker", "GET", "a")
    same(sides, "tracker", "GET", "b")
    same(sides, "tracker", "SET", "a", "1", wait=0.2)
    same(sides, "writer", "SET", "b", "1")
    pending(sides, "tracker")
    same(sides, "tracker", "CLIENT", "TRACKING", "on")
    same(sides, "tracker", "MULTI")
    same(sides, "tracker", "GET", "m1")
    same(sides, "tracker", "SET", "m2", "x")
    same(sides, "tracker", "EXEC", wait=0.2)
    same(sides, "tracker", "SET", "m1", "y", wait=0.2)


def test_optin_optout(sides):
    hello3(sides)
    same(sides, "tracker", "CLIENT", "TRACKING", "on", "OPTIN")
    same(sides, "tracker", "GET", "a")
    same(sides, "tracker", "CLIENT", "CACHING", "yes")
    same(sides, "tracker", "GET", "b")
    same(sides, "tracker", "GET", "c")
    same(sides, "writer", "MSET", "a", "1", "b", "1", "c", "1")
    pending(sides, "tracker")
    same(sides, "tracker", "CLIENT", "CACHING", "yes")
    same(sides, "tracker", "CLIENT", "TRACKINGINFO")
    same(sides, "tracker", "MULTI")
    same(sides, "tracker", "GET", "d")
    same(sides, "tracker", "GET", "e")
    same(sides, "tracker", "EXEC")
    same(sides, "tracker", "CLIENT", "TRACKINGINFO")
    same(sides, "writer", "MSET", "d", "1", "e", "1")
    pending(sides, "tracker")
    same(sides, "tracker", "CLIENT", "TRACKING", "off")
    same(sides, "tracker", "CLIENT", "TRACKING", "on", "OPTOUT")
    same(sides, "tracker", "GET", "a")
    same(sides, "tracker", "CLIENT", "CACHING", "no")
    same(sides, "tracker", "GET", "b")
    same(sides, "tracker", "GET", "c")
    same(sides, "writer", "MSET", "a", "2", "b", "2", "c", "2")
    pending(sides, "tracker")


def test_resp2_redirect_to_subscriber(sides):
    ids = client_ids(sides, "redir")
    for s in sides:
        s.redir.call("SUBSCRIBE", "__redis__:invalidate")
    for s, rid in zip(sides, ids):
        assert s.tracker.call("CLIENT", "TRACKING", "on", "REDIRECT", str(rid)) == b"+OK\r\n"
    same(sides, "tracker", "GET", "k")
    same(sides, "tracker", "SMEMBERS", "s")
    same(sides, "writer", "SET", "k", "1")
    same(sides, "writer", "SADD", "s", "1")
    pending(sides, "redir")
    same(sides, "tracker", "GET", "k")
    same(sides, "tracker", "SET", "k", "2")
    pending(sides, "redir")
    same(sides, "writer", "FLUSHDB")
    pending(sides, "redir")
    pending(sides, "tracker", 0.05)


def test_bcast(sides):
    hello3(sides)
    same(sides, "tracker", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "obj:")
    same(sides, "writer", "MSET", "user:2", "a", "user:1", "b", "other", "c", "obj:9", "d")
    pending(sides, "tracker")
    same(sides, "writer", "DEL", "user:1")
    pending(sides, "tracker")
    same(sides, "tracker", "SET", "obj:1", "x", wait=0.2)
    same(sides, "tracker", "CLIENT", "TRACKING", "on", "BCAST", "NOLOOP", "PREFIX", "x")
    same(sides, "tracker", "CLIENT", "TRACKINGINFO")
    same(sides, "tracker", "SET", "obj:2", "x", wait=0.2)
    same(sides, "writer", "SET", "obj:3", "x")
    pending(sides, "tracker")
    same(sides, "tracker", "CLIENT", "TRACKING", "off")
    same(sides, "tracker", "CLIENT", "TRACKING", "on", "BCAST")
    same(sides, "writer", "SET", "any", "x")
    pending(sides, "tracker")


def test_table_max_keys(sides, both):
    both.check("CONFIG", "SET", "tracking-table-max-keys", "2")
    hello3(sides)
    same(sides, "tracker", "CLIENT", "TRACKING", "on")
    same(sides, "tracker", "GET", "a")
    same(sides, "tracker", "GET", "b")
    # the third key pushes the table over the limit: one random key is invalidated
    # (which one is random: compare how many)
    for s in sides:
        s.tracker.call("GET", "c")
    time.sleep(0.2)
    got = [s.tracker.read_available(0.2) for s in sides]
    assert got[0].count(b"invalidate") == got[1].count(b"invalidate") == 1, got
    same(sides, "tracker", "INFO", "nosuchsection")


def test_resp3_broken_redirect_and_null_to_resp2_subscriber(sides):
    hello3(sides)
    ids = client_ids(sides, "redir")
    for s, rid in zip(sides, ids):
        assert s.tracker.call("CLIENT", "TRACKING", "on", "REDIRECT", str(rid)) == b"+OK\r\n"
        s.tracker.call("GET", "k")
        s.redir.close()
    time.sleep(0.1)
    same(sides, "writer", "SET", "k", "1")
    for s, rid in zip(sides, ids):
        assert s.tracker.read_available(0.2) == b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % rid
    # a RESP3 tracker redirected to a RESP2 subscriber: the flush null is RESP3's
    for s in sides:
        s.redir = s.srv.conn()
    ids = client_ids(sides, "redir")
    for s, rid in zip(sides, ids):
        s.redir.call("SUBSCRIBE", "x")
        assert s.tracker.call("CLIENT", "TRACKING", "on", "REDIRECT", str(rid)) == b"+OK\r\n"
    same(sides, "tracker", "GET", "q")
    same(sides, "writer", "SET", "q", "1")
    same(sides, "writer", "FLUSHALL")
    pending(sides, "redir")
