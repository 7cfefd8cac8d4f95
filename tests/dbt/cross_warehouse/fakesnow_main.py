"""Run fakesnow's server (`python -m tests.dbt.cross_warehouse.fakesnow_main -s -p PORT`), with one fix.

fakesnow 0.12 rejects any `$word` in a statement as an unknown session variable, even inside a
string or a quoted identifier, where Snowflake reads it literally. Klaviyo's `$value` key is exactly
that (`attributes['event_properties']['$value']`), so quoted text is left out of the check here.
"""

from __future__ import annotations

import re

import snowflake.connector.errors
from fakesnow import cli
from fakesnow.variables import Variables

_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
_VARIABLE = re.compile(r"(?<![\$\w])\$(?!\d+)\w+")


def _inline_variables(self: Variables, sql: str) -> str:
    for name, value in self._variables.items():
        sql = re.sub(rf"\${name}", value, sql, flags=re.IGNORECASE)
    if unknown := _VARIABLE.search(_QUOTED.sub("''", sql)):
        raise snowflake.connector.errors.ProgrammingError(
            msg=f"Session variable '{unknown.group().upper()}' does not exist"
        )
    return sql


Variables.inline_variables = _inline_variables  # type: ignore[method-assign]

if __name__ == "__main__":
    raise SystemExit(cli.main())
