"""A Supabase preview branch (a review environment's database) as a Pulumi resource.

- create adopts a branch of the same name on the parent (a re-run after a kill makes no second
  one), else sends ``POST /v1/projects/{parent}/branches`` once (``JsonApi.create``: after a lost
  answer it looks the branch up by name), never persistent, never with the parent's data. It
  returns only once the branch is usable: its newest action run has every step EXITED, the
  branch reads ``ACTIVE_HEALTHY``, and a first connection has succeeded (Supabase reports ready
  before it is: supabase/supabase#39604). Past the deadline it fails in one line; the branch is
  left for ``make review-sweep``, which removes it.
- read treats 404 as gone; delete calls ``DELETE /v1/branches/{ref}`` (404: already gone).
  Nothing here calls ``DELETE /v1/projects/{ref}/branches`` (it turns branching off for the whole
  project), merge, push or reset.

This module's path is in deployed state: it stays where it is (providers/__init__.py).
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult

from clients.http import ApiError
from clients.supabase_management import API_URL, ManagementApi
from providers.supabase_settings import TokenProvider

# Supabase's slowest branches take minutes; stuck ones never finish (supabase/cli#4479).
READY_TIMEOUT_SECONDS = 1200.0
POLL_SECONDS = 10.0
# The smallest compute Supabase bills a Pro project's branch at (docs/runbooks/review-environments.md).
BRANCH_SIZE = "micro"
REPLACING = ("parent_ref", "branch_name", "git_branch", "instance_size", "ssl_mode")
# Answers that say "not yet" rather than "no": waited out until the deadline.
TRANSIENT_STATUSES = frozenset({None, 404, 429, 500, 502, 503, 504})
OUTPUTS = ("branch_ref", "url", "db_host", "db_port", "db_user", "database_url", "created_at")


class NotReadyError(Exception):
    """The branch is not usable yet; the message says what it is waiting on."""


class BranchFailedError(ApiError):
    """The branch's action run died: waiting longer changes nothing."""


def database_url(detail: dict[str, Any], ssl_mode: str) -> str:
    user = urllib.parse.quote(str(detail.get("db_user") or "postgres"), safe="")
    password = urllib.parse.quote(str(detail.get("db_pass") or ""), safe="")
    host, port = detail["db_host"], detail["db_port"]
    return f"postgresql://{user}:{password}@{host}:{port}/postgres?sslmode={ssl_mode}"


def connects(url: str) -> None:
    """A first session on the branch's database, or NotReadyError."""
    import psycopg  # noqa: PLC0415 (only when a branch is created)

    try:
        with psycopg.connect(url, connect_timeout=10) as connection:
            connection.execute("select 1")
    except psycopg.Error as error:
        raise NotReadyError(f"its database refuses connections ({type(error).__name__})") from None


@dataclass
class Readiness:
    """Waits until a new branch is usable, with an injected clock and sleep (tests run it instantly)."""

    api: ManagementApi
    ssl_mode: str
    deadline_seconds: float = READY_TIMEOUT_SECONDS
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    connect: Callable[[str], None] = connects

    def _action_run_done(self, ref: str) -> None:
        runs = self.api.request("GET", f"/v1/projects/{ref}/actions") or []
        if not runs:
            raise NotReadyError("no action run has started")
        newest = max(runs, key=lambda run: str(run.get("created_at", "")))
        run = self.api.request("GET", f"/v1/projects/{ref}/actions/{newest['id']}")
        steps = run.get("run_steps") or []
        dead = [step["name"] for step in steps if step.get("status") == "DEAD"]
        if dead:
            raise BranchFailedError(f"its action run {newest['id']} failed at {', '.join(dead)}")
        pending = [f"{step['name']} {step.get('status')}" for step in steps if step.get("status") != "EXITED"]
        if pending or not steps:
            raise NotReadyError(f"action run step {pending[0] if pending else 'list empty'}")

    def _healthy(self, ref: str) -> dict[str, Any]:
        detail = dict(self.api.request("GET", f"/v1/branches/{ref}"))
        if detail.get("status") != "ACTIVE_HEALTHY":
            raise NotReadyError(f"status {detail.get('status')}")
        return detail

    def wait(self, ref: str) -> dict[str, Any]:
        """The branch's config (db_host, db_pass, …) once it is usable; ApiError past the deadline."""
        deadline = self.clock() + self.deadline_seconds
        last = "nothing asked yet"
        while True:
            try:
                self._action_run_done(ref)
                detail = self._healthy(ref)
                self.connect(database_url(detail, self.ssl_mode))
                return detail
            except NotReadyError as waiting:
                last = str(waiting)
            except BranchFailedError:
                raise
            except ApiError as error:
                if error.status not in TRANSIENT_STATUSES:
                    raise
                last = str(error)
            if self.clock() >= deadline:
                raise ApiError(
                    f"not usable after {self.deadline_seconds:.0f} s (last: {last}); "
                    "`make review-sweep APPLY=1` removes it"
                )
            self.sleep(POLL_SECONDS)


