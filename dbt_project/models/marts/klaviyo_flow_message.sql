{{ config(materialized='table', enabled=var('klaviyo_flow_messages_enabled', false)) }}

-- One row per (account_id, flow_message_id), latest state. `flow_id` is the flow of the message's
-- send action (NULL when flow actions are not synced).
{% set actions_enabled = var('klaviyo_flow_actions_enabled', false) %}
with messages as (

    select * from {{ ref('stg_klaviyo__flow_messages') }}

),

ranked as (

    select
        messages.*,
        row_number() over (partition by account_id, flow_message_id order by _loaded_at desc, updated_at desc) as row_rank
    from messages

),

{% if actions_enabled %}
actions as (

    select * from {{ ref('klaviyo_flow_action') }}

),
{% endif %}

final as (

    select
        ranked.account_id,
        ranked.flow_message_id,
        ranked.flow_action_id,
        {% if actions_enabled %}actions.flow_id{% else %}cast(null as {{ dbt.type_string() }}){% endif %} as flow_id,
        ranked.channel,
        ranked.message_name,
        ranked.subject,
        ranked.created_at,
        ranked.updated_at,
        ranked.definition
    from ranked
    {% if actions_enabled %}
    left join actions
        on ranked.account_id = actions.account_id
        and ranked.flow_action_id = actions.flow_action_id
    {% endif %}
    where ranked.row_rank = 1

)

select * from final
