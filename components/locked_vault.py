"""Buckets nobody can quietly empty: the nightly database dumps, and the sealed deploy records.

Each is KMS-encrypted with its own key, versioned, and under Object Lock in governance mode: an
object is kept for its retention whatever anyone does short of the governance bypass
permission, then expires. One principal writes, under one prefix:

- the dumps: the backup workflow's role (created here, trusted by this repository's main), which
  may also read them back for the monthly drill; the app's role is denied every delete;
- the deploy evidence: the deploy role (bootstrapped outside the stacks), which may only add
  records, each under a new name (``If-None-Match: *``): it can neither read, overwrite nor delete one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.kms_keys import customer_managed_key
from stack_config import STORAGE_REGION, Environment

# Where each writer puts its objects.
DUMP_PREFIX = "supabase/"
EVIDENCE_PREFIX = "deploys/"
# What the write-once writer may never do: read, replace, unlock or delete.
WRITER_DENIED = [
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectRetention",
    "s3:BypassGovernanceRetention",
    "s3:PutBucketPolicy",
    "s3:PutLifecycleConfiguration",
]
DELETE_ACTIONS = ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutLifecycleConfiguration", "s3:PutBucketPolicy"]


@dataclass(frozen=True)
class LockedVaultArgs:
    # "backups" or "evidence": the resources' names and the bucket's role tag.
    purpose: str
    bucket_name: str
    retention_days: int
    # Where the writer puts objects, e.g. "supabase/".
    prefix: str
    environment: Environment
    tags: Mapping[str, str]
    # The one principal that writes: an existing role (the deploy role), or None to create a
    # role for this repository's workflows on main (GitHub OIDC), which may also read back.
    writer_arn: pulumi.Input[str] | None = None
    github_repository: str = ""
    # Principals denied every delete here (the app's role).
    denied_deletes: tuple[pulumi.Input[str], ...] = ()


def vault_statements(
    bucket_arn: str, prefix: str, writer_arn: str, write_once: bool, denied: list[str]
) -> list[docs.Statement]:
    objects = f"{bucket_arn}/{prefix}*"
    writes: docs.Statement = {
        "Sid": "OneWriter",
        "Effect": "Allow",
        "Principal": {"AWS": writer_arn},
        "Action": "s3:PutObject",
        "Resource": objects,
    }
    statements: list[docs.Statement] = [docs.deny_insecure_transport(bucket_arn), writes]
    if write_once:
        # Only conditional writes (If-None-Match: *): an existing record is never replaced.
        writes["Condition"] = {"Null": {"s3:if-none-match": "false"}}
        statements.append(
            {
                "Sid": "TheWriterOnlyAdds",
                "Effect": "Deny",
                "Principal": {"AWS": writer_arn},
                "Action": WRITER_DENIED,
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
            }
        )
    if denied:
        statements.append(
            {
                "Sid": "NeverDeletedByTheApp",
                "Effect": "Deny",
                "Principal": {"AWS": sorted(denied) if len(denied) > 1 else denied[0]},
                "Action": DELETE_ACTIONS,
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
            }
        )
    return statements


class LockedVault(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    writer_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: LockedVaultArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("newcool:vault:LockedVault", name, None, opts)
        self._args = args
        child = pulumi.ResourceOptions(parent=self)
        prod, purpose = args.environment == "prod", args.purpose
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        key = customer_managed_key(
            f"{purpose}-key",
            description=f"newcool {args.environment}: encrypts the {purpose} bucket",
            account_id=account_id,
            region=STORAGE_REGION,
            tags=args.tags,
            opts=child,
        )
        # Object Lock can only be switched on when the bucket is created.
        self.bucket = aws.s3.Bucket(
            purpose,
            bucket=args.bucket_name,
            region=STORAGE_REGION,
            object_lock_enabled=True,
            force_destroy=False,
            tags={**args.tags, "newcool:bucket-role": purpose},
            opts=pulumi.ResourceOptions(parent=self, protect=prod, retain_on_delete=prod),
        )
        last = self._settings(key)
        writer = args.writer_arn if args.writer_arn is not None else self._workflow_role(account_id, key).arn
        self.writer_role_arn = pulumi.Output.from_input(writer)
        write_once = args.writer_arn is not None
        aws.s3.BucketPolicy(
            f"{purpose}-policy",
            bucket=self.bucket.id,
            region=STORAGE_REGION,
            policy=docs.render(
                pulumi.Output.all(self.bucket.arn, writer, *args.denied_deletes).apply(
                    lambda values: vault_statements(values[0], args.prefix, values[1], write_once, list(values[2:]))
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[last]),
        )
        self.register_outputs({"bucket": self.bucket.bucket, "writerArn": self.writer_role_arn})

    def _settings(self, key: aws.kms.Key) -> pulumi.Resource:
        """Public access off, ACLs off, KMS, versioning, the lock, the expiry: each after the last."""
        args, bucket, purpose = self._args, self.bucket, self._args.purpose
        region = STORAGE_REGION

        def after(resource: pulumi.Resource) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, depends_on=[resource])

        block = aws.s3.BucketPublicAccessBlock(
            f"{purpose}-public-access-block",
            bucket=bucket.id,
            region=region,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=after(bucket),
        )
        ownership = aws.s3.BucketOwnershipControls(
            f"{purpose}-ownership",
            bucket=bucket.id,
            region=region,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=after(block),
        )
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{purpose}-encryption",
            bucket=bucket.id,
            region=region,
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
            f"{purpose}-versioning",
            bucket=bucket.id,
            region=region,
            versioning_configuration={"status": "Enabled"},
            opts=after(encryption),
        )
        lock = aws.s3.BucketObjectLockConfiguration(
            f"{purpose}-object-lock",
            bucket=bucket.id,
            region=region,
            rule={"default_retention": {"mode": "GOVERNANCE", "days": args.retention_days}},
            opts=after(versioning),
        )
        return aws.s3.BucketLifecycleConfiguration(
            f"{purpose}-lifecycle",
            bucket=bucket.id,
            region=region,
            rules=[
                {
                    "id": "expire-after-the-retention",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    # The lock holds every version for the retention; then it goes.
                    "expiration": {"days": args.retention_days},
                    "noncurrent_version_expiration": {"noncurrent_days": 1},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                }
            ],
            opts=after(lock),
        )

    def _workflow_role(self, account_id: pulumi.Output[str], key: aws.kms.Key) -> aws.iam.Role:
        """This repository's workflows on main: they may add objects and read them back, never delete."""
        args = self._args
        child = pulumi.ResourceOptions(parent=self)
        provider_arn = account_id.apply(lambda account: f"arn:aws:iam::{account}:oidc-provider/{docs.GITHUB_OIDC_HOST}")
        role = aws.iam.Role(
            f"{args.purpose}-writer-role",
            name=f"newcool-{args.environment}-{args.purpose}-writer",
            description=f"Assumed by the {args.purpose} workflow on main: adds objects, reads them back",
            assume_role_policy=docs.render(
                provider_arn.apply(
                    lambda arn: [docs.github_trust_statement(arn, args.github_repository, args.environment)]
                )
            ),
            max_session_duration=3600,
            tags=dict(args.tags),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{args.purpose}-writer-access",
            role=role.name,
            policy=docs.render(
                pulumi.Output.all(self.bucket.arn, key.arn).apply(
                    lambda arns: [
                        {
                            "Sid": "AddObjects",
                            "Effect": "Allow",
                            "Action": "s3:PutObject",
                            "Resource": f"{arns[0]}/{args.prefix}*",
                        },
                        {
                            "Sid": "ReadThemBack",
                            "Effect": "Allow",
                            "Action": ["s3:GetObject", "s3:ListBucket"],
                            "Resource": [f"{arns[0]}/{args.prefix}*", arns[0]],
                        },
                        {
                            "Sid": "EncryptAndDecrypt",
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
