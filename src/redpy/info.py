"""INFO: the sections, their field names and order exactly as Redis 7.0.15 prints them.

Values are true where redpy has them (clients, keyspace, commands, errors, config) and
the neutral value a fresh Redis shows otherwise (no forks, no replicas, no AOF).

Memory: used_memory is an estimate (no allocator hooks: tracemalloc is far too slow),
evict.py's: the private memory at startup plus the dataset in Python's terms. While
maxmemory is set it is the figure eviction works with (maintained on writes); otherwise
the same per-key estimate on the first 64 keys of each db times its key count.
used_memory_rss is the process's resident set from /proc/self/statm.
"""

from __future__ import annotations

import os
import platform
import random
import resource
import sys
import time
from itertools import islice

from . import __version__

REDIS_VERSION = "7.0.15"
STARTUP_BYTES = 862_000
PER_KEY_BYTES = 120

DEFAULT_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                    "module_list", "errorstats", "cluster", "keyspace")
ALL_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                "module_list", "commandstats", "errorstats", "latencystats", "cluster", "keyspace")


def _human(n: float) -> str:
    """bytesToHuman."""
    if n < 1024:
        return "%dB" % n
    for unit, div in (("K", 1024), ("M", 1024**2), ("G", 1024**3), ("T", 1024**4), ("P", 1024**5)):
        if n < div * 1024 or unit == "P":
            return "%.2f%s" % (n / div, unit)
    return "%dB" % n


def _rss() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _total_memory() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 0


def dict_overhead(n: int) -> int:
    """A dict's bucket array and entries as Redis sizes them (8 per bucket, 24 per entry)."""
    if not n:
        return 0
    buckets = 4
    while buckets < n:
        buckets *= 2
    return buckets * 8 + n * 24


def memory_numbers(server) -> dict:
    keys = sum(len(db.data) for db in server.dbs)
    expires = sum(len(db.expires) for db in server.dbs)
    clients = len(server.clients)
    overhead = STARTUP_BYTES + sum(dict_overhead(len(db.data)) + dict_overhead(len(db.expires))
                                   for db in server.dbs)
    from . import evict

    startup = server.mem_startup
    overhead += startup - STARTUP_BYTES
    if server.mem_accounting:
        # maxmemory set: the figure eviction works with
        used = evict.used_memory(server)
    else:
        # the same estimate, from the first keys of each db (INFO must stay cheap)
        used = startup + clients * evict.CLIENT_BYTES
        for db in server.dbs:
            n = len(db.data)
            if n:
                sample = list(islice(db.data.items(), 64))
                used += sum(evict.entry_size(db, k, v) for k, v in sample) * n // len(sample)
    peak = max(getattr(server, "stat_peak_memory", 0), used)
    server.stat_peak_memory = peak
    dataset = max(used - overhead, 0)
    net = used - startup
    return {
        "used": used,
        "peak": peak,
        "startup": startup,
        "overhead": overhead,
        "dataset": dataset,
        "dataset_perc": dataset * 100.0 / net if net > 0 else 0.0,
        "rss": _rss(),
        "clients": clients * 1024,
    }


def replid(server) -> str:
    rid = getattr(server, "replid", None)
    if rid is None:
        rid = server.replid = "".join(random.choice("0123456789abcdef") for _ in range(40))
    return rid


def change_replication_id(server) -> None:
    """DEBUG CHANGE-REPL-ID: a new replid; replid2 cleared."""
    server.replid = "".join(random.choice("0123456789abcdef") for _ in range(40))


def repl_offset(server) -> int:
    return getattr(server, "master_repl_offset", 0)


def _total_commands() -> int:
    """Every call so far, exactly (the sum over the commands' histograms): INFO may
    run in the middle of a read whose fast-path calls server.stat_numcommands does not
    hold yet."""
    from .registry import all_commands

    return sum(cmd.calls for cmd in all_commands())


def ops_sampler(server):
    """A cron hook that samples instantaneous_ops_per_sec like Redis (16 samples, 100ms),
    from server.stat_numcommands: summing every command's histogram instead took 0.6 ms
    under load, ten times a second."""
    state = {"t": time.monotonic(), "n": server.stat_numcommands, "samples": [0] * 16, "i": 0}

    def hook():
        now = time.monotonic()
        if now - state["t"] < 0.1:
            return
        n = server.stat_numcommands
        if n < state["n"]:  # CONFIG RESETSTAT: Redis starts its samples afresh
            state["samples"] = [0] * 16
            state["n"] = 0
        rate = (n - state["n"]) / (now - state["t"])
        state["samples"][state["i"]] = int(rate)
        state["i"] = (state["i"] + 1) % 16
        state["t"], state["n"] = now, n
        server.stat_ops_per_sec = sum(state["samples"]) // 16

    return hook


