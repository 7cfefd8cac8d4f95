{#- true when a and b differ, treating two NULLs as equal (portable IS DISTINCT FROM) -#}
{% macro differs(a, b) -%}
  not (({{ a }} = {{ b }}) or ({{ a }} is null and {{ b }} is null))
{%- endmacro %}
