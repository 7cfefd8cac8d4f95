{{ config(enabled=var('klaviyo_list_members_enabled', false)) }}

-- The raw `list_members` table: one row per (account_id, list_id, profile_id) ever seen a member
-- (joins from GET /api/lists/{id}/profiles by `joined_group_at`; `removed_at` set by the reconcile
-- when the profile was no longer listed, NULL again if it comes back).
with members as (

    select * from {{ source('klaviyo_raw', 'list_members') }}

),

loads as (

    select * from {{ ref('stg_klaviyo__loads') }}

),

renamed as (

    select
        cast(members.account_id as {{ dbt.type_string() }}) as account_id,
        cast(members.list_id as {{ dbt.type_string() }}) as list_id,
        cast(members.profile_id as {{ dbt.type_string() }}) as profile_id,
        {{ klaviyo_warehouse.to_utc_timestamp('members.joined_at') }} as joined_at,
        {{ klaviyo_warehouse.to_utc_timestamp('members.removed_at') }} as removed_at,
        loads.loaded_at as _loaded_at
    from members
    inner join loads
        on members._dlt_load_id = loads.load_id

)

select * from renamed
