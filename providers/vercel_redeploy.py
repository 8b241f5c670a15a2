"""A production redeploy whenever the app's variables change, so a `pulumi up` that changes a
variable (a rotated key, a new bucket) has it live when the `up` ends.

Vercel applies a changed variable only to deployments made after it: without this, a rotated key
reaches nothing that is running, and revoking the old key breaks production. The resource's input
``variables_version`` is a digest of every variable's key, targets and value, and it depends on
every variable resource, so it runs after they are all written. Create records the version
without deploying (adopting a live project changes nothing, and the running deployment already
has the adopted values); update (the digest changed) makes production run the new values through
``VercelApi.rebuild_production``, the one rebuild `make rotate` uses too: it rebuilds the
deployment that serves production now (after an Instant Rollback, the one rolled back to, not the
newest READY one), waits until the rebuild is READY, and promotes it when Vercel did not. The
rebuild is marked with the digest and the deployment it rebuilt, so a reverted variable set never
brings back the old build made for it. A build that ends ERROR or CANCELED, or does not finish in
time, fails the update: the state keeps the old digest, so the next `up` tries again. Delete
leaves the deployments as they are.

This module's path is in deployed state: it stays where it is (providers/__init__.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, UpdateResult

from clients.http import ApiError
from clients.vercel import API_URL, VercelApi
from providers.runtime_token import RuntimeTokenProvider

# The Vercel provider's own config key and variable: one token for both.
TOKEN_CONFIG_KEY = "vercel:apiToken"  # noqa: S105
TOKEN_ENVIRONMENT = "VERCEL_API_TOKEN"  # noqa: S105


def variables_version(variables: Sequence[tuple[str, Sequence[str], str]]) -> str:
    """A digest of (key, targets, value) for every variable: changes exactly when one of them does."""
    canonical = json.dumps(sorted((key, sorted(targets), value) for key, targets, value in variables))
    return hashlib.sha256(canonical.encode()).hexdigest()


class ProductionRedeployProvider(RuntimeTokenProvider):
    token_config_key = TOKEN_CONFIG_KEY
    token_environment = TOKEN_ENVIRONMENT

    def __init__(self, api_url: str = API_URL) -> None:
        super().__init__(api_url)

    def redeploy(self, props: dict[str, Any]) -> str | None:
        """The new deployment's id, READY and serving; None when the project has no production deployment yet."""
        try:
            with VercelApi(self.token(), props["team_id"], self._api_url) as api:
                return api.rebuild_production(
                    props["project_id"], props["project_name"], str(props["variables_version"])
                )
        except ApiError as error:
            raise RuntimeError(f"vercel production redeploy: {error}") from None

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=f"{props['project_id']}/redeploy", outs={**props, "deployment_id": None})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in ("variables_version", "project_id", "project_name") if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(changed), replaces=[], stables=[], delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        deployment_id = olds.get("deployment_id")
        if olds.get("variables_version") != news["variables_version"]:
            deployment_id = self.redeploy(news)
        return UpdateResult(outs={**news, "deployment_id": deployment_id})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Removing the resource leaves the deployments as they are."""


class ProductionRedeploy(pulumi.dynamic.Resource, module="vercel", name="ProductionRedeploy"):
    deployment_id: pulumi.Output[str | None]

    def __init__(
        self,
        name: str,
        project_id: pulumi.Input[str],
        project_name: str,
        team_id: str,
        variables_version: pulumi.Input[str],
        api_url: str = API_URL,
        opts: pulumi.ResourceOptions | None = None,
    ):
        props = {
            "project_id": project_id,
            "project_name": project_name,
            "team_id": team_id,
            "variables_version": variables_version,
            "deployment_id": None,
        }
        super().__init__(ProductionRedeployProvider(api_url), name, props, opts)
