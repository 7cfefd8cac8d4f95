"""A small Klaviyo REST client: pooled connections, pacing, retries, page validation.

- 429: every worker on that endpoint waits `Retry-After` (the pacer holds them), then retries.
- 5xx, dropped connections, timeouts and truncated bodies: bounded exponential backoff with jitter.
- 401/403 and other client errors: a `SyncError` naming the endpoint (and the scope it needs);
  the API's own `detail` text is passed through `redact` first.
- Every page is validated (`data` is a list of resources with `id` and `attributes`) before
  anything from it is yielded, so a malformed page stops the run before any cursor moves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
import requests
import tenacity
import urllib3
from requests.adapters import HTTPAdapter

from loader.errors import TransientError
from loader.secrets import redact
from loader.source import settings
from loader.source.errors import api_error, malformed_page
from loader.source.pacer import Pacers

RETRYABLE_EXCEPTIONS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class RetryableResponse(Exception):
    """A response worth retrying: a 429, a 5xx, or a body that is not complete JSON."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Page:
    """One validated JSON:API page."""

    url: str
    number: int
    data: Any  # the validated resources (a list of dicts), or their shaped form (see fetch.py)
    next_url: str | None
    rows: int = 0
    included: list[dict[str, Any]] | None = None  # the document's `included` resources (`include=...`)


@dataclass
class Decoded:
    """A body a typed decoder (e.g. loader.source.event_pages) has already read and checked: its
    rows (any sized value, e.g. columns) and its `links.next`."""

    data: Any
    next_link: str | None


