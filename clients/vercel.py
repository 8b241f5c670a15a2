"""The Vercel REST API (``https://api.vercel.com``): reads for adopting a live project, a variable's
new value, and the production redeploy that makes changed variables live."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clients.http import ApiError, JsonApi

API_URL = "https://api.vercel.com"


def live_targets(variable: Mapping[str, Any]) -> set[str]:
    """A listed variable's targets: the API answers a list, or one target as a string."""
    target = variable.get("target") or []
    return {target} if isinstance(target, str) else set(target)


class VercelApi(JsonApi):
    vendor = "Vercel"

    def __init__(self, token: str, team_id: str, base_url: str = API_URL):
        if not token:
            raise ApiError("no Vercel token: set VERCEL_TOKEN")
        super().__init__(base_url, headers={"Authorization": f"Bearer {token}"})
        self._team = {"teamId": team_id}

    @property
    def team(self) -> dict[str, str]:
        """The query parameter every call of the team's resources carries."""
        return dict(self._team)

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

    def redeploy(self, project_name: str, deployment_id: str) -> str:
        """A new production deployment of the same source, built with the variables as they are now."""
        body = {"name": project_name, "deploymentId": deployment_id, "target": "production"}
        answer = self.request("POST", "/v13/deployments", json=body, params=self._team, what="production redeploy")
        return str(answer["id"])

    def promote(self, project_id: str, deployment_id: str) -> None:
        """promoteDeployment: ``deployment_id`` serves production. After an Instant Rollback Vercel
        stops promoting new production deployments by itself, so a rebuild must be promoted."""
        path = f"/v10/projects/{project_id}/promote/{deployment_id}"
        self.request("POST", path, params=self._team, what="promote to production")

    def deployment_state(self, deployment_id: str) -> str:
        """readyState: QUEUED, INITIALIZING, BUILDING, then READY, ERROR or CANCELED."""
        return str(self.request("GET", f"/v13/deployments/{deployment_id}", params=self._team)["readyState"])
