"""Every policy fires on a plan that breaks it and passes on the real stacks, judged over gRPC.

Each firing case takes a stack's real plan and breaks exactly one thing, the way a careless
change to the program would; the pack runs as its own process, called as the engine calls it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pulumi.runtime.proto import analyzer_pb2_grpc

from db_migrations import discover
from policies.guardrails.common import enforcement_for
from policies.guardrails.pack import POLICIES, stack_config
from preview.analyzer import Verdict, analyze, analyzer, stack_policy_config
from preview.plan import Plan, Registration

POLICY_NAMES = sorted(policy.name for policy in POLICIES)


@pytest.fixture(scope="module")
def stub() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    with analyzer() as started:
        yield started


@pytest.fixture(scope="module")
def verdicts(stub: analyzer_pb2_grpc.AnalyzerStub, dev_plan: Plan, prod_plan: Plan) -> dict[str, Verdict]:
    return {"dev": analyze(dev_plan, stub=stub), "prod": analyze(prod_plan, stub=stub)}


# --- ways to break a plan ---------------------------------------------------------------------


def edited(plan: Plan, resource_type: str, name: str, change: Callable[[dict[str, Any]], None]) -> Plan:
    """The plan with one resource's inputs and state changed alike."""
    registrations = []
    for original in plan:
        registration = original
        if original.type == resource_type and original.name == name:
            registration = copy.deepcopy(original)
            change(registration.inputs)
            change(registration.outputs)
        registrations.append(registration)
    return Plan(plan.stack, registrations, plan.outputs)


def detached(plan: Plan, resource_type: str, name: str, key: str, value: Any = None) -> Plan:
    """The plan with one input no longer computed from another resource: set to a literal
    ``value``, or dropped when None (the property dependency goes with it)."""
    registrations = []
    for original in plan:
        registration = original
        if original.type == resource_type and original.name == name:
            registration = copy.deepcopy(original)
            registration.property_dependencies.pop(key, None)
            for props in (registration.inputs, registration.outputs):
                if value is None:
                    props.pop(key, None)
                else:
                    props[key] = value
        registrations.append(registration)
    return Plan(plan.stack, registrations, plan.outputs)


def without(plan: Plan, resource_type: str, name: str) -> Plan:
    kept = [r for r in plan if not (r.type == resource_type and r.name == name)]
    assert len(kept) == len(plan.registrations) - 1
    return Plan(plan.stack, kept, plan.outputs)


def plus(plan: Plan, resource_type: str, name: str, props: dict[str, Any]) -> Plan:
    parent = plan.registrations[0].parent
    added = Registration(
        type=resource_type,
        name=name,
        urn=f"{parent}${resource_type}::{name}",
        id=f"{name}-id",
        parent=parent,
        custom=True,
        protect=False,
        retain_on_delete=False,
        import_id="",
        dependencies=[],
        property_dependencies={},
        inputs=props,
        outputs=dict(props),
    )
    return Plan(plan.stack, [*plan.registrations, added], plan.outputs)


