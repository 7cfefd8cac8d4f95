{#- The current time as a UTC dbt.type_timestamp() without time zone (comparable to *_at columns). -#}
{% macro current_utc_timestamp() -%}
  {{ return(adapter.dispatch('current_utc_timestamp', 'klaviyo_warehouse')()) }}
{%- endmacro %}

{% macro default__current_utc_timestamp() -%}
  {{ exceptions.raise_not_implemented(
      'klaviyo_warehouse.current_utc_timestamp is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__current_utc_timestamp() -%}
  timezone('UTC', now())
{%- endmacro %}

{% macro postgres__current_utc_timestamp() -%}
  (now() at time zone 'UTC')
{%- endmacro %}

{# sysdate() is the current UTC time as TIMESTAMP_NTZ #}
{% macro snowflake__current_utc_timestamp() -%}
  sysdate()
{%- endmacro %}

{% macro bigquery__current_utc_timestamp() -%}
  current_timestamp()
{%- endmacro %}

{# getdate() is UTC on Redshift #}
{% macro redshift__current_utc_timestamp() -%}
  getdate()
{%- endmacro %}

{% macro synapse__current_utc_timestamp() -%}
  sysutcdatetime()
{%- endmacro %}
