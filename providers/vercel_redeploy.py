"""A production redeploy whenever the app's variables change, so a `pulumi up` that changes a
variable (a rotated key, a new bucket) has it live when the `up` ends.

Vercel applies a changed variable only to deployments made after it: without this, a rotated key
reaches nothing that is running, and revoking the old key breaks production. The resource's input
``variables_version`` is a digest of every variable's key, targets and value, and it depends on
every variable resource, so it runs after they are all written. Create records the version
without deploying (adopting a live project changes nothing, and the running deployment already
has the adopted values); update (the digest changed) rebuilds the deployment that serves production now (getProject's
``targets.production``: after an Instant Rollback, the one rolled back to, not the newest READY
one), waits until the rebuild is READY, and promotes it when Vercel did not (after a rollback it
stops promoting production builds by itself). A build that ends ERROR or CANCELED, or does not finish in
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
from clients.polling import poll
from clients.vercel import API_URL, VercelApi
from providers.runtime_token import RuntimeTokenProvider

# The Vercel provider's own config key and variable: one token for both.
TOKEN_CONFIG_KEY = "vercel:apiToken"  # noqa: S105
TOKEN_ENVIRONMENT = "VERCEL_API_TOKEN"  # noqa: S105
POLL_SECONDS = 5.0
# A Next.js build of this app takes minutes; past this the update fails and the next up retries.
BUILD_TIMEOUT_SECONDS = 900.0
FAILED_STATES = ("ERROR", "CANCELED")


def variables_version(variables: Sequence[tuple[str, Sequence[str], str]]) -> str:
    """A digest of (key, targets, value) for every variable: changes exactly when one of them does."""
    canonical = json.dumps(sorted((key, sorted(targets), value) for key, targets, value in variables))
    return hashlib.sha256(canonical.encode()).hexdigest()


def wait_until_ready(api: VercelApi, deployment_id: str) -> None:
    """Returns once the build is READY. A 5xx, a 429 or an outage while polling is "not yet"
    (``clients.polling``); ERROR, CANCELED or the deadline fail."""
    seen = ["no state read"]

    def ready() -> bool | None:
        state = api.deployment_state(deployment_id)
        seen[0] = state
        if state in FAILED_STATES:
            raise ApiError(f"deployment {deployment_id} ended {state}")
        return True if state == "READY" else None

    poll(
        ready,
        timeout=BUILD_TIMEOUT_SECONDS,
        interval=POLL_SECONDS,
        clock=api.clock,
        what=f"deployment {deployment_id} not READY",
        last_seen=lambda: seen[0],
    )


class ProductionRedeployProvider(RuntimeTokenProvider):
    token_config_key = TOKEN_CONFIG_KEY
    token_environment = TOKEN_ENVIRONMENT

    def __init__(self, api_url: str = API_URL) -> None:
        super().__init__(api_url)

    def redeploy(self, props: dict[str, Any]) -> str | None:
        """The new deployment's id, READY; None when the project has no production deployment yet."""
        try:
            with VercelApi(self.token(), props["team_id"], self._api_url) as api:
                # The variables' digest marks the build: a build an earlier `up` started for these
                # same values (its reply lost) is taken, not made twice.
                marker = str(props["variables_version"])
                earlier = api.marked_deployment(props["project_name"], marker)
                if earlier is not None and earlier.get("readyState", earlier.get("state")) not in FAILED_STATES:
                    deployment_id = str(earlier["uid"])
                else:
                    current = api.production_deployment(props["project_id"])
                    if current is None:
                        return None
                    # The deployment serving production now: after an Instant Rollback, the one
                    # rolled back to, never the newer one rolled away from.
                    deployment_id = api.redeploy(props["project_name"], str(current["uid"]), marker)
                wait_until_ready(api, deployment_id)
                serving = api.production_deployment(props["project_id"])
                if serving is None or serving["uid"] != deployment_id:
                    # A rollback stops Vercel promoting new production builds: promote the rebuild.
                    api.promote(props["project_id"], deployment_id)
                return deployment_id
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
