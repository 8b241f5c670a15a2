"""A review environment's providers against stand-ins of Supabase branching, Vercel and Upstash
(held to specs/), with a real PostgreSQL 15 standing in for the branch's database: create,
ready, migrate and test, wire, rebuild; a re-run after a kill at each step; and close."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import dill
import psycopg
import pytest
from pulumi.dynamic import Config, ConfigureRequest, ResourceProvider
from pytest_httpserver import HTTPServer

from components.review_environment import REVIEW_VARIABLES, BranchVariableDeclaration
from db_migrations import discover
from db_migrations.seed import SEED_ROWS
from localdb import pgtap
from localdb.cluster import COMPAT_SQL, MIGRATION_USER, PostgresCluster, running_cluster
from preview.engine import run_program
from providers import supabase_branch
from providers.database_seed import DatabaseSeedProvider
from providers.schema_migrations import SchemaMigrationsProvider
from providers.supabase_branch import Readiness, SupabaseBranchProvider
from providers.supabase_keys import ApiKeyProvider
from providers.supabase_settings import SettingsProvider
from providers.upstash_database import UpstashDatabaseProvider
from providers.vercel_branch import BranchRebuildProvider, BranchVariableProvider
from tests.standins.faults import VirtualClock
from tests.standins.openapi import upstash_spec
from tests.standins.review_vendors import (
    ReviewUpstashStandIn,
    ReviewVercelStandIn,
    SupabaseBranchingStandIn,
    vercel_review_spec,
)

pytestmark = pytest.mark.sql
PARENT = "devnewcoolprojectaaa"
SUPABASE_TOKEN = "sbp_0123456789abcdef0123456789abcdef01234567"
VERCEL_TOKEN = "vercel-test-token"
TEAM = "team_N3wC00lT3amId"
PROJECT = "prj_devproject"
GIT_BRANCH = "feature/login"
CONFIG = {
    "newcool-infra:supabaseAccessToken": SUPABASE_TOKEN,
    "vercel:apiToken": VERCEL_TOKEN,
    "upstash:email": "ops@newcool.io",
    "upstash:apiKey": "upstash-key",
}


@pytest.fixture(scope="module")
def branch_database() -> Iterator[PostgresCluster]:
    """A cluster whose `postgres` database is as a new branch's is (Supabase's roles and schemas)."""
    with running_cluster() as cluster:
        with cluster.admin() as connection:
            connection.execute(COMPAT_SQL.read_bytes())
            connection.execute(f"alter database postgres owner to {MIGRATION_USER}".encode())
        yield cluster


@dataclass
class Vendors:
    supabase: SupabaseBranchingStandIn
    vercel: ReviewVercelStandIn
    upstash: ReviewUpstashStandIn
    url: str
    cluster: PostgresCluster
    planned: dict[str, dict[str, Any]]
    state: dict[str, dict[str, Any]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def planned() -> dict[str, dict[str, Any]]:
    """Each review resource's inputs as the component sends them (pr-7's plan, its git branch the
    app's): what the engine hands the providers, other resources' outputs aside."""
    plan = run_program("pr-7", {"reviewGitBranch": GIT_BRANCH})
    return {
        r.name: {key: value for key, value in r.props.items() if key != "__provider"}
        for r in plan.registrations
        if r.type.startswith("pulumi-python:dynamic/")
    }


@pytest.fixture
def vendors(
    httpserver: HTTPServer,
    branch_database: PostgresCluster,
    planned: dict[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Vendors]:
    monkeypatch.setattr(supabase_branch, "POLL_SECONDS", 0.0)
    monkeypatch.setattr(supabase_branch, "READY_TIMEOUT_SECONDS", 20.0)  # a wrong host fails, not hangs
    database = {"db_host": "127.0.0.1", "db_port": branch_database.port, "db_user": MIGRATION_USER, "db_pass": ""}
    supabase = SupabaseBranchingStandIn(PARENT, SUPABASE_TOKEN, database)
    vercel = ReviewVercelStandIn(vercel_review_spec(), token=VERCEL_TOKEN, team_id=TEAM)
    vercel.projects["newcool-api-dev"] = {"id": PROJECT, "domains": [], "envs": []}
    # The app's branch was pushed: Vercel built a preview of it before the variables existed.
    vercel.deployments["dpl_branch"] = {"projectId": PROJECT, "target": "preview", "readyState": "READY",
                                        "branch": GIT_BRANCH, "env": {}}  # fmt: skip
    upstash = ReviewUpstashStandIn(upstash_spec(), email=CONFIG["upstash:email"], api_key=CONFIG["upstash:apiKey"])
    supabase.install(httpserver)
    vercel.install(httpserver)
    upstash.install(httpserver)
    yield Vendors(supabase, vercel, upstash, httpserver.url_for("/").rstrip("/"), branch_database, planned)
    assert supabase.broken_answers == vercel.broken_answers == upstash.broken_answers == []
    # The project-wide trap and the parent-changing calls were never made.
    assert not any(line.endswith(("/merge", "/push", "/reset")) for line in supabase.log)
    assert f"DELETE /v1/projects/{PARENT}/branches" not in supabase.log


def running(provider: ResourceProvider) -> Any:
    """As the engine runs a provider: unpickled from the state, then configured."""
    restored = dill.loads(dill.dumps(provider, recurse=True))
    restored.configure(ConfigureRequest(Config(CONFIG, "newcool-infra")))
    return restored


def steps(v: Vendors) -> list[tuple[str, Any]]:
    """The review environment's resources in the order the engine creates them (its dependencies)."""

    def branch() -> dict[str, Any]:
        """Read when the step runs."""
        return v.state["branch"]

    values: dict[str, Callable[[], Any]] = {
        "supabase_url": lambda: branch()["url"],
        "publishable_key": lambda: v.state["publishable-key"]["api_key"],
        "secret_key": lambda: v.state["secret-key"]["api_key"],
        "cache_rest_url": lambda: v.state["cache"]["rest_url"],
        "cache_rest_token": lambda: v.state["cache"]["rest_token"],
        "media_prefix": lambda: "pr-7/",
    }
    planned = v.planned

    def on_branch(name: str, **outputs: Callable[[], Any]) -> dict[str, Any]:
        """The plan's inputs, with the outputs of resources made before (known only at run time)."""
        return {**planned[name], **{key: value() for key, value in outputs.items()}}

    ref, url = (lambda: branch()["branch_ref"]), (lambda: branch()["database_url"])
    listed: list[tuple[str, Any]] = [
        # The local PostgreSQL standing in for the branch has no TLS: the one input changed.
        ("branch", lambda: running(SupabaseBranchProvider(v.url)).create({**planned["branch"], "ssl_mode": "disable"})),
        ("publishable-key",
         lambda: running(ApiKeyProvider(v.url)).create(on_branch("publishable-key", project_ref=ref))),
        ("secret-key", lambda: running(ApiKeyProvider(v.url)).create(on_branch("secret-key", project_ref=ref))),
        ("auth", lambda: running(SettingsProvider("auth", v.url)).create(on_branch("auth", project_ref=ref))),
        ("migrations", lambda: SchemaMigrationsProvider().create(on_branch("migrations", database_url=url))),
        ("seed", lambda: DatabaseSeedProvider().create(on_branch("seed", database_url=url))),
        ("cache", lambda: running(UpstashDatabaseProvider(v.url + "/v2")).create(dict(planned["cache"]))),
    ]  # fmt: skip

    def variable(d: BranchVariableDeclaration) -> Any:
        return running(BranchVariableProvider(v.url)).create(
            {"project_id": PROJECT, "team_id": TEAM, "key": d.key, "value": values[d.value_from](),
             "git_branch": GIT_BRANCH, "sensitive": d.sensitive, "review": "pr-7"})  # fmt: skip

    listed += [(declared.key, functools.partial(variable, declared)) for declared in REVIEW_VARIABLES]
    listed.append(("rebuild", lambda: running(BranchRebuildProvider(v.url)).create(
        {"project_id": PROJECT, "project_name": "newcool-api-dev", "team_id": TEAM, "git_branch": GIT_BRANCH,
         "variables_version": "digest-1"})))  # fmt: skip
    return listed


