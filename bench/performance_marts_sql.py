"""SQL for bench/performance_marts.py: the raw tables the loader writes for one account (metrics,
events, event_attributions, campaigns, campaign_messages, flows, flow_actions, flow_messages, the
accounts row and dlt's _dlt_loads), in its exact DuckDB shape, and the generated rows.

The data set spans `SPAN_SECONDS` (about 347 days) before `ANCHOR`, whatever the number of events:
- metrics: the emulator's catalog (21 names and integrations); each event's metric is drawn with the
  catalog's weights, so about 46% are engagement events (Received/Opened/Clicked Email, SMS, ...) and
  5% Placed Orders;
- campaigns: `n_campaigns` campaigns of one message each, one sent every SPAN/n_campaigns; message k
  is email when k % 10 < 7, SMS when 7 or 8, mobile push when 9;
- flows: 48 flows of 9 actions (5 sends, 4 time delays), 5 messages each (4 email, 1 SMS);
- engagement events name their message in event_properties `$message` (and `$flow` for a flow
  message): 70% a campaign message of their channel sent in the ~5 days before the event, 30% a flow
  message;
- Placed Orders carry `$value`; 40% are credited to a campaign message, 30% to a flow message, 10% to
  both (two attribution rows); the other 20% have no credit, until some of them get it late.
"""

from __future__ import annotations

from loader.emulator.catalog import ENGAGEMENT_CHANNEL, INTEGRATIONS, METRICS

ACCOUNT_ID = "BnCh42"
ANCHOR = "timestamptz '2026-11-01 00:00:00+00'"
SPAN_SECONDS = 30_000_000
N_FLOWS = 48
MESSAGES_PER_FLOW = 5  # 4 email, then 1 SMS
N_PROFILES = 500_000

RAW_TABLES_SQL = """
create schema if not exists klaviyo_raw;
create table klaviyo_raw._dlt_loads (load_id varchar not null, schema_name varchar, status bigint not null,
    inserted_at timestamptz not null, schema_version_hash varchar);
create table klaviyo_raw.accounts (account_id varchar, id varchar not null, attributes json,
    _dlt_load_id varchar not null, _dlt_id varchar not null);
create table klaviyo_raw.metrics (account_id varchar, id varchar not null, name varchar, created timestamptz,
    updated timestamptz, integration json, _dlt_load_id varchar not null, _dlt_id varchar not null);
create table klaviyo_raw.events (account_id varchar, id varchar not null, datetime timestamptz,
    timestamp bigint, metric_id varchar, profile_id varchar, uuid varchar, attributes json,
    _dlt_load_id varchar not null);
create table klaviyo_raw.event_attributions (account_id varchar, event_id varchar not null,
    attribution_id varchar not null, attributed_event_id varchar, campaign_id varchar,
    campaign_message_id varchar, flow_id varchar, flow_message_id varchar,
    flow_message_variation_id varchar, _dlt_load_id varchar not null);
create table klaviyo_raw.campaigns (account_id varchar, id varchar not null, created_at timestamptz,
    updated_at timestamptz, attributes json, relationships json, _dlt_load_id varchar not null,
    _dlt_id varchar not null);
create table klaviyo_raw.campaign_messages (account_id varchar, id varchar not null, campaign_id varchar,
    created_at timestamptz, updated_at timestamptz, attributes json, relationships json,
    _dlt_load_id varchar not null, _dlt_id varchar not null);
create table klaviyo_raw.flows (account_id varchar, id varchar not null, created timestamptz,
    updated timestamptz, attributes json, relationships json, _dlt_load_id varchar not null,
    _dlt_id varchar not null);
create table klaviyo_raw.flow_actions (account_id varchar, id varchar not null, flow_id varchar,
    created timestamptz, updated timestamptz, attributes json, _dlt_load_id varchar not null,
    _dlt_id varchar not null);
create table klaviyo_raw.flow_messages (account_id varchar, id varchar not null, flow_action_id varchar,
    created timestamptz, updated timestamptz, attributes json, _dlt_load_id varchar not null,
    _dlt_id varchar not null);
"""

