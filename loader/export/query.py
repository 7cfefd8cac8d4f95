"""Run the user's query, dbt model or table on the configured destination, in Arrow batches.

The destination and its credentials come from `loader.destination.make_pipeline` (the same
configuration as `klaviyo-sync run`). Rows are streamed so memory stays bounded:

- DuckDB: the native relation's Arrow record-batch reader;
- PostgreSQL / Redshift (psycopg2): a server-side (named) cursor, converted by dlt's Arrow helper;
- other warehouses: dlt's cursor `iter_arrow` (their connectors page through results).

`--model NAME` reads the dbt model's relation in the dbt schema (`KLAVIYO_DBT_SCHEMA`, default
`klaviyo`, as in `dbt_project/profiles.yml`); `--table NAME` reads a table of the raw dataset
`klaviyo_raw` (or `schema.table`).

Exports only read: `--query` must be a query (its first keyword, after comments, whitespace and
parentheses, is SELECT, WITH, FROM, VALUES, TABLE, SHOW, DESCRIBE or SUMMARIZE), and the statement runs
in a transaction that is rolled back at the end (DuckDB and PostgreSQL), so nothing it might change
(a data-modifying CTE, a second statement) persists. Other warehouses (BigQuery runs a script of
several statements as one job) get exactly one statement: it is counted with sqlglot's tokenizer
for that warehouse's dialect, so a semicolon inside a string, identifier or comment is not a split.
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from loader.destination import DATASET_NAME, make_pipeline
from loader.errors import SyncError
from loader.secrets import redact

MODEL_SCHEMA_ENV = "KLAVIYO_DBT_SCHEMA"  # the variable dbt_project/profiles.yml reads
MODEL_SCHEMA_DEFAULT = "klaviyo"
QUERY_KEYWORDS = ("SELECT", "WITH", "FROM", "VALUES", "TABLE", "SHOW", "DESCRIBE", "SUMMARIZE")
# dlt destination types whose sqlglot dialect has another name (the rest share theirs, or use
# sqlglot's generic rules when it has no such dialect)
_DIALECT_NAMES = {"mssql": "tsql", "synapse": "tsql", "fabric": "tsql", "motherduck": "duckdb"}
_LEADING_NOISE = re.compile(r"(?:\s+|\(|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.DOTALL)
_WORD = re.compile(r"[A-Za-z_]+")


def model_schema() -> str:
    """The schema dbt builds the models in (`KLAVIYO_DBT_SCHEMA`, default `klaviyo`)."""
    return os.environ.get(MODEL_SCHEMA_ENV) or MODEL_SCHEMA_DEFAULT


def first_keyword(sql: str) -> str:
    """The statement's first word after comments, whitespace and opening parentheses (upper case)."""
    start = _LEADING_NOISE.match(sql)
    word = _WORD.match(sql, start.end() if start else 0)
    return word.group(0).upper() if word else ""


def check_query(sql: str) -> None:
    """Refuse a statement that is not a query: an export never changes the warehouse."""
    keyword = first_keyword(sql)
    if keyword not in QUERY_KEYWORDS:
        raise SyncError(
            f"--query must be a query, not a {keyword or 'blank'} statement",
            "--query",
            f"pass a statement starting with {', '.join(QUERY_KEYWORDS[:5])} (e.g. SELECT ... FROM ...)",
        )


def statement_count(sql: str, dialect: str | None = None) -> int:
    """Non-empty statements in `sql`, split at the semicolons the dialect's tokenizer finds outside
    strings, quoted identifiers and comments. SQL it cannot read raises SyncError."""
    from sqlglot import tokenize
    from sqlglot.errors import TokenError
    from sqlglot.tokens import TokenType

    try:
        tokens = tokenize(sql, read=dialect)
    except TokenError as exc:
        raise SyncError(
            f"--query could not be read as {dialect or 'SQL'}: {exc}",
            "--query",
            "check quotes and comments are closed",
        ) from exc
    count, open_statement = 0, False
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            count += open_statement
            open_statement = False
        else:
            open_statement = True
    return count + open_statement


def _dialect(destination_type: str) -> str | None:
    from sqlglot.dialects.dialect import Dialect

    name = _DIALECT_NAMES.get(destination_type, destination_type)
    return name if Dialect.get(name) is not None else None


def check_single_statement(sql: str, destination_type: str) -> None:
    """Refuse several statements where the export cannot roll back what they would change."""
    count = statement_count(sql, _dialect(destination_type))
    if count > 1:
        raise SyncError(
            f"--query holds {count} statements; on {destination_type} an export runs exactly one",
            "--query",
            "pass a single query (no `;` between statements)",
        )


@dataclass(frozen=True)
class Source:
    """What to export: exactly one of a SQL query, a dbt model name or a table name."""

    query: str | None = None
    model: str | None = None
    table: str | None = None

    @property
    def label(self) -> str:
        if self.model:
            return f"--model {self.model}"
        if self.table:
            return f"--table {self.table}"
        return "--query"

    def check(self) -> None:
        given = [x for x in (self.query, self.model, self.table) if x]
        if len(given) != 1:
            raise SyncError("give exactly one source", "--query / --model / --table", "pass one of them")
        if self.query:
            check_query(self.query)