def _section_server(server) -> list[str]:
    cfg = server.config
    now = time.time()
    uptime = int(now - server.start_time)
    return [
        f"redis_version:{REDIS_VERSION}",
        "redis_git_sha1:00000000",
        "redis_git_dirty:0",
        "redis_build_id:0000000000000000",
        f"redpy_version:{__version__}",
        "redis_mode:standalone",
        f"os:{platform.system()} {platform.release()} {platform.machine()}",
        "arch_bits:64",
        "monotonic_clock:POSIX clock_gettime",
        "multiplexing_api:epoll",
        "atomicvar_api:c11-builtin",
        "gcc_version:0.0.0",
        f"process_id:{os.getpid()}",
        "process_supervised:no",
        f"run_id:{server.run_id}",
        f"tcp_port:{server.port}",
        f"server_time_usec:{time.time_ns() // 1000}",
        f"uptime_in_seconds:{uptime}",
        f"uptime_in_days:{uptime // 86400}",
        f"hz:{cfg.hz}",
        f"configured_hz:{cfg.hz}",
        f"lru_clock:{int(now) & ((1 << 24) - 1)}",
        f"executable:{os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ''}",
        f"config_file:{cfg.file or ''}",
        "io_threads_active:0",
    ]


def _section_clients(server) -> list[str]:
    clients = list(server.clients.values())
    tracking = sum(1 for c in clients if c.tracking is not None)
    max_in = max((c.parser.buffered() for c in clients), default=0)
    return [
        f"connected_clients:{len(clients)}",
        "cluster_connections:0",
        f"maxclients:{server.config.maxclients}",
        f"client_recent_max_input_buffer:{max_in}",
        "client_recent_max_output_buffer:0",
        f"blocked_clients:{server.blocked_clients}",
        f"tracking_clients:{tracking}",
        f"clients_in_timeout_table:{server.clients_in_timeout_table}",
    ]


def _section_memory(server) -> list[str]:
    m = memory_numbers(server)
    cfg = server.config
    total = _total_memory()
    used, rss, peak = m["used"], m["rss"], m["peak"]
    frag = rss / used if used else 0.0
    return [
        f"used_memory:{used}",
        f"used_memory_human:{_human(used)}",
        f"used_memory_rss:{rss}",
        f"used_memory_rss_human:{_human(rss)}",
        f"used_memory_peak:{peak}",
        f"used_memory_peak_human:{_human(peak)}",
        "used_memory_peak_perc:%.2f%%" % (used * 100.0 / peak if peak else 0),
        f"used_memory_overhead:{m['overhead']}",
        f"used_memory_startup:{m['startup']}",
        f"used_memory_dataset:{m['dataset']}",
        "used_memory_dataset_perc:%.2f%%" % m["dataset_perc"],
        f"allocator_allocated:{used}",
        f"allocator_active:{used}",
        f"allocator_resident:{rss}",
        f"total_system_memory:{total}",
        f"total_system_memory_human:{_human(total)}",
        "used_memory_lua:32768",
        "used_memory_vm_eval:32768",
        "used_memory_lua_human:32.00K",
        "used_memory_scripts_eval:0",
        "number_of_cached_scripts:0",
        "number_of_functions:0",
        "number_of_libraries:0",
        "used_memory_vm_functions:32768",
        "used_memory_vm_total:65536",
        "used_memory_vm_total_human:64.00K",
        "used_memory_functions:0",
        "used_memory_scripts:0",
        "used_memory_scripts_human:0B",
        f"maxmemory:{cfg.maxmemory}",
        f"maxmemory_human:{_human(cfg.maxmemory)}",
        f"maxmemory_policy:{cfg.maxmemory_policy}",
        "allocator_frag_ratio:1.00",
        "allocator_frag_bytes:0",
        "allocator_rss_ratio:%.2f" % frag,
        f"allocator_rss_bytes:{rss - used}",
        "rss_overhead_ratio:1.00",
        "rss_overhead_bytes:0",
        "mem_fragmentation_ratio:%.2f" % frag,
        f"mem_fragmentation_bytes:{rss - used}",
        "mem_not_counted_for_evict:0",
        "mem_replication_backlog:0",
        "mem_total_replication_buffers:0",
        "mem_clients_slaves:0",
        f"mem_clients_normal:{m['clients']}",
        "mem_cluster_links:0",
        f"mem_aof_buffer:{len(server.aof_buf)}",
        "mem_allocator:libc",
        "active_defrag_running:0",
        "lazyfree_pending_objects:0",
        "lazyfreed_objects:0",
    ]


