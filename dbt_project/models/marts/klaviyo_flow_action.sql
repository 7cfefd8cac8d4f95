{{ config(materialized='table', enabled=var('klaviyo_flow_actions_enabled', false)) }}

-- One row per (account_id, flow_action_id), latest state: the steps of each flow (send-email,
-- time-delay, conditional-split, ...).
with actions as (

    select * from {{ ref('stg_klaviyo__flow_actions') }}

),

ranked as (

    select
        actions.*,
        row_number() over (partition by account_id, flow_action_id order by _loaded_at desc, updated_at desc) as row_rank
    from actions

),

final as (

    select
        account_id,
        flow_action_id,
        flow_id,
        action_type,
        action_status,
        created_at,
        updated_at,
        definition
    from ranked
    where row_rank = 1

)

select * from final
