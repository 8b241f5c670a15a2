"""Everything review environments leave in the vendors' accounts, read by name only.

Supabase branches named ``pr-<N>`` on the parent, Upstash databases named ``newcool-pr-<N>``,
Vercel variables whose comment is ``newcool-review pr-<N>``, and Pulumi stacks ``pr-<N>``:
nothing else is ever listed, so nothing else can be removed. Credentials come from the
environment (``SUPABASE_ACCESS_TOKEN``, ``VERCEL_API_TOKEN``, ``UPSTASH_EMAIL`` and
``UPSTASH_API_KEY``; the API URLs may be pointed elsewhere, as the tests do).
"""

from __future__ import annotations

import datetime
import functools
import json
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from clients.http import ApiError
from clients.supabase_management import API_URL as SUPABASE_API
from clients.supabase_management import ManagementApi
from clients.upstash import API_URL as UPSTASH_API
from clients.upstash import UpstashApi
from clients.vercel import API_URL as VERCEL_API
from clients.vercel import VercelApi
from clients.vercel_branches import branch_variables, delete_variable, review_of
from stack_config.review import REVIEW_CACHE_NAME, REVIEW_NAME, ReviewConfig
from stack_config.stack_file import ROOT
from stack_config.vocabulary import REVIEW_TEMPLATE

BRANCH_NAME = REVIEW_NAME
CACHE_NAME = REVIEW_CACHE_NAME
CREDENTIALS = ("SUPABASE_ACCESS_TOKEN", "VERCEL_API_TOKEN", "UPSTASH_EMAIL", "UPSTASH_API_KEY")


class InventoryError(Exception):
    """One line: which call failed, never a credential."""


@dataclass
class Leftover:
    kind: str  # branch, cache, variable, stack
    number: int
    label: str
    created: datetime.datetime | None
    remove: Callable[[], None]

    def describe(self) -> str:
        return f"{self.kind} {self.label} (pr-{self.number})"


def parsed_time(value: object, per_second: int = 1) -> datetime.datetime | None:
    """An ISO time, or an epoch number in ``1/per_second`` units (Upstash seconds, Vercel ms)."""
    if isinstance(value, int | float):
        return datetime.datetime.fromtimestamp(value / per_second, tz=datetime.UTC)
    if isinstance(value, str) and value:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


def missing_credentials(environ: Mapping[str, str]) -> list[str]:
    return [name for name in CREDENTIALS if not environ.get(name)]


def _remove_stack(call: Callable[[list[str]], str], name: str, root: Path) -> None:
    # The CLI runs the program with the stack's file: written from the template when absent,
    # and deleted again once the stack is gone (it is never committed).
    stack_file = root / f"Pulumi.{name}.yaml"
    written = not stack_file.exists()
    if written:
        shutil.copyfile(ROOT / REVIEW_TEMPLATE, stack_file)
    call(["destroy", "--stack", name, "--yes", "--skip-preview"])
    call(["stack", "rm", name, "--yes"])
    if written:
        stack_file.unlink(missing_ok=True)


def pulumi_stacks(run: Callable[[list[str]], str] | None = None, root: Path = ROOT) -> list[Leftover]:
    """The project's pr-<N> stacks (`pulumi stack ls`); removal destroys, then removes the stack.
    ``root`` is where the CLI finds the stack files (the repository; a test's own directory)."""

    def cli(args: list[str]) -> str:
        done = subprocess.run(["pulumi", *args], capture_output=True, text=True, timeout=1800, check=False)  # noqa: S603, S607
        if done.returncode != 0:
            raise InventoryError(f"pulumi {' '.join(args[:2])} failed: {done.stderr.strip().splitlines()[-1:]}")
        return done.stdout

    call = run or cli
    found = []
    for stack in json.loads(call(["stack", "ls", "--json"]) or "[]"):
        name = str(stack.get("name", "")).rsplit("/", 1)[-1]
        match = BRANCH_NAME.match(name)
        if not match:
            continue
        remove = functools.partial(_remove_stack, call, name, root)
        found.append(Leftover("stack", int(match[1]), name, parsed_time(stack.get("lastUpdate")), remove))
    return found


@dataclass
class Accounts:
    """The vendors' clients for one review configuration (the template's parent and project)."""

    config: ReviewConfig
    environ: Mapping[str, str]

    def supabase(self) -> ManagementApi:
        return ManagementApi(self.environ["SUPABASE_ACCESS_TOKEN"], self.environ.get("SUPABASE_API_URL", SUPABASE_API))

    def vercel(self) -> VercelApi:
        base = self.environ.get("VERCEL_API_URL", VERCEL_API)
        return VercelApi(self.environ["VERCEL_API_TOKEN"], self.config.vercel.team_id, base)

    def upstash(self) -> UpstashApi:
        base = self.environ.get("UPSTASH_API_URL", UPSTASH_API)
        return UpstashApi(self.environ["UPSTASH_EMAIL"], self.environ["UPSTASH_API_KEY"], base)

    def branches(self) -> list[Leftover]:
        parent = self.config.parent_ref
        with self.supabase() as api:
            listed = api.branches(parent)
        found = []
        for branch in listed:
            match = BRANCH_NAME.match(str(branch.get("name")))
            # One already scheduled for deletion is on its way out: it neither counts against the
            # cap nor needs removing again.
            if match and not branch.get("is_default") and not branch.get("deletion_scheduled_at"):
                ref = str(branch["project_ref"])
                remove = functools.partial(self._delete_branch, ref)
                created = parsed_time(branch.get("created_at"))
                found.append(Leftover("branch", int(match[1]), f"{branch['name']} ({ref})", created, remove))
        return found

    def _delete_branch(self, ref: str) -> None:
        with self.supabase() as api:
            api.delete_branch(ref, "review branch")

    def caches(self) -> list[Leftover]:
        with self.upstash() as api:
            listed = api.databases()
        found = []
        for database in listed:
            match = CACHE_NAME.match(str(database.get("database_name")))
            if match:
                id_ = str(database["database_id"])
                remove = functools.partial(self._delete_cache, id_)
                created = parsed_time(database.get("creation_time"))
                found.append(Leftover("cache", int(match[1]), str(database["database_name"]), created, remove))
        return found

    def _delete_cache(self, database_id: str) -> None:
        with self.upstash() as api:
            api.delete_database(database_id, "review cache")

    def variables(self) -> list[Leftover]:
        with self.vercel() as api:
            project = str(api.project(self.config.vercel.project_name)["id"])
            listed = branch_variables(api, project)
        found = []
        for variable in listed:
            review = review_of(variable)
            match = BRANCH_NAME.match(review or "")
            if match:
                id_, label = str(variable["id"]), f"{variable['key']}@{variable['gitBranch']}"
                remove = functools.partial(self._delete_variable, project, id_)
                created = parsed_time(variable.get("createdAt"), per_second=1000)  # Vercel: milliseconds
                found.append(Leftover("variable", int(match[1]), label, created, remove))
        return found

    def _delete_variable(self, project: str, variable_id: str) -> None:
        with self.vercel() as api:
            delete_variable(api, project, variable_id, "review variable")

    def everything(self) -> list[Leftover]:
        try:
            return [*self.branches(), *self.caches(), *self.variables()]
        except ApiError as error:
            raise InventoryError(str(error)) from None
