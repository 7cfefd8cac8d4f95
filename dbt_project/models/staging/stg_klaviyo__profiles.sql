{{ config(enabled=var('klaviyo_profiles_enabled', true)) }}

with profiles as (

    select * from {{ source('klaviyo_raw', 'profiles') }}

),

loads as (

    select * from {{ ref('stg_klaviyo__loads') }}

),

renamed as (

    select
        cast(profiles.account_id as {{ dbt.type_string() }}) as account_id,
        cast(profiles.id as {{ dbt.type_string() }}) as profile_id,
        {{ klaviyo_warehouse.json_extract_string('profiles.attributes', ['email']) }} as email,
        {{ klaviyo_warehouse.json_extract_string('profiles.attributes', ['phone_number']) }} as phone_number,
        {{ klaviyo_warehouse.json_extract_string('profiles.attributes', ['external_id']) }} as external_id,
        {{ klaviyo_warehouse.json_extract_string('profiles.attributes', ['first_name']) }} as first_name,
        {{ klaviyo_warehouse.json_extract_string('profiles.attributes', ['last_name']) }} as last_name,
        {{ klaviyo_warehouse.json_extract_string('profiles.attributes', ['organization']) }} as organization,
        {{ klaviyo_warehouse.json_extract_string('profiles.attributes', ['locale']) }} as locale,
        {{ klaviyo_warehouse.json_extract_string('profiles.attributes', ['title']) }} as title,
        {{ klaviyo_warehouse.json_extract_string('profiles.attributes', ['image']) }} as image,
        {{ klaviyo_warehouse.to_utc_timestamp('profiles.created') }} as created_at,
        {{ klaviyo_warehouse.to_utc_timestamp('profiles.updated') }} as updated_at,
        {{ klaviyo_warehouse.iso8601_to_utc_timestamp(
            klaviyo_warehouse.json_extract_string('profiles.attributes', ['last_event_date'])) }} as last_event_at,
        {{ klaviyo_warehouse.json_extract_string('profiles.attributes', ['location', 'city']) }} as city,
        {{ klaviyo_warehouse.json_extract_string('profiles.attributes', ['location', 'region']) }} as region,
        {{ klaviyo_warehouse.json_extract_string('profiles.attributes', ['location', 'country']) }} as country,
        {{ klaviyo_warehouse.json_extract_string('profiles.attributes', ['location', 'zip']) }} as zip,
        {{ klaviyo_warehouse.json_extract_string('profiles.attributes', ['location', 'timezone']) }} as timezone,
        {{ klaviyo_warehouse.json_extract_object('profiles.attributes', ['location']) }} as location,
        {{ klaviyo_warehouse.json_extract_object('profiles.attributes', ['properties']) }} as properties,
        {{ klaviyo_warehouse.json_extract_object('profiles.attributes', ['subscriptions']) }} as subscriptions,
        {{ klaviyo_warehouse.json_extract_object('profiles.attributes', ['predictive_analytics']) }} as predictive_analytics,
        loads.loaded_at as _loaded_at
    from profiles
    inner join loads
        on profiles._dlt_load_id = loads.load_id

)

select * from renamed
