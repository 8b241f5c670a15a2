"""Taking over a live Supabase project: the first `up` records every settings resource's live
values and writes nothing; the second `up` (adopt: gone) leaves the declared values live. Against
the Management API stand-in (held to specs/), with prod's declared settings as the program sends them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dill
import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pytest_httpserver import HTTPServer

from preview.plan import Plan
from providers import supabase_settings
from providers.supabase_settings import TOKEN_CONFIG_KEY, SettingsProvider
from tests.standins.openapi import supabase_management_spec
from tests.standins.supabase_management import SupabaseProjectStandIn

REF = "abcdefghijklmnopqrst"
TOKEN = "sbp_0123456789abcdef0123456789abcdef01234567"
# Each settings resource of the program: (type name, resource name, provider endpoint).
RESOURCES = [
    ("AuthConfig", "auth", "auth"),
    ("DataApiConfig", "data-api", "postgrest"),
    ("SslEnforcement", "ssl", "ssl"),
    ("NetworkRestrictions", "network", "network"),
    ("LegacyApiKeys", "legacy-keys", "legacy-keys"),
]


@pytest.fixture
def standin(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SupabaseProjectStandIn]:
    monkeypatch.setattr(supabase_settings, "POLL_SECONDS", 0.01)
    project = SupabaseProjectStandIn(supabase_management_spec(), REF, TOKEN)
    project.install(httpserver)
    yield project
    assert project.broken_answers == [], "the stand-in answered what the API document does not allow"


def provider(httpserver: HTTPServer, endpoint: str) -> SettingsProvider:
    made = SettingsProvider(endpoint, httpserver.url_for("/").rstrip("/"))
    restored: SettingsProvider = dill.loads(dill.dumps(made, recurse=True))
    restored.configure(ConfigureRequest(Config({TOKEN_CONFIG_KEY: TOKEN}, "newcool-infra")))
    return restored


def declared(plan: Plan, type_name: str, name: str) -> dict[str, Any]:
    return dict(plan.named(f"pulumi-python:dynamic/supabase:{type_name}", name).props)


def live(standin: SupabaseProjectStandIn) -> dict[str, Any]:
    return {
        "auth": dict(standin.auth),
        "postgrest": dict(standin.postgrest),
        "network": {key: list(value) for key, value in standin.network.items()},
        "ssl": standin.ssl_enforced,
        "legacy-keys": standin.legacy_keys_enabled,
    }


def test_prods_plan_adopts_every_settings_resource_record_only(prod_plan: Plan, dev_plan: Plan) -> None:
    for type_name, name, _ in RESOURCES:
        assert declared(prod_plan, type_name, name)["record_only"] is True, name
        # A stack that adopts nothing writes its settings on create, as before.
        assert declared(dev_plan, type_name, name)["record_only"] is False, name


def test_an_adoptions_first_up_writes_nothing_and_the_second_leaves_the_declared_values_live(
    prod_plan: Plan, httpserver: HTTPServer, standin: SupabaseProjectStandIn
) -> None:
    before = live(standin)
    states = {}
    for type_name, name, endpoint in RESOURCES:
        props = {**declared(prod_plan, type_name, name), "project_ref": REF}
        created = provider(httpserver, endpoint).create(props)
        assert created.outs is not None
        states[name] = (endpoint, props, created.id, created.outs)
    # First up: only reads reached the API, and nothing live changed (no SSL restart either).
    assert {request.method for request in standin.log} == {"GET"}, [r.path for r in standin.log if r.method != "GET"]
    assert live(standin) == before and standin.restarting_for == 0
    # The state holds what runs, so the second up's diff is exactly what will change.
    assert states["auth"][3]["settings"]["site_url"] == "http://localhost:3000"
    assert states["ssl"][3]["settings"] == {"requestedConfig": {"database": False}}

    # Second up: adopt: gone, so record_only is off; every resource whose live value differs updates.
    for endpoint, props, id_, outs in states.values():
        second = {**props, "record_only": False}
        running = provider(httpserver, endpoint)
        if running.diff(id_, outs, second).changes:
            running.update(id_, outs, second)
    writes = {request.path.rsplit(f"{REF}/", 1)[1] for request in standin.log if request.method != "GET"}
    # Legacy keys stay on in prod until the app runs on the new ones: nothing to write there.
    assert writes == {"config/auth", "postgrest", "ssl-enforcement", "network-restrictions/apply"}
    after = live(standin)
    for type_name, name, endpoint in RESOURCES:
        settings = declared(prod_plan, type_name, name)["settings"]
        if endpoint in ("auth", "postgrest"):
            assert {key: after[endpoint][key] for key in settings if not key.endswith("_pass")} == {
                key: supabase_settings.json_ready(value) for key, value in settings.items() if not key.endswith("_pass")
            }, name
        elif endpoint == "network":
            assert sorted(after["network"]["dbAllowedCidrs"]) == sorted(settings["dbAllowedCidrs"])
        elif endpoint == "ssl":
            assert after["ssl"] is settings["requestedConfig"]["database"] is True
        else:
            assert after["legacy-keys"] is settings["enabled"]


def test_running_the_adoptions_first_up_again_still_writes_nothing(
    prod_plan: Plan, httpserver: HTTPServer, standin: SupabaseProjectStandIn
) -> None:
    """A first `up` whose import failed is run again with adopt.supabaseSettings still set: the
    settings resources it created already must neither diff nor write (no SSL restart)."""
    before = live(standin)
    for type_name, name, endpoint in RESOURCES:
        props = {**declared(prod_plan, type_name, name), "project_ref": REF}
        created = provider(httpserver, endpoint).create(props)
        assert created.outs is not None and created.id is not None
        running = provider(httpserver, endpoint)
        assert not running.diff(created.id, created.outs, props).changes, name
        # Even if the engine asked, an update while record_only is set sends nothing and keeps the
        # recorded live values, so the second `up` still sees every change it will make.
        updated = running.update(created.id, created.outs, props).outs
        assert updated is not None and updated["settings"] == created.outs["settings"], name
    assert {request.method for request in standin.log} == {"GET"}, [r.path for r in standin.log if r.method != "GET"]
    assert live(standin) == before and standin.restarting_for == 0
