"""maxmemory and eviction (evict.py): OOM errors, the eight policies, evicted events and
INFO counters, memory bounded while filling, OBJECT IDLETIME/FREQ.

Servers are started for this module (their maxmemory settings would disturb the shared
ones). Exact replies are compared with redis-server 7.0.15 where they are deterministic
(maxmemory 1 makes both servers evict everything they can); which keys a sampling
policy picks is checked statistically on redpy alone.
"""

from __future__ import annotations

import re
import time

import pytest

from ..conftest import Pair
from ..helpers import ServerProcess, encode_request


@pytest.fixture(scope="module")
def servers():
    import os

    from ..helpers import ORACLE_BINARY

    if not os.path.exists(ORACLE_BINARY):
        pytest.skip("redis-server (the oracle) is not installed")
    oracle = ServerProcess("oracle")
    mine = ServerProcess("redpy")
    yield oracle, mine
    oracle.stop()
    mine.stop()


def _reset(conn):
    conn.call("CONFIG", "SET", "maxmemory", "0")
    conn.call("CONFIG", "SET", "maxmemory-policy", "noeviction")
    conn.call("CONFIG", "SET", "notify-keyspace-events", "")
    conn.call("FLUSHALL")
    conn.call("CONFIG", "RESETSTAT")


@pytest.fixture
def both(servers):
    oracle, mine = servers
    o, m = oracle.conn(), mine.conn()
    _reset(o)
    _reset(m)
    yield Pair(o, m)
    _reset(o)
    _reset(m)
    o.close()
    m.close()


@pytest.fixture
def mine(servers):
    _, proc = servers
    c = proc.conn()
    _reset(c)
    yield c
    _reset(c)
    c.close()


def _info(conn, section: str) -> dict[str, str]:
    raw = conn.call("INFO", section).decode()
    body = raw.split("\r\n", 1)[1]
    out = {}
    for line in body.split("\r\n"):
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def _int(reply: bytes) -> int:
    assert reply[:1] == b":", reply
    return int(reply[1:-2])


OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"


# ---------------------------------------------------------------------- OOM replies


def test_noeviction_oom_error(both):
    both.check("SET", "a", "1")
    both.check("CONFIG", "SET", "maxmemory", "1")
    assert both.check("SET", "b", "2") == OOM
    both.check("GET", "a")  # not denyoom: runs
    both.check("DEL", "a")  # DEL is not denyoom either
    both.check("LPUSH", "l", "x")
    both.check("INCR", "n")
    both.check("MULTI")
    both.check("PING")  # anything queued in MULTI is refused while out of memory
    both.check("EXEC")
    both.check("MULTI")
    both.check("DISCARD")
    both.check("CONFIG", "SET", "maxmemory", "0")
    assert both.check("SET", "b", "2") == b"+OK\r\n"
    o, m = _info(both.oracle, "errorstats"), _info(both.mine, "errorstats")
    assert o["errorstat_OOM"] == m["errorstat_OOM"]
    o, m = _info(both.oracle, "commandstats"), _info(both.mine, "commandstats")
    for cmd in ("set", "lpush", "incr"):
        want = re.search(r"rejected_calls=\d+", o[f"cmdstat_{cmd}"]).group()
        assert re.search(r"rejected_calls=\d+", m[f"cmdstat_{cmd}"]).group() == want


def test_exec_with_denyoom_commands_queued(both):
    both.check("MULTI")
    both.check("SET", "a", "1")
    both.check("CONFIG", "SET", "maxmemory", "1")
    both.check("EXEC")  # the queued SET makes EXEC itself denyoom: EXECABORT
    both.check("CONFIG", "SET", "maxmemory", "0")
    both.check("GET", "a")


