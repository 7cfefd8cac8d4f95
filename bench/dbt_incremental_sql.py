"""SQL for bench/dbt_incremental.py: raw tables in the loader's DuckDB shape, generated rows, and the
hand-written DuckDB transform the dbt package is measured against."""

from __future__ import annotations

RAW_TABLES_SQL = """
create schema if not exists klaviyo_raw;
create table klaviyo_raw._dlt_loads (load_id varchar not null, schema_name varchar, status bigint not null,
    inserted_at timestamptz not null, schema_version_hash varchar);
create table klaviyo_raw.metrics (id varchar not null, name varchar, created timestamptz, updated timestamptz,
    integration json, _dlt_load_id varchar not null, _dlt_id varchar not null);
create table klaviyo_raw.profiles (id varchar not null, created timestamptz, updated timestamptz,
    attributes json, relationships json, _dlt_load_id varchar not null, _dlt_id varchar not null);
create table klaviyo_raw.events (id varchar not null, datetime timestamptz, timestamp bigint,
    metric_id varchar, profile_id varchar, uuid varchar, attributes json,
    _dlt_load_id varchar not null, _dlt_id varchar not null);
"""
ANCHOR = "timestamptz '2026-11-01 00:00:00+00'"


def metrics_select(load_id: str, n_metrics: int = 40) -> str:
    return f"""
select 'M' || lpad(i::varchar, 5, '0'), 'Metric ' || i, {ANCHOR} - interval 400 day,
       {ANCHOR} - interval 30 day,
       json_object('id', 'I' || (i % 4), 'name', ['Klaviyo', 'Shopify', 'API', 'Zapier'][i % 4 + 1],
                   'category', ['Internal', 'eCommerce', 'API', 'Other'][i % 4 + 1], 'object', 'integration'),
       '{load_id}', substr(md5(i::varchar || '{load_id}'), 1, 14)
from range({n_metrics}) t(i)"""


def events_select(start: int, stop: int, n_profiles: int, load_id: str, *, bump: int = 0) -> str:
    """Events start..stop-1, one every 3 seconds back from the anchor; `bump` changes `$value`."""
    return f"""
with base as (
    select i, 'E' || lpad(i::varchar, 10, '0') as id,
           {ANCHOR} - to_seconds(3 * (20000000 - i)) as occurred,
           round((i % 10000) / 100.0, 2) + {bump} as amount
    from range({start}, {stop}) t(i)
)
select id, occurred, epoch(occurred)::bigint, 'M' || lpad((i % 40)::varchar, 5, '0'),
       case when i % 50 = 7 then null else 'P' || lpad((hash(i) % {n_profiles})::varchar, 8, '0') end,
       '00000000-0000-4000-8000-' || lpad(i::varchar, 12, '0'),
       json_object('timestamp', epoch(occurred)::bigint,
                   'datetime', strftime(occurred, '%Y-%m-%dT%H:%M:%S+00:00'),
                   'uuid', '00000000-0000-4000-8000-' || lpad(i::varchar, 12, '0'),
                   'event_properties', case
                       when i % 10 = 5 then json_object('Source', 'bench', 'Items', ['a', 'b'])
                       when i % 10 = 3 then json_object('$value', amount::varchar, 'Source', 'bench')
                       else json_object('$value', amount, 'Source', 'bench', 'Items', ['a', 'b']) end),
       '{load_id}', substr(md5(id || '{load_id}'), 1, 14)
from base"""


def profiles_select(start: int, stop: int, load_id: str, *, version: int = 0) -> str:
    return f"""
with base as (
    select i, 'P' || lpad(i::varchar, 8, '0') as id, {ANCHOR} - to_seconds(60 * i) as created,
           {ANCHOR} - to_seconds(i) + to_seconds(3600 * {version}) as updated
    from range({start}, {stop}) t(i)
)
select id, created, updated,
       json_object('email', 'person' || i || '.v{version}@example.com', 'phone_number', '+1555' || i,
                   'external_id', 'ext-' || i, 'first_name', 'First' || i, 'last_name', 'Last' || i,
                   'organization', case when i % 2 = 1 then 'Acme' end, 'locale', 'en-US', 'title', null,
                   'image', 'https://img.example.com/' || i || '.png',
                   'created', strftime(created, '%Y-%m-%dT%H:%M:%S+00:00'),
                   'updated', strftime(updated, '%Y-%m-%dT%H:%M:%S+00:00'),
                   'last_event_date', strftime(updated - interval 1 day, '%Y-%m-%dT%H:%M:%S+02:00'),
                   'location', case when i % 6 <> 5 then json_object('city', 'Milano', 'region', 'MI',
                       'country', 'IT', 'zip', (20100 + i % 100)::varchar, 'timezone', 'Europe/Rome',
                       'latitude', 45.4642, 'longitude', '9.19') end,
                   'properties', json_object('plan', 'gold', 'visits', i),
                   'subscriptions', json_object('email', json_object('marketing',
                       json_object('can_receive_email_marketing', i % 2 = 0)))),
       json_object('lists', json_object('links', json_object('related', '/api/profiles/' || id || '/lists'))),
       '{load_id}', substr(md5(id || '{load_id}'), 1, 14)
from base"""


