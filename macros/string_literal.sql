{#-
  A text constant as a SQL string literal, escaped for the warehouse (metric names from the package's
  vars, e.g. 'Opened Email', may hold quotes or backslashes). Unlike dbt.string_literal it escapes.
-#}
{% macro string_literal(text) -%}
  {{ return(adapter.dispatch('string_literal', 'klaviyo_warehouse')(text | string)) }}
{%- endmacro %}

{% macro default__string_literal(text) -%}
  {{ exceptions.raise_not_implemented(
      'klaviyo_warehouse.string_literal is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{# standard SQL: quotes doubled, backslashes literal #}
{% macro duckdb__string_literal(text) -%}
  '{{ text | replace("'", "''") }}'
{%- endmacro %}

{# standard_conforming_strings (on by default since PostgreSQL 9.1): backslashes literal #}
{% macro postgres__string_literal(text) -%}
  '{{ text | replace("'", "''") }}'
{%- endmacro %}

{# https://docs.snowflake.com/en/sql-reference/data-types-text#escape-sequences-in-single-quoted-string-constants #}
{% macro snowflake__string_literal(text) -%}
  '{{ text | replace("\\", "\\\\") | replace("'", "''") }}'
{%- endmacro %}

{# https://cloud.google.com/bigquery/docs/reference/standard-sql/lexical#string_and_bytes_literals #}
{% macro bigquery__string_literal(text) -%}
  '{{ text | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}

{# https://docs.aws.amazon.com/redshift/latest/dg/r_Literals.html: backslash escapes, quotes doubled #}
{% macro redshift__string_literal(text) -%}
  '{{ text | replace("\\", "\\\\") | replace("'", "''") }}'
{%- endmacro %}

{# https://learn.microsoft.com/en-us/sql/t-sql/data-types/constants-transact-sql (N'' for unicode) #}
{% macro synapse__string_literal(text) -%}
  N'{{ text | replace("'", "''") }}'
{%- endmacro %}
