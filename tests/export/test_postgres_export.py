"""Export from a real PostgreSQL destination: server-side cursor batches, types, bad bytes reported."""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest

from loader.export.exporter import ExportOptions, export
from loader.export.query import Source
from tests.export.helpers import exported_rows, problems_of
from tests.fixtures.postgres import PostgresDatabase

pytestmark = pytest.mark.postgres


def test_postgres_profiles_export(postgres_db: PostgresDatabase, tmp_path: Path) -> None:
    with psycopg2.connect(postgres_db.dsn) as conn, conn.cursor() as cur:
        cur.execute("CREATE SCHEMA klaviyo")
        cur.execute(
            """CREATE TABLE klaviyo.audience AS SELECT 'p' || i || '@example.com' AS email,
               '+1415555' || lpad(i::text, 4, '0') AS phone_number,
               timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute' AS updated_at,
               i % 2 = 0 AS is_vip, (i * 1.25)::numeric(10, 2) AS spend, ARRAY['a', 'b'] AS tags,
               jsonb_build_object('tier', i % 3) AS attrs,
               CASE WHEN i = 7 THEN '\\xff41'::bytea ELSE convert_to('ok', 'UTF8') END AS raw_note
               FROM generate_series(0, 249) AS i"""
        )
    options = ExportOptions("profiles", tmp_path / "out", destination="postgres", batch_rows=100)
    result = export(Source(query="SELECT * FROM klaviyo.audience ORDER BY email"), options)
    rows = exported_rows(result)
    assert result.rows == 249 and len(rows) == 249
    first = next(r for r in rows if r["Email"] == "p0@example.com")
    assert first == {
        "Email": "p0@example.com",
        "PhoneNumber": "+14155550000",
        "updated_at": "2024-01-01 00:00:00+00:00",
        "is_vip": "true",
        "spend": "0.00",
        "tags": '["a","b"]',
        "attrs": first["attrs"],
        "raw_note": "ok",
    }
    assert '"tier"' in first["attrs"] and "0" in first["attrs"]
    [problem] = problems_of(result)
    assert problem["column"] == "raw_note" and "not UTF-8" in problem["reason"]
    expected_row = sorted(f"p{i}@example.com" for i in range(250)).index("p7@example.com") + 1
    assert int(problem["result_row"]) == expected_row
