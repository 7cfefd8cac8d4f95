"""The per-endpoint pacer: never over a burst or steady window, yet close to the budget."""

from __future__ import annotations

from bisect import bisect_left

from loader.source.pacer import EndpointPacer
from loader.source.settings import Budget


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def starts(pacer: EndpointPacer, clock: FakeClock, count: int) -> list[float]:
    times = []
    for _ in range(count):
        pacer.acquire()
        times.append(clock.now)
        pacer.release()
    return times


def max_in_window(times: list[float], window: float) -> int:
    return max(bisect_left(times, t + window) - i for i, t in enumerate(times))


def test_events_budget_is_respected_in_every_window_and_nearly_used() -> None:
    clock = FakeClock()
    pacer = EndpointPacer(Budget(burst=350, steady=3500), clock=clock, sleep=clock.sleep)
    times = starts(pacer, clock, 3500 * 3)
    assert max_in_window(times, 60.0) <= 3500 * 0.98
    assert max_in_window(times, 1.0) <= 350 * 0.98
    per_minute = (len(times) - 1) / (times[-1] - times[0]) * 60
    assert per_minute >= 0.96 * 3500


def test_small_budget_metrics() -> None:
    clock = FakeClock()
    pacer = EndpointPacer(Budget(burst=10, steady=150), clock=clock, sleep=clock.sleep)
    times = starts(pacer, clock, 400)
    assert max_in_window(times, 60.0) <= 150
    assert max_in_window(times, 1.0) <= 10


def test_a_429_holds_every_worker_for_retry_after() -> None:
    clock = FakeClock()
    pacer = EndpointPacer(Budget(burst=350, steady=3500), clock=clock, sleep=clock.sleep)
    pacer.acquire()
    pacer.throttled(7.0)
    assert pacer.reserve() >= 7.0


def test_ratelimit_headers_adjust_the_plan() -> None:
    clock = FakeClock()
    pacer = EndpointPacer(Budget(burst=75, steady=750), clock=clock, sleep=clock.sleep)
    pacer.acquire()
    pacer.release({"RateLimit-Limit": "7500", "RateLimit-Remaining": "7000", "RateLimit-Reset": "30"})
    assert pacer.budget == Budget(burst=750, steady=7500)
    # somebody else used the quota: wait for the window to reset
    pacer.acquire()
    pacer.release({"RateLimit-Limit": "7500", "RateLimit-Remaining": "0", "RateLimit-Reset": "12"})
    assert pacer.reserve() >= 12.0
