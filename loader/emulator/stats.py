"""Request counters of a running emulator (thread-safe)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started = time.monotonic()
        self.requests = 0
        self.pages = 0
        self.rows: Counter[str] = Counter()
        self.pages_by_endpoint: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()  # 429s from the rate limiter, by endpoint
        self.faults: Counter[str] = Counter()  # injected faults by kind ("429", "503", "drop", ...)
        self.statuses: Counter[int] = Counter()

    def count_request(self) -> None:
        with self._lock:
            self.requests += 1

    def count_page(self, endpoint: str, rows: int) -> None:
        with self._lock:
            self.pages += 1
            self.pages_by_endpoint[endpoint] += 1
            self.rows[endpoint] += rows
            self.statuses[200] += 1

    def count_throttled(self, endpoint: str) -> None:
        with self._lock:
            self.throttled[endpoint] += 1

    def count_fault(self, kind: str) -> None:
        with self._lock:
            self.faults[kind] += 1

    def count_status(self, status: int) -> None:
        with self._lock:
            self.statuses[status] += 1

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            elapsed = max(time.monotonic() - self.started, 1e-9)
            return {
                "requests": self.requests,
                "pages": self.pages,
                "pages_per_s": round(self.pages / elapsed, 1),
                "rows": dict(self.rows),
                "pages_by_endpoint": dict(self.pages_by_endpoint),
                "throttled": dict(self.throttled),
                "faults": dict(self.faults),
                "statuses": {str(k): v for k, v in self.statuses.items()},
            }
