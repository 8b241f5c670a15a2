"""The locked buckets: where the nightly database dumps go, and where each deploy's sealed record
goes, and how long each is kept."""

from __future__ import annotations

import re
from collections.abc import Mapping

from stack_config.model import BackupConfig, EvidenceConfig
from stack_config.reader import Reader
from stack_config.sections.storage import BUCKET_NAME
from stack_config.vocabulary import PROD_BUCKET_NAMES, BucketRole, Environment

PROD_BACKUP_BUCKET = "newcool-db-backups"
_ROLE_ARN = re.compile(r"^arn:aws:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$")


def backups(reader: Reader, environment: Environment, other_buckets: Mapping[BucketRole, str]) -> BackupConfig:
    default = PROD_BACKUP_BUCKET if environment == "prod" else f"newcool-{environment}-db-backups"
    name = reader.string("backupBucket") if reader.has("backupBucket") else default
    if not BUCKET_NAME.match(name) or ".." in name:
        raise reader.fail("backupBucket", f"is not a valid S3 bucket name: {name!r}")
    if name in other_buckets.values() or name in PROD_BUCKET_NAMES.values():
        raise reader.fail("backupBucket", f"must be a bucket of its own, got {name!r}")
    if environment != "prod" and name == PROD_BACKUP_BUCKET:
        raise reader.fail("backupBucket", f"is prod's; {environment} needs its own")
    return BackupConfig(bucket_name=name, retention_days=reader.integer("backupRetentionDays"))


def evidence(reader: Reader, environment: Environment, taken: Mapping[BucketRole, str], backups: str) -> EvidenceConfig:
    name = reader.string("evidenceBucket") if reader.has("evidenceBucket") else f"newcool-{environment}-deploy-evidence"
    if not BUCKET_NAME.match(name) or ".." in name:
        raise reader.fail("evidenceBucket", f"is not a valid S3 bucket name: {name!r}")
    if name in taken.values() or name in PROD_BUCKET_NAMES.values() or name == backups:
        raise reader.fail("evidenceBucket", f"must be a bucket of its own, got {name!r}")
    role = reader.string("deployRoleArn")
    if not _ROLE_ARN.match(role):
        raise reader.fail("deployRoleArn", f"must be an IAM role ARN, got {role!r}")
    return EvidenceConfig(
        bucket_name=name, retention_days=reader.integer("evidenceRetentionDays"), deploy_role_arn=role
    )
