"""`make adopt-plan STACK=…`: a read-only preflight of the live accounts before the first `up`.

For every resource the stack declares that may already run (the buckets, the Vercel project,
its domain and variables, the Upstash database, the app's OIDC provider, the database's
migration history) it says whether it exists, its import id, and what the first `pulumi up`
will change or break; then it prints the `adopt:` block to paste into the stack file. It only
reads: boto3 for AWS, httpx for Vercel and Upstash, psycopg for the migration history.
Credentials come from the environment and are never printed.

Exit codes: 0 nothing blocks the first `up`; 1 something must be done first (listed);
2 a credential is missing or an account could not be read.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

import live_state
from clients import aws
from clients.aws_errors import error_code
from clients.http import ApiError
from clients.supabase_management import API_URL as SUPABASE_URL
from clients.supabase_management import ManagementApi
from clients.upstash import API_URL as UPSTASH_URL
from clients.upstash import UpstashApi
from clients.vercel import API_URL as VERCEL_URL
from clients.vercel import VercelApi
from components.hosting import declared_targets
from live_state import LiveResource
from operations.adoption import live_record
from operations.adoption.findings import Finding, StackFacts
from operations.adoption.vercel_checks import check_vercel
from providers.supabase_settings import ENDPOINTS, SETTINGS_RESOURCE_TYPES, is_hashed
from stack_config import CUTOVER_ROLES, DATA_BUCKET_ROLES, PROJECT, STORAGE_REGION
from stack_config.loader import offline_stack_config
from stack_config.vocabulary import PLANS_WITH_BREACH_CHECK

ENV_VARIABLE = "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable"
PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
# Objects sampled per bucket for public object ACLs (a full listing could be millions).
OBJECT_SAMPLE = 20


# --- AWS ---------------------------------------------------------------------------------------


def check_bucket(s3: Any, role: str, name: str, in_cutover: bool) -> Finding:  # noqa: PLR0912 (one branch per fact)
    finding = Finding(f"S3 bucket {name} ({role})", exists=True, import_id=name)
    try:
        s3.head_bucket(Bucket=name)
    except Exception as error:  # botocore's ClientError; its code says which
        if error_code(error) in ("404", "NoSuchBucket", "NotFound"):
            return Finding(finding.resource, exists=False, changes=["created by the first up"])
        finding.blockers.append(f"the name is taken by another account or unreadable ({error_code(error)})")
        return finding
    region = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
    if region != STORAGE_REGION:
        finding.blockers.append(f"it is in {region}; the stack declares {STORAGE_REGION} (import would fail)")
    acl = s3.get_bucket_acl(Bucket=name)
    grants = acl.get("Grants", [])
    owner_id = acl.get("Owner", {}).get("ID")
    others = [g for g in grants if g.get("Grantee", {}).get("ID") != owner_id]
    if others:
        who = sorted({str(g["Grantee"].get("URI") or g["Grantee"].get("ID") or "?") for g in others})
        finding.blockers.append(
            f"its ACL grants {', '.join(who)}: BucketOwnerEnforced fails (InvalidBucketAclWithObjectOwnership) "
            f"until they go: aws s3api put-bucket-acl --bucket {name} --acl private"
        )
    try:
        ownership = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"][0]["ObjectOwnership"]
    except Exception:  # no ownership controls: ACLs are in force
        ownership = "none (ACLs in force)"
    if ownership != "BucketOwnerEnforced":
        finding.changes.append(f"object ownership {ownership} -> BucketOwnerEnforced (ACLs stop counting)")
    public_objects = _public_objects(s3, name)
    if public_objects:
        finding.changes.append(
            f"{public_objects} of the sampled objects are public by object ACL: those direct URLs stop working"
            + (" unless mediaPublicReadUntil keeps the bucket readable" if role in CUTOVER_ROLES else "")
        )
    try:
        statements = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"]).get("Statement", [])
        finding.changes.append(f"its bucket policy ({len(statements)} statement(s)) is replaced by the declared one")
    except Exception:  # noqa: S110 (no policy yet: nothing is replaced)
        pass
    try:
        public_policy = bool(s3.get_bucket_policy_status(Bucket=name)["PolicyStatus"]["IsPublic"])
    except Exception:  # no policy: not public by policy
        public_policy = False
    if public_policy or any(g.get("Grantee", {}).get("URI") in PUBLIC_GRANTEES for g in grants):
        if role in CUTOVER_ROLES and not in_cutover:
            finding.blockers.append(
                "anyone can read it today (direct S3 URLs): set mediaPublicReadUntil for it until the app serves "
                "CloudFront URLs, or those URLs break at the first up"
            )
        elif role in CUTOVER_ROLES:
            finding.changes.append("public reads stay, through the cut-over's dated policy statement")
        else:
            finding.blockers.append(
                "anyone can read it today, and nothing in the stack keeps that: check who relies on it"
            )
    if in_cutover and _blocks_public_policies(s3, name):
        finding.blockers.append(
            "its public access block refuses public bucket policies (BlockPublicPolicy), so the cut-over's "
            "public-read policy, which must land before ACLs stop counting, would be refused: lower it first "
            f"(aws s3api put-public-access-block --bucket {name} --public-access-block-configuration "
            "BlockPublicAcls=false,IgnorePublicAcls=false,BlockPublicPolicy=false,RestrictPublicBuckets=false)"
        )
    try:
        versioning = s3.get_bucket_versioning(Bucket=name).get("Status", "Disabled")
    except Exception:
        versioning = "unknown"
    if versioning != "Enabled":
        finding.changes.append(f"versioning {versioning} -> Enabled")
    return finding


def _blocks_public_policies(s3: Any, name: str) -> bool:
    try:
        block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    except Exception as error:
        if error_code(error) == "NoSuchPublicAccessBlockConfiguration":
            return False
        raise
    return bool(block.get("BlockPublicPolicy"))


def check_supabase_plan(api: ManagementApi, facts: StackFacts) -> Finding:
    """The organization's real plan against the stack's supabasePlan (leaked-password protection
    needs Pro or above; the API refuses it on Free, after the other settings were applied)."""
    project = api.request("GET", f"/v1/projects/{facts.supabase_ref}")
    plan = str(api.request("GET", f"/v1/organizations/{project['organization_slug']}").get("plan"))
    finding = Finding(f"Supabase project {facts.supabase_ref} (plan {plan})", exists=True)
    if plan != facts.supabase_plan:
        finding.blockers.append(f"the organization is on {plan!r}; set newcool-infra:supabasePlan: {plan}")
    elif facts.breach_check and plan not in PLANS_WITH_BREACH_CHECK:
        finding.blockers.append("leaked-password protection needs the Pro plan or above")
    return finding


def record_supabase_settings(api: ManagementApi, facts: StackFacts, records: list[LiveResource]) -> Finding:
    """The live auth, Data API, network, SSL and legacy-key settings, recorded for make preview
    (which lists what the second `up` changes: the first only records them)."""
    finding = Finding(f"Supabase settings of {facts.supabase_ref}", exists=True, import_id=facts.supabase_ref)
    for type_token, endpoint in SETTINGS_RESOURCE_TYPES.items():
        live = ENDPOINTS[endpoint].read(api, facts.supabase_ref)
        settings = {key: value for key, value in live.items() if not is_hashed(key)}
        records.append(LiveResource(type_token, f"{facts.supabase_ref}/{endpoint}", {"settings": settings}))
    finding.changes.append(
        "recorded, left as they run by the first up (adopt.supabaseSettings); make preview lists what the second "
        "up changes: SSL enforcement restarts the database, auth changes reach users at their next sign-in"
    )
    return finding


def _public_objects(s3: Any, name: str) -> int:
    public = 0
    for item in s3.list_objects_v2(Bucket=name, MaxKeys=OBJECT_SAMPLE).get("Contents", []):
        try:
            grants = s3.get_object_acl(Bucket=name, Key=item["Key"]).get("Grants", [])
        except Exception:  # noqa: S112 (with BucketOwnerEnforced already on, object ACLs are gone: nothing to count)
            continue
        public += any(g.get("Grantee", {}).get("URI") in PUBLIC_GRANTEES for g in grants)
    return public


def check_oidc_provider(iam: Any, team_slug: str) -> tuple[Finding, str | None]:
    suffix = f"oidc-provider/oidc.vercel.com/{team_slug}"
    arns = [p["Arn"] for p in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", [])]
    existing = next((arn for arn in arns if arn.endswith(suffix)), None)
    if existing is None:
        return Finding(
            f"IAM OIDC provider oidc.vercel.com/{team_slug}", exists=False, changes=["created by the first up"]
        ), None
    finding = Finding(
        f"IAM OIDC provider oidc.vercel.com/{team_slug}",
        exists=True,
        changes=["exists (one per account and issuer): the stack reuses it through awsOidcProviderArn"],
    )
    return finding, existing


# --- Upstash -----------------------------------------------------------------------------------


def check_upstash(
    api: UpstashApi, facts: StackFacts, records: list[LiveResource]
) -> tuple[list[Finding], dict[str, str]]:
    databases = api.databases()
    chosen = next((d for d in databases if d.get("database_id") == facts.adopted_cache_id), None)
    if chosen is None and len(databases) == 1:
        chosen = databases[0]
    findings: list[Finding] = []
    adopt: dict[str, str] = {}
    for database in databases:
        name, region = str(database.get("database_name")), str(database.get("region"))
        if database is not chosen:
            findings.append(Finding(f"Upstash database {name}", exists=True, changes=["not adopted: stays, unmanaged"]))
            continue
        finding = Finding(
            f"Upstash database {name} (becomes the cache)", exists=True, import_id=database["database_id"]
        )
        if region != "global":
            finding.blockers.append(
                f"it is regional ({region}): Upstash replaces a database whose region changes, so it cannot become "
                "the global cache; leave it out of adopt (cache keys expire within an hour), repoint the app, then "
                "delete it"
            )
        else:
            adopt = {"id": str(database["database_id"])}
            records.append(live_record.upstash_database(database))
            if name != facts.cache_name:
                finding.blockers.append(
                    f"its name is {name!r}; set newcool-infra:redisCacheName: {name} (a new name replaces the database)"
                )
            if not database.get("eviction"):
                finding.changes.append("eviction off -> on (a cache must drop keys when full)")
        findings.append(finding)
    if chosen is None and databases:
        findings.append(
            Finding(
                "Upstash cache",
                exists=False,
                changes=["several databases and no adopt.redisCache.id: say which one the app uses"],
            )
        )
    findings.append(Finding("Upstash rate-limit database", exists=False, changes=["created by the first up"]))
    return findings, adopt


# --- Supabase ----------------------------------------------------------------------------------


def check_migrations(database_url: str) -> Finding:
    from db_migrations import MigrationError, Runner  # noqa: PLC0415 (psycopg only when a URL is given)

    try:
        statuses = Runner(database_url).inspect()
    except MigrationError as error:
        return Finding("Supabase migration history", exists=False, blockers=[str(error)])
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status.state] = counts.get(status.state, 0) + 1
    summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
    finding = Finding("Supabase migration history", exists=bool(statuses), changes=[summary])
    if counts.get("changed") or counts.get("missing-file"):
        finding.blockers.append(
            "the history disagrees with supabase/migrations: run make migrate-status and resolve it"
        )
    elif counts.get("pending") == len(statuses):
        finding.changes.append("nothing recorded: if the files were applied by hand, run make migrate-baseline first")
    return finding


# --- the stack, and the report -----------------------------------------------------------------


def stack_facts(stack: str) -> StackFacts:
    """What the stack declares: its validated config, and the app's variables (key -> targets)."""
    config = offline_stack_config(stack)
    variables = declared_targets(
        config.environment, config.hosting.aws_access, config.hosting.preview_stack is not None
    )
    vercel = config.hosting.vercel
    return StackFacts(
        stack=stack,
        buckets=config.storage.bucket_names,
        team_slug=vercel.team_slug,
        team_id=vercel.team_id,
        project_name=vercel.project_name,
        domain=vercel.domain,
        variables=variables,
        adopted_cache_id=config.cache.adopt_cache_id,
        cache_name=config.cache.cache_name or f"newcool-{stack}-cache",
        cutover_roles=set(config.storage.public_read_until),
        supabase_ref=config.supabase.project_ref,
        supabase_plan=config.supabase.plan,
        breach_check=bool(config.supabase.auth.get("password_hibp_enabled")),
        vercel_alert_rule=config.monitoring.vercel_error_rate_alert,
        log_drain=config.monitoring.log_drain,
    )


