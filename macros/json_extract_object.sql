{#-
  The JSON value (object or array) at `path`, kept in the warehouse's JSON type: DuckDB JSON,
  PostgreSQL jsonb, Snowflake VARIANT, BigQuery JSON, Redshift SUPER, Synapse nvarchar (JSON text).
-#}
{% macro json_extract_object(json_column, path) -%}
  {{ return(adapter.dispatch('json_extract_object', 'klaviyo_warehouse')(json_column, path)) }}
{%- endmacro %}

{% macro default__json_extract_object(json_column, path) -%}
  {{ exceptions.raise_not_implemented(
      'klaviyo_warehouse.json_extract_object is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{# json_extract returns JSON; a JSON null becomes SQL NULL #}
{% macro duckdb__json_extract_object(json_column, path) -%}
  nullif(json_extract({{ json_column }}, {{ klaviyo_warehouse.json_path(path) }}), 'null'::json)
{%- endmacro %}

{% macro postgres__json_extract_object(json_column, path) -%}
  nullif({{ json_column }} #> {{ klaviyo_warehouse.json_path(path) }}, 'null'::jsonb)
{%- endmacro %}

{% macro snowflake__json_extract_object(json_column, path) -%}
  strip_null_value({{ json_column }}{{ klaviyo_warehouse.json_path(path) }})
{%- endmacro %}

{# https://cloud.google.com/bigquery/docs/reference/standard-sql/json_functions#json_query #}
{% macro bigquery__json_extract_object(json_column, path) -%}
  json_query({{ json_column }}, {{ klaviyo_warehouse.json_path(path) }})
{%- endmacro %}

{% macro redshift__json_extract_object(json_column, path) -%}
  {{ json_column }}{{ klaviyo_warehouse.json_path(path) }}
{%- endmacro %}

{# https://learn.microsoft.com/en-us/sql/t-sql/functions/json-query-transact-sql #}
{% macro synapse__json_extract_object(json_column, path) -%}
  json_query({{ json_column }}, {{ klaviyo_warehouse.json_path(path) }})
{%- endmacro %}
