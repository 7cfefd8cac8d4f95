"""Per-endpoint fixed-window rate limits (1 s burst, 60 s steady), like Klaviyo's per-account limits."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# bucket -> (burst per second, steady per minute), from the spec's x-klaviyo-ratelimit
LIMITS: dict[str, tuple[int, int]] = {
    "events": (350, 3500),
    "profiles": (75, 750),
    "profiles:predictive_analytics": (10, 150),
    "metrics": (10, 150),
    "accounts": (1, 15),  # GET /api/accounts
    "account": (1, 15),  # GET /api/accounts/{id}: its own operation, with the same tier
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0
    headers: tuple[tuple[str, str], ...] = ()


class RateLimiter:
    """Counts requests per bucket in fixed 1 s and 60 s windows; a refused request is not counted."""

    def __init__(self, scale: float = 1.0, clock: Callable[[], float] = time.time) -> None:
        self.scale = scale
        self.clock = clock
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int, int], int] = {}

    def limits(self, bucket: str) -> tuple[int, int]:
        burst, steady = LIMITS[bucket]
        return max(1, round(burst * self.scale)), max(1, round(steady * self.scale))

    def check(self, buckets: list[str]) -> Decision:
        """Admit the request into every bucket, or refuse it naming the longest wait (Retry-After)."""
        now = self.clock()
        second, minute = int(now), int(now // 60)
        with self._lock:
            wait = 0.0
            for bucket in buckets:
                burst, steady = self.limits(bucket)
                if self._counts.get((bucket, 1, second), 0) >= burst:
                    wait = max(wait, second + 1 - now)
                if self._counts.get((bucket, 60, minute), 0) >= steady:
                    wait = max(wait, (minute + 1) * 60 - now)
            if wait > 0:
                return Decision(False, max(1, math.ceil(wait)))
            for bucket in buckets:
                for window, index in ((1, second), (60, minute)):
                    key = (bucket, window, index)
                    self._counts[key] = self._counts.get(key, 0) + 1
            self._forget(second, minute)
            main = buckets[-1]
            _, steady = self.limits(main)
            used = self._counts[(main, 60, minute)]
            reset = max(0, math.ceil((minute + 1) * 60 - now))
            return Decision(True, 0, (("RateLimit-Limit", str(steady)),
                                      ("RateLimit-Remaining", str(max(0, steady - used))),
                                      ("RateLimit-Reset", str(reset))))

    def _forget(self, second: int, minute: int) -> None:
        if len(self._counts) > 64:
            self._counts = {k: v for k, v in self._counts.items()
                            if (k[1] == 1 and k[2] == second) or (k[1] == 60 and k[2] == minute)}
