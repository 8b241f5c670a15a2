"""Supabase's production checklist, judged on the project's settings resources.

The resources carry the Management API's own field names (``mailer_autoconfirm``,
``password_min_length``, ``db_schema``, ``dbAllowedCidrs``, ``requestedConfig``…), so these rules
read what the API will be sent. A field left undeclared keeps whatever the live project has,
which nobody reviewed: for the checklist's fields that counts as a violation too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pulumi_policy import PolicyConfigSchema, ResourceValidationArgs, Severity, StackValidationArgs

from .common import Report, as_list, resource_policy, stack_policy

PREFIX = "pulumi-python:dynamic/supabase:"
AUTH = PREFIX + "AuthConfig"
DATA_API = PREFIX + "DataApiConfig"
NETWORK = PREFIX + "NetworkRestrictions"
SSL = PREFIX + "SslEnforcement"
LEGACY_KEYS = PREFIX + "LegacyApiKeys"
SETTINGS_TYPES = (AUTH, DATA_API, NETWORK, SSL, LEGACY_KEYS)
# Supabase Auth's rule with all four character classes (the Management API's enum value).
ALL_CHARACTER_CLASSES = "abcdefghijklmnopqrstuvwxyz:ABCDEFGHIJKLMNOPQRSTUVWXYZ:0123456789:"
MIN_PASSWORD_LENGTH = 12
MAX_EXPIRY_SECONDS = 3600
MAX_ROWS = 1000
EXPOSED_SCHEMAS = ("public", "graphql_public")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")  # noqa: S104 (names to refuse, not to bind)


def _shown(value: Any) -> str:
    """A value as the stack file wrote it (numbers cross the wire as doubles: 8 arrives as 8.0)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return repr(value)


def _settings(args: ResourceValidationArgs, resource_type: str) -> Mapping[str, Any] | None:
    if args.resource_type != resource_type:
        return None
    settings = args.props.get("settings")
    return settings if isinstance(settings, Mapping) else {}


def _email_confirmation(args: ResourceValidationArgs, report: Report) -> None:
    settings = _settings(args, AUTH)
    if settings is not None and settings.get("mailer_autoconfirm") is not False:
        report(
            f"{args.name}: mailer_autoconfirm is {_shown(settings.get('mailer_autoconfirm'))}; it must be false, so a "
            "sign-up "
            "proves it owns its email address."
        )


def _password_policy(args: ResourceValidationArgs, report: Report) -> None:
    settings = _settings(args, AUTH)
    if settings is None:
        return
    minimum = int(args.get_config().get("minLength", MIN_PASSWORD_LENGTH))
    length = settings.get("password_min_length")
    if not isinstance(length, int | float) or length < minimum:
        report(f"{args.name}: password_min_length is {_shown(length)}; it must be at least {minimum}.")
    characters = str(settings.get("password_required_characters") or "")
    if not characters.startswith(ALL_CHARACTER_CLASSES):
        report(f"{args.name}: password_required_characters must require lower, upper, digits and symbols.")
    breach_check_available = not args.get_config().get("planWithoutBreachCheck", False)
    if settings.get("password_hibp_enabled") is not True and breach_check_available:
        report(f"{args.name}: password_hibp_enabled must be true (refuse passwords known from breaches).")


def _token_expiry(args: ResourceValidationArgs, report: Report) -> None:
    settings = _settings(args, AUTH)
    if settings is None:
        return
    for field in ("mailer_otp_exp", "jwt_exp"):
        value = settings.get(field)
        if not isinstance(value, int | float) or not 0 < value <= MAX_EXPIRY_SECONDS:
            report(f"{args.name}: {field} is {_shown(value)}; it must be set and at most {MAX_EXPIRY_SECONDS} seconds.")
    sms = settings.get("sms_otp_exp")
    if isinstance(sms, int | float) and sms > MAX_EXPIRY_SECONDS:
        report(f"{args.name}: sms_otp_exp is {_shown(sms)}; it must be at most {MAX_EXPIRY_SECONDS} seconds.")
    if settings.get("refresh_token_rotation_enabled") is not True:
        report(f"{args.name}: refresh_token_rotation_enabled must be true (a stolen refresh token works once).")


