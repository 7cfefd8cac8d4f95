"""Issue 12's proof, end to end through `klaviyo-sync run` / `forget` and the real dbt build, against the
emulator's truth, on DuckDB and PostgreSQL.

One historical run of every object per warehouse (lists, segments and their members included) is made
once per test process and cloned for each test (DuckDB: the file; PostgreSQL: `CREATE DATABASE ... TEMPLATE`;
the pipelines dir and dbt's work dir copied; the emulator rebuilt from the same anchor, so it serves
the same data).

- growth (list joins and leaves, a deleted list, segment joins and leaves, a merge, deleted profiles,
  new suppressions), then the next hourly run (no reconcile due): every new suppression is in
  `klaviyo_profile`; then a run with `--reconcile-now`: `klaviyo_list_membership` and
  `klaviyo_segment_membership` are exactly the truth's current members, `deletions` has one row per
  disappearance, `is_deleted` on lists and segments, the deleted profiles redacted (the default) and
  their personal data in no text or JSON column of any table of any schema (raw, staging, marts,
  ledger, dlt's own tables and state);
- `deleted_profiles` flag and delete (DuckDB; forget exercises the same mart redaction on both):
  flagged and kept as they were, or gone from the raw profiles in the run that found them gone
  (their mart row flagged and redacted in the same build);
- `forget --email X` of a person the emulator still holds: the email, phone and external id are
  nowhere, `deletions` has the record by profile id only, and the next run (every object
  reconciled, the person still in Klaviyo) brings none of it back, memberships included.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from dlt.pipeline.state_sync import decompress_state

from loader.cli import main
from loader.emulator import Emulator, EmulatorServer
from loader.privacy.redact import REDACTED
from tests.fixtures.emulator import TEST_CONFIG
from tests.fixtures.expected_raw import _dt, assert_same
from tests.fixtures.postgres import PostgresServer
from tests.fixtures.warehouse import Warehouse

pytestmark = [pytest.mark.integration, pytest.mark.dbt]

OBJECTS = "profiles,events,campaigns,flows,lists,segments"
CONFIG = replace(TEST_CONFIG, profiles=60, events=300, future_events=2, campaigns=2, flows=1, lists=4,
                 segments=3, history_days=30)
SYSTEM_SCHEMAS = ("information_schema", "pg_catalog", "pg_toast")
TEXT_TYPES = ("char", "text", "json", "string", "variant")
IDENTIFIERS = ("email", "phone_number", "external_id")


# -- one historical run per warehouse, cloned per test -------------------------------------------------

@dataclass
class Historical:
    """A warehouse after the historical run, and the anchor that rebuilds the emulator it read."""

    name: str
    root: Path
    anchor_us: int
    database: str | None = None  # PostgreSQL: the database to clone


def _env(name: str, root: Path, server: PostgresServer | None, database: str | None) -> dict[str, str]:
    env = {"KLAVIYO_SYNC__PIPELINES_DIR": str(root / "pipelines"), "DLT_DATA_DIR": str(root / "dlt")}
    if server is None or database is None:
        return env | {"DESTINATION__DUCKDB__CREDENTIALS": str(root / "warehouse.duckdb")}
    return env | {"DESTINATION__POSTGRES__CREDENTIALS": server.dsn(database), "KLAVIYO_PG_HOST": server.host,
                  "KLAVIYO_PG_PORT": str(server.port), "KLAVIYO_PG_USER": server.user,
                  "DBT_ENV_SECRET_KLAVIYO_PG_PASSWORD": server.password, "KLAVIYO_PG_DATABASE": database}


def _serve(anchor_us: int | None) -> tuple[Emulator, EmulatorServer]:
    emulator = Emulator(CONFIG, anchor_us=anchor_us)
    return emulator, emulator.serve()


def _api_env(emulator: Emulator, http: EmulatorServer) -> dict[str, str]:
    return {"KLAVIYO_BASE_URL": http.base_url, "KLAVIYO_API_KEY": emulator.config.api_key}


def _cli(name: str, root: Path, *args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--destination", name, "--dbt-dir", str(root / "dbt")])
    assert result.exit_code == 0, result.output
    return result.output


def _historical(name: str, request: pytest.FixtureRequest, root: Path) -> Historical:
    server = request.getfixturevalue("postgres_server") if name == "postgres" else None
    database = server.create_database() if server else None
    emulator, http = _serve(None)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in (_env(name, root, server, database) | _api_env(emulator, http)).items():
            patch.setenv(key, value)
        patch.chdir(root)
        try:
            _cli(name, root, "run", "--objects", OBJECTS, "--history", "all")
        finally:
            http.stop()
    return Historical(name, root, emulator.snapshot.anchor_us, database)


@pytest.fixture(scope="session")
def historicals(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Historical]:
    """The historical run of a warehouse, made on first use (once per test process, whatever order the
    tests run in)."""
    made: dict[str, Historical] = {}

    def get(name: str) -> Historical:
        if name not in made:
            made[name] = _historical(name, request, tmp_path_factory.mktemp(f"historical-{name}"))
        return made[name]

    return get


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


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
        """`klaviyo-sync run` of every object, then the dbt build; the times before and after it."""
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
        """schema.table -> every text and JSON value of every row (lower case), for every table and view
        of every schema of the warehouse (raw, staging, marts, ledger, dlt's own; its compressed
        pipeline state decompressed)."""
        marks = ", ".join(["%s"] * len(SYSTEM_SCHEMAS))
        columns = self.rows("SELECT table_schema, table_name, column_name, data_type "
                            f"FROM information_schema.columns WHERE table_schema NOT IN ({marks})",
                            *SYSTEM_SCHEMAS)
        textual: dict[tuple[str, str], list[str]] = {}
        for schema, table, column, data_type in columns:
            if any(word in str(data_type).lower() for word in TEXT_TYPES):
                textual.setdefault((schema, table), []).append(column)
        assert ("klaviyo_raw", "profiles") in textual and ("klaviyo", "klaviyo_profile") in textual
        out = {}
        for (schema, table), names in textual.items():
            values = self.rows(f'SELECT {", ".join(f"{chr(34)}{c}{chr(34)}" for c in names)} '
                               f'FROM "{schema}"."{table}"')
            if table == "_dlt_pipeline_state":
                state = names.index("state")
                values = [(*v[:state], decompress_state(v[state]), *v[state + 1:]) for v in values]
            out[f"{schema}.{table}"] = "\n".join(json.dumps(v, default=str) for v in values).lower()
        return out


@pytest.fixture
def proof(warehouse_name: str, historicals: Callable[[str], Historical], tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[Proof]:
    historical = historicals(warehouse_name)
    root = tmp_path / "warehouse"
    shutil.copytree(historical.root, root, ignore=shutil.ignore_patterns("logs"))
    server = request.getfixturevalue("postgres_server") if historical.database else None
    database = None
    if server is not None and historical.database:
        database = server.create_database(template=historical.database)  # the historical run's copy
    emulator, http = _serve(historical.anchor_us)
    for key, value in (_env(historical.name, root, server, database) | _api_env(emulator, http)).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(root)
    try:
        yield Proof(historical.name, root, emulator, Warehouse(historical.name, root))
    finally:
        http.stop()


# -- what the warehouse holds, against the truth ---------------------------------------------------------

def _utc(value: Any) -> datetime | None:
    parsed = _dt(value)
    return None if parsed is None else parsed.astimezone(timezone.utc)


def check_memberships(proof: Proof, forgotten: frozenset[str] = frozenset()) -> None:
    """Both membership marts are exactly the truth's current members and join times (but the forgotten
    profiles')."""
    for kind in ("list", "segment"):
        members = [m for m in getattr(proof.truth, f"{kind}_members")() if m["profile_id"] not in forgotten]
        assert members, f"the emulator has {kind} members (else vacuous)"
        expected = {f"{m[f'{kind}_id']}/{m['profile_id']}": _utc(m["joined_at"]) for m in members}
        rows = proof.mart(f"klaviyo_{kind}_membership", f"{kind}_id, profile_id, joined_at")
        loaded = {f"{r[0]}/{r[1]}": _utc(r[2]) for r in rows}
        assert len(loaded) == len(rows), f"klaviyo_{kind}_membership: duplicate keys"
        assert_same(loaded, expected, f"klaviyo_{kind}_membership")


