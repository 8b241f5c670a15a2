"""Firing cases of ``policies/guardrails/s3.py``: each breaks one thing in the real prod plan."""

from __future__ import annotations

from typing import Any

from tests.policies.breaking import (
    BUCKET,
    BUCKET_POLICY,
    ENCRYPTION,
    LIFECYCLE,
    OWNERSHIP,
    PAB,
    PUBLIC_READ_UNTIL_TAG_KEY,
    VERSIONING,
    Case,
    edit_document,
    edited,
    lifecycle_without_abort,
    plus,
    setter,
    without,
)


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


CASES: list[Case] = [
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
        lambda p: edited(p, LIFECYCLE, "uploads-lifecycle", lifecycle_without_abort),
        "data bucket (uploads) never aborts",
    ),
]
