"""`make rotate STACK=dev|prod KEY=supabase-secret|supabase-publishable|upstash`: one credential
replaced in one verified operation, ending in one evidence line.

A Supabase key has an overlap window, so the old key is revoked last, only once production runs
on the new one:

1. create the next generation's key (``newcool_server_<n+1>``), and check it opens the project;
2. point the app's Vercel variable (production target) at it;
3. rebuild what serves production now, wait until the rebuild is READY, and promote it if it does
   not serve (Vercel applies a variable only to deployments made after it; after an Instant
   Rollback it promotes nothing by itself): ``VercelApi.rebuild_production``, the redeploy
   provider's own. ERROR or CANCELED stops here: the old key stays;
4. check production is the new deployment and ``/api/health`` answers 200;
5. revoke the old key, check it is refused (401), and that the app still answers;
6. write the new generation into ``Pulumi.<stack>.yaml``, so the next ``pulumi up`` adopts the
   new key (its create adopts a key of the same name) instead of making another.

Upstash has no overlap window: ``reset-password`` replaces a database's only password and REST
token at once, so the app fails from the reset until the redeploy is READY. The build is proven
first (a redeploy with the values unchanged must reach READY) so a broken build stops before the
reset, and the cache and rate-limit databases are reset together, for one redeploy and one
window, which the evidence line measures. The next ``pulumi up`` must refresh (the deploy
workflow's does) to read the new tokens into the state. Once anything is reset, production must
not be left on dead tokens: whatever fails next (a canary, a reset whose reply was lost, a Vercel
call), the tokens Upstash holds now (read again, never assumed) go to Vercel, production is
rebuilt, and the line names which of them are new; if that too fails, one line says production holds
dead tokens and gives the command that finishes the job (``--finish``: the tokens Upstash holds
now, to Vercel, redeployed, no reset).

Canaries are asked again with backoff for up to ``CANARY_SECONDS``: a changed credential takes a
while to spread (an old token may still answer, a new one not yet).

A run that stops can be run again: a key the last run created is taken, not duplicated.
Credentials come from the environment (``SUPABASE_ACCESS_TOKEN``, ``VERCEL_API_TOKEN``,
``UPSTASH_EMAIL`` and ``UPSTASH_API_KEY``); no credential, or any part of one, is printed.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from clients import timing
from clients.canary import app_health_status, supabase_key_status, upstash_token_status
from clients.http import ApiError
from clients.polling import poll
from clients.supabase_management import API_URL as SUPABASE_API
from clients.supabase_management import ManagementApi
from clients.upstash import API_URL as UPSTASH_API
from clients.upstash import UpstashApi
from clients.vercel import API_URL as VERCEL_API
from clients.vercel import VercelApi, live_targets
from components.cache import Database, database_name
from components.hosting import declared_variables
from components.supabase_project import KEY_DESCRIPTIONS, managed_key_names
from stack_config import StackConfig
from stack_config.loader import offline_stack_config
from stack_config.reader import ConfigError
from stack_config.sections.supabase import KEY_GENERATION_KEYS
from stack_config.stack_file import ROOT, set_stack_value

KEYS = ("supabase-secret", "supabase-publishable", "upstash")
UPSTASH_REST_URL = "https://{endpoint}"
# Which value of the hosting component each credential is (components/hosting.py wires them).
SUPABASE_VALUES = {"secret": "supabase_secret_key", "publishable": "supabase_publishable_key"}
UPSTASH_VALUES: dict[Database, str] = {"cache": "cache_rest_token", "ratelimit": "ratelimit_rest_token"}
# How long a canary is asked again for a changed credential to spread, and its first pause.
CANARY_SECONDS = 120.0
CANARY_FIRST_PAUSE_SECONDS = 2.0
CANARY_MAX_PAUSE_SECONDS = 20.0


def app_variable(config: StackConfig, value_from: str) -> str:
    """The app's variable a credential is wired to, as the hosting component declares it."""
    declared = declared_variables(config.environment, config.hosting.aws_access)
    return next(v.key for v in declared if v.value_from == value_from)


class RotationError(Exception):
    """The rotation stopped (one line: the step, why, and what is left as it was)."""


