-- klaviyo-warehouse-sync setup for PostgreSQL.
--
-- Creates two login roles with the least privileges they need:
--   * the loader (dlt) owns the raw schema (and dlt's <raw>_staging schema) and nothing else; it may
--     read the dbt-built tables, which `klaviyo-sync export` queries;
--   * dbt reads the raw schema and owns the target schema where it builds klaviyo_profile,
--     klaviyo_event and klaviyo_metric.
-- Neither role can create schemas or touch any other schema.
--
-- Placeholders, each written ${...} below: replace them, or fill them in with
--   klaviyo-sync setup-sql --warehouse postgres --set LOADER_PASSWORD=... --set DBT_PASSWORD=... --set DATABASE=...
--
--   DATABASE            the database to set up (connect to it to run this script)
--   RAW_SCHEMA          raw schema written by the loader               (default klaviyo_raw)
--   TARGET_SCHEMA       schema dbt builds the Klaviyo tables in        (default klaviyo)
--   STAGING_SCHEMA      schema of dbt's staging views                  (default klaviyo_staging)
--   LOADER_USER         login role of the loader                       (default klaviyo_loader)
--   LOADER_PASSWORD     its password
--   DBT_USER            login role of dbt                              (default klaviyo_dbt)
--   DBT_PASSWORD        its password
--
-- Run it as a superuser (or a role with CREATEROLE that owns the database), e.g.
--   psql -v ON_ERROR_STOP=1 -d ${DATABASE} -f postgres.sql

CREATE ROLE ${LOADER_USER} LOGIN PASSWORD '${LOADER_PASSWORD}';
CREATE ROLE ${DBT_USER} LOGIN PASSWORD '${DBT_PASSWORD}';
GRANT CONNECT ON DATABASE ${DATABASE} TO ${LOADER_USER}, ${DBT_USER};

-- The loader owns its schemas: dlt creates, alters and merges its tables there.
CREATE SCHEMA IF NOT EXISTS ${RAW_SCHEMA} AUTHORIZATION ${LOADER_USER};
CREATE SCHEMA IF NOT EXISTS ${RAW_SCHEMA}_staging AUTHORIZATION ${LOADER_USER};
-- dbt owns the target and staging schemas: it creates, replaces and renames its tables and views there.
CREATE SCHEMA IF NOT EXISTS ${TARGET_SCHEMA} AUTHORIZATION ${DBT_USER};
CREATE SCHEMA IF NOT EXISTS ${STAGING_SCHEMA} AUTHORIZATION ${DBT_USER};

-- dbt reads the raw tables, including those the loader creates later.
GRANT USAGE ON SCHEMA ${RAW_SCHEMA} TO ${DBT_USER};
GRANT SELECT ON ALL TABLES IN SCHEMA ${RAW_SCHEMA} TO ${DBT_USER};
ALTER DEFAULT PRIVILEGES FOR ROLE ${LOADER_USER} IN SCHEMA ${RAW_SCHEMA}
    GRANT SELECT ON TABLES TO ${DBT_USER};

-- The loader reads the dbt-built tables for `klaviyo-sync export`.
GRANT USAGE ON SCHEMA ${TARGET_SCHEMA} TO ${LOADER_USER};
GRANT SELECT ON ALL TABLES IN SCHEMA ${TARGET_SCHEMA} TO ${LOADER_USER};
ALTER DEFAULT PRIVILEGES FOR ROLE ${DBT_USER} IN SCHEMA ${TARGET_SCHEMA}
    GRANT SELECT ON TABLES TO ${LOADER_USER};
