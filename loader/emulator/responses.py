"""The emulator's answers as HTTP responses: JSON:API documents and errors, the control endpoints' JSON."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from loader.emulator.errors import ApiError
from loader.emulator.http_server import Response

CONTENT_TYPE = "application/vnd.api+json"  # of every answer, as the real API's


def document_response(status: int, body: bytes, headers: Iterable[tuple[str, str]] = ()) -> Response:
    return Response(status, body, (("Content-Type", CONTENT_TYPE), *headers))


def error_response(error: ApiError) -> Response:
    return document_response(error.status, orjson.dumps(error.body()), error.headers.items())


def json_response(status: int, payload: Any) -> Response:
    return document_response(status, orjson.dumps(payload))
