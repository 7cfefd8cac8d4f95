"""`klaviyo-sync schedule`: one periodic sync at a time, every `every` (hourly by default).

The next run is announced in the ledger (the Periodic tab shows it as Scheduled). A run that fails
is retried by the retry policy; once it is Failed the scheduler still tries again at the next slot.
`stop` (set by SIGTERM/SIGINT) ends the wait at once, or lets a running sync finish first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from loader.errors import SyncError
from loader.ledger.records import ScheduleRecord, utc_now
from loader.ledger.store import LedgerStore
from loader.ops.lock import LockBusy
from loader.ops.retry_policy import RetryPolicy
from loader.ops.run_entry import unit_label
from loader.ops.runner import OpsResult, run_guarded

SCHEDULER_ID = "default"
Echo = Callable[[str], None]


class Scheduler:
    def __init__(
        self,
        settings: Any,
        every: timedelta,
        *,
        policy: RetryPolicy | None = None,
        echo: Echo = print,
        clock: Callable[[], datetime] = utc_now,
        after_load: Callable[[], Any] | None = None,
    ) -> None:
        if every.total_seconds() <= 0:
            raise SyncError("the interval must be positive", "--every", "use e.g. --every 1h")
        self.settings = settings
        self.every = every
        self.policy = policy or RetryPolicy.from_config()
        self.echo = echo
        self.clock = clock
        self.after_load = after_load  # e.g. the dbt build, after each run that loaded data
        self.store = LedgerStore.open(settings.destination, settings.pipelines_dir)
        self.runs = 0

    def run_forever(self, stop: threading.Event, max_runs: int | None = None) -> int:
        """Loop until `stop` is set (or `max_runs` syncs were started); returns the runs started."""
        next_at = self.clock()
        try:
            while not stop.is_set() and (max_runs is None or self.runs < max_runs):
                self._announce(next_at)
                if stop.wait(max(0.0, (next_at - self.clock()).total_seconds())):
                    break
                started = self.clock()
                self._run_once(stop)
                next_at = _next_slot(started, self.every, self.clock())
        finally:
            self.store.write([self._record("stopped", None)])
            self.echo("scheduler stopped")
        return self.runs

    def _run_once(self, stop: threading.Event) -> OpsResult | None:
        self.runs += 1
        try:
            outcome = run_guarded(
                self.settings, trigger="scheduler", policy=self.policy, stop=stop,
                on_retry=lambda n, exc, wait: self.echo(f"attempt {n} errored; retrying in {wait:g}s"),
            )
        except LockBusy as exc:
            self.echo(f"skipped this slot: {exc}")
            return None
        except Exception as exc:  # noqa: BLE001 - recorded as Failed in the ledger; keep scheduling
            self.echo(f"sync failed (recorded in the ledger; next slot continues): {exc}")
            return None
        several = len(self.settings.accounts) > 1
        for unit, why in outcome.skipped.items():
            self.echo(f"skipped {unit_label(unit, several)}: {why}")
        if outcome.objects:
            names = ", ".join(unit_label(unit, several) for unit in outcome.objects)
            self.echo(f"synced {names} in {outcome.attempts} attempt(s)")
        for account in outcome.failed_accounts:
            self.echo(f"account {account} failed (recorded in the ledger; next slot continues)")
        if outcome.objects and self.after_load is not None:
            try:
                self.after_load()
            except Exception as exc:  # noqa: BLE001 - the load is committed; keep scheduling
                self.echo(f"dbt build failed (the load is committed; next slot builds again): {exc}")
        return outcome

    def _announce(self, next_at: datetime) -> None:
        self.store.write([self._record("running", next_at)])
        self.echo(f"next run scheduled at {next_at:%Y-%m-%d %H:%M:%S} UTC")

    def _record(self, state: str, next_at: datetime | None) -> ScheduleRecord:
        return ScheduleRecord(
            scheduler_id=SCHEDULER_ID, every_seconds=self.every.total_seconds(), state=state,
            next_run_at=next_at, updated_at=self.clock(),
        )


def _next_slot(started: datetime, every: timedelta, now: datetime) -> datetime:
    """The first slot after `now` on the grid started + k * every (a long run skips missed slots)."""
    slot = started + every
    while slot <= now:
        slot += every
    return slot
