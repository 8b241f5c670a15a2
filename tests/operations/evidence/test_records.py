"""The deploy's sealed record on moto: its schema, its name is its hash, a record is never
replaced, and `make evidence` finds one that was tampered with."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest
from moto import mock_aws

from operations.evidence import records as evidence
from stack_config.accounts import allowed_accounts

BUCKET = "newcool-prod-deploy-evidence"
RUN = {"id": 123456789, "url": "https://github.com/newcool/newcool-infra/actions/runs/123456789", "attempt": 1}
COMMIT = "0123456789abcdef0123456789abcdef01234567"
REPORT: dict[str, Any] = {
    "stack": "prod",
    "passed": True,
    "policyPack": {"name": "newcool-guardrails", "version": "1.0.0"},
    "violations": [{"policy": "supabase-legacy-keys-disabled", "enforcement": "advisory"}],
    "resources": [{"type": "aws:s3/bucket:Bucket", "import": "newcool-assets"}, {"type": "aws:kms/key:Key"}],
    "monthlyCost": {"fixedUsd": 17.25},
}
VERIFY = {"ok": True, "checks": [{"name": "anonymous S3 GET", "ok": True, "detail": "403"}]}
MOMENT = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)
# `pulumi stack history --json`, newest first: this commit's update, then the one before.
HISTORY = [
    {"kind": "update", "result": "succeeded", "version": 42, "environment": {"git.head": COMMIT}},
    {"kind": "update", "result": "succeeded", "version": 41, "environment": {"git.head": "f" * 40}},
]


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-2")
        client.create_bucket(
            Bucket=BUCKET,
            CreateBucketConfiguration={"LocationConstraint": "us-east-2"},
            ObjectLockEnabledForBucket=True,
        )
        yield client


def record() -> dict[str, Any]:
    up = evidence.up_result("success", HISTORY, COMMIT)
    return evidence.build("prod", COMMIT, RUN, ["alice", "bob"], REPORT, VERIFY, up, MOMENT)


def test_the_record_says_what_was_deployed_who_approved_and_what_was_checked() -> None:
    built = record()
    jsonschema.validate(built, evidence.SCHEMA)
    assert built["approvers"] == ["alice", "bob"] and built["commit"] == COMMIT
    assert built["verdict"] == {"passed": True, "mandatory": [], "advisory": ["supabase-legacy-keys-disabled"]}
    assert built["plan"] == {"resources": 2, "imports": 1, "monthlyFixedUsd": 17.25}
    with pytest.raises(jsonschema.ValidationError):
        evidence.build("prod", "not-a-sha", RUN, [], REPORT, VERIFY, built["up"], MOMENT)
    assert built["up"] == {"result": "succeeded", "stackVersion": 42}


def test_a_failed_up_is_sealed_as_failed_beside_the_plan_that_passed() -> None:
    # The engine made update 43 for this commit and it failed (an import refused, say).
    history = [{"kind": "update", "result": "failed", "version": 43, "environment": {"git.head": COMMIT}}, *HISTORY]
    failed = evidence.up_result("failure", history, COMMIT)
    assert failed == {"result": "failed", "stackVersion": 43}
    built = evidence.build("prod", COMMIT, RUN, ["alice"], REPORT, VERIFY, failed, MOMENT)
    assert built["verdict"]["passed"] is True and built["up"]["result"] == "failed"
    # A step that reported success while the service recorded a failed update is still a failure.
    assert evidence.up_result("success", history, COMMIT)["result"] == "failed"
    # An up that failed before the engine made an update has no version of its own.
    assert evidence.up_result("failure", HISTORY[1:], COMMIT) == {"result": "failed", "stackVersion": None}
    assert evidence.up_result("skipped", HISTORY, COMMIT) == {"result": "not run", "stackVersion": None}
    with pytest.raises(ValueError, match="--up-outcome must be one of"):
        evidence.up_result("maybe", HISTORY, COMMIT)


def test_a_record_without_the_ups_result_does_not_check() -> None:
    built = record()
    del built["up"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(built, evidence.SCHEMA)


def test_a_record_is_named_by_its_hash_and_never_replaced(s3: Any) -> None:
    key = evidence.seal(s3, BUCKET, "prod", record())
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert key == f"deploys/prod/{hashlib.sha256(body).hexdigest()}.json"
    assert json.loads(body) == record()
    # The same record again (the step run twice) is the record already sealed: success, one object.
    assert evidence.seal(s3, BUCKET, "prod", record()) == key
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 1
    # Not even with other bytes under that name: the write refuses to replace.
    with pytest.raises(s3.exceptions.ClientError, match="PreconditionFailed"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"{}", IfNoneMatch="*")


class LostFirstReply:
    """S3 writes the object, the reply is lost, botocore's retry meets PreconditionFailed."""

    def __init__(self, s3: Any):
        self.s3 = s3
        self.puts = 0

    def put_object(self, **kwargs: Any) -> Any:
        self.puts += 1
        self.s3.put_object(**kwargs)
        return self.s3.put_object(**kwargs)  # the retry: If-None-Match refuses it

    def __getattr__(self, name: str) -> Any:
        return getattr(self.s3, name)


