"""Canary requests: does a credential open its service, and does the app answer?

Each answers the HTTP status, so a caller can require 200 of a new credential and 401 of a
revoked one. The credential travels in a header and is never part of a message.

- Supabase: ``GET <project URL>/auth/v1/settings`` with the key as ``apikey``. The API gateway
  checks the key before anything else (401 for an unknown or revoked key), for publishable and
  secret keys alike, and the endpoint reads nothing private.
- Upstash: ``GET <REST URL>/ping`` with the REST token as a bearer token (401 when refused).
- The app: ``GET <https://domain>/api/health``.
"""

from __future__ import annotations

from clients.http import TIMEOUT_SECONDS, ApiError


def _status(url: str, headers: dict[str, str], what: str) -> int:
    import httpx  # noqa: PLC0415 (only when a canary runs)

    try:
        return httpx.get(url, headers=headers, timeout=TIMEOUT_SECONDS).status_code
    except httpx.HTTPError as error:
        raise ApiError(f"{what} unreachable: {type(error).__name__}", transient=True) from None


def supabase_key_status(project_url: str, api_key: str) -> int:
    return _status(f"{project_url.rstrip('/')}/auth/v1/settings", {"apikey": api_key}, "Supabase auth settings")


def upstash_token_status(rest_url: str, token: str) -> int:
    return _status(f"{rest_url.rstrip('/')}/ping", {"Authorization": f"Bearer {token}"}, "Upstash REST ping")


def app_health_status(app_url: str) -> int:
    return _status(f"{app_url.rstrip('/')}/api/health", {}, "the app's /api/health")