def adopt_block(
    facts: StackFacts,
    buckets: Mapping[str, str],
    vercel: Mapping[str, Any],
    cache: Mapping[str, str],
    supabase_settings: str | None = None,
) -> str:
    adopt: dict[str, Any] = {}
    if buckets:
        adopt["buckets"] = dict(buckets)
    adopt.update(vercel)
    if cache:
        adopt["redisCache"] = dict(cache)
    if supabase_settings:
        adopt["supabaseSettings"] = supabase_settings
    return yaml.safe_dump({f"{PROJECT}:adopt": adopt}, sort_keys=False, default_flow_style=False)


def missing_credentials(environ: Mapping[str, str], aws_ready: bool) -> list[str]:
    missing = [] if aws_ready else ["AWS (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"]
    if not environ.get("VERCEL_API_TOKEN"):
        missing.append("Vercel (VERCEL_API_TOKEN)")
    if not (environ.get("UPSTASH_EMAIL") and environ.get("UPSTASH_API_KEY")):
        missing.append("Upstash (UPSTASH_EMAIL and UPSTASH_API_KEY)")
    return missing


def run(
    facts: StackFacts,
    s3: Any,
    iam: Any,
    vercel: VercelApi,
    upstash: UpstashApi,
    database_url: str,
    supabase: ManagementApi | None = None,
) -> tuple[list[Finding], str, str | None, list[LiveResource]]:
    findings: list[Finding] = []
    records: list[LiveResource] = []
    adopted_buckets: dict[str, str] = {}
    for role, name in facts.buckets.items():
        finding = check_bucket(s3, role, name, role in facts.cutover_roles)
        findings.append(finding)
        if finding.exists and role in DATA_BUCKET_ROLES:
            adopted_buckets[role] = name
            records.append(live_record.bucket(s3, name, {"changes": finding.changes}))
    oidc, oidc_arn = check_oidc_provider(iam, facts.team_slug)
    findings.append(oidc)
    vercel_findings, vercel_adopt = check_vercel(vercel, facts, records)
    findings += vercel_findings
    upstash_findings, cache = check_upstash(upstash, facts, records)
    findings += upstash_findings
    if supabase is not None:
        findings.append(check_supabase_plan(supabase, facts))
        findings.append(record_supabase_settings(supabase, facts, records))
    if facts.vercel_alert_rule:
        findings.append(
            Finding(
                "Vercel Observability Plus",
                exists=False,
                changes=[
                    "the error-rate alert rule needs it and Vercel's API does not show it: confirm it under the "
                    "team's billing before taking vercelObservabilityPlus off placeholders"
                ],
            )
        )
    if database_url:
        findings.append(check_migrations(database_url))
    else:
        findings.append(
            Finding("Supabase migration history", exists=False, changes=["not read: set DATABASE_URL to include it"])
        )
    settings_ref = facts.supabase_ref if supabase is not None else None
    return findings, adopt_block(facts, adopted_buckets, vercel_adopt, cache, settings_ref), oidc_arn, records


