"""The Upstash Developer API (``https://api.upstash.com/v2``), with the account's key.

A database's answer carries its credentials (``password``, ``rest_token``) unless asked to hide
them; the API document does not list those fields, the API and the Upstash provider use them.
Upstash documents no rate limit of its own: a 429 is waited out as ``Retry-After`` says, else
with backoff (``clients.http``).
"""

from __future__ import annotations

from typing import Any

from clients.http import ApiError, JsonApi
from clients.timing import Clock

API_URL = "https://api.upstash.com/v2"


class UpstashApi(JsonApi):
    vendor = "Upstash"

    def __init__(self, email: str, api_key: str, base_url: str = API_URL, clock: Clock | None = None):
        if not (email and api_key):
            raise ApiError("no Upstash credentials: set UPSTASH_EMAIL and UPSTASH_API_KEY")
        # HTTP basic auth with the account's email and API key.
        super().__init__(base_url, auth=(email, api_key), clock=clock)

    def databases(self) -> list[dict[str, Any]]:
        """listDatabases: every Redis database of the account (credentials are not asked for)."""
        return list(self.request("GET", "/redis/databases") or [])

    def database(self, database_id: str) -> dict[str, Any]:
        """getDatabase, with its credentials."""
        return dict(self.request("GET", f"/redis/database/{database_id}"))

    def reset_password(self, database_id: str, old_rest_token: str) -> dict[str, Any]:
        """resetPassword: new password and REST token at once; the old ones stop working.

        Never resent blind (a second reset would kill the tokens of the first): after a lost
        reply the database is read, and credentials that differ from ``old_rest_token`` are the
        reset's (``JsonApi.create``).
        """

        def reset_done() -> dict[str, Any] | None:
            database = self.database(database_id)
            return database if str(database.get("rest_token")) != old_rest_token else None

        path = f"/redis/reset-password/{database_id}"
        return dict(self.create("POST", path, what="reset password", find_existing=reset_done))

    def delete_database(self, database_id: str, what: str) -> None:
        self.request("DELETE", f"/redis/database/{database_id}", what=what)