_T0 = f"(epoch({ANCHOR}) - {SPAN_SECONDS})"


def _iso(ts: str) -> str:
    return f"strftime({ts}, '%Y-%m-%dT%H:%M:%S+00:00')"


def _dlt_id(key: str, load_id: str) -> str:
    return f"substr(md5({key} || '{load_id}'), 1, 14)"


def _metric_id(index: str) -> str:
    return f"'Mt' || lpad(({index})::varchar, 4, '0')"


def campaign_message_id(k: str) -> str:
    return f"'01MSG' || lpad(({k})::varchar, 21, '0')"


def campaign_id(k: str) -> str:
    return f"'01CMP' || lpad(({k})::varchar, 21, '0')"


def flow_message_id(m: str) -> str:
    return f"'Xm' || lpad(({m})::varchar, 4, '0')"


def flow_id(f: str) -> str:
    return f"'Fl' || lpad(({f})::varchar, 4, '0')"


def send_action_id(m: str) -> str:
    return f"(28000000 + 2 * ({m}))::varchar"


def _slots_values() -> str:
    """(metric index, name, channel, first slot, last slot): the catalog's weights as slot ranges."""
    rows, first = [], 0
    for index, (name, _integration, weight) in enumerate(METRICS):
        channel = ENGAGEMENT_CHANNEL.get(name)
        literal = f"'{channel}'" if channel else "null"
        rows.append(f"({index}, '{name}', {literal}, {first}, {first + weight - 1})")
        first += weight
    return f"(values {', '.join(rows)}) slots(metric_index, metric_name, channel, first_slot, last_slot)"


N_SLOTS = sum(weight for _name, _integration, weight in METRICS)


def account_select(load_id: str) -> str:
    attributes = (
        "json_object('test_account', false, 'contact_information', json_object("
        "'default_sender_name', 'Bench Store', 'default_sender_email', 'contact@bench.example.com', "
        "'website_url', 'https://bench.example.com', 'organization_name', 'Bench Store', "
        "'street_address', json_object('address1', '125 Summer Street', 'city', 'Boston', 'region', 'MA', "
        "'country', 'US', 'zip', '02110')), 'industry', 'Apparel & Accessories', "
        "'timezone', 'America/New_York', 'preferred_currency', 'USD', 'public_api_key', "
        f"'{ACCOUNT_ID}', 'locale', 'en-US')"
    )
    row_id = _dlt_id("'acct'", load_id)
    return (f"select '{ACCOUNT_ID}' as account_id, '{ACCOUNT_ID}' as id, {attributes} as attributes, "
            f"'{load_id}' as _dlt_load_id, {row_id} as _dlt_id")


def metrics_select(load_id: str) -> str:
    rows = ", ".join(
        f"({i}, '{name}', '{INTEGRATIONS[integration]['id']}', '{integration}', "
        f"'{INTEGRATIONS[integration]['category']}')"
        for i, (name, integration, _weight) in enumerate(METRICS)
    )
    return f"""
select '{ACCOUNT_ID}' as account_id, {_metric_id('i')} as id, name,
       {ANCHOR} - interval 400 day as created, {ANCHOR} - interval 399 day as updated,
       json_object('object', 'integration', 'id', integration_id, 'name', integration_name,
                   'category', category) as integration,
       '{load_id}' as _dlt_load_id, {_dlt_id(_metric_id('i'), load_id)} as _dlt_id
from (values {rows}) t(i, name, integration_id, integration_name, category)"""


