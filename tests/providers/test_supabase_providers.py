"""The Supabase settings and key providers against a stand-in of the Management API that holds
them to the API's own OpenAPI document: adopt, drift, converge, refusals, retries, secrets."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any, TypeVar

import dill
import httpx
import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pytest_httpserver import HTTPServer

from preview.plan import Plan
from providers import supabase_settings
from providers.supabase_addons import PitrAddonProvider
from providers.supabase_keys import ApiKeyProvider
from providers.supabase_settings import TOKEN_CONFIG_KEY, BackupsProvider, SettingsProvider, TokenProvider
from tests.standins.faults import Faults, NetworkFaults, install_virtual_time, server_error
from tests.standins.openapi import supabase_management_spec
from tests.standins.supabase_management import SupabaseProjectStandIn

P = TypeVar("P", bound=TokenProvider)
REF = "abcdefghijklmnopqrst"
TOKEN = "sbp_0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="module")
def prod_auth(prod_plan: Plan) -> dict[str, Any]:
    """What prod declares for auth, as the program sends it (numbers as doubles)."""
    return dict(prod_plan.named("pulumi-python:dynamic/supabase:AuthConfig", "auth").props["settings"])


@pytest.fixture
def standin(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SupabaseProjectStandIn]:
    # The stand-in applies within a few polls; the real API within minutes (5 s between polls).
    monkeypatch.setattr(supabase_settings, "POLL_SECONDS", 0.01)
    project = SupabaseProjectStandIn(supabase_management_spec(), REF, TOKEN)
    project.install(httpserver)
    yield project
    assert project.broken_answers == [], "the stand-in answered what the API document does not allow"


def running(provider: P) -> P:
    """The provider as the engine runs it: unpickled from the state, then configured."""
    restored: P = dill.loads(dill.dumps(provider, recurse=True))
    restored.configure(ConfigureRequest(Config({TOKEN_CONFIG_KEY: TOKEN}, "newcool-infra")))
    return restored


def settings_provider(httpserver: HTTPServer, endpoint: str) -> SettingsProvider:
    return running(SettingsProvider(endpoint, httpserver.url_for("/").rstrip("/")))


def read_back(provider: SettingsProvider, id_: str, outs: dict[str, Any] | None) -> dict[str, Any]:
    """What a refresh stores: the provider's read of the live settings."""
    refreshed = provider.read(id_, outs or {}).outs
    assert refreshed is not None
    return refreshed


def sent(standin: SupabaseProjectStandIn, method: str) -> list[Any]:
    return [r.body for r in standin.log if r.method == method]


def test_auth_config_adopts_then_drift_converges_to_no_diff(
    prod_auth: dict[str, Any], httpserver: HTTPServer, standin: SupabaseProjectStandIn
) -> None:
    provider = settings_provider(httpserver, "auth")
    props = {"project_ref": REF, "settings": prod_auth}
    created = provider.create(props)
    outs = created.outs
    assert outs is not None and created.id == f"{REF}/auth"
    # The live values before the change, for every declared field.
    assert outs["adopted"]["site_url"] == "http://localhost:3000"
    assert outs["adopted"]["password_min_length"] == 6
    assert set(outs["adopted"]) == set(prod_auth)
    assert {k: standin.auth[k] for k in prod_auth} == prod_auth
    # Someone weakens it in the dashboard: refresh reads it back, the next diff shows it.
    standin.auth["password_min_length"] = 8
    refreshed = read_back(provider, created.id, outs)
    assert refreshed["settings"]["password_min_length"] == 8
    assert provider.diff(created.id, refreshed, props).changes is True
    patches_before = len(sent(standin, "PATCH"))
    provider.update(created.id, refreshed, props)
    # Only what drifted is sent back.
    assert sent(standin, "PATCH")[patches_before:] == [{"password_min_length": 12}]
    again = read_back(provider, created.id, outs)
    assert provider.diff(created.id, again, props).changes is False


def test_only_declared_fields_are_touched(httpserver: HTTPServer, standin: SupabaseProjectStandIn) -> None:
    standin.auth["disable_signup"] = True
    provider = settings_provider(httpserver, "auth")
    provider.create({"project_ref": REF, "settings": {"jwt_exp": 1800}})
    assert sent(standin, "PATCH") == [{"jwt_exp": 1800}]
    assert standin.auth["disable_signup"] is True


def test_integers_arrive_as_doubles_and_leave_as_integers(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn
) -> None:
    provider = settings_provider(httpserver, "auth")
    provider.create({"project_ref": REF, "settings": {"password_min_length": 12.0, "jwt_exp": 3600.0}})
    (body,) = sent(standin, "PATCH")
    assert body == {"password_min_length": 12, "jwt_exp": 3600}
    assert all(type(value) is int for value in body.values())


