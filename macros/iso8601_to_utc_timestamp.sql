{#-
  An ISO-8601 string with an offset ('2022-11-08T01:23:45+02:00', '...Z', fractional seconds) ->
  the same instant as a UTC dbt.type_timestamp() without time zone. Unparseable text gives NULL.
-#}
{% macro iso8601_to_utc_timestamp(iso_string) -%}
  {{ return(adapter.dispatch('iso8601_to_utc_timestamp', 'klaviyo_warehouse')(iso_string)) }}
{%- endmacro %}

{% macro default__iso8601_to_utc_timestamp(iso_string) -%}
  {{ exceptions.raise_not_implemented(
      'klaviyo_warehouse.iso8601_to_utc_timestamp is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{# https://duckdb.org/docs/stable/sql/functions/timestamptz#timezonetext-timestamptz #}
{% macro duckdb__iso8601_to_utc_timestamp(iso_string) -%}
  timezone('UTC', try_cast({{ iso_string }} as timestamptz))
{%- endmacro %}

{# No safe cast before PostgreSQL 16: parse only text shaped like an ISO date-time #}
{% macro postgres__iso8601_to_utc_timestamp(iso_string) -%}
  case when {{ iso_string }} ~ '^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])([T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?$'
       then cast({{ iso_string }} as timestamptz) at time zone 'UTC' end
{%- endmacro %}

{# https://docs.snowflake.com/en/sql-reference/functions/try_cast (try_to_timestamp_tz: not in fakesnow) #}
{% macro snowflake__iso8601_to_utc_timestamp(iso_string) -%}
  convert_timezone('UTC', try_cast({{ iso_string }} as timestamp_tz))::timestamp_ntz
{%- endmacro %}

{# BigQuery TIMESTAMP is an absolute instant (shown in UTC) #}
{% macro bigquery__iso8601_to_utc_timestamp(iso_string) -%}
  safe_cast({{ iso_string }} as timestamp)
{%- endmacro %}

{# https://docs.aws.amazon.com/redshift/latest/dg/CONVERT_TIMEZONE.html #}
{% macro redshift__iso8601_to_utc_timestamp(iso_string) -%}
  case when {{ iso_string }} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}'
       then convert_timezone('UTC', cast({{ iso_string }} as timestamptz)) end
{%- endmacro %}

{# https://learn.microsoft.com/en-us/sql/t-sql/functions/switchoffset-transact-sql #}
{% macro synapse__iso8601_to_utc_timestamp(iso_string) -%}
  cast(switchoffset(try_cast({{ iso_string }} as datetimeoffset), '+00:00') as datetime2)
{%- endmacro %}
