{#-
  Render a JSON path (a list of object keys and integer array indexes, or one key as a string) in
  the warehouse's own path syntax, for the json_extract_* macros:
    ['location', 'city']   ['event_properties', '$value']   ['items', 0, 'sku']
  Keys are always quoted, so keys such as `$value` or `a.b` are safe.
-#}
{% macro json_path(path) -%}
  {{ return(adapter.dispatch('json_path', 'klaviyo_warehouse')(klaviyo_warehouse._json_path_parts(path))) }}
{%- endmacro %}

{% macro _json_path_parts(path) -%}
  {%- if path is string -%}{{ return([path]) }}{%- else -%}{{ return(path | list) }}{%- endif -%}
{%- endmacro %}

{% macro _jsonpath_literal(parts) -%}
  {#- SQL/JSON path literal: '$."key"[0]' (single quotes doubled, double quotes escaped) -#}
  {%- set ns = namespace(text='$') -%}
  {%- for part in parts -%}
    {%- if part is number -%}
      {%- set ns.text = ns.text ~ '[' ~ (part | int) ~ ']' -%}
    {%- else -%}
      {%- set ns.text = ns.text ~ '."' ~ (part | replace('\\', '\\\\') | replace('"', '\\"')) ~ '"' -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return("'" ~ (ns.text | replace("'", "''")) ~ "'") }}
{%- endmacro %}

{% macro _bracket_path(parts) -%}
  {%- set ns = namespace(text='') -%}
  {%- for part in parts -%}
    {%- if part is number -%}
      {%- set ns.text = ns.text ~ '[' ~ (part | int) ~ ']' -%}
    {%- else -%}
      {%- set ns.text = ns.text ~ "['" ~ (part | replace("'", "''")) ~ "']" -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(ns.text) }}
{%- endmacro %}

{% macro default__json_path(parts) -%}
  {{ exceptions.raise_not_implemented(
      'klaviyo_warehouse.json_path is not implemented for adapter ' ~ adapter.type()
      ~ '; add a ' ~ adapter.type() ~ '__json_path macro') }}
{%- endmacro %}

{# https://duckdb.org/docs/stable/data/json/json_functions#json-extraction-functions #}
{% macro duckdb__json_path(parts) -%}
  {{ return(klaviyo_warehouse._jsonpath_literal(parts)) }}
{%- endmacro %}

{# jsonb #> / #>> take a text[] path; array indexes are written as text. #}
{% macro postgres__json_path(parts) -%}
  {%- set quoted = [] -%}
  {%- for part in parts -%}
    {%- do quoted.append("'" ~ (part | string | replace("'", "''")) ~ "'") -%}
  {%- endfor -%}
  {{ return('array[' ~ (quoted | join(', ')) ~ ']::text[]') }}
{%- endmacro %}

{#- https://docs.snowflake.com/en/user-guide/querying-semistructured (dot notation, quoted keys):
    :"event_properties"."$value". Not bracket notation: fakesnow mistranslates ['$value'] keys. -#}
{% macro snowflake__json_path(parts) -%}
  {%- set ns = namespace(text='') -%}
  {%- for part in parts -%}
    {%- if part is number -%}
      {%- set ns.text = ns.text ~ '[' ~ (part | int) ~ ']' -%}
    {%- else -%}
      {%- set ns.text = ns.text ~ (':' if loop.first else '.') ~ '"' ~ (part | replace('"', '""')) ~ '"' -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(ns.text) }}
{%- endmacro %}

{# https://cloud.google.com/bigquery/docs/reference/standard-sql/json_functions#JSONPath_format #}
{% macro bigquery__json_path(parts) -%}
  {{ return(klaviyo_warehouse._jsonpath_literal(parts)) }}
{%- endmacro %}

{# SUPER navigation: https://docs.aws.amazon.com/redshift/latest/dg/query-super.html #}
{% macro redshift__json_path(parts) -%}
  {{ return(klaviyo_warehouse._bracket_path(parts)) }}
{%- endmacro %}

{# https://learn.microsoft.com/en-us/sql/relational-databases/json/json-path-expressions-sql-server #}
{% macro synapse__json_path(parts) -%}
  {{ return(klaviyo_warehouse._jsonpath_literal(parts)) }}
{%- endmacro %}