def test_a_field_the_api_returns_hashed_never_causes_a_diff(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn
) -> None:
    provider = settings_provider(httpserver, "auth")
    props = {"project_ref": REF, "settings": {"smtp_pass": "smtp-secret-value"}}
    outs = provider.create(props).outs
    assert outs is not None
    assert str(standin.auth["smtp_pass"]).startswith("hash:")
    assert "smtp_pass" not in outs["adopted"]
    refreshed = read_back(provider, f"{REF}/auth", outs)
    assert refreshed["settings"]["smtp_pass"] == "smtp-secret-value"
    assert provider.diff(f"{REF}/auth", refreshed, props).changes is False


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"password_min_length": 3}, "password_min_length"),
        ({"password_min_lenght": 12}, "password_min_lenght"),
        ({"password_required_characters": "abc"}, "password_required_characters"),
    ],
)
def test_a_value_the_api_refuses_is_one_line_naming_the_setting(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn, settings: dict[str, Any], named: str
) -> None:
    provider = settings_provider(httpserver, "auth")
    with pytest.raises(RuntimeError) as error:
        provider.create({"project_ref": REF, "settings": settings})
    message = str(error.value)
    assert message.startswith(
        f"supabase auth config: Supabase refused PATCH /v1/projects/{REF}/config/auth ({named}): 400"
    )
    assert "\n" not in message and TOKEN not in message
    assert error.value.__cause__ is None


def test_429_and_5xx_are_retried_with_backoff(httpserver: HTTPServer, standin: SupabaseProjectStandIn) -> None:
    standin.fail_next = [429, 503, 429]
    provider = settings_provider(httpserver, "postgrest")
    outs = provider.create(
        {"project_ref": REF, "settings": {"db_schema": "public,graphql_public", "max_rows": 1000}}
    ).outs
    assert outs is not None
    assert standin.postgrest["db_schema"] == "public,graphql_public"
    # Three refusals, then the read and the write.
    assert [r.method for r in standin.log] == ["GET", "GET", "GET", "GET", "PATCH"]


