"""Issue 12's proof, end to end through `klaviyo-sync run` / `forget` and the real dbt build, against the
emulator's truth, on DuckDB and PostgreSQL.

One historical run of every object per warehouse (lists, segments and their members included) is made
once per module and cloned for each test (DuckDB: the file, PostgreSQL: `CREATE DATABASE ... TEMPLATE`;
the pipeline's working dir and dbt's work dir copied; the emulator rebuilt from the same anchor).
Then the emulator grows: list joins and leaves, a deleted list, segment joins and leaves, a merge,
deleted profiles, new suppressions.

- the next hourly run (no reconcile due) lands every new suppression in `klaviyo_profile`;
- a run with `--reconcile-now`: `klaviyo_list_membership` / `klaviyo_segment_membership` are exactly
  the truth's current members, `deletions` has one row per disappearance, lists and segments flagged
  `is_deleted`; deleted profiles are redacted, flagged or gone as `deleted_profiles` says, and their
  personal data is in no table of any schema (raw, staging, marts, ledger, dlt's own);
- `forget --email X` of a person the emulator still holds: nothing of the email or phone anywhere,
  `deletions` has the record by profile id only, and a next run (members reconciled) brings none of
  it back, memberships included.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from loader.cli import main
from loader.emulator import Emulator, EmulatorServer
from loader.privacy.redact import PERSONAL, REDACTED
from tests.fixtures.emulator import TEST_CONFIG
from tests.fixtures.expected_raw import _dt, assert_same
from tests.fixtures.postgres import PostgresServer
from tests.fixtures.warehouse import Warehouse

pytestmark = [pytest.mark.integration, pytest.mark.dbt]

OBJECTS = "profiles,events,campaigns,flows,lists,segments"
CONFIG = replace(TEST_CONFIG, profiles=60, events=300, future_events=2, campaigns=2, flows=1, lists=4,
                 segments=3, history_days=30)
GROWTH = {"list_joins": 6, "list_leaves": 4, "segment_joins": 3, "segment_leaves": 2, "deleted_lists": 1,
          "merged_profiles": 1, "deleted_profiles": 2, "new_suppressions": 3, "new_events": 30}
SYSTEM_SCHEMAS = ("information_schema", "pg_catalog", "pg_toast")


# -- one historical run per warehouse, cloned per test -------------------------------------------------

@dataclass
class Historical:
    """A warehouse after the historical run, and what rebuilds the emulator it was read from."""

    name: str
    root: Path
    anchor_us: int
    template_db: str | None = None  # PostgreSQL: the database to clone


def _env(name: str, root: Path, db: str | None, server: PostgresServer | None) -> dict[str, str]:
    env = {"KLAVIYO_SYNC__PIPELINES_DIR": str(root / "pipelines"), "DLT_DATA_DIR": str(root / "dlt")}
    if name == "duckdb":
        env["DESTINATION__DUCKDB__CREDENTIALS"] = str(root / "warehouse.duckdb")
    else:
        assert server is not None and db is not None
        env |= {"DESTINATION__POSTGRES__CREDENTIALS": server.dsn(db), "KLAVIYO_PG_HOST": server.host,
                "KLAVIYO_PG_PORT": str(server.port), "KLAVIYO_PG_USER": server.user,
                "DBT_ENV_SECRET_KLAVIYO_PG_PASSWORD": server.password, "KLAVIYO_PG_DATABASE": db}
    return env


def _clone_database(server: PostgresServer, template: str) -> str:
    import psycopg2

    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = psycopg2.connect(server.dsn())
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    conn.close()
    return name


def _serve(anchor_us: int | None) -> tuple[Emulator, EmulatorServer]:
    emulator = Emulator(CONFIG, anchor_us=anchor_us)
    return emulator, emulator.serve()


def _cli(name: str, root: Path, *args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--destination", name, "--dbt-dir", str(root / "dbt")])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def historical(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Historical]:
    name = request.param
    root = tmp_path_factory.mktemp(f"historical-{name}")
    server = request.getfixturevalue("postgres_server") if name == "postgres" else None
    db = server.create_database() if server else None
    emulator, http = _serve(None)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {**_env(name, root, db, server), "KLAVIYO_BASE_URL": http.base_url,
                           "KLAVIYO_API_KEY": emulator.config.api_key}.items():
            patch.setenv(key, value)
        patch.chdir(root)
        try:
            _cli(name, root, "run", "--objects", OBJECTS, "--history", "all")
        finally:
            http.stop()
    yield Historical(name, root, emulator.snapshot.anchor_us, db)


@dataclass
class Proof:
    """One test's own copy of the historical warehouse, its emulator, and the CLI on both."""

    name: str
    root: Path
    emulator: Emulator
    warehouse: Warehouse

    @property
    def truth(self) -> Any:
        return self.emulator.truth

    def run(self, *args: str) -> tuple[datetime, datetime]:
        """`klaviyo-sync run` (every object, then the dbt build); the times before and after it."""
        before = datetime.now(timezone.utc)
        _cli(self.name, self.root, "run", "--objects", OBJECTS, *args)
        return before, datetime.now(timezone.utc)

    def forget(self, *args: str) -> str:
        return _cli(self.name, self.root, "forget", *args)

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.warehouse.pipeline().sql_client() as client:
            return [tuple(r) for r in client.execute_sql(sql, *params) or []]

    def mart(self, table: str, columns: str) -> list[tuple[Any, ...]]:
        return self.rows(f"SELECT {columns} FROM klaviyo.{table}")

    def raw(self, table: str, columns: str) -> list[tuple[Any, ...]]:
        return self.rows(f"SELECT {columns} FROM klaviyo_raw.{table}")

    def every_text(self) -> dict[str, str]:
        """schema.table -> the text of every text and JSON value of every row, for every table and view
        of every schema of the warehouse (raw, staging, marts, ledger, dlt's own), lower case."""
        columns = self.rows(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema NOT IN ({', '.join(['%s'] * len(SYSTEM_SCHEMAS))})", *SYSTEM_SCHEMAS)
        textual: dict[tuple[str, str], list[str]] = {}
        for schema, table, column, data_type in columns:
            kind = str(data_type).lower()
            if any(word in kind for word in ("char", "text", "json", "string", "variant")):
                textual.setdefault((schema, table), []).append(column)
        assert textual, "no text columns found (else vacuous)"
        out = {}
        for (schema, table), names in textual.items():
            selected = ", ".join(f'"{c}"' for c in names)
            values = self.rows(f'SELECT {selected} FROM "{schema}"."{table}"')
            out[f"{schema}.{table}"] = "\n".join(json.dumps(v, default=str) for v in values).lower()
        return out


@pytest.fixture
def proof(historical: Historical, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          request: pytest.FixtureRequest) -> Iterator[Proof]:
    root = tmp_path / "warehouse"
    shutil.copytree(historical.root, root, ignore=shutil.ignore_patterns("logs"))
    db = None
    server = None
    if historical.name == "postgres":
        server = request.getfixturevalue("postgres_server")
        db = _clone_database(server, str(historical.template_db))
    emulator, http = _serve(historical.anchor_us)
    for key, value in {**_env(historical.name, root, db, server), "KLAVIYO_BASE_URL": http.base_url,
                       "KLAVIYO_API_KEY": emulator.config.api_key}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(root)
    try:
        yield Proof(historical.name, root, emulator, Warehouse(historical.name, root))
    finally:
        http.stop()


# -- what the truth says ---------------------------------------------------------------------------------

def _utc(value: Any) -> datetime | None:
    return None if value is None else _dt(value).astimezone(timezone.utc)  # type: ignore[union-attr]


def _members(rows: list[tuple[Any, ...]], what: str) -> dict[tuple[str, str], datetime | None]:
    keyed = {(r[0], r[1]): _utc(r[2]) for r in rows}
    assert len(keyed) == len(rows), f"{what}: duplicate keys"
    return keyed


def check_memberships(proof: Proof) -> None:
    """Both membership marts are exactly the truth's current members (and their join times)."""
    for kind in ("list", "segment"):
        expected = {(m[f"{kind}_id"], m["profile_id"]): _utc(m["joined_at"])
                    for m in getattr(proof.truth, f"{kind}_members")()}
        assert expected, f"the emulator has {kind} members (else vacuous)"
        loaded = _members(proof.mart(f"klaviyo_{kind}_membership", f"{kind}_id, profile_id, joined_at"),
                          f"klaviyo_{kind}_membership")
        assert_same(loaded, expected, f"klaviyo_{kind}_membership")


def check_groups(proof: Proof) -> None:
    """Every list and segment ever listed, is_deleted exactly for the deleted ones."""
    truth = proof.truth
    for kind in ("list", "segment"):
        current = {g["id"] for g in getattr(truth, f"{kind}s")()}
        deleted = getattr(truth, f"deleted_{kind}_ids")()
        rows = proof.mart(f"klaviyo_{kind}", f"{kind}_id, is_deleted")
        assert {r[0]: bool(r[1]) for r in rows} == {i: i in deleted for i in current | deleted}, kind


def suppressed(proof: Proof) -> dict[str, tuple[Any, ...]]:
    rows = proof.mart("klaviyo_profile",
                      "profile_id, can_receive_email_marketing, email_suppression_reason, email_suppressed_at")
    return {r[0]: (r[1], r[2], _utc(r[3])) for r in rows if r[2] is not None}


def expected_suppressed(proof: Proof) -> dict[str, tuple[Any, ...]]:
    return {pid: (s["can_receive_email_marketing"], s["email_suppression_reason"], _utc(s["email_suppressed_at"]))
            for pid, s in proof.truth.suppressions().items()}


def gone_profiles(proof: Proof) -> set[str]:
    return proof.truth.deleted_profile_ids() | set(proof.truth.merged_profiles())


def identifiers(profile_rows: list[tuple[Any, ...]], ids: set[str]) -> dict[str, set[str]]:
    """profile id -> its personal values (email, phone, names, ...) as the historical run stored them."""
    out = {}
    for pid, attributes in profile_rows:
        if pid in ids:
            attributes = json.loads(attributes) if isinstance(attributes, str) else attributes
            values = {str(attributes.get(name) or "").lower() for name in ("email", "phone_number", "external_id")}
            out[pid] = {v for v in values if v and v != REDACTED}
    return out


def traces(proof: Proof, values: set[str]) -> dict[str, list[str]]:
    """Where any of `values` still is: schema.table -> the values found there."""
    found: dict[str, list[str]] = {}
    for table, text in proof.every_text().items():
        hits = sorted(v for v in values if v in text)
        if hits:
            found[table] = hits
    return found


# -- the proof -------------------------------------------------------------------------------------------

def test_memberships_deletions_suppressions_and_forget(proof: Proof) -> None:
    truth = proof.truth
    check_memberships(proof)  # the historical run
    before_growth = expected_suppressed(proof)
    assert suppressed(proof) == before_growth

    proof.emulator.grow(**GROWTH)
    gone = gone_profiles(proof)
    personal = identifiers(proof.raw("profiles", "id, attributes"), gone)
    assert len(gone) == 3 and all(personal.values()), "growth deleted and merged profiles (else vacuous)"
    new_suppressions = set(expected_suppressed(proof)) - set(before_growth)
    assert len(new_suppressions) >= 3

    # the next hourly run: nothing due to reconcile, the suppressions land all the same
    proof.run()
    assert {pid: s for pid, s in suppressed(proof).items() if pid not in gone} == expected_suppressed(proof)
    assert not proof.rows("SELECT id FROM klaviyo_raw.deletions WHERE object = %s", "profile"), \
        "no profiles reconcile yet"

    start, end = proof.run("--reconcile-now")
    check_memberships(proof)
    check_groups(proof)
    deletions = proof.raw("deletions", "object, id, detected_at, reason")
    expected = {(d["object"], d["id"]) for d in truth.deletions()}
    assert {(r[0], r[1]) for r in deletions} == expected
    assert len(deletions) == len(expected), "one row per disappearance"
    for _, _, detected_at, reason in deletions:
        assert reason in ("not_listed", "not_found") and detected_at is not None
    assert any(r[0] == "list" for r in deletions), "a deleted list (else vacuous)"
    profiles = {r[0]: r[1:] for r in proof.mart("klaviyo_profile", "profile_id, is_deleted, email")}
    for pid in gone:  # the default, redact: kept, flagged and without personal data
        assert profiles[pid] == (True, REDACTED), pid
    assert traces(proof, set().union(*personal.values())) == {}, "deleted profiles' personal data"
    del start, end
