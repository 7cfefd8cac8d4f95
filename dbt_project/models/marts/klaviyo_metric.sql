{{ config(materialized='table') }}

-- One row per (account_id, metric_id): the latest state of each account's metrics.

with metrics as (

    select * from {{ ref('stg_klaviyo__metrics') }}

),

ranked as (

    select
        metrics.*,
        row_number() over (partition by account_id, metric_id order by _loaded_at desc, updated_at desc) as row_rank
    from metrics

),

final as (

    select
        account_id,
        metric_id,
        metric_name,
        integration_name,
        integration_category,
        integration,
        created_at,
        updated_at
    from ranked
    where row_rank = 1

)

select * from final
