"""`make rotate` against stand-ins of Supabase, Vercel and Upstash held to their OpenAPI documents,
and a stand-in of the app whose /api/health answers with the values its deployment was built
with: the order of the steps, a failed build stopping before the revocation, a stopped run
resumed, Upstash's reset proven by a build first, and nothing secret printed."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from components.cache import database_name
from operations.rotation import rotate as rotation
from operations.rotation.rotate import RotationError, rotate
from stack_config.loader import offline_stack_config
from stack_config.stack_file import ROOT
from tests.standins.app import AppStandIn
from tests.standins.faults import Faults, LostReply, VirtualClock, Window, install_virtual_time, server_error
from tests.standins.openapi import supabase_management_spec, upstash_spec, vercel_spec
from tests.standins.supabase_management import SupabaseProjectStandIn
from tests.standins.vendors import UpstashAccountStandIn, VercelTeamStandIn

CONFIG = offline_stack_config("prod")
SUPABASE_TOKEN = "sbp_rotation_token_not_to_print"
VERCEL_TOKEN = "vercel-rotation-token-not-to-print"
PROJECT_ID = "prj_newcool"
LIVE = "dpl_live"


@dataclass
class World:
    supabase: SupabaseProjectStandIn
    vercel: VercelTeamStandIn
    upstash: UpstashAccountStandIn
    app: AppStandIn
    environ: dict[str, str]
    root: Path
    server: HTTPServer
    clock: VirtualClock

    def value(self, key: str, target: str = "production") -> str:
        envs = self.vercel.projects[CONFIG.hosting.vercel.project_name]["envs"]
        return str(next(e["value"] for e in envs if e["key"] == key and target in e["target"]))

    def key(self, name: str) -> dict[str, str] | None:
        return next((k for k in self.supabase.api_keys if k["name"] == name), None)

    def calls(self) -> list[str]:
        """Every request that changed something, in the order the vendors received them."""
        return [f"{r.method} {r.path}" for r, _ in self.server.log if r.method in ("POST", "PATCH", "DELETE")]

    def stack_value(self, key: str) -> object:
        return yaml.safe_load((self.root / "Pulumi.prod.yaml").read_text())["config"].get(f"newcool-infra:{key}")


@pytest.fixture
def world(httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    clock = install_virtual_time(monkeypatch)  # builds, retries and canaries wait in virtual time
    supabase = SupabaseProjectStandIn(supabase_management_spec(), CONFIG.supabase.project_ref, SUPABASE_TOKEN)
    publishable, secret = supabase._key("publishable", "newcool_app_1"), supabase._key("secret", "newcool_server_1")
    supabase.api_keys += [publishable, secret]
    upstash = UpstashAccountStandIn(
        upstash_spec(), email="ops@newcool.io", api_key="upstash-key-not-to-print", clock=clock
    )
    for purpose in ("cache", "ratelimit"):
        name = database_name(CONFIG.cache, "prod", purpose)
        upstash.databases.append(
            {"database_id": f"db-{purpose}", "database_name": name, "endpoint": f"{purpose}-host",
             "rest_token": f"AX0ld{purpose[:2]}Tk9Qz7Lw", "password": "old"}
        )  # fmt: skip
    envs = [
        ("NEXT_PUBLIC_SUPABASE_ANON_KEY", ["production"], publishable["api_key"]),
        ("NEXT_PUBLIC_SUPABASE_ANON_KEY", ["preview"], "sb_publishable_of_the_dev_stack"),
        ("SUPABASE_SERVICE_KEY", ["production"], secret["api_key"]),
        ("UPSTASH_REDIS_REST_TOKEN", ["production"], "AX0ldcaTk9Qz7Lw"),
        ("UPSTASH_RATELIMIT_REST_TOKEN", ["production"], "AX0ldraTk9Qz7Lw"),
    ]
    vercel = VercelTeamStandIn(vercel_spec(), token=VERCEL_TOKEN, team_id=CONFIG.hosting.vercel.team_id)
    vercel.projects[CONFIG.hosting.vercel.project_name] = {
        "id": PROJECT_ID,
        "domains": [CONFIG.hosting.vercel.domain],
        "envs": [
            {"id": f"env_{i}", "key": key, "target": targets, "type": "sensitive", "value": value}
            for i, (key, targets, value) in enumerate(envs)
        ],
    }
    production_env = {key: value for key, targets, value in envs if "production" in targets}
    vercel.deployments[LIVE] = {"projectId": PROJECT_ID, "target": "production", "readyState": "READY",
                                "env": production_env}  # fmt: skip

    def token_opens(purpose: str) -> object:
        return lambda token: upstash.rest_status(f"{purpose}-host", f"Bearer {token}") == 200

    app = AppStandIn(
        vercel,
        PROJECT_ID,
        {
            "NEXT_PUBLIC_SUPABASE_ANON_KEY": supabase.key_opens_project,
            "SUPABASE_SERVICE_KEY": supabase.key_opens_project,
            "UPSTASH_REDIS_REST_TOKEN": token_opens("cache"),  # type: ignore[dict-item]
            "UPSTASH_RATELIMIT_REST_TOKEN": token_opens("ratelimit"),  # type: ignore[dict-item]
        },
    )
    environ = {
        "SUPABASE_ACCESS_TOKEN": SUPABASE_TOKEN,
        "VERCEL_API_TOKEN": VERCEL_TOKEN,
        "UPSTASH_EMAIL": upstash.email,
        "UPSTASH_API_KEY": upstash.api_key,
        "SUPABASE_API_URL": supabase.install(httpserver),
        "SUPABASE_PROJECT_URL": supabase.install_project_api(httpserver),
        "VERCEL_API_URL": vercel.install(httpserver),
        "UPSTASH_API_URL": upstash.install(httpserver),
        "UPSTASH_REST_URL": upstash.install_rest(httpserver),
        "APP_URL": app.install(httpserver),
    }
    shutil.copy(ROOT / "Pulumi.prod.yaml", tmp_path / "Pulumi.prod.yaml")
    yield World(supabase, vercel, upstash, app, environ, tmp_path, httpserver, clock)
    assert supabase.broken_answers == [] and vercel.broken_answers == [] and upstash.broken_answers == [], (
        "a stand-in answered what its API document does not allow"
    )


def secrets_of(world: World) -> list[str]:
    keys = [k["api_key"] for k in world.supabase.api_keys]
    tokens = [str(d["rest_token"]) for d in world.upstash.databases]
    return [*keys, *tokens, SUPABASE_TOKEN, VERCEL_TOKEN, world.upstash.api_key]


def assert_nothing_secret_in(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert not any(secret[i : i + 8] in text for i in range(len(secret) - 7)), "part of a secret was printed"


def test_a_secret_key_is_replaced_in_order_and_the_old_one_ends_refused(world: World) -> None:
    old = world.key("newcool_server_1")
    assert old is not None
    evidence = rotate("prod", "supabase-secret", world.environ, world.root)
    new = world.key("newcool_server_2")
    assert new is not None and world.key("newcool_server_1") is None, "the old key is revoked"
    assert world.value("SUPABASE_SERVICE_KEY") == new["api_key"]
    serving = world.app.serving()
    assert serving != LIVE and world.vercel.deployments[str(serving)]["env"]["SUPABASE_SERVICE_KEY"] == new["api_key"]
    ref = CONFIG.supabase.project_ref
    assert world.calls() == [
        f"POST /v1/projects/{ref}/api-keys",  # 1. the new key
        f"PATCH /v9/projects/{PROJECT_ID}/env/env_2",  # 2. the variable
        "POST /v13/deployments",  # 3. a build with it
        f"DELETE /v1/projects/{ref}/api-keys/{old['id']}",  # 5. only then the old key goes
    ]
    assert world.stack_value("supabaseSecretKeyGeneration") == 2
    assert world.key("newcool_app_1") is not None, "the publishable key is not touched"
    assert "newcool_server_1 refused (401)" in evidence and "/api/health 200" in evidence
    assert len(evidence.splitlines()) == 1
    assert_nothing_secret_in(evidence, [*secrets_of(world), old["api_key"]])


def test_the_publishable_key_changes_production_only_never_the_preview_entry(world: World) -> None:
    rotate("prod", "supabase-publishable", world.environ, world.root)
    new = world.key("newcool_app_2")
    assert new is not None and world.value("NEXT_PUBLIC_SUPABASE_ANON_KEY") == new["api_key"]
    assert world.value("NEXT_PUBLIC_SUPABASE_ANON_KEY", "preview") == "sb_publishable_of_the_dev_stack"
    assert world.stack_value("supabasePublishableKeyGeneration") == 2
    assert world.stack_value("supabaseSecretKeyGeneration") is None


@pytest.mark.parametrize("ending", ["ERROR", "CANCELED"])
def test_a_failed_build_stops_before_the_revocation_and_a_rerun_finishes(world: World, ending: str) -> None:
    world.vercel.build_states = ["QUEUED", "BUILDING", ending]
    with pytest.raises(RotationError, match=f"ended {ending}: stopped before revoking newcool_server_1"):
        rotate("prod", "supabase-secret", world.environ, world.root)
    assert world.key("newcool_server_1") is not None, "the old key stays while production runs on it"
    assert not any(call.startswith("DELETE") for call in world.calls())
    assert world.app.serving() == LIVE and world.stack_value("supabaseSecretKeyGeneration") is None
    assert world.app.health(None).status_code == 200, "production still answers, on the old key"  # type: ignore[arg-type]
    # Fixed build, same command: the key the stopped run made is taken, not duplicated.
    world.vercel.build_states = ["QUEUED", "READY"]
    rotate("prod", "supabase-secret", world.environ, world.root)
    assert [c for c in world.calls() if c.endswith("/api-keys")] == [
        f"POST /v1/projects/{CONFIG.supabase.project_ref}/api-keys"
    ]
    assert world.key("newcool_server_1") is None and world.stack_value("supabaseSecretKeyGeneration") == 2


def test_without_a_production_deployment_nothing_is_created(world: World) -> None:
    world.vercel.deployments.clear()
    with pytest.raises(RotationError, match="no READY production deployment"):
        rotate("prod", "supabase-secret", world.environ, world.root)
    assert world.calls() == [] and world.key("newcool_server_2") is None


def test_upstash_is_reset_only_after_a_build_is_proven_and_reports_its_window(world: World) -> None:
    old_tokens = {d["database_id"]: d["rest_token"] for d in world.upstash.databases}
    evidence = rotate("prod", "upstash", world.environ, world.root)
    new_tokens = {d["database_id"]: d["rest_token"] for d in world.upstash.databases}
    assert all(new_tokens[id_] != old_tokens[id_] for id_ in old_tokens)
    assert world.value("UPSTASH_REDIS_REST_TOKEN") == new_tokens["db-cache"]
    assert world.value("UPSTASH_RATELIMIT_REST_TOKEN") == new_tokens["db-ratelimit"]
    calls = world.calls()
    assert calls[0] == "POST /v13/deployments", "a build is proven before the reset, which has no way back"
    assert calls[1:3] == ["POST /v2/redis/reset-password/db-cache", "POST /v2/redis/reset-password/db-ratelimit"]
    assert calls[-1] == "POST /v13/deployments"
    assert world.app.health(None).status_code == 200  # type: ignore[arg-type]
    assert "old tokens refused (401)" in evidence and "no-overlap window" in evidence
    assert_nothing_secret_in(evidence, [*secrets_of(world), *map(str, old_tokens.values())])


def test_an_upstash_rotation_whose_proving_build_fails_resets_nothing(world: World) -> None:
    world.vercel.build_states = ["BUILDING", "ERROR"]
    with pytest.raises(RotationError, match="stopped before the reset; nothing was changed"):
        rotate("prod", "upstash", world.environ, world.root)
    assert [d["rest_token"] for d in world.upstash.databases] == ["AX0ldcaTk9Qz7Lw", "AX0ldraTk9Qz7Lw"]


def test_missing_credentials_stop_in_one_line_before_any_call(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in world.environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SUPABASE_ACCESS_TOKEN")
    assert rotation.main(["--stack", "prod", "--key", "supabase-secret"]) == 1
    err = capsys.readouterr().err
    wanted = "set SUPABASE_ACCESS_TOKEN in the environment (nothing was changed)"
    assert err == f"rotate supabase-secret on prod stopped: {wanted}\n"
    assert world.server.log == []


def test_a_refusing_vendor_is_one_line_naming_the_call(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {**world.environ, "VERCEL_API_TOKEN": "wrong-token"}.items():
        monkeypatch.setenv(name, value)
    assert rotation.main(["--stack", "prod", "--key", "supabase-secret"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rotate supabase-secret on prod stopped: Vercel refused GET /v9/projects/")
    assert len(err.splitlines()) == 1 and "wrong-token" not in err
    assert world.calls() == []


def upstash_tokens(world: World) -> dict[str, str]:
    return {str(d["database_id"]): str(d["rest_token"]) for d in world.upstash.databases}


def production_holds(world: World, tokens: dict[str, str]) -> bool:
    """Vercel's variables and the serving build both carry these tokens, and the app answers."""
    serving = world.vercel.deployments[str(world.app.serving())]["env"]
    return (
        world.value("UPSTASH_REDIS_REST_TOKEN") == tokens["db-cache"] == serving["UPSTASH_REDIS_REST_TOKEN"]
        and world.value("UPSTASH_RATELIMIT_REST_TOKEN") == tokens["db-ratelimit"]
        and world.app.health(None).status_code == 200  # type: ignore[arg-type]
    )


