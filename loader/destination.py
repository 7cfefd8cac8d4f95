"""Which warehouse we write to, and the one dlt pipeline every command shares.

The loader, the ledger and the export all go through `make_pipeline`, so credentials are configured
once, dlt-style (`.dlt/secrets.toml` or env vars such as `DESTINATION__POSTGRES__CREDENTIALS`).
"""

from __future__ import annotations

from typing import Any

import dlt

from loader.errors import SyncError

PIPELINE_NAME = "klaviyo_sync"
DATASET_NAME = "klaviyo_raw"
DESTINATIONS = ("duckdb", "postgres", "snowflake", "bigquery", "redshift", "synapse", "filesystem")
DESTINATION_CONFIG_KEY = "klaviyo_sync.destination"
PIPELINES_DIR_CONFIG_KEY = "klaviyo_sync.pipelines_dir"


def resolve_destination(destination: str | None = None) -> str:
    """The destination named on the command line, else `[klaviyo_sync] destination`, else duckdb."""
    name = destination or dlt.config.get(DESTINATION_CONFIG_KEY, str) or "duckdb"
    if name not in DESTINATIONS:
        raise SyncError(
            f"unknown destination {name!r}",
            f"--destination or config key {DESTINATION_CONFIG_KEY}",
            f"use one of: {', '.join(DESTINATIONS)}",
        )
    return name


def resolve_pipelines_dir(pipelines_dir: str | None = None) -> str | None:
    """Where dlt keeps the pipeline's state: the argument, else `[klaviyo_sync] pipelines_dir`, else
    dlt's default (`~/.dlt/pipelines`, or under `DLT_DATA_DIR`)."""
    return pipelines_dir or dlt.config.get(PIPELINES_DIR_CONFIG_KEY, str)


def make_pipeline(
    destination: str | None = None,
    *,
    pipelines_dir: str | None = None,
    dataset_name: str = DATASET_NAME,
    progress: Any = None,
) -> dlt.Pipeline:
    """The `klaviyo_sync` pipeline into dataset `klaviyo_raw` on the configured destination.

    With DuckDB and no credentials configured, dlt writes `klaviyo_sync.duckdb` in the working
    directory (the file is named after the pipeline).
    """
    kwargs: dict[str, Any] = {}
    if pipelines_dir:
        kwargs["pipelines_dir"] = pipelines_dir
    if progress is not None:
        kwargs["progress"] = progress
    return dlt.pipeline(
        pipeline_name=PIPELINE_NAME,
        destination=resolve_destination(destination),
        dataset_name=dataset_name,
        **kwargs,
    )
