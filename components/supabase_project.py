"""The Supabase project itself, as code: auth, Data API, network access, SSL, API keys, backups.

Every setting is a resource over the Management API (``providers.supabase_settings``) that
adopts the live value on its first ``pulumi up``, then keeps the declared one (in a takeover,
``adopt.supabaseSettings``, the first `up` only records the live values and the second applies): Supabase's
production checklist, from the stack config's secure defaults, where the policy pack and an
auditor can read it. The app's keys are created here (a publishable key for the browser, a
secret key for the server) and reach Vercel from these resources, never from hand-set config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from clients.supabase_management import API_URL
from providers.supabase_addons import PitrAddon
from providers.supabase_keys import ApiKey
from providers.supabase_settings import (
    AuthConfig,
    Backups,
    DataApiConfig,
    LegacyApiKeys,
    NetworkRestrictions,
    SslEnforcement,
)
from stack_config import Environment, SupabaseConfig

KEY_NAME_PREFIXES = {"publishable": "newcool_app_", "secret": "newcool_server_"}
KEY_DESCRIPTIONS = {
    "publishable": "NEXT_PUBLIC_SUPABASE_ANON_KEY of the Vercel app (browser; RLS guards the data)",
    "secret": "SUPABASE_SERVICE_KEY of the Vercel app (server only; bypasses RLS)",
}


def managed_key_names(generations: Mapping[str, int]) -> dict[str, str]:
    """The API keys' names by type; drift checks call any other key unmanaged."""
    return {key_type: f"{prefix}{generations[key_type]}" for key_type, prefix in KEY_NAME_PREFIXES.items()}


@dataclass(frozen=True)
class SupabaseProjectArgs:
    config: SupabaseConfig
    environment: Environment
    api_url: str = API_URL


class SupabaseProject(pulumi.ComponentResource):
    publishable_key: pulumi.Output[str]
    secret_key: pulumi.Output[str]
    # What the migrations wait for: the database admits them, over TLS.
    database_access: list[pulumi.Resource]

    def __init__(self, name: str, args: SupabaseProjectArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("newcool:supabase:SupabaseProject", name, None, opts)
        config, ref, api_url = args.config, args.config.project_ref, args.api_url
        child = pulumi.ResourceOptions(parent=self)
        # In a takeover the first `up` records what runs and writes nothing (record_only).
        record = config.adopt_settings
        AuthConfig("auth", ref, dict(config.auth), api_url, child, record)
        DataApiConfig("data-api", ref, dict(config.data_api), api_url, child, record)
        ssl_settings = {"requestedConfig": {"database": config.ssl_enforced}}
        ssl = SslEnforcement("ssl", ref, ssl_settings, api_url, child, record)
        # SSL first: changing it restarts the database, which must not happen mid-migration.
        network = NetworkRestrictions(
            "network", ref, dict(config.network), api_url, pulumi.ResourceOptions(parent=self, depends_on=[ssl]), record
        )
        self.database_access = [ssl, network]
        # Only dev revokes a key whose resource goes: in prod a key is revoked by hand, once
        # nothing uses it.
        revoke = args.environment != "prod"
        names = managed_key_names(config.key_generations)
        publishable = ApiKey(
            "publishable-key",
            ref,
            "publishable",
            names["publishable"],
            KEY_DESCRIPTIONS["publishable"],
            revoke,
            api_url,
            child,
        )
        secret = ApiKey(
            "secret-key",
            ref,
            "secret",
            names["secret"],
            KEY_DESCRIPTIONS["secret"],
            revoke,
            api_url,
            child,
        )
        # Off only after both keys exist (and the app was deployed with them).
        LegacyApiKeys(
            "legacy-keys",
            ref,
            {"enabled": config.legacy_keys_enabled},
            api_url,
            pulumi.ResourceOptions(parent=self, depends_on=[publishable, secret]),
            record,
        )
        backups = Backups("backups", ref, api_url, child)
        waiver = dict(config.pitr_waiver) if config.pitr_waiver else None
        PitrAddon("pitr", ref, config.pitr, waiver, api_url, child)
        self.publishable_key = pulumi.Output.secret(publishable.api_key)
        self.secret_key = pulumi.Output.secret(secret.api_key)
        self.register_outputs(
            {"projectRef": ref, "pitrEnabled": backups.pitr_enabled, "latestBackupAt": backups.latest_backup_at}
        )
