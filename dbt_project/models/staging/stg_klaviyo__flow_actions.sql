{{ config(enabled=var('klaviyo_flow_actions_enabled', false)) }}

-- The raw `flow_actions` table (GET /api/flows/{id}/flow-actions) with the action's type and status
-- taken from its definition; one row per action and account.
with actions as (

    select * from {{ source('klaviyo_raw', 'flow_actions') }}

),

loads as (

    select * from {{ ref('stg_klaviyo__loads') }}

),

renamed as (

    select
        cast(actions.account_id as {{ dbt.type_string() }}) as account_id,
        cast(actions.id as {{ dbt.type_string() }}) as flow_action_id,
        cast(actions.flow_id as {{ dbt.type_string() }}) as flow_id,
        {{ klaviyo_warehouse.json_extract_string('actions.attributes', ['definition', 'type']) }} as action_type,
        {{ klaviyo_warehouse.json_extract_string('actions.attributes', ['definition', 'data', 'status']) }} as action_status,
        {{ klaviyo_warehouse.to_utc_timestamp('actions.created') }} as created_at,
        {{ klaviyo_warehouse.to_utc_timestamp('actions.updated') }} as updated_at,
        {{ klaviyo_warehouse.json_extract_object('actions.attributes', ['definition']) }} as definition,
        loads.loaded_at as _loaded_at
    from actions
    inner join loads
        on actions._dlt_load_id = loads.load_id

)

select * from renamed
