"""The words a stack file is written in: stacks, bucket roles, regions, and the vendors' own
names and enums that a value must be one of."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

PROJECT = "newcool-infra"

Environment = Literal["dev", "prod"]
ENVIRONMENTS: tuple[Environment, ...] = get_args(Environment)
# A pull request's review environment: the stack pr-<N>, configured from a committed template (a
# per-PR stack file is written by the review workflow and never committed).
REVIEW_STACK = re.compile(r"^pr-([1-9][0-9]{0,6})$")
REVIEW_TEMPLATE = "Pulumi.pr-template.yaml"
# A bucket role's name: one of BUCKET_TABLE's keys (``bucket_role`` refuses any other).
BucketRole = str


@dataclass(frozen=True)
class BucketRoleFacts:
    """What one bucket role is; the code derives every bucket's resources from these facts."""

    # Holds the platform's data (versioned history, access-logged into the log bucket). The one
    # role that is not data is the log bucket.
    data: bool
    # Served by its own CloudFront distribution (the app signs reads); a data bucket that is not is
    # reached only through presigned URLs, and browsers upload to it.
    cdn: bool
    # May stay readable by anyone until a date (mediaPublicReadUntil): direct S3 URLs live today.
    cutover: bool
    # The seed's bucket name (spec: File Storage): prod must use exactly it; dev never may.
    prod_name: str
    # Prod's custom CDN domain (cdnDomains.<role>), for the roles CloudFront serves.
    custom_domain: str | None = None


# The one table of bucket roles, in the order resources are declared.
BUCKET_TABLE: Mapping[str, BucketRoleFacts] = {
    "cdn": BucketRoleFacts(
        data=True, cdn=True, cutover=True, prod_name="newcool-streaming-platform-cdn", custom_domain="media.newcool.io"
    ),
    "assets": BucketRoleFacts(
        data=True, cdn=True, cutover=True, prod_name="newcool-assets", custom_domain="assets.newcool.io"
    ),
    "uploads": BucketRoleFacts(data=True, cdn=False, cutover=False, prod_name="newcool-uploads"),
    "logs": BucketRoleFacts(data=False, cdn=False, cutover=False, prod_name="newcool-access-logs"),
}


class UnknownBucketRoleError(ValueError):
    pass


def bucket_role(role: str) -> BucketRoleFacts:
    """The facts of a role in the table; any other name is an error, never a default."""
    if role not in BUCKET_TABLE:
        raise UnknownBucketRoleError(f"unknown bucket role {role!r} (the roles: {', '.join(BUCKET_TABLE)})")
    return BUCKET_TABLE[role]


def _table_problems(table: Mapping[str, BucketRoleFacts]) -> list[str]:
    """What would make the derived resources wrong: the code relies on each of these."""
    problems = []
    logs = [role for role, facts in table.items() if not facts.data]
    if len(logs) != 1:
        problems.append(f"exactly one role must be the log bucket (data=False), got {logs}")
    for role, facts in table.items():
        if facts.cutover and not facts.cdn:
            problems.append(f"{role}: a cut-over ends in CloudFront, so cutover needs cdn")
        if facts.cdn != (facts.custom_domain is not None):
            problems.append(f"{role}: a custom_domain is given exactly for the roles CloudFront serves")
        if facts.cdn and not facts.data:
            problems.append(f"{role}: the log bucket is never served")
    if len({facts.prod_name for facts in table.values()}) != len(table):
        problems.append("each role needs its own prod_name")
    return problems


if _problems := _table_problems(BUCKET_TABLE):
    raise ValueError(f"stack_config/vocabulary.py BUCKET_TABLE: {'; '.join(_problems)}")

BUCKET_ROLES: tuple[BucketRole, ...] = tuple(BUCKET_TABLE)
DATA_BUCKET_ROLES: tuple[BucketRole, ...] = tuple(role for role, facts in BUCKET_TABLE.items() if facts.data)
# The buckets CloudFront serves; the other data buckets are reached only through presigned URLs.
CDN_ROLES: tuple[BucketRole, ...] = tuple(role for role, facts in BUCKET_TABLE.items() if facts.cdn)
UPLOAD_ROLES: tuple[BucketRole, ...] = tuple(role for role in DATA_BUCKET_ROLES if role not in CDN_ROLES)
CUTOVER_ROLES: tuple[BucketRole, ...] = tuple(role for role, facts in BUCKET_TABLE.items() if facts.cutover)
LOG_BUCKET_ROLE: BucketRole = next(role for role, facts in BUCKET_TABLE.items() if not facts.data)
PROD_BUCKET_NAMES: Mapping[BucketRole, str] = {role: facts.prod_name for role, facts in BUCKET_TABLE.items()}
PROD_CDN_DOMAINS: Mapping[BucketRole, str] = {
    role: facts.custom_domain for role, facts in BUCKET_TABLE.items() if facts.custom_domain
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
AWS_ACCESS_MODES: tuple[AwsAccessMode, ...] = get_args(AwsAccessMode)
VERCEL_KEYS = ("team", "teamId", "project", "gitRepository", "productionBranch", "domain")

WafMode = Literal["block", "count"]
WAF_MODES: tuple[WafMode, ...] = get_args(WafMode)
# AWS WAF's bounds for a rate-based rule's limit (requests per evaluation window per client IP).
WAF_RATE_LIMIT_RANGE = (10, 2_000_000_000)

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
# Supabase's organization plans (the Management API's enum). The Free plan has no leaked-password
# protection (password_hibp_enabled).
SUPABASE_PLANS = ("free", "pro", "team", "enterprise")
PLANS_WITH_BREACH_CHECK = ("pro", "team", "enterprise")
# Branching (the review environments' databases) needs a paid plan too.
PLANS_WITH_BRANCHING = ("pro", "team", "enterprise")
# Point-in-time recovery add-on variants (days of WAL kept), or none: the plan's daily backups.
PITR_CHOICES = ("none", "pitr_7", "pitr_14", "pitr_28")
# How far ahead an acceptance of running without PITR may reach before it is reviewed again.
MAX_PITR_WAIVER_DAYS = 365
# The Data API (PostgREST) settings, under the API's names (V1UpdatePostgrestConfigBody).
DATA_API_FIELDS: Mapping[str, type] = {"db_schema": str, "max_rows": int, "db_extra_search_path": str}
NETWORK_FIELDS = ("dbAllowedCidrs", "dbAllowedCidrsV6")
OPEN_NETWORKS = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
# Supavisor's transaction mode: no session state, so no session advisory lock for the runner.
TRANSACTION_POOLER_PORT = 6543

# What the first `up` of a stack can import instead of create (`adopt:`).
ADOPT_KEYS = ("buckets", "vercelProject", "vercelDomains", "vercelVariables", "redisCache", "supabaseSettings")
# The longest a media bucket may stay publicly readable from the day the stack says so.
MAX_PUBLIC_READ_DAYS = 120


def supabase_project_ref(url: str) -> str:
    """The project ref of https://<ref>.supabase.co."""
    return url.removeprefix("https://").split(".", 1)[0]
