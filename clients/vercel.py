"""The Vercel REST API (``https://api.vercel.com``): reads for adopting a live project, a variable's
new value, and the production rebuild that makes changed variables live (``rebuild_production``,
the one way both the redeploy provider and `make rotate` do it).

Vercel limits each endpoint on its own; a 429 carries ``X-RateLimit-Reset`` and the body's
``error.limit.reset``, both in epoch seconds, which the client waits until (``clients.http``).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from clients.http import ApiError, JsonApi
from clients.polling import poll
from clients.timing import Clock

if TYPE_CHECKING:
    import httpx

API_URL = "https://api.vercel.com"
# The deployment's metadata key that marks a redeploy this repository asked for: a lost reply is
# looked up by it. Its value is a digest of the variables' version and the deployment rebuilt.
REDEPLOY_MARKER = "newcoolRedeploy"
# The metadata key holding the variables' version a rebuild was made for: a serving deployment
# that carries the current version already runs those values.
REDEPLOY_VALUES = "newcoolRedeployValues"
POLL_SECONDS = 5.0
# A Next.js build of this app takes minutes; past this the rebuild fails (and can be run again).
BUILD_TIMEOUT_SECONDS = 900.0
FAILED_STATES = ("ERROR", "CANCELED")
# How many of the project's newest production deployments a lookup reads.
LOOKUP_DEPLOYMENTS = 20


def redeploy_marker(values_version: str, source_id: str) -> str:
    """The marker of a rebuild of ``source_id`` for these values. The source is part of it: a
    version seen before (a reverted change) must never find the old build of older code."""
    return hashlib.sha256(f"{values_version}\n{source_id}".encode()).hexdigest()


def live_targets(variable: Mapping[str, Any]) -> set[str]:
    """A listed variable's targets: the API answers a list, or one target as a string."""
    target = variable.get("target") or []
    return {target} if isinstance(target, str) else set(target)


