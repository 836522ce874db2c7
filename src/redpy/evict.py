"""maxmemory: the used-memory figure, eviction (Redis's performEvictions) and the
per-key LRU/LFU clocks behind OBJECT IDLETIME/FREQ.

Everything here is off by default and costs the hot path one `is None` test per write
(`server.key_hook` in Database.signal_modified, and in the guards of INCR's and MSET's
direct paths) and one per lookup (`db.touch` in Database.lookup and GET's direct path);
`check_hooks` holds `oom_check` only while maxmemory is set:

- Memory accounting runs while maxmemory > 0. Each db keeps `mem_sizes`, key -> the
  estimated bytes of that key in units of 16 (small ints, shared by CPython), updated
  by `key_hook` on every write (signal_modified) and in `server.mem_dataset`. The
  estimate is in Python's terms, calibrated against RSS growth per key type (see
  `entry_size`): the key and value objects as pymalloc/malloc round them, the container
  tables (sys.getsizeof is O(1) for dict/set/deque) and a sample of 5 elements
  extrapolated, plus the per-key cost of the keyspace dicts. Writes that bypass
  signal_modified (or in-place changes it did not see) are caught by the cron, which
  re-estimates a slice of keys each tick; keys not yet estimated count at the average.
  used_memory = the private memory the process had at startup + dataset + clients.
  MEMORY USAGE keeps answering in Redis's terms (it is compared with the oracle).
- Access clocks run while the policy is an LRU or LFU one, or maxmemory > 0: each db
  keeps `access`, key -> LRU clock (seconds, 24 bits) or LFU word (minutes << 8 |
  logarithmic counter), as Redis keeps robj->lru. Lookups stamp through `db.touch`;
  OBJECT, TYPE, EXISTS and TTL read without touching (LOOKUP_NOTOUCH). A key with no
  stamp yet (written while clocks were off, or by a path that bypasses
  signal_modified) counts as last used when the clocks started.
- Eviction: the OOM check hook (server.check_hooks, after ACL) runs perform_evictions
  before each command, as processCommand does, and answers OOM for denyoom commands
  (and anything queued in MULTI) when nothing could be freed. Sampling uses a snapshot
  list of each dict's keys (a Python dict has no O(1) random key): stale entries are
  dropped as they are met, and the snapshot is rebuilt when the dict outgrows it, so a
  key added since the last rebuild is not a candidate until the next one.
"""

from __future__ import annotations

import bisect
import os
import random
import sys
import time
from itertools import islice

from .errors import CommandError, OOM
from .notify import EVICTED, notify

LRU_CLOCK_MAX = (1 << 24) - 1
LFU_INIT_VAL = 5
EVPOOL_SIZE = 16
EVICT_OK, EVICT_RUNNING, EVICT_FAIL = 0, 1, 2

# per-key costs of the keyspace in CPython 3.11, calibrated on the growth of the
# process's private memory (RssAnon) per key for 10^5 strings, integers and volatile
# strings and 2*10^4 hashes, lists, sets and sorted sets (estimate/real 0.94-1.05): a
# dict entry (24 bytes + index, at the table's load factor) in db.data, another in
# mem_sizes and one in access, the list slot of sampling snapshots; an expires entry
# and its int. CLIENT_BYTES: an idle connection measured 1.5 KB; buffers in use count more.
KEY_OVERHEAD = 160
EXPIRE_OVERHEAD = 100
CLIENT_BYTES = 4096
ELEMENT_SAMPLES = 5

_getsizeof = sys.getsizeof
_NO_REJECT_IN_MULTI = frozenset(("exec", "discard", "quit", "reset"))


def _alloc(n: int) -> int:
    """An object of n bytes as allocated: pymalloc's 16-byte classes up to 512 bytes,
    malloc (with its header) beyond."""
    return (n + 15) & ~15 if n <= 512 else (n + 23) & ~15


def _elem(x) -> int:
    t = type(x)
    if t is bytes:
        return _alloc(33 + len(x))
    if t is float or t is int:
        return 32
    if t is tuple:
        return _alloc(_getsizeof(x)) + sum(_elem(i) for i in x)
    return _alloc(_getsizeof(x))


