{#-
  The newest `column` value already in an incremental model (`relation`, usually `this`), read once
  before the model runs and returned as a timestamp literal (1900-01-01 when the model is empty).
  A literal, unlike a scalar subquery on {{ this }}, lets the warehouse push the filter below the
  staging view: DuckDB then extracts JSON only from the new loads' rows (measured by
  bench/dbt_incremental.py: 10M events, the subquery form read them all on every hourly build).
  Portable: run_query plus dbt.type_timestamp(), no dialect SQL.
-#}
{% macro incremental_high_water_mark(relation, column='_loaded_at') -%}
  {%- set value = none -%}
  {%- if execute -%}
    {%- set value = run_query('select max(' ~ column ~ ') from ' ~ relation).columns[0].values()[0] -%}
  {%- endif -%}
  {%- set literal = '1900-01-01 00:00:00' if value is none else value | string -%}
  {{ return("cast('" ~ literal ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}
