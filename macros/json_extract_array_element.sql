{#-
  Element `index` (0-based) of the JSON array at `path`, as text (see json_extract_string); NULL when
  the array is shorter or the path is not an array.
-#}
{% macro json_extract_array_element(json_column, path, index) -%}
  {{ return(adapter.dispatch('json_extract_array_element', 'klaviyo_warehouse')(json_column, path, index)) }}
{%- endmacro %}

{% macro _array_element_path(path, index) -%}
  {{ return(klaviyo_warehouse._json_path_parts(path) + [index | int]) }}
{%- endmacro %}

{% macro default__json_extract_array_element(json_column, path, index) -%}
  {{ exceptions.raise_not_implemented(
      'klaviyo_warehouse.json_extract_array_element is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{# '$.a[0]' #}
{% macro duckdb__json_extract_array_element(json_column, path, index) -%}
  {{ klaviyo_warehouse.duckdb__json_extract_string(json_column, klaviyo_warehouse._array_element_path(path, index)) }}
{%- endmacro %}

{# jsonb #>> '{a,0}' indexes arrays by position #}
{% macro postgres__json_extract_array_element(json_column, path, index) -%}
  {{ klaviyo_warehouse.postgres__json_extract_string(json_column, klaviyo_warehouse._array_element_path(path, index)) }}
{%- endmacro %}

{# col['a'][0] #}
{% macro snowflake__json_extract_array_element(json_column, path, index) -%}
  {{ klaviyo_warehouse.snowflake__json_extract_string(json_column, klaviyo_warehouse._array_element_path(path, index)) }}
{%- endmacro %}

{% macro bigquery__json_extract_array_element(json_column, path, index) -%}
  {{ klaviyo_warehouse.bigquery__json_extract_string(json_column, klaviyo_warehouse._array_element_path(path, index)) }}
{%- endmacro %}

{% macro redshift__json_extract_array_element(json_column, path, index) -%}
  {{ klaviyo_warehouse.redshift__json_extract_string(json_column, klaviyo_warehouse._array_element_path(path, index)) }}
{%- endmacro %}

{% macro synapse__json_extract_array_element(json_column, path, index) -%}
  {{ klaviyo_warehouse.synapse__json_extract_string(json_column, klaviyo_warehouse._array_element_path(path, index)) }}
{%- endmacro %}
