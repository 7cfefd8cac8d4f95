"""Plain numbers (no exponent, no infinity) and nested values as JSON with numbers and objects."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pyarrow as pa
import pytest

from loader.export.exporter import ExportResult
from loader.export.format import format_column
from loader.export.number_text import float_text, plain_decimals
from tests.export.helpers import exported_rows

Run = Callable[..., ExportResult]


def test_floats_are_plain_and_infinities_empty(run_export: Run) -> None:
    query = """SELECT 'u' || n || '@x.io' AS email, x AS score FROM (VALUES (1, 1e20), (2, 1e-7),
               (3, 'inf'::DOUBLE), (4, '-inf'::DOUBLE), (5, 'nan'::DOUBLE), (6, 1.5), (7, 0.1),
               (8, -2.5e-10), (9, 123456789012345678), (10, NULL), (11, 1e16)) t(n, x) ORDER BY n"""
    result = run_export(query)
    assert [r["score"] for r in exported_rows(result)] == [
        "100000000000000000000",
        "0.0000001",
        "",
        "",
        "",
        "1.5",
        "0.1",
        "-0.00000000025",
        "123456789012345680",
        "",
        "10000000000000000",
    ]
    assert result.rejected == 0


@pytest.mark.parametrize("value", [1e20, 1e-7, 5e-324, 1.7976931348623157e308, -1.2345678901234567e-100])
def test_plain_text_reads_back_as_the_same_double(value: float) -> None:
    [text] = float_text(pa.array([value])).to_pylist()
    assert "e" not in text.lower() and float(text) == value
    assert Decimal(text) == Decimal(repr(value))


def test_values_without_exponent_keep_their_bytes() -> None:
    values = pa.array([0.1, -0.0, 1.5, 1e15, 3.0, None, 1 / 3])
    assert float_text(values).to_pylist() == ["0.1", "-0", "1.5", "1000000000000000", "3", None, repr(1 / 3)]
    text = pa.array(["1", "2.50", None, "x"])
    assert plain_decimals(text) is text  # no 'e' byte: the same array, untouched


def test_float32_and_decimals_are_plain() -> None:
    assert float_text(pa.array([1e20, 1e-7], pa.float32())).to_pylist() == [
        "100000000000000000000",
        "0.0000001",
    ]
    small = pa.array([Decimal("0.0000000001"), Decimal("1.5")], pa.decimal128(38, 10))
    assert format_column(small, "amount")[0].to_pylist() == ["0.0000000001", "1.5000000000"]
    scaled = pa.array([Decimal("1E+3")], pa.decimal128(5, -2))
    assert format_column(scaled, "Value")[0].to_pylist() == ["1000"]


def test_value_column_exponents_become_plain(run_export: Run) -> None:
    query = """SELECT 'Placed Order' AS metric, TIMESTAMP '2024-06-01 00:00:00' AS occurred_at,
               'ord-1' AS uuid, 'x-1' AS external_id, 1e21 AS revenue"""
    assert exported_rows(run_export(query, kind="events"))[0]["Value"] == "1000000000000000000000"


def test_nested_decimals_are_numbers_and_maps_are_objects(run_export: Run) -> None:
    query = """SELECT 'a@x.io' AS email, [1.5, 2.0]::DECIMAL(4, 1)[] AS sizes,
               MAP {'k': 1, 'j': 2} AS counts, MAP {1: 'one'} AS names,
               {'price': 9.99::DECIMAL(5, 2), 'tags': MAP {'a': [1.0::DECIMAL(3, 1)]}} AS item,
               [0.0000001::DECIMAL(10, 8)] AS tiny, [1e20::DOUBLE, 'inf'::DOUBLE] AS floats"""
    [row] = exported_rows(run_export(query))
    assert row["sizes"] == "[1.5,2.0]"
    assert row["counts"] == '{"k":1,"j":2}'
    assert row["names"] == '{"1":"one"}'
    assert row["item"] == '{"price":9.99,"tags":{"a":[1.0]}}'
    assert row["tiny"] == "[0.00000010]"
    assert row["floats"] == "[1e+20,null]"  # inside JSON an exponent is a valid number (orjson)
