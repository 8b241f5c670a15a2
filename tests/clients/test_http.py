"""The HTTP base's create contract: a create is never resent blind after the vendor may have acted."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from clients.http import ApiError, JsonApi


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


def api(server: HTTPServer) -> JsonApi:
    return JsonApi(server.url_for("/"), sleep=lambda _: None)


def test_a_create_whose_reply_is_lost_adopts_what_the_first_attempt_made(httpserver: HTTPServer) -> None:
    keys = Keys()
    httpserver.expect_request("/keys", method="POST").respond_with_handler(keys.create)
    made = api(httpserver).create("POST", "/keys", json={"name": "ci"}, find_existing=lambda: keys.find("ci"))
    assert keys.posts == 1 and len(keys.made) == 1
    assert made == keys.made[0]


def test_a_create_that_made_nothing_fails_in_one_line_without_resending(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/keys", method="POST").respond_with_data("down", status=503)
    with pytest.raises(ApiError) as refused:
        api(httpserver).create("POST", "/keys", json={"name": "ci"}, find_existing=lambda: None)
    assert len(httpserver.log) == 1
    assert "\n" not in str(refused.value) and "safe to run again" in str(refused.value)


def test_a_rate_limited_create_is_resent_once_the_window_passes(httpserver: HTTPServer) -> None:
    answers = iter([Response("slow down", status=429, headers={"Retry-After": "1"}), Response('{"id": "k0"}')])
    httpserver.expect_request("/keys", method="POST").respond_with_handler(lambda _: next(answers))
    made = api(httpserver).create("POST", "/keys", json={"name": "ci"}, find_existing=lambda: None)
    assert made == {"id": "k0"} and len(httpserver.log) == 2
