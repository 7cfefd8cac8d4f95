"""The env vars `dbt_project/profiles.yml` reads, derived from the loader's dlt destination config.

Credentials are configured once, dlt-style; this module reads them through dlt's own config
resolution (the pipeline's destination client configuration) and maps them onto the profile's
`KLAVIYO_*` / `DBT_ENV_SECRET_*` variables. Secret values are also returned separately, so callers
can redact them from anything they print.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt

from loader.errors import SyncError


@dataclass
class DbtConnection:
    """What dbt needs to reach the warehouse the loader wrote to."""

    target: str
    raw_schema: str
    env: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    temp_files: list[Path] = field(default_factory=list)

    def cleanup(self) -> None:
        """Remove credential files written for this dbt run."""
        for path in self.temp_files:
            path.unlink(missing_ok=True)

    def secret(self, name: str, value: Any) -> None:
        if value:
            self.env[name] = str(value)
            self.secrets.append(str(value))

    def plain(self, name: str, value: Any) -> None:
        if value is not None and value != "":
            self.env[name] = str(value)


def _duckdb(conn: DbtConnection, creds: Any, config: Any, work_dir: Path) -> None:
    conn.plain("KLAVIYO_DUCKDB_PATH", os.path.abspath(str(creds.database)))


def _postgres_like(prefix: str) -> Callable[[DbtConnection, Any, Any, Path], None]:
    def apply(conn: DbtConnection, creds: Any, config: Any, work_dir: Path) -> None:
        conn.plain(f"KLAVIYO_{prefix}_HOST", creds.host)
        conn.plain(f"KLAVIYO_{prefix}_PORT", creds.port)
        conn.plain(f"KLAVIYO_{prefix}_USER", creds.username)
        conn.plain(f"KLAVIYO_{prefix}_DATABASE", creds.database)
        conn.secret(f"DBT_ENV_SECRET_KLAVIYO_{prefix}_PASSWORD", creds.password)
        query = getattr(creds, "query", None) or {}
        conn.plain(f"KLAVIYO_{prefix}_SSLMODE", query.get("sslmode"))

    return apply


def _snowflake(conn: DbtConnection, creds: Any, config: Any, work_dir: Path) -> None:
    conn.plain("KLAVIYO_SNOWFLAKE_ACCOUNT", creds.host)
    conn.plain("KLAVIYO_SNOWFLAKE_USER", creds.username)
    conn.plain("KLAVIYO_SNOWFLAKE_DATABASE", creds.database)
    conn.plain("KLAVIYO_SNOWFLAKE_WAREHOUSE", creds.warehouse)
    conn.plain("KLAVIYO_SNOWFLAKE_ROLE", creds.role)
    conn.secret("DBT_ENV_SECRET_KLAVIYO_SNOWFLAKE_PASSWORD", creds.password)
    conn.secret("DBT_ENV_SECRET_KLAVIYO_SNOWFLAKE_PRIVATE_KEY", creds.private_key)


def _bigquery(conn: DbtConnection, creds: Any, config: Any, work_dir: Path) -> None:
    """dbt-bigquery reads a keyfile: write the service account JSON privately under work_dir."""
    conn.plain("KLAVIYO_BIGQUERY_PROJECT", creds.project_id)
    conn.plain("KLAVIYO_BIGQUERY_LOCATION", getattr(config, "location", None))
    private_key = getattr(creds, "private_key", None)
    if private_key:
        keyfile = work_dir / "secrets" / "bigquery-keyfile.json"
        keyfile.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        keyfile.touch(mode=0o600)
        keyfile.write_text(json.dumps({
            "type": "service_account", "project_id": creds.project_id, "private_key": private_key,
            "client_email": creds.client_email, "token_uri": "https://oauth2.googleapis.com/token",
        }), encoding="utf-8")
        conn.plain("KLAVIYO_BIGQUERY_METHOD", "service-account")
        conn.plain("KLAVIYO_BIGQUERY_KEYFILE", keyfile)
        conn.secrets.append(private_key)
        conn.temp_files.append(keyfile)
    else:
        conn.plain("KLAVIYO_BIGQUERY_METHOD", "oauth")


def _synapse(conn: DbtConnection, creds: Any, config: Any, work_dir: Path) -> None:
    conn.plain("KLAVIYO_SYNAPSE_HOST", creds.host)
    conn.plain("KLAVIYO_SYNAPSE_PORT", creds.port)
    conn.plain("KLAVIYO_SYNAPSE_DATABASE", creds.database)
    conn.plain("KLAVIYO_SYNAPSE_USER", creds.username)
    conn.plain("KLAVIYO_SYNAPSE_DRIVER", getattr(creds, "driver", None))
    conn.secret("DBT_ENV_SECRET_KLAVIYO_SYNAPSE_PASSWORD", creds.password)


_APPLY: dict[str, Callable[[DbtConnection, Any, Any, Path], None]] = {
    "duckdb": _duckdb,
    "postgres": _postgres_like("PG"),
    "redshift": _postgres_like("REDSHIFT"),
    "snowflake": _snowflake,
    "bigquery": _bigquery,
    "synapse": _synapse,
}


def dbt_connection(pipeline: dlt.Pipeline, work_dir: Path) -> DbtConnection:
    """Map the pipeline's resolved destination credentials onto the dbt profile's env vars."""
    name = pipeline.destination.destination_name
    apply = _APPLY.get(name)
    if apply is None:
        raise SyncError(
            f"dbt models cannot be built on destination {name!r}",
            "--destination / [klaviyo_sync] destination",
            f"use one of {', '.join(_APPLY)} to build the models, or run with --no-dbt",
        )
    config = pipeline.destination_client().config
    conn = DbtConnection(target=name, raw_schema=pipeline.dataset_name)
    conn.plain("KLAVIYO_DBT_TARGET", name)
    apply(conn, config.credentials, config, work_dir)
    return conn
