"""The profiles `forget` erased, dropped at extract time so no later sync brings them back.

`forget` records each erased profile in raw `deletions` (object `profile`, reason `forget`). Every
sync reads those ids back once (portable SQL, loader.privacy.stored) on its first item, and the
`profiles` and `events` resources drop the rows of those (account_id, profile) pairs: profile rows
by `id`, events by `profile_id` (dict rows and arrow tables alike). The `lists` and `segments`
resources leave them out of every member listing (loader.source.membership).
"""

from __future__ import annotations

import threading
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.destinations.exceptions import DatabaseUndefinedRelation

FORGET = "forget"


class Forgotten:
    """The forgotten (account_id, profile id) pairs of the running pipeline, read on first use."""

    def __init__(self, column: str) -> None:
        self.column = column  # the column naming the profile: `id` (profiles) or `profile_id` (events)
        self._pairs: set[tuple[str, str]] | None = None
        self._lock = threading.Lock()

    def pairs(self) -> set[tuple[str, str]]:
        with self._lock:
            if self._pairs is None:
                self._pairs = read_forgotten(dlt.current.pipeline())
            return self._pairs

    def keep(self, item: Any) -> bool:
        """A dict row is kept unless it names a forgotten profile (arrow tables: see `trim`)."""
        if not isinstance(item, dict):
            return True
        pairs = self.pairs()
        return not pairs or (str(item.get("account_id")), str(item.get(self.column))) not in pairs

    def trim(self, item: Any) -> Any:
        """An arrow table without the rows of forgotten profiles (other items as they are)."""
        if not isinstance(item, pa.Table) or self.column not in item.column_names:
            return item
        pairs = self.pairs()
        if not pairs:
            return item
        keys = pc.binary_join_element_wise(item["account_id"].cast(pa.string()),
                                           item[self.column].cast(pa.string()), "\x00")
        gone = pa.array([f"{a}\x00{p}" for a, p in pairs], pa.string())
        return item.filter(pc.invert(pc.is_in(keys, value_set=gone)))


def read_forgotten(pipeline: Any) -> set[tuple[str, str]]:
    """The forgotten pairs; none on the filesystem destination (`forget` refuses it: files are written
    once, and its SQL layer is not one to read from mid-extract)."""
    if pipeline.destination.destination_name == "filesystem":
        return set()
    try:
        with pipeline.sql_client() as client:
            if not client.has_dataset():
                return set()
            name = client.make_qualified_table_name("deletions")
            rows = client.execute_sql(
                f"SELECT account_id, id FROM {name} WHERE object = %s AND reason = %s", "profile", FORGET)
    except (DatabaseUndefinedRelation, NotImplementedError):
        return set()
    return {(str(a), str(i)) for a, i in rows or []}


def drop_forgotten(resource: Any, column: str) -> Any:
    """The resource with the forgotten profiles' rows dropped (its steps: a filter and a map)."""
    forgotten = Forgotten(column)
    return resource.add_filter(forgotten.keep).add_map(forgotten.trim)
