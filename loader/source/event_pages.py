"""Pages of events decoded straight into Arrow columns: the events stream's fast path.

A page of 1,000 events is about 1 MB of JSON. Parsing it into dicts (and serialising each event's
`attributes` back into JSON text for its column) cost most of the loader's CPU, so the body is
decoded with msgspec into typed structs that keep only what the columns need: each event's
`attributes` stays the exact JSON text the API sent (`msgspec.Raw`, never parsed into objects), and
a second typed decode of that text reads `datetime`, `timestamp` and `uuid` from it; links are
skipped. The page's attributions (`include=attributions`) are resolved to their rows on the way.

A body that does not fit these types (a field of an unexpected type, an empty id, invalid UTF-8
inside `attributes`, not JSON at all) is not decoded here: `decode_event_page` hands back
`orjson.loads(body)` instead, which the client validates as any other document (and reports a
malformed page exactly as for every other resource); `EventPage.from_resources` then builds the same
columns from those dicts. Both paths give equal tables (tests/source/test_event_pages.py).
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
import orjson
import pyarrow as pa

from loader.source.client import Decoded
from loader.source.records import (
    ATTRIBUTION_ARROW,
    ATTRIBUTION_RELATIONSHIPS,
    account_column,
    event_arrow,
    event_table,
    indexed_attribution_rows,
)


class _Ref(msgspec.Struct, gc=False):
    id: str


class _ToOne(msgspec.Struct, gc=False):
    data: _Ref | None = None


class _ToMany(msgspec.Struct, gc=False):
    data: list[_Ref] | None = None


class _EventRelationships(msgspec.Struct, gc=False):
    metric: _ToOne | None = None
    profile: _ToOne | None = None
    attributions: _ToMany | None = None


class _Event(msgspec.Struct, gc=False):
    id: str
    attributes: msgspec.Raw
    relationships: _EventRelationships | None = None


class _EventAttributes(msgspec.Struct, gc=False):
    """The attributes with columns of their own (every attribute stays in the JSON text)."""

    datetime: str | None = None
    timestamp: int | None = None
    uuid: str | None = None


class _AttributionRelationships(msgspec.Struct, rename="kebab", gc=False):
    attributed_event: _ToOne | None = None
    campaign: _ToOne | None = None
    campaign_message: _ToOne | None = None
    flow: _ToOne | None = None
    flow_message: _ToOne | None = None
    flow_message_variation: _ToOne | None = None


class _Included(msgspec.Struct, gc=False):
    type: str
    id: str
    relationships: _AttributionRelationships | None = None


class _Links(msgspec.Struct, gc=False):
    next: str | None = None


class _Document(msgspec.Struct, gc=False):
    data: list[_Event]
    links: _Links | None = None
    included: list[_Included] | None = None


_DOCUMENT = msgspec.json.Decoder(_Document)
_ATTRIBUTES = msgspec.json.Decoder(_EventAttributes)
# an event_attributions row after its account_id: event_id, attribution_id, ATTRIBUTION_RELATIONSHIPS
AttributionRow = tuple[str | None, ...]


@dataclass
class EventPage:
    """One page of one account's events as an arrow table (EVENT_ARROW), and the attribution rows
    of its events in event order (`owners[k]`: the position of the event `attributions[k]` credits)."""

    account_id: str
    events: pa.Table
    attributions: list[AttributionRow]
    owners: list[int]

    def __len__(self) -> int:
        return self.events.num_rows

    def head(self, rows: int) -> EventPage:
        """The first `rows` events and their attributions."""
        kept = bisect.bisect_left(self.owners, rows)
        return EventPage(self.account_id, self.events.slice(0, rows), self.attributions[:kept],
                         self.owners[:kept])

    def datetimes(self) -> list[datetime | None]:
        return self.events["datetime"].to_pylist()

    def attribution_table(self) -> pa.Table | None:
        """The page's `event_attributions` rows (None when it has none)."""
        if not self.attributions:
            return None
        columns = list(zip(*self.attributions, strict=True))
        arrays = [account_column(self.account_id, len(self.attributions))]
        arrays += [pa.array(column, pa.string()) for column in columns]
        return pa.Table.from_arrays(arrays, schema=ATTRIBUTION_ARROW)

    @classmethod
    def from_resources(
        cls, account_id: str, items: list[dict[str, Any]], included: list[dict[str, Any]]
    ) -> EventPage:
        """The same page from validated JSON:API dicts (the path of a body `decode_event_page`
        did not take): `attributes` serialised back to JSON text."""
        indexed = list(indexed_attribution_rows(account_id, items, included)) if included else []
        rows = [(row["event_id"], row["attribution_id"], *(row[name] for name in ATTRIBUTION_RELATIONSHIPS))
                for _, row in indexed]
        return cls(account_id, event_table(account_id, items), rows, [position for position, _ in indexed])


