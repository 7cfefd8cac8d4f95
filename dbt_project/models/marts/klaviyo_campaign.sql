{{ config(materialized='table', enabled=var('klaviyo_campaigns_enabled', false)) }}

-- One row per (account_id, campaign_id), latest state. `channel` is the channel of the campaign's
-- messages (Klaviyo lists campaigns per message channel); `is_deleted` when a reconcile pass recorded
-- the campaign as gone (raw `deletions`, object 'campaign') after its row was last loaded.
{% set messages_enabled = var('klaviyo_campaign_messages_enabled', false) %}
{% set deletions_enabled = var('klaviyo_deletions_enabled', false) %}
with campaigns as (

    select * from {{ ref('stg_klaviyo__campaigns') }}

),

ranked as (

    select
        campaigns.*,
        row_number() over (partition by account_id, campaign_id order by _loaded_at desc, updated_at desc) as row_rank
    from campaigns

),

{% if messages_enabled %}
message_channels as (

    select account_id, campaign_id, min(channel) as channel
    from {{ ref('stg_klaviyo__campaign_messages') }}
    group by account_id, campaign_id

),
{% endif %}

{% if deletions_enabled %}
deleted as (

    {{ klaviyo_warehouse.deleted_objects(ref('stg_klaviyo__deletions'), 'campaign') }}

),
{% endif %}

final as (

    select
        ranked.account_id,
        ranked.campaign_id,
        ranked.campaign_name,
        ranked.status,
        {% if messages_enabled %}message_channels.channel{% else %}cast(null as {{ dbt.type_string() }}){% endif %} as channel,
        ranked.is_archived,
        ranked.send_time,
        ranked.scheduled_at,
        ranked.created_at,
        ranked.updated_at,
        ranked.audiences,
        {{ klaviyo_warehouse.is_deleted_flag('ranked', 'deleted' if deletions_enabled else none) }} as is_deleted
    from ranked
    {% if messages_enabled %}
    left join message_channels
        on ranked.account_id = message_channels.account_id
        and ranked.campaign_id = message_channels.campaign_id
    {% endif %}
    {% if deletions_enabled %}
    left join deleted
        on ranked.account_id = deleted.account_id
        and ranked.campaign_id = deleted.object_id
    {% endif %}
    where ranked.row_rank = 1

)

select * from final
