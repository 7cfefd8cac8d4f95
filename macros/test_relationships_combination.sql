{#-
  Generic data test: every row of `model` whose `columns` are all non-NULL has a row in `to` with the
  same values in `fields` (same order), e.g. an event's (account_id, metric_id) in klaviyo_metric.
  The multi-column form of dbt's `relationships`; fails with the orphan combinations.
    data_tests:
      - klaviyo_warehouse.relationships_combination:
          arguments: {columns: [account_id, metric_id], to: ref('klaviyo_metric'),
                      fields: [account_id, metric_id], changed_since: _loaded_at}

  changed_since (optional, `_loaded_at` | `_dlt_load_id`): when an hourly build scopes its tests
  (macros/changed_rows.sql), only the rows of `model` changed since are checked.
-#}
{% test relationships_combination(model, columns, to, fields, changed_since=none) -%}
  {{ return(adapter.dispatch('test_relationships_combination', 'klaviyo_warehouse')(
      model, columns, to, fields, changed_since)) }}
{%- endtest %}

{% macro _relationships_combination_sql(model, columns, to, fields, changed_since=none) -%}
  {%- if columns | length != fields | length or columns | length == 0 -%}
    {{ exceptions.raise_compiler_error('relationships_combination: columns and fields must be '
                                       ~ 'non-empty lists of the same length') }}
  {%- endif -%}
  {%- set changed = klaviyo_warehouse.changed_rows(changed_since) if changed_since else none %}
select distinct {% for c in columns %}child.{{ c }}{{ ', ' if not loop.last }}{% endfor %}
from {% if changed is none %}{{ model }}{% else %}(select * from {{ model }} where {{ changed }}){% endif %} as child
left join {{ to }} as parent
  on {% for c in columns %}child.{{ c }} = parent.{{ fields[loop.index0] }}{{ ' and ' if not loop.last }}{% endfor %}
where {% for c in columns %}child.{{ c }} is not null and {% endfor %}parent.{{ fields[0] }} is null
{%- endmacro %}

{% macro default__test_relationships_combination(model, columns, to, fields, changed_since=none) -%}
  {{ exceptions.raise_not_implemented(
      'klaviyo_warehouse.relationships_combination is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{# a left join with an IS NULL probe: the same SQL on every supported warehouse #}
{% macro duckdb__test_relationships_combination(model, columns, to, fields, changed_since=none) -%}
  {{ klaviyo_warehouse._relationships_combination_sql(model, columns, to, fields, changed_since) }}
{%- endmacro %}

{% macro postgres__test_relationships_combination(model, columns, to, fields, changed_since=none) -%}
  {{ klaviyo_warehouse._relationships_combination_sql(model, columns, to, fields, changed_since) }}
{%- endmacro %}

{% macro snowflake__test_relationships_combination(model, columns, to, fields, changed_since=none) -%}
  {{ klaviyo_warehouse._relationships_combination_sql(model, columns, to, fields, changed_since) }}
{%- endmacro %}

{% macro bigquery__test_relationships_combination(model, columns, to, fields, changed_since=none) -%}
  {{ klaviyo_warehouse._relationships_combination_sql(model, columns, to, fields, changed_since) }}
{%- endmacro %}

{% macro redshift__test_relationships_combination(model, columns, to, fields, changed_since=none) -%}
  {{ klaviyo_warehouse._relationships_combination_sql(model, columns, to, fields, changed_since) }}
{%- endmacro %}

{% macro synapse__test_relationships_combination(model, columns, to, fields, changed_since=none) -%}
  {{ klaviyo_warehouse._relationships_combination_sql(model, columns, to, fields, changed_since) }}
{%- endmacro %}
