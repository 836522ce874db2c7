"""Per-command latency histograms: INFO latencystats and LATENCY HISTOGRAM.

Redis 7.0 records every call's duration (in whole microseconds, times 1000: nanoseconds)
in an HDR histogram per command (lowest value 1, highest 1e9, 2 significant figures) and
reports from it (a) percentiles, as `hdr_value_at_percentile`, and (b) a cumulative
distribution by a logarithmic iteration starting at 1024 ns with base 2.

Recording has to be cheap, so dispatch keeps only `cmd.latency`: a dict from the
duration in microseconds to its count. Since Redis records exactly duration * 1000, the
histogram's answers can be computed from those counts at query time with the same bucket
arithmetic, so the figures are the ones redis-server would print for the same durations.

Bucket arithmetic for these parameters: sub_bucket_count 256 (half 128), unit magnitude 0;
a value v lies in bucket b = bitlen(v | 255) - 8, its sub-bucket is v >> b, so its lowest
equivalent value is (v >> b) << b and its range is 1 << b wide.
"""

from __future__ import annotations

_MIN_VALUE = 1
_MAX_VALUE = 1_000_000_000
# hdr_iter_log_init(&iter, h, 1024, 2): reporting levels 1024 << k. The counts array
# of this histogram (3072 slots) ends below 1024 << 20, so levels 0..19 are the ones the
# iteration can reach; values past level 19's slot are reported once, when the iteration
# runs off the end, at the last slot's highest value (checked: a 600 ms DEBUG SLEEP
# appears as 1073741).
_LOG_FIRST = 1024
_LOG_LEVELS = 20
_LAST_SLOT_HIGHEST = (255 << 22) + (1 << 22) - 1


def _ns(usec: int) -> int:
    """updateCommandLatencyHistogram: the recorded value, clamped to [1, 1e9]."""
    v = usec * 1000
    return _MIN_VALUE if v < _MIN_VALUE else _MAX_VALUE if v > _MAX_VALUE else v


def _bucket(v: int) -> int:
    return (v | 255).bit_length() - 8


def lowest_equivalent(v: int) -> int:
    b = _bucket(v)
    return (v >> b) << b


def highest_equivalent(v: int) -> int:
    b = _bucket(v)
    return ((v >> b) << b) + (1 << b) - 1


def _recorded(counts: dict[int, int]) -> list[tuple[int, int]]:
    """(lowest equivalent value, count) per histogram slot, in value order."""
    slots: dict[int, int] = {}
    for usec, n in counts.items():
        low = lowest_equivalent(_ns(usec))
        slots[low] = slots.get(low, 0) + n
    return sorted(slots.items())


def value_at_percentile(counts: dict[int, int], percentile: float) -> int:
    """hdr_value_at_percentile, in nanoseconds (0 for an empty histogram)."""
    total = sum(counts.values())
    p = percentile if percentile < 100.0 else 100.0
    wanted = int((p / 100) * total + 0.5)
    if wanted < 1:
        wanted = 1
    seen = 0
    for low, n in _recorded(counts):
        seen += n
        if seen >= wanted:
            return low if percentile == 0.0 else highest_equivalent(low)
    return 0


def cumulative_distribution(counts: dict[int, int]) -> list[tuple[int, int]]:
    """fillCommandCDF: (bucket's highest value in microseconds, calls up to it), for
    each logarithmic reporting level whose cumulative count grew."""
    slots = _recorded(counts)
    total = sum(n for _, n in slots)
    out = []
    seen = previous = 0
    i = 0
    for k in range(_LOG_LEVELS):
        if previous >= total:
            break
        level = _LOG_FIRST << k
        # the iteration stops at the slot of value `level` (a bucket boundary), counting it
        top = highest_equivalent(level)
        while i < len(slots) and slots[i][0] <= top:
            seen += slots[i][1]
            i += 1
        if seen > previous:
            out.append((top // 1000, seen))
        previous = seen
    if previous < total:
        out.append((_LAST_SLOT_HIGHEST // 1000, total))
    return out


def percentile_name(p: float) -> str:
    """The p<name> of INFO latencystats: "%f", then trailing zeros and '.' dropped."""
    text = "%f" % p
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def info_line(name: str, counts: dict[int, int], percentiles) -> str:
    """fillPercentileDistributionLatencies: one latency_percentiles_usec_<name> line."""
    parts = [
        "p%s=%.3f" % (percentile_name(p), value_at_percentile(counts, p) / 1000.0) for p in percentiles
    ]
    return "latency_percentiles_usec_%s:%s" % (name, ",".join(parts))
