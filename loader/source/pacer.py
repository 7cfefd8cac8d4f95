"""Pace requests to each endpoint's burst and steady budgets, shared by all worker threads.

Klaviyo limits every endpoint per account with two fixed windows: burst (1 s) and steady (1 min).
Hammering into 429s wastes the budget (an immediate retry always gets another 429), so each
endpoint gets one `EndpointPacer` that hands out start times to the worker threads.

Each window is a GCRA ("virtual scheduling") bucket: a request may start at `t` when
`t >= tat - tolerance`; it then moves `tat` on by one emission interval. A bucket with interval
`T` and room for `C` back-to-back requests admits at most `W / T + C` requests in any `W`
seconds, so we size `T` to keep every sliding (hence every fixed) window under the budget.
`RateLimit-*` headers of successful responses and `Retry-After` of 429s adjust the plan;
`RateLimit-Limit` may be a plain steady limit (`3500`) or IETF-draft quota policies
(`350, 350;w=1, 3500;w=60`), see `parse_ratelimit_limit`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from loader.source.settings import BUDGET_SAFETY, Budget

MAX_STEADY_ROOM = 20
# the steady window's room (requests it admits back to back) is at most this share of its budget: each
# one is a request less a minute in the plan (see _Bucket), and 20 would cost a 60/min budget a third;
# at 2% profiles (750/min) and predictive_analytics (150/min) keep 96% of their budget
STEADY_ROOM_SHARE = 0.02


class _Bucket:
    """One GCRA window: at most `limit * safety` requests in any `window` seconds."""

    def __init__(self, limit: int, window: float, room: int, safety: float) -> None:
        usable = max(1.0, limit * safety)
        self.room = max(1, min(room, int(usable // 2)))
        self.interval = window / max(1.0, usable - self.room)
        self.tat = 0.0

    def earliest(self, now: float) -> float:
        return max(now, self.tat - (self.room - 1) * self.interval)

    def take(self, start: float) -> None:
        self.tat = max(self.tat, start) + self.interval


class EndpointPacer:
    """Start times for one endpoint's requests; thread-safe."""

    def __init__(
        self,
        budget: Budget,
        *,
        safety: float = BUDGET_SAFETY,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.budget = budget
        self._safety = safety
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._hold_until = 0.0
        self._in_flight = 0
        self._configure(budget)

    def _configure(self, budget: Budget) -> None:
        self.budget = budget
        self._burst = _Bucket(budget.burst, 1.0, budget.burst, self._safety)
        room = min(MAX_STEADY_ROOM, int(budget.steady * STEADY_ROOM_SHARE))
        self._steady = _Bucket(budget.steady, 60.0, room, self._safety)

    def reserve(self) -> float:
        """Book the next start slot and return how long the caller must wait for it."""
        with self._lock:
            now = self._clock()
            start = max(self._hold_until, self._burst.earliest(now), self._steady.earliest(now))
            self._burst.take(start)
            self._steady.take(start)
            self._in_flight += 1
            return start - now

    def acquire(self) -> None:
        """Block until this thread may send its request."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)

    def release(self, headers: Mapping[str, str] | None = None) -> None:
        """The request finished; `headers` of a successful response adjust the plan."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            if headers:
                self._observe(headers)

    def throttled(self, retry_after: float) -> None:
        """A 429: nobody on this endpoint starts before `retry_after` seconds from now."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            self._hold_until = max(self._hold_until, self._clock() + retry_after)

    def _observe(self, headers: Mapping[str, str]) -> None:
        quotas = parse_ratelimit_limit(headers.get("RateLimit-Limit"))
        remaining = _leading_int(headers.get("RateLimit-Remaining"))
        reset = _leading_int(headers.get("RateLimit-Reset"))
        planned = self.budget
        # only a limit whose window we know changes the plan, raising or lowering it: the server
        # states what it applies to this account (a lower tier, a changed revision, a scaled emulator)
        steady = quotas.steady or planned.steady
        if quotas.burst:
            burst = quotas.burst
        elif quotas.steady:
            # the server names only its steady budget: the burst budget scales along with it
            burst = max(1, round(planned.burst * steady / planned.steady))
        else:
            burst = planned.burst
        if (burst, steady) != (planned.burst, planned.steady):
            tat = (self._burst.tat, self._steady.tat)
            self._configure(Budget(burst=burst, steady=steady))
            self._burst.tat, self._steady.tat = tat
        if remaining is not None and reset is not None and remaining <= self._in_flight:
            # someone else shares this account's quota: wait for the window to reset
            self._hold_until = max(self._hold_until, self._clock() + reset)


@dataclass(frozen=True)
class Quotas:
    """The limits a `RateLimit-Limit` header states for the windows the pacer plans (None: not stated)."""

    burst: int | None = None  # requests per 1 s window
    steady: int | None = None  # requests per 60 s window


_INT = re.compile(r"[0-9]{1,12}")
_WINDOWS = {1: "burst", 60: "steady"}


def parse_ratelimit_limit(value: str | None) -> Quotas:
    """Read `RateLimit-Limit` as a plain number or as IETF-draft quota policies.

    `3500` (a lone number, the emulator's plain form) is the steady (60 s) limit. Otherwise the
    comma-separated items are quota policies `N;w=SECONDS`; an item without a window (the draft's
    leading "current window" number) or with a window other than 1 or 60 s, and anything that does
    not parse, is ignored, so it can neither lower nor raise a budget. A window listed twice keeps
    its lower limit.
    """
    if not value:
        return Quotas()
    items = [item.strip() for item in value.split(",")]
    if len(items) == 1 and _INT.fullmatch(items[0]):
        return Quotas(steady=_positive(items[0]))
    found: dict[str, int] = {}
    for item in items:
        head, *params = (part.strip() for part in item.split(";"))
        limit = _positive(head) if _INT.fullmatch(head) else None
        windows = [p[2:].strip() for p in params if p[:2].lower() == "w="]
        if limit is None or len(windows) != 1 or not _INT.fullmatch(windows[0]):
            continue
        name = _WINDOWS.get(int(windows[0]))
        if name:
            found[name] = min(limit, found.get(name, limit))
    return Quotas(burst=found.get("burst"), steady=found.get("steady"))


def _positive(digits: str) -> int | None:
    number = int(digits)
    return number if number > 0 else None


def _leading_int(value: str | None) -> int | None:
    """`RateLimit-Remaining` / `-Reset`: the first (current window's) non-negative integer, else None."""
    if not value:
        return None
    head = value.split(",")[0].split(";")[0].strip()
    try:
        number = float(head)
        return int(number) if number >= 0 else None
    except (ValueError, OverflowError):  # garbage, "nan", "inf"
        return None


class Pacers:
    """One pacer per endpoint key, created on first use."""

    def __init__(self, budgets: Mapping[str, Budget], *, safety: float = BUDGET_SAFETY) -> None:
        self._budgets = dict(budgets)
        self._safety = safety
        self._pacers: dict[str, EndpointPacer] = {}
        self._lock = threading.Lock()

    def for_key(self, key: str) -> EndpointPacer:
        with self._lock:
            if key not in self._pacers:
                self._pacers[key] = EndpointPacer(self._budgets[key], safety=self._safety)
            return self._pacers[key]
