"""The Vercel REST API (``https://api.vercel.com``): reads for adopting a live project, a variable's
new value, and the production redeploy that makes changed variables live.

Vercel limits each endpoint on its own; a 429 carries ``X-RateLimit-Reset`` and the body's
``error.limit.reset``, both in epoch seconds, which the client waits until (``clients.http``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from clients.http import ApiError, JsonApi
from clients.timing import Clock

if TYPE_CHECKING:
    import httpx

API_URL = "https://api.vercel.com"
# The deployment's metadata key that marks a redeploy this repository asked for: a lost reply is
# looked up by it.
REDEPLOY_MARKER = "newcoolRedeploy"
# How many of the project's newest production deployments a lookup reads.
LOOKUP_DEPLOYMENTS = 20


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

    def variables(self, project_id: str) -> list[dict[str, Any]]:
        return list(self.request("GET", f"/v10/projects/{project_id}/env", params=self._team)["envs"])

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

    def redeploy(self, project_name: str, deployment_id: str, marker: str | None = None) -> str:
        """A new production deployment of the same source, built with the variables as they are now.

        The deployment carries ``marker`` (a fresh one when None) in its metadata: a reply lost
        after Vercel started the build is looked up by it, never answered with a second build.
        """
        marker = marker or uuid.uuid4().hex
        body = {
            "name": project_name,
            "deploymentId": deployment_id,
            "target": "production",
            "meta": {REDEPLOY_MARKER: marker},
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
