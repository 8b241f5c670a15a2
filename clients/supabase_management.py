"""The Supabase Management API (``https://api.supabase.com/v1``), with a personal access token.

A bearer token (``sbp_…``). The API allows 120 requests a minute and answers 429 for the rest of
the minute, with ``X-RateLimit-Reset`` as the seconds left and no ``Retry-After``: the client
waits that long (``clients.http``, within its retry budget).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clients.http import ApiError, JsonApi
from clients.timing import Clock

if TYPE_CHECKING:
    import httpx

API_URL = "https://api.supabase.com"


class ManagementApi(JsonApi):
    vendor = "Supabase"

    def __init__(self, token: str, base_url: str = API_URL, clock: Clock | None = None):
        if not token:
            raise ApiError("no Supabase access token: set it with `pulumi config set --secret supabaseAccessToken`")
        super().__init__(base_url, headers={"Authorization": f"Bearer {token}"}, clock=clock)

    def rate_limit_wait(self, response: httpx.Response) -> float | None:
        """Supabase's ``X-RateLimit-Reset`` counts the seconds left in the window."""
        wait = super().rate_limit_wait(response)
        reset = response.headers.get("X-RateLimit-Reset")
        if wait is None and reset is not None:
            try:
                wait = max(0.0, float(reset))
            except ValueError:
                return None
        return wait

    def api_keys(self, ref: str, *, reveal: bool = False) -> list[dict[str, Any]]:
        """The project's API keys; with ``reveal`` their values too (never printed)."""
        params = {"reveal": "true"} if reveal else None
        return [dict(key) for key in self.request("GET", f"/v1/projects/{ref}/api-keys", params=params) or []]

    def api_key_named(self, ref: str, key_type: str, name: str) -> dict[str, Any] | None:
        """The project's key of this type and name, with its value; None when there is none."""
        return next(
            (k for k in self.api_keys(ref, reveal=True) if k.get("type") == key_type and k.get("name") == name), None
        )

    def create_api_key(self, ref: str, key_type: str, name: str, description: str) -> dict[str, Any]:
        """A new publishable or secret key, answered with its value. A lost reply never makes two:
        the key is looked up by its name and adopted (``JsonApi.create``)."""
        body = {"type": key_type, "name": name, "description": description}
        path = f"/v1/projects/{ref}/api-keys"
        created = self.create(
            "POST",
            path,
            params={"reveal": "true"},
            json=body,
            what=name,
            find_existing=lambda: self.api_key_named(ref, key_type, name),
        )
        return dict(created)

    def revoke_api_key(self, ref: str, key_id: str) -> None:
        """Revokes a key; one already gone (a retried call whose first reply was lost) is done."""
        try:
            self.request("DELETE", f"/v1/projects/{ref}/api-keys/{key_id}", what="revoke")
        except ApiError as error:
            if error.status != 404:
                raise

    # Branching. Only one branch is ever deleted, by its own ref: ``DELETE /v1/projects/{ref}/branches``
    # turns branching off for the whole project, and merge and push change the parent; none is here.
    def branches(self, parent_ref: str) -> list[dict[str, Any]]:
        return [dict(branch) for branch in self.request("GET", f"/v1/projects/{parent_ref}/branches") or []]

    def branch(self, ref: str) -> dict[str, Any]:
        """One branch's config (``db_host``, ``db_pass``, ``status`` …); an absent one is a 404 ApiError."""
        return dict(self.request("GET", f"/v1/branches/{ref}"))

    def delete_branch(self, ref: str, what: str) -> None:
        self.request("DELETE", f"/v1/branches/{ref}", what=what)

    def poolers(self, ref: str) -> list[dict[str, Any]]:
        """The project's (or branch's) Supavisor poolers, session and transaction mode."""
        return [dict(pooler) for pooler in self.request("GET", f"/v1/projects/{ref}/config/database/pooler") or []]
