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
-- with --full-refresh after renaming a metric. The attributed_* columns are Klaviyo's own credit
-- (klaviyo_event_attribution): an event whose credit arrives in a later load (late credit, days after
-- the order) is read again and rewritten with it, keeping its own `_loaded_at`.
{% set attributions_enabled = var('klaviyo_event_attributions_enabled', false) %}
{% if is_incremental() %}
{% set high_water_mark = klaviyo_warehouse.incremental_high_water_mark(this) %}
{% endif %}
with new_events as (

    select * from {{ ref('stg_klaviyo__events') }}
    {% if is_incremental() %}
    where _loaded_at > {{ high_water_mark }}
    {% endif %}

),

{% if attributions_enabled %}
attributions as (

    select * from {{ ref('klaviyo_event_attribution') }}

),
{% endif %}

{% if attributions_enabled and is_incremental() %}
-- credit loaded since the last build for events that were not loaded again with it (the loader
-- re-reads an event with its attributions, so this is usually empty and the scan of this mart
-- below is skipped: bench/hourly_run.py, 2.6 s of klaviyo_event's 3 s at 10M events)
late_credit as (

    select distinct account_id, event_id
    from attributions
    where _loaded_at > {{ high_water_mark }}
      and not exists (
          select 1 from new_events
          where new_events.account_id = attributions.account_id
            and new_events.event_id = attributions.event_id
      )

),

-- read back from this mart, not from staging: joining the staging view would extract the JSON of
-- every raw event before the join (bench/performance_marts.py: 10 s of a 39 s hourly build at 10M
-- events); an event loaded since the last build comes from new_events and wins the ranking below
credited_events as (

    select
        this_events.account_id,
        this_events.event_id,
        this_events.metric_id,
        this_events.profile_id,
        this_events.occurred_at,
        this_events.event_timestamp,
        this_events.uuid,
        this_events.value,
        this_events.event_properties,
        this_events._loaded_at
    from {{ this }} as this_events
    inner join late_credit
        on this_events.account_id = late_credit.account_id
        and this_events.event_id = late_credit.event_id

),

events as (

    select
        account_id, event_id, metric_id, profile_id, occurred_at, event_timestamp, uuid, value,
        event_properties, _loaded_at
    from new_events
    union all
    select * from credited_events

),
{% else %}
events as (

    select * from new_events

),
{% endif %}

ranked as (

    select
        events.*,
        row_number() over (partition by account_id, event_id order by _loaded_at desc) as row_rank
    from events

),

metrics as (

    select * from {{ ref('klaviyo_metric') }}

),

{% if attributions_enabled %}
-- one credit per kind: the campaign attribution and the flow attribution with the lowest id
ranked_credit as (

    select
        attributions.*,
        row_number() over (
            partition by account_id, event_id,
                case when coalesce(campaign_id, campaign_message_id) is null then 0 else 1 end
            order by attribution_id) as campaign_rank,
        row_number() over (
            partition by account_id, event_id,
                case when coalesce(flow_id, flow_message_id) is null then 0 else 1 end
            order by attribution_id) as flow_rank
    from attributions
    where exists (
        select 1 from ranked
        where ranked.account_id = attributions.account_id
          and ranked.event_id = attributions.event_id
    )

),

credit as (

    select
        account_id,
        event_id,
        max(case when campaign_rank = 1 then campaign_id end) as attributed_campaign_id,
        max(case when campaign_rank = 1 then campaign_message_id end) as attributed_campaign_message_id,
        max(case when flow_rank = 1 then flow_id end) as attributed_flow_id,
        max(case when flow_rank = 1 then flow_message_id end) as attributed_flow_message_id
    from ranked_credit
    group by account_id, event_id

),
{% endif %}

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
        ranked._loaded_at,
        {% if attributions_enabled -%}
        credit.attributed_campaign_id,
        credit.attributed_campaign_message_id,
        credit.attributed_flow_id,
        credit.attributed_flow_message_id
        {%- else -%}
        cast(null as {{ dbt.type_string() }}) as attributed_campaign_id,
        cast(null as {{ dbt.type_string() }}) as attributed_campaign_message_id,
        cast(null as {{ dbt.type_string() }}) as attributed_flow_id,
        cast(null as {{ dbt.type_string() }}) as attributed_flow_message_id
        {%- endif %}
    from ranked
    left join metrics
        on ranked.account_id = metrics.account_id
        and ranked.metric_id = metrics.metric_id
    {% if attributions_enabled %}
    left join credit
        on ranked.account_id = credit.account_id
        and ranked.event_id = credit.event_id
    {% endif %}
    where ranked.row_rank = 1

)

select * from final
