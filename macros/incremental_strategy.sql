{#-
  The incremental strategy for merging on a unique key, per adapter (used in the marts' config, so
  models never branch on target.type).
-#}
{% macro incremental_strategy() -%}
  {{ return(adapter.dispatch('incremental_strategy', 'klaviyo_warehouse')()) }}
{%- endmacro %}

{% macro default__incremental_strategy() -%}
  {{ exceptions.raise_not_implemented(
      'klaviyo_warehouse.incremental_strategy is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{# dbt-duckdb: delete+insert on unique_key #}
{% macro duckdb__incremental_strategy() -%}
  {{ return('delete+insert') }}
{%- endmacro %}

{# merge would need PostgreSQL 15+; delete+insert works on every supported version #}
{% macro postgres__incremental_strategy() -%}
  {{ return('delete+insert') }}
{%- endmacro %}

{# https://docs.getdbt.com/reference/resource-configs/snowflake-configs#merge-behavior-incremental-models #}
{% macro snowflake__incremental_strategy() -%}
  {{ return('delete+insert') }}
{%- endmacro %}

{# dbt-bigquery supports merge and insert_overwrite only #}
{% macro bigquery__incremental_strategy() -%}
  {{ return('merge') }}
{%- endmacro %}

{% macro redshift__incremental_strategy() -%}
  {{ return('delete+insert') }}
{%- endmacro %}

{# dbt-synapse (via dbt-fabric): append, delete+insert #}
{% macro synapse__incremental_strategy() -%}
  {{ return('delete+insert') }}
{%- endmacro %}
