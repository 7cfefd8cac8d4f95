"""Events pages decoded into arrow columns (msgspec) equal the generic path's (orjson dicts), and bodies
the typed decoder does not take go the generic way, to the same tables or the same clear error."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone

import orjson
import pyarrow as pa
import pytest

from loader.errors import SyncError
from loader.source.client import Decoded, KlaviyoClient
from loader.source.event_pages import EventPage, decode_event_page
from loader.source.slices import Window, events_filter

ACCOUNT = "acc1"
pytestmark = pytest.mark.integration


def _generic(body: bytes) -> EventPage:
    client = KlaviyoClient("http://127.0.0.1:1", "k")
    page = client._page("http://127.0.0.1:1/api/events/", 1, orjson.loads(body))
    return EventPage.from_resources(ACCOUNT, page.data, page.included or [])


def _typed(body: bytes) -> EventPage:
    decoded = decode_event_page(ACCOUNT, body)
    assert isinstance(decoded, Decoded)
    return decoded.data  # type: ignore[no-any-return]


def _assert_same(typed: EventPage, generic: EventPage) -> None:
    assert typed.events.drop_columns(["attributes"]).equals(generic.events.drop_columns(["attributes"]))
    texts = zip(typed.events["attributes"].to_pylist(), generic.events["attributes"].to_pylist(), strict=True)
    assert all(json.loads(a) == json.loads(b) for a, b in texts)
    typed_attributions, generic_attributions = typed.attribution_table(), generic.attribution_table()
    if generic_attributions is None:
        assert typed_attributions is None
    else:
        assert typed_attributions is not None and typed_attributions.equals(generic_attributions)
    assert typed.owners == generic.owners


def test_emulator_pages_decode_to_the_generic_tables_with_their_attributions(emulator) -> None:
    client = KlaviyoClient(emulator.base_url, emulator.api_key)
    end = datetime.now(timezone.utc)
    url: str | None = client.base_url + "/api/events"
    params: dict[str, str] | None = {"sort": "datetime", "page[size]": "200", "include": "attributions",
                                     "filter": events_filter(Window(None, end))}
    bodies: list[bytes] = []
    while url:
        response = client.session.get(url, params=params)
        response.raise_for_status()
        bodies.append(response.content)
        url, params = response.json()["links"]["next"], None
    attributed = 0
    for body in bodies:
        typed, generic = _typed(body), _generic(body)
        _assert_same(typed, generic)
        attributed += len(typed.attributions)
        cut = len(typed) // 2
        _assert_same(typed.head(cut), _generic_head(body, cut))
    assert attributed > 0, "the emulator's pages credit some events"
    assert sum(len(_typed(b)) for b in bodies) == len(emulator.emulator.truth.events(until=end))


def _generic_head(body: bytes, rows: int) -> EventPage:
    document = orjson.loads(body)
    document["data"] = document["data"][:rows]
    return _generic(orjson.dumps(document))


def _event(event_id: str, **attributes: object) -> dict[str, object]:
    return {"type": "event", "id": event_id,
            "attributes": {"timestamp": 1700000000, "datetime": "2023-11-14T22:13:20+00:00", "uuid": "u",
                           "event_properties": {"$value": 1.5, "Name": "é"}, **attributes},
            "relationships": {"metric": {"data": {"type": "metric", "id": "M1"}},
                              "profile": {"data": {"type": "profile", "id": "P1"}}}}


@pytest.mark.parametrize("odd", [
    {"links": "not an object"},  # the generic path reads no next link from it
    {"data": [_event("e1", timestamp=None, datetime=None)]},  # nulls fit the types
    {"data": [_event("e1", datetime="2023-11-14T22:13:20")]},  # no offset: parsed as UTC
    {"data": [{**_event("e1"), "relationships": {"metric": {"data": None}, "profile": {"links": {}}}}]},
])
def test_bodies_off_the_typed_path_give_the_same_tables(odd: dict[str, object]) -> None:
    body = orjson.dumps({"data": [_event("e1"), _event("e2")], "links": {"next": None}, **odd})
    decoded = decode_event_page(ACCOUNT, body)
    if isinstance(decoded, Decoded):
        _assert_same(decoded.data, _generic(body))
    else:
        assert decoded == orjson.loads(body)


def test_an_empty_id_is_the_clients_malformed_page_error() -> None:
    body = orjson.dumps({"data": [_event("e1"), _event("")], "links": {"next": None}})
    document = decode_event_page(ACCOUNT, body)
    assert not isinstance(document, Decoded)
    with pytest.raises(SyncError, match="item 1 has no string 'id'"):
        KlaviyoClient("http://127.0.0.1:1", "k")._page("http://127.0.0.1:1/api/events/", 1, document)


def test_invalid_utf8_inside_attributes_is_not_json() -> None:
    body = orjson.dumps({"data": [_event("e1")], "links": {"next": None}}).replace("é".encode(), b"\xff")
    with pytest.raises(orjson.JSONDecodeError):
        decode_event_page(ACCOUNT, body)  # the client reports a body that is not JSON


def test_head_keeps_the_attributions_of_the_kept_events() -> None:
    stamp = datetime(2024, 1, 1, tzinfo=timezone.utc)
    events = []
    for k in range(4):
        event = _event(f"e{k}", datetime=(stamp + timedelta(seconds=k)).isoformat())
        event["relationships"]["attributions"] = {  # type: ignore[index]
            "data": [{"type": "attribution", "id": f"a{k}"}]}
        events.append(event)
    included = [{"type": "attribution", "id": f"a{k}",
                 "relationships": {"flow": {"data": {"type": "flow", "id": f"F{k}"}}}} for k in range(4)]
    page = _typed(orjson.dumps({"data": events, "included": included, "links": {"next": None}}))
    head = page.head(2)
    table = head.attribution_table()
    assert table is not None and table["event_id"].to_pylist() == ["e0", "e1"]
    assert table["flow_id"].to_pylist() == ["F0", "F1"]
    assert head.events["datetime"].type == pa.timestamp("us", tz="UTC") and len(head) == 2


def test_a_decoded_page_keeps_no_reference_to_its_body() -> None:
    # each attribute text is a view of the body: a page that kept one would keep the whole ~1 MB
    # body alive for as long as its table lives (the loader's memory grew by every page read)
    body = orjson.dumps({"data": [_event(f"e{k}") for k in range(50)], "links": {"next": None}})
    before = sys.getrefcount(body)
    page = _typed(body)
    assert sys.getrefcount(body) == before
    assert json.loads(page.events["attributes"][49].as_py())["event_properties"]["Name"] == "é"
