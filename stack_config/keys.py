"""Every config key this project reads, declared once.

The table drives the reader (defaults, bounds, choices, which keys must be secret), the set of
known keys (anything else under ``newcool-infra:`` is refused as a typo), the generated
``docs/configuration.md``, and ``Pulumi.yaml``'s ``config:`` block, which a test keeps equal to
the keys declared here with ``in_project_schema``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from stack_config.vocabulary import (
    AWS_ACCESS_MODES,
    BUCKET_ROLES,
    CDN_ROLES,
    CUTOVER_ROLES,
    PITR_CHOICES,
    PRICE_CLASSES,
    SUPABASE_PLANS,
    UPSTASH_REGIONS,
    WAF_MODES,
    WAF_RATE_LIMIT_RANGE,
)

Section = Literal["stack", "storage", "firewall", "cache", "hosting", "supabase", "vaults", "monitoring", "review"]
SECTIONS: tuple[Section, ...] = get_args(Section)
KeyType = Literal["string", "integer", "boolean", "list", "object"]


@dataclass(frozen=True)
class ConfigKey:
    name: str
    section: Section
    type: KeyType
    description: str
    # None: no default (the key is required unless ``optional``).
    default: Any = None
    optional: bool = False
    bounds: tuple[int, int] | None = None
    choices: tuple[str, ...] | None = None
    # Must be set with `pulumi config set --secret` or from the stack's ESC environment.
    secret: bool = False
    # Declared in Pulumi.yaml, so the Pulumi CLI checks its type (and secrecy) before the program
    # runs. Only scalars and lists of strings can be declared there, and a declared key without a
    # default is required: these are the keys every stack sets.
    in_project_schema: bool = False

    @property
    def required(self) -> bool:
        return self.default is None and not self.optional


KEYS: tuple[ConfigKey, ...] = (
    ConfigKey(
        "placeholders",
        "stack",
        "list",
        "Config keys whose values still stand in for real ones; a real `pulumi up -s prod` refuses to run "
        "while any is listed, previews warn.",
        default=[],
        in_project_schema=True,
    ),
    ConfigKey(
        "adopt",
        "stack",
        "object",
        "The live resources the first `up` imports, by each provider's import id: {buckets, vercelProject, "
        "vercelDomains, vercelVariables, redisCache, supabaseSettings} (supabaseSettings: the project ref, whose "
        "settings the first `up` records and leaves as they are; docs/runbooks/adopting.md).",
        optional=True,
    ),
    ConfigKey(
        "buckets",
        "storage",
        "object",
        f"Bucket names {{{', '.join(BUCKET_ROLES)}}}: prod must use the seed's names, dev may never use a prod name.",
    ),
    ConfigKey(
        "appOrigins",
        "storage",
        "list",
        "Origins the app is served from: the only ones browsers may use cross-origin (uploads, media, fonts) "
        "and Supabase auth redirects; https only in prod.",
        in_project_schema=True,
    ),
    ConfigKey(
        "cdnPriceClass",
        "storage",
        "string",
        "CloudFront price class of every distribution.",
        default="PriceClass_100",
        choices=PRICE_CLASSES,
        in_project_schema=True,
    ),
    ConfigKey(
        "cdnDomains",
        "storage",
        "object",
        f"Optional custom CDN domains {{{', '.join(CDN_ROLES)}}} (ACM in us-east-1, DNS-validated in dnsZoneId); "
        "prod's are the bucket role table's.",
        optional=True,
    ),
    ConfigKey(
        "dnsZoneId",
        "storage",
        "string",
        "Route 53 hosted zone id of the cdnDomains (required with them).",
        optional=True,
    ),
    ConfigKey(
        "noncurrentVersionDays",
        "storage",
        "integer",
        "Days a data bucket keeps noncurrent (overwritten or deleted) object versions.",
        default=30,
        bounds=(1, 3650),
        in_project_schema=True,
    ),
    ConfigKey(
        "logRetentionDays",
        "storage",
        "integer",
        "Days access logs are kept, in all (log bucket: current, then recoverable as a noncurrent version "
        "for up to 30 days; WAF log group).",
        default=90,
        bounds=(2, 3650),
        in_project_schema=True,
    ),
    ConfigKey(
        "abortIncompleteUploadDays",
        "storage",
        "integer",
        "Days after which incomplete multipart uploads are aborted.",
        default=7,
        bounds=(1, 365),
    ),
    ConfigKey(
        "mediaPublicReadUntil",
        "storage",
        "object",
        f"The media cut-over: {{{', '.join(CUTOVER_ROLES)}}} -> a date until which those buckets stay readable "
        "by anyone (a bucket policy, never ACLs); at most 120 days ahead.",
        optional=True,
    ),
    ConfigKey(
        "wafRateLimit",
        "firewall",
        "integer",
        "Requests one client IP may make per 5 minutes before the WAF blocks it.",
        default=2000,
        bounds=WAF_RATE_LIMIT_RANGE,
        in_project_schema=True,
    ),
    ConfigKey(
        "wafMode",
        "firewall",
        "string",
        "block, or count (rules only record) for a first rollout.",
        default="block",
        choices=WAF_MODES,
        in_project_schema=True,
    ),
    ConfigKey(
        "redisPrimaryRegion",
        "cache",
        "string",
        "Primary region of both Upstash databases (fixed once created); us-east-1 is next to Vercel's iad1.",
        default="us-east-1",
        choices=UPSTASH_REGIONS,
        in_project_schema=True,
    ),
    ConfigKey(
        "redisCacheName",
        "cache",
        "string",
        "Name of the cache database; prod keeps the live database's (Upstash replaces a database whose name "
        "changes, so it must outlive adopt:). Default newcool-<stack>-cache.",
        optional=True,
    ),
    ConfigKey(
        "redisEndpoint",
        "cache",
        "string",
        "Host of the cache database's endpoint (<name>.upstash.io), as Upstash shows it. Set in prod: the pack "
        "refuses it in every review stack (prod's REST URL starts with it), after adopt: is gone as before.",
        optional=True,
    ),
    ConfigKey("redisReadRegions", "cache", "list", "Upstash read-replica regions (never the primary).", default=[]),
    ConfigKey(
        "redisBudget",
        "cache",
        "integer",
        "Monthly budget cap of each Upstash database, in USD (unset: the account default).",
        optional=True,
        bounds=(1, 100_000),
        in_project_schema=True,
    ),
    ConfigKey(
        "vercel",
        "hosting",
        "object",
        "The Vercel project {team, teamId, project, gitRepository, productionBranch, domain}; prod's domain "
        "must be api.newcool.io.",
    ),
    ConfigKey(
        "previewStack",
        "hosting",
        "string",
        "Prod only: the stack whose whole backend prod's preview deployments use (Supabase, Redis, buckets, "
        "AWS role: that stack's outputs, read through a StackReference), as <org>/<project>/<stack>; unset, "
        "previews get no variable at all. Never the prod stack itself.",
        optional=True,
    ),
    ConfigKey(
        "servesPreviewsOf",
        "hosting",
        "string",
        "Not prod: the Vercel project (prod's) whose preview deployments use this stack's backend (its "
        "previewStack names this stack); the app role trusts their OIDC tokens. Needs awsAccess oidc.",
        optional=True,
    ),
    ConfigKey(
        "awsAccess",
        "hosting",
        "string",
        "How the app reaches AWS: oidc (Vercel's OIDC federation) or access-key.",
        default="oidc",
        choices=AWS_ACCESS_MODES,
        in_project_schema=True,
    ),
    ConfigKey(
        "appUploadPrefixes",
        "hosting",
        "list",
        "Key prefixes of the uploads bucket the app may write to, like avatars/.",
        default=["avatars/"],
        in_project_schema=True,
    ),
    ConfigKey(
        "awsOidcProviderArn",
        "hosting",
        "string",
        "An existing Vercel IAM OIDC provider to reuse (one exists per account and team).",
        optional=True,
    ),
    ConfigKey(
        "supabaseUrl",
        "supabase",
        "string",
        "https://<project ref>.supabase.co of this stack's Supabase project.",
        in_project_schema=True,
    ),
    ConfigKey(
        "supabaseAccessToken",
        "supabase",
        "string",
        "Supabase Management API token (sbp_…) of the account owning the project; read by the providers "
        "when they run, never stored in the state.",
        secret=True,
        in_project_schema=True,
    ),
    ConfigKey(
        "databaseUrl",
        "supabase",
        "string",
        "Session-pooler URL of this stack's Supabase Postgres, for the migrations (port 6543 and another "
        "project's ref are refused; TLS unless it says sslmode=).",
        secret=True,
        in_project_schema=True,
    ),
    ConfigKey(
        "supabasePlan",
        "supabase",
        "string",
        "The Supabase organization's plan; leaked-password protection (password_hibp_enabled) needs pro or "
        "above, and is on by default there. make adopt-plan reads the real plan.",
        default="free",
        choices=SUPABASE_PLANS,
    ),
    ConfigKey(
        "supabasePitr",
        "supabase",
        "string",
        "Point-in-time recovery add-on (days of WAL kept); needs Pro or above. none: the plan's daily backups, "
        "which a prod stack must accept in supabasePitrWaiver.",
        default="none",
        choices=PITR_CHOICES,
    ),
    ConfigKey(
        "supabasePitrWaiver",
        "supabase",
        "object",
        "{reason, until}: a reviewed acceptance of running without PITR, until a date at most 365 days ahead.",
        optional=True,
    ),
    ConfigKey(
        "supabaseAuth",
        "supabase",
        "object",
        "Auth settings under the Management API's names, overriding the secure defaults field by field.",
        optional=True,
    ),
    ConfigKey(
        "supabaseDataApi",
        "supabase",
        "object",
        "Data API settings {db_schema, max_rows, db_extra_search_path}, overriding the defaults.",
        optional=True,
    ),
    ConfigKey(
        "supabaseNetworkRestrictions",
        "supabase",
        "object",
        "Who may reach Postgres and the pooler {dbAllowedCidrs, dbAllowedCidrsV6}: required in prod, never "
        "open there; dev is open when unset.",
        optional=True,
    ),
    ConfigKey(
        "migrationSourceCidrs",
        "supabase",
        "list",
        "Where `pulumi up` runs migrations from; added to the network restrictions.",
        default=[],
    ),
    ConfigKey(
        "supabaseSslEnforced",
        "supabase",
        "boolean",
        "Whether Postgres refuses connections without TLS (changing it restarts the database once).",
        default=True,
    ),
    ConfigKey(
        "supabaseLegacyKeysEnabled",
        "supabase",
        "boolean",
        "Whether Supabase's legacy anon and service_role JWT keys still work.",
        default=True,
        in_project_schema=True,
    ),
    ConfigKey(
        "supabasePublishableKeyGeneration",
        "supabase",
        "integer",
        "Part of the managed publishable key's name (`newcool_app_<n>`): `make rotate` raises it.",
        default=1,
        bounds=(1, 999),
    ),
    ConfigKey(
        "supabaseSecretKeyGeneration",
        "supabase",
        "integer",
        "Part of the managed secret key's name (`newcool_server_<n>`): `make rotate` raises it.",
        default=1,
        bounds=(1, 999),
    ),
    ConfigKey(
        "backupBucket",
        "vaults",
        "string",
        "The bucket the nightly database dumps go to (KMS, versioned, Object Lock in governance mode); "
        "default newcool-<stack>-db-backups.",
        optional=True,
    ),
    ConfigKey(
        "backupRetentionDays",
        "vaults",
        "integer",
        "Days each dump is locked (governance mode) and kept, then expires.",
        default=35,
        bounds=(1, 3650),
    ),
    ConfigKey(
        "evidenceBucket",
        "vaults",
        "string",
        "The bucket each deploy's sealed record goes to (KMS, versioned, Object Lock in governance mode; the "
        "deploy role may only add); default newcool-<stack>-deploy-evidence.",
        optional=True,
    ),
    ConfigKey(
        "evidenceRetentionDays",
        "vaults",
        "integer",
        "Days each deploy record is locked and kept.",
        default=365,
        bounds=(1, 3650),
    ),
    ConfigKey(
        "deployRoleArn",
        "vaults",
        "string",
        "The IAM role the deploy workflow assumes (bootstrapped outside the stacks): the one writer of the "
        "deploy records.",
    ),
    ConfigKey("onCallEmail", "monitoring", "string", "Address subscribed to the alerts topic.", in_project_schema=True),
    ConfigKey(
        "githubRepository",
        "monitoring",
        "string",
        "owner/name of this repository; the db-metrics role trusts its main branch.",
        in_project_schema=True,
    ),
    ConfigKey(
        "apiHealthCheck",
        "monitoring",
        "boolean",
        "The Route 53 health check and its alarms on the API domain; must be true in prod.",
        default=True,
    ),
    ConfigKey(
        "vercelObservabilityPlus",
        "monitoring",
        "boolean",
        "Whether the Vercel team has Observability Plus, which custom alert rules need (Vercel's API does not "
        "expose it: confirm it under the team's billing).",
        default=False,
    ),
    ConfigKey(
        "vercelLogDrain",
        "monitoring",
        "boolean",
        "The Vercel log drain (production) into this stack's receiver, its log group and the traffic alarms "
        "(needs a Pro or Enterprise team); must be true in prod.",
        default=True,
    ),
    ConfigKey(
        "vercelLogDrainSecret",
        "monitoring",
        "string",
        "The log drain's signing secret (at least 32 characters, e.g. `openssl rand -hex 32`): Vercel signs "
        "each batch with it and the receiver refuses what it did not sign.",
        secret=True,
        in_project_schema=True,
    ),
    ConfigKey(
        "supabaseErrorSpike",
        "monitoring",
        "integer",
        "Postgres or auth errors in Supabase's logs per 5 minutes above which on-call is paged.",
        default=25,
        bounds=(1, 100000),
    ),
    ConfigKey(
        "vercelErrorRateAlert",
        "monitoring",
        "boolean",
        "Whether to create the Vercel error-rate alert rule (needs Observability Plus).",
        default=False,
        in_project_schema=True,
    ),
    # Review stacks (pr-<N>, from Pulumi.pr-template.yaml): docs/runbooks/review-environments.md.
    ConfigKey("maxReviewEnvironments", "review", "integer", "Review environments (pr-<N> stacks) alive at once; "
              "a pull request beyond it gets a comment and nothing.", default=5, bounds=(1, 50)),
    ConfigKey("reviewEnvironmentTtlHours", "review", "integer", "Hours after which make review-sweep removes a "
              "review environment even if its pull request is open.", default=72, bounds=(1, 720)),
    ConfigKey("reviewGitBranch", "review", "string", "The pull request's head branch (the workflow sets it): the "
              "Supabase branch's git_branch and the Vercel variables' gitBranch. Default pr-<N>.", optional=True),
)  # fmt: skip

KEYS_BY_NAME: Mapping[str, ConfigKey] = {key.name: key for key in KEYS}
# Keys this project reads; anything else under the project's namespace is a typo.
KNOWN_KEYS: frozenset[str] = frozenset(KEYS_BY_NAME)
# Set per stack with `pulumi config set --secret` (or ESC); never in the committed stack files.
SECRET_KEYS: frozenset[str] = frozenset(key.name for key in KEYS if key.secret)
# Keys this project used to read, with what replaced them.
RENAMED_KEYS: Mapping[str, str] = {"uploadAllowedOrigins": "appOrigins"}
# Keys this project no longer reads, with why.
RETIRED_KEYS: Mapping[str, str] = {
    "importBuckets": "adopt.buckets replaces it (the adopt: map names every live resource to import)",
    "supabaseAnonKey": "the publishable key is now created and wired by the stack (SupabaseProject)",
    "supabaseServiceKey": "the secret key is now created and wired by the stack (SupabaseProject)",
}

_SCHEMA_TYPES: Mapping[KeyType, str] = {"string": "string", "integer": "integer", "boolean": "boolean", "list": "array"}


def project_schema() -> dict[str, dict[str, Any]]:
    """The `config:` block of Pulumi.yaml these keys call for (the CLI's own schema format)."""
    schema: dict[str, dict[str, Any]] = {}
    for key in KEYS:
        if not key.in_project_schema:
            continue
        declared: dict[str, Any] = {"type": _SCHEMA_TYPES[key.type]}
        if key.type == "list":
            declared["items"] = {"type": "string"}
        if key.secret:
            declared["secret"] = True
        declared["description"] = key.description
        schema[key.name] = declared
    return schema
