"""Firing cases of ``policies/guardrails/supabase_settings.py``: each breaks one thing in the real prod plan."""

from __future__ import annotations

from tests.policies.breaking import AUTH, DATA_API, LEGACY_KEYS, NETWORK, SSL, Case, dropping, edited, setter, without

CASES: list[Case] = [
    (
        "supabase-auth-email-confirmation",
        lambda p: edited(p, AUTH, "auth", setter("settings.mailer_autoconfirm", True)),
        "mailer_autoconfirm is True; it must be false",
    ),
    (
        "supabase-auth-email-confirmation",
        lambda p: edited(p, AUTH, "auth", dropping("settings.mailer_autoconfirm")),
        "mailer_autoconfirm is None",
    ),
    (
        "supabase-auth-password-policy",
        lambda p: edited(p, AUTH, "auth", setter("settings.password_min_length", 8)),
        "password_min_length is 8; it must be at least 12",
    ),
    (
        "supabase-auth-password-policy",
        lambda p: edited(
            p, AUTH, "auth", setter("settings.password_required_characters", "abcdefghijklmnopqrstuvwxyz:0123456789")
        ),
        "must require lower, upper, digits and symbols",
    ),
    (
        "supabase-auth-password-policy",
        lambda p: edited(p, AUTH, "auth", setter("settings.password_hibp_enabled", False)),
        "password_hibp_enabled must be true",
    ),
    (
        "supabase-auth-token-expiry",
        lambda p: edited(p, AUTH, "auth", setter("settings.jwt_exp", 86400)),
        "jwt_exp is 86400",
    ),
    (
        "supabase-auth-token-expiry",
        lambda p: edited(p, AUTH, "auth", setter("settings.mailer_otp_exp", 86400)),
        "mailer_otp_exp is 86400",
    ),
    (
        "supabase-auth-token-expiry",
        lambda p: edited(p, AUTH, "auth", setter("settings.refresh_token_rotation_enabled", False)),
        "refresh_token_rotation_enabled must be true",
    ),
    (
        "supabase-auth-redirects",
        lambda p: edited(p, AUTH, "auth", setter("settings.site_url", "http://newcool.io")),
        "site_url 'http://newcool.io' is not https",
    ),
    (
        "supabase-auth-redirects",
        lambda p: edited(
            p, AUTH, "auth", setter("settings.uri_allow_list", "https://newcool.io/**,http://localhost:3000")
        ),
        "uri_allow_list entry 'http://localhost:3000' points at this machine",
    ),
    (
        "supabase-auth-redirects",
        lambda p: edited(p, AUTH, "auth", setter("settings.uri_allow_list", "https://*.vercel.app/**")),
        "has a wildcard host",
    ),
    (
        "supabase-data-api-exposure",
        lambda p: edited(p, DATA_API, "data-api", setter("settings.db_schema", "public,graphql_public,storage")),
        "db_schema exposes storage",
    ),
    (
        "supabase-data-api-exposure",
        lambda p: edited(p, DATA_API, "data-api", setter("settings.max_rows", 100000)),
        "max_rows is 100000",
    ),
    (
        "supabase-ssl-enforced",
        lambda p: edited(p, SSL, "ssl", setter("settings.requestedConfig.database", False)),
        "requestedConfig.database must be true",
    ),
    (
        "supabase-network-restricted",
        lambda p: edited(p, NETWORK, "network", setter("settings.dbAllowedCidrsV6", ["::/0"])),
        "::/0 admits the whole internet",
    ),
    (
        "supabase-network-restricted",
        lambda p: edited(p, NETWORK, "network", setter("settings.dbAllowedCidrs", ["0.0.0.0/0"])),
        "0.0.0.0/0 admits the whole internet",
    ),
    (
        "supabase-legacy-keys-disabled",
        lambda p: edited(p, LEGACY_KEYS, "legacy-keys", setter("settings.enabled", True)),
        "the legacy anon and service_role JWT keys still work",
    ),
    (
        "supabase-settings-declared",
        lambda p: without(p, AUTH, "auth"),
        "declares no AuthConfig",
    ),
]
