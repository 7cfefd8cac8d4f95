"""Fixed-window burst/steady limits per endpoint: 429 + Retry-After, RateLimit-* headers, scale factor."""

from __future__ import annotations

import pytest
import requests

from loader.emulator.config import EmulatorConfig
from loader.emulator.ratelimit import RateLimiter
from loader.emulator.routes import BUCKETS, LIMITS
from loader.source.pacer import Quotas, parse_ratelimit_limit
from tests.emulator.helpers import error_of, get, wait_until

METRICS = BUCKETS["metrics"]


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_burst_window_refuses_then_resets_next_second():
    clock = FakeClock(6000.25)
    limiter = RateLimiter(1.0, clock)
    assert all(limiter.check([METRICS]).allowed for _ in range(10))
    refused = limiter.check([METRICS])
    assert not refused.allowed and refused.retry_after == 1
    clock.now = 6001.0
    assert limiter.check([METRICS]).allowed


def test_steady_window_refuses_until_the_minute_ends_and_headers_describe_it():
    clock = FakeClock(6000.0)  # minute 100 starts at 6000 s
    limiter = RateLimiter(1.0, clock)
    for i in range(150):
        clock.now = 6000.0 + i * 0.2  # 5/s: under the burst limit
        decision = limiter.check([METRICS])
        assert decision.allowed
        headers = dict(decision.headers)
        assert headers["RateLimit-Limit"] == "150"
        assert headers["RateLimit-Remaining"] == str(149 - i)
        assert int(headers["RateLimit-Reset"]) == -(-(6060 - clock.now) // 1)
    clock.now = 6030.5
    refused = limiter.check([METRICS])
    assert not refused.allowed and refused.retry_after == 30
    clock.now = 6060.0
    assert limiter.check([METRICS]).allowed


def test_scale_factor_and_predictive_analytics_bucket():
    clock = FakeClock(100.0)
    limiter = RateLimiter(0.5, clock)
    assert limiter.limits(BUCKETS["events"]) == (175, 1750)
    assert limiter.limits(BUCKETS["profiles"]) == (38, 375)
    both = [BUCKETS["profiles"], BUCKETS["profiles:predictive_analytics"]]
    assert sum(limiter.check(both).allowed for _ in range(20)) == 5
    assert limiter.check([BUCKETS["profiles"]]).allowed  # the plain profiles bucket still has room
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


def test_ietf_header_form_lists_both_windows_and_leads_with_the_closest():
    clock = FakeClock(6000.25)  # minute 100 starts at 6000 s
    limiter = RateLimiter(1.0, clock, header_form="ietf")
    headers = dict(limiter.check([METRICS]).headers)
    # burst: 9 of 10 left this second, steady: 149 of 150 this minute -> the burst window is closest
    assert headers == {"RateLimit-Limit": "10, 10;w=1, 150;w=60", "RateLimit-Remaining": "9",
                       "RateLimit-Reset": "1"}
    assert parse_ratelimit_limit(headers["RateLimit-Limit"]) == Quotas(burst=10, steady=150)
    for i in range(1, 145):
        clock.now = 6000.25 + i * 0.2  # 5/s: under the burst limit
        assert limiter.check([METRICS]).allowed
    clock.now = 6030.0  # a new second: 10 left in it, 150 - 146 = 4 left this minute
    headers = dict(limiter.check([METRICS]).headers)
    assert headers == {"RateLimit-Limit": "150, 10;w=1, 150;w=60", "RateLimit-Remaining": "4",
                       "RateLimit-Reset": "30"}


def test_plain_header_form_is_the_default_and_unknown_forms_are_refused():
    assert RateLimiter().header_form == "plain" and EmulatorConfig().ratelimit_header_form == "plain"
    plain = RateLimiter(1.0, FakeClock(6000.0)).check([BUCKETS["events"]])
    assert dict(plain.headers)["RateLimit-Limit"] == "3500"
    with pytest.raises(ValueError, match="ratelimit_header_form"):
        EmulatorConfig(ratelimit_header_form="rfc")
    with pytest.raises(ValueError, match="header_form"):
        RateLimiter(header_form="rfc")


@pytest.mark.parametrize(("form", "limit"), [("plain", "45"), ("ietf", "3;w=1, 45;w=60")])
def test_http_headers_in_each_form(make_emulator, form, limit):
    emu = make_emulator(rate_limit_scale=0.3, ratelimit_header_form=form)  # metrics: 3/s, 45/min
    with requests.Session() as s:
        ok = get(emu, "metrics", s)
    assert ok.status_code == 200
    assert ok.headers["RateLimit-Limit"].endswith(limit)
    assert parse_ratelimit_limit(ok.headers["RateLimit-Limit"]) == (
        Quotas(steady=45) if form == "plain" else Quotas(burst=3, steady=45))
    assert 0 <= int(ok.headers["RateLimit-Remaining"]) < 45
    assert 0 <= int(ok.headers["RateLimit-Reset"]) <= 60


def test_cli_passes_the_header_form(monkeypatch):
    from click.testing import CliRunner

    import loader.emulator.runner as runner
    from loader.cli.app import main

    seen = []
    monkeypatch.setattr(runner, "run_foreground", lambda config, *a, **k: seen.append(config))
    assert CliRunner().invoke(main, ["emulator", "--ratelimit-header-form", "ietf"]).exit_code == 0
    assert CliRunner().invoke(main, ["emulator"]).exit_code == 0
    assert [c.ratelimit_header_form for c in seen] == ["ietf", "plain"]
    assert CliRunner().invoke(main, ["emulator", "--ratelimit-header-form", "rfc"]).exit_code == 2