def check_groups(proof: Proof) -> None:
    """Every list and segment ever listed is in its mart, is_deleted exactly for the deleted ones."""
    for kind in ("list", "segment"):
        current = {g["id"] for g in getattr(proof.truth, f"{kind}s")()}
        deleted = getattr(proof.truth, f"deleted_{kind}_ids")()
        rows = proof.mart(f"klaviyo_{kind}", f"{kind}_id, is_deleted")
        assert {r[0]: bool(r[1]) for r in rows} == {i: i in deleted for i in current | deleted}, kind


def suppressed(proof: Proof) -> dict[str, tuple[Any, ...]]:
    """klaviyo_profile's suppression columns of the profiles with an email suppression."""
    rows = proof.mart("klaviyo_profile", "profile_id, can_receive_email_marketing, "
                      "email_suppression_reason, email_suppressed_at")
    return {r[0]: (r[1], r[2], _utc(r[3])) for r in rows if r[2] is not None}


def expected_suppressed(proof: Proof) -> dict[str, tuple[Any, ...]]:
    return {pid: (s["can_receive_email_marketing"], s["email_suppression_reason"],
                  _utc(s["email_suppressed_at"])) for pid, s in proof.truth.suppressions().items()}


def gone_profiles(proof: Proof) -> set[str]:
    return proof.truth.deleted_profile_ids() | set(proof.truth.merged_profiles())


