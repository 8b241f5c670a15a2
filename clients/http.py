"""What every vendor client shares: JSON over httpx, rate limits waited out, creates never resent
blind, one-line errors.

- A 429 is waited out for as long as the vendor says (``Retry-After`` in seconds or as an HTTP
  date, or the vendor's own reset header: ``rate_limit_wait``, which each vendor's client
  overrides); a 5xx, a reset or a timeout is retried with backoff (a 5xx's ``Retry-After`` is
  heeded, its rate-limit reset is not: that window is about the rate limit, not the outage). All of it within one retry
  budget per call (``RETRY_BUDGET_SECONDS``, or ``NEWCOOL_API_RETRY_BUDGET_SECONDS``): once that
  is spent, one ``ApiError`` line names the call.
- A 2xx whose body is not JSON (a proxy's page) is an ``ApiError``; a GET is asked once more.
- ``create`` sends a call that makes something at most once after the vendor may have acted, and
  adopts what it made (see there).

Credentials travel only in headers and never appear in a message. Time comes from a ``Clock``
(``clients.timing``), so tests run in virtual time.
"""

from __future__ import annotations

import email.utils
import functools
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Self

from clients import timing

if TYPE_CHECKING:
    import ssl

    import httpx

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_BUDGET_SECONDS = 120.0
RETRY_BUDGET_ENVIRONMENT = "NEWCOOL_API_RETRY_BUDGET_SECONDS"
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
# After an ambiguous create, how long the lookup keeps looking: the vendor may still be acting.
LOOKUP_SECONDS = 30.0
TIMEOUT_SECONDS = 30.0
# A bound on tries too, for a vendor that keeps saying "retry after 0 s".
MAX_TRIES = 100


class ApiError(Exception):
    """A vendor API refused a call or could not be reached (one line, no secret).

    ``transient``: the vendor may answer differently soon (5xx, 429, unreachable, a proxy's
    page), so a poll counts it as "not yet" rather than as an answer.
    """

    def __init__(self, message: str, status: int | None = None, *, transient: bool = False):
        super().__init__(message)
        self.status = status
        self.transient = transient


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


