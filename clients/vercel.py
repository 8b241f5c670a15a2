"""The Vercel REST API (``https://api.vercel.com``), read-only, for adopting a live project."""

from __future__ import annotations

from typing import Any

from clients.http import ApiError, JsonApi

API_URL = "https://api.vercel.com"


class VercelApi(JsonApi):
    vendor = "Vercel"

    def __init__(self, token: str, team_id: str, base_url: str = API_URL):
        if not token:
            raise ApiError("no Vercel token: set VERCEL_TOKEN")
        super().__init__(base_url, headers={"Authorization": f"Bearer {token}"})
        self._team = {"teamId": team_id}

    def project(self, id_or_name: str) -> dict[str, Any]:
        """getProject. An absent project is an ApiError with status 404: the caller decides what that means."""
        return dict(self.request("GET", f"/v9/projects/{id_or_name}", params=self._team))

    def domains(self, project_id: str) -> list[dict[str, Any]]:
        return list(self.request("GET", f"/v9/projects/{project_id}/domains", params=self._team)["domains"])

    def variables(self, project_id: str) -> list[dict[str, Any]]:
        return list(self.request("GET", f"/v10/projects/{project_id}/env", params=self._team)["envs"])
