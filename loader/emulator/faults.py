"""Seeded fault injection: the same seed and request order give the same faults."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from loader.emulator.config import FaultConfig


@dataclass(frozen=True)
class FaultPlan:
    """What to do to one request: at most one of the kinds, plus a latency in seconds."""

    kind: str | None  # "429", "503", "drop", "truncate", "malformed" or None
    latency_s: float = 0.0


class FaultInjector:
    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()
        self._ordinal = 0

    def plan(self) -> FaultPlan:
        """The next request's fault; draws a fixed number of random numbers per request."""
        c = self.config
        with self._lock:
            self._ordinal += 1
            draw, jitter = self._rng.random(), self._rng.random()
            ordinal = self._ordinal
        latency = (c.latency_ms + jitter * c.latency_jitter_ms) / 1000.0
        if ordinal in c.malformed_pages:
            return FaultPlan("malformed", latency)
        edge = 0.0
        for kind, p in (("429", c.p429), ("503", c.p503), ("drop", c.p_drop), ("truncate", c.p_truncate)):
            edge += p
            if draw < edge:
                return FaultPlan(kind, latency)
        return FaultPlan(None, latency)