class VercelApi(JsonApi):
    vendor = "Vercel"

    def __init__(self, token: str, team_id: str, base_url: str = API_URL, clock: Clock | None = None):
        if not token:
            raise ApiError("no Vercel token: set VERCEL_API_TOKEN")
        super().__init__(base_url, headers={"Authorization": f"Bearer {token}"}, clock=clock)
        self._team = {"teamId": team_id}

    @property
    def team(self) -> dict[str, str]:
        """The query parameter every call of the team's resources carries."""
        return dict(self._team)

    def rate_limit_wait(self, response: httpx.Response) -> float | None:
        """Vercel's reset is an epoch time in seconds: the header, else the body's ``error.limit.reset``."""
        wait = super().rate_limit_wait(response)
        if wait is not None:
            return wait
        reset: Any = response.headers.get("X-RateLimit-Reset")
        if reset is None:
            try:
                error = response.json().get("error") or {}
                reset = (error.get("limit") or {}).get("reset")
            except (ValueError, AttributeError):
                reset = None
        try:
            return None if reset is None else max(0.0, float(reset) - self.clock.wall())
        except (TypeError, ValueError):
            return None

    def project(self, id_or_name: str) -> dict[str, Any]:
        """getProject. An absent project is an ApiError with status 404: the caller decides what that means."""
        return dict(self.request("GET", f"/v9/projects/{id_or_name}", params=self._team))

    def domains(self, project_id: str) -> list[dict[str, Any]]:
        return list(self.request("GET", f"/v9/projects/{project_id}/domains", params=self._team)["domains"])

    def variables(self, project_id: str, git_branch: str | None = None) -> list[dict[str, Any]]:
        """The project's variables (``git_branch``: those Vercel lists for that branch)."""
        params = {**self._team, **({"gitBranch": git_branch} if git_branch else {})}
        return list(self.request("GET", f"/v10/projects/{project_id}/env", params=params)["envs"])

    def set_variable_value(self, project_id: str, variable_id: str, value: str) -> None:
        """editProjectEnv: a new value; targets, type and comment stay."""
        path = f"/v9/projects/{project_id}/env/{variable_id}"
        self.request("PATCH", path, json={"value": value}, params=self._team, what="variable value")

    def production_deployment(self, project_id: str) -> dict[str, Any] | None:
        """The deployment that serves the project's production domain now (getProject's
        ``targets.production``), if any. After an Instant Rollback that is the one rolled back to,
        older than the newest READY production deployment: rebuilding the newest would undo the
        rollback. Answered as ``{"uid": …}``, the id a redeploy names."""
        serving = (self.project(project_id).get("targets") or {}).get("production")
        return {**serving, "uid": str(serving["id"])} if serving else None

    def marked_deployment(self, project: str, marker: str) -> dict[str, Any] | None:
        """The production deployment a redeploy with this marker made (any state), if any."""
        params = {**self._team, "projectId": project, "target": "production", "limit": LOOKUP_DEPLOYMENTS}
        for deployment in self.request("GET", "/v6/deployments", params=params)["deployments"]:
            if (deployment.get("meta") or {}).get(REDEPLOY_MARKER) == marker:
                return dict(deployment)
        return None

    def redeploy(self, project_name: str, deployment_id: str, marker: str, values_version: str) -> str:
        """A new production deployment of the same source, built with the variables as they are now.

        The deployment carries ``marker`` and ``values_version`` in its metadata: a reply lost
        after Vercel started the build is looked up by the marker, never answered with a second build.
        """
        body = {
            "name": project_name,
            "deploymentId": deployment_id,
            "target": "production",
            "meta": {REDEPLOY_MARKER: marker, REDEPLOY_VALUES: values_version},
        }
        answer = self.create(
            "POST",
            "/v13/deployments",
            json=body,
            params=self._team,
            what="production redeploy",
            find_existing=lambda: self.marked_deployment(project_name, marker),
        )
        return str(answer.get("id") or answer.get("uid"))

    def promote(self, project_id: str, deployment_id: str) -> None:
        """promoteDeployment: ``deployment_id`` serves production. After an Instant Rollback Vercel
        stops promoting new production deployments by itself, so a rebuild must be promoted."""
        path = f"/v10/projects/{project_id}/promote/{deployment_id}"
        self.request("POST", path, params=self._team, what="promote to production")

    def deployment_state(self, deployment_id: str) -> str:
        """readyState: QUEUED, INITIALIZING, BUILDING, then READY, ERROR or CANCELED."""
        return str(self.request("GET", f"/v13/deployments/{deployment_id}", params=self._team)["readyState"])

    def wait_until_ready(self, deployment_id: str) -> None:
        """Returns once the build is READY. A 5xx, a 429 or an outage while polling is "not yet"
        (``clients.polling``); ERROR, CANCELED or the deadline fail."""
        seen = ["no state read"]

        def ready() -> bool | None:
            state = self.deployment_state(deployment_id)
            seen[0] = state
            if state in FAILED_STATES:
                raise ApiError(f"deployment {deployment_id} ended {state}")
            return True if state == "READY" else None

        poll(
            ready,
            timeout=BUILD_TIMEOUT_SECONDS,
            interval=POLL_SECONDS,
            clock=self.clock,
            what=f"deployment {deployment_id} not READY",
            last_seen=lambda: seen[0],
        )

    def rebuild_production(self, project_id: str, project_name: str, values_version: str | None = None) -> str | None:
        """Rebuilds what serves production now, waits until the rebuild is READY, and promotes it
        when it does not serve: the new id, or None when nothing serves production yet.

        What serves now is getProject's ``targets.production``: after an Instant Rollback the
        deployment rolled back to, never the newer one rolled away from, and Vercel then stops
        promoting production builds by itself, hence the promote. ``values_version`` names the
        variables the rebuild is for (a fresh one when None): a deployment that serves and was
        built for it is kept as it is, and a rebuild an earlier call started (its reply lost) is
        found by its marker, which includes the serving deployment, so a version seen before never
        brings back an old build. ERROR, CANCELED or the deadline is an ``ApiError``.
        """
        serving = self.production_deployment(project_id)
        if serving is None:
            return None
        values_version = values_version or uuid.uuid4().hex
        if (serving.get("meta") or {}).get(REDEPLOY_VALUES) == values_version:
            return str(serving["uid"])
        marker = redeploy_marker(values_version, str(serving["uid"]))
        earlier = self.marked_deployment(project_name, marker)
        if earlier is not None and earlier.get("readyState", earlier.get("state")) not in FAILED_STATES:
            deployment_id = str(earlier["uid"])
        else:
            deployment_id = self.redeploy(project_name, str(serving["uid"]), marker, values_version)
        self.wait_until_ready(deployment_id)
        if (self.production_deployment(project_id) or {}).get("uid") != deployment_id:
            self.promote(project_id, deployment_id)
        return deployment_id
