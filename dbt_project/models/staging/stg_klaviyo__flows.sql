{{ config(enabled=var('klaviyo_flows_enabled', false)) }}

-- The raw `flows` table (GET /api/flows, archived and not) with its attributes unpacked; one row per
-- flow and account.
with flows as (

    select * from {{ source('klaviyo_raw', 'flows') }}

),

loads as (

    select * from {{ ref('stg_klaviyo__loads') }}

),

renamed as (

    select
        cast(flows.account_id as {{ dbt.type_string() }}) as account_id,
        cast(flows.id as {{ dbt.type_string() }}) as flow_id,
        {{ klaviyo_warehouse.json_extract_string('flows.attributes', ['name']) }} as flow_name,
        {{ klaviyo_warehouse.json_extract_string('flows.attributes', ['status']) }} as status,
        {{ klaviyo_warehouse.json_extract_boolean('flows.attributes', ['archived']) }} as is_archived,
        {{ klaviyo_warehouse.json_extract_string('flows.attributes', ['trigger_type']) }} as trigger_type,
        {{ klaviyo_warehouse.to_utc_timestamp('flows.created') }} as created_at,
        {{ klaviyo_warehouse.to_utc_timestamp('flows.updated') }} as updated_at,
        loads.loaded_at as _loaded_at
    from flows
    inner join loads
        on flows._dlt_load_id = loads.load_id

)

select * from renamed