def decode_event_page(account_id: str, body: bytes) -> Decoded | Any:
    """A page body of `/api/events` as an `EventPage` (in a `Decoded`), or, when it does not fit the
    types above, the parsed JSON document for the client's own validation."""
    try:
        document = _DOCUMENT.decode(body)
        return Decoded(_event_page(account_id, document), document.links.next if document.links else None)
    except (msgspec.DecodeError, _Untyped, pa.ArrowInvalid):  # ValidationError is a DecodeError
        return orjson.loads(body)


class _Untyped(Exception):
    """The page is valid JSON that the typed path leaves to the generic one."""


def _event_page(account_id: str, document: _Document) -> EventPage:
    ids: list[str] = []
    datetimes: list[str | None] = []
    stamps: list[int | None] = []
    metrics: list[str | None] = []
    profiles: list[str | None] = []
    uuids: list[str | None] = []
    texts: list[msgspec.Raw] = []
    attributions = _attributions(document.included)
    rows: list[AttributionRow] = []
    owners: list[int] = []
    for position, event in enumerate(document.data):
        if not event.id:
            raise _Untyped  # the client names the item without an id
        attributes = _ATTRIBUTES.decode(event.attributes)
        related = event.relationships
        ids.append(event.id)
        datetimes.append(attributes.datetime)
        stamps.append(attributes.timestamp)
        uuids.append(attributes.uuid)
        texts.append(event.attributes)
        if related is None:
            metrics.append(None)
            profiles.append(None)
            continue
        metrics.append(_one(related.metric))
        profiles.append(_one(related.profile))
        listed = related.attributions.data if related.attributions else None
        for ref in listed or ():
            found = attributions.get(ref.id)
            if found is not None:
                rows.append((event.id, *found))
                owners.append(position)
    text_column = _text_column(texts)
    events = event_arrow(account_id, ids, datetimes, stamps, metrics, profiles, uuids, text_column)
    return EventPage(account_id, events, rows, owners)


def _text_column(texts: list[msgspec.Raw]) -> pa.StringArray:
    """The attribute texts as one string column: joined into one buffer with their offsets, then
    checked as UTF-8 by arrow (msgspec does not look inside a Raw). `pa.array` over memoryviews of
    the texts is not used: pyarrow 26 keeps a reference to each, and so every page body, alive."""
    offsets = pa.array(itertools.accumulate((len(text) for text in texts), initial=0), pa.int32())
    column = pa.StringArray.from_buffers(len(texts), offsets.buffers()[1], pa.py_buffer(b"".join(texts)))
    column.validate(full=True)
    return column


def _attributions(included: list[_Included] | None) -> dict[str, AttributionRow]:
    """attribution id -> its row (attribution_id, then each ATTRIBUTION_RELATIONSHIPS id)."""
    found: dict[str, AttributionRow] = {}
    for item in included or ():
        if item.type != "attribution":
            continue
        related = item.relationships or _AttributionRelationships()
        found[item.id] = (  # the last of equal ids, as attribution_rows
            item.id, _one(related.attributed_event), _one(related.campaign),
            _one(related.campaign_message), _one(related.flow), _one(related.flow_message),
            _one(related.flow_message_variation),
        )
    return found


def _one(relationship: _ToOne | None) -> str | None:
    return relationship.data.id if relationship is not None and relationship.data is not None else None
