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
    run, report, verified = tmp_path / "run.json", tmp_path / "report.json", tmp_path / "verify.json"
    run.write_text(json.dumps(RUN))
    report.write_text(json.dumps(REPORT))
    verified.write_text(json.dumps(VERIFY))
    arguments = ["record", "--stack", "prod", "--bucket", BUCKET, "--report", str(report), "--verify", str(verified),
                 "--commit", COMMIT, "--run", str(run), "--approvers", "alice"]  # fmt: skip
    assert evidence.main(arguments, s3=LostFirstReply(s3)) == 0
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
