{{ config(materialized='table', enabled=var('klaviyo_segments_enabled', false)) }}

-- One row per (account_id, segment_id), latest state. `is_deleted` when a reconcile pass recorded the
-- segment as gone (raw `deletions`, object 'segment') after its row was last loaded.
{% set deletions_enabled = var('klaviyo_deletions_enabled', false) %}
with segments as (

    select * from {{ ref('stg_klaviyo__segments') }}

),

ranked as (

    select
        segments.*,
        row_number() over (partition by account_id, segment_id order by _loaded_at desc, updated_at desc) as row_rank
    from segments

),

{% if deletions_enabled %}
deleted as (

    {{ klaviyo_warehouse.deleted_objects(ref('stg_klaviyo__deletions'), 'segment') }}

),
{% endif %}

final as (

    select
        ranked.account_id,
        ranked.segment_id,
        ranked.segment_name,
        ranked.is_active,
        ranked.definition,
        ranked.created_at,
        ranked.updated_at,
        {{ klaviyo_warehouse.is_deleted_flag('ranked', 'deleted' if deletions_enabled else none) }} as is_deleted
    from ranked
    {% if deletions_enabled %}
    left join deleted
        on ranked.account_id = deleted.account_id
        and ranked.segment_id = deleted.object_id
    {% endif %}
    where ranked.row_rank = 1

)

select * from final