def _redirect_problem(url: str, allow_localhost: bool) -> str | None:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host in LOCAL_HOSTS:
        return None if allow_localhost else "points at this machine (localhost)"
    if parts.scheme != "https":
        return "is not https"
    if "*" in host or "?" in host:
        return "has a wildcard host (any subdomain, anyone's preview deployment)"
    return None


def _redirects(args: ResourceValidationArgs, report: Report) -> None:
    settings = _settings(args, AUTH)
    if settings is None:
        return
    allow_localhost = bool(args.get_config().get("allowLocalhost", False))
    site_url = str(settings.get("site_url") or "")
    problem = _redirect_problem(site_url, allow_localhost=False) if site_url else "is not set"
    if problem:
        report(f"{args.name}: site_url {site_url!r} {problem}; it must be the app's https origin.")
    for entry in filter(None, (e.strip() for e in str(settings.get("uri_allow_list") or "").split(","))):
        problem = _redirect_problem(entry, allow_localhost)
        if problem:
            report(f"{args.name}: uri_allow_list entry {entry!r} {problem}.")


def _data_api(args: ResourceValidationArgs, report: Report) -> None:
    settings = _settings(args, DATA_API)
    if settings is None:
        return
    allowed = list(args.get_config().get("allowedSchemas", list(EXPOSED_SCHEMAS)))
    schemas = [s.strip() for s in str(settings.get("db_schema") or "").split(",") if s.strip()]
    extra = [s for s in schemas if s not in allowed]
    if not schemas or extra:
        report(f"{args.name}: db_schema exposes {', '.join(extra) or 'nothing declared'}; only {', '.join(allowed)}.")
    rows = settings.get("max_rows")
    if not isinstance(rows, int | float) or not 0 < rows <= MAX_ROWS:
        report(f"{args.name}: max_rows is {_shown(rows)}; it must be set and at most {MAX_ROWS}.")


def _ssl(args: ResourceValidationArgs, report: Report) -> None:
    settings = _settings(args, SSL)
    if settings is not None and (settings.get("requestedConfig") or {}).get("database") is not True:
        report(f"{args.name}: requestedConfig.database must be true: connections without TLS are refused.")


def _network(args: ResourceValidationArgs, report: Report) -> None:
    settings = _settings(args, NETWORK)
    if settings is None or args.get_config().get("allowAnyAddress", False):
        return
    cidrs = [*as_list(settings.get("dbAllowedCidrs")), *as_list(settings.get("dbAllowedCidrsV6"))]
    if not cidrs:
        report(f"{args.name}: no CIDR declared: the live list, whatever it is, would stay.")
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(str(cidr), strict=False)
        except ValueError:
            report(f"{args.name}: {cidr!r} is not a CIDR.")
            continue
        if network.prefixlen == 0:
            report(f"{args.name}: {cidr} admits the whole internet to Postgres and the pooler.")


def _legacy_keys(args: ResourceValidationArgs, report: Report) -> None:
    settings = _settings(args, LEGACY_KEYS)
    if settings is not None and settings.get("enabled") is not False:
        report(
            f"{args.name}: the legacy anon and service_role JWT keys still work (Supabase retires them by the end of "
            "2026); set supabaseLegacyKeysEnabled: false once the app runs on the publishable and secret keys."
        )


def _all_declared(args: StackValidationArgs, report: Report) -> None:
    present = {r.resource_type for r in args.resources}
    missing = [t.removeprefix(PREFIX) for t in SETTINGS_TYPES if t not in present]
    if missing and any(r.resource_type.startswith(PREFIX) for r in args.resources):
        report(
            f"the Supabase project declares no {', '.join(missing)}: those settings stay as the dashboard left them."
        )


