with metrics as (

    select * from {{ source('klaviyo_raw', 'metrics') }}

),

loads as (

    select * from {{ ref('stg_klaviyo__loads') }}

),

renamed as (

    select
        cast(metrics.id as {{ dbt.type_string() }}) as metric_id,
        cast(metrics.name as {{ dbt.type_string() }}) as metric_name,
        {{ klaviyo_warehouse.json_extract_string('metrics.integration', ['name']) }} as integration_name,
        {{ klaviyo_warehouse.json_extract_string('metrics.integration', ['category']) }} as integration_category,
        metrics.integration as integration,
        {{ klaviyo_warehouse.to_utc_timestamp('metrics.created') }} as created_at,
        {{ klaviyo_warehouse.to_utc_timestamp('metrics.updated') }} as updated_at,
        loads.loaded_at as _loaded_at
    from metrics
    inner join loads
        on metrics._dlt_load_id = loads.load_id

)

select * from renamed
