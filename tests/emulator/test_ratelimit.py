"""Fixed-window burst/steady limits per endpoint: 429 + Retry-After, RateLimit-* headers, scale factor."""

from __future__ import annotations

import requests

from loader.emulator.ratelimit import LIMITS, RateLimiter
from tests.emulator.helpers import error_of, get, wait_until


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_burst_window_refuses_then_resets_next_second():
    clock = FakeClock(6000.25)
    limiter = RateLimiter(1.0, clock)
    assert all(limiter.check(["metrics"]).allowed for _ in range(10))
    refused = limiter.check(["metrics"])
    assert not refused.allowed and refused.retry_after == 1
    clock.now = 6001.0
    assert limiter.check(["metrics"]).allowed


def test_steady_window_refuses_until_the_minute_ends_and_headers_describe_it():
    clock = FakeClock(6000.0)  # minute 100 starts at 6000 s
    limiter = RateLimiter(1.0, clock)
    for i in range(150):
        clock.now = 6000.0 + i * 0.2  # 5/s: under the burst limit
        decision = limiter.check(["metrics"])
        assert decision.allowed
        headers = dict(decision.headers)
        assert headers["RateLimit-Limit"] == "150"
        assert headers["RateLimit-Remaining"] == str(149 - i)
        assert int(headers["RateLimit-Reset"]) == -(-(6060 - clock.now) // 1)
    clock.now = 6030.5
    refused = limiter.check(["metrics"])
    assert not refused.allowed and refused.retry_after == 30
    clock.now = 6060.0
    assert limiter.check(["metrics"]).allowed


def test_scale_factor_and_predictive_analytics_bucket():
    clock = FakeClock(100.0)
    limiter = RateLimiter(0.5, clock)
    assert limiter.limits("events") == (175, 1750)
    assert limiter.limits("profiles") == (38, 375)
    both = ["profiles", "profiles:predictive_analytics"]
    assert sum(limiter.check(both).allowed for _ in range(20)) == 5
    assert limiter.check(["profiles"]).allowed  # the plain profiles bucket still has room
    assert LIMITS["events"] == (350, 3500) and LIMITS["profiles:predictive_analytics"] == (10, 150)


def test_http_429_with_retry_after_then_recovers(make_emulator):
    emu = make_emulator(rate_limit_scale=0.3)  # metrics: 3/s burst, 45/min steady
    with requests.Session() as s:
        ok = get(emu, "metrics", s)
        assert ok.status_code == 200
        assert ok.headers["RateLimit-Limit"] == "45"
        assert 0 <= int(ok.headers["RateLimit-Remaining"]) < 45
        assert 0 <= int(ok.headers["RateLimit-Reset"]) <= 60
        # a Response with an error status is falsy, so wrap it
        throttled = wait_until(lambda: (r := get(emu, "metrics", s)).status_code == 429 and [r], timeout=5)[0]
        error = error_of(throttled)
        assert error["code"] == "throttled" and "Expected available in" in error["detail"]
        assert int(throttled.headers["Retry-After"]) >= 1
        assert "RateLimit-Limit" not in throttled.headers
        wait_until(lambda: get(emu, "metrics", s).status_code == 200, timeout=5)
    assert emu.emulator.stats.throttled["metrics"] >= 1


def test_http_predictive_analytics_has_its_own_stricter_bucket(make_emulator):
    emu = make_emulator(rate_limit_scale=0.3)  # predictive: 3/s; profiles: 22/s
    params = {"additional-fields[profile]": "predictive_analytics"}
    with requests.Session() as s:
        wait_until(lambda: get(emu, "profiles", s, **params).status_code == 429, timeout=5)
        assert get(emu, "profiles", s).status_code == 200


def test_no_rate_limits_when_disabled(make_emulator):
    emu = make_emulator(rate_limits=False, rate_limit_scale=0.01)
    with requests.Session() as s:
        statuses = {get(emu, "metrics", s).status_code for _ in range(30)}
    assert statuses == {200}