def test_volatile_policy_without_volatile_keys_is_oom(both):
    both.check("SET", "a", "1")
    both.check("SET", "b", "2")
    both.check("CONFIG", "SET", "maxmemory-policy", "volatile-lru")
    both.check("CONFIG", "SET", "maxmemory", "1")
    assert both.check("SET", "c", "3") == OOM
    both.check("DBSIZE")  # nothing could be evicted
    both.check("CONFIG", "SET", "maxmemory", "0")
    both.check("SET", "v", "1", "EX", "100")
    both.check("CONFIG", "SET", "maxmemory", "1")  # evicts v at once, the only volatile key
    both.check("EXISTS", "v", "a", "b")
    assert both.check("SET", "c", "3") == OOM
    assert _info(both.mine, "stats")["evicted_keys"] == _info(both.oracle, "stats")["evicted_keys"] == "1"


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru",
                                    "volatile-lfu", "volatile-random", "volatile-ttl"])
def test_tiny_limit_evicts_every_candidate(both, policy):
    """maxmemory 1: every key the policy may evict goes, with "evicted" events."""
    for conn in (both.oracle, both.mine):
        conn.call("CONFIG", "SET", "notify-keyspace-events", "Ee")
        for i in range(10):
            conn.call("SET", f"p{i}", "x")
            conn.call("SET", f"v{i}", "x", "EX", str(1000 + i))
    subs = {}
    for name, conn in (("oracle", both.oracle), ("mine", both.mine)):
        from ..helpers import Conn

        s = Conn(conn.sock.getpeername()[1])
        s.call("SUBSCRIBE", "__keyevent@0__:evicted")
        subs[name] = s
    both.check("CONFIG", "SET", "maxmemory-policy", policy)
    both.check("CONFIG", "SET", "maxmemory", "1")
    both.check("PING")
    both.check("DBSIZE")
    both.check("EXISTS", *[f"p{i}" for i in range(10)])
    both.check("SET", "x", "1")  # OOM: nothing left to evict
    events = {}
    for name, s in subs.items():
        raw = s.read_available(0.3)
        events[name] = sorted(re.findall(rb"\$2\r\n([pv]\d)\r\n", raw))
        s.close()
    assert events["mine"] == events["oracle"]
    assert len(events["mine"]) == (20 if policy.startswith("allkeys") else 10)
    if policy == "volatile-ttl":
        pass  # order checked in test_volatile_ttl_nearest_first
    assert _info(both.mine, "stats")["evicted_keys"] == _info(both.oracle, "stats")["evicted_keys"]


def test_info_eviction_fields(both):
    o = _info(both.oracle, "stats")
    m = _info(both.mine, "stats")
    fields = [k for k in o if "evict" in k]
    assert fields == [k for k in m if "evict" in k]
    both.check("SET", "a", "1")
    both.check("CONFIG", "SET", "maxmemory", "1")
    both.check("SET", "b", "1")
    time.sleep(0.05)
    m = _info(both.mine, "stats")
    assert int(m["current_eviction_exceeded_time"]) > 0
    both.check("CONFIG", "SET", "maxmemory", "0")
    both.check("CONFIG", "SET", "maxmemory", "100mb")  # under the limit again: the timer stops
    m = _info(both.mine, "stats")
    assert m["current_eviction_exceeded_time"] == "0" and int(m["total_eviction_exceeded_time"]) > 0
    assert _info(both.mine, "memory")["maxmemory"] == str(100 * 1024 * 1024)


