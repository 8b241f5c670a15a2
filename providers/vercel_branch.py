"""A review environment's Vercel wiring: preview variables scoped to the pull request's git
branch, and one rebuild of the branch's preview once they exist.

``BranchVariable`` writes with ``upsert=true`` (clients/vercel_branches.py): a re-run after a kill
replaces the variable the killed run wrote instead of failing on it or adding a second; the
Vercel provider's own variable resource would fail there (ENV_CONFLICT). Target ``preview`` and
a ``gitBranch`` always: nothing here can reach production or the generic preview. Read treats a
missing variable as gone; delete removes it (already gone is done).

``BranchRebuild`` rebuilds the branch's newest preview deployment when the variables' digest
changes (create included: the variables are new). The rebuild carries the digest and the
deployment it rebuilt in its ``meta``, so a re-run after a kill finds it and rebuilds nothing twice,
unless that build ended ERROR or CANCELED. No preview yet (the app's
branch was never pushed): nothing to rebuild, and ``deployment_id`` stays empty (the review
comment says so); every later ``up`` looks again until one exists.

This module's path is in deployed state: it stays where it is (providers/__init__.py).
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from clients.http import ApiError
from clients.vercel import API_URL, FAILED_STATES, VercelApi
from clients.vercel_branches import (
    branch_deployments,
    branch_variables,
    delete_variable,
    rebuild,
    upsert_branch_variable,
)
from providers.runtime_token import RuntimeTokenProvider
from providers.vercel_redeploy import TOKEN_CONFIG_KEY, TOKEN_ENVIRONMENT

VARIABLE_FIELDS = ("project_id", "team_id", "key", "value", "git_branch", "sensitive", "review")
VERSION_META = "newcoolVariables"
SOURCE_META = "newcoolRebuildOf"


def _state(deployment: dict[str, Any]) -> str:
    return str(deployment.get("readyState", deployment.get("state")))


class _VercelTokenBase(RuntimeTokenProvider):
    token_config_key = TOKEN_CONFIG_KEY
    token_environment = TOKEN_ENVIRONMENT

    def __init__(self, api_url: str = API_URL) -> None:
        super().__init__(api_url)

    def api(self, team_id: str) -> VercelApi:
        return VercelApi(self.token(), team_id, self._api_url)


class BranchVariableProvider(_VercelTokenBase):
    def _write(self, props: dict[str, Any]) -> dict[str, Any]:
        try:
            with self.api(props["team_id"]) as api:
                written = upsert_branch_variable(
                    api,
                    props["project_id"],
                    key=props["key"],
                    value=props["value"],
                    git_branch=props["git_branch"],
                    sensitive=bool(props["sensitive"]),
                    review=props["review"],
                )
        except ApiError as error:
            raise RuntimeError(f"vercel variable {props['key']} ({props['git_branch']}): {error}") from None
        return {**props, "variable_id": written["id"], "targets": ["preview"]}

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = self._write(props)
        return CreateResult(id_=str(outs["variable_id"]), outs=outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in VARIABLE_FIELDS if olds.get(key) != news.get(key)]
        replacing: tuple[str, ...] = ("project_id", "team_id", "key", "git_branch", "sensitive")
        replaces = [key for key in replacing if key in changed]
        return DiffResult(changes=bool(changed), replaces=replaces, stables=[], delete_before_replace=True)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=self._write(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            with self.api(props["team_id"]) as api:
                live = branch_variables(api, props["project_id"], props["git_branch"])
        except ApiError as error:
            raise RuntimeError(f"vercel variable {props.get('key')}: {error}") from None
        if not any(v.get("id") == id_ for v in live):
            return ReadResult(id_="", outs={})
        return ReadResult(id_=id_, outs=props)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            with self.api(props["team_id"]) as api:
                delete_variable(api, props["project_id"], id_, str(props.get("key")))
        except ApiError as error:
            if error.status != 404:
                raise RuntimeError(f"vercel variable {props.get('key')}: {error}") from None


class BranchVariable(pulumi.dynamic.Resource, module="vercel", name="BranchVariable"):
    variable_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        project_id: pulumi.Input[str],
        team_id: str,
        key: str,
        value: pulumi.Input[str],
        git_branch: str,
        sensitive: bool,
        review: str,
        api_url: str = API_URL,
        opts: pulumi.ResourceOptions | None = None,
    ):
        props = {
            "project_id": project_id,
            "team_id": team_id,
            "key": key,
            "value": value,
            "git_branch": git_branch,
            "sensitive": sensitive,
            "review": review,
            # For the plan's reader: the provider always writes the preview target only.
            "targets": ["preview"],
            "variable_id": None,
        }
        super().__init__(
            BranchVariableProvider(api_url),
            name,
            props,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["value"])),
        )


class BranchRebuildProvider(_VercelTokenBase):
    def _rebuild(self, props: dict[str, Any]) -> str | None:
        version = props["variables_version"]
        try:
            with self.api(props["team_id"]) as api:
                deployments = branch_deployments(api, props["project_id"], props["git_branch"])
                if not deployments:
                    return None
                newest = deployments[0]
                if (newest.get("meta") or {}).get(VERSION_META) == version and _state(newest) not in FAILED_STATES:
                    return str(newest["uid"])  # a killed run's rebuild, still good: adopted
                # Rebuild a build that worked: a failed or cancelled newest one would fail again.
                source = next((d for d in deployments if _state(d) == "READY"), None)
                if source is None:
                    return None
                # Marked with what it rebuilds too: after a lost reply, the build found is this one,
                # never an older build made for the same variables from older code.
                meta = {VERSION_META: version, SOURCE_META: str(source["uid"])}
                return rebuild(
                    api, props["project_id"], props["project_name"], props["git_branch"], str(source["uid"]), meta
                )
        except ApiError as error:
            raise RuntimeError(f"vercel preview rebuild of {props['git_branch']}: {error}") from None

    def create(self, props: dict[str, Any]) -> CreateResult:
        deployment_id = self._rebuild(props)
        id_ = f"{props['project_id']}/{props['git_branch']}"
        return CreateResult(id_=id_, outs={**props, "deployment_id": deployment_id})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = ("variables_version", "project_id", "project_name", "git_branch")
        changed = [key for key in keys if olds.get(key) != news.get(key)]
        # No preview of the branch yet: every up looks again, so the output says when one exists.
        return DiffResult(
            changes=bool(changed) or not olds.get("deployment_id"), replaces=[], stables=[], delete_before_replace=False
        )

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        changed = olds.get("variables_version") != news["variables_version"] or not olds.get("deployment_id")
        deployment_id = self._rebuild(news) if changed else olds.get("deployment_id")
        return UpdateResult(outs={**news, "deployment_id": deployment_id})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Removing the resource leaves the deployments as they are (Vercel expires previews)."""


class BranchRebuild(pulumi.dynamic.Resource, module="vercel", name="BranchRebuild"):
    deployment_id: pulumi.Output[str | None]

    def __init__(
        self,
        name: str,
        *,
        project_id: pulumi.Input[str],
        project_name: str,
        team_id: str,
        git_branch: str,
        variables_version: pulumi.Input[str],
        api_url: str = API_URL,
        opts: pulumi.ResourceOptions | None = None,
    ):
        props = {
            "project_id": project_id,
            "project_name": project_name,
            "team_id": team_id,
            "git_branch": git_branch,
            "variables_version": variables_version,
            "deployment_id": None,
        }
        super().__init__(BranchRebuildProvider(api_url), name, props, opts)
