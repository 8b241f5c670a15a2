"""Where the nightly database dumps go, and how long they are kept."""

from __future__ import annotations

from collections.abc import Mapping

from stack_config.model import BackupConfig
from stack_config.reader import Reader
from stack_config.sections.storage import BUCKET_NAME
from stack_config.vocabulary import PROD_BUCKET_NAMES, BucketRole, Environment

PROD_BACKUP_BUCKET = "newcool-db-backups"


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