def render(findings: Sequence[Finding], block: str, oidc_arn: str | None, stack: str) -> str:
    lines = [f"Preflight of the live accounts for stack {stack} (read-only)", ""]
    for finding in findings:
        state = "exists" if finding.exists else "absent"
        lines.append(
            f"- {finding.resource}: {state}" + (f", import id {finding.import_id}" if finding.import_id else "")
        )
        lines += [f"    changes: {change}" for change in finding.changes]
        lines += [f"    BLOCKER: {blocker}" for blocker in finding.blockers]
    lines += ["", f"Paste into Pulumi.{stack}.yaml (and take the adopt.* entries off placeholders):", "", block]
    if oidc_arn:
        lines += [f"and: {PROJECT}:awsOidcProviderArn: {oidc_arn}", ""]
    blockers = sum(len(f.blockers) for f in findings)
    lines.append(
        f"{blockers} blocker(s) before the first `pulumi up -s {stack}`."
        if blockers
        else "Nothing blocks the first up."
    )
    return "\n".join(lines)


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    s3: Any = None,
    iam: Any = None,
    facts: StackFacts | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog="make adopt-plan", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stack", choices=["dev", "prod"], required=True)
    parser.add_argument(
        "--live-state",
        type=Path,
        help="where to record what each adopted resource reads live (live_state/<stack>.json)",
    )
    args = parser.parse_args(argv)
    environ = os.environ if environ is None else environ
    if s3 is None or iam is None:
        import boto3  # noqa: PLC0415 (only with real credentials)

        session = boto3.Session()
        aws_ready = session.get_credentials() is not None
        s3 = s3 or aws.client("s3", STORAGE_REGION, session)
        iam = iam or aws.client("iam", session=session)
    else:
        aws_ready = True
    missing = missing_credentials(environ, aws_ready)
    if missing:
        print(f"error: nothing was checked: missing credentials for {'; '.join(missing)}", file=sys.stderr)
        return 2
    facts = facts or stack_facts(args.stack)
    try:
        with (
            VercelApi(environ["VERCEL_API_TOKEN"], facts.team_id, environ.get("VERCEL_API_URL", VERCEL_URL)) as vercel,
            UpstashApi(
                environ["UPSTASH_EMAIL"], environ["UPSTASH_API_KEY"], environ.get("UPSTASH_API_URL", UPSTASH_URL)
            ) as upstash,
        ):
            supabase = (
                ManagementApi(environ["SUPABASE_ACCESS_TOKEN"], environ.get("SUPABASE_API_URL", SUPABASE_URL))
                if environ.get("SUPABASE_ACCESS_TOKEN")
                else None
            )
            findings, block, oidc_arn, records = run(
                facts, s3, iam, vercel, upstash, environ.get("DATABASE_URL", ""), supabase
            )
    except ApiError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # botocore's errors: one line, the code, never a traceback
        print(f"error: AWS refused a read: {error_code(error)}", file=sys.stderr)
        return 2
    print(render(findings, block, oidc_arn, args.stack))
    recorded = args.live_state or live_state.path_for(args.stack)
    state = live_state.LiveState(
        args.stack, datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"), "make adopt-plan", tuple(records)
    )
    recorded.write_text(state.to_json())
    print(f"Recorded what {len(records)} adopted resource(s) read live in {recorded.name} (make preview reads it).")
    return 1 if any(f.blockers for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main())
