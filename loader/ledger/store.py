"""Write and read the ledger tables in the destination, beside the raw data, through dlt.

The ledger has its own dlt pipeline (`klaviyo_sync_ledger`) so that progress can be written while
the loader's pipeline is busy, but it writes to the same destination and dataset (`klaviyo_raw`):
it is queryable with the data and survives the machine. Nothing here depends on the destination type.
"""

from __future__ import annotations

import dataclasses
import tempfile
import weakref
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import dlt
from dlt.common.destination import Destination

from loader.destination import PIPELINE_NAME, make_pipeline
from loader.errors import SyncError, TransientError
from loader.ledger import schema
from loader.ledger.error_info import describe
from loader.ledger.records import ErrorRecord, ImportRecord, ObjectControl, RunRecord, ScheduleRecord
from loader.sync_observer import DEFAULT_ACCOUNT, Unit

LEDGER_PIPELINE = f"{PIPELINE_NAME}_ledger"
T = TypeVar("T")
R = TypeVar("R")


class LedgerStore:
    """The ledger of one configuration (one destination, dataset `klaviyo_raw`)."""

    def __init__(self, main: dlt.Pipeline) -> None:
        self.main = main
        # The loader's resolved credentials: with DuckDB the file is named after the *loader's*
        # pipeline, and the ledger must land in that same file.
        try:
            credentials = main.destination_client().config.credentials
        except Exception as exc:  # e.g. dlt's ConfigFieldMissingException: names the missing keys
            raise SyncError(
                f"the destination is not configured: {describe(exc).summary}",
                f"destination {main.destination.destination_name}",
                f"set DESTINATION__{str(main.destination.destination_name).upper()}__CREDENTIALS "
                "or its section in .dlt/secrets.toml",
                code="config",
            ) from exc
        destination = Destination.from_reference(main.destination.destination_type, credentials=credentials)
        # A private working folder: the ledger's state lives in the destination, and `status`,
        # `pause` or a test may use the ledger while the scheduler writes it from another process.
        self._workdir = tempfile.TemporaryDirectory(prefix="klaviyo-ledger-")
        # Every dlt call of the ledger runs in one worker thread: dlt's active-pipeline context is
        # per thread, so ledger loads (even mid-extract, for progress) never disturb the loader's
        # pipeline, and ledger loads never overlap each other.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="klaviyo-ledger")
        weakref.finalize(self, self._worker.shutdown, wait=False)
        self.pipeline: dlt.Pipeline = self._call(
            dlt.pipeline,
            pipeline_name=LEDGER_PIPELINE,
            destination=destination,
            dataset_name=main.dataset_name,
            pipelines_dir=self._workdir.name,
        )

    @classmethod
    def open(cls, destination: str | None = None, pipelines_dir: str | None = None) -> LedgerStore:
        return cls(make_pipeline(destination, pipelines_dir=pipelines_dir))

    @property
    def destination_name(self) -> str:
        return str(self.main.destination.destination_name)

    @property
    def dataset_name(self) -> str:
        return str(self.main.dataset_name)

    @property
    def lock_path(self) -> Path:
        """One lock per loader pipeline on this machine (shared by `run` and `schedule`)."""
        return Path(self.main.pipelines_dir) / f"{PIPELINE_NAME}.lock"

    def write(self, records: Iterable[Any]) -> None:
        """Write records of any ledger table in one load (about a second: call it sparingly)."""
        self._call(self._load, list(records))

    def write_in_background(self, records: Iterable[Any]) -> Future[None]:
        """Like `write`, without waiting (for progress, from inside the loader's extraction)."""
        return self._worker.submit(self._load, list(records))

    def _load(self, batch: list[Any]) -> None:
        if batch:
            self.pipeline.run(schema.ledger_source(batch))

    def _call(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        try:
            return self._worker.submit(fn, *args, **kwargs).result()
        except SyncError:
            raise
        except Exception as exc:
            raise TransientError(
                f"the sync ledger is not reachable: {describe(exc).external_message}",
                f"destination {self.destination_name}, dataset {self.dataset_name}",
                "run `klaviyo-sync check` and fix the destination credentials or connectivity",
                code=describe(exc).code,
            ) from exc

    def runs(self) -> list[RunRecord]:
        return self._read(schema.RUNS_TABLE, RunRecord)

    def errors(self) -> list[ErrorRecord]:
        return self._read(schema.ERRORS_TABLE, ErrorRecord)

    def controls(self) -> dict[Unit, ObjectControl]:
        """The switches per (account, object); those set before accounts existed are "default"'s."""
        return {row.unit: row for row in self._read(schema.OBJECTS_TABLE, ObjectControl)}

    def schedule(self) -> ScheduleRecord | None:
        rows = self._read(schema.SCHEDULE_TABLE, ScheduleRecord)
        return max(rows, key=lambda row: row.updated_at) if rows else None

    def imports(self) -> list[ImportRecord]:
        """The SFTP import history (`klaviyo_sync_imports`), oldest first."""
        return sorted(self._read(schema.IMPORTS_TABLE, ImportRecord), key=lambda r: r.imported_at)

    def _read(self, table: str, record_type: type[T]) -> list[T]:
        names, selected = self._call(self._select, table, schema.columns_of(table))
        rows = [dict(zip(names, row, strict=True)) for row in selected]
        for row in rows:  # a row of the previous release (no account column, or NULL in it)
            legacy = table != schema.ERRORS_TABLE or row.get("object") is not None or "account" not in row
            if legacy and "account" in schema.columns_of(table) and row.get("account") is None:
                row["account"] = DEFAULT_ACCOUNT
        keys = schema.keys_of(table)
        if keys:  # destinations without merge (e.g. files) append: keep each key's latest version
            latest: dict[tuple[Any, ...], dict[str, Any]] = {}
            for row in sorted(rows, key=lambda r: r["updated_at"]):
                latest[tuple(row[k] for k in keys)] = row
            rows = list(latest.values())
        return [record_type(**row) for row in rows]

    def _select(self, table: str, wanted: Sequence[str]) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The columns of one ledger table the destination has, and all its rows (small); none
        before the ledger's first write.

        A ledger written by an older release lacks the newer columns (e.g. `account`) until the
        first write of this one adds them: only the columns the destination has are selected, and
        the schema is fetched again until it has them all (another process may have upgraded it).
        A plain projection through dlt's SQL client, with dlt's own identifier quoting: dlt's
        relation API would run its sqlglot lineage, which fails with the sqlglot pinned here.
        """
        if not self._known(table) or self._missing(table, wanted):
            self.pipeline.sync_destination()  # fetch the ledger schema as the destination has it now
            if not self._known(table):
                return list(wanted), []
        present = self.pipeline.default_schema.get_table_columns(table)
        names = [name for name in wanted if name in present]
        dataset = self.pipeline.dataset()
        with dataset.sql_client as client:
            columns = ", ".join(client.escape_column_name(name) for name in names)
            query = f"SELECT {columns} FROM {client.make_qualified_table_name(table)}"
            with client.execute_query(query) as cursor:
                return names, [tuple(row) for row in cursor.fetchall()]

    def _missing(self, table: str, wanted: Sequence[str]) -> bool:
        present = self.pipeline.default_schema.get_table_columns(table)
        return any(name not in present for name in wanted)


    def _known(self, table: str) -> bool:
        schema_name = self.pipeline.default_schema_name
        return bool(schema_name) and table in self.pipeline.default_schema.data_table_names()


def replace(record: T, **changes: Any) -> T:
    """A copy of a ledger record with some fields changed."""
    return dataclasses.replace(record, **changes)  # type: ignore[type-var]
