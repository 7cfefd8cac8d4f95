-- klaviyo-warehouse-sync setup for Azure Synapse Analytics (dedicated SQL pool).
--
-- Creates two SQL logins and database users with the least privileges they need:
--   * the loader (dlt) owns the raw schema (and dlt's <raw>_staging schema) and may read the
--     dbt-built tables, which `klaviyo-sync export` queries;
--   * dbt reads the raw schema and owns the target schema where it builds klaviyo_profile,
--     klaviyo_event and klaviyo_metric.
-- Neither user can create schemas or touch any other schema.
--
-- Placeholders, each written ${...} below: replace them, or fill them in with
--   klaviyo-sync setup-sql --warehouse synapse --set LOADER_PASSWORD=... --set DBT_PASSWORD=...
--
--   RAW_SCHEMA          raw schema written by the loader               (default klaviyo_raw)
--   TARGET_SCHEMA       schema dbt builds the Klaviyo tables in        (default klaviyo)
--   STAGING_SCHEMA      schema of dbt's staging views                  (default klaviyo_staging)
--   LOADER_USER         login and user of the loader                   (default klaviyo_loader)
--   LOADER_PASSWORD     its password (Azure SQL password policy applies)
--   DBT_USER            login and user of dbt                          (default klaviyo_dbt)
--   DBT_PASSWORD        its password
--
-- Run it with sqlcmd or SQL Server Management Studio as the server admin; `GO` separates batches.
-- https://learn.microsoft.com/en-us/azure/synapse-analytics/sql/sql-authentication

-- Part 1: connected to the `master` database.
CREATE LOGIN ${LOADER_USER} WITH PASSWORD = '${LOADER_PASSWORD}';
CREATE LOGIN ${DBT_USER} WITH PASSWORD = '${DBT_PASSWORD}';
GO

-- Part 2: connected to your dedicated SQL pool database.
CREATE USER ${LOADER_USER} FOR LOGIN ${LOADER_USER};
CREATE USER ${DBT_USER} FOR LOGIN ${DBT_USER};
GO
-- The loader owns its schemas: dlt creates, alters and merges its tables there.
CREATE SCHEMA ${RAW_SCHEMA} AUTHORIZATION ${LOADER_USER};
GO
CREATE SCHEMA ${RAW_SCHEMA}_staging AUTHORIZATION ${LOADER_USER};
GO
-- dbt owns the target and staging schemas: it creates, replaces and renames its tables and views there.
CREATE SCHEMA ${TARGET_SCHEMA} AUTHORIZATION ${DBT_USER};
GO
CREATE SCHEMA ${STAGING_SCHEMA} AUTHORIZATION ${DBT_USER};
GO
-- Creating tables needs the database permission too; it only applies in schemas a user may alter.
GRANT CREATE TABLE TO ${LOADER_USER};
GRANT CREATE TABLE, CREATE VIEW TO ${DBT_USER};
-- dlt loads Synapse with COPY INTO from Azure Blob Storage staging.
GRANT ADMINISTER DATABASE BULK OPERATIONS TO ${LOADER_USER};
-- dbt reads the raw tables (schema-wide, so tables created later are included).
GRANT SELECT ON SCHEMA::${RAW_SCHEMA} TO ${DBT_USER};
-- The loader reads the dbt-built tables for `klaviyo-sync export`.
GRANT SELECT ON SCHEMA::${TARGET_SCHEMA} TO ${LOADER_USER};
GO
