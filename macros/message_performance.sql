{#-
  The SQL of klaviyo_campaign_performance and klaviyo_flow_performance: one row per message (campaign
  message or flow message) with its engagement counts and Klaviyo-attributed conversions. Portable:
  every dialect-specific piece goes through the package's dispatched macros (json_extract_string,
  string_literal); no SQL of its own differs by warehouse.

  messages        the message mart (ref), one row per (account_id, <message_column>)
  staging         the message staging view (ref), whose `_loaded_at` tells which messages changed
  message_column  campaign_message_id | flow_message_id (also the attribution column that credits it)
  key_columns     the parent key carried on each row: ['campaign_id'] | ['flow_id']

  Engagement: the rows of int_klaviyo__message_engagement (the events of klaviyo_event whose metric
  is one of var('klaviyo_performance_metrics')'s lists, macro engagement_metrics below, with the
  message their event_properties `$message` names) whose message_id is the message id.
  `recipients`, `opens`, `clicks`, `bounces`, `unsubscribes`, `spam_complaints` count events;
  `unique_opens` / `unique_clicks` count distinct profiles. Conversions: distinct events of a var('klaviyo_conversion_metrics') metric that
  klaviyo_event_attribution credits to the message; `unique_converters` their distinct profiles,
  `attributed_revenue` the sum of their `value`.

  Incremental (is_incremental()): only messages touched since the mart's newest `_loaded_at` are
  recomputed, in full: messages loaded again, messages named by engagement events loaded since,
  messages credited by attributions loaded since (late credit), and messages credited with a
  conversion event loaded since (an order read again with a new value). `_loaded_at` of a row is the
  newest load among its message, its engagement events, its attributions and its conversion events.
-#}
{% macro message_performance(messages, staging, message_column, key_columns) -%}
  {%- set measures = klaviyo_warehouse._performance_measures() -%}
  {%- set conversion_metrics = var('klaviyo_conversion_metrics') -%}
  {%- set count_measures = klaviyo_warehouse._count_measures() -%}
  {%- set incremental = is_incremental() -%}
  {%- if incremental -%}
    {%- set high_water_mark = klaviyo_warehouse.incremental_high_water_mark(this) -%}
  {%- endif -%}
  {%- set keys = key_columns | list -%}
with messages as (

    select account_id, {{ message_column }} as message_id, {% for k in keys %}{{ k }}, {% endfor %}channel
    from {{ messages }}

),

engagement as (

    select account_id, message_id, profile_id, metric_name, occurred_at, _loaded_at
    from {{ ref('int_klaviyo__message_engagement') }}

),