def load_done_sql(load_id: str) -> str:
    return f"insert into klaviyo_raw._dlt_loads values ('{load_id}', 'klaviyo', 0, now(), 'bench')"


def merge_sql(table: str, select: str) -> list[str]:
    """dlt's delete-insert merge on id."""
    return [
        f"create or replace temp table merge_batch as {select}",
        f"delete from klaviyo_raw.{table} where id in (select id from merge_batch)",
        f"insert into klaviyo_raw.{table} select * from merge_batch",
        "drop table merge_batch",
    ]


_LOADS = """loads as (
    select load_id, max(timezone('UTC', inserted_at)) as loaded_at
    from klaviyo_raw._dlt_loads where status = 0 group by load_id
)"""

HAND_SQL = f"""
create schema if not exists hand;

create or replace table hand.klaviyo_metric as
with {_LOADS}, ranked as (
    select m.id as metric_id, m.name as metric_name, m.integration ->> '$.name' as integration_name,
           m.integration ->> '$.category' as integration_category, m.integration,
           timezone('UTC', m.created) as created_at, timezone('UTC', m.updated) as updated_at,
           row_number() over (partition by m.id order by l.loaded_at desc, m.updated desc) as rk
    from klaviyo_raw.metrics m join loads l on m._dlt_load_id = l.load_id
)
select * exclude (rk) from ranked where rk = 1;

create or replace table hand.klaviyo_profile as
with {_LOADS}, ranked as (
    select p.id as profile_id, p.attributes ->> '$.email' as email,
           p.attributes ->> '$.phone_number' as phone_number, p.attributes ->> '$.external_id' as external_id,
           p.attributes ->> '$.first_name' as first_name, p.attributes ->> '$.last_name' as last_name,
           p.attributes ->> '$.organization' as organization, p.attributes ->> '$.locale' as locale,
           p.attributes ->> '$.title' as title, p.attributes ->> '$.image' as image,
           timezone('UTC', p.created) as created_at, timezone('UTC', p.updated) as updated_at,
           timezone('UTC', try_cast(p.attributes ->> '$.last_event_date' as timestamptz)) as last_event_at,
           p.attributes ->> '$.location.city' as city, p.attributes ->> '$.location.region' as region,
           p.attributes ->> '$.location.country' as country, p.attributes ->> '$.location.zip' as zip,
           p.attributes ->> '$.location.timezone' as timezone,
           nullif(p.attributes -> '$.location', 'null'::json) as location,
           nullif(p.attributes -> '$.properties', 'null'::json) as properties,
           nullif(p.attributes -> '$.subscriptions', 'null'::json) as subscriptions,
           nullif(p.attributes -> '$.predictive_analytics', 'null'::json) as predictive_analytics,
           l.loaded_at as _loaded_at,
           row_number() over (partition by p.id order by l.loaded_at desc, p.updated desc) as rk
    from klaviyo_raw.profiles p join loads l on p._dlt_load_id = l.load_id
)
select * exclude (rk) from ranked where rk = 1;

create or replace table hand.klaviyo_event as
with {_LOADS}, ranked as (
    select e.id as event_id, e.metric_id, e.profile_id, timezone('UTC', e.datetime) as occurred_at,
           e.timestamp as event_timestamp, e.uuid,
           try_cast(e.attributes ->> '$.event_properties."$value"' as numeric(28,6)) as value,
           nullif(e.attributes -> '$.event_properties', 'null'::json) as event_properties,
           l.loaded_at as _loaded_at,
           row_number() over (partition by e.id order by l.loaded_at desc) as rk
    from klaviyo_raw.events e join loads l on e._dlt_load_id = l.load_id
)
select r.event_id, r.metric_id, m.metric_name, m.integration_name, m.integration_category, r.profile_id,
       r.occurred_at, r.event_timestamp, r.uuid, r.value, r.event_properties, r._loaded_at
from ranked r left join hand.klaviyo_metric m on r.metric_id = m.metric_id
where r.rk = 1;
"""
