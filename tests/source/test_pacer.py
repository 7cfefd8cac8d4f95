"""The per-endpoint pacer: never over a burst or steady window, yet close to the budget."""

from __future__ import annotations

from bisect import bisect_left

import pytest

from loader.source.pacer import EndpointPacer, Quotas, parse_ratelimit_limit
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


@pytest.mark.parametrize(("value", "expected"), [
    ("3500", Quotas(steady=3500)),  # the plain form: the steady window
    (" 3500 ", Quotas(steady=3500)),
    ("350, 350;w=1, 3500;w=60", Quotas(burst=350, steady=3500)),
    ("3500;w=60", Quotas(steady=3500)),
    ("350;w=1", Quotas(burst=350)),
    ("350;W=1 , 3500; w=60", Quotas(burst=350, steady=3500)),
    ("100, 100;w=1, 90;w=1", Quotas(burst=90)),  # a window listed twice: the lower limit
    ("350, 3500;w=60;comment=x", Quotas(steady=3500)),
    ("350, 350;w=10, 20000;w=3600", Quotas()),  # windows the pacer does not plan
    ("350", Quotas(steady=350)),
    ("350, 3500", Quotas()),  # plain numbers among several: windows unknown
    ("3500;q=1", Quotas()),
    ("garbage", Quotas()),
    ("3500;w=abc, x;w=60, ;w=1, 0;w=60, -5;w=1, 3.5;w=60, inf;w=60, 1;w=1;w=60", Quotas()),
    ("inf", Quotas()),
    ("nan", Quotas()),
    ("", Quotas()),
    (None, Quotas()),
])
def test_parse_ratelimit_limit(value: str | None, expected: Quotas) -> None:
    assert parse_ratelimit_limit(value) == expected


def replanned(limit: str) -> Budget:
    clock = FakeClock()
    pacer = EndpointPacer(Budget(burst=350, steady=3500), clock=clock, sleep=clock.sleep)
    pacer.acquire()
    pacer.release({"RateLimit-Limit": limit, "RateLimit-Remaining": "3000", "RateLimit-Reset": "30"})
    return pacer.budget


@pytest.mark.parametrize(("limit", "expected"), [
    ("3500", Budget(burst=350, steady=3500)),
    ("350, 350;w=1, 3500;w=60", Budget(burst=350, steady=3500)),
    ("3500;w=60", Budget(burst=350, steady=3500)),
    ("100, 100;w=1, 3500;w=60", Budget(burst=100, steady=3500)),  # the burst window on its own
    ("100;w=1", Budget(burst=100, steady=3500)),  # burst only: the steady plan stays
    ("1750;w=60", Budget(burst=175, steady=1750)),  # a lower steady limit with its window lowers it
    ("1750", Budget(burst=175, steady=1750)),
    ("35, 35;w=1, 700;w=60", Budget(burst=35, steady=700)),
    ("7000, 700;w=1, 7000;w=60", Budget(burst=700, steady=7000)),
    ("garbage", Budget(burst=350, steady=3500)),
    ("3500;w=nope, 1;w=", Budget(burst=350, steady=3500)),
    ("350, 350", Budget(burst=350, steady=3500)),  # unknown windows never lower it
    ("10, 10;w=10, 20;w=3600", Budget(burst=350, steady=3500)),
])
def test_ratelimit_limit_replans_only_from_known_windows(limit: str, expected: Budget) -> None:
    assert replanned(limit) == expected


def test_ietf_policies_keep_events_at_the_steady_budget_not_the_burst() -> None:
    """The loader used to read `350, 350;w=1, 3500;w=60` as 350 a minute."""
    clock = FakeClock()
    pacer = EndpointPacer(Budget(burst=350, steady=3500), clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(3500 * 2):
        pacer.acquire()
        times.append(clock.now)
        pacer.release({"RateLimit-Limit": "350, 350;w=1, 3500;w=60", "RateLimit-Remaining": "340",
                       "RateLimit-Reset": "1"})
    per_minute = (len(times) - 1) / (times[-1] - times[0]) * 60
    assert per_minute >= 0.96 * 3500
    assert max_in_window(times, 60.0) <= 3500 * 0.98


def test_a_lowered_steady_limit_slows_the_next_minute() -> None:
    clock = FakeClock()
    pacer = EndpointPacer(Budget(burst=350, steady=3500), clock=clock, sleep=clock.sleep)
    pacer.acquire()
    pacer.release({"RateLimit-Limit": "150;w=60"})
    times = starts(pacer, clock, 400)
    assert max_in_window(times, 60.0) <= 150


@pytest.mark.parametrize("budget", [Budget(burst=75, steady=750), Budget(burst=10, steady=150),
                                    Budget(burst=3, steady=60)])
def test_small_steady_budgets_are_nearly_used(budget: Budget) -> None:
    """The steady room is a share of the budget: a fixed 20 left predictive_analytics 127 of 150 a minute."""
    clock = FakeClock()
    pacer = EndpointPacer(budget, clock=clock, sleep=clock.sleep)
    times = starts(pacer, clock, budget.steady * 5)
    assert max_in_window(times, 60.0) <= budget.steady * 0.98
    assert max_in_window(times, 1.0) <= budget.burst
    steady = times[budget.steady:]  # past the first minute's room
    per_minute = (len(steady) - 1) / (steady[-1] - steady[0]) * 60
    assert per_minute >= 0.95 * budget.steady
