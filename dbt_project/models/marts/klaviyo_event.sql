{{ config(
    materialized='incremental',
    unique_key=['account_id', 'event_id'],
    incremental_strategy=klaviyo_warehouse.incremental_strategy(),
    on_schema_change='append_new_columns',
    enabled=var('klaviyo_events_enabled', true),
) }}

-- One row per (account_id, event_id). Incremental: only rows from dlt loads finished after the last
-- build are read (new, late-arriving and re-read events alike), deduplicated (latest per account and
-- id) and merged on (account_id, event_id). The metric is the event's own account's (joined on
-- account_id and metric_id); its name is taken as of the build that first wrote the event: rebuild
-- with --full-refresh after renaming a metric.
with events as (

    select * from {{ ref('stg_klaviyo__events') }}
    {% if is_incremental() %}
    where _loaded_at > {{ klaviyo_warehouse.incremental_high_water_mark(this) }}
    {% endif %}

),

ranked as (

    select
        events.*,
        row_number() over (partition by account_id, event_id order by _loaded_at desc) as row_rank
    from events

),

metrics as (

    select * from {{ ref('klaviyo_metric') }}

),

final as (

    select
        ranked.account_id,
        ranked.event_id,
        ranked.metric_id,
        metrics.metric_name,
        metrics.integration_name,
        metrics.integration_category,
        ranked.profile_id,
        ranked.occurred_at,
        ranked.event_timestamp,
        ranked.uuid,
        ranked.value,
        ranked.event_properties,
        ranked._loaded_at
    from ranked
    left join metrics
        on ranked.account_id = metrics.account_id
        and ranked.metric_id = metrics.metric_id
    where ranked.row_rank = 1

)

select * from final
