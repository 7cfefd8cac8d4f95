{{ config(enabled=var('klaviyo_flow_messages_enabled', false)) }}

-- The raw `flow_messages` table (GET /api/flow-actions/{id}/flow-messages) with the message's
-- channel, name and (email) subject line; one row per flow message and account.
with messages as (

    select * from {{ source('klaviyo_raw', 'flow_messages') }}

),

loads as (

    select * from {{ ref('stg_klaviyo__loads') }}

),

renamed as (

    select
        cast(messages.account_id as {{ dbt.type_string() }}) as account_id,
        cast(messages.id as {{ dbt.type_string() }}) as flow_message_id,
        cast(messages.flow_action_id as {{ dbt.type_string() }}) as flow_action_id,
        {{ klaviyo_warehouse.json_extract_string('messages.attributes', ['channel']) }} as channel,
        {{ klaviyo_warehouse.json_extract_string('messages.attributes', ['definition', 'name']) }} as message_name,
        {{ klaviyo_warehouse.json_extract_string('messages.attributes', ['definition', 'subject_line']) }} as subject,
        {{ klaviyo_warehouse.to_utc_timestamp('messages.created') }} as created_at,
        {{ klaviyo_warehouse.to_utc_timestamp('messages.updated') }} as updated_at,
        {{ klaviyo_warehouse.json_extract_object('messages.attributes', ['definition']) }} as definition,
        loads.loaded_at as _loaded_at
    from messages
    inner join loads
        on messages._dlt_load_id = loads.load_id

)

select * from renamed
