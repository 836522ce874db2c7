"""LATENCY DOCTOR's report and LATENCY GRAPH's sparkline, as Redis 7.0 writes them.

The latency events themselves (name -> samples of [unix time, ms], oldest first, and the
all-time max) are kept by commands/server.py. Everything here is a pure function of those
events, the configuration and the clock, so the texts equal redis-server's for the same
events. The advice texts are Redis's own output, word for word, since clients and
people compare them.
"""

from __future__ import annotations

import time

# ---------------------------------------------------------------------- doctor

_DISABLED = (
    "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. "
    'You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. '
    "If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
)
_INTRO = "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n"
_NOTHING = (
    "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. "
    "I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n"
)
_NO_FIX = (
    "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis "
    "community to get some help, providing this report in your help request.\n"
)

# Advice keys in the order the report prints them, with their texts ({threshold_us} is
# latency-monitor-threshold in microseconds).
_ADVICE = [
    ("better_vm", "- If you are using a virtual machine, consider upgrading it with a faster one using a hypervisior that provides less latency during fork() calls. Xen is known to have poor fork() performance. Even in the context of the same VM provider, certain kinds of instances can execute fork faster than others.\n"),
    ("slowlog_enabled", "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {threshold_us}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n"),
    ("slowlog_tuning", "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {threshold_us}'.\n"),
    ("slowlog_inspect", "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n"),
    ("scheduler", "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n"
                  "  1) Lower the system load.\n"
                  "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n"
                  '  3) Check if you have a "noisy neighbour" problem.\n'
                  "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n"
                  "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n"),
    ("local_disk", "- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n"),
    ("ssd", "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage and smaller final AOF rewrite buffer flushes). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n"),
    ("data_writeback", "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n"),
    ("disk_contention", "- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n"),
    ("no_appendfsync", "- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n"),
    ("relax_fsync_policy", "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n"),
    ("write_load_info", "- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n"),
    ("hz", "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n"),
    ("large_objects", "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n"),
    ("mass_eviction", "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n"),
    ("disable_thp", "- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n"),
]

# event name (compared case-insensitively) -> the advices it raises; the count of
# advices each adds is the number of keys listed (Redis counts them the same way).
_EVENT_ADVICE = {
    "fast-command": ("scheduler",),
    "aof-write-pending-fsync": ("local_disk", "disk_contention", "ssd", "data_writeback"),
    "aof-write-active-child": ("no_appendfsync", "data_writeback", "ssd"),
    "aof-write-alone": ("local_disk", "data_writeback", "ssd"),
    "aof-fsync-always": ("relax_fsync_policy",),
    "aof-fstat": ("disk_contention", "local_disk"),
    "rdb-unlink-temp-file": ("disk_contention", "local_disk"),
    "aof-rewrite-diff-write": ("write_load_info", "data_writeback", "ssd", "local_disk"),
    "aof-rename": ("write_load_info", "data_writeback", "ssd", "local_disk"),
    "expire-cycle": ("hz", "large_objects"),
    "eviction-del": ("large_objects",),
    "eviction-cycle": ("mass_eviction",),
}