def test_eviction_touches_watch(both):
    for conn in (both.oracle, both.mine):
        conn.call("SET", "k", "v")
        conn.call("WATCH", "k")
        conn.call("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
        conn.call("CONFIG", "SET", "maxmemory", "1")
        conn.call("CONFIG", "SET", "maxmemory", "0")
    both.check("EXISTS", "k")
    both.check("MULTI")
    both.check("PING")
    both.check("EXEC")  # the watched key was evicted: aborted


def test_eviction_invalidates_tracking(both):
    for conn in (both.oracle, both.mine):
        conn.call("HELLO", "3")
        conn.call("CLIENT", "TRACKING", "ON")
        conn.call("SET", "k", "v")
        conn.call("GET", "k")
        conn.call("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
    # the eviction runs inside CONFIG SET: the invalidation follows its reply
    data = encode_request(["CONFIG", "SET", "maxmemory", "1"])
    both.check_raw(data)
    both.check("CONFIG", "SET", "maxmemory", "0")


# ---------------------------------------------------------------------- which keys go


def _fill_until_evicting(conn, prefix: str, count: int, value: bytes = b"x" * 200):
    for start in range(0, count, 500):
        conn.pipeline([("SET", f"{prefix}{i}", value) for i in range(start, min(count, start + 500))])


def _limit_above_used(conn, extra: int) -> int:
    used = int(_info(conn, "memory")["used_memory"])
    conn.call("CONFIG", "SET", "maxmemory", str(used + extra))
    return used + extra


def _settled(conn) -> tuple[int, int]:
    """evicted_keys and DBSIZE once eviction has caught up (a round that hits the
    tenacity time limit goes on before the next commands)."""
    for _ in range(50):
        before = int(_info(conn, "stats")["evicted_keys"])
        size = _int(conn.call("DBSIZE"))
        if int(_info(conn, "stats")["evicted_keys"]) == before:
            return before, size
        time.sleep(0.02)
    raise AssertionError("eviction never settled")


def test_volatile_policies_keep_persistent_keys(mine):
    for policy in ("volatile-lru", "volatile-random", "volatile-lfu", "volatile-ttl"):
        _reset(mine)
        mine.call("CONFIG", "SET", "maxmemory-policy", policy)
        mine.call("CONFIG", "SET", "maxmemory", "1gb")
        for start in range(0, 3000, 500):
            mine.pipeline([("SET", f"v{i}", "x" * 200, "EX", "1000") for i in range(start, start + 500)])
        _limit_above_used(mine, 300_000)
        _fill_until_evicting(mine, "p", 1500)
        assert _int(mine.call("EXISTS", *[f"p{i}" for i in range(1500)])) == 1500, policy
        evicted, size = _settled(mine)
        assert evicted > 0, policy
        assert size == 1500 + 3000 - evicted


def test_volatile_ttl_nearest_first(mine):
    mine.call("CONFIG", "SET", "maxmemory-policy", "volatile-ttl")
    mine.call("CONFIG", "SET", "maxmemory", "1gb")
    n = 2000
    for start in range(0, n, 500):
        mine.pipeline([("SET", f"v{i}", "x" * 200, "EX", str(10_000 + i)) for i in range(start, start + 500)])
    _limit_above_used(mine, 0)
    _fill_until_evicting(mine, "p", 800)
    survivors = [i for i in range(n) if mine.call("EXISTS", f"v{i}") == b":1\r\n"]
    gone = n - len(survivors)
    assert gone > 400
    # sampling 5 keys with a pool of 16 strongly favours the nearest deadlines
    nearest = sum(1 for i in range(gone) if i not in set(survivors))
    assert nearest > gone * 0.7, (nearest, gone)


def test_allkeys_lru_keeps_recently_used(mine):
    mine.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    mine.call("CONFIG", "SET", "maxmemory", "1gb")
    n = 2000
    _fill_until_evicting(mine, "k", n)
    time.sleep(2.2)  # the LRU clock counts seconds
    hot = range(0, n, 4)
    mine.pipeline([("GET", f"k{i}") for i in hot])
    _limit_above_used(mine, 0)
    _fill_until_evicting(mine, "new", 1000)
    alive_hot = sum(1 for i in hot if mine.call("EXISTS", f"k{i}") == b":1\r\n")
    cold = [i for i in range(n) if i % 4]
    alive_cold = sum(1 for i in cold if mine.call("EXISTS", f"k{i}") == b":1\r\n")
    assert int(_info(mine, "stats")["evicted_keys"]) > 500
    assert alive_hot / len(hot) > 0.9
    assert alive_cold / len(cold) < 0.5 * alive_hot / len(hot)


def test_allkeys_lfu_keeps_frequently_used(mine):
    mine.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    mine.call("CONFIG", "SET", "maxmemory", "1gb")
    n = 2000
    _fill_until_evicting(mine, "k", n)
    hot = range(0, n, 4)
    for _ in range(5):
        mine.pipeline([("GET", f"k{i}") for i in hot])
    _limit_above_used(mine, 0)
    _fill_until_evicting(mine, "new", 1000)
    alive_hot = sum(1 for i in hot if mine.call("EXISTS", f"k{i}") == b":1\r\n")
    cold = [i for i in range(n) if i % 4]
    alive_cold = sum(1 for i in cold if mine.call("EXISTS", f"k{i}") == b":1\r\n")
    assert int(_info(mine, "stats")["evicted_keys"]) > 500
    assert alive_hot / len(hot) > 0.9
    assert alive_cold / len(cold) < 0.5 * alive_hot / len(hot)


def _rss_anon(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no RssAnon")


def test_memory_bounded_while_filling(servers, mine):
    """Write ~5x the room left under maxmemory in mixed types: used_memory stays at the
    limit and the process's private memory near it."""
    pid = servers[1].proc.pid
    mine.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    mine.call("CONFIG", "SET", "maxmemory", "1gb")
    base = _rss_anon(pid)
    limit = _limit_above_used(mine, 8 * 1024 * 1024)
    written = 0
    i = 0
    while written < 40 * 1024 * 1024:
        batch = []
        for _ in range(200):
            k = f"key:{i}"
            kind = i % 5
            if kind <= 1:
                batch.append(("SET", k, "x" * (50 + i % 1500)))
                written += 50 + i % 1500
            elif kind == 2:
                batch.append(("HSET", k, *[x for j in range(10) for x in (f"f{j}", "v" * (i % 80))]))
                written += 10 * (2 + i % 80)
            elif kind == 3:
                batch.append(("RPUSH", k, *["e" * (i % 90 + 1)] * 20))
                written += 20 * (i % 90 + 1)
            else:
                batch.append(("ZADD", k, *[x for j in range(20) for x in (str(j), f"m{j}-{i % 50}")]))
                written += 20 * 12
            i += 1
        replies = mine.pipeline(batch)
        assert all(not r.startswith(b"-") for r in replies), replies[0]
    info = _info(mine, "memory")
    used = int(info["used_memory"])
    assert used <= limit * 1.02
    assert int(_info(mine, "stats")["evicted_keys"]) > i // 2
    growth = _rss_anon(pid) - base
    # the private memory grew by about the room given (8 MB), not by what was written
    assert growth < 8 * 1024 * 1024 * 1.6, growth


# ---------------------------------------------------------------------- OBJECT


def test_object_freq_matches_oracle(both):
    both.check("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    both.check("SET", "k", "v")
    both.check("OBJECT", "FREQ", "k")  # LFU_INIT_VAL
    both.check("GET", "k")
    both.check("OBJECT", "FREQ", "k")  # the first access always counts
    both.check("TYPE", "k")
    both.check("EXISTS", "k")
    both.check("TTL", "k")
    both.check("OBJECT", "ENCODING", "k")
    both.check("OBJECT", "FREQ", "k")  # none of them touched it
    both.check("SET", "n", "4321")  # a shared integer (maxmemory 0): its clock is 0
    both.check("OBJECT", "FREQ", "n")
    both.check("OBJECT", "IDLETIME", "k")
    both.check("CONFIG", "SET", "maxmemory", "100mb")
    both.check("SET", "m", "4322")  # not shared under maxmemory with an LFU policy
    both.check("OBJECT", "FREQ", "m")
    both.check("OBJECT", "REFCOUNT", "m")


def test_object_idletime_matches_oracle(both):
    both.check("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    both.check("SET", "k", "v")
    both.check("SET", "j", "v")
    both.check("OBJECT", "IDLETIME", "k")
    time.sleep(2.1)
    o, m = both.call("OBJECT", "IDLETIME", "k")
    assert abs(_int(o) - _int(m)) <= 1 and _int(m) >= 2
    for cmd in (("TYPE", "k"), ("EXISTS", "k"), ("TTL", "k"), ("PTTL", "k"), ("OBJECT", "ENCODING", "k")):
        both.check(*cmd)
    o, m = both.call("OBJECT", "IDLETIME", "k")
    assert abs(_int(o) - _int(m)) <= 1 and _int(m) >= 2
    both.check("GET", "k")
    both.check("TOUCH", "j")
    both.check("OBJECT", "IDLETIME", "k")
    both.check("OBJECT", "IDLETIME", "j")
    both.check("OBJECT", "FREQ", "k")  # the LFU error under an LRU policy
    both.check("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    both.check("OBJECT", "IDLETIME", "k")  # and the LRU one under LFU


# ---------------------------------------------------------------------- in process


def _inproc():
    from redpy.connection import Client
    from redpy.dispatch import process_command
    from redpy.server import Server

    server = Server()
    c = Client(server)
    server.clients[0] = c

    def call(*args):
        c.out.clear()
        process_command(c, [a if isinstance(a, bytes) else str(a).encode() for a in args])
        return b"".join(c.out)

    return server, call


def test_accounting_follows_writes_and_deletes():
    from redpy import evict

    server, call = _inproc()
    assert server.key_hook is None and server.check_hooks == ()  # nothing while off
    call("CONFIG", "SET", "maxmemory", "1gb")
    assert evict.oom_check in server.check_hooks and server.key_hook is not None
    base = server.mem_dataset
    call("MSET", *[x for i in range(100) for x in (f"m{i}", "v" * 100)])
    for i in range(100):
        call("INCR", f"n{i}")
        call("RPUSH", f"l{i}", *["e" * 50] * 10)
        call("HSET", f"h{i}", "f", "v" * 30)
    grown = server.mem_dataset - base
    exact = sum(evict.entry_size(db, k, v) for db in server.dbs for k, v in db.data.items())
    assert abs(grown - exact) <= 400 * 16, (grown, exact)  # 16-byte units, rounded per key
    call("RPUSH", "l0", *["e" * 50] * 100)  # in-place growth is seen too
    assert server.mem_dataset - base > grown + 100 * 80
    call("SWAPDB", "0", "1")
    call("SELECT", "1")
    for i in range(100):
        call("DEL", f"m{i}", f"n{i}", f"h{i}")
    call("FLUSHDB")
    assert server.mem_dataset == base
    call("CONFIG", "SET", "maxmemory", "0")
    assert server.key_hook is None and server.check_hooks == ()


def test_pre_command_oom_state():
    server, call = _inproc()
    assert server.pre_command_oom_state is False
    call("SET", "a", "1")
    call("CONFIG", "SET", "maxmemory", "1")
    assert call("GET", "a") == b"$1\r\n1\r\n"
    assert server.pre_command_oom_state is True
    assert call("SET", "b", "1").startswith(b"-OOM ")
    call("CONFIG", "SET", "maxmemory", "1gb")
    call("PING")
    assert server.pre_command_oom_state is False


def test_eviction_tenacity_bounds_one_round():
    """maxmemory-eviction-tenacity 0: a round stops after 16 keys (the time limit is
    checked every 16 evictions) and the command still runs (EVICT_RUNNING); 100: no
    limit, everything needed goes at once."""
    server, call = _inproc()
    call("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
    call("CONFIG", "SET", "maxmemory-eviction-tenacity", "0")
    call("MSET", *[x for i in range(200) for x in (f"k{i}", "v" * 100)])
    call("CONFIG", "SET", "maxmemory", "1")  # one round inside CONFIG SET
    assert call("DBSIZE") == b":168\r\n"  # and one more before DBSIZE
    assert server.stat_evictedkeys == 32
    assert call("SET", "x", "1") == b"+OK\r\n"
    call("CONFIG", "SET", "maxmemory-eviction-tenacity", "100")
    assert call("SET", "y", "1").startswith(b"-OOM ")  # all evicted, still over
    assert call("DBSIZE") == b":0\r\n"
