"""Resources `campaigns` and `flows`: the marketing objects, their children, and what was deleted.

- campaigns: `GET /api/campaigns` once per channel (email, sms, mobile_push; the API requires one)
  and per `archived` true/false, `sort=updated_at`, with `include=campaign-messages` so each
  campaign's messages come in the same page (`campaign_messages`); a campaign whose messages are not
  all in `included` has them read from `/api/campaigns/{id}/campaign-messages`.
- flows: `GET /api/flows` per `archived` true/false, `sort=updated`; for every flow listed (changed
  since the cursor, or all on a full listing) its actions (`/api/flows/{id}/flow-actions`) and, for
  each send action (`definition.type` send-*), its messages (`/api/flow-actions/{id}/flow-messages`);
  the actions are read ahead on a thread of their own, so both endpoints go at their own budgets.
  The actions and messages of a re-read flow are upserted; one that Klaviyo no longer serves stays
  in the raw table (the contract has no removed flag for them). Deleted flows are in `deletions`.

Incremental reads filter `greater-than(updated_at|updated, cursor - lookback)` and send no upper
bound (Klaviyo answers 400 to a future one); the filter goes on the first request only, never on a
`links.next` URL (which carries it). The cursor is the run start, written with the load (dlt state),
so it moves only when the load commits.

Deletions: Klaviyo has no feed of deleted campaigns or flows. A full listing (every channel, archived
and not) runs on the first sync, whenever `listing_reconcile` (default 1d) has passed since the last
one, and with `--reconcile`; ids known from earlier runs (kept in state, ids only) that it no longer
lists are recorded in `deletions` (object `campaign`/`flow`, reason `not_listed`, detected_at = run
start). A full listing costs the same number of requests as an ids-only one (the page size is the
same), so it re-reads everything in full and repairs any drift.

State per account (`accounts.<account_id>` of each resource's state): `cursor` (run start of the last
committed read), `listed_at` (run start of the last full listing) and `ids` (the known ids).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from urllib.parse import quote

import dlt

from loader.source import settings
from loader.source.context import AccountContext, ObjectReport
from loader.source.records import (
    campaign_message_row,
    campaign_row,
    deletion_row,
    flow_child_row,
    flow_row,
)
from loader.source.resources import stream_accounts
from loader.source.slices import Window, format_dt, parse_dt

ARCHIVED = (False, True)


def _table(rows: list[dict[str, Any]], table: str) -> Any:
    """Rows for another table of this resource (its columns and key: loader.source.VARIANTS)."""
    return dlt.mark.with_table_name(rows, table)


def campaigns_filter(channel: str, archived: bool, since: datetime | None) -> str:
    terms = [f"equals(messages.channel,'{channel}')", f"equals(archived,{str(archived).lower()})"]
    if since is not None:
        terms.append(f"greater-than(updated_at,{format_dt(since)})")
    return f"and({','.join(terms)})"


def flows_filter(archived: bool, since: datetime | None) -> str:
    terms = [f"equals(archived,{str(archived).lower()})"]
    if since is not None:
        terms.append(f"greater-than(updated,{format_dt(since)})")
    return f"and({','.join(terms)})"


class _Listing:
    """One account's read of one object: incremental or full, and the ids it saw."""

    def __init__(self, account: AccountContext, obj: str, state: dict[str, Any]) -> None:
        self.account, self.obj, self.state = account, obj, state
        self.end = account.report.run_start
        opts = account.options
        cursor = parse_dt(state.get("cursor"))
        listed_at = parse_dt(state.get("listed_at"))
        self.full = cursor is None or opts.reconcile_due(obj, listed_at, self.end)
        self.since = None if self.full or cursor is None else min(cursor, self.end) - opts.lookback_window
        self.report: ObjectReport = account.report.object(account.unit(obj))
        self.report.kind = "historical" if cursor is None else "periodic"
        self.report.window = Window(self.since, self.end)
        self.seen: set[str] = set()

    def pages(
        self, path: str, params: dict[str, str], key: str | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        client = self.account.client
        for page in client.pages(path, params, (key or path,)):
            yield page.data

    def finish(self, kind: str) -> Iterator[Any]:
        """Deletions found by a full listing; then the state of this read (known ids, cursor)."""
        known = set(self.state.get("ids") or [])
        if self.full:
            gone = sorted(known - self.seen)
            if gone:
                rows = [deletion_row(self.account.account_id, kind, i, self.end) for i in gone]
                yield _table(rows, "deletions")
            self.state["ids"] = sorted(self.seen)
            self.state["listed_at"] = format_dt(self.end)
        else:
            self.state["ids"] = sorted(known | self.seen)
        self.state["cursor"] = format_dt(self.end)
        self.account.report.on_progress(self.account.unit(self.obj), 1.0, self.report.rows)
        self.report.done = True


def _account_states(resource: str) -> dict[str, dict[str, Any]]:
    # named explicitly: these resources run on dlt's worker threads (parallelized)
    state = dlt.current.resource_state(resource)
    per_account: dict[str, dict[str, Any]] = state.setdefault("accounts", {})
    return per_account


def campaign_rows(accounts: list[AccountContext]) -> Iterator[Any]:
    """Campaigns (and their messages) updated since the cursor, per channel, archived and not."""
    states = _account_states("campaigns")

    def one(account: AccountContext) -> Iterator[Any]:
        read = _Listing(account, "campaigns", states.setdefault(account.account_id, {}))
        for channel in settings.CAMPAIGN_CHANNELS:
            for archived in ARCHIVED:
                params = {"filter": campaigns_filter(channel, archived, read.since), "sort": "updated_at",
                          "page[size]": str(settings.CAMPAIGNS_PAGE_SIZE), "include": "campaign-messages"}
                for data, included in _with_included(read, settings.CAMPAIGNS_PATH, params):
                    read.seen.update(item["id"] for item in data)
                    read.report.rows += len(data)
                    yield [campaign_row(account.account_id, item) for item in data]
                    messages = list(_campaign_messages(read, data, included))
                    if messages:
                        yield _table(messages, "campaign_messages")
        yield from read.finish("campaign")

    yield from stream_accounts([a for a in accounts if "campaigns" in a.options.objects], "campaigns", one)


def _with_included(
    read: _Listing, path: str, params: dict[str, str]
) -> Iterator[tuple[list[Any], list[Any]]]:
    client = read.account.client
    for page in client.pages(path, params, (path,)):
        yield page.data, page.included or []


def _campaign_messages(read: _Listing, campaigns: list[dict[str, Any]],
                       included: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Each campaign's message rows: from `included`, else from its campaign-messages endpoint."""
    account_id = read.account.account_id
    found = {item.get("id"): item for item in included if item.get("type") == "campaign-message"}
    for campaign in campaigns:
        related = ((campaign.get("relationships") or {}).get("campaign-messages") or {})
        listed = related.get("data")
        ids = [ref.get("id") for ref in listed if isinstance(ref, dict)] if isinstance(listed, list) else None
        if ids is not None and all(i in found for i in ids):
            for message_id in ids:
                yield campaign_message_row(account_id, campaign["id"], found[message_id])
            continue
        path = settings.CAMPAIGN_MESSAGES_PATH.replace("{id}", quote(campaign["id"], safe=""))
        for data in read.pages(path, {}, settings.CAMPAIGN_MESSAGES_PATH):
            for message in data:
                yield campaign_message_row(account_id, campaign["id"], message)


def flow_rows(accounts: list[AccountContext]) -> Iterator[Any]:
    """Flows updated since the cursor (archived and not), with the actions and messages of each."""
    states = _account_states("flows")

    def one(account: AccountContext) -> Iterator[Any]:
        read = _Listing(account, "flows", states.setdefault(account.account_id, {}))
        page_size = {"page[size]": str(settings.FLOWS_PAGE_SIZE)}
        listed: list[str] = []
        for archived in ARCHIVED:
            params = {"filter": flows_filter(archived, read.since), "sort": "updated", **page_size}
            for data in read.pages(settings.FLOWS_PATH, params):
                listed += [item["id"] for item in data]
                read.report.rows += len(data)
                yield [flow_row(account.account_id, item) for item in data]
        read.seen.update(listed)
        yield from _flow_children(read, listed, page_size)
        yield from read.finish("flow")

    yield from stream_accounts([a for a in accounts if "flows" in a.options.objects], "flows", one)


def _flow_children(read: _Listing, flow_ids: list[str], page_size: dict[str, str]) -> Iterator[Any]:
    """The actions of each flow and the messages of its send actions.

    flow-actions and flow-messages have a budget each (3/s, 60/min): the actions are read on a thread
    of their own, flow after flow, while this one reads the messages of the actions already read, so
    each endpoint is paced to its own budget and neither waits for the other (one after the other,
    the actions went at the messages' pace: a flow has a few send actions)."""
    account_id = read.account.account_id
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="flow-actions") as pool:
        read_ahead = deque((i, pool.submit(_flow_actions, read, i, page_size)) for i in flow_ids)
        try:
            while read_ahead:
                flow_id, future = read_ahead.popleft()  # dropped once used: only unread actions are held
                for actions in future.result():
                    yield _table([flow_child_row(account_id, "flow_id", flow_id, a) for a in actions],
                                 "flow_actions")
                    for action in actions:
                        if is_send_action(action):
                            yield from _flow_messages(read, action["id"], page_size)
        finally:
            for _, pending in read_ahead:  # a failure or a closed generator: no more actions read
                pending.cancel()


def _flow_actions(read: _Listing, flow_id: str, page_size: dict[str, str]) -> list[list[dict[str, Any]]]:
    path = settings.FLOW_ACTIONS_PATH.replace("{id}", quote(flow_id, safe=""))
    return [actions for actions in read.pages(path, page_size, settings.FLOW_ACTIONS_PATH) if actions]


def _flow_messages(read: _Listing, action_id: str, page_size: dict[str, str]) -> Iterator[Any]:
    account_id = read.account.account_id
    path = settings.FLOW_MESSAGES_PATH.replace("{id}", quote(action_id, safe=""))
    for messages in read.pages(path, page_size, settings.FLOW_MESSAGES_PATH):
        if messages:
            rows = [flow_child_row(account_id, "flow_action_id", action_id, m) for m in messages]
            yield _table(rows, "flow_messages")


def is_send_action(action: dict[str, Any]) -> bool:
    """A send-email/-sms/-mobile-push/-webhook/... action: the ones that have flow messages."""
    definition = action["attributes"].get("definition")
    kind = definition.get("type") if isinstance(definition, dict) else None
    return isinstance(kind, str) and kind.startswith("send-")
