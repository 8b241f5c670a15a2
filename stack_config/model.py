"""The validated stack configuration: one frozen dataclass per system, as components read it."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from stack_config.vocabulary import AwsAccessMode, BucketRole, Environment, UnknownBucketRoleError, WafMode


@dataclass(frozen=True)
class CdnDomains:
    """Custom domain names of the CloudFront distributions (one per CDN role), in one Route 53 zone."""

    by_role: Mapping[BucketRole, str]
    zone_id: str

    def for_role(self, role: BucketRole) -> str:
        if role not in self.by_role:
            raise UnknownBucketRoleError(
                f"no custom CDN domain for bucket role {role!r} (cdnDomains has {', '.join(self.by_role)})"
            )
        return self.by_role[role]


@dataclass(frozen=True)
class FirewallConfig:
    # Requests one client IP may make to a distribution in 5 minutes before WAF blocks it.
    rate_limit: int
    # "count" only records what the rules would block: for the first rollout, then "block".
    mode: WafMode


@dataclass(frozen=True)
class StorageConfig:
    bucket_names: Mapping[BucketRole, str]
    # The app's web origins: the only ones browsers may use cross-origin (uploads, media, fonts).
    app_origins: tuple[str, ...]
    price_class: str
    noncurrent_version_days: int
    log_retention_days: int
    abort_incomplete_upload_days: int
    cdn_domains: CdnDomains | None = None
    # role -> existing bucket name to adopt with `import` instead of creating it.
    import_buckets: Mapping[BucketRole, str] = field(default_factory=dict)
    # role -> last day anonymous GETs still work (the cut-over from direct S3 URLs to the CDN).
    public_read_until: Mapping[BucketRole, datetime.date] = field(default_factory=dict)


@dataclass(frozen=True)
class CacheConfig:
    primary_region: str
    read_regions: tuple[str, ...]
    # Monthly spend cap in USD (Upstash pay-as-you-go); None leaves the account default.
    budget: int | None
    # The cache database's name; None: newcool-<stack>-cache. Upstash replaces a database whose
    # name changes, so the adopted live database keeps its own, for good.
    cache_name: str | None = None
    # The live database the app uses today, adopted as the cache (its Upstash id).
    adopt_cache_id: str | None = None
    # The cache's endpoint host, when the stack file records it (prod: a marker review stacks refuse).
    endpoint: str | None = None


@dataclass(frozen=True)
class VercelConfig:
    team_slug: str
    team_id: str
    project_name: str
    git_repository: str
    production_branch: str
    domain: str


@dataclass(frozen=True)
class SupabaseConfig:
    url: str
    project_ref: str
    # Read by the Management API providers when they run; kept a secret end to end.
    access_token: pulumi.Output[str]
    # The Postgres connection string the migrations run with (the Supavisor session pooler).
    database_url: pulumi.Output[str]
    # Each settings resource's declared fields, under the Management API's own names and shapes.
    auth: Mapping[str, Any]
    data_api: Mapping[str, Any]
    network: Mapping[str, list[str]]
    ssl_enforced: bool
    # Off once the app runs on the publishable and secret keys (docs/database.md, "Supabase project as code").
    legacy_keys_enabled: bool
    # Part of each managed key's name, by key type: `make rotate` raises one (a replacement).
    key_generations: Mapping[str, int]
    # The organization's plan (what the project may have: leaked-password protection on Pro+).
    plan: str = "free"
    # The point-in-time recovery add-on, or "none" with a dated acceptance ({reason, until}).
    pitr: str = "none"
    pitr_waiver: Mapping[str, str] | None = None
    # Adopting a live project (adopt.supabaseSettings): the settings resources record the live
    # values on create and write nothing; the second `up` applies the declared ones.
    adopt_settings: bool = False


@dataclass(frozen=True)
class HostingConfig:
    vercel: VercelConfig
    aws_access: AwsAccessMode
    # Object key prefixes of the uploads bucket the app may write, e.g. avatars/.
    upload_prefixes: tuple[str, ...]
    # An existing IAM OIDC provider for Vercel (one per account and issuer); None creates it.
    oidc_provider_arn: str | None
    # Prod only: the stack (<org>/<project>/<stack>) whose Supabase its preview deployments use.
    preview_stack: str | None = None
    # Not prod: the Vercel project whose preview deployments use this stack's backend and role.
    serves_previews_of: str | None = None
    # Import ids of the live Vercel project, its domains and variables (by key).
    adopt_project: str | None = None
    adopt_domains: Mapping[str, str] = field(default_factory=dict)
    adopt_variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BackupConfig:
    bucket_name: str
    # Days each dump is locked (Object Lock, governance mode) and kept.
    retention_days: int


@dataclass(frozen=True)
class EvidenceConfig:
    bucket_name: str
    # Days each deploy record is locked (Object Lock, governance mode) and kept.
    retention_days: int
    # The role the deploy workflow runs as (bootstrapped outside the stacks): it may only add records.
    deploy_role_arn: str


@dataclass(frozen=True)
class MonitoringConfig:
    on_call_email: str
    # Vercel custom alert rules need Observability Plus on the project.
    vercel_error_rate_alert: bool
    # owner/repo whose scheduled workflow reports Supabase connection usage to CloudWatch.
    github_repository: str
    # A health check (and its alarms) on the API's domain: only once that domain resolves.
    api_health_check: bool = True
    # The Vercel log drain into this stack's receiver (and the alarms on real traffic); its
    # signing secret is set whenever the drain is on.
    log_drain: bool = False
    log_drain_secret: pulumi.Output[str] | None = None
    # Supabase Postgres and auth errors per 5 minutes that page on-call.
    supabase_error_spike: int = 25


@dataclass(frozen=True)
class StackConfig:
    environment: Environment
    stack_file: str
    storage: StorageConfig
    firewall: FirewallConfig
    cache: CacheConfig
    hosting: HostingConfig
    supabase: SupabaseConfig
    monitoring: MonitoringConfig
    backups: BackupConfig
    evidence: EvidenceConfig
    # Config keys whose values are stand-ins until someone fills in the real ones.
    placeholders: tuple[str, ...] = ()

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def tags(self) -> dict[str, str]:
        return {"project": "newcool", "environment": self.environment, "managed-by": "pulumi"}


@dataclass(frozen=True)
class Adoption:
    """The live resources a stack imports instead of creating (``adopt:``), by import id."""

    buckets: Mapping[BucketRole, str]
    vercel_project: str | None
    vercel_domains: Mapping[str, str]
    vercel_variables: Mapping[str, str]
    # {id} of the live Upstash database that becomes the cache.
    redis_cache: Mapping[str, str]
    # The project ref whose live settings the first `up` records instead of writing (None: writes).
    supabase_settings: str | None = None
