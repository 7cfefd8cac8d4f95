"""A profiles export that targets a Klaviyo list: the `List ID` column, or `--list-id` for every row.

Klaviyo Labs' own SFTP example adds a `List ID` column to the profiles CSV (docs/klaviyo-api.md
§4.1 [KL-S3]); `columns.py` says what is and is not known of it. `--list-id` adds that column with
one value, or fills its empty cells when the query has it; a row whose own list id differs from
`--list-id` is rejected (a problem naming the row and the column), and so is any value not shaped
like a Klaviyo list id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from loader.errors import SyncError
from loader.export import columns as col

# Klaviyo list ids are six letters or digits: the OpenAPI example `Y6nRLr` [O1], "your 6 digit List
# ID found in the URL of the subscriber List" [KL-S3]
LIST_ID_PATTERN = r"^[A-Za-z0-9]{6}$"
SHAPE = "a Klaviyo list id is 6 letters or digits, as in the list's URL (e.g. Y6nRLr)"


def check_list_id(list_id: str | None, kind: str) -> str | None:
    """The `--list-id` value, refused unless it is shaped like a Klaviyo list id (profiles only)."""
    if list_id is None:
        return None
    if kind != "profiles":
        raise SyncError("--list-id applies to profile imports only", "--list-id",
                        "use it with --kind profiles (events are not added to lists)")
    value = list_id.strip()
    if not re.fullmatch(LIST_ID_PATTERN, value):
        raise SyncError(f"{list_id!r} is not a Klaviyo list id", "--list-id",
                        f"{SHAPE}; copy it from Lists & segments > the list > its URL")
    return value


def with_list_id(batches: Iterable[pa.Table], kind: str, list_id: str | None) -> Iterator[pa.Table]:
    """The batches with a `List ID` column holding `list_id` wherever the query gave none."""
    for table in batches:
        if list_id is None:
            yield table
            continue
        names = table.column_names
        found = [i for i, name in enumerate(names) if col.header_of(kind, name) == col.LIST_ID]
        if not found:
            yield table.append_column(col.LIST_ID, pa.array([list_id] * table.num_rows, pa.string()))
            continue
        values = table.column(found[0]).combine_chunks()
        text = values.cast(pa.string()) if not pa.types.is_string(values.type) else values
        empty = pc.or_kleene(pc.is_null(text), pc.equal(pc.utf8_trim_whitespace(text), ""))
        filled = pc.if_else(empty, pa.scalar(list_id, pa.string()), text)
        yield table.set_column(found[0], names[found[0]], filled)


def list_id_rules(list_id: str | None, texts: dict[str, pa.Array]) -> list[tuple[int, str, str]]:
    """(row index, header, reason) for `List ID` values of the wrong shape or not `list_id`."""
    values = texts.get(col.LIST_ID)
    if values is None:
        return []
    present = pc.not_equal(pc.fill_null(values, ""), "")
    bad_shape = pc.and_(present, pc.invert(pc.match_substring_regex(values, LIST_ID_PATTERN)))
    found = [(i, col.LIST_ID, f"not a Klaviyo list id: {_short(values[i].as_py())} ({SHAPE})")
             for i in _rows(bad_shape)]
    if list_id is not None:
        other = pc.and_(pc.invert(bad_shape), pc.and_(present, pc.not_equal(values, list_id)))
        found += [(i, col.LIST_ID, f"list id {_short(values[i].as_py())} disagrees with --list-id {list_id}")
                  for i in _rows(other)]
    return found


def _rows(mask: pa.Array) -> list[int]:
    return pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()



def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
