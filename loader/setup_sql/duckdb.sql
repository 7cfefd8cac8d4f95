-- klaviyo-warehouse-sync setup for DuckDB.
--
-- DuckDB has no users, roles or grants: whoever can open the database file can read and write all
-- of it. Least privilege is therefore a file-system matter: let only the account that runs the
-- loader and dbt write the file (e.g. `chmod 600 klaviyo_sync.duckdb`), and give readers a copy or
-- `ATTACH '<file>' (READ_ONLY)`.
--
-- Placeholders, each written ${...} below: replace them, or let
-- `klaviyo-sync setup-sql --warehouse duckdb` fill them in:
--   RAW_SCHEMA        schema the loader (dlt) writes the raw tables to     (default klaviyo_raw)
--   TARGET_SCHEMA     schema dbt builds klaviyo_profile/_event/_metric in  (default klaviyo)
--   STAGING_SCHEMA    schema of dbt's staging views                        (default klaviyo_staging)
--
-- Run it with: duckdb klaviyo_sync.duckdb < duckdb.sql

CREATE SCHEMA IF NOT EXISTS ${RAW_SCHEMA};
-- dlt's merge loads go through a staging dataset named <raw schema>_staging.
CREATE SCHEMA IF NOT EXISTS ${RAW_SCHEMA}_staging;
CREATE SCHEMA IF NOT EXISTS ${TARGET_SCHEMA};
CREATE SCHEMA IF NOT EXISTS ${STAGING_SCHEMA};
