"""A Supabase preview branch (a review environment's database) as a Pulumi resource.

- create adopts a branch of the same name on the parent (a re-run after a kill makes no second
  one), else sends ``POST /v1/projects/{parent}/branches`` once (``JsonApi.create``: after a lost
  answer it looks the branch up by name), never persistent, never with the parent's data. It
  returns only once the branch is usable: its newest action run has every step EXITED, the
  branch reads ``ACTIVE_HEALTHY``, and a first connection through its session pooler has
  succeeded (Supabase reports ready before it is: supabase/supabase#39604).
- The database URL is the branch's Supavisor session pooler (``GET
  /v1/projects/{branch}/config/database/pooler``: host ``aws-0-<region>.pooler.supabase.com``,
  user ``postgres.<branch>``, port 5432), never the direct host ``db.<branch>.supabase.co``: that
  one has no IPv4 address without the paid add-on, and GitHub's runners have IPv4 only.
- A branch stuck past the deadline, or whose action run died, is deleted before create fails
  in one line: adopting it on the next push would fail the same way. A branch scheduled for
  deletion is never adopted.
- read treats 404 as gone; delete calls ``DELETE /v1/branches/{ref}`` (404: already gone).
  Nothing here calls ``DELETE /v1/projects/{ref}/branches`` (it turns branching off for the whole
  project), merge, push or reset.

This module's path is in deployed state: it stays where it is (providers/__init__.py).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult

from clients.http import ApiError
from clients.polling import poll
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


class BranchStuckError(ApiError):
    """The branch was not usable by the deadline."""


# Supavisor's shared pooler: 5432 keeps a session (the migration runner's advisory lock needs
# one), 6543 pools transactions.
SESSION_POOLER_PORT = 5432
TRANSACTION_POOLER_PORT = 6543


def session_pooler(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Host, port and user of the primary database's session pooler, from the pooler config."""
    primary = next((entry for entry in entries if entry.get("database_type") == "PRIMARY"), None)
    if primary is None:
        raise NotReadyError("no pooler listed for its primary database")
    port = int(primary["db_port"])
    if primary.get("pool_mode") != "session" or port == TRANSACTION_POOLER_PORT:
        port = SESSION_POOLER_PORT  # the same host serves sessions on 5432
    return {"db_host": primary["db_host"], "db_port": port, "db_user": primary["db_user"]}


def database_url(pooler: dict[str, Any], password: str, ssl_mode: str) -> str:
    user = urllib.parse.quote(str(pooler["db_user"]), safe="")
    quoted = urllib.parse.quote(password, safe="")
    host, port = pooler["db_host"], pooler["db_port"]
    return f"postgresql://{user}:{quoted}@{host}:{port}/postgres?sslmode={ssl_mode}"


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
    """Waits until a new branch is usable (``clients.polling.poll`` on the API's clock: tests run
    it in virtual time)."""

    api: ManagementApi
    ssl_mode: str
    deadline_seconds: float = READY_TIMEOUT_SECONDS
    connect: Callable[[str], None] = connects
    last: str = field(default="nothing asked yet", init=False)

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
        detail = self.api.branch(ref)
        if detail.get("status") != "ACTIVE_HEALTHY":
            raise NotReadyError(f"status {detail.get('status')}")
        return detail

    def _pooler(self, ref: str) -> dict[str, Any]:
        return session_pooler(self.api.poolers(ref))

    def _usable(self, ref: str) -> dict[str, Any] | None:
        """The connection once every sign says usable; None (what it waits on in ``last``) before."""
        try:
            self._action_run_done(ref)
            detail = self._healthy(ref)
            pooler = self._pooler(ref)
            url = database_url(pooler, str(detail.get("db_pass") or ""), self.ssl_mode)
            self.connect(url)
        except NotReadyError as waiting:
            self.last = str(waiting)
            return None
        except BranchFailedError:
            raise
        except ApiError as error:
            # A new branch answers 404 (and 5xx) for a while: "not yet", not "no".
            if error.status not in TRANSIENT_STATUSES and not error.transient:
                raise
            self.last = str(error)
            return None
        return {**pooler, "database_url": url}

    def wait(self, ref: str) -> dict[str, Any]:
        """The branch's session pooler (db_host, db_port, db_user) and its database URL once it is
        usable; BranchStuckError past the deadline."""
        clock = self.api.clock
        started = clock.monotonic()
        try:
            return poll(
                lambda: self._usable(ref),
                timeout=self.deadline_seconds,
                interval=POLL_SECONDS,
                clock=clock,
                what="not usable",
                last_seen=lambda: self.last,
            )
        except BranchFailedError:
            raise
        except ApiError as error:
            if clock.monotonic() - started >= self.deadline_seconds:
                raise BranchStuckError(str(error)) from None
            raise


