{#-
  A JSON boolean at `path` (or the strings "true"/"false", any case) as a boolean; anything else NULL.
  Synapse has no boolean type: it returns bit (1/0).
-#}
{% macro json_extract_boolean(json_column, path) -%}
  {{ return(adapter.dispatch('json_extract_boolean', 'klaviyo_warehouse')(json_column, path)) }}
{%- endmacro %}

{% macro default__json_extract_boolean(json_column, path) -%}
  {{ exceptions.raise_not_implemented(
      'klaviyo_warehouse.json_extract_boolean is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__json_extract_boolean(json_column, path) -%}
  case lower(json_extract_string({{ json_column }}, {{ klaviyo_warehouse.json_path(path) }}))
    when 'true' then true when 'false' then false end
{%- endmacro %}

{% macro postgres__json_extract_boolean(json_column, path) -%}
  case lower({{ json_column }} #>> {{ klaviyo_warehouse.json_path(path) }})
    when 'true' then true when 'false' then false end
{%- endmacro %}

{% macro snowflake__json_extract_boolean(json_column, path) -%}
  case lower({{ json_column }}{{ klaviyo_warehouse.json_path(path) }}::varchar)
    when 'true' then true when 'false' then false end
{%- endmacro %}

{% macro bigquery__json_extract_boolean(json_column, path) -%}
  case lower(json_value({{ json_column }}, {{ klaviyo_warehouse.json_path(path) }}))
    when 'true' then true when 'false' then false end
{%- endmacro %}

{% macro redshift__json_extract_boolean(json_column, path) -%}
  case lower({{ klaviyo_warehouse.redshift__json_extract_string(json_column, path) }})
    when 'true' then true when 'false' then false end
{%- endmacro %}

{# https://learn.microsoft.com/en-us/sql/t-sql/data-types/bit-transact-sql #}
{% macro synapse__json_extract_boolean(json_column, path) -%}
  case lower(json_value({{ json_column }}, {{ klaviyo_warehouse.json_path(path) }}))
    when 'true' then cast(1 as bit) when 'false' then cast(0 as bit) end
{%- endmacro %}
