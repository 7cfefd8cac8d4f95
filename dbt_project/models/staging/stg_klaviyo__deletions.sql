{{ config(enabled=var('klaviyo_deletions_enabled', false)) }}

-- The raw `deletions` table: objects (campaigns, flows, ...) that a reconcile pass found gone from
-- Klaviyo's listing; one row per (account_id, object, id).
with deletions as (

    select * from {{ source('klaviyo_raw', 'deletions') }}

),

loads as (

    select * from {{ ref('stg_klaviyo__loads') }}

),

renamed as (

    select
        cast(deletions.account_id as {{ dbt.type_string() }}) as account_id,
        cast(deletions.object as {{ dbt.type_string() }}) as object_type,
        cast(deletions.id as {{ dbt.type_string() }}) as object_id,
        {{ klaviyo_warehouse.to_utc_timestamp('deletions.detected_at') }} as detected_at,
        cast(deletions.reason as {{ dbt.type_string() }}) as reason,
        loads.loaded_at as _loaded_at
    from deletions
    inner join loads
        on deletions._dlt_load_id = loads.load_id

)

select * from renamed