def campaigns_select(start: int, stop: int, n_campaigns: int, load_id: str, *, edit: int = 0) -> str:
    """Campaigns start..stop-1 (one message each, campaign k sent at T0 + k * SPAN / n_campaigns);
    `edit` > 0 renames them and moves updated_at on (an edited campaign)."""
    gap = SPAN_SECONDS / n_campaigns
    return f"""
with base as (
    select k, to_timestamp({_T0} + k * {gap}) as send_time,
           to_timestamp({_T0} + k * {gap} - 90000) as created,
           to_timestamp({_T0} + k * {gap} + 7200 + {edit} * 3600) as updated,
           case when k % 10 < 7 then 'email' when k % 10 < 9 then 'sms' else 'mobile_push' end as channel
    from range({start}, {stop}) t(k)
)
select '{ACCOUNT_ID}' as account_id, {campaign_id('k')} as id, created as created_at, updated as updated_at,
       json_object('name', 'Campaign ' || k || case when {edit} > 0 then ' (edited)' else '' end,
                   'status', 'Sent', 'archived', false,
                   'audiences', json_object('included', ['Lst001'], 'excluded', []::varchar[]),
                   'send_options', json_object('use_smart_sending', true),
                   'tracking_options', json_object('add_tracking_params', false,
                                                   'custom_tracking_params', null,
                                                   'is_tracking_clicks', true, 'is_tracking_opens', true),
                   'send_strategy', json_object('method', 'static', 'datetime', {_iso('send_time')},
                                                'options', json_object('is_local', false)),
                   'created_at', {_iso('created')}, 'scheduled_at', {_iso('created + interval 1 hour')},
                   'updated_at', {_iso('updated')}, 'send_time', {_iso('send_time')}) as attributes,
       json_object('campaign-messages', json_object('data', [json_object('type', 'campaign-message',
                       'id', {campaign_message_id('k')})]),
                   'tags', json_object('data', []::varchar[])) as relationships,
       '{load_id}' as _dlt_load_id, {_dlt_id(campaign_id('k'), load_id)} as _dlt_id
from base"""


def campaign_messages_select(start: int, stop: int, n_campaigns: int, load_id: str, *, edit: int = 0) -> str:
    gap = SPAN_SECONDS / n_campaigns
    return f"""
with base as (
    select k, to_timestamp({_T0} + k * {gap}) as send_time,
           to_timestamp({_T0} + k * {gap} - 90000) as created,
           to_timestamp({_T0} + k * {gap} + 7200 + {edit} * 3600) as updated,
           case when k % 10 < 7 then 'email' when k % 10 < 9 then 'sms' else 'mobile_push' end as channel
    from range({start}, {stop}) t(k)
)
select '{ACCOUNT_ID}' as account_id, {campaign_message_id('k')} as id, {campaign_id('k')} as campaign_id,
       created as created_at, updated as updated_at,
       json_object('definition', case channel
               when 'email' then json_object('channel', 'email', 'label', 'Campaign ' || k,
                   'content', json_object('subject', 'Subject ' || (k % 20) || case when {edit} > 0
                                              then ' (edited)' else '' end,
                                          'preview_text', 'Picked for you', 'from_email',
                                          'contact@bench.example.com', 'from_label', 'Bench Store',
                                          'reply_to_email', null, 'cc_email', null, 'bcc_email', null))
               when 'sms' then json_object('channel', 'sms', 'content', json_object(
                   'body', 'Bench Store: news ' || k, 'media_url', null))
               else json_object('channel', 'mobile_push', 'notification_type', 'standard',
                   'content', json_object('title', 'Campaign ' || k, 'body', 'Bench Store: news ' || k))
               end,
           'send_times', [json_object('datetime', {_iso('send_time')}, 'is_local', false)],
           'created_at', {_iso('created')}, 'updated_at', {_iso('updated')}) as attributes,
       json_object('campaign', json_object('data', json_object('type', 'campaign', 'id', {campaign_id('k')})),
                   'template', json_object('data', json_object('type', 'template', 'id', 'T' || k)))
           as relationships,
       '{load_id}' as _dlt_load_id, {_dlt_id(campaign_message_id('k'), load_id)} as _dlt_id
from base"""


