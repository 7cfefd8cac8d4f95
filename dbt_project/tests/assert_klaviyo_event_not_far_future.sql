-- An event dated more than `klaviyo_max_future_event_days` ahead points to a unit or time-zone fault
-- (milliseconds read as seconds, local time read as UTC). Klaviyo itself accepts some future dates.
-- (dbt.dateadd returns DATETIME on BigQuery: cast back to the timestamp type of occurred_at.)
{{ config(enabled=var('klaviyo_events_enabled', true)) }}
{%- set changed = klaviyo_warehouse.changed_rows('_loaded_at') %}

select account_id, event_id, occurred_at
from {{ ref('klaviyo_event') }}
where occurred_at > cast({{ dbt.dateadd('day', var('klaviyo_max_future_event_days', 1),
                                        klaviyo_warehouse.current_utc_timestamp()) }}
                         as {{ dbt.type_timestamp() }})
{%- if changed %}
  and {{ changed }}
{%- endif %}
