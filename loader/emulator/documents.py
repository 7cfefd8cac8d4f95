"""The JSON:API collection document of a page: `data`, `links` (self, next, prev) and `included`."""

from __future__ import annotations

from urllib.parse import urlencode

import orjson

from loader.emulator.operation import Page
from loader.emulator.pagination import Cursor, PageSlice
from loader.emulator.query import Query


def page_links(base: str, q: Query, page: PageSlice, first: Cursor | None, last: Cursor | None,
               path: str | None = None) -> dict:
    """Absolute links that keep the request's query (its filter too), with the cursor of the edge row as
    `page[cursor]`; `path` (default `/api/<spec name>/`) for sub-resources (/api/flows/{id}/flow-actions/)."""
    path = f"{base}{path or f'/api/{q.spec.name}/'}"
    kept = [(k, v) for k, v in q.params if k != "page[cursor]"]

    def url(params: list[tuple[str, str]]) -> str:
        return f"{path}?{urlencode(params)}" if params else path

    return {
        "self": url(q.params),
        "next": url([*kept, ("page[cursor]", last.encode())]) if page.more_after and last else None,
        "prev": url([*kept, ("page[cursor]", first.encode())]) if page.more_before and first else None,
    }


def collection(data: list[dict] | list[str], links: dict, included: list[dict] | None) -> Page:
    """The response body; `data` items are resource dicts or their JSON texts (the fast event path)."""
    is_text = bool(data) and isinstance(data[0], str)
    items = ",".join(data).encode() if is_text else orjson.dumps(data)[1:-1]  # type: ignore[arg-type]
    tail = b"" if included is None else b',"included":' + orjson.dumps(included)
    body = b"".join((b'{"data":[', items, b'],"links":', orjson.dumps(links), tail, b"}"))  # one copy
    return Page(body, len(data))