_FLOW_CREATED = f"({ANCHOR} - interval 400 day)"


def flows_select(load_id: str) -> str:
    return f"""
select '{ACCOUNT_ID}' as account_id, {flow_id('f')} as id, {_FLOW_CREATED} as created,
       {_FLOW_CREATED} + interval 1 day as updated,
       json_object('name', 'Flow ' || f, 'status', 'live', 'archived', false,
                   'created', {_iso(_FLOW_CREATED)}, 'updated', {_iso(f'{_FLOW_CREATED} + interval 1 day')},
                   'trigger_type', 'Metric') as attributes,
       json_object('flow-actions', json_object('data', list_transform(range(9), lambda a:
                       json_object('type', 'flow-action', 'id', (28000000 + f * 10 + a)::varchar))),
                   'tags', json_object('data', []::varchar[])) as relationships,
       '{load_id}' as _dlt_load_id, {_dlt_id(flow_id('f'), load_id)} as _dlt_id
from range({N_FLOWS}) t(f)"""


def flow_actions_select(load_id: str) -> str:
    """Per flow f, actions 28000000 + 10 f + a (a = 0..8): even a sends message 5 f + a / 2 (the last
    one SMS), odd a is a time delay. Action ids are send_action_id(message) for the sends."""
    return f"""
with base as (
    select f, a, (28000000 + f * 10 + a)::varchar as id, f * {MESSAGES_PER_FLOW} + a // 2 as m
    from range({N_FLOWS}) t(f), range(9) u(a)
)
select '{ACCOUNT_ID}' as account_id, id, {flow_id('f')} as flow_id, {_FLOW_CREATED} as created,
       {_FLOW_CREATED} as updated,
       json_object('created', {_iso(_FLOW_CREATED)}, 'updated', {_iso(_FLOW_CREATED)},
           'definition', case when a % 2 = 1
               then json_object('id', id, 'type', 'time-delay',
                                'links', json_object('next', (id::bigint + 1)::varchar),
                                'data', json_object('unit', 'days', 'value', 1, 'secondary_value', null,
                                                    'timezone', 'profile'))
               else json_object('id', id, 'type', case when a = 8 then 'send-sms' else 'send-email' end,
                                'links', json_object('next',
                                                     case when a < 8 then (id::bigint + 1)::varchar end),
                                'data', json_object('message', json_object('id', {flow_message_id('m')},
                                                        'name', 'Flow ' || f || ' message ' || a // 2),
                                                    'status', 'live')) end) as attributes,
       '{load_id}' as _dlt_load_id, {_dlt_id('id', load_id)} as _dlt_id
from base"""


def flow_messages_select(load_id: str) -> str:
    return f"""
with base as (
    select m, m // {MESSAGES_PER_FLOW} as f, m % {MESSAGES_PER_FLOW} as position,
           (28000000 + (m // {MESSAGES_PER_FLOW}) * 10 + 2 * (m % {MESSAGES_PER_FLOW}))::varchar as action_id
    from range({N_FLOWS * MESSAGES_PER_FLOW}) t(m)
)
select '{ACCOUNT_ID}' as account_id, {flow_message_id('m')} as id, action_id as flow_action_id,
       {_FLOW_CREATED} as created, {_FLOW_CREATED} as updated,
       json_object('channel', case when position = 4 then 'sms' else 'email' end,
                   'created', {_iso(_FLOW_CREATED)}, 'updated', {_iso(_FLOW_CREATED)},
                   'definition', json_object('id', {flow_message_id('m')},
                       'name', 'Flow ' || f || ' message ' || position,
                       'subject_line', case when position < 4 then 'Flow subject ' || position end,
                       'smart_sending_enabled', true, 'transactional', false)) as attributes,
       '{load_id}' as _dlt_load_id, {_dlt_id(flow_message_id('m'), load_id)} as _dlt_id
from base"""


