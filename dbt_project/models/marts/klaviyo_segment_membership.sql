{{ config(
    materialized='incremental',
    unique_key=['account_id', 'segment_id', 'profile_id'],
    incremental_strategy=klaviyo_warehouse.incremental_strategy(),
    on_schema_change='append_new_columns',
    enabled=var('klaviyo_segment_members_enabled', false),
    post_hook="delete from {{ this }} where joined_at is null",
) }}

-- The current members of every segment: one row per (account_id, segment_id, profile_id). Incremental on
-- the dlt load time, merged on the key; leaves, deleted profiles and deleted segments remove their rows
-- (see macros/group_membership.sql). Past members are in the raw table, with removed_at.
-- Columns: account_id, segment_id, profile_id, joined_at, _loaded_at.
{{ klaviyo_warehouse.group_membership('segment') }}
