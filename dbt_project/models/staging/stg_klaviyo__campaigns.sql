{{ config(enabled=var('klaviyo_campaigns_enabled', false)) }}

-- The raw `campaigns` table (GET /api/campaigns, every channel, archived and not) with its attributes
-- unpacked; one row per campaign and account (several where the destination appends).
with campaigns as (

    select * from {{ source('klaviyo_raw', 'campaigns') }}

),

loads as (

    select * from {{ ref('stg_klaviyo__loads') }}

),

renamed as (

    select
        cast(campaigns.account_id as {{ dbt.type_string() }}) as account_id,
        cast(campaigns.id as {{ dbt.type_string() }}) as campaign_id,
        {{ klaviyo_warehouse.json_extract_string('campaigns.attributes', ['name']) }} as campaign_name,
        {{ klaviyo_warehouse.json_extract_string('campaigns.attributes', ['status']) }} as status,
        {{ klaviyo_warehouse.json_extract_boolean('campaigns.attributes', ['archived']) }} as is_archived,
        {{ klaviyo_warehouse.iso8601_to_utc_timestamp(
            klaviyo_warehouse.json_extract_string('campaigns.attributes', ['send_time'])) }} as send_time,
        {{ klaviyo_warehouse.iso8601_to_utc_timestamp(
            klaviyo_warehouse.json_extract_string('campaigns.attributes', ['scheduled_at'])) }} as scheduled_at,
        {{ klaviyo_warehouse.to_utc_timestamp('campaigns.created_at') }} as created_at,
        {{ klaviyo_warehouse.to_utc_timestamp('campaigns.updated_at') }} as updated_at,
        {{ klaviyo_warehouse.json_extract_object('campaigns.attributes', ['audiences']) }} as audiences,
        loads.loaded_at as _loaded_at
    from campaigns
    inner join loads
        on campaigns._dlt_load_id = loads.load_id

)

select * from renamed
