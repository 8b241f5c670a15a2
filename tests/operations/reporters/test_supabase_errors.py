"""The Supabase log-errors reporter against the Management API stand-in (held to its OpenAPI
document) and moto's CloudWatch: the window it asks for, what it publishes under the alarmed
metric, and one-line refusals."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pytest_httpserver import HTTPServer

from components.monitoring import DB_METRIC_NAMESPACE, LOG_ERRORS_METRIC_NAME
from operations.reporters import supabase_errors
from stack_config.loader import offline_stack_config
from tests.standins.openapi import supabase_management_spec
from tests.standins.supabase_management import SupabaseProjectStandIn

TOKEN = "sbp_0123456789abcdef0123456789abcdef01234567"
NOW = datetime.datetime(2026, 11, 30, 14, 7, 42, tzinfo=datetime.UTC)


@pytest.fixture
def project(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SupabaseProjectStandIn]:
    ref = offline_stack_config("prod").supabase.project_ref
    standin = SupabaseProjectStandIn(supabase_management_spec(), ref, TOKEN)
    monkeypatch.setenv("SUPABASE_API_URL", standin.install(httpserver))
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", TOKEN)
    yield standin
    assert standin.broken_answers == [], "the stand-in answered what the API document does not allow"


def test_the_window_is_the_last_complete_five_minutes_a_minute_back() -> None:
    assert supabase_errors.window(NOW) == (
        datetime.datetime(2026, 11, 30, 14, 1, tzinfo=datetime.UTC),
        datetime.datetime(2026, 11, 30, 14, 6, tzinfo=datetime.UTC),
    )


@mock_aws
def test_counts_are_published_per_source_and_in_total_under_the_alarmed_metric(
    project: SupabaseProjectStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.log_errors = {"postgres_logs": 31, "auth_logs": 4}
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    sent: list[dict[str, Any]] = []
    accept = cloudwatch.put_metric_data

    def put_metric_data(**request: Any) -> Any:
        sent.append(request)
        return accept(**request)  # and CloudWatch (moto) accepts it

    monkeypatch.setattr(cloudwatch, "put_metric_data", put_metric_data)
    monkeypatch.setattr(supabase_errors, "metrics_client", lambda _stack: cloudwatch)
    assert supabase_errors.main(["--stack", "prod"], now=NOW) == 0
    queries = [r for r in project.log if r.path.endswith("/analytics/endpoints/logs.all")]
    assert [(q.query["iso_timestamp_start"], q.query["iso_timestamp_end"]) for q in queries] == [
        ("2026-11-30T14:01:00Z", "2026-11-30T14:06:00Z")
    ] * 2
    (request,) = sent
    assert request["Namespace"] == DB_METRIC_NAMESPACE
    published = {
        tuple(d["Value"] for d in datum["Dimensions"]): datum["Value"]
        for datum in request["MetricData"]
        if datum["MetricName"] == LOG_ERRORS_METRIC_NAME
    }
    # The alarm reads {Stack} alone (CloudWatch matches dimension sets exactly): both sources.
    assert published == {("prod",): 35, ("prod", "postgres"): 31, ("prod", "auth"): 4}


def test_a_refused_query_is_one_line_and_publishes_nothing(
    project: SupabaseProjectStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    project.logs_error = "Query too large"
    assert supabase_errors.main(["--stack", "prod"], now=NOW) == 1
    err = capsys.readouterr().err
    assert err == "error: Supabase logs refused the postgres query: Query too large\n"
    assert TOKEN not in err


def test_without_a_token_it_refuses(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("SUPABASE_ACCESS_TOKEN", raising=False)
    assert supabase_errors.main(["--stack", "dev"], now=NOW) == 2
    assert capsys.readouterr().err == "error: set SUPABASE_ACCESS_TOKEN\n"
