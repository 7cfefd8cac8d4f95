{#-
  Generic data test: every row of `model` whose `columns` are all non-NULL has a row in `to` with the
  same values in `fields` (same order), e.g. an event's (account_id, metric_id) in klaviyo_metric.
  The multi-column form of dbt's `relationships`; fails with the orphan combinations.
    data_tests:
      - klaviyo_warehouse.relationships_combination:
          arguments: {columns: [account_id, metric_id], to: ref('klaviyo_metric'),
                      fields: [account_id, metric_id]}
-#}
{% test relationships_combination(model, columns, to, fields) -%}
  {{ return(adapter.dispatch('test_relationships_combination', 'klaviyo_warehouse')(model, columns, to, fields)) }}
{%- endtest %}

{% macro _relationships_combination_sql(model, columns, to, fields) -%}
  {%- if columns | length != fields | length or columns | length == 0 -%}
    {{ exceptions.raise_compiler_error('relationships_combination: columns and fields must be '
                                       ~ 'non-empty lists of the same length') }}
  {%- endif -%}
select distinct {% for c in columns %}child.{{ c }}{{ ', ' if not loop.last }}{% endfor %}
from {{ model }} as child
left join {{ to }} as parent
  on {% for c in columns %}child.{{ c }} = parent.{{ fields[loop.index0] }}{{ ' and ' if not loop.last }}{% endfor %}
where {% for c in columns %}child.{{ c }} is not null and {% endfor %}parent.{{ fields[0] }} is null
{%- endmacro %}

{% macro default__test_relationships_combination(model, columns, to, fields) -%}
  {{ exceptions.raise_not_implemented(
      'klaviyo_warehouse.relationships_combination is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{# a left join with an IS NULL probe: the same SQL on every supported warehouse #}
{% macro duckdb__test_relationships_combination(model, columns, to, fields) -%}
  {{ klaviyo_warehouse._relationships_combination_sql(model, columns, to, fields) }}
{%- endmacro %}

{% macro postgres__test_relationships_combination(model, columns, to, fields) -%}
  {{ klaviyo_warehouse._relationships_combination_sql(model, columns, to, fields) }}
{%- endmacro %}

{% macro snowflake__test_relationships_combination(model, columns, to, fields) -%}
  {{ klaviyo_warehouse._relationships_combination_sql(model, columns, to, fields) }}
{%- endmacro %}

{% macro bigquery__test_relationships_combination(model, columns, to, fields) -%}
  {{ klaviyo_warehouse._relationships_combination_sql(model, columns, to, fields) }}
{%- endmacro %}

{% macro redshift__test_relationships_combination(model, columns, to, fields) -%}
  {{ klaviyo_warehouse._relationships_combination_sql(model, columns, to, fields) }}
{%- endmacro %}

{% macro synapse__test_relationships_combination(model, columns, to, fields) -%}
  {{ klaviyo_warehouse._relationships_combination_sql(model, columns, to, fields) }}
{%- endmacro %}
