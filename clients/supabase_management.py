"""The Supabase Management API (``https://api.supabase.com/v1``), with a personal access token.

A bearer token (``sbp_…``); the API allows 60 requests a minute per user, so 429s are retried
(``clients.http``).
"""

from __future__ import annotations

from clients.http import ApiError, JsonApi

API_URL = "https://api.supabase.com"


class ManagementApi(JsonApi):
    vendor = "Supabase"

    def __init__(self, token: str, base_url: str = API_URL):
        if not token:
            raise ApiError("no Supabase access token: set it with `pulumi config set --secret supabaseAccessToken`")
        super().__init__(base_url, headers={"Authorization": f"Bearer {token}"})
