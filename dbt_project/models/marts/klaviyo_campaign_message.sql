{{ config(materialized='table', enabled=var('klaviyo_campaign_messages_enabled', false)) }}

-- One row per (account_id, campaign_message_id), latest state; each message belongs to a campaign of
-- the same account.
with messages as (

    select * from {{ ref('stg_klaviyo__campaign_messages') }}

),

ranked as (

    select
        messages.*,
        row_number() over (partition by account_id, campaign_message_id order by _loaded_at desc, updated_at desc) as row_rank
    from messages

),

final as (

    select
        account_id,
        campaign_message_id,
        campaign_id,
        channel,
        label,
        subject,
        preview_text,
        from_email,
        from_label,
        send_time,
        created_at,
        updated_at,
        definition
    from ranked
    where row_rank = 1

)

select * from final