def value_size(v) -> int:
    """The estimated bytes of a stored value (see the module docstring)."""
    t = type(v)
    if t is bytes:
        return _alloc(33 + len(v))
    if t is bytearray:
        return 64 + _alloc(len(v) + 1)
    name = t.__name__
    try:
        n = len(v)
    except TypeError:
        return _alloc(_getsizeof(v))
    if name == "Hash":
        items = list(islice(v.items(), ELEMENT_SAMPLES))
        per = sum(_elem(k) + _elem(x) for k, x in items) / len(items) if items else 0
        return _getsizeof(v) + int(n * per)
    if name == "ZSet":
        items = list(islice(v.dict.items(), ELEMENT_SAMPLES))
        # the member (a dict key), its order key in the sorted list (8 bytes of score and
        # a copy of the member), the score and the key's slot in the SortedList's
        # sublists and index
        per = sum(_elem(m) for m, _ in items) / len(items) if items else 0
        return 200 + _getsizeof(v.dict) + int(n * (2 * per + 8 + 32 + 16))
    if name == "Stream":
        ids = getattr(v, "ids", ())
        sample = [v.data.get(i) for i in islice(ids, ELEMENT_SAMPLES)]
        per = 0
        if sample:
            per = sum(_elem(i) + _alloc(_getsizeof(fv)) + sum(_elem(x) for x in fv) for i, fv in zip(ids, sample) if fv is not None) / len(sample)
        return 1000 + int(n * (per + 100))
    # RList (deque), Set and other containers of bytes
    sample = list(islice(v, ELEMENT_SAMPLES))
    per = sum(_elem(x) for x in sample) / len(sample) if sample else 0
    return _getsizeof(v) + int(n * per)


def entry_size(db, key: bytes, v) -> int:
    size = KEY_OVERHEAD + _alloc(33 + len(key)) + value_size(v)
    if key in db.expires:
        size += EXPIRE_OVERHEAD
    return size


# ---------------------------------------------------------------------- clocks


def lru_clock() -> int:
    return int(time.time()) & LRU_CLOCK_MAX