class KlaviyoClient:
    """GET pages from one Klaviyo account; safe to share between worker threads."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        pacers: Pacers | None = None,
        pool_size: int = 32,
        max_attempts: int = settings.MAX_ATTEMPTS,
        backoff_initial: float = settings.BACKOFF_INITIAL_S,
        backoff_max: float = settings.BACKOFF_MAX_S,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.pacers = pacers or Pacers(_all_budgets())
        self._max_attempts = max_attempts
        self._backoff = tenacity.wait_exponential_jitter(initial=backoff_initial, max=backoff_max)
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(
            {
                "Authorization": f"Klaviyo-API-Key {api_key}",
                "revision": settings.REVISION,
                "Accept": settings.MEDIA_TYPE,
            }
        )

    def close(self) -> None:
        self.session.close()

    def pages(
        self, path: str, params: Mapping[str, str], pacer_keys: tuple[str, ...] | None = None
    ) -> Iterator[Page]:
        """Every page of a collection, following `links.next` (always on our own base URL)."""
        keys = pacer_keys or (path,)
        url: str | None = self.base_url + path
        query: Mapping[str, str] | None = params
        number = 1
        while url:
            page = self.get_page(url, query, keys, number)
            yield page
            url, query, number = page.next_url, None, number + 1

    def get_page(
        self,
        url: str,
        params: Mapping[str, str] | None,
        keys: tuple[str, ...],
        number: int = 1,
        decode: Callable[[bytes], Any] = orjson.loads,
    ) -> Page:
        """One validated page. `decode` parses the body (fetch.py runs it on one shared thread) into a
        JSON document, or into a `Decoded` page."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type((RetryableResponse, *RETRYABLE_EXCEPTIONS)),
            wait=self._wait,
            stop=tenacity.stop_after_attempt(self._max_attempts),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._get_once(url, params, keys, number, decode)
        except (RetryableResponse, *RETRYABLE_EXCEPTIONS) as exc:
            raise TransientError(
                f"Klaviyo kept failing after {self._max_attempts} attempts: "
                f"{redact(str(exc), [self._api_key])}",
                f"GET {_display(url)}",
                "check the network and Klaviyo's status page, then run again (the cursor did not move)",
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryableResponse) and exc.reason.startswith("429"):
            return 0.0  # the pacer holds every worker until Retry-After has passed
        return float(self._backoff(state))

    def _get_once(
        self,
        url: str,
        params: Mapping[str, str] | None,
        keys: tuple[str, ...],
        number: int,
        decode: Callable[[bytes], Any],
    ) -> Page:
        pacers = [self.pacers.for_key(key) for key in keys]
        for pacer in pacers:
            pacer.acquire()
        try:
            response = self.session.get(url, params=params, timeout=settings.REQUEST_TIMEOUT_S, stream=True)
            body = _read_body(response)
        except BaseException:
            for pacer in pacers:
                pacer.release()
            raise
        if response.status_code == 429:
            retry_after = _retry_after(response.headers.get("Retry-After"))
            for pacer in pacers:
                pacer.throttled(retry_after)
            raise RetryableResponse(f"429 throttled (Retry-After {retry_after:g}s)")
        for pacer in pacers:
            # RateLimit-* headers describe the most specific limit (the last key), e.g. predictive
            pacer.release(response.headers if response.ok and pacer is pacers[-1] else None)
        if response.status_code >= 500:
            raise RetryableResponse(f"{response.status_code} {response.reason}")
        if not response.ok:
            raise api_error(response.status_code, _path(url), body, self._api_key)
        try:
            document = decode(body)
        except orjson.JSONDecodeError:
            if response.headers.get("Content-Length") == str(len(body)):
                # the whole body arrived and it is not JSON: a malformed page, not a network fault
                where = f"GET {_display(response.url)} (page {number})"
                raise malformed_page(f"the body is not JSON ({len(body)} bytes)", where) from None
            raise RetryableResponse(f"incomplete JSON body ({len(body)} bytes)") from None
        return self._page(response.url, number, document)

    def _page(self, url: str, number: int, document: Any) -> Page:
        if isinstance(document, Decoded):
            return Page(url=url, number=number, data=document.data, next_url=self._rebase(document.next_link),
                        rows=len(document.data))
        where = f"GET {_display(url)} (page {number})"
        if not isinstance(document, dict) or not isinstance(document.get("data"), list):
            raise malformed_page("the response has no 'data' list", where)
        for index, item in enumerate(document["data"]):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
                raise malformed_page(f"item {index} has no string 'id'", where)
            if not isinstance(item.get("attributes"), dict):
                raise malformed_page(f"item {index} ({item['id']}) has no 'attributes' object", where)
        links = document.get("links") or {}
        next_link = links.get("next") if isinstance(links, dict) else None
        if next_link is not None and not isinstance(next_link, str):
            raise malformed_page("'links.next' is not a URL", where)
        included = document.get("included")
        if included is not None and not (
            isinstance(included, list) and all(isinstance(item, dict) for item in included)
        ):
            raise malformed_page("'included' is not a list of resources", where)
        data = document["data"]
        return Page(url=url, number=number, data=data, next_url=self._rebase(next_link), rows=len(data),
                    included=included)

    def _rebase(self, link: str | None) -> str | None:
        """Follow a `links.next` on our configured base URL, so the key never goes elsewhere."""
        if not link:
            return None
        parts = urlsplit(link)
        base = urlsplit(self.base_url)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))


def _read_body(response: requests.Response) -> bytes:
    """The whole body in one read: `response.content` joins it from 10 kB chunks, at twice the CPU.
    A body cut short raises requests' own errors, as `content` would; a body read to its end hands
    the connection back to the pool (keep-alive)."""
    try:
        body: bytes = response.raw.read(decode_content=True)
    except urllib3.exceptions.ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from exc
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from exc
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.ConnectionError(exc) from exc
    response._content = body  # `response.content` and `.json()` stay usable
    return body


def _all_budgets() -> dict[str, settings.Budget]:
    return {**settings.RATE_LIMITS, settings.PREDICTIVE_BUDGET_KEY: settings.PREDICTIVE_BUDGET}


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value else 1.0
    except ValueError:
        return 1.0


def _path(url: str) -> str:
    return urlsplit(url).path


def _display(url: str) -> str:
    """A URL for messages: path and query, never credentials."""
    parts = urlsplit(url)
    return urlunsplit(("", "", parts.path, parts.query, ""))
