{#-
  Generic data test: no two rows of `model` share the values of `combination_of_columns` (a list),
  e.g. [account_id, event_id]. Fails with one row per duplicated combination and its count. Rows
  where a key column is NULL take part like any other value (not_null tests cover those).
    data_tests:
      - klaviyo_warehouse.unique_combination:
          arguments: {combination_of_columns: [account_id, event_id], changed_since: _loaded_at}

  changed_since (optional, `_loaded_at` | `_dlt_load_id`): when an hourly build scopes its tests
  (macros/changed_rows.sql), only the combinations of the rows changed since are checked, each
  against every row of the table: a changed row that duplicates an old one fails too.
-#}
{% test unique_combination(model, combination_of_columns, changed_since=none) -%}
  {{ return(adapter.dispatch('test_unique_combination', 'klaviyo_warehouse')(
      model, combination_of_columns, changed_since)) }}
{%- endtest %}

{% macro _unique_combination_sql(model, combination_of_columns, changed_since=none) -%}
  {%- set columns = combination_of_columns | join(', ') -%}
  {%- set changed = klaviyo_warehouse.changed_rows(changed_since) if changed_since else none -%}
  {%- if changed is none -%}
select {{ columns }}, count(*) as duplicate_rows
from {{ model }}
group by {{ columns }}
having count(*) > 1
  {%- else -%}
select {% for c in combination_of_columns %}all_rows.{{ c }}, {% endfor %}count(*) as duplicate_rows
from {{ model }} as all_rows
inner join (select distinct {{ columns }} from {{ model }} where {{ changed }}) as changed_keys
  on {% for c in combination_of_columns %}all_rows.{{ c }} = changed_keys.{{ c }}{{ ' and ' if not loop.last }}{% endfor %}
group by {% for c in combination_of_columns %}all_rows.{{ c }}{{ ', ' if not loop.last }}{% endfor %}
having count(*) > 1
  {%- endif -%}
{%- endmacro %}

{% macro default__test_unique_combination(model, combination_of_columns, changed_since=none) -%}
  {{ exceptions.raise_not_implemented(
      'klaviyo_warehouse.unique_combination is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{# plain group by / having: the same SQL on every supported warehouse #}
{% macro duckdb__test_unique_combination(model, combination_of_columns, changed_since=none) -%}
  {{ klaviyo_warehouse._unique_combination_sql(model, combination_of_columns, changed_since) }}
{%- endmacro %}

{% macro postgres__test_unique_combination(model, combination_of_columns, changed_since=none) -%}
  {{ klaviyo_warehouse._unique_combination_sql(model, combination_of_columns, changed_since) }}
{%- endmacro %}

{% macro snowflake__test_unique_combination(model, combination_of_columns, changed_since=none) -%}
  {{ klaviyo_warehouse._unique_combination_sql(model, combination_of_columns, changed_since) }}
{%- endmacro %}

{% macro bigquery__test_unique_combination(model, combination_of_columns, changed_since=none) -%}
  {{ klaviyo_warehouse._unique_combination_sql(model, combination_of_columns, changed_since) }}
{%- endmacro %}

{% macro redshift__test_unique_combination(model, combination_of_columns, changed_since=none) -%}
  {{ klaviyo_warehouse._unique_combination_sql(model, combination_of_columns, changed_since) }}
{%- endmacro %}

{% macro synapse__test_unique_combination(model, combination_of_columns, changed_since=none) -%}
  {{ klaviyo_warehouse._unique_combination_sql(model, combination_of_columns, changed_since) }}
{%- endmacro %}
