{#-
  A boolean constant (`value` true or false) in the warehouse's own spelling, typed like the
  json_extract_boolean results it sits beside (e.g. is_deleted): Synapse has no boolean type and
  gets bit 1/0.
-#}
{% macro boolean_literal(value) -%}
  {{ return(adapter.dispatch('boolean_literal', 'klaviyo_warehouse')(value)) }}
{%- endmacro %}

{% macro default__boolean_literal(value) -%}
  {{ exceptions.raise_not_implemented(
      'klaviyo_warehouse.boolean_literal is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__boolean_literal(value) -%}
  {{ 'true' if value else 'false' }}
{%- endmacro %}

{% macro postgres__boolean_literal(value) -%}
  {{ 'true' if value else 'false' }}
{%- endmacro %}

{% macro snowflake__boolean_literal(value) -%}
  {{ 'true' if value else 'false' }}
{%- endmacro %}

{% macro bigquery__boolean_literal(value) -%}
  {{ 'true' if value else 'false' }}
{%- endmacro %}

{% macro redshift__boolean_literal(value) -%}
  {{ 'true' if value else 'false' }}
{%- endmacro %}

{# https://learn.microsoft.com/en-us/sql/t-sql/data-types/bit-transact-sql #}
{% macro synapse__boolean_literal(value) -%}
  cast({{ 1 if value else 0 }} as bit)
{%- endmacro %}
