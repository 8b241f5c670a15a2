"""The Supabase project: URL, Management API token, auth and Data API settings, who may reach
Postgres, and the URL the migrations run with."""

from __future__ import annotations

import datetime
import difflib
import ipaddress
import re
from collections.abc import Mapping
from typing import Any

import pulumi
from psycopg import conninfo as psycopg_conninfo

from stack_config.model import SupabaseConfig
from stack_config.reader import Reader
from stack_config.vocabulary import (
    ALL_PASSWORD_CHARACTERS,
    AUTH_FIELDS,
    DATA_API_FIELDS,
    MAX_PITR_WAIVER_DAYS,
    NETWORK_FIELDS,
    OPEN_NETWORKS,
    PLANS_WITH_BREACH_CHECK,
    TRANSACTION_POOLER_PORT,
    Environment,
    supabase_project_ref,
)

# The Management API takes a project ref matching ^[a-z]+$ (20 letters): a ref with a digit could
# never be called.
_SUPABASE_URL = re.compile(r"^https://[a-z]{20}\.supabase\.co$")
_POSTGRES_URL = re.compile(r"^postgres(ql)?://\S+$")

# The config key holding each managed API key's generation (make rotate raises one).
KEY_GENERATION_KEYS = {"publishable": "supabasePublishableKeyGeneration", "secret": "supabaseSecretKeyGeneration"}


def _typed_settings(reader: Reader, key: str, fields: Mapping[str, type]) -> dict[str, Any]:
    """A mapping of Management API fields, each of its declared type (bool is not an int)."""
    if not reader.has(key):
        return {}
    value = reader.decoded(key)
    if not isinstance(value, dict):
        raise reader.fail(key, f"must be an object of Supabase settings ({', '.join(fields)})")
    for name, item in value.items():
        if name not in fields:
            hint = difflib.get_close_matches(name, list(fields), n=1)
            suggestion = f" (did you mean {hint[0]}?)" if hint else ""
            raise reader.fail(f"{key}.{name}", f"is not a setting this project manages{suggestion}")
        expected = fields[name]
        if isinstance(item, bool) != (expected is bool) or not isinstance(item, expected):
            raise reader.fail(f"{key}.{name}", f"must be a {expected.__name__}, got {item!r}")
    return value


def _cidrs(reader: Reader, key: str, values: Any, environment: Environment) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise reader.fail(key, "must be a list of CIDRs like 203.0.113.7/32 or 2001:db8::/48")
    for value in values:
        try:
            network = ipaddress.ip_network(value, strict=True)
        except ValueError:
            raise reader.fail(key, f"must hold CIDRs like 203.0.113.7/32, got {value!r}") from None
        if environment == "prod" and network in OPEN_NETWORKS:
            raise reader.fail(key, f"opens the database to the whole internet ({value}); prod lists who may connect")
    return list(values)


def _network(reader: Reader, environment: Environment) -> dict[str, list[str]]:
    """Who may reach Postgres and the pooler: the configured ranges plus where migrations run from."""
    if not reader.has("supabaseNetworkRestrictions"):
        if environment == "prod":
            raise reader.fail("supabaseNetworkRestrictions", "is required in prod ({dbAllowedCidrs, dbAllowedCidrsV6})")
        # Dev holds dev data only: reachable from anywhere unless the stack says otherwise.
        return {"dbAllowedCidrs": ["0.0.0.0/0"], "dbAllowedCidrsV6": ["::/0"]}
    raw = reader.decoded("supabaseNetworkRestrictions")
    if not isinstance(raw, dict) or set(raw) - set(NETWORK_FIELDS):
        raise reader.fail("supabaseNetworkRestrictions", f"must be an object with {' and '.join(NETWORK_FIELDS)}")
    network = {
        field: _cidrs(reader, f"supabaseNetworkRestrictions.{field}", raw.get(field, []), environment)
        for field in NETWORK_FIELDS
    }
    sources = reader.string_list("migrationSourceCidrs")
    for source in _cidrs(reader, "migrationSourceCidrs", sources, environment):
        field = "dbAllowedCidrsV6" if ipaddress.ip_network(source).version == 6 else "dbAllowedCidrs"
        if source not in network[field]:
            network[field].append(source)
    if not network["dbAllowedCidrs"] and not network["dbAllowedCidrsV6"]:
        raise reader.fail("supabaseNetworkRestrictions", "admits no address at all; migrations could not run")
    return network


