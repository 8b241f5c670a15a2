"""Waiting for a vendor to finish something (a build, a restart, a stored setting applied).

A poll rides out the vendor's bad moments: a transient ``ApiError`` (5xx, 429, unreachable, a
proxy's page) counts as "not yet", never as the answer, until the deadline. Time is the API's
``Clock``, so tests poll in virtual time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from clients.http import ApiError
from clients.timing import Clock

T = TypeVar("T")


def poll(
    check: Callable[[], T | None],
    *,
    timeout: float,
    interval: float,
    clock: Clock,
    what: str,
    last_seen: Callable[[], str] | None = None,
    max_interval: float | None = None,
) -> T:
    """``check``'s first answer that is not None; past ``timeout``, one ``ApiError`` saying ``what``
    never came, and the last thing seen (``last_seen``, else the last transient error).

    With ``max_interval`` the wait doubles from ``interval`` up to it (backoff)."""
    deadline = clock.monotonic() + timeout
    last = "no answer"
    while True:
        try:
            answer = check()
        except ApiError as error:
            if not error.transient:
                raise
            answer, last = None, str(error)
        else:
            last = "not yet" if answer is None else last
        if answer is not None:
            return answer
        if clock.monotonic() >= deadline:
            raise ApiError(f"{what} within {timeout:g} s (last: {last_seen() if last_seen else last})")
        clock.sleep(min(interval, max(0.0, deadline - clock.monotonic())) if interval > 0 else 0.0)
        if max_interval is not None:
            interval = min(max_interval, interval * 2)
