"""Pause / resume / enable / disable: the user's per-object switches, persisted in the ledger."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from loader.errors import SyncError
from loader.ledger import statuses
from loader.ledger.records import ObjectControl, utc_now
from loader.ledger.store import LedgerStore

ACTIONS: dict[str, dict[str, bool]] = {
    "pause": {"paused": True},
    "resume": {"paused": False},
    "disable": {"disabled": True},
    "enable": {"disabled": False},
}


def set_control(store: LedgerStore, action: str, objects: Iterable[str]) -> list[ObjectControl]:
    """Apply `action` to each object and persist it; returns the new switches."""
    change = ACTIONS[action]
    current = store.controls()
    updated = []
    for obj in objects:
        if obj not in statuses.CONTROLLED_OBJECTS:
            raise SyncError(
                f"unknown object {obj!r}", f"klaviyo-sync {action}",
                f"use one of: {', '.join(statuses.CONTROLLED_OBJECTS)}", code="config",
            )
        control = current.get(obj) or ObjectControl(object=obj)
        values = {"paused": control.paused, "disabled": control.disabled, **change}
        updated.append(ObjectControl(object=obj, updated_at=utc_now(), **values))
    store.write(updated)
    return updated


def skipped_objects(controls: Mapping[str, ObjectControl], objects: Iterable[str]) -> dict[str, str]:
    """Objects a run must skip, with the reason (Disabled wins over Paused)."""
    skipped = {}
    for obj in objects:
        control = controls.get(obj)
        if control and control.disabled:
            skipped[obj] = statuses.DISABLED
        elif control and control.paused:
            skipped[obj] = statuses.PAUSED
    return skipped
