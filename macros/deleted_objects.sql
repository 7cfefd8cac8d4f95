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

{#-
  removed_profiles(mart)
      klaviyo_profile's post_hook (when deletions are synced): the mart rows of profiles that
      `deletions` names and whose raw `profiles` row is gone (`deleted_profiles = "delete"` removes
      it in the load that records the deletion; `forget` after its build) are flagged `is_deleted`
      and lose their personal data in the same build, as a redacted profile (the columns the loader
      redacts: loader/privacy/redact.py; `location` and `properties` NULL). The row stays, so events
      kept of the profile still find it. Portable: dbt's own dispatched `concat`, the package's
      literal macros.
-#}
{% macro removed_profiles(mart) -%}
  {{ return(adapter.dispatch('removed_profiles', 'klaviyo_warehouse')(mart)) }}
{%- endmacro %}

{#- what removed_profiles sets on each such row -#}
{% macro _removed_profile_assignments() -%}
    {%- set redacted = klaviyo_warehouse.string_literal('redacted') -%}
    {% for column in ['email', 'phone_number', 'external_id', 'first_name', 'last_name', 'organization',
                      'title', 'image', 'city', 'region', 'zip'] -%}
        {{ column }} = {{ redacted }},
    {% endfor -%}
    location = null,
    properties = null,
    is_deleted = {{ klaviyo_warehouse.boolean_literal(true) }}
{%- endmacro %}

{#- the (account_id, profile_id) that `deletions` names and whose raw `profiles` row is gone -#}
{% macro _removed_profile_keys() -%}
    select distinct deleted.account_id, deleted.object_id as profile_id
    from {{ ref('stg_klaviyo__deletions') }} as deleted
    where deleted.object_type = {{ klaviyo_warehouse.string_literal('profile') }}
        and not exists (
            select 1
            from {{ ref('stg_klaviyo__profiles') }} as stored
            where stored.account_id = deleted.account_id
                and stored.profile_id = deleted.object_id
        )
{%- endmacro %}

{% macro default__removed_profiles(mart) -%}
    update {{ mart }}
    set {{ klaviyo_warehouse._removed_profile_assignments() }}
    where {{ dbt.concat(['account_id', "'|'", 'profile_id']) }} in (
        select {{ dbt.concat(['gone.account_id', "'|'", 'gone.profile_id']) }}
        from ({{ klaviyo_warehouse._removed_profile_keys() }}) as gone
    )
{%- endmacro %}

{#- BigQuery: the same change as a MERGE (BigQuery runs UPDATE too, its local emulator only MERGE) -#}
{% macro bigquery__removed_profiles(mart) -%}
    merge into {{ mart }} as target
    using ({{ klaviyo_warehouse._removed_profile_keys() }}) as gone
    on target.account_id = gone.account_id and target.profile_id = gone.profile_id
    when matched then update set {{ klaviyo_warehouse._removed_profile_assignments() }}
{%- endmacro %}
