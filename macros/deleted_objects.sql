{#-
  Objects a reconcile pass found gone, and the `is_deleted` flag they give the marts of campaigns,
  flows, lists and segments. Portable: only the package's dispatched literal macros.

  deleted_objects(deletions, object_type)
      one row per (account_id, object_id) of `object_type` in the deletions staging view (ref), with
      `_deleted_loaded_at`, when the newest such record was loaded.
  is_deleted_flag(rows, deleted)
      true when the `deleted` relation (the CTE above, left-joined on the object's key) recorded the
      object after the row of `rows` was last loaded (`_loaded_at`): a row loaded again later (the
      object listed again) is not deleted. `deleted` none (deletions not synced): always false.
-#}
{% macro deleted_objects(deletions, object_type) -%}
    select account_id, object_id, max(_loaded_at) as _deleted_loaded_at
    from {{ deletions }}
    where object_type = {{ klaviyo_warehouse.string_literal(object_type) }}
    group by account_id, object_id
{%- endmacro %}

{% macro is_deleted_flag(rows, deleted) -%}
  {%- if deleted -%}
    case when {{ deleted }}._deleted_loaded_at >= {{ rows }}._loaded_at
         then {{ klaviyo_warehouse.boolean_literal(true) }}
         else {{ klaviyo_warehouse.boolean_literal(false) }} end
  {%- else -%}
    {{ klaviyo_warehouse.boolean_literal(false) }}
  {%- endif -%}
{%- endmacro %}