POLICIES = [
    resource_policy(
        "supabase-auth-email-confirmation",
        "Supabase Auth confirms email addresses before a sign-up can sign in (mailer_autoconfirm false).",
        "Without confirmation anyone can sign up with someone else's address and act under it.",
        Severity.MEDIUM,
        "Set supabaseAuth.mailer_autoconfirm: false (the default).",
        _email_confirmation,
    ),
    resource_policy(
        "supabase-auth-password-policy",
        "Passwords are at least 12 characters, use every character class, and are checked against known breaches.",
        "Short, simple or breached passwords are what credential stuffing walks through.",
        Severity.MEDIUM,
        "Set password_min_length >= 12, password_required_characters to all classes, password_hibp_enabled: true.",
        _password_policy,
        config_schema=PolicyConfigSchema(
            properties={"minLength": {"type": "integer"}, "planWithoutBreachCheck": {"type": "boolean"}}
        ),
    ),
    resource_policy(
        "supabase-auth-token-expiry",
        "Email OTPs and access tokens expire within an hour; refresh tokens rotate.",
        "A leaked link or token is useful for as long as it lives; rotation makes a stolen refresh token single-use.",
        Severity.MEDIUM,
        "Set mailer_otp_exp and jwt_exp to at most 3600 and refresh_token_rotation_enabled: true.",
        _token_expiry,
    ),
    resource_policy(
        "supabase-auth-redirects",
        "Auth redirects go only to the app's https origins: no http, no wildcard hosts (localhost only where allowed).",
        "An open redirect list lets a phishing site receive users' magic links and OAuth codes.",
        Severity.MEDIUM,
        "Set site_url to the app's https origin and uri_allow_list to its https origins (paths may use **).",
        _redirects,
        config_schema=PolicyConfigSchema(properties={"allowLocalhost": {"type": "boolean"}}),
    ),
    resource_policy(
        "supabase-data-api-exposure",
        "The Data API exposes only the public and graphql_public schemas and returns at most 1000 rows a request.",
        "Every exposed schema is reachable with the publishable key; an unbounded max_rows lets one request dump a "
        "table RLS allows.",
        Severity.HIGH,
        "Set supabaseDataApi.db_schema: public,graphql_public and max_rows <= 1000.",
        _data_api,
        config_schema=PolicyConfigSchema(properties={"allowedSchemas": {"type": "array", "items": {"type": "string"}}}),
    ),
    resource_policy(
        "supabase-ssl-enforced",
        "Postgres refuses connections without TLS (SSL enforcement on).",
        "Without it a client can send the database password and data in clear text.",
        Severity.HIGH,
        "Set supabaseSslEnforced: true (changing it restarts the database once).",
        _ssl,
    ),
    resource_policy(
        "supabase-network-restricted",
        "Postgres and its pooler admit listed networks only, never 0.0.0.0/0 or ::/0.",
        "Open to the internet, the database is one leaked or guessed password away from everyone.",
        Severity.HIGH,
        "List the team's and the migration runner's ranges in supabaseNetworkRestrictions and migrationSourceCidrs.",
        _network,
        config_schema=PolicyConfigSchema(properties={"allowAnyAddress": {"type": "boolean"}}),
    ),
    resource_policy(
        "supabase-legacy-keys-disabled",
        "The legacy anon and service_role JWT keys are disabled once the app runs on the new keys.",
        "The legacy keys cannot be rotated one by one and are retired by Supabase by the end of 2026.",
        Severity.LOW,
        "Deploy the app with the publishable and secret keys, then set supabaseLegacyKeysEnabled: false.",
        _legacy_keys,
        recommendation=True,
    ),
    stack_policy(
        "supabase-settings-declared",
        "A stack with a Supabase project declares all of its settings: auth, Data API, network, SSL, legacy keys.",
        "A settings resource that is missing leaves that part of the project as the dashboard left it, unreviewed.",
        Severity.HIGH,
        "Declare the project through components.supabase_project, which creates every settings resource.",
        _all_declared,
    ),
]
