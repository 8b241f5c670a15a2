"""The HTTP base: rate limits waited out as the vendor says, within one retry budget per call; a
create never resent blind after the vendor may have acted; a 2xx that is not JSON is one line.
All in virtual time (``tests.standins.faults.VirtualClock``)."""

from __future__ import annotations

import email.utils
import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from clients import http
from clients.http import ApiError, JsonApi
from clients.supabase_management import ManagementApi
from clients.vercel import VercelApi
from tests.standins.faults import VirtualClock


class Keys:
    """A vendor that makes the key, then answers 502 (its reply is lost on the way back)."""

    def __init__(self, reply_status: int = 502):
        self.made: list[dict[str, Any]] = []
        self.posts = 0
        self.reply_status = reply_status

    def create(self, request: Request) -> Response:
        self.posts += 1
        key = {"id": f"k{len(self.made)}", **json.loads(request.data)}
        self.made.append(key)
        return Response("bad gateway", status=self.reply_status)

    def find(self, name: str) -> dict[str, Any] | None:
        return next((key for key in self.made if key["name"] == name), None)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


def api(server: HTTPServer, clock: VirtualClock, budget: float | None = None) -> JsonApi:
    return JsonApi(server.url_for("/"), clock=clock.clock(), retry_budget_seconds=budget)


def test_a_create_whose_reply_is_lost_adopts_what_the_first_attempt_made(
    httpserver: HTTPServer, clock: VirtualClock
) -> None:
    keys = Keys()
    httpserver.expect_request("/keys", method="POST").respond_with_handler(keys.create)
    made = api(httpserver, clock).create("POST", "/keys", json={"name": "ci"}, find_existing=lambda: keys.find("ci"))
    assert keys.posts == 1 and len(keys.made) == 1
    assert made == keys.made[0]


def test_a_lookup_that_does_not_see_it_yet_looks_again(httpserver: HTTPServer, clock: VirtualClock) -> None:
    """The vendor may list what it made only a little later: the lookup keeps looking, briefly."""
    keys = Keys()
    httpserver.expect_request("/keys", method="POST").respond_with_handler(keys.create)
    visible_after = 5.0

    def listed() -> dict[str, Any] | None:
        return keys.find("ci") if clock.now >= visible_after else None

    made = api(httpserver, clock).create("POST", "/keys", json={"name": "ci"}, find_existing=listed)
    assert made == keys.made[0] and keys.posts == 1
    assert visible_after <= clock.now < http.LOOKUP_SECONDS


def test_a_create_that_made_nothing_fails_in_one_line_without_resending(
    httpserver: HTTPServer, clock: VirtualClock
) -> None:
    httpserver.expect_request("/keys", method="POST").respond_with_data("down", status=503)
    with pytest.raises(ApiError) as refused:
        api(httpserver, clock).create("POST", "/keys", json={"name": "ci"}, find_existing=lambda: None)
    assert len(httpserver.log) == 1
    assert "\n" not in str(refused.value) and "a re-run adopts it" in str(refused.value)
    assert clock.now >= http.LOOKUP_SECONDS, "looked for the whole lookup window before saying nothing was made"


def test_a_create_answered_with_a_proxy_page_adopts_instead_of_resending(
    httpserver: HTTPServer, clock: VirtualClock
) -> None:
    made: list[str] = []

    def create(_request: Request) -> Response:
        made.append("k0")
        return Response("<html>ok</html>", status=200, content_type="text/html")

    httpserver.expect_request("/keys", method="POST").respond_with_handler(create)
    found = api(httpserver, clock).create("POST", "/keys", find_existing=lambda: {"id": made[0]} if made else None)
    assert found == {"id": "k0"} and len(httpserver.log) == 1


def test_a_rate_limited_create_is_resent_once_the_window_passes(httpserver: HTTPServer, clock: VirtualClock) -> None:
    answers = iter([Response("slow down", status=429, headers={"Retry-After": "7"}), Response('{"id": "k0"}')])
    httpserver.expect_request("/keys", method="POST").respond_with_handler(lambda _: next(answers))
    made = api(httpserver, clock).create("POST", "/keys", json={"name": "ci"}, find_existing=lambda: None)
    assert made == {"id": "k0"} and len(httpserver.log) == 2
    assert clock.slept == [7.0]


