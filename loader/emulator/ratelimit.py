"""Fixed-window rate limits (1 s burst, 60 s steady) per bucket, like Klaviyo's per-account limits.

Each operation declares its bucket (name and limits, from the spec's x-klaviyo-ratelimit) in its endpoint
module; the limiter only counts, per bucket name, within one account.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from loader.emulator.config import RATELIMIT_HEADER_FORMS


@dataclass(frozen=True)
class Bucket:
    """A budget of `burst` requests per second and `steady` per minute, counted under `name`."""

    name: str
    burst: int
    steady: int


# How successful responses state the limit. "plain": `RateLimit-Limit: 3500` with Remaining/Reset of the
# steady window. "ietf" (the IETF RateLimit header draft's quota policies): `RateLimit-Limit: 350,
# 350;w=1, 3500;w=60`, the leading number, Remaining and Reset being those of the window with the
# fewest requests left (the steady one on a tie).
HEADER_FORMS = RATELIMIT_HEADER_FORMS


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0
    headers: tuple[tuple[str, str], ...] = ()


class RateLimiter:
    """Counts requests per bucket in fixed 1 s and 60 s windows; a refused request is not counted."""

    def __init__(self, scale: float = 1.0, clock: Callable[[], float] = time.time,
                 header_form: str = "plain") -> None:
        if header_form not in HEADER_FORMS:
            raise ValueError(f"header_form must be one of {HEADER_FORMS}, got {header_form!r}")
        self.scale = scale
        self.clock = clock
        self.header_form = header_form
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int, int], int] = {}

    def limits(self, bucket: Bucket) -> tuple[int, int]:
        """(burst, steady) of the bucket, scaled."""
        return max(1, round(bucket.burst * self.scale)), max(1, round(bucket.steady * self.scale))

    def check(self, buckets: Sequence[Bucket]) -> Decision:
        """Admit the request into every bucket, or refuse it naming the longest wait (Retry-After); the
        RateLimit-* headers describe the last bucket."""
        now = self.clock()
        second, minute = int(now), int(now // 60)
        with self._lock:
            wait = 0.0
            for bucket in buckets:
                burst, steady = self.limits(bucket)
                if self._counts.get((bucket.name, 1, second), 0) >= burst:
                    wait = max(wait, second + 1 - now)
                if self._counts.get((bucket.name, 60, minute), 0) >= steady:
                    wait = max(wait, (minute + 1) * 60 - now)
            if wait > 0:
                return Decision(False, max(1, math.ceil(wait)))
            for bucket in buckets:
                for window, index in ((1, second), (60, minute)):
                    key = (bucket.name, window, index)
                    self._counts[key] = self._counts.get(key, 0) + 1
            self._forget(second, minute)
            main = buckets[-1]
            burst, steady = self.limits(main)
            left_steady = max(0, steady - self._counts[(main.name, 60, minute)])
            reset_steady = max(0, math.ceil((minute + 1) * 60 - now))
            if self.header_form == "plain":
                return Decision(True, 0, _headers(str(steady), left_steady, reset_steady))
            left_burst = max(0, burst - self._counts[(main.name, 1, second)])
            reset_burst = max(0, math.ceil(second + 1 - now))
            closest, left, reset = ((burst, left_burst, reset_burst) if left_burst < left_steady
                                    else (steady, left_steady, reset_steady))
            return Decision(True, 0, _headers(f"{closest}, {burst};w=1, {steady};w=60", left, reset))

    def _forget(self, second: int, minute: int) -> None:
        if len(self._counts) > 64:
            self._counts = {k: v for k, v in self._counts.items()
                            if (k[1] == 1 and k[2] == second) or (k[1] == 60 and k[2] == minute)}


def _headers(limit: str, remaining: int, reset: int) -> tuple[tuple[str, str], ...]:
    return (("RateLimit-Limit", limit), ("RateLimit-Remaining", str(remaining)),
            ("RateLimit-Reset", str(reset)))
