-- An email without `@` means the wrong attribute landed in the column ("redacted": a deleted or
-- forgotten profile, as Klaviyo renders it).
{{ config(enabled=var('klaviyo_profiles_enabled', true)) }}

select account_id, profile_id, email
from {{ ref('klaviyo_profile') }}
where email is not null
  and email not like '%@%'
  and email <> 'redacted'
