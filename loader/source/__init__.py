"""dlt source `klaviyo`: resources `metrics`, `profiles` and `events` from the Klaviyo REST API.

Raw tables keep each nested object as one JSON column (`max_table_nesting=0`) and merge on `id`
(delete-insert), so re-reading a window never duplicates a row. Settings come from the arguments,
else dlt config `[sources.klaviyo]` (the API key from `.dlt/secrets.toml` or
`SOURCES__KLAVIYO__API_KEY`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import dlt
from dlt.common.schema.typing import TWriteDispositionConfig
from dlt.sources import DltResource

from loader.errors import SyncError
from loader.source import settings
from loader.source.client import KlaviyoClient
from loader.source.context import (
    ExtractReport,
    SourceContext,
    SourceOptions,
    parse_duration,
    parse_history,
)
from loader.source.metric_catalog import MetricCatalog
from loader.source.records import EVENT_COLUMNS, METRIC_COLUMNS, PROFILE_COLUMNS
from loader.source.resources import event_rows, metric_rows, profile_rows
from loader.source.slices import run_upper_bound

MERGE: TWriteDispositionConfig = {"disposition": "merge", "strategy": "delete-insert"}

__all__ = ["klaviyo", "ExtractReport"]


@dlt.source(name="klaviyo", section="klaviyo", max_table_nesting=0)
def klaviyo(
    api_key: str = dlt.secrets.value,
    base_url: str = settings.DEFAULT_BASE_URL,
    objects: Sequence[str] = settings.OBJECTS,
    history: str = settings.DEFAULT_HISTORY,
    metrics: Sequence[str] = (),
    exclude_integrations: Sequence[str] = (),
    lookback: str = "1h",
    reconcile: str | None = None,
    subscriptions: bool = True,
    predictive_analytics: bool = False,
    events_workers: int = settings.EVENTS_WORKERS,
    profiles_workers: int = settings.PROFILES_WORKERS,
    events_page_size: int = settings.EVENTS_PAGE_SIZE,
    profiles_page_size: int = settings.PROFILES_PAGE_SIZE,
    item_format: str = "rows",
    report: Any = None,
) -> list[DltResource]:
    """Klaviyo metrics (always), profiles and events (as chosen by `objects`).

    `report` (an `ExtractReport`) lets the caller see windows, row counts and progress; it also
    fixes the run's upper bound. Metrics are always loaded: the events models need them.
    `item_format="arrow"` yields profiles and events as arrow tables (parquet, no row-by-row
    normalisation); use it where JSON text loads into JSON columns (DuckDB, PostgreSQL).
    """
    options = SourceOptions(
        objects=_objects(objects),
        history=parse_history(history),
        metrics=tuple(metrics),
        exclude_integrations=tuple(exclude_integrations),
        lookback=parse_duration(lookback, "--lookback / [sources.klaviyo] lookback") or timedelta(0),
        reconcile=parse_duration(reconcile, "--reconcile / [sources.klaviyo] reconcile"),
        subscriptions=subscriptions,
        predictive_analytics=predictive_analytics,
        events_workers=max(1, events_workers),
        profiles_workers=max(1, profiles_workers),
        events_page_size=events_page_size,
        profiles_page_size=profiles_page_size,
        queue_pages=settings.QUEUE_PAGES,
        item_format="arrow" if item_format == "arrow" else "rows",
    )
    pool_size = options.events_workers + options.profiles_workers + 4
    client = KlaviyoClient(base_url, api_key, pool_size=pool_size)
    ctx = SourceContext(
        client=client,
        catalog=MetricCatalog(client),
        options=options,
        report=report if isinstance(report, ExtractReport) else ExtractReport(run_upper_bound()),
    )
    resources = [
        dlt.resource(metric_rows(ctx), name="metrics", write_disposition=MERGE, primary_key="id",
                     columns=METRIC_COLUMNS),
    ]
    if "profiles" in options.objects:
        resources.append(
            dlt.resource(profile_rows(ctx), name="profiles", write_disposition=MERGE, primary_key="id",
                         columns=PROFILE_COLUMNS)
        )
    if "events" in options.objects:
        resources.append(
            dlt.resource(event_rows(ctx), name="events", write_disposition=MERGE, primary_key="id",
                         columns=EVENT_COLUMNS)
        )
    return resources


def _objects(objects: Sequence[str] | str) -> tuple[str, ...]:
    names = [objects] if isinstance(objects, str) else list(objects)
    split = (n.strip().lower() for part in names for n in str(part).split(","))
    chosen = tuple(dict.fromkeys(n for n in split if n))
    unknown = [n for n in chosen if n not in settings.OBJECTS]
    if unknown or not chosen:
        raise SyncError(
            f"unknown data objects {', '.join(unknown) or '(none)'}",
            "--objects / [sources.klaviyo] objects",
            f"choose from: {', '.join(settings.OBJECTS)}",
        )
    return chosen
