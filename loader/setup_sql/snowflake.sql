-- klaviyo-warehouse-sync setup for Snowflake.
--
-- Creates a warehouse, a database with the raw and target schemas, and two users, each with its own
-- role holding the least privileges it needs:
--   * the loader (dlt) owns the raw schema (and dlt's <raw>_staging schema) and nothing else; it may
--     read the dbt-built tables, which `klaviyo-sync export` queries;
--   * dbt reads the raw schema and owns the target schema where it builds KLAVIYO_PROFILE,
--     KLAVIYO_EVENT and KLAVIYO_METRIC.
-- Neither role can create schemas or databases.
--
-- You need the SECURITYADMIN and SYSADMIN roles (check with SHOW GRANTS TO USER <you>).
--
-- Placeholders, each written ${...} below: replace them, or fill them in with
--   klaviyo-sync setup-sql --warehouse snowflake --set LOADER_PASSWORD=... --set DBT_PASSWORD=...
--
--   DATABASE            database to create                             (default KLAVIYO)
--   WAREHOUSE           virtual warehouse to create and use            (default KLAVIYO_WH)
--   RAW_SCHEMA          raw schema written by the loader               (default klaviyo_raw)
--   TARGET_SCHEMA       schema dbt builds the Klaviyo tables in        (default klaviyo)
--   STAGING_SCHEMA      schema of dbt's staging views                  (default klaviyo_staging)
--   LOADER_USER         user of the loader; its role is <user>_ROLE    (default klaviyo_loader)
--   LOADER_PASSWORD     its password
--   DBT_USER            user of dbt; its role is <user>_ROLE           (default klaviyo_dbt)
--   DBT_PASSWORD        its password
-- https://docs.snowflake.com/en/user-guide/security-access-control-configure

USE ROLE SECURITYADMIN;
CREATE ROLE IF NOT EXISTS ${LOADER_USER}_ROLE;
CREATE ROLE IF NOT EXISTS ${DBT_USER}_ROLE;
GRANT ROLE ${LOADER_USER}_ROLE TO ROLE SYSADMIN;
GRANT ROLE ${DBT_USER}_ROLE TO ROLE SYSADMIN;
CREATE USER IF NOT EXISTS ${LOADER_USER} PASSWORD = '${LOADER_PASSWORD}'
    DEFAULT_ROLE = ${LOADER_USER}_ROLE DEFAULT_WAREHOUSE = ${WAREHOUSE}
    DEFAULT_NAMESPACE = ${DATABASE}.${RAW_SCHEMA};
CREATE USER IF NOT EXISTS ${DBT_USER} PASSWORD = '${DBT_PASSWORD}'
    DEFAULT_ROLE = ${DBT_USER}_ROLE DEFAULT_WAREHOUSE = ${WAREHOUSE}
    DEFAULT_NAMESPACE = ${DATABASE}.${TARGET_SCHEMA};
GRANT ROLE ${LOADER_USER}_ROLE TO USER ${LOADER_USER};
GRANT ROLE ${DBT_USER}_ROLE TO USER ${DBT_USER};

USE ROLE SYSADMIN;
CREATE WAREHOUSE IF NOT EXISTS ${WAREHOUSE}
    WAREHOUSE_SIZE = XSMALL AUTO_SUSPEND = 60 AUTO_RESUME = TRUE INITIALLY_SUSPENDED = TRUE;
CREATE DATABASE IF NOT EXISTS ${DATABASE};
CREATE SCHEMA IF NOT EXISTS ${DATABASE}.${RAW_SCHEMA};
CREATE SCHEMA IF NOT EXISTS ${DATABASE}.${RAW_SCHEMA}_staging;
CREATE SCHEMA IF NOT EXISTS ${DATABASE}.${TARGET_SCHEMA};
CREATE SCHEMA IF NOT EXISTS ${DATABASE}.${STAGING_SCHEMA};

GRANT USAGE ON WAREHOUSE ${WAREHOUSE} TO ROLE ${LOADER_USER}_ROLE;
GRANT USAGE ON WAREHOUSE ${WAREHOUSE} TO ROLE ${DBT_USER}_ROLE;
GRANT USAGE ON DATABASE ${DATABASE} TO ROLE ${LOADER_USER}_ROLE;
GRANT USAGE ON DATABASE ${DATABASE} TO ROLE ${DBT_USER}_ROLE;

-- The loader owns its schemas: dlt creates, alters, stages into and merges its tables there.
GRANT OWNERSHIP ON SCHEMA ${DATABASE}.${RAW_SCHEMA} TO ROLE ${LOADER_USER}_ROLE COPY CURRENT GRANTS;
GRANT OWNERSHIP ON SCHEMA ${DATABASE}.${RAW_SCHEMA}_staging TO ROLE ${LOADER_USER}_ROLE COPY CURRENT GRANTS;
-- dbt owns the target and staging schemas: it creates, replaces and swaps its tables and views there.
GRANT OWNERSHIP ON SCHEMA ${DATABASE}.${TARGET_SCHEMA} TO ROLE ${DBT_USER}_ROLE COPY CURRENT GRANTS;
GRANT OWNERSHIP ON SCHEMA ${DATABASE}.${STAGING_SCHEMA} TO ROLE ${DBT_USER}_ROLE COPY CURRENT GRANTS;

USE ROLE SECURITYADMIN;
-- dbt reads the raw tables, including those the loader creates later.
GRANT USAGE ON SCHEMA ${DATABASE}.${RAW_SCHEMA} TO ROLE ${DBT_USER}_ROLE;
GRANT SELECT ON ALL TABLES IN SCHEMA ${DATABASE}.${RAW_SCHEMA} TO ROLE ${DBT_USER}_ROLE;
GRANT SELECT ON FUTURE TABLES IN SCHEMA ${DATABASE}.${RAW_SCHEMA} TO ROLE ${DBT_USER}_ROLE;
-- The loader reads the dbt-built tables and views for `klaviyo-sync export`.
GRANT USAGE ON SCHEMA ${DATABASE}.${TARGET_SCHEMA} TO ROLE ${LOADER_USER}_ROLE;
GRANT SELECT ON ALL TABLES IN SCHEMA ${DATABASE}.${TARGET_SCHEMA} TO ROLE ${LOADER_USER}_ROLE;
GRANT SELECT ON FUTURE TABLES IN SCHEMA ${DATABASE}.${TARGET_SCHEMA} TO ROLE ${LOADER_USER}_ROLE;
GRANT SELECT ON ALL VIEWS IN SCHEMA ${DATABASE}.${TARGET_SCHEMA} TO ROLE ${LOADER_USER}_ROLE;
GRANT SELECT ON FUTURE VIEWS IN SCHEMA ${DATABASE}.${TARGET_SCHEMA} TO ROLE ${LOADER_USER}_ROLE;
