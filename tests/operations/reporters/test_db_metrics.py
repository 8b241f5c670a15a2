"""The connection-usage bridge: measured on a real PostgreSQL, published to (moto's) CloudWatch,
with a heartbeat its own alarm reads, and only into the stack's own AWS account."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import boto3
import psycopg
import pytest
from moto import mock_aws

from components.monitoring import DB_METRIC_NAME, DB_METRIC_NAMESPACE, REPORTER_HEARTBEAT_METRIC
from operations.reporters import db_metrics
from stack_config.accounts import allowed_accounts


@pytest.mark.sql
def test_usage_counts_client_connections_against_max_connections(unmigrated_db: str) -> None:
    # As the reporter connects on Supabase: as postgres, into a database with Supabase's roles.
    url = unmigrated_db
    with psycopg.connect(url) as admin:
        row = admin.execute("select current_setting('max_connections')::int").fetchone()
    assert row is not None
    max_connections = int(str(row[0]))
    idle = [psycopg.connect(url) for _ in range(6)]
    try:
        percent = db_metrics.connection_usage_percent(url)
    finally:
        for connection in idle:
            connection.close()
    # The six idle sessions plus the measuring one, at least (other tests may hold a few more).
    assert percent >= 7 * 100 / max_connections
    assert percent < 100


@pytest.fixture
def cloudwatch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("cloudwatch", region_name="us-east-1")


def published(cloudwatch: Any) -> dict[str, float]:
    stats, now = {}, datetime.datetime.now(datetime.UTC)
    for metric in cloudwatch.list_metrics(Namespace=DB_METRIC_NAMESPACE)["Metrics"]:
        assert metric["Dimensions"] == [{"Name": "Stack", "Value": "prod"}]
        answer = cloudwatch.get_metric_data(
            MetricDataQueries=[
                {
                    "Id": "m",
                    "MetricStat": {
                        "Metric": {k: metric[k] for k in ("Namespace", "MetricName", "Dimensions")},
                        "Period": 60,
                        "Stat": "Minimum",
                    },
                }
            ],
            StartTime=now - datetime.timedelta(minutes=10),
            EndTime=now + datetime.timedelta(minutes=10),
        )
        stats[metric["MetricName"]] = answer["MetricDataResults"][0]["Values"][0]
    return stats


def test_usage_is_published_under_the_alarmed_metric_with_a_heartbeat(cloudwatch: Any) -> None:
    db_metrics.publish("prod", 42.5, cloudwatch)
    assert published(cloudwatch) == {DB_METRIC_NAME: 42.5, REPORTER_HEARTBEAT_METRIC: 1.0}


def test_a_reporter_that_cannot_reach_the_database_says_so_in_its_heartbeat_only(
    cloudwatch: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Run in prod's pinned account; the database refuses (as prod's does a runner it does not admit).
    monkeypatch.setenv("MOTO_ACCOUNT_ID", sorted(allowed_accounts("prod"))[0])
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres:not-this-password@127.0.0.1:1/postgres")
    assert db_metrics.main(["--stack", "prod"]) == 1
    assert "not-this-password" not in capsys.readouterr().err
    here = boto3.client("cloudwatch", region_name="us-east-1")
    # No connection value at all (the connections alarm stays quiet); the heartbeat says 0.
    assert published(here) == {REPORTER_HEARTBEAT_METRIC: 0.0}


def test_credentials_of_another_account_publish_nothing_in_one_line(
    cloudwatch: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(db_metrics, "connection_usage_percent", lambda _url: 12.0)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres:secret@db.example/postgres")
    # moto's credentials are for 123456789012; prod's stack file pins another account.
    assert db_metrics.main(["--stack", "prod"]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: db-metrics of prod: the AWS credentials are for account 123456789012")
    assert line.endswith("nothing was changed")
    assert cloudwatch.list_metrics(Namespace=DB_METRIC_NAMESPACE)["Metrics"] == []


def test_without_a_database_url_it_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert db_metrics.main(["--stack", "dev", "--dry-run"]) == 2
