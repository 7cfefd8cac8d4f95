{#-
  A JSON scalar at `path` (see json_path) as text; NULL when the path is missing. Numbers and booleans
  come back in their JSON spelling ('12.5', 'true'), strings without quotes.
-#}
{% macro json_extract_string(json_column, path) -%}
  {{ return(adapter.dispatch('json_extract_string', 'klaviyo_warehouse')(json_column, path)) }}
{%- endmacro %}

{% macro default__json_extract_string(json_column, path) -%}
  {{ exceptions.raise_not_implemented(
      'klaviyo_warehouse.json_extract_string is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{# https://duckdb.org/docs/stable/data/json/json_functions (json_extract_string) #}
{% macro duckdb__json_extract_string(json_column, path) -%}
  json_extract_string({{ json_column }}, {{ klaviyo_warehouse.json_path(path) }})
{%- endmacro %}

{# https://www.postgresql.org/docs/current/functions-json.html (jsonb #>> text[]) #}
{% macro postgres__json_extract_string(json_column, path) -%}
  ({{ json_column }} #>> {{ klaviyo_warehouse.json_path(path) }})
{%- endmacro %}

{# VARIANT::varchar gives a string's value without quotes #}
{% macro snowflake__json_extract_string(json_column, path) -%}
  {{ json_column }}{{ klaviyo_warehouse.json_path(path) }}::varchar
{%- endmacro %}

{# https://cloud.google.com/bigquery/docs/reference/standard-sql/json_functions#json_value #}
{% macro bigquery__json_extract_string(json_column, path) -%}
  json_value({{ json_column }}, {{ klaviyo_warehouse.json_path(path) }})
{%- endmacro %}

{# SUPER: strings cast to varchar; other scalars are serialised (json_serialize) #}
{% macro redshift__json_extract_string(json_column, path) -%}
  {%- set value = json_column ~ klaviyo_warehouse.json_path(path) -%}
  case when is_varchar({{ value }}) then {{ value }}::varchar
       when {{ value }} is not null then json_serialize({{ value }}) end
{%- endmacro %}

{# https://learn.microsoft.com/en-us/sql/t-sql/functions/json-value-transact-sql #}
{% macro synapse__json_extract_string(json_column, path) -%}
  json_value({{ json_column }}, {{ klaviyo_warehouse.json_path(path) }})
{%- endmacro %}