def up(v: Vendors, killed_after_acting_in: str | None = None) -> None:
    """`pulumi up`: each step's outputs recorded as it finishes. A kill while a step runs leaves
    what it did on the vendor's side with nothing in the state; the re-run creates it again."""
    for name, create in steps(v):
        if name in v.state:
            continue
        result = create()
        if name == killed_after_acting_in:
            return
        v.state[name] = dict(result.outs or {})
        v.state[name]["__id"] = result.id


def database_rows(v: Vendors, sql: str) -> Any:
    with psycopg.connect(v.cluster.url()) as connection:
        row = connection.execute(sql.encode()).fetchone()
        return row[0] if row else None


def assert_one_environment(v: Vendors) -> None:
    assert [b.name for b in v.supabase.branches.values()] == ["pr-7"]
    branch = next(iter(v.supabase.branches.values()))
    assert sorted((k["type"], k["name"]) for k in branch.project.api_keys) == [
        ("publishable", "newcool_review_app"), ("secret", "newcool_review_server")]  # fmt: skip
    assert [d["database_name"] for d in v.upstash.databases] == ["newcool-pr-7"]
    envs = v.vercel.variables(PROJECT)
    assert sorted(e["key"] for e in envs) == sorted(d.key for d in REVIEW_VARIABLES)
    assert all(e["gitBranch"] == GIT_BRANCH and e["target"] == ["preview"] for e in envs)
    rebuilds = [d for d in v.vercel.deployments.values() if d.get("redeployOf") == "dpl_branch"]
    assert len(rebuilds) == 1
    assert database_rows(v, "select count(*) from public.modules where slug like 'demo-%'") == 3