def test_a_retried_put_that_meets_its_own_record_reports_it_sealed(
    s3: Any, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    assert evidence.main(sealing_argv(tmp_path, "success"), s3=LostFirstReply(s3)) == 0
    (item,) = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert capsys.readouterr().out == f"sealed {item['Key']}\n"


def test_an_object_under_the_name_with_other_content_is_an_error(s3: Any) -> None:
    key = evidence.key_for("prod", evidence.canonical(record()))
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"{}")
    with pytest.raises(evidence.EvidenceError, match="exists with other content: TAMPERED"):
        evidence.seal(s3, BUCKET, "prod", record())


def test_make_evidence_lists_the_records_and_finds_a_tampered_one(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    first = evidence.seal(s3, BUCKET, "prod", record())
    second = evidence.seal(s3, BUCKET, "prod", {**record(), "approvers": ["carol"]})
    argv = ["check", "--stack", "prod", "--bucket", BUCKET, "--since", "2026-01-01"]
    assert evidence.main(argv, s3=s3) == 0
    assert "2 record(s) since 2026-01-01T00:00:00+00:00, 0 that do not check" in capsys.readouterr().out
    # Someone with the bypass permission rewrites a record: its name no longer matches.
    tampered = json.loads(s3.get_object(Bucket=BUCKET, Key=second)["Body"].read())
    tampered["verdict"]["passed"] = False
    s3.put_object(Bucket=BUCKET, Key=second, Body=evidence.canonical(tampered))
    assert evidence.main(argv, s3=s3) == 1
    out = capsys.readouterr().out
    assert f"FAIL  {second}: TAMPERED" in out and f"  ok  {first}" in out


def sealing_argv(tmp_path: Path, outcome: str, bucket: str = BUCKET) -> list[str]:
    files = {"report": REPORT, "verify": VERIFY, "run": RUN, "history": HISTORY}
    for name, content in files.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(content))
    return [
        "record", "--stack", "prod", "--bucket", bucket, "--commit", COMMIT, "--approvers", "alice",
        "--report", str(tmp_path / "report.json"), "--verify", str(tmp_path / "verify.json"),
        "--run", str(tmp_path / "run.json"), "--history", str(tmp_path / "history.json"), "--up-outcome", outcome,
    ]  # fmt: skip


def test_sealing_with_another_accounts_credentials_stops_before_writing_in_one_line(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # moto's credentials are for 123456789012; prod's stack file pins another account.
    assert evidence.main(sealing_argv(tmp_path, "failure")) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: evidence record: the AWS credentials are for account 123456789012, not the stack's")
    assert err.endswith("(aws:allowedAccountIds); nothing was changed") and "\n" not in err
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    # In the pinned account the same command seals the failed up.
    monkeypatch.setenv("MOTO_ACCOUNT_ID", sorted(allowed_accounts("prod"))[0])
    pinned, bucket = boto3.client("s3", region_name="us-east-2"), "evidence-in-the-pinned-account"
    pinned.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    assert evidence.main(sealing_argv(tmp_path, "failure", bucket)) == 0
    (listed,) = pinned.list_objects_v2(Bucket=bucket)["Contents"]
    sealed = json.loads(pinned.get_object(Bucket=bucket, Key=listed["Key"])["Body"].read())
    assert sealed["up"] == {"result": "failed", "stackVersion": 42}
