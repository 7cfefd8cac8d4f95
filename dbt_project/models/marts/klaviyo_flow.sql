{{ config(materialized='table', enabled=var('klaviyo_flows_enabled', false)) }}

-- One row per (account_id, flow_id), latest state. `is_deleted` when a reconcile pass recorded the
-- flow as gone (raw `deletions`, object 'flow') after its row was last loaded.
{% set deletions_enabled = var('klaviyo_deletions_enabled', false) %}
with flows as (

    select * from {{ ref('stg_klaviyo__flows') }}

),

ranked as (

    select
        flows.*,
        row_number() over (partition by account_id, flow_id order by _loaded_at desc, updated_at desc) as row_rank
    from flows

),

{% if deletions_enabled %}
deleted as (

    {{ klaviyo_warehouse.deleted_objects(ref('stg_klaviyo__deletions'), 'flow') }}

),
{% endif %}

final as (

    select
        ranked.account_id,
        ranked.flow_id,
        ranked.flow_name,
        ranked.status,
        ranked.is_archived,
        ranked.trigger_type,
        ranked.created_at,
        ranked.updated_at,
        {{ klaviyo_warehouse.is_deleted_flag('ranked', 'deleted' if deletions_enabled else none) }} as is_deleted
    from ranked
    {% if deletions_enabled %}
    left join deleted
        on ranked.account_id = deleted.account_id
        and ranked.flow_id = deleted.object_id
    {% endif %}
    where ranked.row_rank = 1

)

select * from final
