"""New email suppressions, incrementally: a suppression does not move a profile's `updated`, so the
profiles read by `updated` would see it only at the next reconcile. Every periodic run also reads
the profiles whose suppression timestamp moved in `[cursor - lookback, run start)`, with
`greater-than`/`less-than` on `subscriptions.email.marketing.suppression.timestamp` (global
suppressions) and on `...list_suppressions.timestamp` (list unsubscribes), the filters
`GET /api/profiles` allows (docs/klaviyo-api.md, §3.5). The rows are whole profiles (with the same
additional fields as the profiles resource) merged into raw `profiles`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from loader.source import settings
from loader.source.context import AccountContext
from loader.source.records import profile_row, profile_table
from loader.source.slices import format_dt

TIMESTAMPS = ("subscriptions.email.marketing.suppression.timestamp",
              "subscriptions.email.marketing.list_suppressions.timestamp")


def suppression_params(field: str, since: datetime, end: datetime, extra: list[str]) -> dict[str, str]:
    return {"filter": f"greater-than({field},{format_dt(since)}),less-than({field},{format_dt(end)})",
            "sort": field, "page[size]": str(settings.PROFILES_PAGE_SIZE),
            "additional-fields[profile]": ",".join(["subscriptions", *extra])}


def suppressed_rows(
    account: AccountContext, since: datetime, end: datetime
) -> Iterator[Any]:
    """Profiles whose global or list suppression is in (since, end), a page at a time (dict rows
    or an arrow table, as the profiles resource writes them)."""
    opts = account.options
    extra = ["predictive_analytics"] if opts.predictive_analytics else []
    keys: tuple[str, ...] = (settings.PROFILES_PATH,)
    if opts.predictive_analytics:
        keys += (settings.PREDICTIVE_BUDGET_KEY,)
    for field in TIMESTAMPS:
        params = suppression_params(field, since, end, extra)
        for page in account.client.pages(settings.PROFILES_PATH, params, keys):
            if page.data:
                yield (profile_table(account.account_id, page.data) if opts.item_format == "arrow"
                       else [profile_row(account.account_id, item) for item in page.data])
