"""OpenAPI 3.0 response schemas -> strict JSON Schema for validating emulator responses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SPEC_DIR = Path(__file__).parent / "openapi"
DROP = {"nullable", "example", "description", "default", "format"}


def load_spec(endpoint: str) -> dict[str, Any]:
    return json.loads((SPEC_DIR / f"get_{endpoint}.json").read_text())


def operation(spec: dict[str, Any]) -> dict[str, Any]:
    (path_item,) = spec["paths"].values()
    return path_item["get"]


class Converter:
    """Resolves local $refs, turns `nullable` into a null alternative, merges allOf, and (strict)
    forbids keys a schema does not declare, so an emulator field missing from the spec fails."""

    def __init__(self, spec: dict[str, Any], strict: bool = True) -> None:
        self.spec, self.strict = spec, strict

    def ref(self, pointer: str) -> Any:
        node: Any = self.spec
        for part in pointer.removeprefix("#/").split("/"):
            node = node[part]
        return node

    def convert(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.convert(n) for n in node]
        if not isinstance(node, dict):
            return node
        nullable = bool(node.get("nullable"))
        if "$ref" in node:
            out = self.convert(self.ref(node["$ref"]))
        elif "allOf" in node:
            out = self._merge([self.convert(n) for n in node["allOf"]])
        else:
            out = {}
            for key, value in node.items():
                if key in DROP or key.startswith("x-"):
                    continue
                if key == "properties":
                    out[key] = {name: self.convert(sub) for name, sub in value.items()}
                else:
                    out[key] = self.convert(value)
            if self.strict and "properties" in out:
                out.setdefault("additionalProperties", False)
        if nullable:
            return {"anyOf": [out, {"type": "null"}]}
        return out

    def _merge(self, parts: list[dict[str, Any]]) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for part in parts:
            for key, value in part.items():
                if key == "properties":
                    props = merged.setdefault("properties", {})
                    for name, sub in value.items():
                        props[name] = self._merge([props[name], sub]) if name in props else sub
                elif key == "required":
                    merged["required"] = sorted({*merged.get("required", []), *value})
                else:
                    merged[key] = value
        return merged
