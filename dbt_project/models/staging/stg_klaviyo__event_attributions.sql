{{ config(enabled=var('klaviyo_event_attributions_enabled', false)) }}

-- The raw `event_attributions` table (the attribution resources of GET /api/events?include=attributions):
-- which campaign or flow message Klaviyo credits a (conversion) event to; one row per
-- (account_id, event_id, attribution_id).
with attributions as (

    select * from {{ source('klaviyo_raw', 'event_attributions') }}

),

loads as (

    select * from {{ ref('stg_klaviyo__loads') }}

),

renamed as (

    select
        cast(attributions.account_id as {{ dbt.type_string() }}) as account_id,
        cast(attributions.event_id as {{ dbt.type_string() }}) as event_id,
        cast(attributions.attribution_id as {{ dbt.type_string() }}) as attribution_id,
        cast(attributions.attributed_event_id as {{ dbt.type_string() }}) as attributed_event_id,
        cast(attributions.campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(attributions.campaign_message_id as {{ dbt.type_string() }}) as campaign_message_id,
        cast(attributions.flow_id as {{ dbt.type_string() }}) as flow_id,
        cast(attributions.flow_message_id as {{ dbt.type_string() }}) as flow_message_id,
        cast(attributions.flow_message_variation_id as {{ dbt.type_string() }}) as flow_message_variation_id,
        loads.loaded_at as _loaded_at
    from attributions
    inner join loads
        on attributions._dlt_load_id = loads.load_id

)

select * from renamed
