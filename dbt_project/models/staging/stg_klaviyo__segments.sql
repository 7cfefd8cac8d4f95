{{ config(enabled=var('klaviyo_segments_enabled', false)) }}

-- The raw `segments` table (GET /api/segments, incremental on `updated`) with its attributes
-- unpacked; one row per segment and account (several where the destination appends).
with segments as (

    select * from {{ source('klaviyo_raw', 'segments') }}

),

loads as (

    select * from {{ ref('stg_klaviyo__loads') }}

),

renamed as (

    select
        cast(segments.account_id as {{ dbt.type_string() }}) as account_id,
        cast(segments.id as {{ dbt.type_string() }}) as segment_id,
        {{ klaviyo_warehouse.json_extract_string('segments.attributes', ['name']) }} as segment_name,
        {{ klaviyo_warehouse.json_extract_boolean('segments.attributes', ['is_active']) }} as is_active,
        {{ klaviyo_warehouse.json_extract_object('segments.attributes', ['definition']) }} as definition,
        {{ klaviyo_warehouse.to_utc_timestamp('segments.created') }} as created_at,
        {{ klaviyo_warehouse.to_utc_timestamp('segments.updated') }} as updated_at,
        loads.loaded_at as _loaded_at
    from segments
    inner join loads
        on segments._dlt_load_id = loads.load_id

)

select * from renamed
