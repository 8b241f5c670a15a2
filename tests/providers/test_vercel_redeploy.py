"""The production redeploy against a stand-in of Vercel's deployments API held to Vercel's own
OpenAPI document: nothing on adoption, a READY redeploy when a variable changed, and a failed
build fails the `up` (so the next one retries)."""

from __future__ import annotations

from collections.abc import Iterator

import dill
import httpx
import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pytest_httpserver import HTTPServer

from clients import vercel
from clients.vercel import redeploy_marker
from providers import vercel_redeploy
from providers.vercel_redeploy import TOKEN_CONFIG_KEY, ProductionRedeployProvider
from tests.standins.faults import (
    Faults,
    LostReply,
    NetworkFaults,
    install_virtual_time,
    server_error,
    vercel_rate_limited,
)
from tests.standins.openapi import vercel_spec
from tests.standins.vendors import VercelTeamStandIn

TOKEN = "vercel-token-not-to-print"
TEAM_ID = "team_newcool"
PROJECT_ID = "prj_newcoolapi"
LIVE = "dpl_live"
PROPS = {"project_id": PROJECT_ID, "project_name": "newcool-api", "team_id": TEAM_ID, "deployment_id": None}


@pytest.fixture
def team(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[VercelTeamStandIn]:
    install_virtual_time(monkeypatch)  # polls and retries wait in virtual time
    standin = VercelTeamStandIn(vercel_spec(), token=TOKEN, team_id=TEAM_ID)
    standin.projects["newcool-api"] = {"id": PROJECT_ID, "domains": ["api.newcool.io"], "envs": []}
    standin.deployments[LIVE] = {"projectId": PROJECT_ID, "target": "production", "readyState": "READY"}
    standin.projects["newcool-api"] = {"id": PROJECT_ID, "domains": [], "envs": []}
    standin.install(httpserver)
    yield standin
    assert standin.broken_answers == [], "the stand-in answered what the API document does not allow"


def running(httpserver: HTTPServer) -> ProductionRedeployProvider:
    """The provider as the engine runs it: unpickled from the state, then configured."""
    provider = ProductionRedeployProvider(httpserver.url_for("/").rstrip("/"))
    restored: ProductionRedeployProvider = dill.loads(dill.dumps(provider, recurse=True))
    restored.configure(ConfigureRequest(Config({TOKEN_CONFIG_KEY: TOKEN}, "vercel")))
    return restored


def test_adopting_records_the_version_and_deploys_nothing(httpserver: HTTPServer, team: VercelTeamStandIn) -> None:
    created = running(httpserver).create({**PROPS, "variables_version": "v1"})
    assert created.outs is not None and created.outs["variables_version"] == "v1"
    assert team.log == []


def test_a_changed_variable_redeploys_production_and_waits_until_ready(
    httpserver: HTTPServer, team: VercelTeamStandIn
) -> None:
    provider = running(httpserver)
    olds, news = {**PROPS, "variables_version": "v1"}, {**PROPS, "variables_version": "v2"}
    assert provider.diff("id", olds, news).changes
    outs = provider.update("id", olds, news).outs
    assert outs is not None
    new = outs["deployment_id"]
    assert team.deployments[new] == {
        "projectId": PROJECT_ID, "target": "production", "readyState": "READY", "redeployOf": LIVE, "polls": 2,
        "env": {}, "meta": {"newcoolRedeploy": redeploy_marker("v2", LIVE), "newcoolRedeployValues": "v2"},
    }  # fmt: skip
    # What serves production is read, a rebuild of it an earlier `up` made for these values is
    # looked for, then it is rebuilt.
    assert team.log[:3] == [f"GET /v9/projects/{PROJECT_ID}", "GET /v6/deployments", "POST /v13/deployments"]
    # Polled until READY; Vercel promoted it by itself (no rollback), so nothing more is sent.
    assert team.log[3:] == [f"GET /v13/deployments/{new}"] * 2 + [f"GET /v9/projects/{PROJECT_ID}"]


def test_after_an_instant_rollback_a_variable_change_rebuilds_the_rolled_back_to_deployment(
    httpserver: HTTPServer, team: VercelTeamStandIn
) -> None:
    # A bad deployment went out after LIVE and READY; someone rolled production back to LIVE.
    team.deployments["dpl_bad"] = {"projectId": PROJECT_ID, "target": "production", "readyState": "READY"}
    team.instant_rollback(PROJECT_ID, LIVE)
    provider = running(httpserver)
    outs = provider.update("id", {**PROPS, "variables_version": "v1"}, {**PROPS, "variables_version": "v2"}).outs
    assert outs is not None
    rebuilt = team.deployments[outs["deployment_id"]]
    assert rebuilt["redeployOf"] == LIVE, "the redeploy rebuilt the deployment rolled away from"
    assert rebuilt["readyState"] == "READY"
    # Vercel stops promoting production builds after a rollback: the rebuild is promoted, so the
    # changed variable reaches what serves the domain.
    assert team.serving(PROJECT_ID) == outs["deployment_id"]
    assert team.log[-1] == f"POST /v10/projects/{PROJECT_ID}/promote/{outs['deployment_id']}"


def test_a_reverted_variable_set_rebuilds_what_serves_never_the_old_build_made_for_it(
    httpserver: HTTPServer, team: VercelTeamStandIn
) -> None:
    """v1 -> v2 -> v1: the build made for v1 the first time is older code; the revert must rebuild
    what serves production now with the v1 values, never promote that old build again."""
    provider = running(httpserver)
    first = provider.update("id", {**PROPS, "variables_version": "v0"}, {**PROPS, "variables_version": "v1"}).outs
    assert first is not None
    built_for_v1 = first["deployment_id"]
    # New code goes out from git (a production deployment Vercel makes and serves).
    team.deployments["dpl_git"] = {"projectId": PROJECT_ID, "target": "production", "readyState": "READY"}
    second = provider.update("id", {**PROPS, "variables_version": "v1"}, {**PROPS, "variables_version": "v2"}).outs
    assert second is not None and team.deployments[second["deployment_id"]]["redeployOf"] == "dpl_git"
    reverted = provider.update("id", {**PROPS, "variables_version": "v2"}, {**PROPS, "variables_version": "v1"}).outs
    assert reverted is not None and reverted["deployment_id"] != built_for_v1, "the old v1 build came back"
    assert team.serving(PROJECT_ID) == reverted["deployment_id"]
    assert team.deployments[reverted["deployment_id"]]["redeployOf"] == second["deployment_id"], (
        "the revert rebuilt what served production (the new code), with the v1 values"
    )
    assert f"POST /v10/projects/{PROJECT_ID}/promote/{built_for_v1}" not in team.log


def test_an_unchanged_version_neither_diffs_nor_deploys(httpserver: HTTPServer, team: VercelTeamStandIn) -> None:
    provider = running(httpserver)
    same = {**PROPS, "variables_version": "v1"}
    assert not provider.diff("id", same, dict(same)).changes
    provider.update("id", same, {**same, "project_name": "newcool-api"})
    assert team.log == []


@pytest.mark.parametrize("ending", ["ERROR", "CANCELED"])
def test_a_failed_build_fails_the_update_in_one_line(
    httpserver: HTTPServer, team: VercelTeamStandIn, ending: str
) -> None:
    team.build_states = ["QUEUED", "BUILDING", ending]
    provider = running(httpserver)
    with pytest.raises(RuntimeError) as failure:
        provider.update("id", {**PROPS, "variables_version": "v1"}, {**PROPS, "variables_version": "v2"})
    assert str(failure.value) == f"vercel production redeploy: deployment dpl_2 ended {ending}"
    assert TOKEN not in str(failure.value)


def test_a_build_that_never_finishes_fails_the_update_instead_of_waiting_forever(
    httpserver: HTTPServer, team: VercelTeamStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    team.build_states = ["QUEUED", "BUILDING"]
    clock = install_virtual_time(monkeypatch)
    with pytest.raises(
        RuntimeError, match=r"^vercel production redeploy: deployment dpl_2 not READY within 900 s \(last: BUILDING\)$"
    ):
        running(httpserver).update("id", {**PROPS, "variables_version": "v1"}, {**PROPS, "variables_version": "v2"})
    assert clock.now == vercel.BUILD_TIMEOUT_SECONDS


def test_a_project_without_a_production_deployment_has_nothing_to_redeploy(
    httpserver: HTTPServer, team: VercelTeamStandIn
) -> None:
    team.deployments.clear()
    outs = (
        running(httpserver)
        .update("id", {**PROPS, "variables_version": "v1"}, {**PROPS, "variables_version": "v2"})
        .outs
    )
    assert outs is not None and outs["deployment_id"] is None
    assert team.log == [f"GET /v9/projects/{PROJECT_ID}"]


def test_the_token_never_reaches_the_state(httpserver: HTTPServer) -> None:
    assert TOKEN.encode() not in dill.dumps(running(httpserver), recurse=True)


def test_a_refused_token_is_one_line_without_it(httpserver: HTTPServer, team: VercelTeamStandIn) -> None:
    provider = ProductionRedeployProvider(httpserver.url_for("/").rstrip("/"))
    provider.configure(ConfigureRequest(Config({TOKEN_CONFIG_KEY: "wrong-token-secret"}, "vercel")))
    with pytest.raises(RuntimeError) as failure:
        provider.update("id", {**PROPS, "variables_version": "v1"}, {**PROPS, "variables_version": "v2"})
    refused = f"vercel production redeploy: Vercel refused GET /v9/projects/{PROJECT_ID}: 403"
    assert str(failure.value).startswith(refused)
    assert "wrong-token" not in str(failure.value)


def test_an_explicit_token_in_the_environment_wins_over_the_stacks_config(
    httpserver: HTTPServer, team: VercelTeamStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drift hands the providers a narrower token than the ESC environment's: that one is used."""
    team.token = "read-only-token-given-to-the-job"
    monkeypatch.setenv(vercel_redeploy.TOKEN_ENVIRONMENT, "read-only-token-given-to-the-job")
    provider = running(httpserver)  # configured with the stack's TOKEN
    outs = provider.update("id", {**PROPS, "variables_version": "v1"}, {**PROPS, "variables_version": "v2"}).outs
    assert outs is not None and outs["deployment_id"] is not None
    monkeypatch.delenv(vercel_redeploy.TOKEN_ENVIRONMENT)
    with pytest.raises(RuntimeError, match="403"):
        provider.update("id", {**PROPS, "variables_version": "v2"}, {**PROPS, "variables_version": "v3"})


def redeploys(team: VercelTeamStandIn) -> list[str]:
    return [id_ for id_, d in team.deployments.items() if d.get("redeployOf")]


@pytest.mark.parametrize("lost", ["timeout", "reset", "502"])
def test_a_redeploy_whose_reply_is_lost_builds_once_even_across_a_second_up(
    httpserver: HTTPServer, team: VercelTeamStandIn, monkeypatch: pytest.MonkeyPatch, lost: str
) -> None:
    clock = install_virtual_time(monkeypatch)
    if lost == "502":
        team.faults = Faults(clock, vercel_spec(), lost=[LostReply("POST", "/v13/deployments", 502)])
    else:
        error = httpx.ReadTimeout if lost == "timeout" else httpx.ReadError
        NetworkFaults(clock).install(monkeypatch).lose_reply("POST", "/v13/deployments", error)
    olds, news = {**PROPS, "variables_version": "v1"}, {**PROPS, "variables_version": "v2"}
    outs = running(httpserver).update("id", olds, news).outs
    assert outs is not None and redeploys(team) == [outs["deployment_id"]], "one build, adopted"
    assert team.log.count("POST /v13/deployments") == 1
    # The engine retries a step whose result it never recorded: the next `up` runs the same update.
    again = running(httpserver).update("id", olds, news).outs
    assert again is not None and again["deployment_id"] == outs["deployment_id"]
    assert len(redeploys(team)) == 1 and team.log.count("POST /v13/deployments") == 1


def test_a_vercel_rate_limit_window_with_an_epoch_reset_is_waited_out(
    httpserver: HTTPServer, team: VercelTeamStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = install_virtual_time(monkeypatch)
    team.faults = Faults(clock, vercel_spec())
    team.faults.window("*", r"/v(6|13)/deployments.*", 50, vercel_rate_limited)
    outs = running(httpserver).update("id", {**PROPS, "variables_version": "v1"}, {**PROPS, "variables_version": "v2"})
    assert outs.outs is not None and team.deployments[outs.outs["deployment_id"]]["readyState"] == "READY"
    assert team.faults.faulted == ["GET /v6/deployments"], "one 429, then the wait until the reset it named"
    assert 50 <= clock.now < 60 and clock.slept[0] == 50


@pytest.mark.parametrize("outage", ["502", "503", "refused"])
def test_ninety_seconds_of_outage_while_the_build_is_polled_is_ridden_out(
    httpserver: HTTPServer, team: VercelTeamStandIn, monkeypatch: pytest.MonkeyPatch, outage: str
) -> None:
    clock = install_virtual_time(monkeypatch)
    network = NetworkFaults(clock).install(monkeypatch)
    team.faults = Faults(clock, vercel_spec())
    polls = r"/v13/deployments/.+"  # the build's state; the create and the lookups are not affected
    if outage == "refused":
        network.refuse(polls, 90)
    else:
        team.faults.window("GET", polls, 90, server_error(int(outage)))
    outs = running(httpserver).update("id", {**PROPS, "variables_version": "v1"}, {**PROPS, "variables_version": "v2"})
    assert outs.outs is not None and team.deployments[outs.outs["deployment_id"]]["readyState"] == "READY"
    assert clock.now >= 90, "the outage lasted 90 s of virtual time"
    assert network.events if outage == "refused" else team.faults.faulted, "the polls met the outage"
    assert len(redeploys(team)) == 1