@dataclass(frozen=True)
class Endpoints:
    """Where each API is; the environment may point them elsewhere (the tests' stand-ins)."""

    supabase_api: str
    vercel_api: str
    upstash_api: str
    supabase_project: str  # the project's own URL (https://<ref>.supabase.co)
    app: str  # the production domain, https://api.newcool.io
    # A database's REST URL from its endpoint (host name).
    upstash_rest: str = UPSTASH_REST_URL

    @classmethod
    def of(cls, config: StackConfig, environ: Mapping[str, str]) -> Endpoints:
        return cls(
            supabase_api=environ.get("SUPABASE_API_URL", SUPABASE_API),
            vercel_api=environ.get("VERCEL_API_URL", VERCEL_API),
            upstash_api=environ.get("UPSTASH_API_URL", UPSTASH_API),
            supabase_project=environ.get("SUPABASE_PROJECT_URL", config.supabase.url),
            app=environ.get("APP_URL", f"https://{config.hosting.vercel.domain}"),
            upstash_rest=environ.get("UPSTASH_REST_URL", UPSTASH_REST_URL),
        )


def _credential(environ: Mapping[str, str], *names: str) -> list[str]:
    missing = [name for name in names if not environ.get(name)]
    if missing:
        raise RotationError(f"set {' and '.join(missing)} in the environment (nothing was changed)")
    return [environ[name] for name in names]


def _expect(status: Callable[[], int], wanted: int, what: str) -> None:
    """The canary answers ``wanted``, asked again with backoff while the change spreads."""
    seen = ["nothing"]

    def settled() -> bool | None:
        seen[0] = str(status())
        return True if seen[0] == str(wanted) else None

    try:
        poll(
            settled,
            timeout=CANARY_SECONDS,
            interval=CANARY_FIRST_PAUSE_SECONDS,
            max_interval=CANARY_MAX_PAUSE_SECONDS,
            clock=timing.default(),
            what=f"{what} did not answer {wanted}",
            last_seen=lambda: seen[0],
        )
    except ApiError as error:
        raise RotationError(str(error)) from None


def _now() -> float:
    return timing.default().monotonic()


@dataclass
class Production:
    """The Vercel project's production side: its variables and its deployments."""

    api: VercelApi
    project_id: str
    project_name: str

    def variable_ids(self, key: str) -> list[str]:
        """The ids of ``key``'s entries that reach production (refused when there are none)."""
        found = [
            str(v["id"])
            for v in self.api.variables(self.project_id)
            if v.get("key") == key and "production" in live_targets(v)
        ]
        if not found:
            raise RotationError(f"Vercel project {self.project_name} has no production variable {key}")
        return found

    def current(self) -> str:
        deployment = self.api.production_deployment(self.project_id)
        if deployment is None:
            raise RotationError(f"Vercel project {self.project_name} has no READY production deployment")
        return str(deployment["uid"])

    def rebuild(self, stopped: str) -> str:
        """A READY rebuild of what serves production now, serving (``VercelApi.rebuild_production``,
        the redeploy provider's own: after an Instant Rollback it rebuilds the deployment rolled
        back to and promotes the rebuild); ERROR, CANCELED or a timeout stops the run."""
        try:
            deployment_id = self.api.rebuild_production(self.project_id, self.project_name)
        except ApiError as failed:
            raise RotationError(f"{failed}: {stopped}") from None
        if deployment_id is None:
            raise RotationError(f"Vercel project {self.project_name} has no READY production deployment")
        return deployment_id

    def serving(self, deployment_id: str, app_url: str) -> None:
        """Production is ``deployment_id`` and its /api/health answers 200 (else the run stops)."""
        if self.current() != deployment_id:
            raise RotationError(f"production is not the new deployment {deployment_id} (an alias points elsewhere)")
        _expect(lambda: app_health_status(app_url), 200, f"{app_url}/api/health after the redeploy")


def _production(api: VercelApi, config: StackConfig) -> Production:
    project = api.project(config.hosting.vercel.project_name)
    return Production(api, str(project["id"]), config.hosting.vercel.project_name)


