{{ config(
    materialized='incremental',
    unique_key=['account_id', 'event_id'],
    incremental_strategy=klaviyo_warehouse.incremental_strategy(),
    on_schema_change='append_new_columns',
    enabled=var('klaviyo_events_enabled', true)
        and (var('klaviyo_campaign_messages_enabled', false) or var('klaviyo_flow_messages_enabled', false)),
) }}

-- One row per engagement event (a metric of var klaviyo_performance_metrics) and account: the
-- message its event_properties `$message` names, its profile, metric and times. The narrow input
-- of klaviyo_campaign_performance and klaviyo_flow_performance, so that an hourly build extracts
-- `$message` from the new events only instead of from every engagement event of klaviyo_event.
-- Incremental: the klaviyo_event rows written since the last build, merged on (account_id,
-- event_id). Rows whose `$message` is missing are kept (message_id NULL), so an event read again
-- without it replaces its earlier row. Rebuild with --full-refresh after changing the var.
select
    account_id,
    event_id,
    {{ klaviyo_warehouse.json_extract_string('event_properties', ['$message']) }} as message_id,
    profile_id,
    metric_name,
    occurred_at,
    _loaded_at
from {{ ref('klaviyo_event') }}
where {{ klaviyo_warehouse._metric_in('metric_name', klaviyo_warehouse.engagement_metrics()) }}
{%- if is_incremental() %}
  and _loaded_at > {{ klaviyo_warehouse.incremental_high_water_mark(this) }}
{%- endif %}
