"""The locked buckets: each encrypted with its own key, every version locked for its retention,
written by one principal under one prefix, and never deleted by the app. The dumps' writer is the
backup workflow on main; the deploy records' writer is the deploy role, which may only add."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from preview.plan import Plan
from stack_config import ConfigError
from tests.plan_queries import statements
from tests.program_runs import run_program

BUCKET = "aws:s3/bucket:Bucket"
RETENTION = {"backups": 35, "evidence": 365}
NAMES = {
    ("backups", "dev"): "newcool-dev-db-backups",
    ("backups", "prod"): "newcool-db-backups",
    ("evidence", "dev"): "newcool-dev-deploy-evidence",
    ("evidence", "prod"): "newcool-prod-deploy-evidence",
}


def setting(plan: Plan, resource_type: str, name: str) -> dict[str, Any]:
    return plan.named(resource_type, name).props


def policy(plan: Plan, purpose: str) -> dict[str, dict[str, Any]]:
    document = plan.named("aws:s3/bucketPolicy:BucketPolicy", f"{purpose}-policy").json_input("policy")
    return {s["Sid"]: s for s in statements(document)}


@pytest.mark.parametrize("purpose", ["backups", "evidence"])
def test_each_vault_is_kms_encrypted_versioned_and_locked_for_its_retention(plan: Plan, purpose: str) -> None:
    bucket = plan.named(BUCKET, purpose)
    assert bucket.props["bucket"] == NAMES[(purpose, plan.stack)]
    assert bucket.props["objectLockEnabled"] is True and bucket.props["region"] == "us-east-2"
    assert bucket.protect is (plan.stack == "prod")
    key = plan.named("aws:kms/key:Key", f"{purpose}-key")
    assert key.props["enableKeyRotation"] is True
    (rule,) = setting(
        plan,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        f"{purpose}-encryption",
    )["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key.outputs["arn"],
    }
    lock = setting(plan, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", f"{purpose}-object-lock")
    assert lock["rule"] == {"defaultRetention": {"mode": "GOVERNANCE", "days": RETENTION[purpose]}}
    versioning = setting(plan, "aws:s3/bucketVersioning:BucketVersioning", f"{purpose}-versioning")
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    lifecycle = setting(
        plan, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", f"{purpose}-lifecycle"
    )
    assert [r["expiration"] for r in lifecycle["rules"]] == [{"days": RETENTION[purpose]}]
    # The app never deletes here, whatever IAM grants it later.
    deny = policy(plan, purpose)["NeverDeletedByTheApp"]
    assert deny["Principal"] == {"AWS": plan.named("aws:iam/role:Role", "app-role").outputs["arn"]}
    assert {"s3:DeleteObject", "s3:DeleteObjectVersion"} <= set(deny["Action"])


def test_only_the_backup_workflow_on_main_writes_dumps_and_reads_them_back(plan: Plan) -> None:
    writer = plan.named("aws:iam/role:Role", "backups-writer-role")
    grant = policy(plan, "backups")["OneWriter"]
    assert grant["Principal"] == {"AWS": writer.outputs["arn"]} and grant["Resource"].endswith("/supabase/*")
    trust = writer.json_input("assumeRolePolicy")["Statement"][0]
    # Prod's backup job reads prod's secrets from the main-only GitHub environment, whose name is
    # then its OIDC subject; dev's runs from main.
    assert (
        trust["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]
        == {
            "prod": "repo:newcool/newcool-infra:environment:production-scheduled",
            "dev": "repo:newcool/newcool-infra:ref:refs/heads/main",
        }[plan.stack]
    )
    grants = plan.named("aws:iam/rolePolicy:RolePolicy", "backups-writer-access").json_input("policy")["Statement"]
    actions = {a for g in grants for a in ([g["Action"]] if isinstance(g["Action"], str) else g["Action"])}
    assert actions == {
        "s3:PutObject",
        "s3:GetObject",
        "s3:ListBucket",
        "kms:GenerateDataKey",
        "kms:Encrypt",
        "kms:Decrypt",
    }


def test_the_deploy_role_may_only_add_records_never_read_replace_or_delete_one(plan: Plan) -> None:
    deploy_role = {"dev": "arn:aws:iam::444455556666:role/newcool-deploy",
                   "prod": "arn:aws:iam::111122223333:role/newcool-deploy"}[plan.stack]  # fmt: skip
    statements_by_sid = policy(plan, "evidence")
    grant = statements_by_sid["OneWriter"]
    assert grant["Principal"] == {"AWS": deploy_role} and grant["Resource"].endswith("/deploys/*")
    assert grant["Condition"] == {"Null": {"s3:if-none-match": "false"}}, "only writes that refuse to replace"
    deny = statements_by_sid["TheWriterOnlyAdds"]
    assert deny["Principal"] == {"AWS": deploy_role}
    assert {"s3:GetObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"} <= set(deny["Action"])
    assert plan.named("aws:s3/bucket:Bucket", "evidence") and not [
        r for r in plan.of_type("aws:iam/role:Role") if r.name.startswith("evidence")
    ], "the deploy role is bootstrapped outside the stacks"


@pytest.mark.parametrize("purpose", ["backups", "evidence"])
def test_each_setting_waits_for_the_last(plan: Plan, purpose: str) -> None:
    chain = [purpose, *(f"{purpose}-{s}" for s in ("public-access-block", "ownership", "encryption", "versioning",
                                                  "object-lock", "lifecycle", "policy"))]  # fmt: skip
    vault = plan.named("newcool:vault:LockedVault", purpose).urn
    by_name = {r.name: r for r in plan if r.name in chain and r.parent == vault}
    for earlier, later in itertools.pairwise(chain):
        assert by_name[earlier].urn in by_name[later].dependencies, (earlier, later)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"backupBucket": "newcool-dev-uploads"}, "backupBucket must be a bucket of its own"),
        ({"backupBucket": "newcool-db-backups"}, "backupBucket is prod's; dev needs its own"),
        ({"backupRetentionDays": 0}, "backupRetentionDays must be between 1 and 3650"),
        ({"evidenceBucket": "newcool-dev-db-backups"}, "evidenceBucket must be a bucket of its own"),
        ({"deployRoleArn": "newcool-deploy"}, "deployRoleArn must be an IAM role ARN"),
        ({"deployRoleArn": None}, "deployRoleArn is required but not set"),
    ],
)
def test_bad_vault_config_is_one_line_naming_the_key(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=f"^Pulumi.dev.yaml: newcool-infra:{message}"):
        run_program("dev", overrides)