def test_create_ready_migrate_test_wire_and_rebuild(vendors: Vendors) -> None:
    up(vendors)
    branch = vendors.state["branch"]
    # Ready only after the action run, ACTIVE_HEALTHY and a first connection.
    assert next(iter(vendors.supabase.branches.values())).polls >= vendors.supabase.polls_until_ready
    # Through the session pooler, never the direct host (IPv6 only; runners have IPv4 only).
    assert f"db.{branch['branch_ref']}.supabase.co" not in branch["database_url"]
    assert f"@127.0.0.1:{vendors.cluster.port}/" in branch["database_url"]
    assert branch["url"] == f"https://{branch['branch_ref']}.supabase.co"
    assert vendors.state["migrations"]["last_applied"] == [m.version for m in discover()]
    auth = next(iter(vendors.supabase.branches.values())).project.auth
    preview_url = vendors.planned["auth"]["settings"]["site_url"]
    assert "feature-login" in preview_url and auth["uri_allow_list"] == f"{preview_url}/**"
    assert_one_environment(vendors)
    # The rebuild has the branch's own database and cache, not dev's.
    rebuild = next(d for d in vendors.vercel.deployments.values() if d.get("redeployOf") == "dpl_branch")
    assert rebuild["env"]["NEXT_PUBLIC_SUPABASE_URL"] == branch["url"]
    assert rebuild["env"]["UPSTASH_REDIS_REST_TOKEN"] == vendors.upstash.databases[0]["rest_token"]
    # The pgTAP suite passes on the branch, its seed set aside inside each file's transaction.
    result = pgtap.pg_prove_url(branch["database_url"], set_aside=SEED_ROWS)
    assert result.passed, result.output
    assert len(result.assertions) > 100
    assert database_rows(vendors, "select count(*) from public.modules where slug like 'demo-%'") == 3


KILL_POINTS = ["branch", "publishable-key", "secret-key", "auth", "migrations", "seed", "cache",
               "NEXT_PUBLIC_SUPABASE_URL", "UPSTASH_REDIS_REST_TOKEN", "rebuild"]  # fmt: skip


@pytest.mark.parametrize("killed_in", KILL_POINTS)
def test_a_rerun_after_a_kill_at_each_step_creates_nothing_twice(vendors: Vendors, killed_in: str) -> None:
    up(vendors, killed_after_acting_in=killed_in)
    up(vendors)
    assert_one_environment(vendors)


