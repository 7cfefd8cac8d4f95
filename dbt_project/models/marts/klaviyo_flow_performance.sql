{{ config(
    materialized='incremental',
    unique_key=['account_id', 'flow_message_id'],
    incremental_strategy=klaviyo_warehouse.incremental_strategy(),
    on_schema_change='append_new_columns',
    enabled=var('klaviyo_flow_messages_enabled', false) and var('klaviyo_events_enabled', true),
) }}

-- One row per flow message and account, columns account_id, flow_id, flow_message_id, channel,
-- recipients, opens, unique_opens, clicks, unique_clicks, bounces, unsubscribes, spam_complaints,
-- conversions, unique_converters, attributed_revenue, first_send_at, last_event_at, _loaded_at:
-- engagement counts from the events naming the message in `$message` (var
-- klaviyo_performance_metrics), conversions and revenue from Klaviyo's attributions (var
-- klaviyo_conversion_metrics). Incremental: only the messages touched by loads since the last build
-- are recomputed (macros/message_performance.sql).
{{ klaviyo_warehouse.message_performance(
    ref('klaviyo_flow_message'), ref('stg_klaviyo__flow_messages'),
    'flow_message_id', ['flow_id']) }}
