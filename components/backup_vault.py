"""Where the nightly database dumps go: a bucket nobody can quietly empty.

A KMS-encrypted, versioned bucket with Object Lock in governance mode: each dump is kept for
``backupRetentionDays`` whatever anyone does short of the governance bypass permission, then
expires. The nightly workflow's role may only add dumps; the app's role may delete nothing
here (an explicit deny in the bucket policy, whatever IAM grants it later).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from stack_config import STORAGE_REGION, BackupConfig, Environment

DUMP_PREFIX = "supabase/"
DELETE_ACTIONS = ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutLifecycleConfiguration", "s3:PutBucketPolicy"]


@dataclass(frozen=True)
class BackupVaultArgs:
    config: BackupConfig
    environment: Environment
    github_repository: str
    # The app's IAM role (OIDC mode) or user, which must never delete a dump.
    app_principal_arn: pulumi.Input[str] | None
    tags: Mapping[str, str]


def vault_statements(bucket_arn: str, writer_arn: str, app_arn: str | None) -> list[docs.Statement]:
    statements: list[docs.Statement] = [
        docs.deny_insecure_transport(bucket_arn),
        {
            "Sid": "NightlyDumpsOnly",
            "Effect": "Allow",
            "Principal": {"AWS": writer_arn},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/{DUMP_PREFIX}*",
        },
    ]
    if app_arn:
        statements.append(
            {
                "Sid": "TheAppNeverDeletesADump",
                "Effect": "Deny",
                "Principal": {"AWS": app_arn},
                "Action": DELETE_ACTIONS,
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
            }
        )
    return statements


class BackupVault(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    writer_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: BackupVaultArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("newcool:backup:BackupVault", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        prod = args.environment == "prod"
        days = args.config.retention_days
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        key = aws.kms.Key(
            "backups-key",
            description=f"newcool {args.environment}: encrypts the database dumps",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            region=STORAGE_REGION,
            policy=docs.render(account_id.apply(lambda account: [docs.key_administration(account)])),
            tags=dict(args.tags),
            opts=child,
        )
        # Object Lock can only be switched on when the bucket is created.
        self.bucket = aws.s3.Bucket(
            "backups",
            bucket=args.config.bucket_name,
            region=STORAGE_REGION,
            object_lock_enabled=True,
            force_destroy=False,
            tags={**args.tags, "newcool:bucket-role": "backups"},
            opts=pulumi.ResourceOptions(parent=self, protect=prod, retain_on_delete=prod),
        )

        def after(resource: pulumi.Resource) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, depends_on=[resource])

        block = aws.s3.BucketPublicAccessBlock(
            "backups-public-access-block",
            bucket=self.bucket.id,
            region=STORAGE_REGION,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=after(self.bucket),
        )
        ownership = aws.s3.BucketOwnershipControls(
            "backups-ownership",
            bucket=self.bucket.id,
            region=STORAGE_REGION,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=after(block),
        )
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            "backups-encryption",
            bucket=self.bucket.id,
            region=STORAGE_REGION,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": key.arn,
                    },
                    "bucket_key_enabled": True,
                }
            ],
            opts=after(ownership),
        )
        versioning = aws.s3.BucketVersioning(
            "backups-versioning",
            bucket=self.bucket.id,
            region=STORAGE_REGION,
            versioning_configuration={"status": "Enabled"},
            opts=after(encryption),
        )
        lock = aws.s3.BucketObjectLockConfiguration(
            "backups-object-lock",
            bucket=self.bucket.id,
            region=STORAGE_REGION,
            rule={"default_retention": {"mode": "GOVERNANCE", "days": days}},
            opts=after(versioning),
        )
        lifecycle = aws.s3.BucketLifecycleConfiguration(
            "backups-lifecycle",
            bucket=self.bucket.id,
            region=STORAGE_REGION,
            rules=[
                {
                    "id": "expire-dumps-after-their-retention",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    # The lock holds every version for the retention; then it goes.
                    "expiration": {"days": days},
                    "noncurrent_version_expiration": {"noncurrent_days": 1},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                }
            ],
            opts=after(lock),
        )
        writer = self._writer_role(args, account_id, key)
        self.writer_role_arn = writer.arn
        aws.s3.BucketPolicy(
            "backups-policy",
            bucket=self.bucket.id,
            region=STORAGE_REGION,
            policy=docs.render(
                pulumi.Output.all(self.bucket.arn, writer.arn, args.app_principal_arn).apply(
                    lambda values: vault_statements(values[0], values[1], values[2])
                )
            ),
            opts=after(lifecycle),
        )
        self.register_outputs({"bucket": self.bucket.bucket, "writerRoleArn": writer.arn})

    def _writer_role(self, args: BackupVaultArgs, account_id: pulumi.Output[str], key: aws.kms.Key) -> aws.iam.Role:
        """The backup workflow on main: it may add dumps and read them back, never delete one."""
        child = pulumi.ResourceOptions(parent=self)
        provider_arn = account_id.apply(lambda account: f"arn:aws:iam::{account}:oidc-provider/{docs.GITHUB_OIDC_HOST}")
        role = aws.iam.Role(
            "backup-writer-role",
            name=f"newcool-{args.environment}-backup-writer",
            description="Assumed by the backup workflow on main: uploads dumps, reads them back for drills",
            assume_role_policy=docs.render(
                provider_arn.apply(lambda arn: [docs.github_trust_statement(arn, args.github_repository)])
            ),
            max_session_duration=3600,
            tags=dict(args.tags),
            opts=child,
        )
        aws.iam.RolePolicy(
            "backup-writer-access",
            role=role.name,
            policy=docs.render(
                pulumi.Output.all(self.bucket.arn, key.arn).apply(
                    lambda arns: [
                        {
                            "Sid": "UploadDumps",
                            "Effect": "Allow",
                            "Action": "s3:PutObject",
                            "Resource": f"{arns[0]}/{DUMP_PREFIX}*",
                        },
                        {
                            # The monthly drill reads the latest dump back.
                            "Sid": "ReadDumpsBack",
                            "Effect": "Allow",
                            "Action": ["s3:GetObject", "s3:ListBucket"],
                            "Resource": [f"{arns[0]}/{DUMP_PREFIX}*", arns[0]],
                        },
                        {
                            "Sid": "EncryptAndDecryptDumps",
                            "Effect": "Allow",
                            "Action": ["kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"],
                            "Resource": arns[1],
                        },
                    ]
                )
            ),
            opts=child,
        )
        return role
