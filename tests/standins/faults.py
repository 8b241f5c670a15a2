"""Vendors misbehaving, in virtual time: rate-limit windows with each vendor's own headers, spells
of 5xx, a proxy's HTML page with 200, replies lost after the vendor acted, refused connections.

``VirtualClock`` replaces ``clients.timing.DEFAULT``, so every wait of the clients and their polls
advances virtual time instantly, and the stand-ins read the same clock to open and close their
fault windows. ``Faults`` wraps a stand-in's handler: a request in a window is still checked
against the vendor's document (``tests.standins.openapi``), then answered with the fault instead
of being handled. ``NetworkFaults`` acts below HTTP (httpx's transport): connections refused for a
while, or a reply lost (timeout, reset) after the stand-in handled the request.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from werkzeug import Request, Response

from clients import timing
from tests.standins.openapi import ApiSpec, SpecViolationError

Handler = Callable[[Request], Response]


@dataclass
class VirtualClock:
    now: float = 0.0
    epoch: float = 1_800_000_000.0  # what the wall clock reads at virtual time 0
    slept: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.epoch + self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, "a negative sleep"
        self.slept.append(seconds)
        self.now += seconds

    def clock(self) -> timing.Clock:
        return timing.Clock(self.monotonic, self.wall, self.sleep)


def install_virtual_time(monkeypatch: pytest.MonkeyPatch) -> VirtualClock:
    virtual = VirtualClock()
    monkeypatch.setattr(timing, "DEFAULT", virtual.clock())
    return virtual


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json", headers=headers)


def supabase_rate_limited(clock: VirtualClock, until: float) -> Response:
    """Supabase's 429: the rest of the window in seconds, no Retry-After."""
    left = max(1, math.ceil(until - clock.now))
    headers = {"X-RateLimit-Limit": "120", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(left)}
    return _json(429, {"message": "Too many requests"}, headers)


def vercel_rate_limited(clock: VirtualClock, until: float) -> Response:
    """Vercel's 429: the reset as epoch seconds, in the header and in the body's error.limit."""
    reset = math.ceil(clock.epoch + until)
    headers = {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
    limit = {"remaining": 0, "reset": reset, "resetMs": reset * 1000, "total": 100}
    return _json(429, {"error": {"code": "rate_limited", "message": "Rate limit exceeded", "limit": limit}}, headers)


def server_error(status: int) -> Callable[[VirtualClock, float], Response]:
    return lambda _clock, _until: _json(status, {"message": "upstream unavailable"})


def proxy_page(_clock: VirtualClock, _until: float) -> Response:
    """A 200 from something in front of the API: HTML, not the API's JSON."""
    return Response("<html><body>Please wait…</body></html>", status=200, content_type="text/html")


@dataclass
class Window:
    method: str
    path: str  # a regular expression, matched in full
    start: float
    end: float
    answer: Callable[[VirtualClock, float], Response]

    def covers(self, request: Request, now: float) -> bool:
        return (
            self.start <= now < self.end
            and self.method in (request.method, "*")
            and re.fullmatch(self.path, request.path) is not None
        )


@dataclass
class LostReply:
    """The vendor acts on the next matching request, then its answer becomes ``status`` (or a
    proxy's HTML page with 200)."""

    method: str
    path: str
    status: int | str = 502


@dataclass
class Faults:
    clock: VirtualClock
    spec: ApiSpec | None = None
    windows: list[Window] = field(default_factory=list)
    lost: list[LostReply] = field(default_factory=list)
    # Requests answered with a fault, "METHOD /path", in order.
    faulted: list[str] = field(default_factory=list)

    def window(self, method: str, path: str, seconds: float, answer: Callable[[VirtualClock, float], Response]) -> None:
        """From now for ``seconds`` of virtual time, matching requests get ``answer``."""
        self.windows.append(Window(method, path, self.clock.now, self.clock.now + seconds, answer))

    def around(self, handler: Handler) -> Handler:
        def faulty(request: Request) -> Response:
            window = next((w for w in self.windows if w.covers(request, self.clock.now)), None)
            if window is not None and self._valid(request):
                self.faulted.append(f"{request.method} {request.path}")
                return window.answer(self.clock, window.end)
            lost = next(
                (x for x in self.lost if x.method == request.method and re.fullmatch(x.path, request.path)), None
            )
            answer = handler(request)
            if lost is not None and answer.status_code < 300:
                self.lost.remove(lost)
                self.faulted.append(f"{request.method} {request.path}")
                if lost.status == "html":
                    return proxy_page(self.clock, self.clock.now)
                return _json(int(lost.status), {"message": "bad gateway"})
            return answer

        return faulty

    def _valid(self, request: Request) -> bool:
        """Only a request the document allows meets a fault; one it refuses goes on to be refused."""
        if self.spec is None:
            return True
        query = {key: request.args[key] for key in request.args}
        try:
            self.spec.check_request(
                request.method, request.path, query, dict(request.headers.items()), request.get_data()
            )
        except SpecViolationError:
            return False
        return True


@dataclass
class NetworkFaults:
    """Faults below HTTP, on every httpx client of the test (``install``)."""

    clock: VirtualClock
    # (path regex, start, end): connections refused while the virtual time is in the window.
    refusals: list[tuple[str, float, float]] = field(default_factory=list)
    # (method, path regex, exception type): the next matching request reaches the server, whose
    # reply is then lost.
    lost: list[tuple[str, str, type[httpx.TransportError]]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    def refuse(self, path: str, seconds: float) -> None:
        self.refusals.append((path, self.clock.now, self.clock.now + seconds))

    def lose_reply(self, method: str, path: str, error: type[httpx.TransportError] = httpx.ReadTimeout) -> None:
        self.lost.append((method, path, error))

    def install(self, monkeypatch: pytest.MonkeyPatch) -> NetworkFaults:
        original = httpx.HTTPTransport.handle_request

        def handle_request(transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            path, now = request.url.path, self.clock.now
            if any(re.fullmatch(p, path) and start <= now < end for p, start, end in self.refusals):
                self.events.append(f"refused {request.method} {path}")
                raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
            lost = next((x for x in self.lost if x[0] == request.method and re.fullmatch(x[1], path)), None)
            response = original(transport, request)
            if lost is not None:
                self.lost.remove(lost)
                response.read()
                response.close()
                self.events.append(f"lost the reply to {request.method} {path}")
                raise lost[2]("the reply was lost", request=request)
            return response

        monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle_request)
        return self
