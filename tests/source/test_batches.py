"""Arrow pages reach dlt joined per table (resources._Batches); dict rows pass straight through."""

from __future__ import annotations

import pyarrow as pa
from dlt.extract.items import DataItemWithMeta

from loader.source.resources import _Batches


def _page(first: int, rows: int) -> pa.Table:
    return pa.table({"id": [str(i) for i in range(first, first + rows)]})


def test_pages_are_joined_per_table_until_the_batch_is_full_and_the_rest_is_flushed() -> None:
    batches = _Batches(rows=5)
    out = []
    for first in range(0, 12, 3):  # four pages of 3 events, each with one attribution row
        out += list(batches.add([(None, _page(first, 3)), ("event_attributions", _page(100 + first, 1))]))
    out += list(batches.flush())

    events = [item for item in out if isinstance(item, pa.Table)]
    attributions = [item for item in out if isinstance(item, DataItemWithMeta)]
    assert [t.num_rows for t in events] == [6, 6]  # full at 6 >= 5 rows, twice
    assert [t.column("id").to_pylist() for t in events] == [
        [str(i) for i in range(6)], [str(i) for i in range(6, 12)]]
    assert [item.meta.table_name for item in attributions] == ["event_attributions"]  # flushed at the end
    assert attributions[0].data.column("id").to_pylist() == ["100", "103", "106", "109"]
    assert list(batches.flush()) == []


def test_dict_rows_are_not_held_back() -> None:
    batches = _Batches(rows=1000)
    rows = [{"id": "1"}]
    out = list(batches.add([(None, rows), ("event_attributions", [{"event_id": "1"}])]))
    assert out[0] is rows
    assert isinstance(out[1], DataItemWithMeta) and out[1].meta.table_name == "event_attributions"
    assert list(batches.flush()) == []
