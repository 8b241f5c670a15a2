"""S3: private, owner-enforced, encrypted, TLS-only buckets in the approved region."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyResource,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from .bucket_roles import CUTOVER_ROLES, DATA_ROLES
from .common import Report, as_list, condition_keys, fsbp, resource_policy, stack_policy, statements

BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
ACL_TYPES = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
APPROVED_REGIONS = ("us-east-2",)
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
ENCRYPTION_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
# Service principals may be granted access only when the grant names the source resource.
SOURCE_CONDITION_KEYS = ("aws:sourcearn", "aws:sourceaccount")
# The cut-over from direct S3 URLs: a media bucket tagged with a date may be read by anyone,
# through one policy statement with this Sid prefix, until that date.
PUBLIC_READ_UNTIL_TAG = "newcool:public-read-until"
CUTOVER_SID_PREFIX = "PublicReadUntil"
# The two public access flags a cut-over lowers; the ACL flags never move.
POLICY_FLAGS = ("blockPublicPolicy", "restrictPublicBuckets")


def cutover_until(bucket: PolicyResource | None) -> datetime.date | None:
    """The day a media bucket's public reads end, when it is in the cut-over."""
    if bucket is None or _role(bucket) not in CUTOVER_ROLES:
        return None
    text = (bucket.props.get("tags") or {}).get(PUBLIC_READ_UNTIL_TAG)
    try:
        return datetime.date.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def _public_access_block_complete(args: StackValidationArgs, report: Report) -> None:
    buckets = [r for r in args.resources if r.resource_type == BUCKET]
    for block in (r for r in args.resources if r.resource_type == PUBLIC_ACCESS_BLOCK):
        excused = POLICY_FLAGS if cutover_until(_bucket_of(block, buckets)) else ()
        off = [flag for flag in PUBLIC_ACCESS_FLAGS if block.props.get(flag) is not True and flag not in excused]
        if off:
            report(f"{block.name}: {', '.join(off)} must be true.", block.urn)


