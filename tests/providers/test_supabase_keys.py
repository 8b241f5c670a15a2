"""The API key provider when Supabase misbehaves (stand-in held to the API document, virtual
time): a create whose reply is lost leaves exactly one key, also across a second `up`; the
minute-long 429 window Supabase documents is waited out; a proxy's page is one line."""

from __future__ import annotations

from collections.abc import Iterator

import dill
import httpx
import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pytest_httpserver import HTTPServer

from providers.supabase_keys import ApiKeyProvider
from providers.supabase_settings import TOKEN_CONFIG_KEY
from tests.standins.faults import (
    Faults,
    LostReply,
    NetworkFaults,
    VirtualClock,
    install_virtual_time,
    proxy_page,
    supabase_rate_limited,
)
from tests.standins.openapi import supabase_management_spec
from tests.standins.supabase_management import SupabaseProjectStandIn

REF = "abcdefghijklmnopqrst"
TOKEN = "sbp_0123456789abcdef0123456789abcdef01234567"
PROPS = {"project_ref": REF, "type": "secret", "name": "newcool_server_1", "description": "the app's server key",
         "revoke_on_delete": False}  # fmt: skip
KEYS = f"/v1/projects/{REF}/api-keys"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> VirtualClock:
    return install_virtual_time(monkeypatch)


@pytest.fixture
def standin(httpserver: HTTPServer, clock: VirtualClock) -> Iterator[SupabaseProjectStandIn]:
    project = SupabaseProjectStandIn(supabase_management_spec(), REF, TOKEN)
    project.faults = Faults(clock, project.spec)
    project.install(httpserver)
    yield project
    assert project.broken_answers == [], "the stand-in answered what the API document does not allow"


def provider(httpserver: HTTPServer) -> ApiKeyProvider:
    """As the engine runs it: unpickled from the state, then configured."""
    restored: ApiKeyProvider = dill.loads(dill.dumps(ApiKeyProvider(httpserver.url_for("/").rstrip("/"))))
    restored.configure(ConfigureRequest(Config({TOKEN_CONFIG_KEY: TOKEN}, "newcool-infra")))
    return restored


def named(standin: SupabaseProjectStandIn, name: str) -> list[dict[str, object]]:
    return [k for k in standin.api_keys if k["name"] == name]


@pytest.mark.parametrize("lost", ["timeout", "reset", "502"])
def test_a_key_whose_create_reply_is_lost_exists_once_even_across_a_second_up(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch,
    lost: str,
) -> None:  # fmt: skip
    if lost == "502":
        standin.faults.lost.append(LostReply("POST", KEYS, 502))  # type: ignore[union-attr]
    else:
        error = httpx.ReadTimeout if lost == "timeout" else httpx.ReadError
        NetworkFaults(clock).install(monkeypatch).lose_reply("POST", KEYS, error)
    created = provider(httpserver).create(dict(PROPS))
    (key,) = named(standin, "newcool_server_1")
    assert created.id == key["id"] and created.outs is not None and created.outs["api_key"] == key["api_key"]
    # A second `up` whose state never recorded the first (the engine lost the step): adopted again.
    again = provider(httpserver).create(dict(PROPS))
    assert again.id == key["id"] and len(named(standin, "newcool_server_1")) == 1
    assert [r.method for r in standin.log if r.path == KEYS].count("POST") == 1


def test_a_proxy_page_after_the_create_is_adopted_not_resent(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn
) -> None:
    standin.faults.lost.append(LostReply("POST", KEYS, "html"))  # type: ignore[union-attr]
    created = provider(httpserver).create(dict(PROPS))
    (key,) = named(standin, "newcool_server_1")
    assert created.id == key["id"]


def test_a_45_second_rate_limit_window_is_waited_out_as_x_ratelimit_reset_says(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn, clock: VirtualClock
) -> None:
    standin.faults.window("*", r"/v1/.*", 45, supabase_rate_limited)  # type: ignore[union-attr]
    created = provider(httpserver).create(dict(PROPS))
    assert created.outs is not None and len(named(standin, "newcool_server_1")) == 1
    assert clock.slept == [45.0], "one wait, as long as the reset said, not a guess"


def test_a_rate_limit_window_past_the_budget_is_one_line_naming_the_call(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn, clock: VirtualClock
) -> None:
    standin.faults.window("*", r"/v1/.*", 600, supabase_rate_limited)  # type: ignore[union-attr]
    with pytest.raises(RuntimeError) as failure:
        provider(httpserver).create(dict(PROPS))
    message = str(failure.value)
    assert message.startswith(f"supabase secret key newcool_server_1: Supabase refused GET {KEYS}: 429")
    assert "retry budget of 120 s" in message and "\n" not in message and TOKEN not in message
    assert clock.now <= 120 and named(standin, "newcool_server_1") == []


def test_a_proxy_page_answering_a_read_is_one_line_never_a_traceback(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn
) -> None:
    standin.faults.window("GET", r"/v1/.*", 3600, proxy_page)  # type: ignore[union-attr]
    with pytest.raises(RuntimeError) as failure:
        provider(httpserver).create(dict(PROPS))
    assert str(failure.value) == (
        f"supabase secret key newcool_server_1: Supabase answered GET {KEYS} with 200 but not JSON (text/html)"
    )
    assert failure.value.__cause__ is None and failure.value.__suppress_context__
