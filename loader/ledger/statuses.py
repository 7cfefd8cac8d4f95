"""The sync statuses, worded exactly as Klaviyo's dashboard, and the kinds of sync."""

from __future__ import annotations

COMPLETED = "Completed"
SCHEDULED = "Scheduled"
IN_PROGRESS = "In progress"
ERRORED = "Errored"
FAILED = "Failed"
PAUSED = "Paused"
DISABLED = "Disabled"
STATUSES = (COMPLETED, SCHEDULED, IN_PROGRESS, ERRORED, FAILED, PAUSED, DISABLED)

HISTORICAL = "historical"
PERIODIC = "periodic"
KINDS = (HISTORICAL, PERIODIC)

# The objects a run reports on (metrics are read with events; campaigns include campaign_messages,
# flows their actions and messages, events their attributions, lists and segments their members),
# and those a user controls (pause, disable; an account whose controlled objects, of those it syncs,
# are all disabled is Disabled).
LEDGER_OBJECTS = ("profiles", "events", "campaigns", "flows", "lists", "segments", "metrics")
CONTROLLED_OBJECTS = ("profiles", "events", "campaigns", "flows", "lists", "segments")

# What a crashed run (its process killed) is recorded as on the next start.
INTERRUPTED_CODE = "interrupted"


def display(status: str, progress_pct: float | None = None) -> str:
    """`In progress (42%)` while running; every other status as is."""
    if status == IN_PROGRESS and progress_pct is not None:
        return f"{IN_PROGRESS} ({progress_pct:.0f}%)"
    return status
