{#-
  A JSON number at `path` as dbt.type_numeric(); a numeric string ("12.50") is accepted too, anything
  else (missing, text, object) gives NULL rather than failing the model.
-#}
{% macro json_extract_number(json_column, path) -%}
  {{ return(adapter.dispatch('json_extract_number', 'klaviyo_warehouse')(json_column, path)) }}
{%- endmacro %}

{% macro default__json_extract_number(json_column, path) -%}
  {{ exceptions.raise_not_implemented(
      'klaviyo_warehouse.json_extract_number is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__json_extract_number(json_column, path) -%}
  try_cast(json_extract_string({{ json_column }}, {{ klaviyo_warehouse.json_path(path) }}) as {{ dbt.type_numeric() }})
{%- endmacro %}

{#- PostgreSQL has no safe cast: accept only text shaped like a number, and only values that fit
    the numeric type (CASE, unlike AND, fixes the evaluation order) -#}
{% macro postgres__json_extract_number(json_column, path) -%}
  {%- set text_value = '(' ~ json_column ~ ' #>> ' ~ klaviyo_warehouse.json_path(path) ~ ')' -%}
  case when {{ text_value }} ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$'
       then case when abs(cast({{ text_value }} as numeric)) < 1e22
                 then cast({{ text_value }} as {{ dbt.type_numeric() }}) end end
{%- endmacro %}

{# https://docs.snowflake.com/en/sql-reference/functions/try_cast #}
{% macro snowflake__json_extract_number(json_column, path) -%}
  try_cast({{ json_column }}{{ klaviyo_warehouse.json_path(path) }}::varchar as {{ dbt.type_numeric() }})
{%- endmacro %}

{% macro bigquery__json_extract_number(json_column, path) -%}
  safe_cast(json_value({{ json_column }}, {{ klaviyo_warehouse.json_path(path) }}) as {{ dbt.type_numeric() }})
{%- endmacro %}

{# https://docs.aws.amazon.com/redshift/latest/dg/r_is_decimal.html and friends #}
{% macro redshift__json_extract_number(json_column, path) -%}
  {%- set value = json_column ~ klaviyo_warehouse.json_path(path) -%}
  case when is_integer({{ value }}) or is_bigint({{ value }}) or is_decimal({{ value }}) or is_float({{ value }})
         then case when abs(cast({{ value }} as double precision)) < 1e22
                   then cast({{ value }} as {{ dbt.type_numeric() }}) end
       when is_varchar({{ value }}) and {{ value }}::varchar ~ '^\\s*[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)\\s*$'
         then cast({{ value }}::varchar as {{ dbt.type_numeric() }}) end
{%- endmacro %}

{# https://learn.microsoft.com/en-us/sql/t-sql/functions/try-cast-transact-sql #}
{% macro synapse__json_extract_number(json_column, path) -%}
  try_cast(json_value({{ json_column }}, {{ klaviyo_warehouse.json_path(path) }}) as {{ dbt.type_numeric() }})
{%- endmacro %}
