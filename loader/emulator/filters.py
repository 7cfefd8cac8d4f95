"""The `filter` query grammar: `op(field,value)` terms joined by commas or `and(...)`.

Values are quoted strings ('x' or "x"), unquoted datetimes, numbers, booleans, null or `[...]` lists.
Each endpoint declares which (field, operator) pairs it accepts; anything else is a 400 naming `filter`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from loader.emulator.errors import ApiError, invalid

COMPARISONS = ("equals", "any", "greater-than", "greater-or-equal", "less-than", "less-or-equal", "has",
               "contains", "starts-with", "ends-with")
_TOKEN = re.compile(r"\s*(?:([(),\[\]])|'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"|([^(),\[\]'\"\s]+))")


@dataclass(frozen=True)
class Condition:
    op: str
    field: str
    value: Any


@dataclass(frozen=True)
class FieldRule:
    operators: tuple[str, ...]
    kind: str  # "string", "datetime", "number", "boolean", "none"
    choices: tuple[str, ...] = ()  # the values a string field takes (an enum); others are 400


def _bad(detail: str) -> ApiError:
    return invalid(f"Invalid filter provided: {detail}", "filter")


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            if text[pos:].strip() == "":
                break
            raise _bad(f"unexpected character at position {pos}")
        punct, single, double, bare = match.groups()
        if punct:
            out.append(("p", punct))
        elif single is not None or double is not None:
            out.append(("s", single if single is not None else double))  # type: ignore[arg-type]
        elif bare:
            out.append(("w", bare))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.pos = tokens, 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str | None = None, text: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (kind and tok[0] != kind) or (text and tok[1] != text):
            raise _bad(f"expected {text or kind} at token {self.pos + 1}")
        self.pos += 1
        return tok

    def terms(self) -> list[Condition]:
        out = self.term()
        while self.peek() == ("p", ","):
            self.take()
            out += self.term()
        return out

    def term(self) -> list[Condition]:
        op = self.take("w")[1]
        self.take("p", "(")
        if op == "and":
            out = self.terms()
            self.take("p", ")")
            return out
        if op not in COMPARISONS:
            raise _bad(f"'{op}' is not a supported operator")
        field = self.take("w")[1]
        if op == "has":
            self.take("p", ")")
            return [Condition(op, field, None)]
        self.take("p", ",")
        value = self.value()
        self.take("p", ")")
        return [Condition(op, field, value)]

    def value(self) -> Any:
        tok = self.take()
        if tok == ("p", "["):
            items = []
            while self.peek() != ("p", "]"):
                items.append(self.value())
                if self.peek() == ("p", ","):
                    self.take()
            self.take("p", "]")
            return items
        if tok[0] == "s":
            return tok[1]
        if tok[0] == "w":
            return _bare(tok[1])
        raise _bad(f"unexpected '{tok[1]}'")


def _bare(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return _Datetime(text)


class _Datetime(str):
    """An unquoted token that is not a number: a datetime literal (checked against the field's type)."""


def parse(text: str) -> list[Condition]:
    """The ANDed conditions of a filter expression, or an ApiError (400, parameter `filter`)."""
    parser = _Parser(_tokens(text))
    if parser.peek() is None:
        raise _bad("empty filter")
    conditions = parser.terms()
    if parser.peek() is not None:
        raise _bad(f"unexpected '{parser.peek()[1]}' after the last term")  # type: ignore[index]
    return conditions


def to_epoch_us(value: Any, field: str) -> int:
    if not isinstance(value, str):
        raise _bad(f"'{value}' is not a valid datetime for field '{field}'")
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise _bad(f"'{value}' is not a valid ISO 8601 datetime for field '{field}'") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    delta = parsed - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def validate(conditions: list[Condition], rules: dict[str, FieldRule]) -> list[Condition]:
    """Check each condition against the endpoint's rules; datetimes become epoch microseconds."""
    out = []
    for cond in conditions:
        rule = rules.get(cond.field)
        if rule is None:
            raise _bad(f"'{cond.field}' is not a valid field for this resource")
        if cond.op not in rule.operators:
            allowed = ", ".join(rule.operators)
            raise _bad(f"operator '{cond.op}' is not allowed for field '{cond.field}' (allowed: {allowed})")
        out.append(Condition(cond.op, cond.field, _typed(cond, rule)))
    return out


def _typed(cond: Condition, rule: FieldRule) -> Any:
    if rule.kind == "none":
        return None
    values = cond.value if isinstance(cond.value, list) else [cond.value]
    if cond.op == "any" and not isinstance(cond.value, list):
        raise _bad(f"'any' needs a list value for field '{cond.field}'")
    typed: list[Any]
    if rule.kind == "datetime":
        typed = [to_epoch_us(v, cond.field) for v in values]
    elif rule.kind == "boolean":
        if not all(isinstance(v, bool) for v in values):
            raise _bad(f"field '{cond.field}' needs true or false")
        typed = list(values)
    elif rule.kind == "number":
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise _bad(f"field '{cond.field}' needs a number")
        typed = list(values)
    else:
        if not all(isinstance(v, str) and not isinstance(v, _Datetime) for v in values):
            raise _bad(f"field '{cond.field}' needs a quoted string value")
        typed = [str(v) for v in values]
        if rule.choices and any(v not in rule.choices for v in typed):
            raise _bad(f"'{cond.value}' is not a valid value for field '{cond.field}' "
                       f"(allowed: {', '.join(rule.choices)})")
    return typed if isinstance(cond.value, list) else typed[0]