class SupabaseBranchProvider(TokenProvider):
    def __init__(self, api_url: str = API_URL, deadline_seconds: float | None = None) -> None:
        super().__init__(api_url)
        self._deadline = READY_TIMEOUT_SECONDS if deadline_seconds is None else deadline_seconds

    def _label(self, props: dict[str, Any]) -> str:
        return f"supabase branch {props.get('branch_name')}"

    @staticmethod
    def find(api: ManagementApi, parent_ref: str, name: str) -> dict[str, Any] | None:
        branches = api.branches(parent_ref)
        # One on its way out is not adopted: it would vanish under the stack.
        return next((b for b in branches if b.get("name") == name and not b.get("deletion_scheduled_at")), None)

    def readiness(self, api: ManagementApi, ssl_mode: str) -> Readiness:
        return Readiness(api, ssl_mode, self._deadline)

    def _outs(self, props: dict[str, Any], ref: str, created_at: Any, connection: dict[str, Any]) -> dict[str, Any]:
        return {
            **props,
            "branch_ref": ref,
            "url": f"https://{ref}.supabase.co",
            "db_host": connection["db_host"],
            "db_port": int(connection["db_port"]),
            "db_user": connection["db_user"],
            "database_url": connection["database_url"],
            "created_at": created_at,
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
                ref = str(branch["project_ref"])
                try:
                    connection = self.readiness(api, props["ssl_mode"]).wait(ref)
                except (BranchStuckError, BranchFailedError) as unusable:
                    raise ApiError(f"{unusable}; {self._discard(api, ref)}") from None
        except ApiError as error:
            raise RuntimeError(f"{self._label(props)}: {error}") from None
        return CreateResult(id_=ref, outs=self._outs(props, ref, branch.get("created_at"), connection))

    @staticmethod
    def _discard(api: ManagementApi, ref: str) -> str:
        """Deletes an unusable branch; says what became of it."""
        try:
            api.delete_branch(ref, "unusable review branch")
        except ApiError as error:
            if error.status != 404:
                return f"could not remove it ({error}): `make review-sweep APPLY=1` removes it"
        return "removed it: a re-run creates a fresh one"

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in REPLACING if olds.get(key) != news.get(key)]
        # Two branches of one name cannot coexist (409), and a review branch holds nothing worth
        # keeping: the old one goes before the new one is made.
        return DiffResult(changes=bool(replaces), replaces=replaces, stables=[], delete_before_replace=True)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            with self.api() as api:
                detail = api.branch(id_)
                pooler = session_pooler(api.poolers(id_))
        except ApiError as error:
            if error.status == 404:
                return ReadResult(id_="", outs={})  # deleted (the sweeper, or by hand): gone
            raise RuntimeError(f"{self._label(props)}: {error}") from None
        except NotReadyError as error:
            raise RuntimeError(f"{self._label(props)}: {error}") from None
        connection = {
            **pooler,
            "database_url": database_url(pooler, str(detail.get("db_pass") or ""), props["ssl_mode"]),
        }
        return ReadResult(id_=id_, outs=self._outs(props, id_, props.get("created_at"), connection))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            with self.api() as api:
                api.delete_branch(id_, str(props.get("branch_name")))
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
