{{ config(enabled=var('klaviyo_campaign_messages_enabled', false)) }}

-- The raw `campaign_messages` table (GET /api/campaigns/{id}/campaign-messages) with the message
-- definition unpacked (email: label and content; SMS and push: channel only); one row per message.
with messages as (

    select * from {{ source('klaviyo_raw', 'campaign_messages') }}

),

loads as (

    select * from {{ ref('stg_klaviyo__loads') }}

),

renamed as (

    select
        cast(messages.account_id as {{ dbt.type_string() }}) as account_id,
        cast(messages.id as {{ dbt.type_string() }}) as campaign_message_id,
        cast(messages.campaign_id as {{ dbt.type_string() }}) as campaign_id,
        {{ klaviyo_warehouse.json_extract_string('messages.attributes', ['definition', 'channel']) }} as channel,
        {{ klaviyo_warehouse.json_extract_string('messages.attributes', ['definition', 'label']) }} as label,
        {{ klaviyo_warehouse.json_extract_string('messages.attributes', ['definition', 'content', 'subject']) }} as subject,
        {{ klaviyo_warehouse.json_extract_string('messages.attributes', ['definition', 'content', 'preview_text']) }} as preview_text,
        {{ klaviyo_warehouse.json_extract_string('messages.attributes', ['definition', 'content', 'from_email']) }} as from_email,
        {{ klaviyo_warehouse.json_extract_string('messages.attributes', ['definition', 'content', 'from_label']) }} as from_label,
        {{ klaviyo_warehouse.iso8601_to_utc_timestamp(
            klaviyo_warehouse.json_extract_string('messages.attributes', ['send_times', 0, 'datetime'])) }} as send_time,
        {{ klaviyo_warehouse.to_utc_timestamp('messages.created_at') }} as created_at,
        {{ klaviyo_warehouse.to_utc_timestamp('messages.updated_at') }} as updated_at,
        {{ klaviyo_warehouse.json_extract_object('messages.attributes', ['definition']) }} as definition,
        loads.loaded_at as _loaded_at
    from messages
    inner join loads
        on messages._dlt_load_id = loads.load_id

)

select * from renamed
