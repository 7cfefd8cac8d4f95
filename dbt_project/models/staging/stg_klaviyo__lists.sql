{{ config(enabled=var('klaviyo_lists_enabled', false)) }}

-- The raw `lists` table (GET /api/lists, incremental on `updated`) with its attributes unpacked; one
-- row per list and account (several where the destination appends).
with lists as (

    select * from {{ source('klaviyo_raw', 'lists') }}

),

loads as (

    select * from {{ ref('stg_klaviyo__loads') }}

),

renamed as (

    select
        cast(lists.account_id as {{ dbt.type_string() }}) as account_id,
        cast(lists.id as {{ dbt.type_string() }}) as list_id,
        {{ klaviyo_warehouse.json_extract_string('lists.attributes', ['name']) }} as list_name,
        {{ klaviyo_warehouse.json_extract_string('lists.attributes', ['opt_in_process']) }} as opt_in_process,
        {{ klaviyo_warehouse.to_utc_timestamp('lists.created') }} as created_at,
        {{ klaviyo_warehouse.to_utc_timestamp('lists.updated') }} as updated_at,
        loads.loaded_at as _loaded_at
    from lists
    inner join loads
        on lists._dlt_load_id = loads.load_id

)

select * from renamed
