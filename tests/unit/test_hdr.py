"""hdr.py's bucket arithmetic, on values read off redis-server 7.0.15."""

from redpy import hdr


def test_equivalent_values():
    # INFO latencystats of a command run once for 12 us and 15 us: p0 is the slot's
    # lowest value, p50/p100 its highest
    assert hdr.lowest_equivalent(12000) == 11968 and hdr.highest_equivalent(12000) == 12031
    assert hdr.highest_equivalent(15000) == 15039 and hdr.highest_equivalent(16000) == 16063
    # 0 us is recorded as 1 ns, its own slot
    assert hdr.value_at_percentile({0: 5}, 50.0) == 1 and hdr.value_at_percentile({0: 5}, 0.0) == 1


def test_percentiles():
    counts = {3: 1, 7: 2, 598: 1}
    assert hdr.value_at_percentile(counts, 0.0) == hdr.lowest_equivalent(3000)
    assert hdr.value_at_percentile(counts, 50.0) == hdr.highest_equivalent(7000) == 7007
    assert hdr.value_at_percentile(counts, 100.0) == hdr.highest_equivalent(598000) == 598015
    assert hdr.value_at_percentile({}, 50.0) == 0


def test_cumulative_distribution():
    # (the highest value of each reporting level's slot in us, calls up to it)
    assert hdr.cumulative_distribution({3: 1, 7: 1, 33: 1, 598: 1}) == [(4, 1), (8, 2), (33, 3), (1056, 4)]
    assert hdr.cumulative_distribution({0: 99757}) == [(1, 99757)]
    assert hdr.cumulative_distribution({}) == []
    # read off the oracle: DEBUG SLEEP 0.5 and 0.6 (past the last reporting level)
    assert hdr.cumulative_distribution({500_000: 1}) == [(541065, 1)]
    assert hdr.cumulative_distribution({600_000: 1}) == [(1073741, 1)]
    assert hdr.cumulative_distribution({600_000: 1, 2: 3}) == [(2, 3), (1073741, 4)]
    assert hdr.value_at_percentile({600_000: 1}, 50.0) == 603979775


def test_percentile_names():
    assert [hdr.percentile_name(p) for p in (50.0, 99.0, 99.9, 0.0001, 100.0)] == ["50", "99", "99.9", "0.0001", "100"]