class SupabaseBranchProvider(TokenProvider):
    def __init__(self, api_url: str = API_URL, deadline_seconds: float = READY_TIMEOUT_SECONDS) -> None:
        super().__init__(api_url)
        self._deadline = deadline_seconds

    def _label(self, props: dict[str, Any]) -> str:
        return f"supabase branch {props.get('branch_name')}"

    @staticmethod
    def find(api: ManagementApi, parent_ref: str, name: str) -> dict[str, Any] | None:
        branches = api.request("GET", f"/v1/projects/{parent_ref}/branches") or []
        return next((dict(b) for b in branches if b.get("name") == name), None)

    def readiness(self, api: ManagementApi, ssl_mode: str) -> Readiness:
        return Readiness(api, ssl_mode, self._deadline)

    def _outs(self, props: dict[str, Any], branch: dict[str, Any], detail: dict[str, Any]) -> dict[str, Any]:
        ref = str(branch.get("project_ref") or detail["ref"])
        return {
            **props,
            "branch_ref": ref,
            "url": f"https://{ref}.supabase.co",
            "db_host": detail["db_host"],
            "db_port": int(detail["db_port"]),
            "db_user": detail.get("db_user") or "postgres",
            "database_url": database_url(detail, props["ssl_mode"]),
            "created_at": branch.get("created_at"),
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        parent, name = props["parent_ref"], props["branch_name"]
        body = {
            "branch_name": name,
            "git_branch": props["git_branch"],
            "persistent": False,
            "with_data": False,
            "desired_instance_size": props["instance_size"],
        }
        try:
            with self.api() as api:
                branch = self.find(api, parent, name) or api.create(
                    "POST",
                    f"/v1/projects/{parent}/branches",
                    json=body,
                    find_existing=lambda: self.find(api, parent, name),
                    what=name,
                )
                detail = self.readiness(api, props["ssl_mode"]).wait(str(branch["project_ref"]))
        except ApiError as error:
            raise RuntimeError(f"{self._label(props)}: {error}") from None
        return CreateResult(id_=str(branch["project_ref"]), outs=self._outs(props, dict(branch), detail))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in REPLACING if olds.get(key) != news.get(key)]
        # A review branch holds nothing worth keeping: the new one exists before the old goes.
        return DiffResult(changes=bool(replaces), replaces=replaces, stables=[], delete_before_replace=True)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            with self.api() as api:
                detail = dict(api.request("GET", f"/v1/branches/{id_}"))
        except ApiError as error:
            if error.status == 404:
                return ReadResult(id_="", outs={})  # deleted (the sweeper, or by hand): gone
            raise RuntimeError(f"{self._label(props)}: {error}") from None
        branch = {"project_ref": id_, "created_at": props.get("created_at")}
        return ReadResult(id_=id_, outs=self._outs(props, branch, detail))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            with self.api() as api:
                api.request("DELETE", f"/v1/branches/{id_}", what=str(props.get("branch_name")))
        except ApiError as error:
            if error.status == 404:
                return
            raise RuntimeError(f"{self._label(props)}: {error}") from None


class SupabaseBranch(pulumi.dynamic.Resource, module="supabase", name="Branch"):
    branch_ref: pulumi.Output[str]
    url: pulumi.Output[str]
    database_url: pulumi.Output[str]
    created_at: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        parent_ref: str,
        branch_name: str,
        git_branch: str,
        ssl_mode: str = "require",
        api_url: str = API_URL,
        opts: pulumi.ResourceOptions | None = None,
    ):
        props: dict[str, Any] = {
            "parent_ref": parent_ref,
            "branch_name": branch_name,
            "git_branch": git_branch,
            "instance_size": BRANCH_SIZE,
            "ssl_mode": ssl_mode,
            **dict.fromkeys(OUTPUTS),
        }
        super().__init__(
            SupabaseBranchProvider(api_url),
            name,
            props,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["database_url"])),
        )
