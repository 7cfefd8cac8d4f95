"""Campaigns, flows and attributions on recorded API shapes (revision 2026-07-15), without HTTP.

A fake client serves canned JSON:API pages (shaped as the OpenAPI extracts: `definition` objects,
relationships with `data` and `links`, attributions in `included`) and records every request, so
these tests pin down the requests (filters, no upper bound, nothing re-added to `links.next`), the
rows of every table, the state per account and the deletions of a full listing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dlt
import pytest

from loader.source import klaviyo
from loader.source.client import Page
from loader.source.context import AccountContext, ExtractReport
from loader.source.marketing import campaigns_filter, flows_filter, is_send_action
from loader.source.options import SourceOptions
from loader.source.records import attribution_rows, data_only
from loader.source.settings import endpoint_of

ACCOUNT = "AbC123"
LINKS = {"self": "https://a.klaviyo.com/api/x"}


def rel(kind: str, ids: Any) -> dict[str, Any]:
    data = (
        [{"type": kind, "id": i} for i in ids]
        if isinstance(ids, list)
        else (None if ids is None else {"type": kind, "id": ids})
    )
    return {"data": data, "links": {"self": "https://a.klaviyo.com/r", "related": "https://a.klaviyo.com/q"}}


def campaign(cid: str, updated: str, messages: list[str], archived: bool = False) -> dict[str, Any]:
    return {
        "type": "campaign",
        "id": cid,
        "links": LINKS,
        "attributes": {
            "name": f"Campaign {cid}",
            "status": "Sent",
            "archived": archived,
            "audiences": {"included": ["L1"], "excluded": []},
            "send_time": updated,
            "created_at": "2026-01-01T00:00:00+00:00",
            "updated_at": updated,
        },
        "relationships": {"campaign-messages": rel("campaign-message", messages), "tags": rel("tag", [])},
    }


def campaign_message(mid: str, cid: str) -> dict[str, Any]:
    return {
        "type": "campaign-message",
        "id": mid,
        "links": LINKS,
        "attributes": {
            "definition": {"channel": "email", "label": "A", "content": {"subject": "Hi"}},
            "send_times": [],
            "created_at": "2026-01-01T00:00:00+00:00",
            "updated_at": "2026-01-02T00:00:00+00:00",
        },
        "relationships": {"campaign": rel("campaign", cid)},
    }


def flow(fid: str, updated: str) -> dict[str, Any]:
    return {
        "type": "flow",
        "id": fid,
        "links": LINKS,
        "attributes": {
            "name": f"Flow {fid}",
            "status": "live",
            "archived": False,
            "trigger_type": "Metric",
            "created": "2026-01-01T00:00:00+00:00",
            "updated": updated,
        },
        "relationships": {"flow-actions": rel("flow-action", []), "tags": rel("tag", [])},
    }


def action(aid: str, kind: str) -> dict[str, Any]:
    return {
        "type": "flow-action",
        "id": aid,
        "links": LINKS,
        "attributes": {
            "created": "2026-01-01T00:00:00+00:00",
            "updated": "2026-01-03T00:00:00+00:00",
            "definition": {"id": aid, "type": kind, "data": {}},
        },
    }


def flow_message(mid: str) -> dict[str, Any]:
    return {
        "type": "flow-message",
        "id": mid,
        "links": LINKS,
        "attributes": {
            "channel": "email",
            "created": "2026-01-01T00:00:00+00:00",
            "updated": "2026-01-03T00:00:00+00:00",
            "definition": {"id": mid, "name": "M"},
        },
    }


class FakeClient:
    """Serves `routes[(path, filter)]` (a list of pages) and records (path, params) per request."""

    base_url = "https://a.klaviyo.com"

    def __init__(self, routes: dict[tuple[str, str | None], list[dict[str, Any]]]) -> None:
        self.routes = routes
        self.requests: list[tuple[str, dict[str, str] | None]] = []

    def pages(self, path: str, params: dict[str, str], pacer_keys: Any = None) -> Iterator[Page]:
        documents = self.routes.get((path, params.get("filter")), [{"data": []}])
        query: dict[str, str] | None = dict(params)
        for number, document in enumerate(documents, 1):
            self.requests.append((path, query))
            more = number < len(documents)
            yield Page(
                path,
                number,
                document["data"],
                f"{path}?page[cursor]={number}" if more else None,
                len(document["data"]),
                document.get("included"),
            )
            query = None  # a links.next page: its URL carries the filter

    def close(self) -> None:
        pass


class NoMetrics:
    def items(self) -> list[Any]:
        return []


def context(client: FakeClient, run_start: datetime, **options: Any) -> AccountContext:
    opts = replace(SourceOptions(), objects=("campaigns", "flows"), **options)
    return AccountContext(
        "default",
        ACCOUNT,
        {},
        client,
        NoMetrics(),
        opts,  # type: ignore[arg-type]
        ExtractReport(run_start),
    )


def run(pipeline: dlt.Pipeline, account: AccountContext) -> None:
    pipeline.run(klaviyo(accounts=[account]))


def table(pipeline: dlt.Pipeline, name: str, columns: str) -> list[tuple[Any, ...]]:
    with pipeline.sql_client() as client:
        qualified = client.make_qualified_table_name(name)
        return [tuple(r) for r in client.execute_sql(f"SELECT {columns} FROM {qualified} ORDER BY 1, 2")]


def state(pipeline: dlt.Pipeline, resource: str) -> dict[str, Any]:
    found: dict[str, Any] = pipeline.state["sources"]["klaviyo"]["resources"][resource]["accounts"][ACCOUNT]
    return found


@pytest.fixture
def pipeline(tmp_path: Path) -> dlt.Pipeline:
    return dlt.pipeline(
        "marketing_unit",
        destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
        pipelines_dir=str(tmp_path / "pipelines"),
        dataset_name="klaviyo_raw",
    )


T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def first_routes() -> dict[tuple[str, str | None], list[dict[str, Any]]]:
    email = campaigns_filter("email", False, None)
    return {
        ("/api/campaigns", email): [
            {
                "data": [campaign("C1", "2026-02-01T00:00:00+00:00", ["M1", "M2"])],
                "included": [campaign_message("M1", "C1"), campaign_message("M2", "C1")],
            },
            # C2's message is not in `included`: read from its campaign-messages endpoint
            {"data": [campaign("C2", "2026-02-02T00:00:00+00:00", ["M3"])], "included": []},
        ],
        ("/api/campaigns/C2/campaign-messages", None): [{"data": [campaign_message("M3", "C2")]}],
        ("/api/flows", flows_filter(False, None)): [
            {"data": [flow("F1", "2026-02-01T00:00:00+00:00"), flow("F2", "2026-02-03T00:00:00+00:00")]}
        ],
        ("/api/flows/F1/flow-actions", None): [
            {"data": [action("A1", "send-email"), action("A2", "time-delay")]}
        ],
        ("/api/flows/F2/flow-actions", None): [{"data": [action("A3", "send-sms")]}],
        ("/api/flow-actions/A1/flow-messages", None): [{"data": [flow_message("FM1")]}],
        ("/api/flow-actions/A3/flow-messages", None): [{"data": [flow_message("FM2")]}],
    }


def test_filters_name_channel_archived_and_a_lower_bound_only() -> None:
    since = datetime(2026, 3, 1, 11, 0, tzinfo=timezone.utc)
    assert campaigns_filter("sms", True, since) == (
        "and(equals(messages.channel,'sms'),equals(archived,true),greater-than(updated_at,2026-03-01T11:00:00Z))"
    )
    assert (
        campaigns_filter("email", False, None)
        == "and(equals(messages.channel,'email'),equals(archived,false))"
    )
    assert (
        flows_filter(False, since) == "and(equals(archived,false),greater-than(updated,2026-03-01T11:00:00Z))"
    )
    assert "less" not in campaigns_filter("email", False, since), (
        "never an upper bound (400 when in the future)"
    )


def test_endpoint_keys_and_send_actions() -> None:
    assert endpoint_of("/api/flows/F1/flow-actions") == "/api/flows/{id}/flow-actions"
    assert endpoint_of("/api/flow-actions/A1/flow-messages/") == "/api/flow-actions/{id}/flow-messages"
    assert endpoint_of("/api/campaigns/C1/campaign-messages") == "/api/campaigns/{id}/campaign-messages"
    assert endpoint_of("/api/campaigns") == "/api/campaigns"
    assert is_send_action(action("A", "send-mobile-push")) and not is_send_action(action("A", "time-delay"))
    assert data_only({"campaign": rel("campaign", "C1")}) == {
        "campaign": {"data": {"type": "campaign", "id": "C1"}}
    }


def test_first_run_reads_everything_with_children_and_state(pipeline: dlt.Pipeline) -> None:
    client = FakeClient(first_routes())
    account = context(client, T0)
    run(pipeline, account)
    listings = [(p, q) for p, q in client.requests if p in ("/api/campaigns", "/api/flows")]
    filters = [q["filter"] for p, q in listings if q]
    assert len(filters) == 6 + 2, "3 channels and 2 flows listings, each archived and not"
    assert all("greater-than" not in f for f in filters), "the first run reads everything"
    assert [q for p, q in client.requests if p == "/api/campaigns" and q is None] == [None], (
        "the second page is requested by its links.next alone"
    )
    email = next(q for p, q in listings if q and "'email'),equals(archived,false)" in q["filter"])
    assert email == {
        "filter": campaigns_filter("email", False, None),
        "sort": "updated_at",
        "page[size]": "100",
        "include": "campaign-messages",
    }
    assert table(pipeline, "campaigns", "account_id, id") == [(ACCOUNT, "C1"), (ACCOUNT, "C2")]
    assert table(pipeline, "campaign_messages", "campaign_id, id") == [
        ("C1", "M1"),
        ("C1", "M2"),
        ("C2", "M3"),
    ]
    assert table(pipeline, "flow_actions", "flow_id, id") == [("F1", "A1"), ("F1", "A2"), ("F2", "A3")]
    assert table(pipeline, "flow_messages", "flow_action_id, id") == [("A1", "FM1"), ("A3", "FM2")]
    assert [p for p, _ in client.requests if "flow-messages" in p] == [
        "/api/flow-actions/A1/flow-messages",
        "/api/flow-actions/A3/flow-messages",
    ], "send actions only"
    [(attributes, relationships)] = table(pipeline, "campaigns", "attributes, relationships")[:1]
    assert "links" not in str(relationships) and "Campaign C1" in str(attributes)
    assert state(pipeline, "campaigns") == {
        "cursor": "2026-03-01T12:00:00Z",
        "listed_at": "2026-03-01T12:00:00Z",
        "ids": ["C1", "C2"],
    }
    assert state(pipeline, "flows")["ids"] == ["F1", "F2"]
    assert account.report.object(account.unit("campaigns")).done


def test_periodic_run_reads_changes_only_and_a_full_listing_records_deletions(pipeline: dlt.Pipeline) -> None:
    run(pipeline, context(FakeClient(first_routes()), T0))
    later = T0 + timedelta(hours=1)
    since = T0 - timedelta(hours=1)  # cursor minus the 1h lookback
    changed = {
        ("/api/flows", flows_filter(False, since)): [{"data": [flow("F2", "2026-03-01T12:30:00+00:00")]}],
        ("/api/flows/F2/flow-actions", None): [{"data": [action("A4", "send-email")]}],
        ("/api/flow-actions/A4/flow-messages", None): [{"data": [flow_message("FM3")]}],
    }
    client = FakeClient(changed)
    account = context(client, later)
    run(pipeline, account)
    assert account.report.object(account.unit("flows")).kind == "periodic"
    filters = [q["filter"] for p, q in client.requests if q and "filter" in q]
    assert all(
        f"greater-than(updated{'_at' if 'channel' in f else ''},2026-03-01T11:00:00Z)" in f for f in filters
    ), filters
    assert [p for p, _ in client.requests if "flow-actions" in p or "flow-messages" in p] == [
        "/api/flows/F2/flow-actions",
        "/api/flow-actions/A4/flow-messages",
    ], "only the changed flow's children"
    assert ("F2", "A4") in table(pipeline, "flow_actions", "flow_id, id")
    assert state(pipeline, "flows")["listed_at"] == "2026-03-01T12:00:00Z", "no full listing within a day"
    assert "deletions" not in {t for t in pipeline.default_schema.tables}

    # a day later: a full listing; F1 and C2 are no longer listed
    day = T0 + timedelta(days=1, hours=1)
    routes = first_routes()
    routes[("/api/flows", flows_filter(False, None))] = [{"data": [flow("F2", "2026-03-01T12:30:00+00:00")]}]
    routes[("/api/campaigns", campaigns_filter("email", False, None))] = routes[
        ("/api/campaigns", campaigns_filter("email", False, None))
    ][:1]
    run(pipeline, context(FakeClient(routes), day))
    deletions = table(pipeline, "deletions", "object, id, reason, detected_at, account_id")
    assert [(o, i, r) for o, i, r, _, _ in deletions] == [
        ("campaign", "C2", "not_listed"),
        ("flow", "F1", "not_listed"),
    ]
    assert {d[3].astimezone(timezone.utc) for d in deletions} == {day}
    assert state(pipeline, "campaigns")["ids"] == ["C1"]
    assert state(pipeline, "flows") == {
        "cursor": "2026-03-02T13:00:00Z",
        "listed_at": "2026-03-02T13:00:00Z",
        "ids": ["F2"],
    }


def test_a_failing_read_keeps_the_cursor(pipeline: dlt.Pipeline) -> None:
    run(pipeline, context(FakeClient(first_routes()), T0))

    class Failing(FakeClient):
        def pages(self, path: str, params: dict[str, str], pacer_keys: Any = None) -> Iterator[Page]:
            if path.startswith("/api/flows/"):
                raise RuntimeError("Klaviyo is down")
            yield from super().pages(path, params, pacer_keys)

    account = context(
        Failing(
            {
                ("/api/flows", flows_filter(False, T0 - timedelta(hours=1))): [
                    {"data": [flow("F2", "2026-03-01T12:30:00+00:00")]}
                ]
            }
        ),
        T0 + timedelta(hours=1),
    )
    run(pipeline, account)
    assert account.unit("flows") in account.report.failed
    assert state(pipeline, "flows")["cursor"] == "2026-03-01T12:00:00Z", (
        "the failed unit's cursor did not move"
    )
    assert state(pipeline, "campaigns")["cursor"] == "2026-03-01T13:00:00Z", "the other unit moved on"


def test_attribution_rows_from_included() -> None:
    events = [
        {
            "type": "event",
            "id": "E1",
            "attributes": {},
            "relationships": {"attributions": {"data": [{"type": "attribution", "id": "AT1"}]}},
        },
        {"type": "event", "id": "E2", "attributes": {}, "relationships": {"attributions": {"data": []}}},
    ]
    included = [
        {
            "type": "attribution",
            "id": "AT1",
            "relationships": {
                "event": rel("event", "E1"),
                "attributed-event": rel("event", "E0"),
                "campaign": rel("campaign", None),
                "campaign-message": {"data": None},
                "flow": rel("flow", "F1"),
                "flow-message": rel("flow-message", "FM1"),
                "flow-message-variation": rel("flow-message", "FM1"),
            },
        },
        {"type": "metric", "id": "X", "attributes": {}},
    ]
    assert attribution_rows(ACCOUNT, events, included) == [
        {
            "account_id": ACCOUNT,
            "event_id": "E1",
            "attribution_id": "AT1",
            "attributed_event_id": "E0",
            "campaign_id": None,
            "campaign_message_id": None,
            "flow_id": "F1",
            "flow_message_id": "FM1",
            "flow_message_variation_id": "FM1",
        }
    ]
