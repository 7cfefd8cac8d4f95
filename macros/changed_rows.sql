{#-
  Data tests scoped to the rows an hourly build changed (docs/dbt-package.md, "Data tests on hourly
  builds"). `klaviyo-sync run` sets the environment variable KLAVIYO_DBT_TESTS_SINCE to a UTC time
  ('YYYY-MM-DD HH:MM:SS': when the last build whose tests all passed began, less a margin); the
  package's tests on the large incremental tables then read only the rows loaded after it. Unset
  (the default, a plain `dbt build` or `dbt test`, and the loader's daily full-test build): every
  test reads every row.

  Read only while executing, never while parsing, so a new value every hour keeps dbt's partial
  parsing (a var would make every hourly build parse the whole project again).
-#}
{% macro tests_since() -%}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {%- set value = env_var('KLAVIYO_DBT_TESTS_SINCE', '') | trim -%}
  {%- if value == '' -%}{{ return(none) }}{%- endif -%}
  {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}', value) -%}
    {{ exceptions.raise_compiler_error(
        "Error: KLAVIYO_DBT_TESTS_SINCE is not a UTC time (" ~ value ~ ") - set it as "
        ~ "'YYYY-MM-DD HH:MM:SS' or unset it to run every data test on every row") }}
  {%- endif -%}
  {{ return(value) }}
{%- endmacro %}

{#-
  The condition that selects the rows changed since tests_since(), or none when every row is tested.
    column  `_loaded_at` (a model's load time, UTC) | `_dlt_load_id` (a raw table: rows of the dlt
            loads that finished since, from _dlt_loads)
  Portable: a timestamp literal, dbt.type_timestamp() and to_utc_timestamp(); no dialect SQL.
-#}
{% macro changed_rows(column) -%}
  {%- if column == '_dlt_load_id' -%}
    {#- resolved while parsing too, so the test depends on the source -#}
    {%- set loads = source('klaviyo_raw', '_dlt_loads') -%}
  {%- endif -%}
  {%- set since = klaviyo_warehouse.tests_since() -%}
  {%- if since is none -%}{{ return(none) }}{%- endif -%}
  {%- set literal = "cast('" ~ since ~ "' as " ~ dbt.type_timestamp() ~ ")" -%}
  {%- if column == '_dlt_load_id' -%}
    {{ return("_dlt_load_id in (select load_id from " ~ loads ~ " where "
              ~ klaviyo_warehouse.to_utc_timestamp('inserted_at') ~ " > " ~ literal ~ ")") }}
  {%- elif column == '_loaded_at' -%}
    {{ return("_loaded_at > " ~ literal) }}
  {%- endif -%}
  {{ exceptions.raise_compiler_error("changed_rows: unknown column '" ~ column
      ~ "' (known: _loaded_at, _dlt_load_id)") }}
{%- endmacro %}
