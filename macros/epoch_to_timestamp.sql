{#- Epoch seconds (integer or numeric) -> a UTC dbt.type_timestamp() without time zone. -#}
{% macro epoch_to_timestamp(epoch_seconds) -%}
  {{ return(adapter.dispatch('epoch_to_timestamp', 'klaviyo_warehouse')(epoch_seconds)) }}
{%- endmacro %}

{% macro default__epoch_to_timestamp(epoch_seconds) -%}
  {{ exceptions.raise_not_implemented(
      'klaviyo_warehouse.epoch_to_timestamp is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{# to_timestamp(double) returns timestamptz; read it back in UTC #}
{% macro duckdb__epoch_to_timestamp(epoch_seconds) -%}
  timezone('UTC', to_timestamp(cast({{ epoch_seconds }} as double)))
{%- endmacro %}

{% macro postgres__epoch_to_timestamp(epoch_seconds) -%}
  (to_timestamp(cast({{ epoch_seconds }} as double precision)) at time zone 'UTC')
{%- endmacro %}

{# https://docs.snowflake.com/en/sql-reference/functions/to_timestamp (scale 0 = seconds) #}
{% macro snowflake__epoch_to_timestamp(epoch_seconds) -%}
  to_timestamp_ntz(cast({{ epoch_seconds }} as number(38, 6)), 0)
{%- endmacro %}

{# https://cloud.google.com/bigquery/docs/reference/standard-sql/timestamp_functions#timestamp_micros #}
{% macro bigquery__epoch_to_timestamp(epoch_seconds) -%}
  timestamp_micros(cast(round(cast({{ epoch_seconds }} as float64) * 1000000) as int64))
{%- endmacro %}

{% macro redshift__epoch_to_timestamp(epoch_seconds) -%}
  (timestamp 'epoch' + cast({{ epoch_seconds }} as double precision) * interval '1 second')
{%- endmacro %}

{# dateadd takes an int: add whole days, then the remaining seconds #}
{% macro synapse__epoch_to_timestamp(epoch_seconds) -%}
  dateadd(second, cast(cast({{ epoch_seconds }} as bigint) % 86400 as int),
          dateadd(day, cast(cast({{ epoch_seconds }} as bigint) / 86400 as int), cast('1970-01-01' as datetime2)))
{%- endmacro %}
