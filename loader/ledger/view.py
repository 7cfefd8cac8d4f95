"""What the Historical and Periodic tabs show, computed from the ledger rows (no I/O here).

A row is one account's object (`Unit`); rows are ordered by account, then object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from loader.ledger import statuses
from loader.ledger.records import ErrorRecord, ObjectControl, RunRecord, ScheduleRecord
from loader.sync_observer import DEFAULT_ACCOUNT, Unit

ERRORS_WINDOW = timedelta(hours=24)
# a scheduler whose announced run is this late is gone (killed): stop showing "Scheduled"
SCHEDULE_GRACE = timedelta(minutes=10)


@dataclass
class TabRow:
    """One account's object on a tab."""

    name: str
    status: str
    account: str = DEFAULT_ACCOUNT
    progress_pct: float | None = None
    run_id: str | None = None
    attempt: int | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    freshness_seconds: float | None = None
    complete_until: datetime | None = None
    last_run_at: datetime | None = None
    next_run_at: datetime | None = None

    @property
    def display_status(self) -> str:
        return statuses.display(self.status, self.progress_pct)

    @property
    def unit(self) -> Unit:
        return Unit(self.account, self.name)


@dataclass
class LedgerView:
    now: datetime
    runs: list[RunRecord]
    errors: list[ErrorRecord]
    controls: dict[Unit, ObjectControl]
    schedule: ScheduleRecord | None
    historical: list[TabRow] = field(default_factory=list)
    periodic: list[TabRow] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)  # every account the ledger knows, in order

    @property
    def several_accounts(self) -> bool:
        return len(self.accounts) > 1

    @property
    def connection(self) -> str:
        """Enabled unless every object the user controls is disabled in every account."""
        accounts = self.accounts or [DEFAULT_ACCOUNT]
        states = {self.account_connection(account) for account in accounts}
        return statuses.DISABLED if states == {statuses.DISABLED} else "Enabled"

    def account_connection(self, account: str) -> str:
        """One account's connection: Enabled unless every object the user controls that the account
        syncs (ran or was switched, per the ledger) is disabled."""
        known = {run.object for run in self.runs if run.account == account}
        known |= {unit.object for unit in self.controls if unit.account == account}
        objects = [o for o in statuses.CONTROLLED_OBJECTS if o in known]
        disabled = [o for o in objects if (c := self.controls.get(Unit(account, o))) and c.disabled]
        return statuses.DISABLED if objects and len(disabled) == len(objects) else "Enabled"

    def rows_of(self, tab: list[TabRow], account: str) -> list[TabRow]:
        return [row for row in tab if row.account == account]

    @property
    def recent_errors(self) -> list[ErrorRecord]:
        return errors_since(self.errors, self.now - ERRORS_WINDOW)

    @property
    def last_sync_at(self) -> datetime | None:
        ended = [r.ended_at for r in self.runs if r.status == statuses.COMPLETED and r.ended_at]
        return max(ended, default=None)

    @property
    def next_run_at(self) -> datetime | None:
        return active_schedule(self.schedule, self.now)


def build_view(
    runs: list[RunRecord],
    errors: list[ErrorRecord],
    controls: dict[Unit, ObjectControl],
    schedule: ScheduleRecord | None,
    now: datetime,
) -> LedgerView:
    view = LedgerView(now=now, runs=_newest_first(runs), errors=errors, controls=controls, schedule=schedule)
    units = _units(runs, controls)
    view.accounts = list(dict.fromkeys(unit.account for unit in units))
    for unit in units:
        own = [r for r in view.runs if r.unit == unit]
        historical = _historical_row(unit, own, controls.get(unit))
        if historical:
            view.historical.append(historical)
        periodic = _periodic_row(unit, own, controls.get(unit), view.next_run_at, now)
        if periodic:
            view.periodic.append(periodic)
    return view


def errors_since(errors: list[ErrorRecord], since: datetime) -> list[ErrorRecord]:
    return sorted((e for e in errors if e.occurred_at >= since), key=lambda e: e.occurred_at, reverse=True)


def active_schedule(schedule: ScheduleRecord | None, now: datetime) -> datetime | None:
    if schedule is None or schedule.state != "running" or schedule.next_run_at is None:
        return None
    return schedule.next_run_at if schedule.next_run_at + SCHEDULE_GRACE >= now else None


def freshness(runs: list[RunRecord], now: datetime) -> tuple[float | None, datetime | None]:
    """Seconds since the point up to which the warehouse is known complete, and that point."""
    points = [r.complete_until for r in runs if r.status == statuses.COMPLETED and r.complete_until]
    if not points:
        return None, None
    complete_until = max(points)
    return max(0.0, (now - complete_until).total_seconds()), complete_until


def _override(control: ObjectControl | None) -> str | None:
    if control and control.disabled:
        return statuses.DISABLED
    if control and control.paused:
        return statuses.PAUSED
    return None


def _historical_row(unit: Unit, runs: list[RunRecord], control: ObjectControl | None) -> TabRow | None:
    run = next((r for r in runs if r.kind == statuses.HISTORICAL), None)
    override = _override(control)
    if run is None:
        has_periodic = any(r.kind == statuses.PERIODIC for r in runs)
        return TabRow(unit.object, override, unit.account) if override and not has_periodic else None
    status = run.status if run.status == statuses.COMPLETED or not override else override
    return TabRow(
        unit.object, status, unit.account, progress_pct=run.progress_pct, run_id=run.run_id,
        attempt=run.attempt,
        started_at=run.started_at, ended_at=run.ended_at,
    )


def _periodic_row(
    unit: Unit, runs: list[RunRecord], control: ObjectControl | None, next_run: datetime | None, now: datetime
) -> TabRow | None:
    run = next((r for r in runs if r.kind == statuses.PERIODIC), None)
    done = any(r.status == statuses.COMPLETED for r in runs)
    override = _override(control)
    if run is None and not done:
        return None  # on the Periodic tab from the first completed sync on (it has a freshness)
    fresh, complete_until = freshness(runs, now)
    if override:
        status, next_run = override, None
    elif run is not None and run.status != statuses.COMPLETED:
        status = run.status
    else:
        status = statuses.SCHEDULED if next_run else statuses.COMPLETED
    return TabRow(
        unit.object, status, unit.account, progress_pct=run.progress_pct if run else None,
        run_id=run.run_id if run else None,
        attempt=run.attempt if run else None, started_at=run.started_at if run else None,
        ended_at=run.ended_at if run else None, freshness_seconds=fresh, complete_until=complete_until,
        last_run_at=runs[0].started_at if runs else None, next_run_at=next_run,
    )


def _newest_first(runs: list[RunRecord]) -> list[RunRecord]:
    return sorted(runs, key=lambda r: (r.started_at, r.attempt), reverse=True)


def _units(runs: list[RunRecord], controls: dict[Unit, ObjectControl]) -> list[Unit]:
    """By account ("default" first, then by name), then profiles, events, metrics, the rest by name."""
    present = {r.unit for r in runs} | set(controls)
    order = {obj: index for index, obj in enumerate(statuses.LEDGER_OBJECTS)}
    return sorted(present, key=lambda u: (u.account != DEFAULT_ACCOUNT, u.account,
                                          order.get(u.object, len(order)), u.object))
