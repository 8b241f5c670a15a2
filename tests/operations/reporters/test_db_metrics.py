"""The connection-usage bridge: measured on a real PostgreSQL, published to (moto's) CloudWatch."""

from __future__ import annotations

import boto3
import psycopg
import pytest
from moto import mock_aws

from components.monitoring import DB_METRIC_NAME, DB_METRIC_NAMESPACE
from operations.reporters import db_metrics


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


@mock_aws
def test_usage_is_published_under_the_alarmed_metric() -> None:
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    db_metrics.publish("prod", 42.5, cloudwatch)
    (metric,) = cloudwatch.list_metrics(Namespace=DB_METRIC_NAMESPACE)["Metrics"]
    assert metric["MetricName"] == DB_METRIC_NAME
    assert metric["Dimensions"] == [{"Name": "Stack", "Value": "prod"}]


def test_without_a_database_url_it_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert db_metrics.main(["--stack", "dev", "--dry-run"]) == 2
