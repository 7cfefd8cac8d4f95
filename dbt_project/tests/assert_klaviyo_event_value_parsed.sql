-- Every numeric `$value` in event_properties must reach the `value` column.
{{ config(enabled=var('klaviyo_events_enabled', true)) }}
{%- set changed = klaviyo_warehouse.changed_rows('_loaded_at') %}

select account_id, event_id
from {{ ref('klaviyo_event') }}
where value is null
  and {{ klaviyo_warehouse.json_extract_number('event_properties', ['$value']) }} is not null
{%- if changed %}
  and {{ changed }}
{%- endif %}