def _ownership_enforced(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type in ACL_TYPES:
        report(f"{args.name}: bucket ACLs are not used; access is granted by bucket policy only.")
    if args.resource_type == OWNERSHIP:
        ownership = (args.props.get("rule") or {}).get("objectOwnership")
        if ownership != "BucketOwnerEnforced":
            report(f"{args.name}: objectOwnership is {ownership!r}, must be 'BucketOwnerEnforced'.")


def _default_encryption(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != ENCRYPTION:
        return
    rules = as_list(args.props.get("rules"))
    algorithms = [((r or {}).get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm") for r in rules]
    if not algorithms or any(a not in ENCRYPTION_ALGORITHMS for a in algorithms):
        report(f"{args.name}: default encryption must be one of {', '.join(ENCRYPTION_ALGORITHMS)}, got {algorithms}.")


def _denies_insecure_transport(statement: Mapping[str, Any], bucket_arns: set[str]) -> bool:
    if statement.get("Effect") != "Deny" or statement.get("Principal") not in ("*", {"AWS": "*"}):
        return False
    if not {"s3:*"} & set(as_list(statement.get("Action"))):
        return False
    insecure = any(
        op == "Bool" and key == "aws:securetransport" and str(value).lower() == "false"
        for op, key, value in condition_keys(statement)
    )
    resources = set(as_list(statement.get("Resource")))
    covers = any(arn in resources for arn in bucket_arns) and any(r.endswith("/*") for r in resources)
    return insecure and covers


def _tls_only(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != POLICY:
        return
    found = statements(args.props["policy"])
    arns = {r for s in found for r in as_list(s.get("Resource")) if not str(r).endswith("/*")}
    if not any(_denies_insecure_transport(s, arns) for s in found):
        report(f"{args.name}: needs a Deny on s3:* for the bucket and its objects when aws:SecureTransport is false.")


def _is_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any("*" in as_list(value) for value in principal.values())
    return False


def _is_cutover_read(statement: Mapping[str, Any], bucket: PolicyResource | None) -> bool:
    """The cut-over's one public statement: GetObject on the bucket's objects, nothing more."""
    if cutover_until(bucket) is None or bucket is None:
        return False
    arn = bucket.props.get("arn")
    return (
        str(statement.get("Sid", "")).startswith(CUTOVER_SID_PREFIX)
        and as_list(statement.get("Action")) == ["s3:GetObject"]
        and (arn is None or as_list(statement.get("Resource")) == [f"{arn}/*"])
        and not statement.get("Condition")
    )


def _no_public_grant(args: StackValidationArgs, report: Report) -> None:
    buckets = [r for r in args.resources if r.resource_type == BUCKET]
    for policy in (r for r in args.resources if r.resource_type == POLICY):
        _check_grants(policy, _bucket_of(policy, buckets), report)


def _check_grants(policy: PolicyResource, bucket: PolicyResource | None, report: Report) -> None:
    name = policy.name
    for statement in statements(policy.props["policy"]):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        sid = statement.get("Sid", "<no Sid>")
        if _is_everyone(principal):
            if not _is_cutover_read(statement, bucket):
                report(f"{name}: statement {sid} allows everyone (Principal *).", policy.urn)
        elif isinstance(principal, Mapping) and "Service" in principal:
            keys = {key for _, key, _ in condition_keys(statement)}
            if not keys & set(SOURCE_CONDITION_KEYS):
                report(
                    f"{name}: statement {sid} grants {principal['Service']} without an aws:SourceArn condition.",
                    policy.urn,
                )


def _approved_region(args: ResourceValidationArgs, report: Report) -> None:
    if not args.resource_type.startswith("aws:s3/bucket"):
        return
    region = args.props.get("region")
    if region not in APPROVED_REGIONS:
        report(f"{args.name}: region is {region!r}; S3 resources are declared with region us-east-2 explicitly.")


def _bucket_of(setting: PolicyResource, buckets: list[PolicyResource]) -> PolicyResource | None:
    """The bucket a setting applies to: through its `bucket` property dependency, else by name."""
    for dependency in setting.property_dependencies.get("bucket", []):
        if dependency.resource_type == BUCKET:
            return dependency
    name = setting.props.get("bucket")
    return next((b for b in buckets if name in (b.props.get("bucket"), b.props.get("id"))), None)


def _settings_by_bucket(args: StackValidationArgs, setting_type: str) -> dict[str, list[PolicyResource]]:
    buckets = [r for r in args.resources if r.resource_type == BUCKET]
    found: dict[str, list[PolicyResource]] = {b.urn: [] for b in buckets}
    for resource in args.resources:
        if resource.resource_type == setting_type:
            bucket = _bucket_of(resource, buckets)
            if bucket is not None:
                found[bucket.urn].append(resource)
    return found


def _role(bucket: PolicyResource) -> str:
    return str((bucket.props.get("tags") or {}).get("newcool:bucket-role", ""))


def _baseline_complete(args: StackValidationArgs, report: Report) -> None:
    required = {PUBLIC_ACCESS_BLOCK: "public access block", OWNERSHIP: "ownership controls", ENCRYPTION: "encryption"}
    for setting_type, what in required.items():
        for urn, settings in _settings_by_bucket(args, setting_type).items():
            if not settings:
                report(f"bucket has no {what} resource.", urn)


def _versioned(args: StackValidationArgs, report: Report) -> None:
    buckets = {r.urn: r for r in args.resources if r.resource_type == BUCKET}
    for urn, settings in _settings_by_bucket(args, VERSIONING).items():
        enabled = any((s.props.get("versioningConfiguration") or {}).get("status") == "Enabled" for s in settings)
        if not enabled:
            report(f"bucket ({_role(buckets[urn]) or 'no role tag'}) is not versioned.", urn)


def _today(args: StackValidationArgs) -> datetime.date:
    as_of = args.get_config().get("asOf")
    return datetime.date.fromisoformat(str(as_of)) if as_of else datetime.date.today()


def _cutover_open(args: StackValidationArgs, report: Report) -> None:
    today = _today(args)
    for bucket in (r for r in args.resources if r.resource_type == BUCKET):
        until = cutover_until(bucket)
        if until is not None and today <= until:
            report(
                f"bucket ({_role(bucket)}) is readable by anyone until {until} while the app moves from direct S3 "
                "URLs to the CDN; take mediaPublicReadUntil off once it serves CloudFront URLs only.",
                bucket.urn,
            )


def _cutover_expired(args: StackValidationArgs, report: Report) -> None:
    today = _today(args)
    for bucket in (r for r in args.resources if r.resource_type == BUCKET):
        until = cutover_until(bucket)
        if until is not None and today > until:
            report(
                f"bucket ({_role(bucket)}) is still readable by anyone, and the cut-over ended on {until}: remove "
                "mediaPublicReadUntil (or, if the app still needs it, a new date within 120 days, reviewed).",
                bucket.urn,
            )


def _aborts_incomplete_uploads(args: StackValidationArgs, report: Report) -> None:
    buckets = {r.urn: r for r in args.resources if r.resource_type == BUCKET}
    for urn, settings in _settings_by_bucket(args, LIFECYCLE).items():
        if _role(buckets[urn]) not in DATA_ROLES:
            continue
        rules = [rule for s in settings for rule in as_list(s.props.get("rules"))]
        aborting = [
            r for r in rules if (r or {}).get("status") == "Enabled" and (r or {}).get("abortIncompleteMultipartUpload")
        ]
        if not aborting:
            report(f"data bucket ({_role(buckets[urn])}) never aborts incomplete multipart uploads.", urn)


POLICIES = [
    stack_policy(
        "s3-public-access-block-complete",
        "Every S3 public access block sets all four flags (a media bucket in a dated cut-over: the ACL flags).",
        "One missing flag lets a later ACL or policy make objects public; all four together make a bucket unexposable.",
        Severity.CRITICAL,
        "Set block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets to True.",
        _public_access_block_complete,
        fsbp("S3.8"),
    ),
    resource_policy(
        "s3-ownership-enforced",
        "S3 buckets disable ACLs (object ownership BucketOwnerEnforced) and declare no ACL resources.",
        "ACLs are a second, hard-to-audit permission system; with ACLs disabled the bucket policy alone decides "
        "access.",
        Severity.HIGH,
        "Use BucketOwnershipControls with object_ownership='BucketOwnerEnforced'; grant access by bucket policy.",
        _ownership_enforced,
        fsbp("S3.12"),
    ),
    resource_policy(
        "s3-default-encryption",
        "S3 buckets encrypt objects at rest by default (SSE-S3 or SSE-KMS).",
        "Objects written by any client are encrypted at rest without relying on each writer to ask for it.",
        Severity.HIGH,
        "Add a BucketServerSideEncryptionConfiguration with sse_algorithm AES256 or aws:kms.",
        _default_encryption,
        fsbp("S3.4"),
    ),
    resource_policy(
        "s3-tls-only",
        "S3 bucket policies deny every request made without TLS.",
        "Without it, presigned URLs and SDK calls may travel over plain HTTP, exposing media and credentials in "
        "transit.",
        Severity.HIGH,
        "Add a Deny statement for Principal * on s3:* over the bucket and bucket/* when aws:SecureTransport is false.",
        _tls_only,
        fsbp("S3.5"),
    ),
    stack_policy(
        "s3-no-public-grant",
        "S3 bucket policies grant nothing to everyone (but a dated cut-over's GetObject on media), and service "
        "principals only under a source condition.",
        "A Principal * grant publishes the bucket to the internet; an unconditioned service grant lets any account's "
        "distribution read it (confused deputy).",
        Severity.CRITICAL,
        "Remove Principal * grants; serve public files through CloudFront OAC (grant conditioned on AWS:SourceArn).",
        _no_public_grant,
        fsbp("S3.2"),
    ),
    resource_policy(
        "s3-approved-region",
        "S3 buckets and their settings are declared in the approved region (us-east-2).",
        "The platform's storage is designed for us-east-2 (latency to the app, data residency, cost); a resource "
        "elsewhere is a mistake or a second copy nobody watches.",
        Severity.HIGH,
        "Pass region='us-east-2' to the bucket and to every bucket setting resource.",
        _approved_region,
    ),
    stack_policy(
        "s3-bucket-baseline-complete",
        "Every S3 bucket has its public access block, ownership controls and encryption resources.",
        "Resource rules only judge settings that exist; this catches a bucket whose safety setting was never "
        "declared at all.",
        Severity.CRITICAL,
        "Create buckets through components.storage, which declares all three for every bucket.",
        _baseline_complete,
        fsbp("S3.8"),
    ),
    stack_policy(
        "s3-buckets-versioned",
        "Every bucket, the data buckets and the access-log bucket, has versioning enabled.",
        "Versioning turns an overwrite or delete (by a bug or an attacker) into a recoverable event: for the "
        "catalogue and user uploads, and for the access logs, the audit evidence someone covering tracks would "
        "delete.",
        Severity.MEDIUM,
        "Add a BucketVersioning with status Enabled, and a lifecycle rule expiring noncurrent versions.",
        _versioned,
        fsbp("S3.14"),
    ),
    stack_policy(
        "s3-public-read-cutover-open",
        "A media bucket readable by anyone during the cut-over to the CDN is reported until its end date.",
        "Public reads are an exception with a deadline: visible in every preview until they end.",
        Severity.LOW,
        "Switch the app to CloudFront URLs, then remove mediaPublicReadUntil.",
        _cutover_open,
        fsbp("S3.2"),
        recommendation=True,
        config_schema=PolicyConfigSchema(properties={"asOf": {"type": "string"}}),
    ),
    stack_policy(
        "s3-public-read-cutover-expired",
        "No media bucket is still readable by anyone after its cut-over's end date.",
        "A deadline nobody enforces is not one: past the date, public reads are a violation.",
        Severity.MEDIUM,
        "Remove mediaPublicReadUntil (the app serves CloudFront URLs), or set a new, reviewed date.",
        _cutover_expired,
        fsbp("S3.2"),
        config_schema=PolicyConfigSchema(properties={"asOf": {"type": "string"}}),
    ),
    stack_policy(
        "s3-abort-incomplete-uploads",
        "Data buckets abort incomplete multipart uploads (abandoned parts are billed forever).",
        "Abandoned multipart uploads are invisible in listings but billed indefinitely.",
        Severity.LOW,
        "Add a lifecycle rule with abort_incomplete_multipart_upload.days_after_initiation.",
        _aborts_incomplete_uploads,
        fsbp("S3.13"),
        recommendation=True,
    ),
]
