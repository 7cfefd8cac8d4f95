{{ config(
    materialized='incremental',
    unique_key=['account_id', 'profile_id'],
    incremental_strategy=klaviyo_warehouse.incremental_strategy(),
    on_schema_change='append_new_columns',
    enabled=var('klaviyo_profiles_enabled', true),
    post_hook=("{{ klaviyo_warehouse.removed_profiles(this) }}"
               if var('klaviyo_deletions_enabled', false) else []),
) }}

-- One row per (account_id, profile_id), latest state. Incremental: only rows from dlt loads finished
-- after the last build are read, deduplicated (latest per account and id) and merged on
-- (account_id, profile_id): the same profile id in two accounts is two profiles.
-- Consent and suppression come from `subscriptions`; `is_deleted` when a reconcile (or `forget`)
-- recorded the profile gone (raw `deletions`, object 'profile') and Klaviyo had not updated it since
-- (detected_at >= updated_at) or its row was loaded no later than the deletion. A deletion loaded
-- since the last build re-reads its profile's rows, so the flag lands without a new profile load.
-- A deleted profile whose raw row is gone (deleted_profiles = "delete", forget) keeps its mart row,
-- flagged and without personal data, from the same build on (post_hook: macros/deleted_objects.sql,
-- removed_profiles).
{% set deletions_enabled = var('klaviyo_deletions_enabled', false) %}
{#- A mart built before these columns existed gets them appended (on_schema_change); its first build
    after the upgrade reads every profile once, so they are filled for all, then it is incremental. #}
{% set backfill = is_incremental() and execute
    and 'is_deleted' not in adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list %}
{% set reread_deleted = deletions_enabled and is_incremental() and not backfill %}
{% if reread_deleted %}{% set high_water_mark = klaviyo_warehouse.incremental_high_water_mark(this) %}{% endif %}
with profiles as (

    select * from {{ ref('stg_klaviyo__profiles') }}
    {% if is_incremental() and not backfill %}
    where _loaded_at > {{ klaviyo_warehouse.incremental_high_water_mark(this) }}
    {% endif %}
    {% if reread_deleted %}
    union all
    select reread.*
    from {{ ref('stg_klaviyo__profiles') }} as reread
    inner join (
        select distinct account_id, object_id
        from {{ ref('stg_klaviyo__deletions') }}
        where object_type = {{ klaviyo_warehouse.string_literal('profile') }}
            and _loaded_at > {{ high_water_mark }}
    ) as newly_deleted
        on reread.account_id = newly_deleted.account_id
        and reread.profile_id = newly_deleted.object_id
    {% endif %}

),

ranked as (

    select
        profiles.*,
        row_number() over (partition by account_id, profile_id order by _loaded_at desc, updated_at desc) as row_rank
    from profiles

),

final as (

    select
        account_id,
        profile_id,
        email,
        phone_number,
        external_id,
        first_name,
        last_name,
        organization,
        locale,
        title,
        image,
        created_at,
        updated_at,
        last_event_at,
        city,
        region,
        country,
        zip,
        timezone,
        location,
        properties,
        subscriptions,
        predictive_analytics,
        _loaded_at
    from ranked
    where row_rank = 1

),

{% if deletions_enabled %}
profile_deletions as (

    select account_id, object_id, max(detected_at) as detected_at, max(_loaded_at) as _deleted_loaded_at
    from {{ ref('stg_klaviyo__deletions') }}
    where object_type = {{ klaviyo_warehouse.string_literal('profile') }}
    group by account_id, object_id

),
{% endif %}

flagged as (

    select
        final.*,
        {{ klaviyo_warehouse.json_extract_boolean(
            'final.subscriptions', ['email', 'marketing', 'can_receive_email_marketing']) }} as can_receive_email_marketing,
        {{ klaviyo_warehouse.json_extract_boolean(
            'final.subscriptions', ['sms', 'marketing', 'can_receive_sms_marketing']) }} as can_receive_sms_marketing,
        {{ klaviyo_warehouse.json_extract_string(
            'final.subscriptions', ['email', 'marketing', 'suppression', 0, 'reason']) }} as email_suppression_reason,
        {{ klaviyo_warehouse.iso8601_to_utc_timestamp(klaviyo_warehouse.json_extract_string(
            'final.subscriptions', ['email', 'marketing', 'suppression', 0, 'timestamp'])) }} as email_suppressed_at,
        {% if deletions_enabled -%}
        case when profile_deletions.detected_at >= final.updated_at
                or profile_deletions._deleted_loaded_at >= final._loaded_at
             then {{ klaviyo_warehouse.boolean_literal(true) }}
             else {{ klaviyo_warehouse.boolean_literal(false) }} end
        {%- else -%}
        {{ klaviyo_warehouse.boolean_literal(false) }}
        {%- endif %} as is_deleted
    from final
    {% if deletions_enabled %}
    left join profile_deletions
        on final.account_id = profile_deletions.account_id
        and final.profile_id = profile_deletions.object_id
    {% endif %}

)

select * from flagged
