{#-
  dbt's is_incremental(), except that `--vars '{klaviyo_offline_compile: true}'` forces the
  full-refresh SQL, so `dbt compile --no-introspect` works without a warehouse connection.
  Only takes effect when klaviyo_warehouse is the root project.
-#}
{% macro is_incremental() -%}
  {%- if var('klaviyo_offline_compile', false) -%}
    {{ return(false) }}
  {%- endif -%}
  {{ return(dbt.is_incremental()) }}
{%- endmacro %}