def test_a_lost_create_answer_adopts_what_the_first_attempt_made(vendors: Vendors) -> None:
    vendors.supabase.lose_create_answer = True
    vendors.upstash.lose_create_answer = True
    # The rebuild's reply lost after Vercel started it: found by its meta, not sent again.
    vendors.vercel.lose_rebuild_answer = True
    up(vendors)
    assert_one_environment(vendors)


def test_on_close_everything_is_gone(vendors: Vendors) -> None:
    up(vendors)
    # `pulumi destroy`: dependents first.
    for declared in REVIEW_VARIABLES:
        outs = vendors.state[declared.key]
        running(BranchVariableProvider(vendors.url)).delete(outs["__id"], outs)
    running(UpstashDatabaseProvider(vendors.url + "/v2")).delete(vendors.state["cache"]["__id"], vendors.state["cache"])
    branch = vendors.state["branch"]
    running(SupabaseBranchProvider(vendors.url)).delete(branch["__id"], branch)
    assert vendors.supabase.branches == {} and vendors.upstash.databases == []
    assert vendors.vercel.variables(PROJECT) == []
    # Deleting again (a re-run of the destroy) and reading what is gone both answer "gone".
    running(SupabaseBranchProvider(vendors.url)).delete(branch["__id"], branch)
    assert running(SupabaseBranchProvider(vendors.url)).read(branch["__id"], branch).id == ""


BRANCH_PROPS = {"parent_ref": PARENT, "branch_name": "pr-7", "git_branch": GIT_BRANCH, "instance_size": "micro",
                "ssl_mode": "disable"}  # fmt: skip


def test_a_branch_stuck_creating_fails_in_one_line_at_the_deadline(
    vendors: Vendors, monkeypatch: pytest.MonkeyPatch
) -> None:
    vendors.supabase.stuck = True
    provider = running(SupabaseBranchProvider(vendors.url))
    monkeypatch.setattr(supabase_branch, "POLL_SECONDS", 60.0)
    with provider.api() as api:
        branch = api.create("POST", f"/v1/projects/{PARENT}/branches", json={"branch_name": "pr-7"},
                            find_existing=lambda: None)  # fmt: skip
        # Virtual time: each poll's sleep moves it a minute on, instantly.
        virtual = VirtualClock()
        api.clock = virtual.clock()
        with pytest.raises(supabase_branch.BranchStuckError) as failed:
            Readiness(api, "disable", 1200.0).wait(branch["project_ref"])
    message = str(failed.value)
    assert "\n" not in message and "not usable within 1200 s" in message and "action run step" in message
    assert virtual.now >= 1200 and set(virtual.slept) == {60.0}


@pytest.mark.parametrize("fault", ["stuck", "dead"])
def test_an_unusable_branch_is_removed_so_the_next_push_makes_a_fresh_one(vendors: Vendors, fault: str) -> None:
    setattr(vendors.supabase, fault, True)
    with pytest.raises(RuntimeError) as failed:
        running(SupabaseBranchProvider(vendors.url, deadline_seconds=0.0)).create(dict(BRANCH_PROPS))
    message = str(failed.value)
    assert "\n" not in message and message.endswith("removed it: a re-run creates a fresh one")
    assert vendors.supabase.branches == {}
    setattr(vendors.supabase, fault, False)
    made = running(SupabaseBranchProvider(vendors.url)).create(dict(BRANCH_PROPS))
    assert [b.ref for b in vendors.supabase.branches.values()] == [made.id]


def test_a_branch_scheduled_for_deletion_is_not_adopted(vendors: Vendors) -> None:
    up(vendors)
    old = next(iter(vendors.supabase.branches.values()))
    old.deletion_scheduled_at = "2026-12-01T11:00:00Z"
    made = running(SupabaseBranchProvider(vendors.url)).create(dict(BRANCH_PROPS))
    assert made.id != old.ref and made.id in vendors.supabase.branches