def test_an_old_token_that_answers_while_the_reset_spreads_is_asked_again(world: World) -> None:
    world.upstash.propagation_seconds = 30
    evidence = rotate("prod", "upstash", world.environ, world.root)
    assert "old tokens refused (401)" in evidence and production_holds(world, upstash_tokens(world))
    assert world.clock.now >= 30


def test_a_canary_that_never_settles_still_leaves_production_on_the_new_tokens(world: World) -> None:
    world.upstash.propagation_seconds = 10 * rotation.CANARY_SECONDS  # the old token keeps answering
    with pytest.raises(RotationError) as stopped:
        rotate("prod", "upstash", world.environ, world.root)
    message = str(stopped.value)
    assert "token did not answer 401 within 120 s (last: 200)" in message
    assert "Vercel got the tokens Upstash holds now" in message and "\n" not in message
    names = [database_name(CONFIG.cache, "prod", purpose) for purpose in ("cache", "ratelimit")]
    assert f"({names[0]} new, {names[1]} new)" in message
    assert production_holds(world, upstash_tokens(world))
    assert_nothing_secret_in(message, secrets_of(world))


def test_a_vercel_failure_after_the_reset_says_production_holds_dead_tokens_and_how_to_finish(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old_tokens = upstash_tokens(world)
    world.vercel.faults = Faults(world.clock, world.vercel.spec)
    world.vercel.faults.window("PATCH", r"/v9/projects/.*/env/.*", 3600, server_error(500))
    for name, value in world.environ.items():
        monkeypatch.setenv(name, value)
    assert rotation.main(["--stack", "prod", "--key", "upstash"]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "PRODUCTION HOLDS DEAD UPSTASH TOKENS" in err
    assert err.rstrip().endswith("finish with `make rotate STACK=prod KEY=upstash FINISH=1`")
    assert upstash_tokens(world) != old_tokens, "the reset happened: production's tokens are dead"
    assert_nothing_secret_in(err, [*secrets_of(world), *old_tokens.values()])
    # Vercel is back; the command the line gave finishes the job without another reset.
    world.vercel.faults.windows.clear()
    new_tokens = upstash_tokens(world)
    assert rotation.main(["--stack", "prod", "--key", "upstash", "--finish"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("finished upstash on prod:") and production_holds(world, new_tokens)
    assert upstash_tokens(world) == new_tokens
    assert_nothing_secret_in(out, [*secrets_of(world), *old_tokens.values()])


def test_a_reset_whose_reply_is_lost_is_adopted_not_repeated(world: World) -> None:
    world.upstash.faults = Faults(world.clock, world.upstash.spec)
    world.upstash.faults.lost.append(LostReply("POST", "/v2/redis/reset-password/db-cache", 502))
    rotate("prod", "upstash", world.environ, world.root)
    resets = [c for c in world.calls() if "reset-password" in c]
    assert resets == ["POST /v2/redis/reset-password/db-cache", "POST /v2/redis/reset-password/db-ratelimit"]
    assert production_holds(world, upstash_tokens(world))


def test_a_secret_key_whose_create_reply_is_lost_is_made_once(world: World) -> None:
    world.supabase.faults = Faults(world.clock, world.supabase.spec)
    world.supabase.faults.lost.append(LostReply("POST", f"/v1/projects/{CONFIG.supabase.project_ref}/api-keys"))
    rotate("prod", "supabase-secret", world.environ, world.root)
    assert [k["name"] for k in world.supabase.api_keys].count("newcool_server_2") == 1
    assert world.key("newcool_server_1") is None


def rolled_back(world: World) -> None:
    """A bad deployment went out after LIVE; someone used Instant Rollback to serve LIVE again."""
    world.vercel.deployments["dpl_bad"] = {**world.vercel.deployments[LIVE]}
    world.vercel.instant_rollback(PROJECT_ID, LIVE)
    assert world.app.serving() == LIVE


def test_upstash_rotation_after_an_instant_rollback_leaves_the_new_tokens_serving(world: World) -> None:
    """After a rollback Vercel promotes no production build by itself: the rotation rebuilds the
    deployment rolled back to and promotes it, or production would stay on the dead tokens."""
    rolled_back(world)
    evidence = rotate("prod", "upstash", world.environ, world.root)
    serving = str(world.app.serving())
    assert production_holds(world, upstash_tokens(world))
    # The new tokens serve in a rebuild of the code rolled back to, never of the code rolled away from.
    chain = [serving]
    while world.vercel.deployments[chain[-1]].get("redeployOf"):
        chain.append(world.vercel.deployments[chain[-1]]["redeployOf"])
    assert chain[-1] == LIVE and "dpl_bad" not in chain
    assert f"production {serving} READY" in evidence


def test_finishing_upstash_after_an_instant_rollback_promotes_the_delivered_build(world: World) -> None:
    rolled_back(world)
    for database in world.upstash.databases:  # a reset whose delivery never happened
        world.upstash.retiring[str(database["endpoint"])] = (str(database["rest_token"]), 0.0)
        database["rest_token"] = f"AXn3w{database['database_id']}Tk9Qz7Lw"
    rotate("prod", "upstash", world.environ, world.root, finish=True)
    assert production_holds(world, upstash_tokens(world)) and world.app.serving() != LIVE


def test_a_supabase_rotation_after_an_instant_rollback_revokes_only_once_the_new_key_serves(world: World) -> None:
    rolled_back(world)
    rotate("prod", "supabase-secret", world.environ, world.root)
    new = world.key("newcool_server_2")
    assert new is not None and world.key("newcool_server_1") is None
    serving = str(world.app.serving())
    assert world.vercel.deployments[serving]["redeployOf"] == LIVE
    assert world.vercel.deployments[serving]["env"]["SUPABASE_SERVICE_KEY"] == new["api_key"]
    assert world.app.health(None).status_code == 200  # type: ignore[arg-type]


@dataclass
class AfterTheReset(Window):
    """A window that opens when the stand-in resets ``endpoint``'s database (not known in advance)."""

    upstash: UpstashAccountStandIn | None = None
    endpoint: str = ""

    def covers(self, request: Request, now: float) -> bool:
        assert self.upstash is not None
        if self.endpoint not in self.upstash.retiring:
            return False
        opened = self.upstash.retiring[self.endpoint][1]  # the reset's time (no propagation here)
        return opened <= now < opened + self.end and re.fullmatch(self.path, request.path) is not None


def test_a_reset_whose_reply_is_lost_and_never_found_delivers_what_upstash_holds_now(world: World) -> None:
    """The rate limiter's reset happens, its reply is lost, and the lookup meets an outage until it
    gives up. The run must not send that database's old (dead) token to Vercel: it reads what
    Upstash holds now, delivers it, and says exactly what was delivered."""
    old_tokens = upstash_tokens(world)
    world.upstash.faults = Faults(world.clock, world.upstash.spec)
    world.upstash.faults.lost.append(LostReply("POST", "/v2/redis/reset-password/db-ratelimit", 502))
    outage = AfterTheReset(
        "GET", "/v2/redis/database/db-ratelimit", 0, 150, server_error(502), world.upstash, "ratelimit-host"
    )
    world.upstash.faults.windows.append(outage)
    with pytest.raises(RotationError) as stopped:
        rotate("prod", "upstash", world.environ, world.root)
    message = str(stopped.value)
    cache, ratelimit = (database_name(CONFIG.cache, "prod", purpose) for purpose in ("cache", "ratelimit"))
    assert "reset password" in message and "nothing found by looking it up" in message, "the lookup gave up"
    assert f"Vercel got the tokens Upstash holds now ({cache} new, {ratelimit} new)" in message
    assert "\n" not in message
    now = upstash_tokens(world)
    assert all(now[id_] != old_tokens[id_] for id_ in old_tokens), "both resets happened"
    assert production_holds(world, now), "production runs the tokens Upstash holds, not a dead one"
    assert_nothing_secret_in(message, [*secrets_of(world), *old_tokens.values()])


def test_a_refused_first_reset_changes_nothing_and_says_so(world: World) -> None:
    world.upstash.faults = Faults(world.clock, world.upstash.spec)
    world.upstash.faults.window(
        "POST",
        "/v2/redis/reset-password/db-cache",
        3600,
        lambda _c, _u: Response('{"error": "forbidden"}', status=403, content_type="application/json"),
    )
    before = upstash_tokens(world)
    with pytest.raises(RotationError, match=r"nothing was reset; production runs dpl_\d+\)$"):
        rotate("prod", "upstash", world.environ, world.root)
    assert upstash_tokens(world) == before
    assert not any(call.startswith("PATCH") for call in world.calls()), "Vercel's variables untouched"
