"""What `klaviyo-sync run` calls: the loader under the ops rules, with one line per decision."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from loader.ops.runner import run_guarded

Echo = Callable[[str], None]


def guarded_run(settings: Any, *, observer: Any = None, echo: Echo = print) -> Any:
    """Run the sync; returns the loader's `SyncResult`, or None when every object was skipped."""
    outcome = run_guarded(
        settings,
        observer=observer,
        on_retry=lambda n, exc, wait: echo(f"attempt {n} errored ({exc}); retrying in {wait:g}s"),
    )
    for run in outcome.recovered:
        echo(f"recorded interrupted run {run.run_id} ({run.object}) as Errored")
    for obj, why in outcome.skipped.items():
        verb = "resume" if why == "Paused" else "enable"
        echo(f"{obj}: skipped ({why}) - run `klaviyo-sync {verb} {obj}` to sync it again")
    return outcome.result
