{#-
  When klaviyo_warehouse is the root project, a configured schema is used as written
  (var `klaviyo_schema` -> `klaviyo`, not `<target schema>_klaviyo`). Installed as a package,
  the root project's own generate_schema_name applies instead.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name is none -%}
    {{ target.schema }}
  {%- else -%}
    {{ custom_schema_name | trim }}
  {%- endif -%}
{%- endmacro %}
