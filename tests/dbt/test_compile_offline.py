"""Redshift and Synapse, which nothing here can run: offline `dbt compile` with dummy profiles, every
compiled model and test parsed by sqlglot in that dialect, and each macro's rendered SQL asserted."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from tests.dbt.cross_warehouse.offline_compile import OfflineCompiler

pytestmark = [pytest.mark.dbt]

SQLGLOT_DIALECT = {"redshift": "redshift", "synapse": "tsql"}
# Functions of the other warehouses that sqlglot would still parse leniently in this dialect.
FOREIGN_FUNCTIONS = {
    "redshift": {"try_cast", "json_value", "json_query", "parse_json", "try_parse_json", "safe_cast",
                 "strip_null_value", "json_extract_string", "isjson", "switchoffset"},
    "synapse": {"is_varchar", "json_serialize", "json_parse", "convert_timezone", "parse_json",
                "json_extract_string", "strip_null_value", "getdate", "to_timestamp"},
}
_STRINGS = re.compile(r"'(?:[^']|'')*'")

_CALLS = {
    "json_path": "json_path(['event_properties', '$value', 0, \"it's\"])",
    "json_extract_string": "json_extract_string('attributes', ['location', 'city'])",
    "json_extract_number": "json_extract_number('attributes', ['event_properties', '$value'])",
    "json_extract_object": "json_extract_object('attributes', ['location'])",
    "json_extract_boolean": "json_extract_boolean('attributes', ['is_ok'])",
    "json_extract_array_element": "json_extract_array_element('attributes', ['items'], 2)",
    "parse_json": "parse_json('raw_text')",
    "to_utc_timestamp": "to_utc_timestamp('datetime')",
    "iso8601_to_utc_timestamp": "iso8601_to_utc_timestamp('iso_text')",
    "epoch_to_timestamp": "epoch_to_timestamp('ts')",
    "current_utc_timestamp": "current_utc_timestamp()",
    "incremental_strategy": "incremental_strategy()",
    "boolean_literal": "boolean_literal(true)",
    "string_literal": "string_literal(\"it's a \\\\ b\")",
}
PROBES = {name: f"klaviyo_warehouse.{call}" for name, call in _CALLS.items()}
_RS_CITY = "attributes['location']['city']"
_RS_VALUE = "attributes['event_properties']['$value']"
_RS_OK = "attributes['is_ok']"
EXPECTED = {
    "redshift": {
        "json_path": "['event_properties']['$value'][0]['it''s']",
        "json_extract_string": f"case when is_varchar({_RS_CITY}) then {_RS_CITY}::varchar "
                               f"when {_RS_CITY} is not null then json_serialize({_RS_CITY}) end",
        "json_extract_number": f"case when is_integer({_RS_VALUE}) or is_bigint({_RS_VALUE}) or "
                               f"is_decimal({_RS_VALUE}) or is_float({_RS_VALUE}) then case when "
                               f"abs(cast({_RS_VALUE} as double precision)) < 1e22 then cast({_RS_VALUE} as "
                               f"numeric(28,6)) end when is_varchar({_RS_VALUE}) and {_RS_VALUE}::varchar ~ "
                               r"'^\\s*[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)\\s*$' then "
                               f"cast({_RS_VALUE}::varchar as numeric(28,6)) end",
        "json_extract_object": "attributes['location']",
        "json_extract_boolean": f"case lower(case when is_varchar({_RS_OK}) then {_RS_OK}::varchar when "
                                f"{_RS_OK} is not null then json_serialize({_RS_OK}) end) "
                                "when 'true' then true when 'false' then false end",
        "json_extract_array_element": "case when is_varchar(attributes['items'][2]) then "
                                      "attributes['items'][2]::varchar when attributes['items'][2] is not "
                                      "null then json_serialize(attributes['items'][2]) end",
        "parse_json": "case when can_json_parse(raw_text) then json_parse(raw_text) end",
        "to_utc_timestamp": "convert_timezone('UTC', datetime)",
        "iso8601_to_utc_timestamp": "case when iso_text ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' then "
                                    "convert_timezone('UTC', cast(iso_text as timestamptz)) end",
        "epoch_to_timestamp": "(timestamp 'epoch' + cast(ts as double precision) * interval '1 second')",
        "current_utc_timestamp": "getdate()",
        "incremental_strategy": "delete+insert",
        "boolean_literal": "true",
        "string_literal": "'it''s a \\\\ b'",
    },
    "synapse": {
        "json_path": "'$.\"event_properties\".\"$value\"[0].\"it''s\"'",
        "json_extract_string": "json_value(attributes, '$.\"location\".\"city\"')",
        "json_extract_number": "try_cast(json_value(attributes, '$.\"event_properties\".\"$value\"') "
                               "as numeric(28,6))",
        "json_extract_object": "json_query(attributes, '$.\"location\"')",
        "json_extract_boolean": "case lower(json_value(attributes, '$.\"is_ok\"')) "
                                "when 'true' then cast(1 as bit) when 'false' then cast(0 as bit) end",
        "json_extract_array_element": "json_value(attributes, '$.\"items\"[2]')",
        "parse_json": "case when isjson(raw_text) = 1 then cast(raw_text as nvarchar(max)) end",
        "to_utc_timestamp": "cast(switchoffset(datetime, '+00:00') as datetime2)",
        "iso8601_to_utc_timestamp": "cast(switchoffset(try_cast(iso_text as datetimeoffset), '+00:00') "
                                    "as datetime2)",
        "epoch_to_timestamp": "dateadd(second, cast(cast(ts as bigint) % 86400 as int), dateadd(day, "
                              "cast(cast(ts as bigint) / 86400 as int), cast('1970-01-01' as datetime2)))",
        "current_utc_timestamp": "sysutcdatetime()",
        "incremental_strategy": "delete+insert",
        "boolean_literal": "cast(1 as bit)",
        "string_literal": "N'it''s a \\ b'",
    },
}


class Compiled(NamedTuple):
    target: str
    files: dict[str, str]
    rendered: dict[str, str]


@pytest.fixture(scope="module", params=["redshift", "synapse"])
def compiled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Compiled:
    target: str = request.param
    compiler = OfflineCompiler(target, Path(tmp_path_factory.mktemp(f"compile-{target}")))
    return Compiled(target, compiler.compile_project(), compiler.render_macros(PROBES))


def test_every_model_and_test_compiles(compiled: Compiled) -> None:
    _, files, _ = compiled
    models = {Path(name).stem for name in files if "/models/" in name and ".yml/" not in name}
    assert models == {"stg_klaviyo__loads", "stg_klaviyo__accounts", "stg_klaviyo__events",
                      "stg_klaviyo__metrics", "stg_klaviyo__profiles", "klaviyo_account", "klaviyo_metric",
                      "klaviyo_profile", "klaviyo_event"}
    assert len(files) >= 45  # the data tests too
    generic = [name for name in files if Path(name).name.startswith("klaviyo_warehouse_")]
    assert len(generic) == 10, generic  # 4 sources + 3 marts unique on (account_id, id); 3 relationships


def test_every_compiled_statement_parses_in_the_dialect(compiled: Compiled) -> None:
    target, files, _ = compiled
    dialect = SQLGLOT_DIALECT[target]
    for name, sql in files.items():
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s]
        assert [type(s) for s in statements] == [exp.Select], name


def test_no_other_warehouse_syntax_slips_through(compiled: Compiled) -> None:
    target, files, _ = compiled
    for name, sql in files.items():
        code = _STRINGS.sub("''", sql).lower()
        used = set(re.findall(r"\b([a-z_]+)\s*\(", code)) & FOREIGN_FUNCTIONS[target]
        assert not used, (name, used)
        if target == "synapse":  # T-SQL has no `::` cast and no `~` regex match
            tokens = sqlglot.tokenize(sql, read="tsql")
            assert not [t for t in tokens if t.token_type in (TokenType.DCOLON, TokenType.RLIKE)], name
            assert "~" not in code, name


def test_each_macro_renders_the_expected_sql(compiled: Compiled) -> None:
    target, _, rendered = compiled
    assert rendered == EXPECTED[target]
    for name, sql in rendered.items():
        if name not in ("json_path", "incremental_strategy"):
            assert sqlglot.parse_one(f"select {sql} from t", read=SQLGLOT_DIALECT[target]), name


MARKETING_MODELS = {
    "stg_klaviyo__campaigns", "stg_klaviyo__campaign_messages", "stg_klaviyo__flows",
    "stg_klaviyo__flow_actions", "stg_klaviyo__flow_messages", "stg_klaviyo__event_attributions",
    "stg_klaviyo__deletions", "klaviyo_campaign",
    "klaviyo_campaign_message", "klaviyo_flow", "klaviyo_flow_action", "klaviyo_flow_message",
    "klaviyo_event_attribution", "klaviyo_campaign_performance", "klaviyo_flow_performance",
    "int_klaviyo__message_engagement",
}
MEMBERSHIP_MODELS = {
    "stg_klaviyo__lists", "stg_klaviyo__segments", "stg_klaviyo__list_members",
    "stg_klaviyo__segment_members", "klaviyo_list", "klaviyo_segment", "klaviyo_list_membership",
    "klaviyo_segment_membership",
}


@pytest.fixture(scope="module", params=["redshift", "synapse"])
def compiled_marketing(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Compiled:
    """The whole package with every marketing and membership table on (the vars the loader passes when
    they exist), its data tests scoped as an hourly `klaviyo-sync run` scopes them (the unscoped tests
    are the `compiled` fixture's)."""
    from tests.dbt.marketing_seed import MARKETING_VARS
    from tests.dbt.membership_seed import MEMBERSHIP_VARS

    target: str = request.param
    variables = {name: True for name in (*MARKETING_VARS.values(), *MEMBERSHIP_VARS.values())}
    work_dir = Path(tmp_path_factory.mktemp(f"compile-marketing-{target}"))
    scoped = {"KLAVIYO_DBT_TESTS_SINCE": "2026-12-01 10:00:00"}
    compiler = OfflineCompiler(target, work_dir, variables, scoped)
    return Compiled(target, compiler.compile_project(), {})


def test_marketing_models_compile_parse_and_stay_in_dialect(compiled_marketing: Compiled) -> None:
    target, files, _ = compiled_marketing
    models = {Path(name).stem for name in files if "/models/" in name and ".yml/" not in name}
    models -= MEMBERSHIP_MODELS
    assert models == MARKETING_MODELS | {"stg_klaviyo__loads", "stg_klaviyo__accounts", "stg_klaviyo__events",
                                         "stg_klaviyo__metrics", "stg_klaviyo__profiles", "klaviyo_account",
                                         "klaviyo_metric", "klaviyo_profile", "klaviyo_event"}
    generic = [name for name in files if Path(name).name.startswith("klaviyo_warehouse_")]
    # + 7 sources, 8 marts and int_klaviyo__message_engagement unique; 3 + 2 relationships; membership:
    # 4 sources, 4 marts unique, 4 relationships
    assert len(generic) == 10 + 7 + 8 + 1 + 3 + 2 + 4 + 4 + 4, generic
    test_every_compiled_statement_parses_in_the_dialect(compiled_marketing)
    test_no_other_warehouse_syntax_slips_through(compiled_marketing)
    event = next(sql for name, sql in files.items() if name.endswith("/klaviyo_event.sql"))
    assert "klaviyo_event_attribution" in event and "attributed_campaign_id" in event
    scoped = [name for name, sql in files.items() if "'2026-12-01 10:00:00'" in sql]
    assert len(scoped) == 3 + 3 + 3 + 2, scoped  # klaviyo_event's 3 singular, 3 relationships, 3 + 2 unique
    profile = next(sql for name, sql in files.items() if name.endswith("/klaviyo_profile.sql"))
    assert "can_receive_email_marketing" in profile and "stg_klaviyo__deletions" in profile
