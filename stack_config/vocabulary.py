"""The words a stack file is written in: stacks, bucket roles, regions, and the vendors' own
names and enums that a value must be one of."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Literal, get_args

PROJECT = "newcool-infra"

Environment = Literal["dev", "prod"]
ENVIRONMENTS: tuple[Environment, ...] = get_args(Environment)
# A pull request's review environment: the stack pr-<N>, configured from a committed template (a
# per-PR stack file is written by the review workflow and never committed).
REVIEW_STACK = re.compile(r"^pr-([1-9][0-9]{0,6})$")
REVIEW_TEMPLATE = "Pulumi.pr-template.yaml"
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
ADOPT_KEYS = ("buckets", "vercelProject", "vercelDomains", "vercelVariables", "redisCache")
# The longest a media bucket may stay publicly readable from the day the stack says so.
MAX_PUBLIC_READ_DAYS = 120


def supabase_project_ref(url: str) -> str:
    """The project ref of https://<ref>.supabase.co."""
    return url.removeprefix("https://").split(".", 1)[0]
