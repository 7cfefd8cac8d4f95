{{ config(enabled=var('klaviyo_events_enabled', true)) }}

with events as (

    select * from {{ source('klaviyo_raw', 'events') }}

),

loads as (

    select * from {{ ref('stg_klaviyo__loads') }}

),

renamed as (

    select
        cast(events.id as {{ dbt.type_string() }}) as event_id,
        cast(events.metric_id as {{ dbt.type_string() }}) as metric_id,
        cast(events.profile_id as {{ dbt.type_string() }}) as profile_id,
        {{ klaviyo_warehouse.to_utc_timestamp('events.datetime') }} as occurred_at,
        cast(events.timestamp as {{ dbt.type_bigint() }}) as event_timestamp,
        cast(events.uuid as {{ dbt.type_string() }}) as uuid,
        {{ klaviyo_warehouse.json_extract_number('events.attributes', ['event_properties', '$value']) }} as value,
        {{ klaviyo_warehouse.json_extract_object('events.attributes', ['event_properties']) }} as event_properties,
        loads.loaded_at as _loaded_at
    from events
    inner join loads
        on events._dlt_load_id = loads.load_id

)

select * from renamed
