-- Completed dlt loads with their finish time: the `_loaded_at` of every row they wrote.
with loads as (

    select * from {{ source('klaviyo_raw', '_dlt_loads') }}

),

completed as (

    select
        cast(load_id as {{ dbt.type_string() }}) as load_id,
        max({{ klaviyo_warehouse.to_utc_timestamp('inserted_at') }}) as loaded_at
    from loads
    where status = 0
    group by load_id

)

select * from completed