def _section_persistence(server) -> list[str]:
    g = lambda name, default: getattr(server, name, default)  # noqa: E731
    aof = server.aof
    lines = [
        f"loading:{int(g('loading', False))}",
        "async_loading:0",
        "current_cow_peak:0",
        "current_cow_size:0",
        "current_cow_size_age:0",
        "current_fork_perc:0.00",
        "current_save_keys_processed:0",
        "current_save_keys_total:0",
        f"rdb_changes_since_last_save:{server.dirty}",
        f"rdb_bgsave_in_progress:{int(g('rdb_bgsave_in_progress', False))}",
        f"rdb_last_save_time:{server.lastsave}",
        f"rdb_last_bgsave_status:{g('rdb_last_bgsave_status', 'ok')}",
        f"rdb_last_bgsave_time_sec:{g('rdb_last_bgsave_time_sec', -1)}",
        "rdb_current_bgsave_time_sec:%d" % (
            int(time.monotonic() - server.rdb_save_time_start) if g("rdb_bgsave_in_progress", False) else -1
        ),
        f"rdb_saves:{g('stat_rdb_saves', 0)}",
        "rdb_last_cow_size:0",
        f"rdb_last_load_keys_expired:{g('rdb_last_load_keys_expired', 0)}",
        f"rdb_last_load_keys_loaded:{g('rdb_last_load_keys_loaded', 0)}",
        f"aof_enabled:{int(aof.state != 'off')}",
        f"aof_rewrite_in_progress:{int(aof.child_pid > 0)}",
        f"aof_rewrite_scheduled:{int(aof.rewrite_scheduled)}",
        f"aof_last_rewrite_time_sec:{aof.last_rewrite_time_sec}",
        "aof_current_rewrite_time_sec:%d" % (
            int(time.monotonic() - aof.rewrite_time_start) if aof.child_pid > 0 else -1
        ),
        f"aof_last_bgrewrite_status:{aof.last_bgrewrite_status}",
        f"aof_rewrites:{aof.rewrites}",
        f"aof_rewrites_consecutive_failures:{aof.rewrites_consecutive_failures}",
        f"aof_last_write_status:{aof.last_write_status}",
        f"aof_last_cow_size:{aof.last_cow_size}",
        "module_fork_in_progress:0",
        "module_fork_last_cow_size:0",
    ]
    if aof.state != "off":
        t = aof.fsync_thread
        lines += [
            f"aof_current_size:{aof.current_size}",
            f"aof_base_size:{aof.rewrite_base_size}",
            f"aof_pending_rewrite:{int(aof.rewrite_scheduled)}",
            f"aof_buffer_length:{len(server.aof_buf)}",
            f"aof_pending_bio_fsync:{int(t is not None and t.is_alive())}",
            f"aof_delayed_fsync:{aof.delayed_fsync}",
        ]
    return lines


def _section_stats(server) -> list[str]:
    s = server
    clients = s.clients.values()
    pubsub_channels = len(getattr(s, "pubsub_channels", {}) or {})
    pubsub_patterns = len(getattr(s, "pubsub_patterns", {}) or {})
    tracking = len(s.tracking_table)
    from .evict import eviction_exceeded_ms

    exceeded = eviction_exceeded_ms(s)
    return [
        f"total_connections_received:{s.stat_numconnections}",
        f"total_commands_processed:{_total_commands()}",
        f"instantaneous_ops_per_sec:{getattr(s, 'stat_ops_per_sec', 0)}",
        f"total_net_input_bytes:{s.stat_net_input_bytes + sum(c.tot_net_in for c in clients)}",
        f"total_net_output_bytes:{s.stat_net_output_bytes + sum(c.tot_net_out for c in clients)}",
        "total_net_repl_input_bytes:0",
        "total_net_repl_output_bytes:0",
        "instantaneous_input_kbps:0.00",
        "instantaneous_output_kbps:0.00",
        "instantaneous_input_repl_kbps:0.00",
        "instantaneous_output_repl_kbps:0.00",
        f"rejected_connections:{s.stat_rejected_conn}",
        "sync_full:0",
        "sync_partial_ok:0",
        "sync_partial_err:0",
        f"expired_keys:{s.stat_expiredkeys}",
        "expired_stale_perc:0.00",
        "expired_time_cap_reached_count:0",
        "expire_cycle_cpu_milliseconds:0",
        f"evicted_keys:{s.stat_evictedkeys}",
        "evicted_clients:0",
        f"total_eviction_exceeded_time:{exceeded[0]}",
        f"current_eviction_exceeded_time:{exceeded[1]}",
        f"keyspace_hits:{s.stat_keyspace_hits}",
        f"keyspace_misses:{s.stat_keyspace_misses}",
        f"pubsub_channels:{pubsub_channels}",
        f"pubsub_patterns:{pubsub_patterns}",
        "pubsubshard_channels:0",
        f"latest_fork_usec:{s.stat_fork_time}",
        f"total_forks:{s.stat_total_forks}",
        "migrate_cached_sockets:0",
        "slave_expires_tracked_keys:0",
        "active_defrag_hits:0",
        "active_defrag_misses:0",
        "active_defrag_key_hits:0",
        "active_defrag_key_misses:0",
        "total_active_defrag_time:0",
        "current_active_defrag_time:0",
        f"tracking_total_keys:{tracking}",
        "tracking_total_items:0",
        "tracking_total_prefixes:0",
        "unexpected_error_replies:0",
        f"total_error_replies:{s.stat_total_error_replies}",
        "dump_payload_sanitizations:0",
        f"total_reads_processed:{_total_commands()}",
        f"total_writes_processed:{_total_commands()}",
        "io_threaded_reads_processed:0",
        "io_threaded_writes_processed:0",
        "reply_buffer_shrinks:0",
        "reply_buffer_expands:0",
    ]


