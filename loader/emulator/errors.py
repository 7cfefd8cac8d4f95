"""JSON:API error documents, shaped like the real API's (`{"errors": [{id, status, code, title, ...}]}`)."""

from __future__ import annotations

import uuid
from typing import Any

TITLES = {
    400: "Invalid input.",
    401: "Authentication credentials were not provided.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    405: "Method not allowed.",
    429: "Request was throttled.",
    500: "A server error occurred.",
    503: "Service unavailable.",
}


class ApiError(Exception):
    """An error answered to the client as a JSON:API error document."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        parameter: str | None = None,
        pointer: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.parameter = parameter
        self.pointer = pointer
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "status": self.status,
            "code": self.code,
            "title": TITLES.get(self.status, "Error."),
            "detail": self.detail,
            "source": {},
            "links": {},
            "meta": {},
        }
        if self.parameter is not None:
            error["source"]["parameter"] = self.parameter
        if self.pointer is not None:
            error["source"]["pointer"] = self.pointer
        return {"errors": [error]}


def invalid(detail: str, parameter: str) -> ApiError:
    return ApiError(400, "invalid", detail, parameter=parameter)


def throttled(retry_after: int) -> ApiError:
    unit = "second" if retry_after == 1 else "seconds"
    return ApiError(
        429,
        "throttled",
        f"Request was throttled. Expected available in {retry_after} {unit}.",
        pointer="/data/",
        headers={"Retry-After": str(retry_after)},
    )