def retry_after(response: httpx.Response, now_epoch: float) -> float | None:
    """``Retry-After`` in seconds: given as seconds or as an HTTP date; None when absent or unreadable."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now_epoch)


def retry_budget_from_environment(environ: Mapping[str, str] = os.environ) -> float:
    value = environ.get(RETRY_BUDGET_ENVIRONMENT, "")
    if not value:
        return RETRY_BUDGET_SECONDS
    try:
        budget = float(value)
    except ValueError:
        budget = -1.0
    if budget < 0:
        raise ApiError(f"{RETRY_BUDGET_ENVIRONMENT}={value!r}: expected a number of seconds, 0 or more")
    return budget


def backoff(attempt: int) -> float:
    return float(min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2**attempt))


@functools.cache
def _verifying_context() -> ssl.SSLContext:
    """httpx's default verification (certifi's bundle, or SSL_CERT_FILE/SSL_CERT_DIR), built once
    per process and shared by the clients: loading the bundle costs ~40 ms of CPU each time."""
    import httpx  # noqa: PLC0415

    return httpx.create_ssl_context()


class JsonApi:
    """One vendor's API: a base URL and the headers (or basic auth) that carry its credentials."""

    vendor = "API"

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        clock: timing.Clock | None = None,
        retry_budget_seconds: float | None = None,
    ):
        import httpx  # noqa: PLC0415 (only when an API is called: the program and preview never need it)

        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Accept": "application/json", **(headers or {})},
            auth=auth,
            timeout=TIMEOUT_SECONDS,
            verify=_verifying_context(),
        )
        self.clock = clock or timing.default()
        self.retry_budget = retry_budget_from_environment() if retry_budget_seconds is None else retry_budget_seconds

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def rate_limit_wait(self, response: httpx.Response) -> float | None:
        """Seconds until the vendor takes calls again, as its answer says; None when it does not say.

        ``Retry-After`` here; a vendor whose own headers or body say it (and in its own unit)
        overrides this, rather than the base guessing a unit from a number's size.
        """
        return retry_after(response, self.clock.wall())

    def _label(self, method: str, path: str, what: str) -> str:
        return f"{method} {path}" + (f" ({what})" if what else "")

    def _refusal(self, label: str, response: httpx.Response) -> ApiError:
        status = response.status_code
        return ApiError(
            f"{self.vendor} refused {label}: {status} {_vendor_message(response)}",
            status,
            transient=status in RETRIED_STATUSES,
        )

    def _body(self, label: str, response: httpx.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            message = f"{self.vendor} answered {label} with {response.status_code} but not JSON ({kind})"
            raise ApiError(message, response.status_code, transient=True) from None

    def _pause(self, started: float, attempt: int, wait: float | None, failure: ApiError) -> None:
        """Sleeps before the next try, or fails in one line when it would pass the retry budget."""
        delay = backoff(attempt) if wait is None else wait
        elapsed = self.clock.monotonic() - started
        if elapsed + delay > self.retry_budget:
            after = f" (waited {elapsed:.0f} s)" if elapsed >= 1 else ""
            raise ApiError(
                f"{failure}{after}; the next try, in {delay:.0f} s, is past the retry budget of "
                f"{self.retry_budget:.0f} s",
                failure.status,
                transient=True,
            )
        self.clock.sleep(delay)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        what: str = "",
    ) -> Any:
        """The call's JSON answer. ``what`` names, for messages, what the call changes.

        Retried after a 429, a 5xx, a reset or a timeout: only for calls that may be repeated
        (reads, and writes that set a value). A call that makes something goes through ``create``.
        """
        import httpx  # noqa: PLC0415 (see __init__)

        label = self._label(method, path, what)
        started = self.clock.monotonic()
        asked_again = False
        failure = ApiError(f"{self.vendor} never answered {label}", transient=True)
        for attempt in range(MAX_TRIES):
            wait: float | None = None
            try:
                response = self._client.request(method, path, json=json, params=params)
            except httpx.HTTPError as error:
                failure = ApiError(f"{self.vendor} unreachable for {label}: {type(error).__name__}", transient=True)
            else:
                if response.is_success:
                    try:
                        return self._body(label, response)
                    except ApiError as not_json:
                        if method != "GET" or asked_again:
                            raise
                        asked_again, failure = True, not_json
                elif response.status_code == 429:
                    failure, wait = self._refusal(label, response), self.rate_limit_wait(response)
                elif response.status_code in RETRIED_STATUSES:
                    # A vendor's rate-limit reset rides on every answer: on a 5xx it says nothing
                    # about the outage, so only a standard Retry-After is heeded; else backoff.
                    failure, wait = self._refusal(label, response), retry_after(response, self.clock.wall())
                else:
                    raise self._refusal(label, response)
            self._pause(started, attempt, wait, failure)
        raise ApiError(f"{failure}; gave up after {MAX_TRIES} tries", failure.status, transient=True)

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

        A timeout, a reset, a 5xx or a 2xx that is not JSON leaves it unknown whether (or what)
        the vendor made, and a 409 says it exists already, so the request is never resent:
        ``find_existing`` looks it up (by name, or a marker the body set), for up to
        ``LOOKUP_SECONDS`` since the vendor may still be acting, and what the first attempt
        made is adopted. Only when the lookup finds nothing is the failure reported. A 429 is a
        refusal before acting, so it is waited out and resent, within the retry budget.
        """
        import httpx  # noqa: PLC0415 (see __init__)

        label = self._label(method, path, what)
        started = self.clock.monotonic()
        for attempt in range(MAX_TRIES):
            try:
                response = self._client.request(method, path, json=json, params=params)
            except httpx.HTTPError as error:
                unreachable = f"{self.vendor} unreachable for {label}: {type(error).__name__}"
                return self._adopt_or_fail(find_existing, unreachable)
            if response.status_code == 429:
                self._pause(started, attempt, self.rate_limit_wait(response), self._refusal(label, response))
                continue
            if response.status_code >= 500 or response.status_code == 409:
                return self._adopt_or_fail(find_existing, str(self._refusal(label, response)))
            if not response.is_success:
                raise self._refusal(label, response)
            try:
                return self._body(label, response)
            except ApiError as not_json:
                return self._adopt_or_fail(find_existing, str(not_json))
        raise ApiError(f"{self.vendor} rate-limited {label} {MAX_TRIES} times; nothing was made", 429, transient=True)

    def _adopt_or_fail(self, find_existing: Callable[[], Any | None], message: str) -> Any:
        deadline = self.clock.monotonic() + LOOKUP_SECONDS
        for attempt in range(MAX_TRIES):
            try:
                existing = find_existing()
            except ApiError as error:
                if not error.transient:
                    raise
                existing = None  # the lookup itself met an outage: not found yet
            if existing is not None:
                return existing
            if self.clock.monotonic() >= deadline:
                break
            self.clock.sleep(backoff(attempt))
        # Not found is not proof that nothing was made (the vendor may still be acting, or the
        # lookup met an outage): a re-run looks again before it creates, so it never duplicates.
        looked = f"nothing found by looking it up for {LOOKUP_SECONDS:.0f} s"
        raise ApiError(f"{message}; {looked}: run again, and a re-run adopts it if the vendor made it")
