"""What every vendor client shares: JSON over httpx, retries on 429 and 5xx, one-line errors.

Retries honour ``Retry-After`` and otherwise back off exponentially. A refusal becomes one
``ApiError`` line naming the call and the vendor's own message; credentials travel only in
headers and never appear in a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    import httpx

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_ATTEMPTS = 5
DEFAULT_BACKOFF_SECONDS = 1.0
MAX_WAIT_SECONDS = 60.0
TIMEOUT_SECONDS = 30.0


class ApiError(Exception):
    """A vendor API refused a call or could not be reached (one line, no secret)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def _vendor_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or "no message"
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping) and error.get("message"):
            return " ".join(str(error["message"]).split())
        for key in ("message", "error", "msg"):
            if body.get(key):
                return " ".join(str(body[key]).split())
    return response.reason_phrase or "no message"


class JsonApi:
    """One vendor's API: a base URL and the headers (or basic auth) that carry its credentials."""

    vendor = "API"

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ):
        import httpx  # noqa: PLC0415 (only when an API is called: the program and preview never need it)

        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Accept": "application/json", **(headers or {})},
            auth=auth,
            timeout=TIMEOUT_SECONDS,
        )
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._sleep = sleep

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _wait(self, attempt: int, response: httpx.Response | None) -> float:
        retry_after = response.headers.get("Retry-After") if response is not None else None
        if retry_after is not None:
            try:
                wait: float = min(MAX_WAIT_SECONDS, max(0.0, float(retry_after)))
                return wait
            except ValueError:
                pass
        backoff: float = self._backoff * 2**attempt
        return min(MAX_WAIT_SECONDS, backoff)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        what: str = "",
    ) -> Any:
        """The call's JSON answer. ``what`` names, for messages, what the call changes."""
        import httpx  # noqa: PLC0415 (see __init__)

        label = f"{method} {path}" + (f" ({what})" if what else "")
        response: httpx.Response | None = None
        for attempt in range(self._attempts):
            try:
                response = self._client.request(method, path, json=json, params=params)
            except httpx.HTTPError as error:
                if attempt + 1 == self._attempts:
                    raise ApiError(f"{self.vendor} unreachable for {label}: {type(error).__name__}") from None
                self._sleep(self._wait(attempt, None))
                continue
            if response.status_code in RETRIED_STATUSES and attempt + 1 < self._attempts:
                self._sleep(self._wait(attempt, response))
                continue
            break
        assert response is not None
        if response.is_success:
            return response.json() if response.content else None
        raise ApiError(
            f"{self.vendor} refused {label}: {response.status_code} {_vendor_message(response)}", response.status_code
        )

    def create(
        self,
        method: str,
        path: str,
        *,
        find_existing: Callable[[], Any | None],
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        what: str = "",
    ) -> Any:
        """A call that creates something, sent at most once after the vendor may have acted.

        A timeout, a reset or a 5xx leaves it unknown whether the vendor made the thing, so the
        request is never resent blind: ``find_existing`` looks it up (by name, or a marker the
        body set) and what the first attempt made is adopted. Only when the lookup finds nothing
        is the failure reported. A 429 is a refusal before acting, so it is waited out and resent.
        """
        import httpx  # noqa: PLC0415 (see __init__)

        label = f"{method} {path}" + (f" ({what})" if what else "")
        response: httpx.Response | None = None
        for attempt in range(self._attempts):
            try:
                response = self._client.request(method, path, json=json, params=params)
            except httpx.HTTPError as error:
                unreachable = f"{self.vendor} unreachable for {label}: {type(error).__name__}"
                return self._adopt_or_fail(find_existing, unreachable)
            if response.status_code == 429 and attempt + 1 < self._attempts:
                self._sleep(self._wait(attempt, response))
                continue
            break
        assert response is not None
        if response.status_code >= 500:
            return self._adopt_or_fail(
                find_existing, f"{self.vendor} failed {label}: {response.status_code} {_vendor_message(response)}"
            )
        if response.is_success:
            return response.json() if response.content else None
        raise ApiError(
            f"{self.vendor} refused {label}: {response.status_code} {_vendor_message(response)}", response.status_code
        )

    def _adopt_or_fail(self, find_existing: Callable[[], Any | None], message: str) -> Any:
        existing = find_existing()
        if existing is None:
            raise ApiError(f"{message}; nothing was made, so it is safe to run again")
        return existing