def _database_url(reader: Reader, project_ref: str) -> pulumi.Output[str]:
    """The migrations' URL: Supavisor's session pooler (or the direct host), never transaction mode."""
    secret = reader.secret("databaseUrl", _POSTGRES_URL, "a postgresql:// connection string")
    raw = reader.raw["databaseUrl"]
    try:
        params = psycopg_conninfo.conninfo_to_dict(raw)
    except Exception:
        raise reader.fail("databaseUrl", "must be a postgresql:// connection string") from None
    host, port, user = str(params.get("host", "")), str(params.get("port", "5432")), str(params.get("user", ""))
    if port == str(TRANSACTION_POOLER_PORT):
        raise reader.fail(
            "databaseUrl",
            "uses the transaction pooler (port 6543), which keeps no session: the migration runner holds a "
            "session advisory lock; use the session pooler (port 5432)",
        )
    if host.endswith(".pooler.supabase.com") and user != f"postgres.{project_ref}":
        raise reader.fail("databaseUrl", f"must log in to the pooler as postgres.{project_ref} (this stack's project)")
    if host.endswith(".supabase.co") and host != f"db.{project_ref}.supabase.co":
        raise reader.fail("databaseUrl", f"points at another project than {project_ref}")
    return secret


def _pitr_waiver(reader: Reader, pitr: str) -> dict[str, str] | None:
    waiver = reader.mapping("supabasePitrWaiver", ("reason", "until"))
    if not waiver:
        return None
    if pitr != "none":
        raise reader.fail("supabasePitrWaiver", f"accepts running without PITR, but supabasePitr is {pitr!r}")
    if set(waiver) != {"reason", "until"}:
        raise reader.fail("supabasePitrWaiver", "needs both a reason and an until date")
    try:
        until = datetime.date.fromisoformat(waiver["until"])
    except ValueError:
        raise reader.fail(
            "supabasePitrWaiver.until", f"must be a date like 2027-06-30, got {waiver['until']!r}"
        ) from None
    latest = datetime.date.today() + datetime.timedelta(days=MAX_PITR_WAIVER_DAYS)
    if until > latest:
        raise reader.fail("supabasePitrWaiver.until", f"may be at most {MAX_PITR_WAIVER_DAYS} days ahead ({latest})")
    return dict(waiver)


# Supabase's production checklist for auth, whatever the project (review branches included).
CHECKLIST_AUTH: Mapping[str, Any] = {
    "mailer_autoconfirm": False,
    "password_min_length": 12,
    "password_required_characters": ALL_PASSWORD_CHARACTERS,
    "mailer_otp_exp": 3600,
    "jwt_exp": 3600,
    "refresh_token_rotation_enabled": True,
    "security_refresh_token_reuse_interval": 10,
}


def supabase(reader: Reader, environment: Environment, app_origins: tuple[str, ...]) -> SupabaseConfig:
    url = reader.string("supabaseUrl")
    if not _SUPABASE_URL.match(url):
        raise reader.fail(
            "supabaseUrl",
            f"must be https://<ref>.supabase.co with a ref of 20 lowercase letters (the Management API's "
            f"^[a-z]+$), got {url!r}",
        )
    project_ref = supabase_project_ref(url)
    plan = reader.choice("supabasePlan")
    pitr = reader.choice("supabasePitr")
    if pitr != "none" and plan not in PLANS_WITH_BREACH_CHECK:
        raise reader.fail("supabasePitr", f"needs the Pro plan or above; supabasePlan is {plan!r}")
    # Supabase's production checklist, as defaults; the stack file may override field by field.
    auth: dict[str, Any] = {
        "site_url": app_origins[0],
        "uri_allow_list": ",".join(f"{origin}/**" for origin in app_origins),
        **CHECKLIST_AUTH,
        "password_hibp_enabled": plan in PLANS_WITH_BREACH_CHECK,
        **_typed_settings(reader, "supabaseAuth", AUTH_FIELDS),
    }
    if auth["password_hibp_enabled"] and plan not in PLANS_WITH_BREACH_CHECK:
        raise reader.fail(
            "supabaseAuth.password_hibp_enabled",
            f"needs the Pro plan or above; supabasePlan is {plan!r} (the API refuses it, after the other settings)",
        )
    data_api = {
        "db_schema": "public,graphql_public",
        "max_rows": 1000,
        **_typed_settings(reader, "supabaseDataApi", DATA_API_FIELDS),
    }
    token = reader.secret(
        "supabaseAccessToken", re.compile(r"^sbp_[A-Za-z0-9_]{20,}$"), "a personal access token (sbp_…)"
    )
    return SupabaseConfig(
        url=url,
        project_ref=project_ref,
        access_token=token,
        database_url=_database_url(reader, project_ref),
        auth=auth,
        data_api=data_api,
        network=_network(reader, environment),
        ssl_enforced=reader.boolean("supabaseSslEnforced"),
        legacy_keys_enabled=reader.boolean("supabaseLegacyKeysEnabled"),
        key_generations={key_type: reader.integer(key) for key_type, key in KEY_GENERATION_KEYS.items()},
        plan=plan,
        pitr=pitr,
        pitr_waiver=_pitr_waiver(reader, pitr),
    )
