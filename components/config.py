"""The one typed, validated view of a stack's configuration.

Every value the program reads comes through here. A missing or malformed value stops the
program before any resource is declared, with one message that names the config key and the
stack file it belongs in. Secrets are read as secrets and stay ``pulumi.Output`` secrets.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import importlib.util
import ipaddress
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import pulumi
from psycopg import conninfo as psycopg_conninfo
from pulumi.runtime.config import CONFIG, get_config_env, is_config_secret

PROJECT = "newcool-infra"

Environment = Literal["dev", "prod"]
BucketRole = Literal["cdn", "assets", "uploads", "logs"]
BUCKET_ROLES: tuple[BucketRole, ...] = get_args(BucketRole)
DATA_BUCKET_ROLES: tuple[BucketRole, ...] = ("cdn", "assets", "uploads")
# The buckets CloudFront serves; uploads are reached only through presigned URLs.
CDN_ROLES: tuple[BucketRole, ...] = ("cdn", "assets")

# The seed's bucket names (spec: File Storage). Prod must use exactly these; dev never may.
PROD_BUCKET_NAMES: Mapping[BucketRole, str] = {
    "cdn": "newcool-streaming-platform-cdn",
    "assets": "newcool-assets",
    "uploads": "newcool-uploads",
    "logs": "newcool-access-logs",
}
STORAGE_REGION = "us-east-2"
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
# The seed's health check and API live on this domain; prod's Vercel project must serve it.
PROD_API_DOMAIN = "api.newcool.io"
# Upstash's AWS regions for a global database's primary (there is no us-east-2).
UPSTASH_REGIONS = (
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "sa-east-1",
    "eu-west-1",
    "eu-west-2",
    "eu-central-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "af-south-1",
)
AwsAccessMode = Literal["oidc", "access-key"]
VERCEL_KEYS = ("team", "teamId", "project", "gitRepository", "productionBranch", "domain")

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ORIGIN = re.compile(r"^(https://[a-z0-9.-]+|http://localhost)(:[0-9]{1,5})?$")
_ZONE_ID = re.compile(r"^Z[A-Z0-9]{5,31}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
_TEAM_ID = re.compile(r"^team_[A-Za-z0-9]{8,}$")
_GIT_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SUPABASE_URL = re.compile(r"^https://[a-z0-9]{20}\.supabase\.co$")
_IAM_OIDC_PROVIDER_ARN = re.compile(r"^arn:aws:iam::[0-9]{12}:oidc-provider/oidc\.vercel\.com/[a-z0-9-]+$")
_UPLOAD_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]*/$")
_POSTGRES_URL = re.compile(r"^postgres(ql)?://\S+$")


class ConfigError(pulumi.RunError):
    """A stack configuration value is missing or malformed (reported without a traceback)."""


@dataclass(frozen=True)
class CdnDomains:
    """Custom domain names for the two CloudFront distributions, in one Route 53 zone."""

    cdn: str
    assets: str
    zone_id: str

    def for_role(self, role: BucketRole) -> str:
        return self.cdn if role == "cdn" else self.assets


WafMode = Literal["block", "count"]
# AWS WAF's bounds for a rate-based rule's limit (requests per evaluation window per client IP).
WAF_RATE_LIMIT_RANGE = (10, 2_000_000_000)


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
    # The live database the app uses today, adopted as the cache: its Upstash id and name (a
    # name change would replace the database, so the adopted one keeps its own).
    adopt_cache_id: str | None = None
    adopt_cache_name: str | None = None


@dataclass(frozen=True)
class VercelConfig:
    team_slug: str
    team_id: str
    project_name: str
    git_repository: str
    production_branch: str
    domain: str


# Supabase Auth's password rule with every character class (the Management API's own enum value).
ALL_PASSWORD_CHARACTERS = (
    "abcdefghijklmnopqrstuvwxyz:ABCDEFGHIJKLMNOPQRSTUVWXYZ:0123456789:!@#$%^&*()_+-=[]{};'\\\\:\"|<>?,./`~"  # noqa: S105
)
# The auth settings this project manages, under the Management API's names (UpdateAuthConfigBody).
AUTH_FIELDS: Mapping[str, type] = {
    "site_url": str,
    "uri_allow_list": str,
    "mailer_autoconfirm": bool,
    "password_min_length": int,
    "password_required_characters": str,
    "password_hibp_enabled": bool,
    "mailer_otp_exp": int,
    "sms_otp_exp": int,
    "jwt_exp": int,
    "refresh_token_rotation_enabled": bool,
    "security_refresh_token_reuse_interval": int,
    "disable_signup": bool,
    "external_anonymous_users_enabled": bool,
    "mailer_secure_email_change_enabled": bool,
    "security_update_password_require_reauthentication": bool,
}
# The Data API (PostgREST) settings, under the API's names (V1UpdatePostgrestConfigBody).
DATA_API_FIELDS: Mapping[str, type] = {"db_schema": str, "max_rows": int, "db_extra_search_path": str}
NETWORK_FIELDS = ("dbAllowedCidrs", "dbAllowedCidrsV6")
OPEN_NETWORKS = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
# Supavisor's transaction mode: no session state, so no session advisory lock for the runner.
TRANSACTION_POOLER_PORT = 6543


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
    # Off once the app runs on the publishable and secret keys (README "Supabase keys").
    legacy_keys_enabled: bool
    # Part of the managed keys' names: raise it to rotate both keys (a replacement).
    key_generation: int


@dataclass(frozen=True)
class HostingConfig:
    vercel: VercelConfig
    aws_access: AwsAccessMode
    # Object key prefixes of the uploads bucket the app may write, e.g. avatars/.
    upload_prefixes: tuple[str, ...]
    # An existing IAM OIDC provider for Vercel (one per account and issuer); None creates it.
    oidc_provider_arn: str | None
    # Import ids of the live Vercel project, its domains and variables (by key).
    adopt_project: str | None = None
    adopt_domains: Mapping[str, str] = field(default_factory=dict)
    adopt_variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MonitoringConfig:
    on_call_email: str
    # Vercel custom alert rules need Observability Plus on the project.
    vercel_error_rate_alert: bool
    # owner/repo whose scheduled workflow reports Supabase connection usage to CloudWatch.
    github_repository: str
    # A health check (and its alarms) on the API's domain: only once that domain resolves.
    api_health_check: bool = True


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
    # Config keys whose values are stand-ins until someone fills in the real ones.
    placeholders: tuple[str, ...] = ()

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def tags(self) -> dict[str, str]:
        return {"project": "newcool", "environment": self.environment, "managed-by": "pulumi"}


# Keys this project reads; anything else under the project's namespace is a typo.
KNOWN_KEYS: frozenset[str] = frozenset(
    {
        "buckets",
        "appOrigins",
        "wafRateLimit",
        "wafMode",
        "cdnPriceClass",
        "cdnDomains",
        "noncurrentVersionDays",
        "logRetentionDays",
        "abortIncompleteUploadDays",
        "adopt",
        "placeholders",
        "mediaPublicReadUntil",
        "dnsZoneId",
        "redisPrimaryRegion",
        "redisReadRegions",
        "redisBudget",
        "vercel",
        "awsAccess",
        "appUploadPrefixes",
        "awsOidcProviderArn",
        "supabaseUrl",
        "supabaseAccessToken",
        "supabaseAuth",
        "supabaseDataApi",
        "supabaseNetworkRestrictions",
        "migrationSourceCidrs",
        "supabaseSslEnforced",
        "supabaseLegacyKeysEnabled",
        "supabaseKeyGeneration",
        "databaseUrl",
        "onCallEmail",
        "vercelErrorRateAlert",
        "githubRepository",
        "apiHealthCheck",
    }
)
# Keys this project used to read, with what replaced them.
RENAMED_KEYS: Mapping[str, str] = {"uploadAllowedOrigins": "appOrigins"}
# Keys this project no longer reads, with why.
RETIRED_KEYS: Mapping[str, str] = {
    "importBuckets": "adopt.buckets replaces it (the adopt: map names every live resource to import)",
    "supabaseAnonKey": "the publishable key is now created and wired by the stack (SupabaseProject)",
    "supabaseServiceKey": "the secret key is now created and wired by the stack (SupabaseProject)",
}
# Set per stack with `pulumi config set --secret` (or ESC); never in the committed stack files.
SECRET_KEYS: frozenset[str] = frozenset({"supabaseAccessToken", "databaseUrl"})


class _Reader:
    """Reads raw string config values (as Pulumi passes them) with key-naming errors."""

    def __init__(self, stack_file: str, raw: Mapping[str, str], secret_keys: frozenset[str]):
        self.stack_file = stack_file
        self.raw = raw
        self.secret_keys = secret_keys

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.stack_file}: {PROJECT}:{key} {problem}")

    def decoded(self, key: str) -> Any:
        """The key's value as the stack file wrote it: JSON for objects and lists, else the text."""
        text = self.raw[key]
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text

    def has(self, key: str) -> bool:
        return key in self.raw

    def string(self, key: str, default: str | None = None) -> str:
        if key not in self.raw:
            if default is None:
                raise self.fail(key, "is required but not set")
            return default
        value = self.raw[key]
        if not value.strip():
            raise self.fail(key, "must not be empty")
        return value

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        if key not in self.raw:
            return default
        value = self.decoded(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be a whole number, got {self.raw[key]!r}")
        if not low <= value <= high:
            raise self.fail(key, f"must be between {low} and {high}, got {value}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        if key not in self.raw:
            return default
        value = self.decoded(key)
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, got {self.raw[key]!r}")
        return value

    def choice(self, key: str, choices: Sequence[str], default: str) -> str:
        value = self.string(key, default)
        if value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def string_list(self, key: str, default: list[str] | None = None) -> list[str]:
        if key not in self.raw:
            if default is None:
                raise self.fail(key, "is required but not set")
            return default
        value = self.decoded(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of strings")
        if not value and default is None:
            raise self.fail(key, "must not be an empty list")
        return value

    def mapping(self, key: str, allowed: Sequence[str], required: bool) -> dict[str, str]:
        if key not in self.raw:
            if required:
                raise self.fail(key, f"is required but not set (keys: {', '.join(allowed)})")
            return {}
        value = self.decoded(key)
        if not isinstance(value, dict):
            raise self.fail(key, f"must be an object with keys {', '.join(allowed)}")
        for sub, sub_value in value.items():
            if sub not in allowed:
                raise self.fail(f"{key}.{sub}", f"is not a known key (expected one of {', '.join(allowed)})")
            if not isinstance(sub_value, str) or not sub_value:
                raise self.fail(f"{key}.{sub}", "must be a non-empty string")
        if required:
            for sub in allowed:
                if sub not in value:
                    raise self.fail(f"{key}.{sub}", "is required but not set")
        return value

    def secret(self, key: str, shape: re.Pattern[str] | None = None, what: str = "") -> pulumi.Output[str]:
        if key not in self.raw:
            raise self.fail(key, f"is required but not set; set it with `pulumi config set --secret {key} ...`")
        if key not in self.secret_keys:
            raise self.fail(key, f"holds a secret in plain text; set it with `pulumi config set --secret {key} ...`")
        if shape is not None and not shape.match(self.raw[key]):
            # The value itself is never echoed.
            raise self.fail(key, f"must be {what}")
        return pulumi.Output.secret(self.raw[key])


def _bucket_names(reader: _Reader, environment: Environment) -> dict[BucketRole, str]:
    names: dict[BucketRole, str] = {}
    raw = reader.mapping("buckets", BUCKET_ROLES, required=True)
    for role in BUCKET_ROLES:
        name = raw[role]
        key = f"buckets.{role}"
        if not _BUCKET_NAME.match(name) or ".." in name:
            raise reader.fail(key, f"is not a valid S3 bucket name: {name!r}")
        if environment == "prod" and name != PROD_BUCKET_NAMES[role]:
            raise reader.fail(key, f"must be {PROD_BUCKET_NAMES[role]!r} in prod, got {name!r}")
        if environment != "prod" and name in PROD_BUCKET_NAMES.values():
            raise reader.fail(key, f"is a prod bucket name ({name!r}); {environment} needs its own")
        names[role] = name
    if len(set(names.values())) != len(names):
        raise reader.fail("buckets", "must give each role a different bucket name")
    return names


def _app_origins(reader: _Reader, environment: Environment) -> tuple[str, ...]:
    origins = reader.string_list("appOrigins")
    for origin in origins:
        if origin == "*" or not _ORIGIN.match(origin):
            raise reader.fail(
                "appOrigins",
                f"entries must be origins like https://app.example.com (no wildcard, no path), got {origin!r}",
            )
        if origin.startswith("http://") and environment == "prod":
            raise reader.fail("appOrigins", f"must be https in prod, got {origin!r}")
    return tuple(origins)


def _firewall(reader: _Reader) -> FirewallConfig:
    low, high = WAF_RATE_LIMIT_RANGE
    mode = reader.choice("wafMode", get_args(WafMode), "block")
    return FirewallConfig(
        rate_limit=reader.integer("wafRateLimit", 2000, low, high),
        mode="count" if mode == "count" else "block",
    )


def _cdn_domains(reader: _Reader) -> CdnDomains | None:
    domains = reader.mapping("cdnDomains", CDN_ROLES, required=False)
    if not domains:
        return None
    if len(domains) != len(CDN_ROLES):
        missing = next(role for role in CDN_ROLES if role not in domains)
        raise reader.fail(f"cdnDomains.{missing}", "is required when cdnDomains is set")
    for role, domain in domains.items():
        if not _HOSTNAME.match(domain):
            raise reader.fail(f"cdnDomains.{role}", f"is not a valid domain name: {domain!r}")
    if not reader.has("dnsZoneId"):
        raise reader.fail("dnsZoneId", "is required when cdnDomains is set (the Route 53 hosted zone id)")
    zone_id = reader.string("dnsZoneId")
    if not _ZONE_ID.match(zone_id):
        raise reader.fail("dnsZoneId", f"is not a Route 53 hosted zone id: {zone_id!r}")
    return CdnDomains(cdn=domains["cdn"], assets=domains["assets"], zone_id=zone_id)


ADOPT_KEYS = ("buckets", "vercelProject", "vercelDomains", "vercelVariables", "redisCache")
_VERCEL_PROJECT_ID = re.compile(r"^(team_[A-Za-z0-9]+/)?prj_[A-Za-z0-9]+$")
_VERCEL_ENV_ID = re.compile(r"^[A-Za-z0-9]+$")
_UPSTASH_DATABASE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# The longest a media bucket may stay publicly readable from the day the stack says so.
MAX_PUBLIC_READ_DAYS = 120


@dataclass(frozen=True)
class Adoption:
    """The live resources a stack imports instead of creating (``adopt:``), by import id."""

    buckets: Mapping[BucketRole, str]
    vercel_project: str | None
    vercel_domains: Mapping[str, str]
    vercel_variables: Mapping[str, str]
    # {id, databaseName} of the live Upstash database that becomes the cache.
    redis_cache: Mapping[str, str]


def _string_map(reader: _Reader, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
    ):
        raise reader.fail(key, "must map names to import ids (non-empty strings)")
    return value


def _adopted_buckets(reader: _Reader, raw: Any, names: Mapping[BucketRole, str]) -> dict[BucketRole, str]:
    buckets: dict[BucketRole, str] = {}
    for role_name, bucket in _string_map(reader, "adopt.buckets", raw).items():
        role = next((r for r in BUCKET_ROLES if r == role_name), None)
        if role is None:
            raise reader.fail(f"adopt.buckets.{role_name}", f"is not a bucket role ({', '.join(BUCKET_ROLES)})")
        if bucket != names[role]:
            raise reader.fail(
                f"adopt.buckets.{role}", f"must name the configured bucket {names[role]!r}, got {bucket!r}"
            )
        buckets[role] = bucket
    return buckets


def _adopted_vercel(
    reader: _Reader, raw: Mapping[str, Any], vercel: VercelConfig
) -> tuple[str | None, dict[str, str], dict[str, str]]:
    """The project's import id (team_…/prj_…), its domains' (…/<domain>) and variables' (…/<env id>)."""
    project = raw.get("vercelProject")
    if project is not None:
        if not isinstance(project, str) or not _VERCEL_PROJECT_ID.match(project):
            raise reader.fail("adopt.vercelProject", "must be Vercel's import id team_…/prj_… (or prj_…)")
        if "/" in project and project.split("/", 1)[0] != vercel.team_id:
            raise reader.fail("adopt.vercelProject", f"belongs to another team than vercel.teamId {vercel.team_id!r}")
    domains = _string_map(reader, "adopt.vercelDomains", raw.get("vercelDomains", {}))
    variables = _string_map(reader, "adopt.vercelVariables", raw.get("vercelVariables", {}))
    if (domains or variables) and project is None:
        raise reader.fail("adopt.vercelProject", "is required to adopt the project's domains or variables")
    for domain, import_id in domains.items():
        if domain != vercel.domain:
            raise reader.fail(f"adopt.vercelDomains.{domain}", f"is not the stack's domain {vercel.domain!r}")
        if import_id != f"{project}/{domain}":
            raise reader.fail(f"adopt.vercelDomains.{domain}", f"must be {project}/{domain} (project id/domain)")
    for variable, import_id in variables.items():
        prefix, _, env_id = import_id.rpartition("/")
        if prefix != project or not _VERCEL_ENV_ID.match(env_id):
            raise reader.fail(f"adopt.vercelVariables.{variable}", f"must be {project}/<environment variable id>")
    return project, domains, variables


def _adopted_cache(reader: _Reader, raw: Any) -> dict[str, str]:
    cache = _string_map(reader, "adopt.redisCache", raw)
    if cache and set(cache) != {"id", "databaseName"}:
        raise reader.fail("adopt.redisCache", "must be {id: <Upstash database id>, databaseName: <its name>}")
    if cache and not _UPSTASH_DATABASE_ID.match(cache["id"]):
        raise reader.fail("adopt.redisCache.id", "must be the live database's Upstash id (a UUID)")
    return cache


def _adoption(reader: _Reader, names: Mapping[BucketRole, str], vercel: VercelConfig) -> Adoption:
    """Import ids in each provider's own format, checked against what the stack declares."""
    raw = reader.decoded("adopt") if reader.has("adopt") else {}
    if not isinstance(raw, dict):
        raise reader.fail("adopt", f"must be an object with {', '.join(ADOPT_KEYS)}")
    for key in raw:
        if key not in ADOPT_KEYS:
            hint = difflib.get_close_matches(key, ADOPT_KEYS, n=1)
            raise reader.fail(
                f"adopt.{key}", "is not something this stack adopts" + (f" (did you mean {hint[0]}?)" if hint else "")
            )
    project, domains, variables = _adopted_vercel(reader, raw, vercel)
    return Adoption(
        buckets=_adopted_buckets(reader, raw.get("buckets", {}), names),
        vercel_project=project,
        vercel_domains=domains,
        vercel_variables=variables,
        redis_cache=_adopted_cache(reader, raw.get("redisCache", {})),
    )


def _public_read_until(reader: _Reader) -> dict[BucketRole, datetime.date]:
    """Media buckets still readable by anyone (a bucket policy, never ACLs) until a date."""
    raw = reader.mapping("mediaPublicReadUntil", CDN_ROLES, required=False)
    until: dict[BucketRole, datetime.date] = {}
    latest = datetime.date.today() + datetime.timedelta(days=MAX_PUBLIC_READ_DAYS)
    for role in CDN_ROLES:
        if role not in raw:
            continue
        text = raw[role]
        key = f"mediaPublicReadUntil.{role}"
        try:
            day = datetime.date.fromisoformat(text)
        except ValueError:
            raise reader.fail(key, f"must be a date like 2027-01-31, got {text!r}") from None
        if day > latest:
            raise reader.fail(
                key, f"may be at most {MAX_PUBLIC_READ_DAYS} days ahead ({latest}); the cut-over is time-boxed"
            )
        until[role] = day
    return until


def _placeholders(reader: _Reader) -> tuple[str, ...]:
    """Config keys still holding stand-ins; each must name a key the stack file sets."""
    listed = reader.string_list("placeholders", [])
    for entry in listed:
        top, _, rest = entry.partition(".")
        present = reader.has(top)
        if present and rest:
            node: Any = reader.decoded(top)
            for part in rest.split("."):
                present = isinstance(node, dict) and part in node
                node = node.get(part) if present else None
        if not present:
            raise reader.fail("placeholders", f"lists {entry!r}, which the stack file does not set")
    return tuple(listed)


def _cache(reader: _Reader, adopt_cache: Mapping[str, str]) -> CacheConfig:
    primary = reader.string("redisPrimaryRegion", "us-east-1")
    if primary not in UPSTASH_REGIONS:
        raise reader.fail(
            "redisPrimaryRegion",
            f"must be an Upstash region ({', '.join(UPSTASH_REGIONS)}), got {primary!r}; "
            "us-east-1 is the one next to Vercel's iad1",
        )
    read_regions = reader.string_list("redisReadRegions", [])
    for region in read_regions:
        if region not in UPSTASH_REGIONS or region == primary:
            raise reader.fail("redisReadRegions", f"must be Upstash regions other than the primary, got {region!r}")
    budget = reader.integer("redisBudget", 0, 1, 100_000) if reader.has("redisBudget") else None
    return CacheConfig(
        primary_region=primary,
        read_regions=tuple(read_regions),
        budget=budget,
        adopt_cache_id=adopt_cache.get("id"),
        adopt_cache_name=adopt_cache.get("databaseName"),
    )


def _vercel(reader: _Reader, environment: Environment) -> VercelConfig:
    raw = reader.mapping("vercel", VERCEL_KEYS, required=True)
    checks = {
        "team": (_SLUG, "a Vercel team slug"),
        "teamId": (_TEAM_ID, "a Vercel team id (team_...)"),
        "project": (_SLUG, "a Vercel project name"),
        "gitRepository": (_GIT_REPOSITORY, "owner/repository"),
        "productionBranch": (re.compile(r"^[A-Za-z0-9._/-]+$"), "a branch name"),
        "domain": (_HOSTNAME, "a domain name"),
    }
    for key, (pattern, what) in checks.items():
        if not pattern.match(raw[key]):
            raise reader.fail(f"vercel.{key}", f"must be {what}, got {raw[key]!r}")
    if environment == "prod" and raw["domain"] != PROD_API_DOMAIN:
        raise reader.fail("vercel.domain", f"must be {PROD_API_DOMAIN!r} in prod, got {raw['domain']!r}")
    if environment != "prod" and raw["domain"] == PROD_API_DOMAIN:
        raise reader.fail("vercel.domain", f"is the prod API domain; {environment} needs its own")
    return VercelConfig(
        team_slug=raw["team"],
        team_id=raw["teamId"],
        project_name=raw["project"],
        git_repository=raw["gitRepository"],
        production_branch=raw["productionBranch"],
        domain=raw["domain"],
    )


def _hosting(reader: _Reader, environment: Environment, vercel: VercelConfig, adoption: Adoption) -> HostingConfig:
    modes = get_args(AwsAccessMode)
    access = reader.choice("awsAccess", modes, "oidc")
    prefixes = reader.string_list("appUploadPrefixes", ["avatars/"])
    if not prefixes:
        raise reader.fail("appUploadPrefixes", "must not be an empty list")
    for prefix in prefixes:
        if not _UPLOAD_PREFIX.match(prefix):
            raise reader.fail("appUploadPrefixes", f"entries must look like 'avatars/' (no wildcard), got {prefix!r}")
    provider_arn = reader.string("awsOidcProviderArn") if reader.has("awsOidcProviderArn") else None
    if provider_arn is not None and not _IAM_OIDC_PROVIDER_ARN.match(provider_arn):
        raise reader.fail("awsOidcProviderArn", f"must be a Vercel IAM OIDC provider ARN, got {provider_arn!r}")
    return HostingConfig(
        vercel=vercel,
        aws_access="oidc" if access == "oidc" else "access-key",
        upload_prefixes=tuple(prefixes),
        oidc_provider_arn=provider_arn,
        adopt_project=adoption.vercel_project,
        adopt_domains=adoption.vercel_domains,
        adopt_variables=adoption.vercel_variables,
    )


def _typed_settings(reader: _Reader, key: str, fields: Mapping[str, type]) -> dict[str, Any]:
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


def _cidrs(reader: _Reader, key: str, values: Any, environment: Environment) -> list[str]:
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


def _network(reader: _Reader, environment: Environment) -> dict[str, list[str]]:
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
    sources = reader.string_list("migrationSourceCidrs", [])
    for source in _cidrs(reader, "migrationSourceCidrs", sources, environment):
        field = "dbAllowedCidrsV6" if ipaddress.ip_network(source).version == 6 else "dbAllowedCidrs"
        if source not in network[field]:
            network[field].append(source)
    if not network["dbAllowedCidrs"] and not network["dbAllowedCidrsV6"]:
        raise reader.fail("supabaseNetworkRestrictions", "admits no address at all; migrations could not run")
    return network


def _database_url(reader: _Reader, project_ref: str) -> pulumi.Output[str]:
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


def supabase_project_ref(url: str) -> str:
    """The project ref of https://<ref>.supabase.co."""
    return url.removeprefix("https://").split(".", 1)[0]


def _supabase(reader: _Reader, environment: Environment, app_origins: tuple[str, ...]) -> SupabaseConfig:
    url = reader.string("supabaseUrl")
    if not _SUPABASE_URL.match(url):
        raise reader.fail("supabaseUrl", f"must be a project URL like https://<20-char ref>.supabase.co, got {url!r}")
    project_ref = supabase_project_ref(url)
    # Supabase's production checklist, as defaults; the stack file may override field by field.
    auth: dict[str, Any] = {
        "site_url": app_origins[0],
        "uri_allow_list": ",".join(f"{origin}/**" for origin in app_origins),
        "mailer_autoconfirm": False,
        "password_min_length": 12,
        "password_required_characters": ALL_PASSWORD_CHARACTERS,
        "password_hibp_enabled": True,
        "mailer_otp_exp": 3600,
        "jwt_exp": 3600,
        "refresh_token_rotation_enabled": True,
        "security_refresh_token_reuse_interval": 10,
        **_typed_settings(reader, "supabaseAuth", AUTH_FIELDS),
    }
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
        ssl_enforced=reader.boolean("supabaseSslEnforced", True),
        legacy_keys_enabled=reader.boolean("supabaseLegacyKeysEnabled", True),
        key_generation=reader.integer("supabaseKeyGeneration", 1, 1, 999),
    )


_EMAIL = re.compile(r"^[^@\s]+@[a-z0-9.-]+\.[a-z]{2,}$")


def _monitoring(reader: _Reader, environment: Environment) -> MonitoringConfig:
    email = reader.string("onCallEmail")
    if not _EMAIL.match(email):
        raise reader.fail("onCallEmail", f"must be an email address, got {email!r}")
    repository = reader.string("githubRepository")
    if not _GIT_REPOSITORY.match(repository):
        raise reader.fail("githubRepository", f"must be owner/repository, got {repository!r}")
    health_check = reader.boolean("apiHealthCheck", True)
    if environment == "prod" and not health_check:
        raise reader.fail("apiHealthCheck", "must be true in prod: api.newcool.io is watched from day one")
    return MonitoringConfig(
        on_call_email=email,
        vercel_error_rate_alert=reader.boolean("vercelErrorRateAlert", False),
        github_repository=repository,
        api_health_check=health_check,
    )


def parse_stack_config(stack: str, raw: Mapping[str, str], secret_keys: frozenset[str] = frozenset()) -> StackConfig:
    """Validates the raw config of ``stack`` (keys without the project prefix)."""
    stack_file = f"Pulumi.{stack}.yaml"
    if stack not in get_args(Environment):
        raise ConfigError(f"{stack_file}: unknown stack {stack!r}; this project has the stacks dev and prod")
    environment: Environment = "prod" if stack == "prod" else "dev"
    reader = _Reader(stack_file, raw, secret_keys)
    for key in sorted(raw):
        if key in RENAMED_KEYS:
            raise reader.fail(key, f"was renamed to {RENAMED_KEYS[key]}; rename the key in {stack_file}")
        if key in RETIRED_KEYS:
            raise reader.fail(key, f"is no longer read: {RETIRED_KEYS[key]}; remove it (`pulumi config rm {key}`)")
        if key not in KNOWN_KEYS:
            hint = difflib.get_close_matches(key, sorted(KNOWN_KEYS), n=1)
            suggestion = f" (did you mean {hint[0]}?)" if hint else ""
            raise reader.fail(key, f"is not a setting of this project{suggestion}")

    names = _bucket_names(reader, environment)
    app_origins = _app_origins(reader, environment)
    vercel = _vercel(reader, environment)
    adoption = _adoption(reader, names, vercel)
    storage = StorageConfig(
        bucket_names=names,
        app_origins=app_origins,
        price_class=reader.choice("cdnPriceClass", PRICE_CLASSES, "PriceClass_100"),
        noncurrent_version_days=reader.integer("noncurrentVersionDays", 30, 1, 3650),
        log_retention_days=reader.integer("logRetentionDays", 90, 1, 3650),
        abort_incomplete_upload_days=reader.integer("abortIncompleteUploadDays", 7, 1, 365),
        cdn_domains=_cdn_domains(reader),
        import_buckets=adoption.buckets,
        public_read_until=_public_read_until(reader),
    )
    return StackConfig(
        environment=environment,
        stack_file=stack_file,
        storage=storage,
        firewall=_firewall(reader),
        cache=_cache(reader, adoption.redis_cache),
        hosting=_hosting(reader, environment, vercel, adoption),
        supabase=_supabase(reader, environment, app_origins),
        monitoring=_monitoring(reader, environment),
        placeholders=_placeholders(reader),
    )


def project_config_values(
    config_env: Mapping[str, str], is_secret: Callable[[str], bool]
) -> tuple[dict[str, str], frozenset[str]]:
    """Splits Pulumi's flat ``project:key`` config into this project's keys and its secret keys."""
    prefix = f"{PROJECT}:"
    raw = {key[len(prefix) :]: value for key, value in config_env.items() if key.startswith(prefix)}
    secrets = frozenset(key for key in raw if is_secret(prefix + key))
    return raw, secrets


# The providers this program configures through stack config, by namespace, and the package
# whose generated `config/vars.py` lists every key that provider reads.
PROVIDER_PACKAGES: Mapping[str, str] = {
    "aws": "pulumi_aws",
    "vercel": "pulumiverse_vercel",
    "upstash": "upstash_pulumi",
}
# The providers' credentials: set in plain text they would sit in a committed stack file.
PROVIDER_CREDENTIALS: Mapping[str, frozenset[str]] = {
    "aws": frozenset({"accessKey", "secretKey", "token"}),
    "vercel": frozenset({"apiToken"}),
    "upstash": frozenset({"apiKey"}),
}
# The engine's own namespace (`pulumi:tags`, `pulumi:disable-default-providers`): not ours to check.
ENGINE_NAMESPACE = "pulumi"
_PROVIDER_KEY = re.compile(r"__config__\.get\w*\('(\w+)'\)")


@functools.cache
def provider_config_keys(namespace: str) -> frozenset[str]:
    """Every key the provider reads, from its generated SDK (the provider's own schema)."""
    # Read, not imported: the SDKs load their config modules lazily, and only their source says
    # which keys exist.
    spec = importlib.util.find_spec(PROVIDER_PACKAGES[namespace])
    if spec is None or spec.origin is None:
        raise ConfigError(f"the {namespace} provider's SDK ({PROVIDER_PACKAGES[namespace]}) is not installed")
    source = (Path(spec.origin).parent / "config" / "vars.py").read_text()
    return frozenset(_PROVIDER_KEY.findall(source))


def check_config_namespaces(stack: str, keys: Sequence[str], is_secret: Callable[[str], bool]) -> None:
    """Refuses a key no one reads: a misspelt provider key (`aws:regoin`) or namespace (`aws2:`),
    which the provider would ignore silently, running with its default (another region); and a
    provider credential set in plain text."""
    stack_file = f"Pulumi.{stack}.yaml"
    namespaces = sorted({PROJECT, ENGINE_NAMESPACE, *PROVIDER_PACKAGES})
    for full in sorted(keys):
        namespace, _, key = full.partition(":")
        if namespace in (PROJECT, ENGINE_NAMESPACE):
            continue
        if namespace not in PROVIDER_PACKAGES:
            hint = difflib.get_close_matches(namespace, namespaces, n=1)
            suggestion = f"; did you mean {hint[0]}:{key}?" if hint else ""
            raise ConfigError(
                f"{stack_file}: {full}: {namespace!r} is not a config namespace of this project "
                f"({', '.join(namespaces)}){suggestion}"
            )
        known = provider_config_keys(namespace)
        if key.split(".", 1)[0] not in known:
            hint = difflib.get_close_matches(key, sorted(known), n=1)
            suggestion = f" (did you mean {namespace}:{hint[0]}?)" if hint else ""
            raise ConfigError(f"{stack_file}: {full} is not a setting of the {namespace} provider{suggestion}")
        if key in PROVIDER_CREDENTIALS[namespace] and not is_secret(full):
            raise ConfigError(
                f"{stack_file}: {full} is a credential and is set in plain text; put it in the stack's ESC "
                f"environment or set it with `pulumi config set --secret {full}`"
            )


def load_stack_config() -> StackConfig:
    """Reads and validates the running stack's configuration."""
    # The language host passes config through the environment and/or the runtime's config map.
    config = {**get_config_env(), **CONFIG.get()}
    check_config_namespaces(pulumi.get_stack(), list(config), is_config_secret)
    raw, secrets = project_config_values(config, is_config_secret)
    return parse_stack_config(pulumi.get_stack(), raw, secrets)
