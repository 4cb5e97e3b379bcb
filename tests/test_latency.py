"""Latency loop and statistics, driven by a fake timer (no wall-clock assertion anywhere)."""

import numpy as np
import pytest

from bench.measure.latency import LatencyPolicy, measure_latency, summarize, warm_up


class FakeTimer:
    """Returns scripted times in ms and counts the calls of the function it 'times'."""

    def __init__(self, times):
        self.times = list(times)
        self.calls = 0

    def __call__(self, fn):
        fn()
        self.calls += 1
        return self.times.pop(0) if len(self.times) > 1 else self.times[0]


def test_summary_statistics():
    times = [10.0, 12.0, 11.0, 13.0, 50.0]
    s = summarize(times, batch=2)
    assert s["latency_ms_median"] == 12.0
    assert s["latency_ms_mean"] == pytest.approx(19.2)
    assert s["latency_ms_std"] == pytest.approx(np.std(times, ddof=1))
    assert s["latency_ms_p10"] == pytest.approx(np.percentile(times, 10))
    assert s["latency_ms_p90"] == pytest.approx(np.percentile(times, 90))
    assert s["latency_n"] == 5
    assert s["fps"] == pytest.approx(2 * 1000 / 12.0)
    with pytest.raises(ValueError):
        summarize([])


def test_warm_up_waits_for_stability_and_the_minimums():
    # Slow first iterations (allocation, autotuning), then a steady 20 ms.
    timer = FakeTimer([500, 200, 100] + [20] * 100)
    policy = LatencyPolicy(warmup_min_iters=10, warmup_min_s=1.0, warmup_max_s=30)
    times = warm_up(lambda: None, timer, policy)
    assert len(times) >= 10 and sum(times) >= 1000
    assert times[-5:] == [20] * 5


def test_warm_up_is_capped_for_slow_cases():
    timer = FakeTimer([4000])
    times = warm_up(lambda: None, timer, LatencyPolicy(warmup_max_s=5.0))
    assert len(times) == 2  # 4 s, then 8 s >= the 5 s cap


def test_fast_case_times_at_least_50_iterations_and_3_seconds():
    timer = FakeTimer([1.0])
    stats = measure_latency(lambda: None, timer=timer, policy=LatencyPolicy())
    assert stats["latency_n"] == 3000  # 3 s of 1 ms iterations
    assert not stats["latency_capped"]
    slow = measure_latency(lambda: None, timer=FakeTimer([100.0]), policy=LatencyPolicy())
    assert slow["latency_n"] == 50  # 50 iterations already take 5 s


def test_very_slow_case_is_capped_but_has_a_minimum():
    stats = measure_latency(
        lambda: None,
        timer=FakeTimer([6000.0]),
        policy=LatencyPolicy(max_time_s=15.0, capped_min_iters=3),
    )
    assert stats["latency_n"] == 3 and stats["latency_capped"]
    assert stats["latency_ms_median"] == 6000.0


def test_real_cpu_timer_runs_the_function():
    calls = []
    policy = LatencyPolicy(
        warmup_min_iters=1,
        warmup_min_s=0,
        warmup_max_s=0.0,
        min_iters=5,
        min_time_s=0,
        max_time_s=1,
    )
    stats = measure_latency(lambda: calls.append(1), policy=policy)
    assert stats["latency_n"] == 5 and len(calls) == 5 + stats["warmup_n"]
    assert stats["latency_ms_median"] >= 0


def test_rounds_give_a_noise_estimate():
    # Two rounds of 50 iterations: the first at 10 ms, the second at 12 ms (a busier machine).
    timer = FakeTimer([5.0] * 2 + [10.0] * 50 + [12.0] * 50)
    policy = LatencyPolicy(
        warmup_min_iters=2, warmup_min_s=0, warmup_max_s=0.01, min_iters=50, min_time_s=0
    )
    stats = measure_latency(lambda: None, timer=timer, policy=policy, repeats=2)
    assert stats["latency_round_medians_ms"] == [10.0, 12.0]
    assert stats["latency_n"] == 100
    assert stats["latency_round_spread"] == pytest.approx(2.0 / 11.0)
    with pytest.raises(ValueError):
        measure_latency(lambda: None, timer=timer, policy=policy, repeats=0)