def _section_replication(server) -> list[str]:
    return [
        "role:master",
        "connected_slaves:0",
        "master_failover_state:no-failover",
        f"master_replid:{replid(server)}",
        "master_replid2:0000000000000000000000000000000000000000",
        f"master_repl_offset:{repl_offset(server)}",
        "second_repl_offset:-1",
        "repl_backlog_active:0",
        f"repl_backlog_size:{server.config.repl_backlog_size}",
        "repl_backlog_first_byte_offset:0",
        "repl_backlog_histlen:0",
    ]


def _section_cpu(server) -> list[str]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return [
        "used_cpu_sys:%.6f" % me.ru_stime,
        "used_cpu_user:%.6f" % me.ru_utime,
        "used_cpu_sys_children:%.6f" % ch.ru_stime,
        "used_cpu_user_children:%.6f" % ch.ru_utime,
        "used_cpu_sys_main_thread:%.6f" % me.ru_stime,
        "used_cpu_user_main_thread:%.6f" % me.ru_utime,
    ]


def _section_commandstats(server) -> list[str]:
    from .registry import all_commands

    out = []
    for cmd in all_commands():
        if not (cmd.calls or cmd.failed_calls or cmd.rejected_calls):
            continue
        per = cmd.usec / cmd.calls if cmd.calls else 0.0
        out.append(
            "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d"
            % (cmd.fullname, cmd.calls, cmd.usec, per, cmd.rejected_calls, cmd.failed_calls)
        )
    return out


def _section_latencystats(server) -> list[str]:
    """latencyAllCommandsFillPercentileDistribution; nothing while latency-tracking is off."""
    from .hdr import info_line
    from .registry import all_commands

    if not server.config.latency_tracking:
        return []
    percentiles = server.config.latency_tracking_info_percentiles
    return [info_line(cmd.fullname, cmd.latency, percentiles) for cmd in all_commands() if cmd.latency]


def _section_errorstats(server) -> list[str]:
    return ["errorstat_%s:count=%d" % (code.decode("latin-1"), n) for code, n in server.error_stats.items()]


def _section_keyspace(server) -> list[str]:
    out = []
    now = time.time() * 1000
    for db in server.dbs:
        keys = len(db.data)
        if not keys:
            continue
        expires = len(db.expires)
        avg = int(sum(max(t - now, 0) for t in db.expires.values()) / expires) if expires else 0
        out.append(f"db{db.id}:keys={keys},expires={expires},avg_ttl={avg}")
    return out


_SECTIONS = {
    "server": ("Server", _section_server),
    "clients": ("Clients", _section_clients),
    "memory": ("Memory", _section_memory),
    "persistence": ("Persistence", _section_persistence),
    "stats": ("Stats", _section_stats),
    "replication": ("Replication", _section_replication),
    "cpu": ("CPU", _section_cpu),
    "module_list": ("Modules", lambda s: []),
    "commandstats": ("Commandstats", _section_commandstats),
    "errorstats": ("Errorstats", _section_errorstats),
    "latencystats": ("Latencystats", _section_latencystats),
    "cluster": ("Cluster", lambda s: [f"cluster_enabled:{int(s.config.cluster_enabled)}"]),
    "keyspace": ("Keyspace", _section_keyspace),
}


def generate(server, names: list[bytes]) -> str:
    """genRedisInfoString for the requested section names (lower case bytes)."""
    wanted: set[str] = set()
    if not names:
        wanted.update(DEFAULT_SECTIONS)
    for raw in names:
        name = raw.decode("latin-1")
        if name == "default":
            wanted.update(DEFAULT_SECTIONS)
        elif name in ("all", "everything"):
            wanted.update(ALL_SECTIONS)
        elif name in ("modules",):
            wanted.add("module_list")
        elif name in _SECTIONS:
            wanted.add(name)
    parts = []
    for key in ALL_SECTIONS:
        if key in wanted:
            title, fn = _SECTIONS[key]
            body = "".join(line + "\r\n" for line in fn(server))
            parts.append(f"# {title}\r\n{body}")
    return "\r\n".join(parts)
