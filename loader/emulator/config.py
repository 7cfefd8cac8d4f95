"""Configuration of the Klaviyo API emulator: dataset size, credentials, rate limits and faults."""

from __future__ import annotations

from dataclasses import dataclass, field

ALL_SCOPES: tuple[str, ...] = ("metrics:read", "profiles:read", "events:read")
MAX_METRICS = 20  # the size of catalog.METRICS


@dataclass(frozen=True)
class FaultConfig:
    """Seeded fault injection on `/api/*` requests (probabilities per request, 0 = never).

    `malformed_pages` lists 1-based ordinals of `/api/*` requests (counted since the faults were set)
    answered with a 200 whose body is not valid JSON. `retry_after_s` is the Retry-After of injected 429s.
    """

    seed: int = 7
    p429: float = 0.0
    p503: float = 0.0
    p_drop: float = 0.0
    p_truncate: float = 0.0
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    malformed_pages: tuple[int, ...] = ()
    retry_after_s: int = 1

    def __post_init__(self) -> None:
        for name in ("p429", "p503", "p_drop", "p_truncate"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(f"FaultConfig.{name} must be a probability in [0, 1], got {value!r}")
        if sum(getattr(self, n) for n in ("p429", "p503", "p_drop", "p_truncate")) > 1.0:
            raise ValueError("FaultConfig probabilities must add up to at most 1")
        if self.latency_ms < 0 or self.latency_jitter_ms < 0 or self.retry_after_s < 0:
            raise ValueError("FaultConfig latencies and retry_after_s must not be negative")

    def any_enabled(self) -> bool:
        return bool(
            self.p429 or self.p503 or self.p_drop or self.p_truncate or self.latency_ms
            or self.latency_jitter_ms or self.malformed_pages
        )


@dataclass(frozen=True)
class EmulatorConfig:
    """What the emulator serves. `Emulator(config)` builds the dataset anchored at the current UTC time."""

    seed: int = 1
    profiles: int = 500
    events: int = 5000
    metrics: int = 12
    history_days: int = 400
    future_events: int = 5
    api_key: str = "pk_emulator_test_key_0000000000000000"
    scopes: tuple[str, ...] = ALL_SCOPES
    rate_limits: bool = True
    rate_limit_scale: float = 1.0
    faults: FaultConfig = field(default_factory=FaultConfig)
    revision: str = "2026-07-15"

    def __post_init__(self) -> None:
        checks = (
            ("profiles", self.profiles >= 1, "at least 1"),
            ("events", self.events >= 0, "not negative"),
            ("metrics", 1 <= self.metrics <= MAX_METRICS, f"between 1 and {MAX_METRICS}"),
            ("history_days", self.history_days >= 1, "at least 1"),
            ("future_events", self.future_events >= 0, "not negative"),
            ("rate_limit_scale", self.rate_limit_scale > 0, "greater than 0"),
            ("api_key", bool(self.api_key.strip()), "not empty"),
        )
        for name, ok, rule in checks:
            if not ok:
                raise ValueError(f"EmulatorConfig.{name} must be {rule}, got {getattr(self, name)!r}")