def lfu_minutes() -> int:
    return (int(time.time()) // 60) & 65535


def lfu_decr(cfg, word: int) -> int:
    """LFUDecrAndReturn: the counter after the decay periods elapsed since its stamp."""
    ldt = word >> 8
    counter = word & 255
    decay = cfg.lfu_decay_time
    if decay:
        now = lfu_minutes()
        elapsed = now - ldt if now >= ldt else 65535 - ldt + now
        periods = elapsed // decay
        if periods:
            counter = 0 if periods > counter else counter - periods
    return counter


def lfu_incr(counter: int, factor: int) -> int:
    """LFULogIncr: +1 with probability 1 / ((counter - LFU_INIT_VAL) * factor + 1)."""
    if counter == 255:
        return 255
    base = counter - LFU_INIT_VAL
    if base < 0:
        base = 0
    if random.random() < 1.0 / (base * factor + 1):
        counter += 1
    return counter


def _is_shared_integer(server, v) -> bool:
    """Redis stores 0..9999 once (OBJ_SHARED_INTEGERS) unless maxmemory with an LRU/LFU
    policy needs per-key clocks; a shared object's clock is shared."""
    if type(v) is not bytes or not v or len(v) > 4 or server.config.maxmemory:
        return False
    if not v.isdigit() or (len(v) > 1 and v[0] == 48):
        return False
    return True


def idle_seconds(db, key: bytes) -> int:
    """estimateObjectIdleTime in seconds."""
    acc = db.access
    stamp = acc.get(key) if acc is not None else None
    if stamp is None:
        stamp = db.server.lru_start
    now = db.server.lru_clock
    return now - stamp if now >= stamp else LRU_CLOCK_MAX - stamp + now


def frequency(db, key: bytes) -> int:
    acc = db.access
    word = acc.get(key) if acc is not None else None
    if word is None:
        word = db.server.lfu_start
    return lfu_decr(db.server.config, word)


def set_clock(db, key: bytes, lfu_freq: int, lru_idle: int) -> None:
    """objectSetLRUOrLFU: a restored or loaded key's clock from RESTORE's FREQ/IDLETIME
    or the file's FREQ/IDLE record (-1: none); under an LFU policy only a frequency
    counts, under any other only an idle time. Nothing while no clocks run."""
    acc = db.access
    if acc is None:
        return
    server = db.server
    if server.clocks_lfu:
        if lfu_freq >= 0:
            acc[key] = (lfu_minutes() << 8) | lfu_freq
    elif lru_idle >= 0:
        clock = server.lru_clock
        stamp = clock - lru_idle
        if stamp < 0:
            # a wrapping clock: half-way round keeps the idle time large for a while
            stamp = (clock + LRU_CLOCK_MAX // 2) % LRU_CLOCK_MAX
        acc[key] = stamp


def lookup_notouch(db, key: bytes, notify_miss: bool = True):
    """lookupKeyReadWithFlags(LOOKUP_NOTOUCH): lookup_read that leaves the clock alone."""
    acc = db.access
    if acc is None:
        return db.lookup_read(key, notify_miss)
    stamp = acc.get(key)
    v = db.lookup_read(key, notify_miss)
    if v is not None:
        if stamp is None:
            acc.pop(key, None)
        else:
            acc[key] = stamp
    return v


# ---------------------------------------------------------------------- configuration


def configure(server) -> None:
    """(Re)install what the current maxmemory settings need; called at startup and when
    CONFIG SET changes maxmemory, maxmemory-policy, lfu-log-factor or lfu-decay-time."""
    cfg = server.config
    accounting = cfg.maxmemory > 0
    policy = cfg.maxmemory_policy
    lfu = "lfu" in policy
    clocks = accounting or lfu or "lru" in policy
    server.lru_clock = lru_clock()
    server.lfu_minutes = lfu_minutes()
    server.evict_pool = []  # scores from another policy would not compare
    # accounting
    if accounting and not server.mem_accounting:
        server.mem_accounting = True
        recompute(server)
    elif not accounting and server.mem_accounting:
        server.mem_accounting = False
        server.mem_dataset = 0
        server.mem_untracked = 0
        for db in server.dbs:
            db.mem_sizes = None
    # clocks
    if clocks:
        if server.lru_start is None:
            server.lru_start = server.lru_clock
            server.lfu_start = (lfu_minutes() << 8) | LFU_INIT_VAL
        for db in server.dbs:
            if db.access is None:
                db.access = {}
        server.clocks_lfu = lfu
    else:
        server.lru_start = server.lfu_start = None
        for db in server.dbs:
            db.access = None
    rebind(server)
    server.key_hook = key_written if (accounting or clocks) else None
    server.update_signals()
    # the OOM check, after ACL's and before MISCONF's, as in processCommand
    hooks = tuple(h for h in server.check_hooks if h is not oom_check)
    if accounting:
        acl_hook = getattr(getattr(server, "acl", None), "_hook", None)
        i = 1 if hooks and acl_hook is not None and hooks[0] == acl_hook else 0
        hooks = hooks[:i] + (oom_check,) + hooks[i:]
    else:
        server.pre_command_oom_state = False
    server.check_hooks = hooks
    hook = server.evict_cron
    if accounting or clocks:
        if hook not in server.cron_hooks:
            server.cron_hooks.append(hook)
    elif hook in server.cron_hooks:
        server.cron_hooks.remove(hook)


def maxmemory_changed(server) -> None:
    """CONFIG SET maxmemory: configure, then evict at once (updateMaxmemory)."""
    configure(server)
    if server.config.maxmemory:
        used = used_memory(server)
        if server.config.maxmemory < used:
            import logging

            logging.getLogger("redpy").warning(
                "WARNING: the new maxmemory value set via CONFIG SET (%d) is smaller than the current "
                "memory usage (%d). This will result in key eviction and/or the inability to accept new "
                "write commands depending on the maxmemory-policy.", server.config.maxmemory, used)
        perform_evictions(server)


def rebind(server) -> None:
    """Give each db the touch function for its current access dict (after SWAPDB too)."""
    for db in server.dbs:
        acc = db.access
        if acc is None:
            db.touch = None
        elif server.clocks_lfu:
            db.touch = _lfu_toucher(server, acc)
        else:
            db.touch = _lru_toucher(server, acc)


def _lru_toucher(server, acc):
    def touch(key):
        acc[key] = server.lru_clock

    return touch


def _lfu_toucher(server, acc):
    """updateLFU: decay the counter by the periods elapsed, then LFULogIncr (inlined)."""
    cfg = server.config
    rand = random.random

    def touch(key):
        word = acc.get(key)
        if word is None:
            word = server.lfu_start
        counter = word & 255
        now = server.lfu_minutes
        decay = cfg.lfu_decay_time
        if decay:
            ldt = word >> 8
            elapsed = now - ldt if now >= ldt else 65535 - ldt + now
            if elapsed >= decay:
                periods = elapsed // decay
                counter = 0 if periods > counter else counter - periods
        if counter < 255:
            base = counter - LFU_INIT_VAL
            if base <= 0 or rand() < 1.0 / (base * cfg.lfu_log_factor + 1):
                counter += 1
        acc[key] = (now << 8) | counter

    return touch


def recompute(server) -> None:
    """Estimate every key again (accounting switched on, a dataset loaded)."""
    if not server.mem_accounting:
        return
    total = 0
    for db in server.dbs:
        sizes = {}
        for key, v in db.data.items():
            s = (entry_size(db, key, v) + 15) >> 4
            sizes[key] = s
            total += s
        db.mem_sizes = sizes
        db.mem_scan = []
        db.mem_scan_pos = 0
    server.mem_dataset = total << 4
    server.mem_untracked = 0


def key_written(db, key: bytes) -> None:
    """server.key_hook: a key changed (signal_modified); update its size and clock."""
    v = db.data.get(key)
    server = db.server
    sizes = db.mem_sizes
    if sizes is not None:
        old = sizes.get(key, 0)
        if v is None:
            if old:
                del sizes[key]
                server.mem_dataset -= old << 4
        else:
            if type(v) is bytes and len(v) < 480 and len(key) < 480:
                # entry_size for a short string, inlined (the common write)
                new = (KEY_OVERHEAD + 96 + len(key) + len(v) + (EXPIRE_OVERHEAD if key in db.expires else 0)) >> 4
            else:
                new = (entry_size(db, key, v) + 15) >> 4
            if new != old:
                sizes[key] = new
                server.mem_dataset += (new - old) << 4
    acc = db.access
    if acc is not None:
        if v is None:
            acc.pop(key, None)
        elif server.clocks_lfu:
            if key not in acc:
                # a new object: LFU_INIT_VAL now (a shared integer's clock is 0)
                acc[key] = 0 if _is_shared_integer(server, v) else (lfu_minutes() << 8) | LFU_INIT_VAL
        else:
            acc[key] = server.lru_clock


def forget_db(db) -> None:
    """The db was emptied (FLUSHDB/FLUSHALL, a load): drop its sizes and clocks."""
    server = db.server
    sizes = db.mem_sizes
    if sizes is not None:
        server.mem_dataset -= sum(sizes.values()) << 4
        server.mem_untracked = 0  # the cron counts the other dbs' again at its next tick
        db.mem_sizes = {}
        db.mem_scan = []
        db.mem_scan_pos = 0
    if db.access is not None:
        db.access.clear()


RECONCILE_PER_TICK = 2000


def cron(server) -> None:
    """A cron hook: the LRU clock, and a slice of re-estimated keys per db."""
    now = lru_clock()
    if now != server.lru_clock:
        server.lru_clock = now
    minutes = lfu_minutes()
    if minutes != server.lfu_minutes:
        server.lfu_minutes = minutes
    if not server.mem_accounting:
        return
    untracked = 0
    total_keys = 0
    budget = RECONCILE_PER_TICK
    for db in server.dbs:
        data = db.data
        sizes = db.mem_sizes
        if sizes is None:
            continue
        total_keys += len(sizes)
        if len(data) > len(sizes):
            untracked += len(data) - len(sizes)
        if budget <= 0 or not data:
            continue
        if db.mem_scan_pos >= len(db.mem_scan):
            db.mem_scan = list(data)
            db.mem_scan_pos = 0
        batch = db.mem_scan[db.mem_scan_pos : db.mem_scan_pos + budget]
        db.mem_scan_pos += len(batch)
        budget -= len(batch)
        delta = 0
        for key in batch:
            v = data.get(key)
            old = sizes.get(key, 0)
            if v is None:
                if old:
                    del sizes[key]
                    delta -= old
                continue
            new = (entry_size(db, key, v) + 15) >> 4
            if new != old:
                sizes[key] = new
                delta += new - old
        server.mem_dataset += delta << 4
    avg = server.mem_dataset // total_keys if total_keys else 200
    server.mem_untracked = untracked * avg


def startup_bytes() -> int:
    """The private (anonymous) resident memory of the process: the interpreter and the
    modules, what Redis's used_memory_startup is to Redis."""
    try:
        with open("/proc/self/statm") as f:
            fields = f.read().split()
        page = os.sysconf("SC_PAGE_SIZE")
        return (int(fields[1]) - int(fields[2])) * page
    except (OSError, ValueError, IndexError):
        return 862_000


def used_memory(server) -> int:
    return server.mem_startup + server.mem_dataset + server.mem_untracked + len(server.clients) * CLIENT_BYTES


# ---------------------------------------------------------------------- eviction


def oom_check(c, cmd, argv):
    """server.check_hooks entry: performEvictions, then OOM for denyoom commands."""
    server = c.server
    if (
        server.mem_startup + server.mem_dataset + server.mem_untracked + len(server.clients) * CLIENT_BYTES
        <= server.config.maxmemory
        and not server.stat_last_eviction_exceeded_time
    ):
        server.pre_command_oom_state = False  # under the limit: the common case, inlined
        return None
    out_of_memory = perform_evictions(server) == EVICT_FAIL
    if out_of_memory:
        reject = cmd.denyoom
        multi = c.multi
        if multi is not None:
            if cmd.fullname not in _NO_REJECT_IN_MULTI:
                reject = True
            elif cmd.fullname == "exec" and any(q.denyoom for q, _ in multi):
                reject = True
        if reject:
            return CommandError(OOM)
    server.pre_command_oom_state = out_of_memory
    return None


def _time_limit_us(tenacity: int) -> float:
    """evictionTimeLimitUs."""
    if tenacity <= 10:
        return 50.0 * tenacity
    if tenacity < 100:
        return 500.0 * 1.15 ** (tenacity - 10)
    return float("inf")


class _Sampler:
    """Random keys of one dict through a snapshot list of its keys."""

    __slots__ = ("src", "keys")

    def __init__(self):
        self.src = None
        self.keys: list = []

    def sample(self, d: dict, count: int) -> list:
        keys = self.keys
        n = len(d)
        if self.src is not d or len(keys) * 5 < n * 4 or n * 2 < len(keys) - 64:
            self.src = d
            self.keys = keys = list(d)
        out = []
        randrange = random.randrange
        rebuilt = False
        while len(out) < count:
            if not keys:
                # every snapshot entry was stale: the live keys all came later
                if rebuilt or not d:
                    break
                self.keys = keys = list(d)
                rebuilt = True
            i = randrange(len(keys))
            key = keys[i]
            if key in d:
                out.append(key)
            else:
                # a stale entry goes for good (each one costs a single miss)
                keys[i] = keys[-1]
                keys.pop()
        return out


def _samplers(server) -> dict:
    s = server.evict_samplers
    if s is None:
        s = server.evict_samplers = {}
    return s


def _sampler(server, dbid: int, volatile: bool) -> _Sampler:
    samplers = _samplers(server)
    k = (dbid, volatile)
    s = samplers.get(k)
    if s is None:
        s = samplers[k] = _Sampler()
    return s


def _pool_populate(server, db, volatile: bool, policy: str, pool: list) -> None:
    """evictionPoolPopulate: sample maxmemory-samples keys, keep the best 16 overall."""
    cfg = server.config
    d = db.expires if volatile else db.data
    keys = _sampler(server, db.id, volatile).sample(d, cfg.maxmemory_samples)
    if policy.endswith("-ttl"):
        scores = [(-db.expires[k], k) for k in keys]
    elif policy.endswith("-lfu"):
        scores = [(255 - frequency(db, k), k) for k in keys]
    else:
        scores = [(idle_seconds(db, k), k) for k in keys]
    for idle, key in scores:
        idles = [e[0] for e in pool]
        k = bisect.bisect_left(idles, idle)
        if len(pool) >= EVPOOL_SIZE:
            if k == 0:
                continue
            pool.pop(0)
            k -= 1
        pool.insert(k, (idle, db.id, key))


def _pick(server, policy: str):
    """The (db, key) to evict next, or None when there is nothing to evict."""
    dbs = server.dbs
    volatile = policy.startswith("volatile")
    if policy.endswith("-random"):
        n = len(dbs)
        for _ in range(n):
            server.evict_next_db = j = (server.evict_next_db + 1) % n
            db = dbs[j]
            d = db.expires if volatile else db.data
            if d:
                keys = _sampler(server, j, volatile).sample(d, 1)
                if keys:
                    return db, keys[0]
        return None
    pool = server.evict_pool
    while True:
        total = 0
        for db in dbs:
            d = db.expires if volatile else db.data
            if d:
                total += len(d)
                _pool_populate(server, db, volatile, policy, pool)
        if not total:
            return None
        while pool:
            _, dbid, key = pool.pop()
            db = dbs[dbid]
            if key in (db.expires if volatile else db.data):
                return db, key
        # every pooled key was a ghost: sample again


def perform_evictions(server) -> int:
    """performEvictions: free keys until used memory is under maxmemory."""
    cfg = server.config
    result = EVICT_FAIL
    if server.pause_until and server.pause_until > time.time():
        return EVICT_OK  # isSafeToPerformEvictions: not while clients are paused
    used = used_memory(server)
    if used <= cfg.maxmemory:
        result = EVICT_OK
    elif cfg.maxmemory_policy != "noeviction":
        tofree = used - cfg.maxmemory
        freed = 0
        keys_freed = 0
        limit = _time_limit_us(cfg.maxmemory_eviction_tenacity) / 1e6
        start = time.perf_counter()
        policy = cfg.maxmemory_policy
        # Before a command server.current_client is None, so tracking invalidations go
        # out at once; from CONFIG SET maxmemory they follow its reply, as in Redis.
        while freed < tofree:
            picked = _pick(server, policy)
            if picked is None:
                break
            db, key = picked
            before = used_memory(server)
            server.key_evicted(db, key)
            freed += before - used_memory(server)
            keys_freed += 1
            if keys_freed % 16 == 0 and time.perf_counter() - start > limit:
                _start_time_proc(server)
                result = EVICT_RUNNING
                break
        else:
            result = EVICT_OK
        if result == EVICT_FAIL and used_memory(server) <= cfg.maxmemory:
            result = EVICT_OK
    # update_metrics
    if result == EVICT_OK:
        if server.stat_last_eviction_exceeded_time:
            server.stat_total_eviction_exceeded_time += int(
                (time.monotonic() - server.stat_last_eviction_exceeded_time) * 1e6
            )
            server.stat_last_eviction_exceeded_time = 0.0
    elif not server.stat_last_eviction_exceeded_time:
        server.stat_last_eviction_exceeded_time = time.monotonic()
    return result


def _start_time_proc(server) -> None:
    """startEvictionTimeProc: keep evicting from the event loop until under the limit."""
    if server.evict_proc_running or server.loop is None:
        return
    server.evict_proc_running = True

    def proc():
        server.evict_proc_running = False
        if server.config.maxmemory and perform_evictions(server) == EVICT_RUNNING:
            pass  # perform_evictions scheduled the next round
        server.flush_pending()

    server.loop.call_soon(proc)


def eviction_exceeded_ms(server) -> tuple[int, int]:
    """INFO's total_eviction_exceeded_time and current_eviction_exceeded_time (ms)."""
    start = server.stat_last_eviction_exceeded_time
    current = int((time.monotonic() - start) * 1e6) if start else 0
    return (server.stat_total_eviction_exceeded_time + current) // 1000, current // 1000


def init(server) -> None:
    """The Server attributes this module uses, then configure()."""
    server.key_hook = None
    server.mem_accounting = False
    server.mem_dataset = 0
    server.mem_untracked = 0
    server.mem_startup = startup_bytes()
    server.lru_clock = lru_clock()
    server.lfu_minutes = lfu_minutes()
    server.lru_start = None
    server.lfu_start = None
    server.clocks_lfu = False
    server.evict_pool = []
    server.evict_samplers = None
    server.evict_next_db = 0
    server.evict_proc_running = False
    # processCommand's OOM state before the command, read by scripts (allow-oom)
    server.pre_command_oom_state = False
    server.evict_cron = lambda: cron(server)
    configure(server)
