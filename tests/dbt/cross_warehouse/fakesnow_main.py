"""Run fakesnow's server (`python -m tests.dbt.cross_warehouse.fakesnow_main -s -p PORT`), with two fixes.

fakesnow 0.12 differs from Snowflake in two ways that dbt-snowflake runs into:
- it rejects any `$word` as an unknown session variable, even inside a string, a quoted identifier or
  a comment, where Snowflake reads it literally (Klaviyo's `$value` key is exactly that);
- its DuckDB temporary tables cannot be addressed as `db.schema.name`, which dbt-snowflake's
  incremental materialization does with its `__dbt_tmp` table: such tables become transient here.
"""

from __future__ import annotations

import re
from typing import Any

import snowflake.connector.errors
from fakesnow import cli
from fakesnow.cursor import FakeSnowflakeCursor
from fakesnow.variables import Variables

_LITERAL_TEXT = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.DOTALL)
_VARIABLE = re.compile(r"(?<![\$\w])\$(?!\d+)\w+")
_TEMPORARY_TABLE = re.compile(r"\b(create\s+or\s+replace\s+)temporary(\s+table)\b", re.IGNORECASE)


def _inline_variables(self: Variables, sql: str) -> str:
    for name, value in self._variables.items():
        sql = re.sub(rf"\${name}", value, sql, flags=re.IGNORECASE)
    if unknown := _VARIABLE.search(_LITERAL_TEXT.sub("''", sql)):
        raise snowflake.connector.errors.ProgrammingError(
            msg=f"Session variable '{unknown.group().upper()}' does not exist"
        )
    return sql


_fakesnow_execute = FakeSnowflakeCursor.execute


def _execute(self: FakeSnowflakeCursor, command: str, *args: Any, **kwargs: Any) -> FakeSnowflakeCursor:
    return _fakesnow_execute(self, _TEMPORARY_TABLE.sub(r"\1transient\2", command), *args, **kwargs)


Variables.inline_variables = _inline_variables  # type: ignore[method-assign]
FakeSnowflakeCursor.execute = _execute  # type: ignore[method-assign]

if __name__ == "__main__":
    raise SystemExit(cli.main())
