{#-
  The SQL of klaviyo_list_membership and klaviyo_segment_membership: the current members of each list
  or segment, one row per (account_id, <kind>_id, profile_id) with joined_at and _loaded_at. Portable:
  the dialect-specific pieces go through the package's dispatched macros (string_literal,
  incremental_high_water_mark); no SQL of its own differs by warehouse.

  kind  'list' | 'segment' (staging view stg_klaviyo__<kind>_members, deletions object '<kind>')

  A raw member row is current when its `removed_at` is NULL (the loader's reconcile sets it when the
  profile is no longer listed) and neither its profile (deletions object 'profile') nor its list or
  segment (object '<kind>') was recorded deleted at or after the member joined (a join after the
  deletion was detected means the profile or group is there again).

  Incremental (is_incremental()): only member rows of loads finished after the mart's newest
  `_loaded_at` are read (latest per key), plus the mart's own rows whose profile or group a deletion
  loaded since names. A key that is no longer current comes out as a tombstone (joined_at NULL), so
  the merge on the key replaces the old row, and the model's post_hook
  (`delete from {{ this }} where joined_at is null`) removes it: a leave or a deletion removes the
  member without a full rebuild. A full build emits current members only.
-#}
{% macro group_membership(kind) -%}
  {%- set key = kind ~ '_id' -%}
  {%- set deletions_enabled = var('klaviyo_deletions_enabled', false) -%}
  {%- set incremental = klaviyo_warehouse.is_incremental() -%}
  {%- if incremental -%}
    {%- set high_water_mark = klaviyo_warehouse.incremental_high_water_mark(this) -%}
  {%- endif %}
with members as (

    select * from {{ ref('stg_klaviyo__' ~ kind ~ '_members') }}
    {% if incremental -%}
    where _loaded_at > {{ high_water_mark }}
    {%- endif %}

),

ranked as (

    select
        members.*,
        row_number() over (
            partition by account_id, {{ key }}, profile_id order by _loaded_at desc, joined_at desc
        ) as row_rank
    from members

),

{% if deletions_enabled %}
deletions as (

    select account_id, object_type, object_id, max(detected_at) as detected_at, max(_loaded_at) as _loaded_at
    from {{ ref('stg_klaviyo__deletions') }}
    where object_type in ({{ klaviyo_warehouse.string_literal('profile') }}, {{ klaviyo_warehouse.string_literal(kind) }})
    group by account_id, object_type, object_id

),

deleted_profiles as (

    select account_id, object_id, detected_at, _loaded_at
    from deletions
    where object_type = {{ klaviyo_warehouse.string_literal('profile') }}

),

deleted_groups as (

    select account_id, object_id, detected_at, _loaded_at
    from deletions
    where object_type = {{ klaviyo_warehouse.string_literal(kind) }}

),
{% endif %}

latest as (

    select
        ranked.account_id,
        ranked.{{ key }},
        ranked.profile_id,
        case when ranked.removed_at is null
            {%- if deletions_enabled %}
            and (deleted_profiles.detected_at is null or deleted_profiles.detected_at < ranked.joined_at)
            and (deleted_groups.detected_at is null or deleted_groups.detected_at < ranked.joined_at)
            {%- endif %}
            then ranked.joined_at end as joined_at,
        ranked._loaded_at
    from ranked
    {% if deletions_enabled -%}
    left join deleted_profiles
        on ranked.account_id = deleted_profiles.account_id
        and ranked.profile_id = deleted_profiles.object_id
    left join deleted_groups
        on ranked.account_id = deleted_groups.account_id
        and ranked.{{ key }} = deleted_groups.object_id
    {%- endif %}
    where ranked.row_rank = 1

),

{% if incremental and deletions_enabled %}
{#- the mart's members whose profile or group a deletion loaded since the last build names #}
gone as (

    select current_members.account_id, current_members.{{ key }}, current_members.profile_id
    from {{ this }} as current_members
    inner join deleted_profiles
        on current_members.account_id = deleted_profiles.account_id
        and current_members.profile_id = deleted_profiles.object_id
    where deleted_profiles._loaded_at > {{ high_water_mark }}
        and deleted_profiles.detected_at >= current_members.joined_at

    union all

    select current_members.account_id, current_members.{{ key }}, current_members.profile_id
    from {{ this }} as current_members
    inner join deleted_groups
        on current_members.account_id = deleted_groups.account_id
        and current_members.{{ key }} = deleted_groups.object_id
    where deleted_groups._loaded_at > {{ high_water_mark }}
        and deleted_groups.detected_at >= current_members.joined_at

),
{% endif %}

candidates as (

    select account_id, {{ key }}, profile_id, joined_at, _loaded_at, 0 as source_rank
    from latest
    {% if incremental and deletions_enabled %}
    union all
    select account_id, {{ key }}, profile_id, cast(null as {{ dbt.type_timestamp() }}) as joined_at,
        cast(null as {{ dbt.type_timestamp() }}) as _loaded_at, 1 as source_rank
    from gone
    {% endif %}

),

chosen as (

    select
        candidates.*,
        row_number() over (partition by account_id, {{ key }}, profile_id order by source_rank) as key_rank
    from candidates

),

final as (

    select account_id, {{ key }}, profile_id, joined_at, _loaded_at
    from chosen
    where key_rank = 1
    {%- if not incremental %}
        and joined_at is not null
    {%- endif %}

)

select * from final
{%- endmacro %}
