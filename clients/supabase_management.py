"""The Supabase Management API (``https://api.supabase.com/v1``), with a personal access token.

A bearer token (``sbp_…``); the API allows 60 requests a minute per user, so 429s are retried
(``clients.http``).
"""

from __future__ import annotations

from typing import Any

from clients.http import ApiError, JsonApi

API_URL = "https://api.supabase.com"


class ManagementApi(JsonApi):
    vendor = "Supabase"

    def __init__(self, token: str, base_url: str = API_URL):
        if not token:
            raise ApiError("no Supabase access token: set it with `pulumi config set --secret supabaseAccessToken`")
        super().__init__(base_url, headers={"Authorization": f"Bearer {token}"})

    def api_keys(self, ref: str, *, reveal: bool = False) -> list[dict[str, Any]]:
        """The project's API keys; with ``reveal`` their values too (never printed)."""
        params = {"reveal": "true"} if reveal else None
        return [dict(key) for key in self.request("GET", f"/v1/projects/{ref}/api-keys", params=params) or []]

    def create_api_key(self, ref: str, key_type: str, name: str, description: str) -> dict[str, Any]:
        """A new publishable or secret key, answered with its value."""
        body = {"type": key_type, "name": name, "description": description}
        path = f"/v1/projects/{ref}/api-keys"
        return dict(self.request("POST", path, params={"reveal": "true"}, json=body, what=name))

    def revoke_api_key(self, ref: str, key_id: str) -> None:
        self.request("DELETE", f"/v1/projects/{ref}/api-keys/{key_id}", what="revoke")
