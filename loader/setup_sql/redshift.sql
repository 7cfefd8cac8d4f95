-- klaviyo-warehouse-sync setup for Amazon Redshift.
--
-- Creates two users with the least privileges they need:
--   * the loader (dlt) owns the raw schema (and dlt's <raw>_staging schema) and nothing else; it may
--     read the dbt-built tables, which `klaviyo-sync export` queries;
--   * dbt reads the raw schema and owns the target schema where it builds klaviyo_profile,
--     klaviyo_event and klaviyo_metric.
-- Neither user can create schemas or touch any other schema.
--
-- Placeholders, each written ${...} below: replace them, or fill them in with
--   klaviyo-sync setup-sql --warehouse redshift --set LOADER_PASSWORD=... --set DBT_PASSWORD=...
--
--   RAW_SCHEMA          raw schema written by the loader               (default klaviyo_raw)
--   TARGET_SCHEMA       schema dbt builds the Klaviyo tables in        (default klaviyo)
--   STAGING_SCHEMA      schema of dbt's staging views                  (default klaviyo_staging)
--   LOADER_USER         user of the loader                             (default klaviyo_loader)
--   LOADER_PASSWORD     its password (8-64 characters, upper and lower case letters and a digit)
--   DBT_USER            user of dbt                                    (default klaviyo_dbt)
--   DBT_PASSWORD        its password (same rules)
--
-- Run it as a superuser, connected to the database to set up. dlt loads Redshift through S3
-- staging (COPY): give the loader an IAM role or S3 credentials for the staging bucket in its dlt
-- configuration; no database grant is needed.
-- https://docs.aws.amazon.com/redshift/latest/dg/r_GRANT.html

CREATE USER ${LOADER_USER} PASSWORD '${LOADER_PASSWORD}';
CREATE USER ${DBT_USER} PASSWORD '${DBT_PASSWORD}';

-- The loader owns its schemas: dlt creates, alters and merges its tables there.
CREATE SCHEMA IF NOT EXISTS ${RAW_SCHEMA} AUTHORIZATION ${LOADER_USER};
CREATE SCHEMA IF NOT EXISTS ${RAW_SCHEMA}_staging AUTHORIZATION ${LOADER_USER};
-- dbt owns the target and staging schemas: it creates, replaces and renames its tables and views there.
CREATE SCHEMA IF NOT EXISTS ${TARGET_SCHEMA} AUTHORIZATION ${DBT_USER};
CREATE SCHEMA IF NOT EXISTS ${STAGING_SCHEMA} AUTHORIZATION ${DBT_USER};

-- dbt reads the raw tables, including those the loader creates later.
GRANT USAGE ON SCHEMA ${RAW_SCHEMA} TO ${DBT_USER};
GRANT SELECT ON ALL TABLES IN SCHEMA ${RAW_SCHEMA} TO ${DBT_USER};
ALTER DEFAULT PRIVILEGES FOR USER ${LOADER_USER} IN SCHEMA ${RAW_SCHEMA}
    GRANT SELECT ON TABLES TO ${DBT_USER};

-- The loader reads the dbt-built tables for `klaviyo-sync export`.
GRANT USAGE ON SCHEMA ${TARGET_SCHEMA} TO ${LOADER_USER};
GRANT SELECT ON ALL TABLES IN SCHEMA ${TARGET_SCHEMA} TO ${LOADER_USER};
ALTER DEFAULT PRIVILEGES FOR USER ${DBT_USER} IN SCHEMA ${TARGET_SCHEMA}
    GRANT SELECT ON TABLES TO ${LOADER_USER};
