"""Bounded retries with exponential backoff for whole sync attempts (Errored -> ... -> Failed).

The Klaviyo client already retries single requests (429, 5xx); this policy retries a whole run
that still failed with a `TransientError` (the network, Klaviyo after its retries, a warehouse
outage). Every other `SyncError` (a rejected API key, a missing scope, a bad setting, a misspelt
metric) and every bug fails at once: the type of the error, set where it is raised, decides.
"""

from __future__ import annotations

from dataclasses import dataclass

import dlt

from loader.errors import SyncError, chain, is_transient

CONFIG_SECTION = "klaviyo_sync.retry"


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` in all (1 = no retry); waits `backoff_seconds` * 2^n, at most `max_backoff_seconds`."""

    attempts: int = 3
    backoff_seconds: float = 60.0
    max_backoff_seconds: float = 900.0

    @classmethod
    def from_config(cls) -> RetryPolicy:
        """`[klaviyo_sync.retry] attempts / backoff_seconds / max_backoff_seconds` (dlt config or env,
        e.g. KLAVIYO_SYNC__RETRY__ATTEMPTS), else the defaults."""
        defaults = cls()
        values = {
            name: dlt.config.get(f"{CONFIG_SECTION}.{name}", float) for name in cls.__dataclass_fields__
        }
        attempts = values["attempts"]
        policy = cls(
            attempts=int(attempts) if attempts is not None else defaults.attempts,
            backoff_seconds=_pick(values["backoff_seconds"], defaults.backoff_seconds),
            max_backoff_seconds=_pick(values["max_backoff_seconds"], defaults.max_backoff_seconds),
        )
        if policy.attempts < 1 or policy.backoff_seconds < 0:
            raise SyncError(
                "retry settings out of range",
                f"config [{CONFIG_SECTION}] attempts / backoff_seconds",
                "use attempts >= 1 and backoff_seconds >= 0",
                code="config",
            )
        return policy

    def wait_before(self, attempt: int) -> float:
        """Seconds to wait before `attempt` (2, 3, ...)."""
        return min(self.max_backoff_seconds, self.backoff_seconds * 2 ** max(attempt - 2, 0))

    def will_retry(self, attempt: int, exc: BaseException) -> bool:
        return attempt < self.attempts and is_retryable(exc)


def is_retryable(exc: BaseException) -> bool:
    """The outermost `SyncError` of the chain decides (its type: `TransientError` or not); an
    exception of someone else's retries only if it is an outage (`loader.errors.is_transient`)."""
    causes = chain(exc)
    if any(isinstance(error, (KeyboardInterrupt, SystemExit)) for error in causes):
        return False
    ours = next((error for error in causes if isinstance(error, SyncError)), None)
    if ours is not None:
        return ours.retryable
    return any(is_transient(error) for error in causes)


def _pick(value: float | None, default: float) -> float:
    return float(value) if value is not None else default