def test_the_session_pooler_is_taken_even_when_the_project_defaults_to_transaction_mode() -> None:
    ref = "abcdefghijklmnopqrst"
    listed = [{"database_type": "READ_REPLICA", "db_host": "replica.example", "db_port": 6543, "db_user": "x"},
              {"database_type": "PRIMARY", "db_host": "aws-0-us-east-2.pooler.supabase.com", "db_port": 6543,
               "db_user": f"postgres.{ref}", "pool_mode": "transaction"}]  # fmt: skip
    pooler = supabase_branch.session_pooler(listed)
    url = supabase_branch.database_url(pooler, "p@ss/word", "require")
    assert url == (
        f"postgresql://postgres.{ref}:p%40ss%2Fword@aws-0-us-east-2.pooler.supabase.com:5432/postgres?sslmode=require"
    )
    with pytest.raises(supabase_branch.NotReadyError):
        supabase_branch.session_pooler([])


def test_without_an_app_preview_of_the_branch_every_up_looks_again(vendors: Vendors) -> None:
    props = {"project_id": PROJECT, "project_name": "newcool-api-dev", "team_id": TEAM, "git_branch": "not-pushed",
             "variables_version": "digest-1"}  # fmt: skip
    provider = running(BranchRebuildProvider(vendors.url))
    made = provider.create(dict(props))
    assert made.outs["deployment_id"] is None
    assert provider.diff(made.id, made.outs, dict(props)).changes
    # The app's branch is pushed: the next up rebuilds it with the variables, then rests.
    vendors.vercel.deployments["dpl_late"] = {"projectId": PROJECT, "target": "preview", "readyState": "READY",
                                              "branch": "not-pushed", "env": {}}  # fmt: skip
    updated = provider.update(made.id, made.outs, dict(props)).outs or {}
    assert updated["deployment_id"] not in (None, "dpl_late")
    assert not provider.diff(made.id, updated, dict(props)).changes


def test_a_failed_newest_preview_is_not_what_gets_rebuilt(vendors: Vendors) -> None:
    vendors.vercel.deployments["dpl_broken"] = {"projectId": PROJECT, "target": "preview", "readyState": "ERROR",
                                                "branch": GIT_BRANCH, "env": {}}  # fmt: skip
    props = {"project_id": PROJECT, "project_name": "newcool-api-dev", "team_id": TEAM, "git_branch": GIT_BRANCH,
             "variables_version": "digest-1"}  # fmt: skip
    made = running(BranchRebuildProvider(vendors.url)).create(props)
    assert vendors.vercel.deployments[made.outs["deployment_id"]]["redeployOf"] == "dpl_branch"


def test_a_rebuild_for_these_variables_that_failed_is_built_again_not_adopted(vendors: Vendors) -> None:
    props = {"project_id": PROJECT, "project_name": "newcool-api-dev", "team_id": TEAM, "git_branch": GIT_BRANCH,
             "variables_version": "digest-1"}  # fmt: skip
    provider = running(BranchRebuildProvider(vendors.url))
    first = provider.create(dict(props)).outs["deployment_id"]
    # That build ended ERROR (the up that made it was killed before it knew): the next up rebuilds.
    vendors.vercel.deployments[first]["readyState"] = "ERROR"
    again = provider.create(dict(props)).outs["deployment_id"]
    assert again != first and vendors.vercel.deployments[again]["redeployOf"] == "dpl_branch"
    # A good one is adopted as it is.
    assert provider.create(dict(props)).outs["deployment_id"] == again
    meta = vendors.vercel.deployments[again]["meta"]
    assert meta == {"newcoolVariables": "digest-1", "newcoolRebuildOf": "dpl_branch"}


def test_an_explicit_upstash_credential_in_the_environment_wins_over_the_stacks_config(
    vendors: Vendors, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPSTASH_EMAIL", CONFIG["upstash:email"])
    monkeypatch.setenv("UPSTASH_API_KEY", CONFIG["upstash:apiKey"])
    provider = dill.loads(dill.dumps(UpstashDatabaseProvider(vendors.url + "/v2"), recurse=True))
    stale = {**CONFIG, "upstash:apiKey": "an-older-key"}
    provider.configure(ConfigureRequest(Config(stale, "newcool-infra")))
    made = provider.create({"database_name": "newcool-pr-7", "primary_region": "us-east-1", "budget": 20,
                            "eviction": True})  # fmt: skip
    assert [d["database_id"] for d in vendors.upstash.databases] == [made.id]
