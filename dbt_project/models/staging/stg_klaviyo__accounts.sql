-- The Klaviyo accounts (GET /api/accounts, reloaded by every sync): one raw row per account_id
-- and load, the JSON:API attributes unpacked.
with accounts as (

    select * from {{ source('klaviyo_raw', 'accounts') }}

),

loads as (

    select * from {{ ref('stg_klaviyo__loads') }}

),

renamed as (

    select
        cast(accounts.account_id as {{ dbt.type_string() }}) as account_id,
        {{ klaviyo_warehouse.json_extract_string('accounts.attributes', ['contact_information', 'organization_name']) }} as account_name,
        {{ klaviyo_warehouse.json_extract_string('accounts.attributes', ['timezone']) }} as timezone,
        {{ klaviyo_warehouse.json_extract_string('accounts.attributes', ['preferred_currency']) }} as preferred_currency,
        {{ klaviyo_warehouse.json_extract_string('accounts.attributes', ['industry']) }} as industry,
        {{ klaviyo_warehouse.json_extract_boolean('accounts.attributes', ['test_account']) }} as is_test_account,
        loads.loaded_at as _loaded_at
    from accounts
    inner join loads
        on accounts._dlt_load_id = loads.load_id

)

select * from renamed
