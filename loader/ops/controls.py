"""Pause / resume / enable / disable: the user's switches per account and object, in the ledger."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from loader.errors import SyncError
from loader.ledger import statuses
from loader.ledger.records import ObjectControl, utc_now
from loader.ledger.store import LedgerStore
from loader.sync_observer import DEFAULT_ACCOUNT, Unit

ACTIONS: dict[str, dict[str, bool]] = {
    "pause": {"paused": True},
    "resume": {"paused": False},
    "disable": {"disabled": True},
    "enable": {"disabled": False},
}


def set_control(
    store: LedgerStore, action: str, objects: Iterable[str], accounts: Sequence[str] = (DEFAULT_ACCOUNT,)
) -> list[ObjectControl]:
    """Apply `action` to each object of each account and persist it (one write); returns the new
    switches, account by account."""
    if action not in ACTIONS:
        raise SyncError(f"unknown action {action!r}", "klaviyo-sync", f"use one of: {', '.join(ACTIONS)}",
                        code="config")
    change = ACTIONS[action]
    objects = list(objects)
    for obj in objects:
        if obj not in statuses.CONTROLLED_OBJECTS:
            raise SyncError(
                f"unknown object {obj!r}", f"klaviyo-sync {action}",
                f"use one of: {', '.join(statuses.CONTROLLED_OBJECTS)}", code="config",
            )
    current = store.controls()
    updated = []
    for account in accounts:
        for obj in objects:
            control = current.get(Unit(account, obj)) or ObjectControl(object=obj, account=account)
            values = {"paused": control.paused, "disabled": control.disabled, **change}
            updated.append(ObjectControl(object=obj, account=account, account_id=control.account_id,
                                         updated_at=utc_now(), **values))
    store.write(updated)
    return updated


def skipped_units(controls: Mapping[Unit, ObjectControl], units: Iterable[Unit]) -> dict[Unit, str]:
    """Units a run must skip, with the reason (Disabled wins over Paused)."""
    skipped = {}
    for unit in units:
        control = controls.get(unit)
        if control and control.disabled:
            skipped[unit] = statuses.DISABLED
        elif control and control.paused:
            skipped[unit] = statuses.PAUSED
    return skipped


def state_of(control: ObjectControl) -> str:
    return statuses.DISABLED if control.disabled else statuses.PAUSED if control.paused else "Enabled"