def anon_huge_pages(pid: int | str = "self") -> int:
    """THPGetAnonHugePagesSize: a process's AnonHugePages, in bytes (0 if unknown)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("AnonHugePages:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def analyze(samples: list, now: int) -> tuple[int, int, int, int]:
    """analyzeLatencyForEvent: (samples, avg ms, mean absolute deviation ms, period s)."""
    n = len(samples)
    if not n:
        return 0, 0, 0, 0
    avg = sum(ms for _, ms in samples) // n
    period = now - min(t for t, _ in samples) or 1
    mad = sum(abs(avg - ms) for _, ms in samples) // n
    return n, avg, mad, period


def doctor_report(events: dict, config, fork_rate: float, huge_pages: int, now: int | None = None) -> str:
    """createLatencyReport. `events`: name -> object with .samples and .max;
    `huge_pages`: the server process's AnonHugePages (anon_huge_pages())."""
    if not events and not config.latency_monitor_threshold:
        return _DISABLED
    now = int(time.time()) if now is None else now
    advise: set[str] = set()
    advices = 0
    out = []
    for num, (name, ev) in enumerate(events.items(), 1):
        if num == 1:
            out.append(_INTRO)
        n, avg, mad, period = analyze(ev.samples, now)
        out.append(
            "%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). Worst all time event %dms."
            % (num, name, n, avg, mad, period / n if n else float("nan"), ev.max)
        )
        lname = name.lower()
        if lname == "fork":
            if fork_rate < 10:
                quality = "terrible"
            elif fork_rate < 25:
                quality = "poor"
            elif fork_rate < 100:
                quality = "good"
            else:
                quality = "excellent"
            if fork_rate < 25:
                advise.add("better_vm")
                advices += 1
            out.append(" Fork rate is %.2f GB/sec (%s)." % (fork_rate, quality))
        if lname == "command":
            if config.slowlog_log_slower_than < 0:
                advise.add("slowlog_enabled")
                advices += 1
            elif config.slowlog_log_slower_than // 1000 > config.latency_monitor_threshold:
                advise.add("slowlog_tuning")
                advices += 1
            advise.update(("slowlog_inspect", "large_objects"))
            advices += 2
        raised = _EVENT_ADVICE.get(lname, ())
        advise.update(raised)
        advices += len(raised)
        out.append("\n")
    if huge_pages > 0:
        advise.add("disable_thp")
        advices += 1
    if not events and not advices:
        out.append(_NOTHING)
    elif events and not advices:
        out.append(_NO_FIX)
    else:
        out.append("\nI have a few advices for you:\n\n")
        threshold_us = config.latency_monitor_threshold * 1000
        for key, text in _ADVICE:
            if key not in advise:
                continue
            if key == "relax_fsync_policy" and config.appendfsync != "always":
                continue
            if key == "hz" and config.hz >= 100:
                continue
            out.append(text.format(threshold_us=threshold_us) if "{threshold_us}" in text else text)
    return "".join(out)


# ---------------------------------------------------------------------- graph

_GRAPH_COLUMNS = 80
_ROWS = 4
_CHARSET_FILL = "_o#"
_LABEL_MARGIN_TOP = 1


def _age_label(elapsed: int) -> str:
    if elapsed < 60:
        return "%ds" % elapsed
    if elapsed < 3600:
        return "%dm" % (elapsed // 60)
    if elapsed < 86400:
        return "%dh" % (elapsed // 3600)
    return "%dd" % (elapsed // 86400)


def _render_range(values: list[float], labels: list[str], lo: float, hi: float) -> list[str]:
    """sparklineRenderRange with SPARKLINE_FILL: the graph rows, then the labels
    written vertically one character per row, after one blank row."""
    rel_max = (hi - lo) or 1
    steps = len(_CHARSET_FILL) * _ROWS
    cells = []
    for v in values:
        # (int)(relval*steps) / relmax, truncated again on assignment
        step = int(int((v - lo) * steps) / rel_max)
        cells.append(min(max(step, 0), steps - 1))
    lines = []
    for row in range(_ROWS):
        chars = []
        for step in cells:
            idx = step - (_ROWS - row - 1) * len(_CHARSET_FILL)
            if 0 <= idx < len(_CHARSET_FILL):
                chars.append(_CHARSET_FILL[idx])
            elif idx >= len(_CHARSET_FILL):
                chars.append("|")
            else:
                chars.append(" ")
        lines.append("".join(chars))
    if any(labels):
        lines.append(" " * len(values))
        depth = 0
        while True:
            chars = [label[depth] if len(label) > depth else " " for label in labels]
            if not any(len(label) > depth for label in labels):
                break
            lines.append("".join(chars))
            depth += 1
    return lines


def graph(name: str, samples: list, all_time_max: int, now: int | None = None) -> str:
    """latencyCommandGenSparkeline: a header, a rule, then the sparkline of the samples."""
    now = int(time.time()) if now is None else now
    values = [float(ms) for _, ms in samples]
    labels = [_age_label(now - t) for t, _ in samples]
    lo = min(values) if values else 0
    hi = max(values) if values else 0
    out = ["%s - high %d ms, low %d ms (all time high %d ms)\n" % (name, hi, lo, all_time_max), "-" * _GRAPH_COLUMNS + "\n"]
    # seq->min/max are tracked with "if lower ... else if higher", which gives the
    # true extremes for these integer samples
    for start in range(0, len(values), _GRAPH_COLUMNS):
        if start:
            out.append("\n")
        part = slice(start, start + _GRAPH_COLUMNS)
        out.extend(line + "\n" for line in _render_range(values[part], labels[part], lo, hi))
    return "".join(out)
