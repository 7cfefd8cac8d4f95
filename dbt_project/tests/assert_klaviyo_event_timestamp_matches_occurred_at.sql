-- occurred_at (from the ISO datetime) and event_timestamp (epoch seconds) must be the same instant:
-- a mismatch means an offset was dropped or applied twice.
{{ config(enabled=var('klaviyo_events_enabled', true)) }}

{% set from_epoch = klaviyo_warehouse.epoch_to_timestamp('event_timestamp') %}
{%- set changed = klaviyo_warehouse.changed_rows('_loaded_at') %}

select account_id, event_id, occurred_at, event_timestamp
from {{ ref('klaviyo_event') }}
where (occurred_at < cast({{ dbt.dateadd('second', -1, from_epoch) }} as {{ dbt.type_timestamp() }})
       or occurred_at > cast({{ dbt.dateadd('second', 1, from_epoch) }} as {{ dbt.type_timestamp() }}))
{%- if changed %}
  and {{ changed }}
{%- endif %}