def _event_base(ids_sql: str, n_events: int, n_campaigns: int, time_sql: str, bump: int) -> str:
    """One row per event id `i` of `ids_sql` with its metric, time, message and credit choices."""
    gap = SPAN_SECONDS / n_campaigns
    h = "hash(i * 31 + {})"
    return f"""
ids as ({ids_sql}),
timed as (
    select i, {time_sql} as epoch_s, {h.format(1)} % {N_SLOTS} as slot, {h.format(2)} as h2,
           {h.format(3)} as h3, {h.format(4)} as h4, {h.format(5)} as h5, {h.format(6)} as h6
    from ids
),
drawn as (
    select timed.*, slots.metric_index, slots.metric_name, slots.channel,
           to_timestamp(floor(epoch_s)) as occurred,
           greatest(floor((epoch_s - {_T0}) / {gap} / 10)::bigint - 1, 0) as block
    from timed join {_slots_values()} on slot between first_slot and last_slot
),
chosen as (
    select drawn.*, 'E' || lpad(i::varchar, 26, '0') as id,
           -- engagement: 70% a campaign message of the channel sent in the ~5 days before, 30% a flow
           -- message
           case when channel is null then null
                when h2 % 10 < 7 then {campaign_message_id(
                    "greatest(block - h3 % 3, 0) * 10 + case when channel = 'email' then h3 // 3 % 7 "
                    "else 7 + h3 // 3 % 2 end")}
                else {flow_message_id(
                    f"h3 % {N_FLOWS} * {MESSAGES_PER_FLOW} + case when channel = 'email' "
                    f"then h3 // {N_FLOWS} % 4 else 4 end")} end as message_id,
           case when channel is not null and h2 % 10 >= 7 then {flow_id(f"h3 % {N_FLOWS}")} end as flow,
           -- orders: the credited campaign (email) and flow message
           greatest(block - h5 % 3, 0) * 10 + h5 // 3 % 7 as credit_k,
           h5 % {N_FLOWS} * {MESSAGES_PER_FLOW} + h5 // {N_FLOWS} % 4 as credit_m,
           h6 % 100 as credit_draw,
           round((h4 % 20000) / 100.0, 2) + case when h6 // 100 % 10 = 0 then {bump} else 0 end as amount
    from drawn
)"""


def events_select(ids_sql: str, n_events: int, n_campaigns: int, load_id: str, *, time_sql: str,
                  bump: int = 0) -> str:
    """The raw events of the ids `ids_sql` (a query of one column `i`); `bump` adds to some orders'
    `$value`."""
    base = _event_base(ids_sql, n_events, n_campaigns, time_sql, bump)
    return f"""
with {base}
select '{ACCOUNT_ID}' as account_id, id, occurred as datetime, epoch(occurred)::bigint as timestamp,
       {_metric_id('metric_index')} as metric_id,
       case when channel is null and metric_name <> 'Placed Order' and h4 % 50 = 7 then null
            else 'Pr' || lpad((h4 % {N_PROFILES})::varchar, 8, '0') end as profile_id,
       '00000000-0000-4000-8000-' || lpad(i::varchar, 12, '0') as uuid,
       json_object('timestamp', epoch(occurred)::bigint,
           'event_properties', case
               when channel is not null and flow is not null then json_object('$event_id', i::varchar,
                   '$message', message_id, '$flow', flow, 'Subject', 'Flow subject', 'Campaign Name',
                   'Flow message', 'Email Domain', 'example.com', 'Client Type', 'Mobile')
               when channel is not null then json_object('$event_id', i::varchar, '$message', message_id,
                   'Subject', 'Subject', 'Campaign Name', 'Campaign', 'Email Domain', 'example.com',
                   'Client Type', 'Desktop')
               when metric_name in ('Placed Order', 'Ordered Product', 'Started Checkout', 'Fulfilled Order',
                                    'Order Completed', 'Refunded Order', 'Cancelled Order', 'Added to Cart')
                   then json_object('$event_id', i::varchar, 'OrderId', '#' || i, '$value', amount,
                       '$currency_code', 'USD', 'ItemNames', ['Yoga Mat'],
                       'Items', [json_object('ProductName', 'Yoga Mat', 'Quantity', 1, 'ItemPrice', amount)],
                       'Discount Codes', []::varchar[])
               else json_object('$event_id', i::varchar, 'URL', 'https://shop.example.com/p/' || h3 % 100,
                   'ProductName', 'Product ' || h3 % 100, 'Price', 24.0, 'page_views', h3 % 9, '$value', 0)
               end,
           'datetime', {_iso('occurred')},
           'uuid', '00000000-0000-4000-8000-' || lpad(i::varchar, 12, '0')) as attributes,
       '{load_id}' as _dlt_load_id
from chosen"""


