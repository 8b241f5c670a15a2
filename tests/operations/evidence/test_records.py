"""The deploy's sealed record on moto: its schema, its name is its hash, a record is never
replaced, and `make evidence` finds one that was tampered with."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import boto3
import jsonschema
import pytest
from moto import mock_aws

from operations.evidence import records as evidence

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
    return evidence.build("prod", COMMIT, RUN, ["alice", "bob"], REPORT, VERIFY, MOMENT)


def test_the_record_says_what_was_deployed_who_approved_and_what_was_checked() -> None:
    built = record()
    jsonschema.validate(built, evidence.SCHEMA)
    assert built["approvers"] == ["alice", "bob"] and built["commit"] == COMMIT
    assert built["verdict"] == {"passed": True, "mandatory": [], "advisory": ["supabase-legacy-keys-disabled"]}
    assert built["plan"] == {"resources": 2, "imports": 1, "monthlyFixedUsd": 17.25}
    with pytest.raises(jsonschema.ValidationError):
        evidence.build("prod", "not-a-sha", RUN, [], REPORT, VERIFY, MOMENT)


def test_a_record_is_named_by_its_hash_and_never_replaced(s3: Any) -> None:
    key = evidence.seal(s3, BUCKET, "prod", record())
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert key == f"deploys/prod/{hashlib.sha256(body).hexdigest()}.json"
    assert json.loads(body) == record()
    with pytest.raises(evidence.EvidenceError, match="exists already: a record is never replaced"):
        evidence.seal(s3, BUCKET, "prod", record())
    # Not even with other bytes under that name: the write refuses to replace.
    with pytest.raises(s3.exceptions.ClientError, match="PreconditionFailed"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"{}", IfNoneMatch="*")


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
