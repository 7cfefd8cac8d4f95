{{ config(materialized='table') }}

-- One row per Klaviyo account, latest state (the account's most recent completed load).
with accounts as (

    select * from {{ ref('stg_klaviyo__accounts') }}

),

ranked as (

    select
        accounts.*,
        row_number() over (partition by account_id order by _loaded_at desc) as row_rank
    from accounts

),

final as (

    select
        account_id,
        account_name,
        timezone,
        preferred_currency,
        industry,
        is_test_account,
        _loaded_at
    from ranked
    where row_rank = 1

)

select * from final
