{{ config(materialized='table') }}

with metrics as (

    select * from {{ ref('stg_klaviyo__metrics') }}

),

ranked as (

    select
        metrics.*,
        row_number() over (partition by metric_id order by _loaded_at desc, updated_at desc) as row_rank
    from metrics

),

final as (

    select
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
