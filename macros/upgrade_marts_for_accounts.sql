{#-
  The in-place upgrade to several accounts, run as the package's `on-run-start` hook (dbt_project.yml).
  A warehouse built by a release before `account_id` has incremental marts keyed on the Klaviyo id
  alone; merging into them would keep their rows (no account, possibly the wrong one) next to the new
  ones. So, before anything is built: for every enabled incremental model of this package that this
  command will build, look the existing relation up and, when it has no `account_id` column, drop it
  (logged); dbt then builds it whole from raw, as on a first run. Relations that already have the
  column, and models not selected, are left alone. Only `dbt run` and `dbt build` drop anything;
  other commands (compile, docs, test, ...) and offline compiles (var klaviyo_offline_compile) never
  touch the warehouse. No SQL of its own: adapter.get_relation / get_columns_in_relation /
  drop_relation do the work on every warehouse (on PostgreSQL and Redshift drop cascades to views on
  the mart).
-#}
{% macro upgrade_marts_for_accounts() -%}
  {%- if not execute or var('klaviyo_offline_compile', false) -%}
    {{ return('') }}
  {%- endif -%}
  {%- if flags.WHICH not in ('run', 'build') -%}
    {{ return('') }}
  {%- endif -%}
  {%- set selected = selected_resources if selected_resources is defined else none -%}
  {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.package_name == 'klaviyo_warehouse'
        and node.config.materialized == 'incremental' and node.config.enabled -%}
    {%- if selected is none or node.unique_id in selected -%}
      {%- set relation = adapter.get_relation(database=node.database, schema=node.schema,
                                              identifier=node.alias) -%}
      {%- if relation is not none -%}
        {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- if 'account_id' not in names -%}
          {{ log('klaviyo_warehouse: ' ~ relation ~ ' has no account_id column (built before accounts); '
                 ~ 'dropping it so that ' ~ node.name ~ ' is rebuilt in full', info=True) }}
          {%- do adapter.drop_relation(relation) -%}
          {#- hooks run outside dbt's transactions: commit the drop now (a no-op where there are none) -#}
          {%- do adapter.commit() -%}
        {%- endif -%}
      {%- endif -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return('') }}
{%- endmacro %}
