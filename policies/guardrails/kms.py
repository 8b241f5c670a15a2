"""KMS: customer-managed keys rotate their key material."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .common import Report, fsbp, resource_policy

KEY = "aws:kms/key:Key"
# Only symmetric encryption keys can rotate automatically.
SYMMETRIC = "SYMMETRIC_DEFAULT"


def _rotation(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != KEY:
        return
    if (args.props.get("customerMasterKeySpec") or SYMMETRIC) != SYMMETRIC:
        return
    if args.props.get("enableKeyRotation") is not True:
        report(f"{args.name}: enable_key_rotation must be true (yearly rotation of the key material).")


POLICIES = [
    resource_policy(
        "kms-key-rotation",
        "Customer-managed symmetric KMS keys rotate their key material automatically.",
        "Rotation limits how much data one key version protects; without it a leaked key version stays valid for "
        "everything the key ever encrypted.",
        Severity.MEDIUM,
        "Set enable_key_rotation=True on the kms.Key.",
        _rotation,
        fsbp("KMS.4"),
    ),
]
