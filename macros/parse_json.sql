{#- JSON text -> the warehouse's JSON type (invalid JSON gives NULL where the warehouse allows). -#}
{% macro parse_json(json_text) -%}
  {{ return(adapter.dispatch('parse_json', 'klaviyo_warehouse')(json_text)) }}
{%- endmacro %}

{% macro default__parse_json(json_text) -%}
  {{ exceptions.raise_not_implemented(
      'klaviyo_warehouse.parse_json is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{# https://duckdb.org/docs/stable/data/json/json_type #}
{% macro duckdb__parse_json(json_text) -%}
  case when json_valid({{ json_text }}) then cast({{ json_text }} as json) end
{%- endmacro %}

{# No safe cast before PostgreSQL 16: invalid JSON fails the query #}
{% macro postgres__parse_json(json_text) -%}
  cast({{ json_text }} as jsonb)
{%- endmacro %}

{# https://docs.snowflake.com/en/sql-reference/functions/try_parse_json #}
{% macro snowflake__parse_json(json_text) -%}
  try_parse_json({{ json_text }})
{%- endmacro %}

{# https://cloud.google.com/bigquery/docs/reference/standard-sql/json_functions#parse_json #}
{% macro bigquery__parse_json(json_text) -%}
  safe.parse_json({{ json_text }})
{%- endmacro %}

{# https://docs.aws.amazon.com/redshift/latest/dg/JSON_PARSE.html #}
{% macro redshift__parse_json(json_text) -%}
  case when can_json_parse({{ json_text }}) then json_parse({{ json_text }}) end
{%- endmacro %}

{# Synapse keeps JSON as nvarchar text; ISJSON guards it #}
{% macro synapse__parse_json(json_text) -%}
  case when isjson({{ json_text }}) = 1 then cast({{ json_text }} as nvarchar(max)) end
{%- endmacro %}
