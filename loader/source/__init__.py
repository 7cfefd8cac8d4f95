"""dlt source `klaviyo`: resources `accounts`, `metrics`, `profiles`, `events`, `campaigns` and `flows`
of several accounts.

`events` also loads `event_attributions`, `campaigns` also `campaign_messages`, `flows` also
`flow_actions` and `flow_messages`, and both of the latter `deletions` (loader.source.marketing);
`lists` also loads `list_members`, `segments` `segment_members`, both `deletions`
(loader.source.membership).
Campaigns and flows are paced to much lower budgets (10/s, 3/s): dlt runs them on its own worker
threads (`parallelized`), so waiting for their next page never holds up the events stream.

Raw tables keep each nested object as one JSON column (`max_table_nesting=0`) and merge on
(`account_id`, `id`) (delete-insert), so re-reading a window never duplicates a row and equal ids of
two accounts never meet. The accounts are opened by the caller (`loader.source.accounts`), which
also resolves the settings (`loader.sync_settings`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import dlt
from dlt.common.schema.typing import TTableSchemaColumns, TWriteDispositionConfig
from dlt.sources import DltResource

from loader.privacy.forgotten import drop_forgotten
from loader.source.context import AccountContext, ExtractReport
from loader.source.marketing import campaign_rows, flow_rows
from loader.source.membership import list_rows, segment_rows
from loader.source.membership_rows import group_columns, member_columns, member_key
from loader.source.profile_reconcile import profile_check_rows
from loader.source.records import (
    ACCOUNT_COLUMNS,
    CAMPAIGN_COLUMNS,
    CAMPAIGN_MESSAGE_COLUMNS,
    DELETION_COLUMNS,
    EVENT_ATTRIBUTION_COLUMNS,
    EVENT_COLUMNS,
    FLOW_ACTION_COLUMNS,
    FLOW_COLUMNS,
    FLOW_MESSAGE_COLUMNS,
    METRIC_COLUMNS,
    PROFILE_COLUMNS,
)
from loader.source.resources import account_rows, event_rows, metric_rows, profile_rows

MERGE: TWriteDispositionConfig = {"disposition": "merge", "strategy": "delete-insert"}
# events (and their attributions) are read at most once a run (disjoint slices, one account each):
# the merge skips dlt's ROW_NUMBER() de-duplication of the staging table, a third of the load's CPU
MERGE_READ_ONCE: TWriteDispositionConfig = {
    "disposition": "merge", "strategy": "delete-insert", "deduplicated": True,
}
PRIMARY_KEY = ["account_id", "id"]
DELETION_KEY = ["account_id", "object", "id"]
ATTRIBUTION_KEY = ["account_id", "event_id", "attribution_id"]

__all__ = ["klaviyo", "ExtractReport", "MERGE", "PRIMARY_KEY"]


# the other tables a resource writes (`dlt.mark.with_table_name`): their columns and merge keys
VARIANTS: dict[str, dict[str, tuple[TTableSchemaColumns, list[str]]]] = {
    "events": {"event_attributions": (EVENT_ATTRIBUTION_COLUMNS, ATTRIBUTION_KEY)},
    "campaigns": {"campaign_messages": (CAMPAIGN_MESSAGE_COLUMNS, PRIMARY_KEY),
                  "deletions": (DELETION_COLUMNS, DELETION_KEY)},
    "flows": {"flow_actions": (FLOW_ACTION_COLUMNS, PRIMARY_KEY),
              "flow_messages": (FLOW_MESSAGE_COLUMNS, PRIMARY_KEY),
              "deletions": (DELETION_COLUMNS, DELETION_KEY)},
    "profile_checks": {"profiles": (PROFILE_COLUMNS, PRIMARY_KEY), "events": (EVENT_COLUMNS, PRIMARY_KEY)},
    "lists": {"list_members": (member_columns("list"), member_key("list")),
              "deletions": (DELETION_COLUMNS, DELETION_KEY)},
    "segments": {"segment_members": (member_columns("segment"), member_key("segment")),
                 "deletions": (DELETION_COLUMNS, DELETION_KEY)},
}


def _resource(
    items: Iterator[Any], name: str, columns: TTableSchemaColumns, parallelized: bool = False,
    merge: TWriteDispositionConfig = MERGE,
) -> DltResource:
    """A merge resource on (account_id, id) and the other tables it writes. The variants are declared
    before the resource's own columns, as dlt starts a variant from the resource's hints."""
    resource = dlt.resource(items, name=name, write_disposition=merge, primary_key=PRIMARY_KEY,
                            parallelized=parallelized)
    for table, (own, key) in VARIANTS.get(name, {}).items():
        resource.apply_hints(table_name=table, columns=own, primary_key=key, create_table_variant=True)
    resource.apply_hints(columns=columns)
    return resource


@dlt.source(name="klaviyo", section="klaviyo", max_table_nesting=0)
def klaviyo(
    accounts: Sequence[AccountContext] = (),
    legacy_account_id: str | None = None,
) -> list[DltResource]:
    """The accounts, their metrics (always), profiles, events, campaigns and flows (as each account's
    `objects` say).

    `legacy_account_id` is the account whose cursors a warehouse written before accounts existed
    kept at the top of each resource's state (see loader.upgrade).
    """
    opened = list(accounts)
    resources = [
        _resource(account_rows(opened), "accounts", ACCOUNT_COLUMNS),
        _resource(metric_rows(opened, legacy_account_id), "metrics", METRIC_COLUMNS),
    ]
    chosen = {obj for a in opened for obj in a.options.objects}
    if "profiles" in chosen:
        profiles = _resource(profile_rows(opened, legacy_account_id), "profiles", PROFILE_COLUMNS)
        resources.append(drop_forgotten(profiles, "id"))  # never load a forgotten person again
        # suppressions, the profiles reconcile and deleted profiles' redaction (own table: deletions)
        checks = _resource(profile_check_rows(opened), "profile_checks", DELETION_COLUMNS)
        checks.apply_hints(table_name="deletions", primary_key=DELETION_KEY)
        resources.append(checks)
    if "events" in chosen:
        events = _resource(event_rows(opened, legacy_account_id), "events", EVENT_COLUMNS,
                           merge=MERGE_READ_ONCE)
        resources.append(drop_forgotten(events, "profile_id"))
    if "campaigns" in chosen:
        resources.append(_resource(campaign_rows(opened), "campaigns", CAMPAIGN_COLUMNS, parallelized=True))
    if "flows" in chosen:
        resources.append(_resource(flow_rows(opened), "flows", FLOW_COLUMNS, parallelized=True))
    if "lists" in chosen:  # with list_members (loader.source.membership)
        resources.append(_resource(list_rows(opened), "lists", group_columns(), parallelized=True))
    if "segments" in chosen:  # with segment_members
        resources.append(_resource(segment_rows(opened), "segments", group_columns(), parallelized=True))
    return resources