def attributions_select(ids_sql: str, n_events: int, n_campaigns: int, load_id: str, *, time_sql: str,
                        late: bool = False) -> str:
    """The raw attributions of the Placed Orders among `ids_sql`: draw < 40 a campaign message, 40-69 a
    flow message, 70-79 both; with `late`, a quarter of the uncredited orders get a campaign credit."""
    base = _event_base(ids_sql, n_events, n_campaigns, time_sql, 0)
    campaign_draw = "credit_draw < 40 or credit_draw between 70 and 79"
    if late:
        campaign_draw += " or (credit_draw >= 80 and h6 // 1000 % 4 = 0)"
    credited = "'E' || lpad(greatest(i - 1 - h5 % 997, 0)::varchar, 26, '0')"
    return f"""
with {base},
orders as (select * from chosen where metric_name = 'Placed Order')
select '{ACCOUNT_ID}' as account_id, id as event_id, md5(id || 'campaign') as attribution_id,
       {credited} as attributed_event_id, {campaign_id('credit_k')} as campaign_id,
       {campaign_message_id('credit_k')} as campaign_message_id, null::varchar as flow_id,
       null::varchar as flow_message_id, null::varchar as flow_message_variation_id,
       '{load_id}' as _dlt_load_id
from orders where {campaign_draw}
union all
select '{ACCOUNT_ID}', id, md5(id || 'flow'), {credited}, null, null,
       {flow_id(f'credit_m // {MESSAGES_PER_FLOW}')}, {flow_message_id('credit_m')}, null, '{load_id}'
from orders where credit_draw between 40 and 79"""


def history_time(n_events: int) -> str:
    """Historical event i of n: evenly spread over SPAN_SECONDS, the last one at the anchor."""
    return f"({_T0} + (i + 1) * {SPAN_SECONDS / n_events})"


def increment_time(n_events: int, fresh: int, round_no: int) -> str:
    """New event i >= n_events of hourly round `round_no` (1, 2, ...): evenly spread over that hour
    after the anchor; older ids keep their historical time."""
    return (f"(case when i >= {n_events} then epoch({ANCHOR}) + 3600 * ({round_no} - 1) "
            f"+ (i - {n_events} - {fresh} * ({round_no} - 1) + 1) * {3600 / fresh} "
            f"else {history_time(n_events)} end)")


def load_done_sql(load_id: str, inserted_at: str) -> str:
    return f"insert into klaviyo_raw._dlt_loads values ('{load_id}', 'klaviyo', 0, {inserted_at}, 'bench')"


def merge_sql(table: str, select: str, key: tuple[str, ...]) -> list[str]:
    """dlt's delete-insert merge on the table's primary key."""
    on = " and ".join(f"t.{column} = b.{column}" for column in key)
    return [
        f"create or replace temp table merge_batch as {select}",
        f"delete from klaviyo_raw.{table} t where exists (select 1 from merge_batch b where {on})",
        f"insert into klaviyo_raw.{table} by name select * from merge_batch",
        "drop table merge_batch",
    ]