def rotate_supabase_key(
    config: StackConfig,
    key_type: str,
    endpoints: Endpoints,
    environ: Mapping[str, str],
    root: Path = ROOT,
    clock: Callable[[], float] = _now,
) -> str:
    """Rotates the managed publishable or secret key; the evidence line."""
    (supabase_token, vercel_token) = _credential(environ, "SUPABASE_ACCESS_TOKEN", "VERCEL_API_TOKEN")
    ref, variable = config.supabase.project_ref, app_variable(config, SUPABASE_VALUES[key_type])
    generation = config.supabase.key_generations[key_type]
    old_name = managed_key_names(config.supabase.key_generations)[key_type]
    new_name = managed_key_names({**config.supabase.key_generations, key_type: generation + 1})[key_type]
    started = clock()
    with (
        ManagementApi(supabase_token, endpoints.supabase_api) as supabase,
        VercelApi(vercel_token, config.hosting.vercel.team_id, endpoints.vercel_api) as vercel,
    ):
        # Everything is looked at before anything changes.
        production = _production(vercel, config)
        variable_ids = production.variable_ids(variable)
        source = production.current()
        keys = [k for k in supabase.api_keys(ref, reveal=True) if k.get("type") == key_type]
        old = next((k for k in keys if k.get("name") == old_name), None)
        new = next((k for k in keys if k.get("name") == new_name), None)
        if old is None and new is None:
            raise RotationError(f"no {key_type} key {old_name} on project {ref}: is the stack file's generation right?")
        # 1. The new key (or the one a stopped run made), and proof it opens the project.
        if new is None:
            new = supabase.create_api_key(ref, key_type, new_name, KEY_DESCRIPTIONS[key_type])
        new_key = str(new["api_key"])
        _expect(lambda: supabase_key_status(endpoints.supabase_project, new_key), 200, f"new key {new_name}")
        # 2. The variable, then 3. a production build that has it.
        for variable_id in variable_ids:
            vercel.set_variable_value(production.project_id, variable_id, str(new["api_key"]))
        deployment = production.rebuild(
            f"stopped before revoking {old_name}; {variable} holds {new_name}, production still runs {source}",
        )
        built = clock()
        # 4. Production is the new build, and it answers.
        production.serving(deployment, endpoints.app)
        # 5. The old key goes, is refused, and the app does not notice.
        if old is not None:
            supabase.revoke_api_key(ref, str(old["id"]))
            old_key = str(old["api_key"])
            _expect(lambda: supabase_key_status(endpoints.supabase_project, old_key), 401, f"revoked {old_name}")
            _expect(lambda: app_health_status(endpoints.app), 200, f"/api/health after revoking {old_name}")
        revoked = "refused (401)" if old is not None else "already revoked"
    # 6. The code names the new key from now on.
    written = set_stack_value(config.environment, KEY_GENERATION_KEYS[key_type], generation + 1, root)
    return (
        f"rotated supabase-{key_type} on {config.environment}: {old_name} -> {new_name} (key id {new['id']}); "
        f"{variable} -> production {deployment} READY in {built - started:.0f} s; /api/health 200; "
        f"{old_name} {revoked}; {written.name} {KEY_GENERATION_KEYS[key_type]}={generation + 1} (commit it)"
    )


def finish_command(stack: str) -> str:
    return f"make rotate STACK={stack} KEY=upstash FINISH=1"


@dataclass
class UpstashDatabases:
    """The stack's two databases: their names, ids, and the app's variables that hold their tokens."""

    api: UpstashApi
    names: dict[Database, str]
    ids: dict[Database, str]
    variables: dict[Database, str]
    variable_ids: dict[Database, list[str]]

    @classmethod
    def of(cls, api: UpstashApi, config: StackConfig, production: Production) -> UpstashDatabases:
        variables = {purpose: app_variable(config, value) for purpose, value in UPSTASH_VALUES.items()}
        variable_ids = {purpose: production.variable_ids(key) for purpose, key in variables.items()}
        by_name = {str(d.get("database_name")): str(d["database_id"]) for d in api.databases()}
        names = {purpose: database_name(config.cache, config.environment, purpose) for purpose in UPSTASH_VALUES}
        missing = sorted(name for name in names.values() if name not in by_name)
        if missing:
            raise RotationError(f"no Upstash database {', '.join(missing)} in this account (nothing was changed)")
        return cls(api, names, {p: by_name[name] for p, name in names.items()}, variables, variable_ids)

    def tokens(self) -> dict[Database, str]:
        """The REST tokens Upstash holds now."""
        return {purpose: str(self.api.database(id_)["rest_token"]) for purpose, id_ in self.ids.items()}

    def tokens_after(self, failure: str, stack: str) -> dict[Database, str]:
        """The tokens Upstash holds now, read after a failure once a reset was sent; unreadable, the
        one line that says production may hold dead tokens and how to finish."""
        try:
            return self.tokens()
        except ApiError as error:
            raise RotationError(
                f"{failure}; then the tokens Upstash holds now could not be read ({error}): PRODUCTION MAY HOLD "
                f"DEAD UPSTASH TOKENS; finish with `{finish_command(stack)}`"
            ) from None

    def deliver(self, production: Production, tokens: Mapping[Database, str], app_url: str) -> str:
        """The tokens into the app's production variables, then a READY build of them, serving and answering."""
        for purpose, entries in self.variable_ids.items():
            for variable_id in entries:
                production.api.set_variable_value(production.project_id, variable_id, tokens[purpose])
        deployment = production.rebuild("the variables hold the tokens Upstash holds now")
        production.serving(deployment, app_url)
        return deployment