def _attributes(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else value


def personal_values(proof: Proof, ids: set[str]) -> dict[str, set[str]]:
    """profile id -> its email, phone and external id as stored (lower case)."""
    out = {}
    for pid, attributes in proof.raw("profiles", "id, attributes"):
        if pid in ids:
            values = {str(_attributes(attributes).get(name) or "").lower() for name in IDENTIFIERS}
            out[pid] = {v for v in values if v and v != REDACTED}
    return out


def traces(proof: Proof, values: set[str]) -> dict[str, list[str]]:
    """Where any of `values` still is: schema.table -> the values found there."""
    found = {}
    for table, text in proof.every_text().items():
        hits = sorted(v for v in values if v in text)
        if hits:
            found[table] = hits
    return found


# -- the proof -------------------------------------------------------------------------------------------

def test_memberships_deletions_and_suppressions(proof: Proof) -> None:
    truth = proof.truth
    check_memberships(proof)  # the historical run
    before_growth = expected_suppressed(proof)
    assert suppressed(proof) == before_growth

    proof.emulator.grow(list_joins=6, list_leaves=4, segment_joins=3, segment_leaves=2, deleted_lists=1,
                        merged_profiles=1, deleted_profiles=2, new_suppressions=3, new_events=30)
    gone = gone_profiles(proof)
    personal = personal_values(proof, gone)
    assert len(gone) == 3 and all(personal.values()), "growth deleted and merged profiles (else vacuous)"
    assert len(set(expected_suppressed(proof)) - set(before_growth)) >= 3, "new suppressions"
    assert truth.removed_list_members() and truth.removed_segment_members(), "leaves (else vacuous)"

    # the next hourly run: nothing due to reconcile, the new suppressions land all the same
    hourly, _ = proof.run()
    assert {pid: s for pid, s in suppressed(proof).items() if pid not in gone} == expected_suppressed(proof)
    assert not proof.rows("SELECT id FROM klaviyo_raw.deletions WHERE object = %s", "profile"), \
        "no profiles reconcile yet"

    _, end = proof.run("--reconcile-now")
    check_memberships(proof)
    check_groups(proof)
    deletions = proof.raw("deletions", "object, id, detected_at, reason")
    expected = {(d["object"], d["id"]) for d in truth.deletions()}
    assert any(kind == "list" for kind, _ in expected), "a deleted list (else vacuous)"
    assert sorted((r[0], r[1]) for r in deletions) == sorted(expected), "one row per disappearance"
    for _, _, detected_at, reason in deletions:  # a deleted list's members answer 404 in the hourly run
        assert reason in ("not_listed", "not_found")
        assert hourly <= (_utc(detected_at) or end) < end
    profiles = {r[0]: r[1:] for r in proof.mart("klaviyo_profile", "profile_id, is_deleted, email")}
    assert {pid: profiles[pid] for pid in gone} == dict.fromkeys(gone, (True, REDACTED)), "redacted, flagged"
    assert traces(proof, set().union(*personal.values())) == {}, "deleted profiles' personal data"


@pytest.mark.parametrize("warehouse_name", ["duckdb"], indirect=True)  # PostgreSQL: forget's rebuild
@pytest.mark.parametrize("setting", ["flag", "delete"])
def test_deleted_profiles_per_setting(proof: Proof, monkeypatch: pytest.MonkeyPatch, setting: str) -> None:
    monkeypatch.setenv("SOURCES__KLAVIYO__DELETED_PROFILES", setting)
    proof.emulator.grow(deleted_profiles=2, merged_profiles=1, list_leaves=2)
    gone = gone_profiles(proof)
    stored = dict(proof.raw("profiles", "id, attributes"))
    personal = personal_values(proof, gone)
    assert len(gone) == 3 and all(personal.values()), "growth deleted and merged profiles (else vacuous)"

    proof.run("--reconcile-now")
    check_memberships(proof)
    assert {r[0] for r in proof.raw("deletions", "id")} == gone
    raw = dict(proof.raw("profiles", "id, attributes"))
    mart = {r[0]: r[1:] for r in proof.mart("klaviyo_profile", "profile_id, is_deleted, email")}
    if setting == "flag":  # kept as they were, flagged
        assert {pid: raw[pid] for pid in gone} == {pid: stored[pid] for pid in gone}
        assert {pid: (mart[pid][0], mart[pid][1] in personal[pid]) for pid in gone} == \
            dict.fromkeys(gone, (True, True))
    else:  # gone from the raw profiles in the run that found them gone; the mart row flagged, redacted
        assert gone.isdisjoint(raw), "raw profiles"
        assert {pid: mart[pid] for pid in gone} == dict.fromkeys(gone, (True, REDACTED)), "klaviyo_profile"
        assert traces(proof, set().union(*personal.values())) == {}, "deleted profiles' personal data"
    assert set(raw) - gone == {p["id"] for p in proof.truth.profiles()}, "no one else touched"


def _person(proof: Proof) -> tuple[str, set[str]]:
    """A person the emulator holds, stored with events and list and segment memberships: their profile
    id and identifiers (email, phone and external id)."""
    listed = {m["profile_id"] for m in proof.truth.list_members()}
    segmented = {m["profile_id"] for m in proof.truth.segment_members()}
    with_events = {r[0] for r in proof.raw("events", "DISTINCT profile_id")}
    stored = {pid: _attributes(a) for pid, a in proof.raw("profiles", "id, attributes")}
    candidates = sorted(pid for pid in listed & segmented & with_events
                        if stored[pid]["email"] and stored[pid]["phone_number"])
    assert candidates, "someone with events, memberships, an email and a phone (else vacuous)"
    pid = candidates[0]
    return pid, {str(stored[pid][name]).lower() for name in IDENTIFIERS if stored[pid].get(name)}


def _holding(proof: Proof, pid: str) -> dict[str, int]:
    """The profile and membership tables (raw and marts) that still name the profile id."""
    tables = {"klaviyo_raw.profiles": "id", "klaviyo_raw.list_members": "profile_id",
              "klaviyo_raw.segment_members": "profile_id", "klaviyo.klaviyo_list_membership": "profile_id",
              "klaviyo.klaviyo_segment_membership": "profile_id"}
    counts = {table: proof.rows(f"SELECT COUNT(*) FROM {table} WHERE {column} = %s", pid)[0][0]
              for table, column in tables.items()}
    return {table: count for table, count in counts.items() if count}


def test_forget_leaves_no_trace_and_survives_the_next_sync(proof: Proof) -> None:
    pid, values = _person(proof)
    email = next(v for v in values if "@" in v)
    assert set(traces(proof, {email})) >= {"klaviyo_raw.profiles", "klaviyo.klaviyo_profile"}
    assert set(_holding(proof, pid)) >= {"klaviyo_raw.list_members", "klaviyo.klaviyo_segment_membership"}

    output = proof.forget("--email", email.upper())
    assert email not in output.lower()
    assert traces(proof, values) == {}, "the person's email, phone and external id are nowhere"
    assert _holding(proof, pid) == {}
    assert proof.rows("SELECT object, reason FROM klaviyo_raw.deletions WHERE id = %s", pid) == \
        [("profile", "forget")]

    # Klaviyo still holds the person: the next run (every object reconciled) must not bring them back
    proof.emulator.grow(new_events=40, updated_profiles=20, list_joins=4)
    assert pid in {p["id"] for p in proof.truth.profiles()}
    proof.run("--reconcile-now")
    assert traces(proof, values) == {}, "the next sync brought the person back"
    assert _holding(proof, pid) == {}, "the next sync brought the person's memberships back"
    check_memberships(proof, forgotten=frozenset({pid}))
