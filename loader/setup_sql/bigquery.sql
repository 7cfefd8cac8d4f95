-- klaviyo-warehouse-sync setup for Google BigQuery.
--
-- Creates the raw and target datasets and grants two service accounts the least privileges they need:
--   * the loader (dlt) edits the raw dataset (and dlt's <raw>_staging dataset) and may read the
--     dbt-built tables, which `klaviyo-sync export` queries;
--   * dbt reads the raw dataset and edits the target dataset where it builds klaviyo_profile,
--     klaviyo_event and klaviyo_metric.
-- Neither can create datasets or read any other dataset.
--
-- Placeholders, each written ${...} below: replace them, or fill them in with
--   klaviyo-sync setup-sql --warehouse bigquery --set PROJECT_ID=... --set LOADER_SERVICE_ACCOUNT=... --set DBT_SERVICE_ACCOUNT=...
--
--   PROJECT_ID                 your Google Cloud project id
--   LOCATION                   dataset location                         (default US)
--   RAW_SCHEMA                 raw dataset written by the loader        (default klaviyo_raw)
--   TARGET_SCHEMA              dataset dbt builds the Klaviyo tables in (default klaviyo)
--   STAGING_SCHEMA             dataset of dbt's staging views    (default klaviyo_staging)
--   LOADER_SERVICE_ACCOUNT     the loader's SERVICE ACCOUNT EMAIL
--   DBT_SERVICE_ACCOUNT        dbt's SERVICE ACCOUNT EMAIL
--
-- Both service accounts also need to run query and load jobs in the project. That is a project IAM
-- role, which SQL cannot grant; run once per service account:
--   gcloud projects add-iam-policy-binding ${PROJECT_ID} \
--       --member=serviceAccount:<SERVICE ACCOUNT EMAIL> --role=roles/bigquery.jobUser
-- The project needs a billing account for the loader's load jobs.
-- https://cloud.google.com/bigquery/docs/reference/standard-sql/data-control-language

CREATE SCHEMA IF NOT EXISTS `${PROJECT_ID}.${RAW_SCHEMA}` OPTIONS (location = '${LOCATION}');
CREATE SCHEMA IF NOT EXISTS `${PROJECT_ID}.${RAW_SCHEMA}_staging` OPTIONS (location = '${LOCATION}');
CREATE SCHEMA IF NOT EXISTS `${PROJECT_ID}.${TARGET_SCHEMA}` OPTIONS (location = '${LOCATION}');
CREATE SCHEMA IF NOT EXISTS `${PROJECT_ID}.${STAGING_SCHEMA}` OPTIONS (location = '${LOCATION}');

-- The loader edits its datasets: dlt creates, alters and merges its tables there.
GRANT `roles/bigquery.dataEditor` ON SCHEMA `${PROJECT_ID}.${RAW_SCHEMA}`
    TO "serviceAccount:${LOADER_SERVICE_ACCOUNT}";
GRANT `roles/bigquery.dataEditor` ON SCHEMA `${PROJECT_ID}.${RAW_SCHEMA}_staging`
    TO "serviceAccount:${LOADER_SERVICE_ACCOUNT}";
-- The loader reads the dbt-built tables for `klaviyo-sync export`.
GRANT `roles/bigquery.dataViewer` ON SCHEMA `${PROJECT_ID}.${TARGET_SCHEMA}`
    TO "serviceAccount:${LOADER_SERVICE_ACCOUNT}";

-- dbt reads the raw tables and edits its own dataset.
GRANT `roles/bigquery.dataViewer` ON SCHEMA `${PROJECT_ID}.${RAW_SCHEMA}`
    TO "serviceAccount:${DBT_SERVICE_ACCOUNT}";
GRANT `roles/bigquery.dataEditor` ON SCHEMA `${PROJECT_ID}.${TARGET_SCHEMA}`
    TO "serviceAccount:${DBT_SERVICE_ACCOUNT}";
GRANT `roles/bigquery.dataEditor` ON SCHEMA `${PROJECT_ID}.${STAGING_SCHEMA}`
    TO "serviceAccount:${DBT_SERVICE_ACCOUNT}";
