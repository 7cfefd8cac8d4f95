"""What `klaviyo-sync run` calls: the loader under the ops rules, with one line per decision."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from loader.ops.runner import OpsResult, run_guarded
from loader.secrets import redact
from loader.sync_observer import DEFAULT_ACCOUNT, Unit

Echo = Callable[[str], None]


def unit_label(unit: Unit, several: bool) -> str:
    """`events` for the lone default account, `acme/events` when there are several."""
    return f"{unit.account}/{unit.object}" if several or unit.account != DEFAULT_ACCOUNT else unit.object


def control_command(verb: str, unit: Unit, several: bool) -> str:
    account = f" --account {unit.account}" if several or unit.account != DEFAULT_ACCOUNT else ""
    return f"klaviyo-sync {verb} {unit.object}{account}"


def guarded_run(settings: Any, *, observer: Any = None, echo: Echo = print) -> OpsResult | None:
    """Run the sync; returns the `OpsResult` (`.objects` loaded, `.failed` not loaded, per unit),
    or None when every unit was skipped (paused or disabled). Raises when nothing loaded at all."""
    secrets = list(settings.secrets)
    several = len(settings.accounts) > 1

    def on_retry(n: int, exc: BaseException, wait: float) -> None:
        echo(redact(f"attempt {n} errored ({exc}); retrying in {wait:g}s", secrets))

    outcome = run_guarded(settings, observer=observer, on_retry=on_retry)
    for run in outcome.recovered:
        echo(f"recorded interrupted run {run.run_id} ({unit_label(run.unit, several)}) as Errored")
    for unit, why in outcome.skipped.items():
        verb = "resume" if why == "Paused" else "enable"
        echo(f"{unit_label(unit, several)}: skipped ({why}) - run `{control_command(verb, unit, several)}` "
             "to sync it again")
    for account in outcome.failed_accounts:
        units = [u for u in outcome.failed if u.account == account]
        names = ", ".join(u.object for u in units)
        echo(redact(f"account {account}: {names} not loaded ({outcome.failed[units[0]]})", secrets))
    return outcome if outcome.ran else None
