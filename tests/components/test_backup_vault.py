"""The dumps' bucket: encrypted with its own key, every version locked for the retention, writable
only by the nightly workflow on main, and never deletable by the app."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from preview.engine import run_program
from preview.plan import Plan
from stack_config import ConfigError
from tests.plan_queries import statements

BUCKET = "aws:s3/bucket:Bucket"


def vault_setting(plan: Plan, resource_type: str, name: str) -> dict[str, Any]:
    return plan.named(resource_type, name).props


def test_the_dumps_are_kms_encrypted_versioned_and_locked_for_the_retention(plan: Plan) -> None:
    bucket = plan.named(BUCKET, "backups")
    assert bucket.props["bucket"] == {"dev": "newcool-dev-db-backups", "prod": "newcool-db-backups"}[plan.stack]
    assert bucket.props["objectLockEnabled"] is True and bucket.props["region"] == "us-east-2"
    assert bucket.protect is (plan.stack == "prod")
    key = plan.named("aws:kms/key:Key", "backups-key")
    assert key.props["enableKeyRotation"] is True
    (rule,) = vault_setting(
        plan,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "backups-encryption",
    )["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key.outputs["arn"],
    }
    lock = vault_setting(
        plan, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "backups-object-lock"
    )
    assert lock["rule"] == {"defaultRetention": {"mode": "GOVERNANCE", "days": 35}}
    versioning = vault_setting(plan, "aws:s3/bucketVersioning:BucketVersioning", "backups-versioning")
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    (expiry,) = vault_setting(
        plan, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "backups-lifecycle"
    )["rules"]
    assert expiry["expiration"] == {"days": 35}


def test_only_the_workflow_on_main_writes_and_the_app_can_delete_nothing(plan: Plan) -> None:
    policy = plan.named("aws:s3/bucketPolicy:BucketPolicy", "backups-policy").json_input("policy")
    by_sid = {s.get("Sid"): s for s in statements(policy)}
    writer = plan.named("aws:iam/role:Role", "backup-writer-role")
    app = plan.named("aws:iam/role:Role", "app-role")
    assert by_sid["NightlyDumpsOnly"]["Principal"] == {"AWS": writer.outputs["arn"]}
    assert by_sid["NightlyDumpsOnly"]["Action"] == "s3:PutObject"
    deny = by_sid["TheAppNeverDeletesADump"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": app.outputs["arn"]}
    assert {"s3:DeleteObject", "s3:DeleteObjectVersion"} <= set(deny["Action"])
    trust = writer.json_input("assumeRolePolicy")["Statement"][0]
    assert trust["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == (
        "repo:newcool/newcool-infra:ref:refs/heads/main"
    )
    grants = plan.named("aws:iam/rolePolicy:RolePolicy", "backup-writer-access").json_input("policy")["Statement"]
    actions = {action for g in grants for action in ([g["Action"]] if isinstance(g["Action"], str) else g["Action"])}
    assert actions == {
        "s3:PutObject",
        "s3:GetObject",
        "s3:ListBucket",
        "kms:GenerateDataKey",
        "kms:Encrypt",
        "kms:Decrypt",
    }
    assert not any("Delete" in action for action in actions)
    assert grants[0]["Resource"].endswith("/supabase/*")


def test_the_dumps_bucket_waits_for_each_setting_in_turn(plan: Plan) -> None:
    chain = ["backups", "backups-public-access-block", "backups-ownership", "backups-encryption",
             "backups-versioning", "backups-object-lock", "backups-lifecycle", "backups-policy"]  # fmt: skip
    vault = plan.named("newcool:backup:BackupVault", "backups").urn
    by_name = {r.name: r for r in plan if r.name in chain and r.parent == vault}
    for earlier, later in itertools.pairwise(chain):
        assert by_name[earlier].urn in by_name[later].dependencies, (earlier, later)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"backupBucket": "newcool-dev-uploads"}, "backupBucket must be a bucket of its own"),
        ({"backupBucket": "newcool-db-backups"}, "backupBucket is prod's; dev needs its own"),
        ({"backupRetentionDays": 0}, "backupRetentionDays must be between 1 and 3650"),
    ],
)
def test_bad_backup_config_is_one_line_naming_the_key(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=f"^Pulumi.dev.yaml: newcool-infra:{message}"):
        run_program("dev", overrides)