def test_retry_after_as_an_http_date_is_waited_until(httpserver: HTTPServer, clock: VirtualClock) -> None:
    until = email.utils.formatdate(clock.wall() + 40, usegmt=True)
    answers = iter([Response("", status=503, headers={"Retry-After": until}), Response('{"ok": true}')])
    httpserver.expect_request("/items").respond_with_handler(lambda _: next(answers))
    assert api(httpserver, clock).request("GET", "/items") == {"ok": True}
    assert clock.slept == [pytest.approx(40.0, abs=1.0)]


def test_a_rate_limit_past_the_budget_is_one_line_naming_the_call_without_waiting_in_vain(
    httpserver: HTTPServer, clock: VirtualClock
) -> None:
    httpserver.expect_request("/items").respond_with_data("", status=429, headers={"Retry-After": "600"})
    with pytest.raises(ApiError) as refused:
        api(httpserver, clock, budget=120).request("GET", "/items", what="list")
    message = str(refused.value)
    assert "\n" not in message and "GET /items (list)" in message and "retry budget of 120 s" in message
    assert clock.now == 0, "a wait that cannot end within the budget is not started"


def test_a_spell_of_5xx_is_retried_with_backoff_until_the_budget_is_spent(
    httpserver: HTTPServer, clock: VirtualClock
) -> None:
    httpserver.expect_request("/items").respond_with_data("", status=502)
    with pytest.raises(ApiError) as refused:
        api(httpserver, clock, budget=60).request("GET", "/items")
    assert clock.now <= 60 and "502" in str(refused.value) and "\n" not in str(refused.value)
    assert clock.slept[:4] == [1.0, 2.0, 4.0, 8.0]


def test_the_budget_is_configurable_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(http.RETRY_BUDGET_ENVIRONMENT, "300")
    assert JsonApi("http://localhost").retry_budget == 300
    monkeypatch.setenv(http.RETRY_BUDGET_ENVIRONMENT, "soon")
    with pytest.raises(ApiError, match=f"^{http.RETRY_BUDGET_ENVIRONMENT}='soon': expected a number"):
        JsonApi("http://localhost")


def test_a_get_answered_with_html_is_asked_once_more_then_one_line(httpserver: HTTPServer, clock: VirtualClock) -> None:
    httpserver.expect_request("/items").respond_with_data("<html>", status=200, content_type="text/html")
    with pytest.raises(ApiError) as refused:
        api(httpserver, clock).request("GET", "/items")
    assert len(httpserver.log) == 2
    assert str(refused.value) == "API answered GET /items with 200 but not JSON (text/html)"


def test_a_write_answered_with_html_is_not_resent(httpserver: HTTPServer, clock: VirtualClock) -> None:
    httpserver.expect_request("/items").respond_with_data("<html>", status=200, content_type="text/html")
    with pytest.raises(ApiError, match="not JSON"):
        api(httpserver, clock).request("PATCH", "/items", json={"a": 1})
    assert len(httpserver.log) == 1


@pytest.mark.parametrize(
    ("vendor", "reset"), [("supabase", "60"), ("vercel", "epoch+3600")], ids=["supabase", "vercel"]
)
def test_a_5xx_carrying_the_vendors_rate_limit_reset_is_retried_with_backoff_not_the_window(
    httpserver: HTTPServer, clock: VirtualClock, vendor: str, reset: str
) -> None:
    """Vendors send their rate-limit headers on every answer: a 502 that carries one is an outage,
    retried after the backoff, never a wait for the rate-limit window (nor a budget spent at once)."""
    header = str(int(clock.wall()) + 3600) if reset == "epoch+3600" else reset
    answers = iter([Response("", status=502, headers={"X-RateLimit-Reset": header}), Response('{"ok": true}')])
    httpserver.expect_request("/items").respond_with_handler(lambda _: next(answers))
    client: JsonApi = (
        ManagementApi("token", httpserver.url_for("/"), clock=clock.clock())
        if vendor == "supabase"
        else VercelApi("token", "team", httpserver.url_for("/"), clock=clock.clock())
    )
    assert client.request("GET", "/items") == {"ok": True}
    assert clock.slept == [http.FIRST_BACKOFF_SECONDS]
