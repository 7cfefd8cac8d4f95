{#-
  A time-zone-aware timestamp column (as dlt writes them: DuckDB/PostgreSQL timestamptz, Snowflake
  TIMESTAMP_TZ, BigQuery TIMESTAMP, Redshift TIMESTAMPTZ, Synapse datetimeoffset) -> the same instant
  as a UTC dbt.type_timestamp() without time zone, independent of the session time zone.
-#}
{% macro to_utc_timestamp(timestamp_tz) -%}
  {{ return(adapter.dispatch('to_utc_timestamp', 'klaviyo_warehouse')(timestamp_tz)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(timestamp_tz) -%}
  {{ exceptions.raise_not_implemented(
      'klaviyo_warehouse.to_utc_timestamp is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__to_utc_timestamp(timestamp_tz) -%}
  timezone('UTC', {{ timestamp_tz }})
{%- endmacro %}

{% macro postgres__to_utc_timestamp(timestamp_tz) -%}
  ({{ timestamp_tz }} at time zone 'UTC')
{%- endmacro %}

{% macro snowflake__to_utc_timestamp(timestamp_tz) -%}
  convert_timezone('UTC', {{ timestamp_tz }})::timestamp_ntz
{%- endmacro %}

{% macro bigquery__to_utc_timestamp(timestamp_tz) -%}
  cast({{ timestamp_tz }} as timestamp)
{%- endmacro %}

{% macro redshift__to_utc_timestamp(timestamp_tz) -%}
  convert_timezone('UTC', {{ timestamp_tz }})
{%- endmacro %}

{% macro synapse__to_utc_timestamp(timestamp_tz) -%}
  cast(switchoffset({{ timestamp_tz }}, '+00:00') as datetime2)
{%- endmacro %}
