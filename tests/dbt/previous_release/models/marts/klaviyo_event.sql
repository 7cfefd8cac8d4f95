{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy=klaviyo_warehouse.incremental_strategy(),
    on_schema_change='append_new_columns',
    enabled=var('klaviyo_events_enabled', true),
) }}

-- One row per event. Incremental: only rows from dlt loads finished after the last build are read
-- (new, late-arriving and re-read events alike), deduplicated (latest per id) and merged on event_id.
-- Metric names are taken as of the build that first wrote the event; rebuild with --full-refresh
-- after renaming a metric.
with events as (

    select * from {{ ref('stg_klaviyo__events') }}
    {% if is_incremental() %}
    where _loaded_at > {{ klaviyo_warehouse.incremental_high_water_mark(this) }}
    {% endif %}

),

ranked as (

    select
        events.*,
        row_number() over (partition by event_id order by _loaded_at desc) as row_rank
    from events

),

metrics as (

    select * from {{ ref('klaviyo_metric') }}

),

final as (

    select
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
        on ranked.metric_id = metrics.metric_id
    where ranked.row_rank = 1

)

select * from final
