"""Resource `profile_checks`: what the profiles read by `updated` cannot see.

Per account, in one stream (state `accounts.<account_id>`: `cursor`, `reconciled_at`):

1. New suppressions since the cursor (loader.source.suppressions) -> raw `profiles`.
2. On the `profiles` reconcile cadence (default 7d; `run --reconcile-now`): every profile id, read
   with the smallest sparse fieldset that still lets the pass run in parallel slices
   (`fields[profile]=created`, sorted and sliced by `created`, 100 a page: about profiles/100
   requests), diffed against the ids of this account's raw `profiles` (read back with portable
   SQL, loader.privacy.stored). An id Klaviyo no longer lists gets a `deletions` row (object
   `profile`, reason `not_listed`). Klaviyo's API tells a deleted profile from a merged-away one
   nowhere (both just vanish from `GET /api/profiles`; the spec has no deleted or merged filter
   or field), so both are `not_listed`.
3. What `deleted_profiles` says is done to a gone profile's raw data (loader.privacy.redact):
   `redact` (default) merges the profile row back with its personal data replaced and its events
   with their personal values replaced; `flag` keeps both (the deletions row is the mart's
   `is_deleted`); `delete` redacts the events as `redact` does and removes the raw profile row in
   the same load as its deletions row (dlt's `hard_delete` hint on `_deleted`: the merge deletes
   the row instead of writing it, so `_deleted` is always NULL in the table; the after-load build
   then drops the mart row too). Every run in `delete` mode also removes, first, the raw profile
   row of every profile `deletions` names (one recorded while the setting was another, or by
   `forget`; a portable DELETE of rows whose deletions row is already committed).

The first sync reads every profile anyway: it only starts the cadence.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import dlt
import pyarrow as pa

from loader.privacy.redact import identifiers, redact_event, redact_profile
from loader.privacy.stored import Stored
from loader.source import settings
from loader.source.context import AccountContext
from loader.source.fetch import Task, fetch_pages
from loader.source.records import deletion_row, event_row, event_table, profile_row, profile_table
from loader.source.resources import stream_accounts
from loader.source.slices import ONE_MICROSECOND, Window, format_dt, parse_dt, split
from loader.source.suppressions import suppressed_rows

DELETED_PROFILES = ("redact", "flag", "delete")
ID_FIELDS = "created"  # fields[profile]: `id` alone cannot be sliced; `created` is the slicing key
REMOVED = "_deleted"  # the hard-delete column of the profile rows `delete` removes (never stored)
REMOVE_HINTS = dlt.mark.make_hints(
    table_name="profiles", columns={REMOVED: {"data_type": "bool", "nullable": True, "hard_delete": True}})


def created_filter(window: Window) -> str:
    parts = []
    if window.start is not None:
        parts.append(f"greater-than(created,{format_dt(window.start - ONE_MICROSECOND)})")
    parts.append(f"less-than(created,{format_dt(window.end)})")
    return ",".join(parts)


def profile_check_rows(accounts: list[AccountContext]) -> Iterator[Any]:
    state = dlt.current.resource_state("profile_checks")
    states: dict[str, dict[str, Any]] = state.setdefault("accounts", {})
    pipeline = dlt.current.pipeline()

    def one(account: AccountContext) -> Iterator[Any]:
        own = states.setdefault(account.account_id, {})
        yield from _check(account, own, Stored(pipeline, account.account_id))

    chosen = [a for a in accounts if "profiles" in a.options.objects]
    yield from stream_accounts(chosen, "profiles", one)  # a failure here fails the account's profiles


def _check(account: AccountContext, state: dict[str, Any], stored: Stored) -> Iterator[Any]:
    opts, end = account.options, account.report.run_start
    cursor = parse_dt(state.get("cursor"))
    if cursor is not None and opts.subscriptions:
        since = min(cursor, end) - opts.lookback_window
        for rows in suppressed_rows(account, since, end):
            yield dlt.mark.with_table_name(rows, "profiles")
    if opts.deleted_profiles == "delete":
        stored.delete_rows("profiles", "id", sorted(stored.deleted_profile_ids()))
    if cursor is not None and opts.reconcile_due("profiles", parse_dt(state.get("reconciled_at")), end):
        yield from _reconcile(account, stored, end)
        state["reconciled_at"] = format_dt(end)
    elif cursor is None:
        state["reconciled_at"] = format_dt(end)
    state["cursor"] = format_dt(end)


def listed_ids(account: AccountContext, end: datetime) -> set[str]:
    """Every profile id Klaviyo lists now (created before `end`), on the profiles workers."""
    client = account.client
    first = client.get_page(client.base_url + settings.PROFILES_PATH,
                            {"sort": "created", "page[size]": "1", "fields[profile]": ID_FIELDS,
                             "filter": created_filter(Window(None, end))}, (settings.PROFILES_PATH,))
    if not first.data:
        return set()
    earliest = parse_dt(first.data[0]["attributes"].get("created")) or end
    params = {"sort": "created", "page[size]": str(settings.PROFILES_PAGE_SIZE), "fields[profile]": ID_FIELDS}
    workers = account.options.profiles_workers
    tasks = [Task(settings.PROFILES_PATH, params, created_filter, "created", s.start, s.end,
                  (settings.PROFILES_PATH,))
             for s in split(Window(earliest, end), workers * settings.SLICES_PER_WORKER)
             if s.start is not None]
    ids: set[str] = set()
    for page in fetch_pages(client, tasks, workers=workers, queue_pages=settings.QUEUE_PAGES):
        ids.update(item["id"] for item in page.data)
    return ids


def _reconcile(account: AccountContext, stored: Stored, end: datetime) -> Iterator[Any]:
    listed = listed_ids(account, end)
    gone = sorted(stored.profile_ids() - listed - stored.deleted_profile_ids())
    if not gone:
        return
    rows = [deletion_row(account.account_id, "profile", pid, end) for pid in gone]
    yield rows  # the resource's own table: deletions
    setting = account.options.deleted_profiles
    if setting == "flag":
        return
    yield from redacted(stored, gone, account.options.item_format == "arrow", remove=setting == "delete")


def redacted(stored: Stored, profile_ids: list[str], arrow: bool, remove: bool = False) -> Iterator[Any]:
    """The profiles' raw rows and events with their personal data replaced, to merge back (in the
    item format the destination's tables were written in); `remove`: the profile rows are marked
    to be deleted by the merge instead (`REMOVED`)."""
    known: set[str] = set()
    profiles = []
    for item in stored.profiles(profile_ids):
        known |= identifiers(item["attributes"])
        profiles.append(item | {"attributes": redact_profile(item["attributes"])})
    events = []
    for item in stored.events(profile_ids):
        attributes = redact_event(item["attributes"], known)
        if attributes != item["attributes"]:
            events.append(item | {"attributes": attributes})
    account_id = stored.account_id
    if profiles:
        data = (profile_table(account_id, profiles) if arrow
                else [profile_row(account_id, p) for p in profiles])
        if remove:
            yield dlt.mark.with_hints(_removed(data), REMOVE_HINTS, create_table_variant=True)
        else:
            yield dlt.mark.with_table_name(data, "profiles")
    if events:
        data = event_table(account_id, events) if arrow else [event_row(account_id, e) for e in events]
        yield dlt.mark.with_table_name(data, "events")


def _removed(data: Any) -> Any:
    """Profile rows (dict rows or an arrow table) marked for the merge to delete."""
    if isinstance(data, pa.Table):
        return data.append_column(REMOVED, pa.array([True] * data.num_rows, pa.bool_()))
    return [row | {REMOVED: True} for row in data]
