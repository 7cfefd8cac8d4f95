{#-
  Generic data test: no two rows of `model` share the values of `combination_of_columns` (a list),
  e.g. [account_id, event_id]. Fails with one row per duplicated combination and its count. Rows
  where a key column is NULL take part like any other value (not_null tests cover those).
    data_tests:
      - klaviyo_warehouse.unique_combination:
          arguments: {combination_of_columns: [account_id, event_id]}
-#}
{% test unique_combination(model, combination_of_columns) -%}
  {{ return(adapter.dispatch('test_unique_combination', 'klaviyo_warehouse')(model, combination_of_columns)) }}
{%- endtest %}

{% macro _unique_combination_sql(model, combination_of_columns) -%}
  {%- set columns = combination_of_columns | join(', ') -%}
select {{ columns }}, count(*) as duplicate_rows
from {{ model }}
group by {{ columns }}
having count(*) > 1
{%- endmacro %}

{% macro default__test_unique_combination(model, combination_of_columns) -%}
  {{ exceptions.raise_not_implemented(
      'klaviyo_warehouse.unique_combination is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{# plain group by / having: the same SQL on every supported warehouse #}
{% macro duckdb__test_unique_combination(model, combination_of_columns) -%}
  {{ klaviyo_warehouse._unique_combination_sql(model, combination_of_columns) }}
{%- endmacro %}

{% macro postgres__test_unique_combination(model, combination_of_columns) -%}
  {{ klaviyo_warehouse._unique_combination_sql(model, combination_of_columns) }}
{%- endmacro %}

{% macro snowflake__test_unique_combination(model, combination_of_columns) -%}
  {{ klaviyo_warehouse._unique_combination_sql(model, combination_of_columns) }}
{%- endmacro %}

{% macro bigquery__test_unique_combination(model, combination_of_columns) -%}
  {{ klaviyo_warehouse._unique_combination_sql(model, combination_of_columns) }}
{%- endmacro %}

{% macro redshift__test_unique_combination(model, combination_of_columns) -%}
  {{ klaviyo_warehouse._unique_combination_sql(model, combination_of_columns) }}
{%- endmacro %}

{% macro synapse__test_unique_combination(model, combination_of_columns) -%}
  {{ klaviyo_warehouse._unique_combination_sql(model, combination_of_columns) }}
{%- endmacro %}
