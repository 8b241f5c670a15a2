"""The drift issue's upkeep: open on drift, update in place, close when clean; page the on-call
only for security drift it has not been told of (SNS on moto, `gh` a recording stand-in)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from operations.drift import issue as drift_issue

SECURITY = {"subject": "aws:s3/bucketPolicy:BucketPolicy cdn-policy", "change": "update (policy)", "security": True}
TAGS = {"subject": "aws:s3/bucket:Bucket assets", "change": "update (tags)", "security": False}
KEY = {"subject": "Supabase API key laptop (secret)", "change": "managed by no stack", "security": True}


def report(*drift: dict[str, Any]) -> dict[str, Any]:
    return {"stack": "prod", "drift": list(drift), "notChecked": []}


def test_first_drift_opens_the_issue_and_pages_its_security_lines() -> None:
    upkeep = drift_issue.plan("prod", report(SECURITY, TAGS), None)
    assert upkeep.action == "open"
    assert upkeep.body.startswith("<!-- newcool-drift:prod -->\n")
    assert upkeep.page == ("[security] aws:s3/bucketPolicy:BucketPolicy cdn-policy: update (policy)",)


def test_the_same_drift_again_changes_nothing_and_pages_no_one() -> None:
    body = drift_issue.plan("prod", report(SECURITY, TAGS), None).body
    assert drift_issue.plan("prod", report(SECURITY, TAGS), body) == drift_issue.Upkeep("none", body, ())


def test_new_drift_updates_in_place_and_pages_only_what_is_new() -> None:
    body = drift_issue.plan("prod", report(SECURITY), None).body
    upkeep = drift_issue.plan("prod", report(SECURITY, KEY, TAGS), body)
    assert upkeep.action == "update"
    assert upkeep.page == ("[security] Supabase API key laptop (secret): managed by no stack",)


def test_a_clean_stack_closes_its_issue_or_does_nothing() -> None:
    assert drift_issue.plan("prod", report(), "<!-- newcool-drift:prod -->").action == "close"
    assert drift_issue.plan("prod", report(), None).action == "none"


def fake_gh(tmp_path: Path, issues: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `gh` that answers `issue list` and records every call with its stdin."""
    (tmp_path / "issues.json").write_text(json.dumps(issues))
    calls = tmp_path / "calls.log"
    script = tmp_path / "gh"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {calls}\n'
        f'if [ "$1 $2" = "issue list" ]; then cat {tmp_path}/issues.json; else cat >> {calls}; fi\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    return calls


@mock_aws
def test_the_workflow_step_opens_the_issue_and_pages_the_topic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sns = boto3.client("sns", region_name="us-east-2")
    sqs = boto3.client("sqs", region_name="us-east-2")
    topic = sns.create_topic(Name="newcool-prod-oncall")["TopicArn"]
    queue = sqs.create_queue(QueueName="pages")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    calls = fake_gh(tmp_path, [{"number": 7, "body": "<!-- newcool-drift:dev -->"}], monkeypatch)
    path = tmp_path / "drift.json"
    path.write_text(json.dumps(report(SECURITY)))
    assert drift_issue.main(["--stack", "prod", "--report", str(path), "--topic-arn", topic], sns=sns) == 0
    log = calls.read_text()
    assert "issue create --title drift: prod --label drift --body-file -" in log
    assert "cdn-policy: update (policy)" in log
    (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    assert "cdn-policy: update (policy)" in json.loads(message["Body"])["Message"]


def test_a_clean_run_closes_the_open_issue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_gh(tmp_path, [{"number": 9, "body": "<!-- newcool-drift:prod -->\n- old"}], monkeypatch)
    path = tmp_path / "drift.json"
    path.write_text(json.dumps(report()))
    assert drift_issue.main(["--stack", "prod", "--report", str(path)]) == 0
    assert "issue close 9 --comment prod is clean again." in calls.read_text()


@mock_aws
def test_schema_drift_from_make_db_drift_joins_the_issue_as_security(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sns = boto3.client("sns", region_name="us-east-2")
    topic = sns.create_topic(Name="newcool-prod-alerts")["TopicArn"]
    calls = fake_gh(tmp_path, [], monkeypatch)
    path, database = tmp_path / "drift.json", tmp_path / "db-drift.txt"
    path.write_text(json.dumps(report()))
    database.write_text("drift: public.profiles: row level security: expected enabled; live disabled\n")
    arguments = ["--stack", "prod", "--report", str(path), "--db-drift", str(database), "--topic-arn", topic]
    assert drift_issue.main(arguments, sns=sns) == 0
    assert "- [security] Supabase schema: public.profiles: row level security: expected enabled; live disabled" in (
        calls.read_text()
    )


@mock_aws
def test_a_failed_page_fails_the_job_records_nothing_and_the_next_run_pages_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sns = boto3.client("sns", region_name="us-east-2")
    topic = "arn:aws:sns:us-east-2:123456789012:newcool-prod-alerts"  # not made yet: the publish fails
    calls = fake_gh(tmp_path, [], monkeypatch)
    path = tmp_path / "drift.json"
    path.write_text(json.dumps(report(SECURITY)))
    assert drift_issue.main(["--stack", "prod", "--report", str(path), "--topic-arn", topic], sns=sns) == 1
    err = capsys.readouterr().err
    assert err == "drift issue for prod: paging the on-call topic failed (NotFound); the issue is left as it was\n"
    assert "issue create" not in calls.read_text(), "a finding is recorded as known only once it was paged"
    # The topic answers again: the same finding pages, then the issue records it.
    sns.create_topic(Name="newcool-prod-alerts")
    sqs = boto3.client("sqs", region_name="us-east-2")
    queue = sqs.create_queue(QueueName="pages")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    assert drift_issue.main(["--stack", "prod", "--report", str(path), "--topic-arn", topic], sns=sns) == 0
    (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    assert "cdn-policy: update (policy)" in json.loads(message["Body"])["Message"]
    assert "issue create" in calls.read_text()


def test_security_drift_without_a_topic_to_page_fails_instead_of_recording_it_unpaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = fake_gh(tmp_path, [], monkeypatch)
    path = tmp_path / "drift.json"
    path.write_text(json.dumps(report(SECURITY)))
    assert drift_issue.main(["--stack", "prod", "--report", str(path), "--topic-arn", ""]) == 1
    assert "issue create" not in calls.read_text()
