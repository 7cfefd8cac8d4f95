{{ config(
    materialized='incremental',
    unique_key=['account_id', 'event_id', 'attribution_id'],
    incremental_strategy=klaviyo_warehouse.incremental_strategy(),
    on_schema_change='append_new_columns',
    enabled=var('klaviyo_event_attributions_enabled', false),
) }}

-- One row per (account_id, event_id, attribution_id): Klaviyo's own credit of an event (an order) to
-- the campaign or flow message that drove it. Incremental: only rows of dlt loads finished after the
-- last build are read (new and late credit alike), deduplicated and merged on the key.
with attributions as (

    select * from {{ ref('stg_klaviyo__event_attributions') }}
    {% if is_incremental() %}
    where _loaded_at > {{ klaviyo_warehouse.incremental_high_water_mark(this) }}
    {% endif %}

),

ranked as (

    select
        attributions.*,
        row_number() over (partition by account_id, event_id, attribution_id order by _loaded_at desc) as row_rank
    from attributions

),

final as (

    select
        account_id,
        event_id,
        attribution_id,
        attributed_event_id,
        campaign_id,
        campaign_message_id,
        flow_id,
        flow_message_id,
        flow_message_variation_id,
        _loaded_at
    from ranked
    where row_rank = 1

)

select * from final
