"""Vercel: secrets are sensitive, nothing secret reaches the browser, names Vercel accepts."""

from __future__ import annotations

import re
from typing import Any

from pulumi_policy import PolicyConfigSchema, ResourceValidationArgs, Severity, StackValidationArgs

from .common import Report, resource_policy, stack_policy

ENV_VAR = "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable"
# A review environment's variable of one git branch (providers/vercel_branch.py): a variable of
# the app like any other, judged by the same rules on each variable.
BRANCH_VAR = "pulumi-python:dynamic/vercel:BranchVariable"
VARIABLE_TYPES = (ENV_VAR, BRANCH_VAR)
PUBLIC_PREFIX = "NEXT_PUBLIC_"
# What a name says about its value: these hold credentials.
SECRET_NAME = re.compile(r"(SECRET|TOKEN|PASSWORD|PRIVATE|SERVICE_KEY|ACCESS_KEY|DATABASE_URL|API_KEY)")
# Values inlined into the browser bundle that are public by design.
PUBLIC_ALLOWED = ("NEXT_PUBLIC_SUPABASE_URL", "NEXT_PUBLIC_SUPABASE_ANON_KEY", "NEXT_PUBLIC_CDN_URL")
RESERVED = (
    "AWS_SECRET_KEY",
    "AWS_EXECUTION_ENV",
    "NOW_REGION",
    "TZ",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
)
RESERVED_PREFIXES = ("AWS_LAMBDA_",)
SEED_VARIABLES = (
    "NEXT_PUBLIC_SUPABASE_URL",
    "NEXT_PUBLIC_SUPABASE_ANON_KEY",
    "SUPABASE_SERVICE_KEY",
    "UPSTASH_REDIS_REST_URL",
    "UPSTASH_REDIS_REST_TOKEN",
    "AWS_REGION",
    "S3_BUCKET_CDN",
    "S3_BUCKET_ASSETS",
    "S3_BUCKET_UPLOADS",
    "NODE_ENV",
)
# Variables that point the app at a data store: production's must never reach a preview build.
BACKEND_PREFIXES = ("NEXT_PUBLIC_SUPABASE_", "SUPABASE_", "UPSTASH_", "DATABASE_URL")
# Values a preview may never share with production: its backend, its buckets, its AWS identity.
NEVER_SHARED_PREFIXES = (*BACKEND_PREFIXES, "S3_BUCKET_", "AWS_ROLE_ARN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
# The app reaches AWS one of two ways; one complete set must be present.
AWS_CREDENTIAL_SETS = (("AWS_ROLE_ARN",), ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"))


def _key(args: Any) -> str:
    return str(args.props.get("key", ""))


def _secrets_sensitive(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type not in VARIABLE_TYPES:
        return
    key = _key(args)
    if not isinstance(args.props.get("sensitive"), bool):
        report(f"{key}: sensitive must be set explicitly.")
    elif SECRET_NAME.search(key) and not key.startswith(PUBLIC_PREFIX) and args.props["sensitive"] is not True:
        report(f"{key}: holds a credential and must be sensitive.")


def _nothing_secret_public(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type not in VARIABLE_TYPES:
        return
    key = _key(args)
    if not key.startswith(PUBLIC_PREFIX):
        return
    allowed = args.get_config().get("allowedPublic", list(PUBLIC_ALLOWED))
    if key not in allowed:
        report(f"{key}: NEXT_PUBLIC_ values are inlined into the browser bundle; only {', '.join(allowed)} may be.")
    elif args.props.get("sensitive") is True:
        report(f"{key}: marked sensitive but shipped to every browser; a secret never belongs behind NEXT_PUBLIC_.")


def _reserved_names(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type not in VARIABLE_TYPES:
        return
    key = _key(args)
    if key in RESERVED or key.startswith(RESERVED_PREFIXES):
        report(f"{key}: is reserved by Vercel's runtime and would be refused.")


def _required_present(args: StackValidationArgs, report: Report) -> None:
    production = {
        str(r.props.get("key"))
        for r in args.resources
        if r.resource_type == ENV_VAR and "production" in (r.props.get("targets") or [])
    }
    if not any(r.resource_type == ENV_VAR for r in args.resources):
        return  # no Vercel project in this program
    required = args.get_config().get("required", list(SEED_VARIABLES))
    for key in required:
        if key not in production:
            report(f"{key} is not set for production.")
    if not any(all(k in production for k in group) for group in AWS_CREDENTIAL_SETS):
        report("the app has no AWS credentials: AWS_ROLE_ARN, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.")


def _complete(preview: set[str], production: set[str]) -> list[str]:
    """What production has that the previews lack (one complete AWS credential set stands for another)."""
    credentials = {key for group in AWS_CREDENTIAL_SETS for key in group}
    missing = sorted(production - credentials - preview)
    if production & credentials and not any(set(group) <= preview for group in AWS_CREDENTIAL_SETS):
        missing.append("AWS credentials")
    return missing


def _previews_isolated(args: StackValidationArgs, report: Report) -> None:
    if args.get_config().get("sharedBackendAllowed", False):
        return
    variables = [r for r in args.resources if r.resource_type == ENV_VAR]
    production = [r for r in variables if "production" in (r.props.get("targets") or [])]
    production_values = {(_key(r), r.props.get("value")) for r in production if r.props.get("value")}
    # Generic previews only: a gitBranch variable belongs to one branch's review environment.
    previews = [r for r in variables if "preview" in (r.props.get("targets") or []) and not r.props.get("gitBranch")]
    for resource in previews:
        key, targets = _key(resource), resource.props.get("targets") or []
        if "production" in targets:
            report(f"{key}: one variable serves production and preview, so every preview build reaches "
                   "production's values.", resource.urn)  # fmt: skip
            continue
        if (key, resource.props.get("value")) in production_values and key.startswith(NEVER_SHARED_PREFIXES):
            report(f"{key}: the preview value is production's value.", resource.urn)
        # A value read from another stack depends on no resource the pack sees (read resources, the
        # StackReference among them, never reach a pack: pulumi/pulumi#3950); one computed here does.
        for source in resource.property_dependencies.get("value", []):
            report(f"{key}: the preview value is computed from this stack's {source.name} ({source.resource_type}): "
                   "previews read the preview stack's outputs.", resource.urn)  # fmt: skip
    if previews and (missing := _complete({_key(r) for r in previews}, {_key(r) for r in production})):
        report(f"previews get half a backend: no preview value for {', '.join(missing)} (the preview stack's "
               "whole set, or no preview variable at all).")  # fmt: skip


POLICIES = [
    resource_policy(
        "vercel-secrets-sensitive",
        "Vercel variables set sensitive explicitly, and every credential is sensitive.",
        "Sensitive variables cannot be read back from the dashboard or API, so a leaked dashboard session does not "
        "leak credentials.",
        Severity.HIGH,
        "Pass sensitive=True for keys, tokens and passwords (sensitive=False only for public values).",
        _secrets_sensitive,
    ),
    resource_policy(
        "vercel-nothing-secret-public",
        "Only allow-listed public values use the NEXT_PUBLIC_ prefix (it ships them to every browser).",
        "NEXT_PUBLIC_ values are compiled into JavaScript that every visitor downloads.",
        Severity.CRITICAL,
        "Rename the variable without NEXT_PUBLIC_ and read it on the server only.",
        _nothing_secret_public,
        # Which NEXT_PUBLIC_ names are allowed (default: PUBLIC_ALLOWED).
        config_schema=PolicyConfigSchema(properties={"allowedPublic": {"type": "array", "items": {"type": "string"}}}),
    ),
    resource_policy(
        "vercel-reserved-names",
        "No Vercel variable uses a name Vercel reserves for its runtime.",
        "Vercel refuses reserved names, so the deployment would fail at `pulumi up` instead of in review.",
        Severity.HIGH,
        "Rename the variable (AWS_REGION is allowed; AWS_LAMBDA_*, TZ, NOW_REGION and similar are not).",
        _reserved_names,
    ),
    stack_policy(
        "vercel-required-variables",
        "Every variable the app reads is set for production, with one complete set of AWS credentials.",
        "A missing variable fails at runtime in production, long after the change was merged.",
        Severity.MEDIUM,
        "Declare the missing variable in components/hosting.py from the resource that produces its value.",
        _required_present,
        # Which variables production must have (default: SEED_VARIABLES).
        config_schema=PolicyConfigSchema(properties={"required": {"type": "array", "items": {"type": "string"}}}),
    ),
    stack_policy(
        "vercel-preview-isolated",
        "Preview deployments get one other stack's whole backend, read from its outputs, or no variable at all: "
        "nothing of production's, never half a set.",
        "Vercel builds a preview of every pushed branch; with production's backend, unreviewed code reads and "
        "writes live data, and with half of another one it writes one stack's data with the other's.",
        Severity.HIGH,
        "Target production only with the stack's own variables, and give previews every variable from the "
        "preview stack's outputs (config previewStack), or none.",
        _previews_isolated,
        # A stack whose only backend holds no production data (dev) may share it with its previews.
        config_schema=PolicyConfigSchema(properties={"sharedBackendAllowed": {"type": "boolean"}}),
    ),
]