attributions as (

    {% if var('klaviyo_event_attributions_enabled', false) -%}
    select account_id, event_id, {{ message_column }} as message_id, max(_loaded_at) as _loaded_at
    from {{ ref('klaviyo_event_attribution') }}
    where {{ message_column }} is not null
    group by account_id, event_id, {{ message_column }}
    {%- else -%}
    {#- attributions not synced: no conversions are credited -#}
    select
        cast(null as {{ dbt.type_string() }}) as account_id,
        cast(null as {{ dbt.type_string() }}) as event_id,
        cast(null as {{ dbt.type_string() }}) as message_id,
        cast(null as {{ dbt.type_timestamp() }}) as _loaded_at
    from {{ messages }}
    where 1 = 0
    {%- endif %}

),

{% if incremental %}
-- the engagement events loaded since the last build (the zone maps of `_loaded_at` skip the rest)
new_engagement as (

    select account_id, message_id
    from engagement
    where _loaded_at > {{ high_water_mark }}

),
{% endif %}

conversion_events as (

    select account_id, event_id, profile_id, value, occurred_at, _loaded_at
    from {{ ref('klaviyo_event') }}
    where {{ klaviyo_warehouse._metric_in('metric_name', conversion_metrics) }}

),

{% if incremental %}
touched_loads as (

    select account_id, {{ message_column }} as message_id
    from {{ staging }}
    where _loaded_at > {{ high_water_mark }}
    union all
    select account_id, message_id
    from new_engagement
    union all
    select account_id, message_id
    from attributions
    where _loaded_at > {{ high_water_mark }}
    union all
    select attributions.account_id, attributions.message_id
    from attributions
    inner join conversion_events
        on attributions.account_id = conversion_events.account_id
        and attributions.event_id = conversion_events.event_id
    where conversion_events._loaded_at > {{ high_water_mark }}

),

touched as (

    select distinct account_id, message_id from touched_loads

),

scope as (

    select messages.*
    from messages
    inner join touched
        on messages.account_id = touched.account_id
        and messages.message_id = touched.message_id

),
{% else %}
scope as (

    select * from messages

),
{% endif %}

engagement_totals as (

    select
        engagement.account_id,
        engagement.message_id,
        {%- for name in count_measures %}
        sum(case when {{ klaviyo_warehouse._metric_in('engagement.metric_name', measures.get(name) or []) }}
                 then 1 else 0 end) as {{ name }},
        {%- endfor %}
        count(distinct case when {{ klaviyo_warehouse._metric_in('engagement.metric_name', measures.get('opens') or []) }}
                            then engagement.profile_id end) as unique_opens,
        count(distinct case when {{ klaviyo_warehouse._metric_in('engagement.metric_name', measures.get('clicks') or []) }}
                            then engagement.profile_id end) as unique_clicks,
        min(case when {{ klaviyo_warehouse._metric_in('engagement.metric_name', measures.get('recipients') or []) }}
                 then engagement.occurred_at end) as first_send_at,
        max(engagement.occurred_at) as last_event_at,
        max(engagement._loaded_at) as _loaded_at
    from engagement
    inner join scope
        on engagement.account_id = scope.account_id
        and engagement.message_id = scope.message_id
    group by engagement.account_id, engagement.message_id

),

conversions as (

    select
        attributions.account_id,
        attributions.message_id,
        conversion_events.profile_id,
        conversion_events.value,
        conversion_events.occurred_at,
        case when conversion_events._loaded_at > attributions._loaded_at
             then conversion_events._loaded_at else attributions._loaded_at end as _loaded_at
    from attributions
    inner join scope
        on attributions.account_id = scope.account_id
        and attributions.message_id = scope.message_id
    inner join conversion_events
        on attributions.account_id = conversion_events.account_id
        and attributions.event_id = conversion_events.event_id

),

conversion_totals as (

    select
        account_id,
        message_id,
        count(*) as conversions,
        count(distinct profile_id) as unique_converters,
        sum(value) as attributed_revenue,
        max(occurred_at) as last_conversion_at,
        max(_loaded_at) as _loaded_at
    from conversions
    group by account_id, message_id

),

message_loads as (

    select account_id, {{ message_column }} as message_id, max(_loaded_at) as _loaded_at
    from {{ staging }}
    group by account_id, {{ message_column }}

),

final as (

    select
        scope.account_id,
        {%- for k in keys %}
        scope.{{ k }},
        {%- endfor %}
        scope.message_id as {{ message_column }},
        scope.channel,
        coalesce(engagement_totals.recipients, 0) as recipients,
        coalesce(engagement_totals.opens, 0) as opens,
        coalesce(engagement_totals.unique_opens, 0) as unique_opens,
        coalesce(engagement_totals.clicks, 0) as clicks,
        coalesce(engagement_totals.unique_clicks, 0) as unique_clicks,
        coalesce(engagement_totals.bounces, 0) as bounces,
        coalesce(engagement_totals.unsubscribes, 0) as unsubscribes,
        coalesce(engagement_totals.spam_complaints, 0) as spam_complaints,
        coalesce(conversion_totals.conversions, 0) as conversions,
        coalesce(conversion_totals.unique_converters, 0) as unique_converters,
        coalesce(conversion_totals.attributed_revenue, 0) as attributed_revenue,
        engagement_totals.first_send_at,
        case when engagement_totals.last_event_at is null
               or conversion_totals.last_conversion_at > engagement_totals.last_event_at
             then conversion_totals.last_conversion_at
             else engagement_totals.last_event_at end as last_event_at,
        case when engagement_totals._loaded_at > message_loads._loaded_at
              and (conversion_totals._loaded_at is null
                   or engagement_totals._loaded_at >= conversion_totals._loaded_at)
               then engagement_totals._loaded_at
             when conversion_totals._loaded_at > message_loads._loaded_at
               then conversion_totals._loaded_at
             else message_loads._loaded_at end as _loaded_at
    from scope
    inner join message_loads
        on scope.account_id = message_loads.account_id
        and scope.message_id = message_loads.message_id
    left join engagement_totals
        on scope.account_id = engagement_totals.account_id
        and scope.message_id = engagement_totals.message_id
    left join conversion_totals
        on scope.account_id = conversion_totals.account_id
        and scope.message_id = conversion_totals.message_id

)

select * from final
{%- endmacro %}

{#-
  The metric names of the engagement events (every list of var('klaviyo_performance_metrics'), each
  name once, in measure order): the rows of int_klaviyo__message_engagement.
-#}
{% macro engagement_metrics() -%}
  {%- set measures = klaviyo_warehouse._performance_measures() -%}
  {%- set ns = namespace(metrics=[]) -%}
  {%- for name in klaviyo_warehouse._count_measures() -%}
    {%- for metric in measures.get(name) or [] -%}
      {%- if metric not in ns.metrics -%}{%- do ns.metrics.append(metric) -%}{%- endif -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return(ns.metrics) }}
{%- endmacro %}

{#- The counted measures of the performance marts, in column order -#}
{% macro _count_measures() -%}
  {{ return(['recipients', 'opens', 'clicks', 'bounces', 'unsubscribes', 'spam_complaints']) }}
{%- endmacro %}

{#- var('klaviyo_performance_metrics'), checked: an unknown measure fails the compile -#}
{% macro _performance_measures() -%}
  {%- set measures = var('klaviyo_performance_metrics') -%}
  {%- set known = klaviyo_warehouse._count_measures() -%}
  {%- for name in measures if name not in known -%}
    {{ exceptions.raise_compiler_error("var klaviyo_performance_metrics: unknown measure '" ~ name
        ~ "' (known: " ~ (known | join(', ')) ~ ")") }}
  {%- endfor -%}
  {{ return(measures) }}
{%- endmacro %}

{#- `column in ('a', 'b')` with escaped literals; a condition that is never true for an empty list -#}
{% macro _metric_in(column, names) -%}
  {%- if names is string -%}{%- set names = [names] -%}{%- endif -%}
  {%- if names | length == 0 -%}
    1 = 0
  {%- else -%}
    {{ column }} in ({% for name in names %}{{ klaviyo_warehouse.string_literal(name) }}{{ ', ' if not loop.last }}{% endfor %})
  {%- endif -%}
{%- endmacro %}