def _sql(source: Source, client: object) -> str:
    if source.query:
        return source.query
    escape = client.capabilities.escape_identifier  # type: ignore[attr-defined]
    if source.model:
        return f"SELECT * FROM {client.make_qualified_table_name(source.model)}"  # type: ignore[attr-defined]
    name = str(source.table)
    if "." in name:
        return "SELECT * FROM " + ".".join(escape(part) for part in name.split("."))
    return f"SELECT * FROM {client.make_qualified_table_name(name)}"  # type: ignore[attr-defined]


@contextmanager
def query_batches(
    source: Source, *, destination: str | None = None, batch_rows: int = 250_000
) -> Iterator[Iterator[pa.Table]]:
    """Yield an iterator of Arrow tables of at most `batch_rows` rows each."""
    source.check()
    dataset = model_schema() if source.model else DATASET_NAME
    with tempfile.TemporaryDirectory(prefix="kws-export-") as pipelines_dir, ExitStack() as stack:
        pipeline = make_pipeline(destination, pipelines_dir=pipelines_dir, dataset_name=dataset)
        where = f"{source.label} on destination {pipeline.destination.destination_name}"
        with _reported(where):
            client: Any = stack.enter_context(pipeline.sql_client())  # type: ignore[arg-type]
        kind = destination_kind(pipeline)
        batches = _guarded(lambda: _stream(client, _sql(source, client), batch_rows, kind), where)
        stack.callback(batches.close)  # runs before the client closes
        yield batches


def destination_kind(pipeline: Any) -> str:
    """The pipeline's destination type without its module path: `duckdb`, `bigquery`, ..."""
    return str(pipeline.destination.destination_type).rsplit(".", 1)[-1]


@contextmanager
def _reported(where: str) -> Iterator[None]:
    """Database errors become a SyncError naming the source; the text is redacted."""
    try:
        yield
    except SyncError:
        raise
    except Exception as exc:
        raise SyncError(
            f"query failed: {redact(str(exc)).strip()}",
            where,
            "check the SQL and that the relation exists (run `klaviyo-sync run` / `dbt build` first)",
        ) from exc


def _guarded(start: Callable[[], Iterator[pa.Table]], where: str) -> Generator[pa.Table, None, None]:
    with _reported(where):
        batches = start()
    while True:
        with _reported(where):
            batch = next(batches, None)
        if batch is None:
            return
        yield batch


def _stream(client: object, sql: str, batch_rows: int, destination_type: str) -> Iterator[pa.Table]:
    native = client.native_connection  # type: ignore[attr-defined]
    module = type(native).__module__
    if module.startswith(("duckdb", "_duckdb")):
        return _duckdb(native, sql, batch_rows)
    if module.startswith("psycopg2"):
        return _server_side(native, sql, batch_rows)
    return _generic(client, sql, batch_rows, destination_type)


def _duckdb(native: Any, sql: str, batch_rows: int) -> Iterator[pa.Table]:
    native.begin()  # rolled back at the end: whatever the statement changed does not persist
    reader = None
    try:
        relation = native.sql(sql)
        if relation is None:
            raise SyncError("the statement returns no rows", "--query", "pass a SELECT query")
        reader = relation.to_arrow_reader(batch_rows)
        empty = True
        for batch in reader:
            empty = False
            yield pa.Table.from_batches([batch])
        if empty:
            yield reader.schema.empty_table()
    finally:
        if reader is not None:
            reader.close()  # an open result blocks the rollback (e.g. when the export stops early)
        native.rollback()


def _server_side(native: Any, sql: str, batch_rows: int) -> Iterator[pa.Table]:
    from dlt.common.destination import DestinationCapabilitiesContext
    from dlt.common.libs.pyarrow import row_tuples_to_arrow

    caps = DestinationCapabilitiesContext.generic_capabilities()
    autocommit = native.autocommit
    native.autocommit = False  # named (server-side) cursors live in a transaction
    cursor = native.cursor(name=f"kws_export_{uuid.uuid4().hex[:8]}")
    try:
        cursor.execute(sql)
        rows = cursor.fetchmany(batch_rows)
        names = [d[0] for d in cursor.description or []]
        columns: Any = {name: {"name": name, "nullable": True} for name in names}
        if not rows:
            yield pa.table({name: pa.array([], pa.string()) for name in names})
        while rows:
            yield row_tuples_to_arrow(rows, caps, columns, tz="UTC")
            rows = cursor.fetchmany(batch_rows)
    finally:
        if not native.closed:
            cursor.close()
            native.rollback()  # read-only: nothing to keep
            native.autocommit = autocommit


def _generic(client: object, sql: str, batch_rows: int, destination_type: str) -> Iterator[pa.Table]:
    check_single_statement(sql, destination_type)
    with client.execute_query(sql) as cursor:  # type: ignore[attr-defined]
        yield from cursor.iter_arrow(chunk_size=batch_rows)
