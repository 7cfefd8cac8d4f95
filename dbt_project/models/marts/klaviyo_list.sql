{{ config(materialized='table', enabled=var('klaviyo_lists_enabled', false)) }}

-- One row per (account_id, list_id), latest state. `is_deleted` when a reconcile pass recorded the
-- list as gone (raw `deletions`, object 'list') after its row was last loaded.
{% set deletions_enabled = var('klaviyo_deletions_enabled', false) %}
with lists as (

    select * from {{ ref('stg_klaviyo__lists') }}

),

ranked as (

    select
        lists.*,
        row_number() over (partition by account_id, list_id order by _loaded_at desc, updated_at desc) as row_rank
    from lists

),

{% if deletions_enabled %}
deleted as (

    {{ klaviyo_warehouse.deleted_objects(ref('stg_klaviyo__deletions'), 'list') }}

),
{% endif %}

final as (

    select
        ranked.account_id,
        ranked.list_id,
        ranked.list_name,
        ranked.opt_in_process,
        ranked.created_at,
        ranked.updated_at,
        {{ klaviyo_warehouse.is_deleted_flag('ranked', 'deleted' if deletions_enabled else none) }} as is_deleted
    from ranked
    {% if deletions_enabled %}
    left join deleted
        on ranked.account_id = deleted.account_id
        and ranked.list_id = deleted.object_id
    {% endif %}
    where ranked.row_rank = 1

)

select * from final
