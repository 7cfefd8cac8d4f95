"""Which rows the after-load `dbt build` tests: the rows loaded since the last build whose tests all
passed (an hourly run), or every row (the first build, a full refresh, once a day, or on request).

The package reads the choice from KLAVIYO_DBT_TESTS_SINCE (macros/changed_rows.sql): a UTC time, or
empty for every row. The time is when the last green build began, on this process's clock, the same
clock dlt stamps each load's `inserted_at` with (so `_loaded_at` of every row that build did not see
is later). A build that fails leaves it unchanged: the next run tests those rows again. The state is a
small JSON file in the dbt work directory, one entry per destination and dataset.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dlt

STATE_FILE = "data_tests_state.json"
TESTS_SINCE_ENV = "KLAVIYO_DBT_TESTS_SINCE"
FULL_TESTS_CONFIG_KEY = "klaviyo_sync.dbt_full_tests"  # true: every build tests every row
FULL_TESTS_EVERY_CONFIG_KEY = "klaviyo_sync.dbt_full_tests_every_hours"
DEFAULT_FULL_TESTS_EVERY = timedelta(hours=24)
_FORMAT = "%Y-%m-%d %H:%M:%S"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DataTestScope:
    """One build's data-test scope: `since` None means every row."""

    key: str
    started_at: datetime
    since: datetime | None
    reason: str

    @property
    def env_value(self) -> str:
        """KLAVIYO_DBT_TESTS_SINCE for this build ('' = every row); seconds rounded down."""
        return "" if self.since is None else self.since.strftime(_FORMAT)

    def describe(self) -> str:
        if self.since is None:
            return f"dbt data tests: every row ({self.reason})"
        return f"dbt data tests: rows loaded since {self.env_value} UTC ({self.reason})"


def full_tests_every() -> timedelta:
    """`[klaviyo_sync] dbt_full_tests_every_hours` (default 24)."""
    hours = dlt.config.get(FULL_TESTS_EVERY_CONFIG_KEY, float)
    return DEFAULT_FULL_TESTS_EVERY if hours is None else timedelta(hours=float(hours))


def full_tests_requested() -> bool:
    """`[klaviyo_sync] dbt_full_tests = true` (or KLAVIYO_SYNC__DBT_FULL_TESTS=true)."""
    return bool(dlt.config.get(FULL_TESTS_CONFIG_KEY, bool))


def _read_state(work_dir: Path) -> dict[str, Any]:
    path = work_dir / STATE_FILE
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        log.warning("unreadable %s: the next dbt build tests every row", path)
        return {}
    return state if isinstance(state, dict) else {}


def _parse(value: Any) -> datetime | None:
    try:
        return datetime.strptime(str(value), _FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def plan_tests(
    work_dir: Path, key: str, *, full: bool, every: timedelta, now: datetime | None = None
) -> DataTestScope:
    """The scope of the build starting `now`: every row when `full`, on the first build of `key`, or
    when the last build that tested every row is `every` or longer ago; else the rows loaded since the
    last green build began."""
    started = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    entry = _read_state(Path(work_dir)).get(key) or {}
    green, full_at = _parse(entry.get("green_build_started_at")), _parse(entry.get("full_tests_started_at"))
    if full:
        return DataTestScope(key, started, None, "requested")
    if green is None or full_at is None:
        return DataTestScope(key, started, None, "no earlier build whose tests passed")
    if started - full_at >= every:
        return DataTestScope(key, started, None, f"last full test run {full_at.strftime(_FORMAT)} UTC")
    next_full = (full_at + every).strftime(_FORMAT)
    return DataTestScope(key, started, min(green, started), f"every row again after {next_full} UTC")


def record_tests(work_dir: Path, scope: DataTestScope, success: bool) -> None:
    """After the build: a green one moves the start of the next scope to its own start."""
    if not success:
        return
    work_dir = Path(work_dir)
    state = _read_state(work_dir)
    entry = dict(state.get(scope.key) or {})
    entry["green_build_started_at"] = scope.started_at.strftime(_FORMAT)
    if scope.since is None:
        entry["full_tests_started_at"] = scope.started_at.strftime(_FORMAT)
    state[scope.key] = entry
    path = work_dir / STATE_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, indent=2, sort_keys=True))
    temporary.replace(path)
