"""Lookups shared by the campaign and flow endpoint families: objects by id (deleted ones, and the
children of deleted ones, are 404 like unknown ids) and the default archived filter of the listings."""

from __future__ import annotations

from loader.emulator.dataset import Snapshot
from loader.emulator.errors import ApiError
from loader.emulator.filters import Condition
from loader.emulator.marketing import Campaign, Flow, FlowAction


def unarchived_by_default(conditions: list[Condition]) -> list[Condition]:
    """The conditions, with `equals(archived,false)` added when the filter does not name `archived`
    (inferred: Klaviyo does not document whether its listings leave archived objects out; Airbyte lists
    archived and not archived separately, which it would not need if the default had them)."""
    if any(c.field == "archived" for c in conditions):
        return conditions
    return [*conditions, Condition("equals", "archived", False)]


def find_campaign(snap: Snapshot, campaign_id: str) -> Campaign:
    for c in snap.marketing.campaigns:
        if c.id == campaign_id and not c.deleted:
            return c
    raise ApiError(404, "not_found", f"A campaign with id {campaign_id} does not exist.")


def find_flow(snap: Snapshot, flow_id: str) -> Flow:
    for f in snap.marketing.flows:
        if f.id == flow_id and not f.deleted:
            return f
    raise ApiError(404, "not_found", f"A flow with id {flow_id} does not exist.")


def find_action(snap: Snapshot, action_id: str) -> tuple[Flow, FlowAction]:
    for f in snap.marketing.flows:
        if f.deleted:
            continue
        for a in f.actions:
            if a.id == action_id:
                return f, a
    raise ApiError(404, "not_found", f"A flow action with id {action_id} does not exist.")
