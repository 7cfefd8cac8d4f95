"""dlt source `klaviyo`: resources `accounts`, `metrics`, `profiles` and `events` of several accounts.

Raw tables keep each nested object as one JSON column (`max_table_nesting=0`) and merge on
(`account_id`, `id`) (delete-insert), so re-reading a window never duplicates a row and equal ids of
two accounts never meet. The accounts are opened by the caller (`loader.source.accounts`), which
also resolves the settings (`loader.sync_settings`).
"""

from __future__ import annotations

from collections.abc import Sequence

import dlt
from dlt.common.schema.typing import TWriteDispositionConfig
from dlt.sources import DltResource

from loader.source.context import AccountContext, ExtractReport
from loader.source.records import ACCOUNT_COLUMNS, EVENT_COLUMNS, METRIC_COLUMNS, PROFILE_COLUMNS
from loader.source.resources import account_rows, event_rows, metric_rows, profile_rows

MERGE: TWriteDispositionConfig = {"disposition": "merge", "strategy": "delete-insert"}
PRIMARY_KEY = ["account_id", "id"]

__all__ = ["klaviyo", "ExtractReport", "MERGE", "PRIMARY_KEY"]


@dlt.source(name="klaviyo", section="klaviyo", max_table_nesting=0)
def klaviyo(
    accounts: Sequence[AccountContext] = (),
    legacy_account_id: str | None = None,
) -> list[DltResource]:
    """The accounts, their metrics (always), profiles and events (as each account's `objects` say).

    `legacy_account_id` is the account whose cursors a warehouse written before accounts existed
    kept at the top of each resource's state (see loader.upgrade).
    """
    opened = list(accounts)
    resources = [
        dlt.resource(account_rows(opened), name="accounts", write_disposition=MERGE, primary_key=PRIMARY_KEY,
                     columns=ACCOUNT_COLUMNS),
        dlt.resource(metric_rows(opened, legacy_account_id), name="metrics", write_disposition=MERGE,
                     primary_key=PRIMARY_KEY, columns=METRIC_COLUMNS),
    ]
    if any("profiles" in a.options.objects for a in opened):
        resources.append(dlt.resource(
            profile_rows(opened, legacy_account_id), name="profiles", write_disposition=MERGE,
            primary_key=PRIMARY_KEY, columns=PROFILE_COLUMNS))
    if any("events" in a.options.objects for a in opened):
        resources.append(dlt.resource(
            event_rows(opened, legacy_account_id), name="events", write_disposition=MERGE,
            primary_key=PRIMARY_KEY, columns=EVENT_COLUMNS))
    return resources
