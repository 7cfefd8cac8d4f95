"""Klaviyo's CSV format: headers, UTF-8, UTC timestamps, true/false, JSON lists, plain numbers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from loader.errors import SyncError
from loader.export.columns import plan_columns
from loader.export.exporter import ExportResult
from tests.export.helpers import exported_rows

Run = Callable[..., ExportResult]


def test_profile_values_normalised(run_export: Run) -> None:
    query = """SELECT 'a@x.io' AS email_address, TIMESTAMPTZ '2024-06-01 12:30:00+02:00' AS signed_up_at,
               TIMESTAMP '2024-06-01 08:00:00.123456' AS seen_at, DATE '2024-02-29' AS birthday,
               true AS is_vip, false AS is_test, ['red', 'blue'] AS colours, [1, 2] AS sizes,
               12.50::DECIMAL(10, 2) AS spend, 'NaN'::DOUBLE AS score, 42::BIGINT AS orders,
               {'a': 1} AS extra, 'Zoë, "the" one' AS first_name"""
    result = run_export(query)
    path = result.manifest.parent / result.files[0].name
    raw = path.read_bytes()
    assert raw.decode("utf-8").splitlines()[0] == (
        "Email,signed_up_at,seen_at,birthday,is_vip,is_test,colours,sizes,spend,score,orders,extra,First Name"
    )
    assert exported_rows(result) == [
        {
            "Email": "a@x.io",
            "signed_up_at": "2024-06-01 10:30:00+00:00",
            "seen_at": "2024-06-01 08:00:00+00:00",
            "birthday": "2024-02-29",
            "is_vip": "true",
            "is_test": "false",
            "colours": '["red","blue"]',
            "sizes": "[1,2]",
            "spend": "12.50",
            "score": "",
            "orders": "42",
            "extra": '{"a":1}',
            "First Name": 'Zoë, "the" one',
        }
    ]


def test_event_columns_and_properties(run_export: Run) -> None:
    query = """SELECT 'Placed Order' AS metric, TIMESTAMPTZ '2024-06-01 00:00:00-05:00' AS occurred_at,
               'ord-1' AS uuid, 'x-1' AS external_id, 99.9 AS revenue, 'usd' AS currency,
               'sku-1' AS item___sku"""
    result = run_export(query, kind="events")
    assert exported_rows(result) == [
        {
            "Metric Name": "Placed Order",
            "Event Timestamp": "2024-06-01 05:00:00+00:00",
            "Unique ID": "ord-1",
            "ExternalID": "x-1",
            "Value": "99.9",
            "Value Currency": "usd",
            "item___sku": "sku-1",
        }
    ]


@pytest.mark.parametrize(
    ("names", "headers"),
    [
        (["E-Mail", "Phone Number", "externalId"], ("Email", "PhoneNumber", "ExternalID")),
        (["EMAIL", "mobile", "first_name", "Zip"], ("Email", "PhoneNumber", "First Name", "Zip Code")),
    ],
)
def test_header_aliases(names: list[str], headers: tuple[str, ...]) -> None:
    assert plan_columns("profiles", names, "--query").headers == headers


def test_two_columns_for_one_header_refused() -> None:
    with pytest.raises(SyncError, match="'email' and 'Email Address' both map to Klaviyo header 'Email'"):
        plan_columns("profiles", ["email", "Email Address"], "--query")


def test_profiles_need_an_identifier_column(run_export: Run) -> None:
    with pytest.raises(SyncError, match="no profile identifier column among \\['first_name'\\]"):
        run_export("SELECT 'Ann' AS first_name")


def test_empty_result_writes_no_file(run_export: Run) -> None:
    result = run_export("SELECT 'a@x.io' AS email WHERE false")
    assert result.files == [] and result.rows == 0 and result.manifest.exists()


def test_timestamps_truncate_to_the_second_before_and_after_1970(run_export: Run) -> None:
    query = """SELECT * FROM (VALUES ('a@x.io', TIMESTAMP '1960-01-02 03:04:05.999'),
               ('b@x.io', TIMESTAMP '2024-01-01 01:01:01.5')) t(email, seen_at) ORDER BY email"""
    result = run_export(query, batch_rows=1)
    assert [r["seen_at"] for r in exported_rows(result)] == [
        "1960-01-02 03:04:05+00:00",
        "2024-01-01 01:01:01+00:00",
    ]


def test_e164_check_agrees_with_the_regular_expression() -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    from loader.export.format import is_e164
    from loader.export.validate import E164_PATTERN

    values = [None, "", "+", "+1", "+12", "+0123", "+123456789012345", "+1234567890123456", "+12\n", "\n+12"]
    values += ["+١٢٣", "+12 ", "++12", "+1-415", "14155550123", "+1415555012a", "+é12", "+14155550123"]
    text = pa.array(values, pa.string())
    for sample in (text, text.slice(3)):  # a sliced array (non-zero offset) too
        expected = pc.match_substring_regex(sample, E164_PATTERN).to_pylist()
        assert is_e164(sample).to_pylist() == expected
    assert is_e164(text).to_pylist()[-1] is True


def test_timestamp_text_for_four_digit_years_and_others(run_export: Run) -> None:
    query = """SELECT * FROM (VALUES ('a@x.io', TIMESTAMPTZ '9999-12-31 23:59:59+00'),
               ('b@x.io', TIMESTAMPTZ '0999-05-05 01:02:03+00'), ('c@x.io', NULL),
               ('d@x.io', TIMESTAMPTZ '2024-06-01 12:30:00.5+02:00')) t(email, seen_at)"""
    assert [row["seen_at"] for row in exported_rows(run_export(query))] == [
        "9999-12-31 23:59:59+00:00",
        "0999-05-05 01:02:03+00:00",
        "",
        "2024-06-01 10:30:00+00:00",
    ]
    fixed = "SELECT 'a@x.io' AS email, TIMESTAMPTZ '2024-06-01 12:30:00+02:00' AS seen_at"
    assert [row["seen_at"] for row in exported_rows(run_export(fixed))] == ["2024-06-01 10:30:00+00:00"]