def rotate_upstash(
    config: StackConfig,
    endpoints: Endpoints,
    environ: Mapping[str, str],
    clock: Callable[[], float] = _now,
    finish: bool = False,
) -> str:
    """Resets the cache's and the rate limiter's credentials (or, ``finish``, delivers the ones
    Upstash holds now); the evidence line."""
    email, api_key, vercel_token = _credential(environ, "UPSTASH_EMAIL", "UPSTASH_API_KEY", "VERCEL_API_TOKEN")
    stack = config.environment
    with (
        UpstashApi(email, api_key, endpoints.upstash_api) as upstash,
        VercelApi(vercel_token, config.hosting.vercel.team_id, endpoints.vercel_api) as vercel,
    ):
        production = _production(vercel, config)
        databases = UpstashDatabases.of(upstash, config, production)
        if finish:
            deployment = databases.deliver(production, databases.tokens(), endpoints.app)
            return (
                f"finished upstash on {stack}: {', '.join(databases.variables.values())} hold the tokens Upstash "
                f"holds now -> production {deployment} READY; /api/health 200"
            )
        old_tokens = databases.tokens()
        # The reset cannot be undone: a build that fails must fail before it.
        proven = production.rebuild("stopped before the reset; nothing was changed")
        # 1. New credentials; from here the running app's tokens are refused.
        window_opened = clock()
        reset: dict[Database, dict[str, object]] = {}
        failure: str | None = None
        try:
            for purpose, id_ in databases.ids.items():
                reset[purpose] = upstash.reset_password(id_, old_tokens[purpose])
            for purpose, answer in reset.items():
                rest_url = endpoints.upstash_rest.format(endpoint=answer["endpoint"])
                new_token, old_token, name = str(answer["rest_token"]), old_tokens[purpose], databases.names[purpose]
                _expect(functools.partial(upstash_token_status, rest_url, new_token), 200, f"new {name} token")
                _expect(functools.partial(upstash_token_status, rest_url, old_token), 401, f"old {name} token")
        except (ApiError, RotationError) as error:
            failure = str(error)
        if failure is None:
            tokens = {purpose: str(answer["rest_token"]) for purpose, answer in reset.items()}
        else:
            # Whatever failed, Vercel gets what Upstash holds now, never a token assumed: a reset
            # whose reply was lost (and whose lookup gave up) may still have happened.
            tokens = databases.tokens_after(failure, stack)
            if tokens == old_tokens:
                raise RotationError(f"{failure} (nothing was reset; production runs {proven})")
        was_reset = [purpose for purpose in databases.ids if tokens[purpose] != old_tokens[purpose]]
        # 2. The variables, 3. a build that has them, 4. production answering: whatever failed
        # above, production must not stay on tokens the reset killed.
        try:
            deployment = databases.deliver(production, tokens, endpoints.app)
        except (ApiError, RotationError) as error:
            raise RotationError(
                f"{failure + '; then ' if failure else ''}{error}: PRODUCTION HOLDS DEAD UPSTASH TOKENS "
                f"({', '.join(databases.names[p] for p in was_reset)} reset); finish with `{finish_command(stack)}`"
            ) from None
        window = clock() - window_opened
    if failure is not None:
        delivered = ", ".join(
            f"{databases.names[p]} {'new' if p in was_reset else 'unchanged, not reset'}" for p in databases.ids
        )
        raise RotationError(
            f"{failure}; Vercel got the tokens Upstash holds now ({delivered}) and production {deployment} "
            "is READY and answers"
        )
    return (
        f"rotated upstash on {stack}: {', '.join(databases.names.values())} reset; old tokens refused (401); "
        f"{', '.join(databases.variables.values())} -> production {deployment} READY; /api/health 200; "
        f"no-overlap window {window:.0f} s (build proven first: {proven})"
    )


def rotate(
    stack: str,
    key: str,
    environ: Mapping[str, str],
    root: Path = ROOT,
    clock: Callable[[], float] = _now,
    finish: bool = False,
) -> str:
    config = offline_stack_config(stack)
    endpoints = Endpoints.of(config, environ)
    if key == "upstash":
        return rotate_upstash(config, endpoints, environ, clock, finish)
    if finish:
        raise RotationError("--finish is for KEY=upstash (a Supabase rotation resumes by running it again)")
    return rotate_supabase_key(config, key.removeprefix("supabase-"), endpoints, environ, root, clock)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m operations.rotation.rotate", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", choices=("dev", "prod"), required=True)
    parser.add_argument("--key", choices=KEYS, required=True)
    parser.add_argument(
        "--finish", action="store_true", help="upstash: deliver the tokens Upstash holds now to production (no reset)"
    )
    args = parser.parse_args(argv)
    try:
        print(rotate(args.stack, args.key, os.environ, finish=args.finish))
    except (RotationError, ApiError, ConfigError) as error:
        print(f"rotate {args.key} on {args.stack} stopped: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