def test_the_token_is_never_in_state_outputs_messages_or_logs(
    prod_auth: dict[str, Any], httpserver: HTTPServer, standin: SupabaseProjectStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = settings_provider(httpserver, "auth")
    outs = provider.create({"project_ref": REF, "settings": prod_auth}).outs
    # The state holds the pickled provider: configured or not, it carries no token.
    assert TOKEN.encode() not in dill.dumps(provider, recurse=True)
    assert TOKEN not in json.dumps(outs)
    standin.token = "sbp_another_token_entirely_000000"
    with pytest.raises(RuntimeError) as error:
        provider.read(f"{REF}/auth", outs or {})
    assert "401 Unauthorized" in str(error.value) and TOKEN not in str(error.value)
    assert TOKEN not in caplog.text


def test_without_a_token_the_provider_says_how_to_set_it(
    prod_auth: dict[str, Any], httpserver: HTTPServer, standin: SupabaseProjectStandIn
) -> None:
    provider = dill.loads(dill.dumps(SettingsProvider("auth", httpserver.url_for("/").rstrip("/")), recurse=True))
    provider.configure(ConfigureRequest(Config({}, "newcool-infra")))
    with pytest.raises(Exception, match="pulumi config set --secret supabaseAccessToken"):
        provider.create({"project_ref": REF, "settings": prod_auth})
    assert standin.log == []


def test_network_restrictions_replace_the_whole_list_and_compare_as_sets(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn
) -> None:
    provider = settings_provider(httpserver, "network")
    declared = {"dbAllowedCidrs": ["203.0.113.10/32", "198.51.100.0/28"], "dbAllowedCidrsV6": []}
    props = {"project_ref": REF, "settings": declared}
    outs = provider.create(props).outs
    assert outs is not None and outs["adopted"] == {"dbAllowedCidrs": ["0.0.0.0/0"], "dbAllowedCidrsV6": ["::/0"]}
    assert sent(standin, "POST") == [declared]
    standin.network["dbAllowedCidrs"].reverse()
    assert provider.diff(f"{REF}/network", read_back(provider, f"{REF}/network", outs), props).changes is False
    standin.network["dbAllowedCidrs"].append("0.0.0.0/0")
    drifted = read_back(provider, f"{REF}/network", outs)
    assert provider.diff(f"{REF}/network", drifted, props).changes is True
    provider.update(f"{REF}/network", drifted, props)
    assert sent(standin, "POST")[-1] == declared, "apply replaces the whole list: every declared CIDR is sent"


def test_ssl_enforcement_and_legacy_keys_are_switched_as_the_api_takes_them(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn
) -> None:
    ssl = settings_provider(httpserver, "ssl")
    outs = ssl.create({"project_ref": REF, "settings": {"requestedConfig": {"database": True}}}).outs
    assert outs is not None and outs["adopted"] == {"requestedConfig": {"database": False}}
    assert standin.ssl_enforced is True
    legacy = settings_provider(httpserver, "legacy-keys")
    legacy.create({"project_ref": REF, "settings": {"enabled": False}})
    assert standin.legacy_keys_enabled is False
    puts = [r for r in standin.log if r.path.endswith("/api-keys/legacy") and r.method == "PUT"]
    assert [r.query for r in puts] == [{"enabled": "false"}]


def test_deleting_a_settings_resource_changes_nothing(
    prod_auth: dict[str, Any], httpserver: HTTPServer, standin: SupabaseProjectStandIn
) -> None:
    provider = settings_provider(httpserver, "auth")
    outs = provider.create({"project_ref": REF, "settings": prod_auth}).outs
    requests = len(standin.log)
    provider.delete(f"{REF}/auth", outs or {})
    assert len(standin.log) == requests
    assert standin.auth["password_min_length"] == 12


def key_provider(httpserver: HTTPServer) -> ApiKeyProvider:
    return running(ApiKeyProvider(httpserver.url_for("/").rstrip("/")))


def key_props(key_type: str, name: str, revoke: bool) -> dict[str, Any]:
    return {"project_ref": REF, "type": key_type, "name": name, "description": "test", "revoke_on_delete": revoke}


def test_api_keys_are_created_revealed_and_revoked_only_when_told(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn
) -> None:
    provider = key_provider(httpserver)
    created = provider.create(key_props("secret", "newcool_server_1", revoke=False))
    assert created.outs is not None and str(created.outs["api_key"]).startswith("sb_secret_")
    assert "·" not in created.outs["api_key"], "created with reveal=true"
    provider.delete(created.id, created.outs)
    assert any(k["name"] == "newcool_server_1" for k in standin.api_keys), "prod keeps the key"
    dev = provider.create(key_props("publishable", "newcool_app_1", revoke=True))
    provider.delete(dev.id, dev.outs or {})
    assert not any(k["name"] == "newcool_app_1" for k in standin.api_keys), "dev revokes it"
    provider.delete(dev.id, dev.outs or {})  # already revoked (by `make rotate`): gone is gone


def test_an_existing_key_of_the_same_name_is_adopted_not_duplicated(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn
) -> None:
    existing = standin._key("publishable", "newcool_app_1")
    standin.api_keys.append(existing)
    created = key_provider(httpserver).create(key_props("publishable", "newcool_app_1", revoke=False))
    assert created.id == existing["id"]
    assert created.outs is not None and created.outs["api_key"] == existing["api_key"]
    assert sent(standin, "POST") == []


def test_rotating_a_key_is_a_replacement_that_creates_the_new_key_first(httpserver: HTTPServer) -> None:
    provider = key_provider(httpserver)
    diff = provider.diff(
        "id", key_props("secret", "newcool_server_1", False), key_props("secret", "newcool_server_2", False)
    )
    assert diff.replaces == ["name"] and diff.delete_before_replace is False


def test_a_key_revoked_in_the_dashboard_reads_as_gone_so_refresh_works(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn
) -> None:
    provider = key_provider(httpserver)
    created = provider.create(key_props("secret", "newcool_server_1", revoke=False))
    assert provider.read(created.id, created.outs or {}).id == created.id
    standin.api_keys = [k for k in standin.api_keys if k["id"] != created.id]  # revoked by hand
    gone = provider.read(created.id, created.outs or {})
    assert gone.id == "" and gone.outs == {}, "an empty id tells the engine the resource is gone"


def test_network_restrictions_return_only_once_applied(httpserver: HTTPServer, standin: SupabaseProjectStandIn) -> None:
    standin.reads_until_applied = 3
    provider = settings_provider(httpserver, "network")
    provider.create({"project_ref": REF, "settings": {"dbAllowedCidrs": ["203.0.113.10/32"], "dbAllowedCidrsV6": []}})
    assert standin.network_status == "applied", "create returned while the list was only stored"
    reads = [r for r in standin.log if r.method == "GET" and r.path.endswith("/network-restrictions")]
    assert len(reads) >= 3


def test_ssl_enforcement_returns_only_once_the_restarted_database_is_healthy(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn
) -> None:
    standin.health_checks_while_restarting = 3
    settings_provider(httpserver, "ssl").create(
        {"project_ref": REF, "settings": {"requestedConfig": {"database": True}}}
    )
    assert standin.restarting_for == 0, "create returned while the database was still coming up"
    assert len([r for r in standin.log if r.path.endswith("/health")]) == 4


def test_a_change_that_never_applies_is_one_line_saying_so(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supabase_settings, "APPLY_TIMEOUT_SECONDS", 0.05)
    standin.reads_until_applied = 10_000
    with pytest.raises(RuntimeError) as raised:
        settings_provider(httpserver, "network").create(
            {"project_ref": REF, "settings": {"dbAllowedCidrs": ["203.0.113.10/32"], "dbAllowedCidrsV6": []}}
        )
    assert str(raised.value).startswith("supabase network restrictions: Supabase stored the network restrictions")
    assert "\n" not in str(raised.value)


def test_the_backups_view_reads_pitr_and_the_latest_completed_backup(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn
) -> None:
    provider = running(BackupsProvider(httpserver.url_for("/").rstrip("/")))
    outs = provider.create({"project_ref": REF}).outs
    assert outs is not None
    assert outs["pitr_enabled"] is False and outs["walg_enabled"] is True
    assert outs["completed_backups"] == 2 and outs["latest_backup_at"] == "2026-11-25T03:00:00Z"
    assert [r.method for r in standin.log] == ["GET"], "the view never changes anything"


def test_the_standin_refuses_what_the_api_document_refuses(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn
) -> None:
    url = httpserver.url_for(f"/v1/projects/{REF}/postgrest")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.patch(url, json={"max_rows": -1}, headers=headers).status_code == 400
    assert httpx.patch(url, json={"maxRows": 10}, headers=headers).status_code == 400
    assert httpx.patch(url, json={"max_rows": 10}).status_code == 401
    assert httpx.patch(url, json={"max_rows": 10}, headers=headers).status_code == 200


def pitr_provider(httpserver: HTTPServer) -> PitrAddonProvider:
    return running(PitrAddonProvider(httpserver.url_for("/").rstrip("/")))


def test_point_in_time_recovery_is_bought_as_declared_and_drift_shows(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn
) -> None:
    provider = pitr_provider(httpserver)
    props = {"project_ref": REF, "variant": "pitr_7", "waiver": None}
    created = provider.create(props)
    assert standin.pitr == "pitr_7"
    assert sent(standin, "PATCH") == [{"addon_type": "pitr", "addon_variant": "pitr_7"}]
    standin.pitr = None  # switched off in the dashboard
    refreshed = provider.read(created.id, created.outs or {}).outs or {}
    assert refreshed["live_variant"] == "none"
    assert provider.diff(created.id, refreshed, props).changes is True
    provider.update(created.id, refreshed, props)
    assert standin.pitr == "pitr_7"


def test_without_pitr_declared_nothing_is_bought_or_removed(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn
) -> None:
    standin.pitr = "pitr_14"  # bought by someone: the stack never removes it
    waiver = {"reason": "dev data only", "until": "2027-01-31"}
    created = pitr_provider(httpserver).create({"project_ref": REF, "variant": "none", "waiver": waiver})
    assert sent(standin, "PATCH") == []
    assert (created.outs or {})["live_variant"] == "pitr_14"
    pitr_provider(httpserver).delete(created.id, created.outs or {})
    assert standin.pitr == "pitr_14"


def test_pitr_the_plan_cannot_have_is_one_line(httpserver: HTTPServer, standin: SupabaseProjectStandIn) -> None:
    standin.plan = "free"
    with pytest.raises(RuntimeError) as raised:
        pitr_provider(httpserver).create({"project_ref": REF, "variant": "pitr_7", "waiver": None})
    assert str(raised.value).startswith("supabase point-in-time recovery:")
    assert "requires the Pro plan" in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.parametrize("outage", ["503", "502", "refused"])
def test_ninety_seconds_of_outage_during_the_ssl_restart_is_ridden_out(
    httpserver: HTTPServer, standin: SupabaseProjectStandIn, monkeypatch: pytest.MonkeyPatch, outage: str
) -> None:
    """The restart SSL enforcement causes may answer 503 (or nothing) for a while: "not yet"."""
    clock = install_virtual_time(monkeypatch)
    monkeypatch.setattr(supabase_settings, "POLL_SECONDS", 5.0)
    health = f"/v1/projects/{REF}/health"
    network = NetworkFaults(clock).install(monkeypatch)
    standin.faults = Faults(clock, standin.spec)
    if outage == "refused":
        network.refuse(health, 90)
    else:
        standin.faults.window("GET", health, 90, server_error(int(outage)))
    enforced = {"project_ref": REF, "settings": {"requestedConfig": {"database": True}}}
    settings_provider(httpserver, "ssl").create(enforced)
    assert standin.ssl_enforced and standin.restarting_for == 0
    assert clock.now >= 90 and (network.events or standin.faults.faulted), "the polls met the outage"
