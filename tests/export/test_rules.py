"""Each validation rule with a failing and a passing case, through a real DuckDB query."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from loader.errors import SyncError
from loader.export.exporter import ExportResult
from tests.export.conftest import DuckWarehouse
from tests.export.helpers import exported_rows, problems_of, rows_of

Run = Callable[..., ExportResult]


def _one_problem(result: ExportResult, row: int, column: str, reason_part: str) -> None:
    problems = problems_of(result)
    assert len(problems) == 1, problems
    problem = problems[0]
    if result.files:  # the part the row would have gone into
        assert problem["would_be_in_file"] == result.files[0].name
    assert (int(problem["result_row"]), problem["column"]) == (row, column)
    assert reason_part in problem["reason"]


def test_malformed_email_rejected_valid_kept(run_export: Run) -> None:
    result = run_export(
        "SELECT * FROM (VALUES (1, 'Ann@Example.COM '), (2, 'not-an-email'), (3, 'b@c')) t(n, email) "
        "ORDER BY n"
    )
    assert [r["Email"] for r in exported_rows(result)] == ["ann@example.com"]
    problems = problems_of(result)
    assert [(p["result_row"], p["column"], p["reason"]) for p in problems] == [
        ("2", "Email (email)", "malformed email address"),
        ("3", "Email (email)", "malformed email address"),
    ]
    rejects = rows_of(result.rejects_file)  # type: ignore[arg-type]
    assert [(r["_row"], r["Email"]) for r in rejects] == [("2", "not-an-email"), ("3", "b@c")]


def test_phone_must_be_e164(run_export: Run) -> None:
    result = run_export(
        "SELECT * FROM (VALUES (1, '+1 (415) 555-0123'), (2, '415-555-0199'), (3, '+0123')) t(n, phone) "
        "ORDER BY n"
    )
    assert [r["PhoneNumber"] for r in exported_rows(result)] == ["+14155550123"]
    assert [p["result_row"] for p in problems_of(result)] == ["2", "3"]
    assert all("E.164" in p["reason"] for p in problems_of(result))


def test_duplicate_identifiers_keep_first_row_across_batches(run_export: Run) -> None:
    query = """SELECT * FROM (VALUES (1, 'a@x.io', 'first'), (2, 'b@x.io', 'other'), (3, 'A@X.io', 'dup'),
               (4, 'c@x.io', 'other2'), (5, 'b@x.io', 'dup2')) t(n, email, first_name) ORDER BY n"""
    result = run_export(query, batch_rows=2)
    kept = exported_rows(result)
    assert [(r["Email"], r["First Name"]) for r in kept] == [
        ("a@x.io", "first"),
        ("b@x.io", "other"),
        ("c@x.io", "other2"),
    ]
    assert [(p["result_row"], p["column"]) for p in problems_of(result)] == [
        ("3", "Email (email)"),
        ("5", "Email (email)"),
    ]
    assert "keeps only the first row" in problems_of(result)[0]["reason"]


def test_duplicate_event_unique_id_rejected(run_export: Run) -> None:
    query = """SELECT * FROM (VALUES ('e1', 'Placed Order', TIMESTAMP '2024-05-01 10:00:00', 'a@x.io'),
               ('e1', 'Placed Order', TIMESTAMP '2024-05-01 11:00:00', 'b@x.io'),
               ('e2', 'Placed Order', TIMESTAMP '2024-05-01 12:00:00', 'a@x.io'))
               t(event_id, metric_name, occurred_at, email)"""
    result = run_export(query, kind="events")
    assert [r["Unique ID"] for r in exported_rows(result)] == ["e1", "e2"]
    assert [(p["result_row"], p["column"]) for p in problems_of(result)] == [("2", "Unique ID (event_id)")]


def test_profile_without_any_identifier_rejected(run_export: Run) -> None:
    query = """SELECT * FROM (VALUES (1, NULL, NULL), (2, '', 'x-2'), (3, NULL, NULL::VARCHAR))
               t(n, email, external_id) ORDER BY n"""
    result = run_export(query)
    assert [r["ExternalID"] for r in exported_rows(result)] == ["x-2"]
    assert [p["result_row"] for p in problems_of(result)] == ["1", "3"]
    assert all(p["reason"] == "no profile identifier (all empty)" for p in problems_of(result))


def test_event_missing_required_values_rejected(run_export: Run) -> None:
    query = """SELECT * FROM (VALUES (1, 'e1', 'Viewed', TIMESTAMP '2024-01-01 00:00:00', 'a@x.io'),
               (2, 'e2', NULL, TIMESTAMP '2024-01-01 00:00:00', 'b@x.io'),
               (3, 'e3', 'Viewed', NULL, 'c@x.io')) t(n, unique_id, metric_name, timestamp, email)
               ORDER BY n"""
    result = run_export(query, kind="events")
    assert [r["Unique ID"] for r in exported_rows(result)] == ["e1"]
    found = [(p["result_row"], p["column"], p["reason"]) for p in problems_of(result)]
    assert found == [
        ("2", "Metric Name (metric_name)", "required value missing"),
        ("3", "Event Timestamp (timestamp)", "required value missing"),
    ]


def test_events_without_required_columns_refused(run_export: Run) -> None:
    with pytest.raises(SyncError, match="lacks required column.*Unique ID"):
        run_export("SELECT 'Viewed' AS metric_name, now() AS occurred_at, 'a@x.io' AS email", kind="events")


def test_field_over_100kb_rejected(run_export: Run) -> None:
    query = """SELECT * FROM (VALUES (1, 'a@x.io', repeat('x', 102400)), (2, 'b@x.io', repeat('y', 102401)))
               t(n, email, notes) ORDER BY n"""
    result = run_export(query)
    assert [r["Email"] for r in exported_rows(result)] == ["a@x.io"]
    _one_problem(result, 2, "notes", "field over 100 KB")


def test_non_utf8_text_reported(run_export: Run) -> None:
    query = """SELECT * FROM (VALUES (1, 'a@x.io', 'caf\\xC3\\xA9'::BLOB), (2, 'b@x.io', 'caf\\xE9'::BLOB))
               t(n, email, city_raw) ORDER BY n"""
    result = run_export(query)
    assert [(r["Email"], r["city_raw"]) for r in exported_rows(result)] == [("a@x.io", "café")]
    _one_problem(result, 2, "city_raw", "not UTF-8 text (byte 0xe9 at offset 3)")


def test_consent_only_accepted_values(run_export: Run) -> None:
    query = """SELECT * FROM (VALUES (1, 'a@x.io', 'subscribed'), (2, 'b@x.io', 'NEVER_SUBSCRIBED'),
               (3, 'c@x.io', 'yes please')) t(n, email, email_marketing_consent) ORDER BY n"""
    result = run_export(query)
    assert [r["Email Marketing Consent"] for r in exported_rows(result)] == ["Subscribe", "Never Subscribed"]
    _one_problem(
        result, 3, "Email Marketing Consent (email_marketing_consent)", "Subscribe, Never Subscribed"
    )


def test_event_value_without_currency_symbols(run_export: Run) -> None:
    query = """SELECT * FROM (VALUES ('e1', '$1,234.50', 'USD'), ('e2', 'EUR 12', 'EUR'),
               ('e3', 'twelve', 'USD'))
               t(event_id, value, currency), (SELECT 'Placed Order' AS metric, TIMESTAMP '2024-01-01' AS time,
               'a@x.io' AS email) ORDER BY event_id"""
    result = run_export(query, kind="events")
    assert [(r["Value"], r["Value Currency"]) for r in exported_rows(result)] == [
        ("1234.50", "USD"),
        ("12", "EUR"),
    ]
    _one_problem(result, 3, "Value (value)", "not a number")


def test_text_timestamps_normalised_or_rejected(run_export: Run) -> None:
    query = """SELECT * FROM (VALUES ('e1', '2024-03-01T12:00:00+02:00'), ('e2', '03/01/2024 08:30'),
               ('e3', 'yesterday')) t(event_id, event_timestamp), (SELECT 'Viewed' AS metric_name,
               '+14155550123' AS phone) ORDER BY event_id"""
    result = run_export(query, kind="events")
    assert [r["Event Timestamp"] for r in exported_rows(result)] == [
        "2024-03-01 10:00:00+00:00",
        "2024-03-01 08:30:00+00:00",
    ]
    _one_problem(result, 3, "Event Timestamp (event_timestamp)", "not an accepted timestamp")


def test_strict_fails_and_writes_no_final_file(run_export: Run, tmp_path: Path) -> None:
    with pytest.raises(SyncError) as raised:
        run_export("SELECT * FROM (VALUES ('a@x.io'), ('broken')) t(email)", strict=True)
    message = str(raised.value)
    assert "1 problem(s) found, first: result row 2 (would be in " in message
    assert ".csv), column Email (email)" in message
    out = tmp_path / "out"
    assert not list(out.glob("*.csv")) and not list(out.glob("*.manifest.json"))
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    problems = list((out / "rejects").glob("*.problems.csv"))
    assert len(problems) == 1 and "malformed email" in problems[0].read_text()


def test_strict_fails_in_a_later_batch_after_earlier_ones_written(run_export: Run, tmp_path: Path) -> None:
    rows = ", ".join(f"({n}, 'u{n}@x.io')" for n in range(1, 12))
    query = f"SELECT * FROM (VALUES {rows}, (12, 'broken'), (13, 'v@x.io')) t(n, email) ORDER BY n"
    with pytest.raises(SyncError) as raised:
        run_export(query, strict=True, batch_rows=2)  # batches 1-5 are clean and already written
    assert "result row 12 (would be in " in str(raised.value)
    out = tmp_path / "out"
    assert not list(out.glob("*.csv")) and not list(out.glob("*.manifest.json"))
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_strict_passes_on_clean_data(run_export: Run, duck: DuckWarehouse) -> None:
    result = run_export("SELECT 'a@x.io' AS email UNION ALL SELECT 'b@x.io'", strict=True)
    assert result.rows == 2 and result.rejected == 0 and result.problems_file is None


def test_duplicate_tracker_keeps_first_of_each_value_within_and_across_batches() -> None:
    import numpy as np
    import pyarrow as pa

    from loader.export.validate import DuplicateTracker, batch_keys

    tracker = DuplicateTracker()
    seen: set[str] = set()
    for batch in (["b", "a", "b", "", "c", "a", "b"], ["c", "d", "d", "e", "a"], ["f", None, "e", "g"]):
        values = pa.array(batch, pa.string())
        everyone = np.ones(len(batch), dtype=bool)
        keys = batch_keys({"Email": values}, everyone, tracker.db)["Email"]
        repeated = tracker.repeats("Email", keys)
        expected = []
        for value in batch:
            expected.append(bool(value) and value in seen)
            if value:
                seen.add(value)
        assert repeated.tolist() == expected, batch
        tracker.record("Email", keys, ~repeated)
    tracker.close()


def test_rejects_keep_the_invalid_input_and_problems_name_result_rows(run_export: Run) -> None:
    query = """SELECT * FROM (VALUES (1, 'a@x.io', 'subscribed', 'caf\\xC3\\xA9'::BLOB),
               (2, 'b@x.io', 'yes please', 'ok'::BLOB), (3, 'c@x.io', NULL, 'caf\\xE9'::BLOB))
               t(n, email, email_marketing_consent, city_raw) ORDER BY n"""
    result = run_export(query, stem="p")
    assert result.rejects_file is not None and result.problems_file is not None
    rejects = rows_of(result.rejects_file)
    assert [(r["_row"], r["Email Marketing Consent"], r["city_raw"]) for r in rejects] == [
        ("2", "yes please", "ok"),
        ("3", "", "caf\\xe9"),
    ]
    assert result.problems_file.read_text().splitlines()[0] == "result_row,would_be_in_file,column,reason"
    assert [(p["result_row"], p["would_be_in_file"]) for p in problems_of(result)] == [
        ("2", "p-0001.csv"),
        ("3", "p-0001.csv"),
    ]


def test_event_rejects_keep_the_unparsed_timestamp(run_export: Run) -> None:
    query = """SELECT * FROM (VALUES ('e1', '2024-06-01T10:00:00Z'), ('e2', 'next tuesday'))
               t(event_id, event_timestamp)"""
    result = run_export(f"SELECT 'Viewed' AS metric, 'a@x.io' AS email, * FROM ({query})", kind="events")
    assert result.rejects_file is not None
    assert [r["Event Timestamp"] for r in rows_of(result.rejects_file)] == ["next tuesday"]