def edit_document(key: str, change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """Edits a JSON policy document held in property ``key``."""

    def apply(props: dict[str, Any]) -> None:
        document = json.loads(props[key])
        change(document)
        props[key] = json.dumps(document)

    return apply


def _walk(props: dict[str, Any], path: str) -> tuple[Any, str | int]:
    """The container holding a dotted path's last part (list indexes as numbers), and that part."""
    *parents, last = path.split(".")
    target: Any = props
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    return target, int(last) if last.isdigit() else last


def setter(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(props: dict[str, Any]) -> None:
        target, key = _walk(props, path)
        target[key] = value

    return apply


def dropping(path: str) -> Callable[[dict[str, Any]], None]:
    def apply(props: dict[str, Any]) -> None:
        target, key = _walk(props, path)
        target.pop(key)

    return apply


PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
ENV_VAR = "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable"
REDIS = "upstash:index/redisDatabase:RedisDatabase"
DYNAMIC = "pulumi-python:dynamic/supabase:SchemaMigrations"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
TOPIC = "aws:sns/topic:Topic"
AUTH = "pulumi-python:dynamic/supabase:AuthConfig"
DATA_API = "pulumi-python:dynamic/supabase:DataApiConfig"
SSL = "pulumi-python:dynamic/supabase:SslEnforcement"
NETWORK = "pulumi-python:dynamic/supabase:NetworkRestrictions"
LEGACY_KEYS = "pulumi-python:dynamic/supabase:LegacyApiKeys"
# Reported while prod's legacy keys are on (advisory): expected in the real prod plan.
EXPECTED_ADVISORIES = {"dev": set(), "prod": {"supabase-legacy-keys-disabled", "s3-public-read-cutover-open"}}
BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_READ_UNTIL_TAG_KEY = "newcool:public-read-until"
REGIONAL_WEB_ACL_ARN = "arn:aws:wafv2:us-east-2:123456789012:regional/webacl/x/1"


def variable(key: str) -> dict[str, Any]:
    return {"key": key, "value": "x", "sensitive": False, "targets": ["production"], "projectId": "prj"}


def _add_public_read(document: dict[str, Any]) -> None:
    document["Statement"].append(
        {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::x/*",
        }
    )


def _widen_cutover_statement(document: dict[str, Any]) -> None:
    statement = next(s for s in document["Statement"] if str(s.get("Sid", "")).startswith("PublicReadUntil"))
    statement["Action"] = ["s3:GetObject", "s3:ListBucket"]


def _unconditioned_service_grant(document: dict[str, Any]) -> None:
    document["Statement"][1].pop("Condition")


def _drop_tls_deny(document: dict[str, Any]) -> None:
    document["Statement"] = [s for s in document["Statement"] if s["Effect"] != "Deny"]


def _wildcard_action(document: dict[str, Any]) -> None:
    document["Statement"][0]["Action"] = "s3:*"


def _wildcard_resource(document: dict[str, Any]) -> None:
    document["Statement"][1]["Resource"] = "*"


def _unpinned_subject(document: dict[str, Any]) -> None:
    document["Statement"][0]["Condition"]["StringEquals"].pop("oidc.vercel.com/newcool:sub")


def _no_audience(document: dict[str, Any]) -> None:
    document["Statement"][0]["Condition"]["StringEquals"].pop("oidc.vercel.com/newcool:aud")


def _team_wide_subject(document: dict[str, Any]) -> None:
    document["Statement"][0]["Condition"]["StringEquals"]["oidc.vercel.com/newcool:sub"] = "owner:newcool:*"


def _drop_condition(document: dict[str, Any]) -> None:
    document["Statement"][0].pop("Condition")


def _any_branch(document: dict[str, Any]) -> None:
    document["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] = "repo:newcool/*"


# A version after every real migration, so adding one keeps these cases meaningful.
_NEWEST = discover()[-1].version
LATER_VERSION = str(int(_NEWEST) + 1).zfill(len(_NEWEST))


def _add_migration(sql: str) -> Callable[[dict[str, Any]], None]:
    def apply(props: dict[str, Any]) -> None:
        props["migrations"] = [
            *props["migrations"],
            {"version": LATER_VERSION, "name": "later", "checksum": "x", "sql": sql},
        ]

    return apply


def _lifecycle_without_abort(props: dict[str, Any]) -> None:
    props["rules"] = [r for r in props["rules"] if "abortIncompleteMultipartUpload" not in r]


# (policy, how to break the prod plan, what the message says)
FIRING: list[tuple[str, Callable[[Plan], Plan], str]] = [
    (
        "s3-public-access-block-complete",
        lambda p: edited(p, PAB, "uploads-public-access-block", setter("blockPublicPolicy", False)),
        "blockPublicPolicy must be true",
    ),
    (
        # A media bucket in the cut-over may lower the policy flags, never the ACL ones.
        "s3-public-access-block-complete",
        lambda p: edited(p, PAB, "cdn-public-access-block", setter("blockPublicAcls", False)),
        "cdn-public-access-block: blockPublicAcls must be true",
    ),
    (
        "s3-public-read-cutover-expired",
        lambda p: edited(p, BUCKET, "assets", setter(f"tags.{PUBLIC_READ_UNTIL_TAG_KEY}", "2026-01-31")),
        "bucket (assets) is still readable by anyone, and the cut-over ended on 2026-01-31",
    ),
    (
        "s3-public-read-cutover-open",
        lambda p: p,
        "bucket (cdn) is readable by anyone until 2027-02-28",
    ),
    (
        "s3-ownership-enforced",
        lambda p: edited(p, OWNERSHIP, "uploads-ownership", setter("rule.objectOwnership", "ObjectWriter")),
        "'ObjectWriter'",
    ),
    (
        "s3-ownership-enforced",
        lambda p: plus(
            p,
            "aws:s3/bucketAclV2:BucketAclV2",
            "uploads-acl",
            {"bucket": "newcool-uploads", "acl": "public-read", "region": "us-east-2"},
        ),
        "bucket ACLs are not used",
    ),
    (
        "s3-default-encryption",
        lambda p: edited(p, ENCRYPTION, "logs-encryption", setter("rules", [])),
        "default encryption must be one of",
    ),
    (
        "s3-tls-only",
        lambda p: edited(p, BUCKET_POLICY, "uploads-policy", edit_document("policy", _drop_tls_deny)),
        "aws:SecureTransport is false",
    ),
    (
        "s3-no-public-grant",
        lambda p: edited(p, BUCKET_POLICY, "assets-policy", edit_document("policy", _add_public_read)),
        "statement PublicRead allows everyone",
    ),
    (
        # The cut-over's statement may read objects, nothing more.
        "s3-no-public-grant",
        lambda p: edited(p, BUCKET_POLICY, "cdn-policy", edit_document("policy", _widen_cutover_statement)),
        "statement PublicReadUntil20270228 allows everyone",
    ),
    (
        "s3-no-public-grant",
        lambda p: edited(p, BUCKET_POLICY, "cdn-policy", edit_document("policy", _unconditioned_service_grant)),
        "grants cloudfront.amazonaws.com without an aws:SourceArn condition",
    ),
    (
        "s3-approved-region",
        lambda p: edited(p, "aws:s3/bucket:Bucket", "uploads", setter("region", "us-west-2")),
        "region is 'us-west-2'",
    ),
    (
        "s3-bucket-baseline-complete",
        lambda p: without(p, ENCRYPTION, "logs-encryption"),
        "bucket has no encryption resource",
    ),
    (
        "s3-buckets-versioned",
        lambda p: edited(p, VERSIONING, "cdn-versioning", setter("versioningConfiguration.status", "Suspended")),
        "bucket (cdn) is not versioned",
    ),
    (
        "s3-buckets-versioned",
        lambda p: without(p, VERSIONING, "logs-versioning"),
        "bucket (logs) is not versioned",
    ),
    (
        "s3-abort-incomplete-uploads",
        lambda p: edited(p, LIFECYCLE, "uploads-lifecycle", _lifecycle_without_abort),
        "data bucket (uploads) never aborts",
    ),
    (
        "cloudfront-viewers-https",
        lambda p: edited(
            p, DISTRIBUTION, "cdn-distribution", setter("defaultCacheBehavior.viewerProtocolPolicy", "allow-all")
        ),
        "allows viewers 'allow-all'",
    ),
    (
        "cloudfront-s3-origin-oac",
        lambda p: edited(p, DISTRIBUTION, "assets-distribution", dropping("origins.0.originAccessControlId")),
        "has no Origin Access Control",
    ),
    (
        "cloudfront-no-origin-access-identity",
        lambda p: plus(p, "aws:cloudfront/originAccessIdentity:OriginAccessIdentity", "legacy-oai", {"comment": "old"}),
        "origin access identities are legacy",
    ),
    (
        "cloudfront-no-origin-access-identity",
        lambda p: edited(
            p,
            DISTRIBUTION,
            "cdn-distribution",
            setter("origins.0.s3OriginConfig", {"originAccessIdentity": "origin-access-identity/cloudfront/E1"}),
        ),
        "uses an origin access identity",
    ),
    (
        "cloudfront-modern-tls",
        lambda p: edited(
            p, DISTRIBUTION, "cdn-distribution", setter("viewerCertificate.minimumProtocolVersion", "TLSv1")
        ),
        "minimum viewer TLS is 'TLSv1'",
    ),
    (
        "cloudfront-modern-tls",
        lambda p: edited(p, DISTRIBUTION, "assets-distribution", setter("viewerCertificate.sslSupportMethod", "vip")),
        "must be sni-only",
    ),
    (
        "cloudfront-access-logging",
        lambda p: without(p, "aws:cloudwatch/logDeliverySource:LogDeliverySource", "cdn-cloudfront-log-source"),
        "distribution has no access logging",
    ),
    (
        "cloudfront-web-acl",
        lambda p: detached(p, DISTRIBUTION, "cdn-distribution", "webAclId"),
        "distribution has no web ACL",
    ),
    (
        "cloudfront-web-acl",
        lambda p: edited(p, WEB_ACL, "cdn-web-acl", setter("scope", "REGIONAL")),
        "has scope 'REGIONAL'; CloudFront needs CLOUDFRONT",
    ),
    (
        "cloudfront-web-acl",
        lambda p: detached(p, DISTRIBUTION, "assets-distribution", "webAclId", REGIONAL_WEB_ACL_ARN),
        "is not a CLOUDFRONT-scope web ACL ARN",
    ),
    (
        "sns-topic-customer-managed-key",
        lambda p: detached(p, TOPIC, "alerts", "kmsMasterKeyId", "alias/aws/sns"),
        "uses the AWS-managed key 'alias/aws/sns'",
    ),
    (
        "sns-topic-customer-managed-key",
        lambda p: detached(p, TOPIC, "alerts", "kmsMasterKeyId"),
        "topic is not encrypted",
    ),
    (
        "kms-key-rotation",
        lambda p: edited(p, "aws:kms/key:Key", "alerts-key", setter("enableKeyRotation", False)),
        "enable_key_rotation must be true",
    ),
    (
        "iam-no-wildcards",
        lambda p: edited(p, "aws:iam/policy:Policy", "app-s3-access", edit_document("policy", _wildcard_action)),
        "wildcard action 's3:*'",
    ),
    (
        "iam-no-wildcards",
        lambda p: edited(p, "aws:iam/policy:Policy", "app-s3-access", edit_document("policy", _wildcard_resource)),
        "applies to every resource ('*')",
    ),
    (
        "iam-oidc-trust-restricted",
        lambda p: edited(p, "aws:iam/role:Role", "app-role", edit_document("assumeRolePolicy", _unpinned_subject)),
        "no condition on the token subject",
    ),
    (
        "iam-oidc-trust-restricted",
        lambda p: edited(p, "aws:iam/role:Role", "app-role", edit_document("assumeRolePolicy", _no_audience)),
        "no StringEquals condition on the token audience",
    ),
    (
        "iam-oidc-trust-restricted",
        lambda p: edited(p, "aws:iam/role:Role", "app-role", edit_document("assumeRolePolicy", _team_wide_subject)),
        "does not pin one project/repository and environment",
    ),
    (
        "vercel-secrets-sensitive",
        lambda p: edited(p, ENV_VAR, "supabase-service-key", setter("sensitive", False)),
        "SUPABASE_SERVICE_KEY: holds a credential",
    ),
    (
        "vercel-secrets-sensitive",
        lambda p: edited(p, ENV_VAR, "node-env", dropping("sensitive")),
        "NODE_ENV: sensitive must be set explicitly",
    ),
    (
        "vercel-nothing-secret-public",
        lambda p: plus(p, ENV_VAR, "leak", variable("NEXT_PUBLIC_SUPABASE_SERVICE_KEY")),
        "NEXT_PUBLIC_SUPABASE_SERVICE_KEY: NEXT_PUBLIC_ values are inlined",
    ),
    (
        "vercel-reserved-names",
        lambda p: plus(p, ENV_VAR, "lambda", variable("AWS_LAMBDA_FUNCTION_NAME")),
        "AWS_LAMBDA_FUNCTION_NAME: is reserved",
    ),
    ("vercel-reserved-names", lambda p: plus(p, ENV_VAR, "tz", variable("TZ")), "TZ: is reserved"),
    (
        "vercel-required-variables",
        lambda p: without(p, ENV_VAR, "s3-bucket-cdn"),
        "S3_BUCKET_CDN is not set for production",
    ),
    ("vercel-required-variables", lambda p: without(p, ENV_VAR, "aws-role-arn"), "the app has no AWS credentials"),
    ("upstash-cache-eviction", lambda p: edited(p, REDIS, "cache", setter("eviction", False)), "a cache must evict"),
    (
        "upstash-global-region",
        lambda p: edited(p, REDIS, "ratelimit", setter("region", "us-east-1")),
        "region must be 'global'",
    ),
    (
        "supabase-auth-email-confirmation",
        lambda p: edited(p, AUTH, "auth", setter("settings.mailer_autoconfirm", True)),
        "mailer_autoconfirm is True; it must be false",
    ),
    (
        "supabase-auth-email-confirmation",
        lambda p: edited(p, AUTH, "auth", dropping("settings.mailer_autoconfirm")),
        "mailer_autoconfirm is None",
    ),
    (
        "supabase-auth-password-policy",
        lambda p: edited(p, AUTH, "auth", setter("settings.password_min_length", 8)),
        "password_min_length is 8; it must be at least 12",
    ),
    (
        "supabase-auth-password-policy",
        lambda p: edited(
            p, AUTH, "auth", setter("settings.password_required_characters", "abcdefghijklmnopqrstuvwxyz:0123456789")
        ),
        "must require lower, upper, digits and symbols",
    ),
    (
        "supabase-auth-password-policy",
        lambda p: edited(p, AUTH, "auth", setter("settings.password_hibp_enabled", False)),
        "password_hibp_enabled must be true",
    ),
    (
        "supabase-auth-token-expiry",
        lambda p: edited(p, AUTH, "auth", setter("settings.jwt_exp", 86400)),
        "jwt_exp is 86400",
    ),
    (
        "supabase-auth-token-expiry",
        lambda p: edited(p, AUTH, "auth", setter("settings.mailer_otp_exp", 86400)),
        "mailer_otp_exp is 86400",
    ),
    (
        "supabase-auth-token-expiry",
        lambda p: edited(p, AUTH, "auth", setter("settings.refresh_token_rotation_enabled", False)),
        "refresh_token_rotation_enabled must be true",
    ),
    (
        "supabase-auth-redirects",
        lambda p: edited(p, AUTH, "auth", setter("settings.site_url", "http://newcool.io")),
        "site_url 'http://newcool.io' is not https",
    ),
    (
        "supabase-auth-redirects",
        lambda p: edited(
            p, AUTH, "auth", setter("settings.uri_allow_list", "https://newcool.io/**,http://localhost:3000")
        ),
        "uri_allow_list entry 'http://localhost:3000' points at this machine",
    ),
    (
        "supabase-auth-redirects",
        lambda p: edited(p, AUTH, "auth", setter("settings.uri_allow_list", "https://*.vercel.app/**")),
        "has a wildcard host",
    ),
    (
        "supabase-data-api-exposure",
        lambda p: edited(p, DATA_API, "data-api", setter("settings.db_schema", "public,graphql_public,storage")),
        "db_schema exposes storage",
    ),
    (
        "supabase-data-api-exposure",
        lambda p: edited(p, DATA_API, "data-api", setter("settings.max_rows", 100000)),
        "max_rows is 100000",
    ),
    (
        "supabase-ssl-enforced",
        lambda p: edited(p, SSL, "ssl", setter("settings.requestedConfig.database", False)),
        "requestedConfig.database must be true",
    ),
    (
        "supabase-network-restricted",
        lambda p: edited(p, NETWORK, "network", setter("settings.dbAllowedCidrsV6", ["::/0"])),
        "::/0 admits the whole internet",
    ),
    (
        "supabase-network-restricted",
        lambda p: edited(p, NETWORK, "network", setter("settings.dbAllowedCidrs", ["0.0.0.0/0"])),
        "0.0.0.0/0 admits the whole internet",
    ),
    (
        "supabase-legacy-keys-disabled",
        lambda p: edited(p, LEGACY_KEYS, "legacy-keys", setter("settings.enabled", True)),
        "the legacy anon and service_role JWT keys still work",
    ),
    (
        "supabase-settings-declared",
        lambda p: without(p, AUTH, "auth"),
        "declares no AuthConfig",
    ),
    (
        "supabase-rls-on-every-table",
        lambda p: edited(
            p, DYNAMIC, "migrations", _add_migration("create table public.test_genres (id bigint primary key);")
        ),
        f"{LATER_VERSION}_later.sql: creates public.test_genres without enabling row level security",
    ),
    (
        "supabase-definer-search-path",
        lambda p: edited(
            p,
            DYNAMIC,
            "migrations",
            _add_migration(
                "create function public.grant_all() returns void language sql security definer as $$ select 1 $$;"
            ),
        ),
        "security definer function public.grant_all does not fix its search_path",
    ),
]


@pytest.mark.parametrize(
    ("policy", "breaks", "message"), FIRING, ids=[f"{p}-{i}" for i, (p, _, _) in enumerate(FIRING)]
)
def test_policy_fires_on_a_plan_that_breaks_it(
    stub: analyzer_pb2_grpc.AnalyzerStub, prod_plan: Plan, policy: str, breaks: Callable[[Plan], Plan], message: str
) -> None:
    broken = breaks(prod_plan if policy != "supabase-legacy-keys-disabled" else legacy_keys_off(prod_plan))
    verdict = analyze(broken, stub=stub)
    fired = [v for v in verdict.violations if v.policy == policy]
    assert fired, f"{policy} did not fire; got {[v.policy for v in verdict.violations]}"
    assert any(message in v.message for v in fired), [v.message for v in fired]
    recommendation = policy in RECOMMENDATIONS
    assert all(v.enforcement == ("advisory" if recommendation else "mandatory") for v in fired)
    # Exactly the broken rule fires: every other policy still passes.
    assert {v.policy for v in verdict.violations} - (EXPECTED_ADVISORIES["prod"] - {policy}) == {policy}


RECOMMENDATIONS = ("s3-abort-incomplete-uploads", "supabase-legacy-keys-disabled", "s3-public-read-cutover-open")


def test_every_policy_has_a_firing_case() -> None:
    assert sorted({policy for policy, _, _ in FIRING}) == POLICY_NAMES


@pytest.mark.parametrize("policy", POLICY_NAMES)
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_policy_passes_on_the_real_stack(verdicts: dict[str, Verdict], stack: str, policy: str) -> None:
    assert policy in verdicts[stack].policies
    reported = [v for v in verdicts[stack].violations if v.policy == policy]
    if policy in EXPECTED_ADVISORIES[stack]:
        assert reported and {v.enforcement for v in reported} == {"advisory"}
    else:
        assert [v.message for v in reported] == []


def legacy_keys_off(plan: Plan) -> Plan:
    return edited(plan, LEGACY_KEYS, "legacy-keys", setter("settings.enabled", False))


def test_the_legacy_keys_rule_passes_once_they_are_off(stub: analyzer_pb2_grpc.AnalyzerStub, prod_plan: Plan) -> None:
    reported = {v.policy for v in analyze(legacy_keys_off(prod_plan), stub=stub).violations}
    assert reported == EXPECTED_ADVISORIES["prod"] - {"supabase-legacy-keys-disabled"}


@pytest.mark.parametrize(
    ("policy", "breaks"),
    [
        (
            "supabase-auth-redirects",
            lambda p: edited(p, AUTH, "auth", setter("settings.uri_allow_list", "http://localhost:3000/**")),
        ),
        (
            "supabase-network-restricted",
            lambda p: edited(p, NETWORK, "network", setter("settings.dbAllowedCidrs", ["0.0.0.0/0"])),
        ),
    ],
)
def test_dev_may_use_localhost_redirects_and_an_open_network_and_prod_may_not(
    stub: analyzer_pb2_grpc.AnalyzerStub, dev_plan: Plan, prod_plan: Plan, policy: str, breaks: Callable[[Plan], Plan]
) -> None:
    assert [v.policy for v in analyze(breaks(dev_plan), stub=stub).violations] == []
    assert policy in {v.policy for v in analyze(breaks(prod_plan), stub=stub).mandatory}


def test_both_stacks_analyze_every_resource(verdicts: dict[str, Verdict], dev_plan: Plan, prod_plan: Plan) -> None:
    assert verdicts["dev"].analyzed == len(dev_plan.registrations) > 50
    assert verdicts["prod"].analyzed == len(prod_plan.registrations) > 50
    assert verdicts["prod"].pack == "newcool-guardrails"


def test_dev_reports_medium_rules_as_advisory_and_prod_blocks_them(
    stub: analyzer_pb2_grpc.AnalyzerStub, dev_plan: Plan, prod_plan: Plan
) -> None:
    def break_versioning(plan: Plan) -> Plan:
        return edited(plan, VERSIONING, "cdn-versioning", setter("versioningConfiguration.status", "Suspended"))

    dev = analyze(break_versioning(dev_plan), stub=stub)
    prod = analyze(break_versioning(legacy_keys_off(prod_plan)), stub=stub)
    assert [v.enforcement for v in dev.violations] == ["advisory"]
    assert [v.enforcement for v in prod.violations if v.policy == "s3-buckets-versioned"] == ["mandatory"]
    assert prod.mandatory == [v for v in prod.violations if v.policy == "s3-buckets-versioned"]


def test_a_recommendation_never_blocks(stub: analyzer_pb2_grpc.AnalyzerStub, prod_plan: Plan) -> None:
    broken = edited(legacy_keys_off(prod_plan), LIFECYCLE, "uploads-lifecycle", _lifecycle_without_abort)
    verdict = analyze(broken, stub=stub)
    reported = [(v.policy, v.enforcement) for v in verdict.violations if v.policy == "s3-abort-incomplete-uploads"]
    assert reported == [("s3-abort-incomplete-uploads", "advisory")]
    assert verdict.mandatory == []


def test_policy_config_can_allow_another_public_variable(stub: analyzer_pb2_grpc.AnalyzerStub, prod_plan: Plan) -> None:
    renamed = edited(prod_plan, ENV_VAR, "s3-bucket-cdn", setter("key", "NEXT_PUBLIC_CDN_BUCKET"))
    config: dict[str, Any] = dict(stack_config("prod"))
    assert any(v.policy == "vercel-nothing-secret-public" for v in analyze(renamed, config, stub=stub).violations)
    config["vercel-nothing-secret-public"] = {
        "enforcementLevel": "mandatory",
        "allowedPublic": ["NEXT_PUBLIC_SUPABASE_URL", "NEXT_PUBLIC_SUPABASE_ANON_KEY", "NEXT_PUBLIC_CDN_BUCKET"],
    }
    assert not any(v.policy == "vercel-nothing-secret-public" for v in analyze(renamed, config, stub=stub).violations)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_committed_policy_config_matches_the_pack(stack: str) -> None:
    assert stack_policy_config(stack) == stack_config(stack), "run `make docs` to regenerate policies/config.*.json"


def test_every_policy_is_described_for_auditors() -> None:
    for policy in POLICIES:
        assert policy.description and policy.remediation_steps and policy.severity, policy.name
        assert enforcement_for(policy, "prod").value in ("mandatory", "advisory")


def test_without_its_dated_tag_a_public_media_bucket_is_no_cutover(
    stub: analyzer_pb2_grpc.AnalyzerStub, prod_plan: Plan
) -> None:
    broken = edited(prod_plan, BUCKET, "cdn", dropping(f"tags.{PUBLIC_READ_UNTIL_TAG_KEY}"))
    fired = {(v.policy, v.enforcement) for v in analyze(broken, stub=stub).mandatory}
    assert fired == {("s3-public-access-block-complete", "mandatory"), ("s3-no-public-grant", "mandatory")}


def test_the_cutover_is_advisory_until_its_date_and_mandatory_after_it_in_prod(
    stub: analyzer_pb2_grpc.AnalyzerStub, prod_plan: Plan
) -> None:
    config: dict[str, Any] = dict(stack_config("prod"))
    config["s3-public-read-cutover-open"] = {**config["s3-public-read-cutover-open"], "asOf": "2027-02-28"}
    config["s3-public-read-cutover-expired"] = {**config["s3-public-read-cutover-expired"], "asOf": "2027-02-28"}
    on_the_day = analyze(prod_plan, config, stub=stub)
    assert {v.policy for v in on_the_day.violations} >= {"s3-public-read-cutover-open"}
    assert on_the_day.mandatory == []
    for key in ("s3-public-read-cutover-open", "s3-public-read-cutover-expired"):
        config[key] = {**config[key], "asOf": "2027-03-01"}
    after = analyze(prod_plan, config, stub=stub)
    assert sorted(v.policy for v in after.mandatory) == ["s3-public-read-cutover-expired"] * 2
    assert not any(v.policy == "s3-public-read-cutover-open" for v in after.violations)
