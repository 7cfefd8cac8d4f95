{{ config(
    materialized='incremental',
    unique_key='profile_id',
    incremental_strategy=klaviyo_warehouse.incremental_strategy(),
    on_schema_change='append_new_columns',
    enabled=var('klaviyo_profiles_enabled', true),
) }}

-- One row per profile, latest state. Incremental: only rows from dlt loads finished after the last
-- build are read, deduplicated (latest per id) and merged on profile_id.
with profiles as (

    select * from {{ ref('stg_klaviyo__profiles') }}
    {% if is_incremental() %}
    where _loaded_at > {{ klaviyo_warehouse.incremental_high_water_mark(this) }}
    {% endif %}

),

ranked as (

    select
        profiles.*,
        row_number() over (partition by profile_id order by _loaded_at desc, updated_at desc) as row_rank
    from profiles

),

final as (

    select
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

)

select * from final
