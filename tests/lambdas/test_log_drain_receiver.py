"""The log drain receiver on moto's CloudWatch Logs: signed batches are kept and measured;
unsigned, forged, replayed and future-dated ones are refused and leave nothing behind."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lambdas import log_drain_receiver
from lambdas.log_drain_receiver import REPLAY_WINDOW_MS, Receiver, Settings, signature

SECRET = b"drain-secret-0123456789abcdef0123456789"
GROUP = "/newcool/prod/vercel"
NOW = 1_796_000_000.0  # seconds: the receiver's clock in these tests
NOW_MS = int(NOW * 1000)


def request_entry(index: int, status: int, duration_ms: float, at_ms: int = NOW_MS - 2000) -> dict[str, Any]:
    """One request as Vercel's drain reports it: the edge's proxy record with its status."""
    return {
        "id": f"log-{index}",
        "requestId": f"req-{index}",
        "deploymentId": "dpl_live",
        "projectId": "prj_newcool",
        "source": "lambda",
        "host": "api.newcool.io",
        "level": "error" if status >= 500 else "info",
        "timestamp": at_ms,
        "durationMs": duration_ms,
        "proxy": {"timestamp": at_ms, "method": "GET", "path": "/api/modules", "statusCode": status},
    }


def event(body: bytes, headers: dict[str, str] | None = None, method: str = "POST") -> dict[str, Any]:
    """A Lambda function URL event (payload 2.0); bodies arrive base64-encoded."""
    return {
        "requestContext": {"http": {"method": method}},
        "headers": headers or {},
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


def signed(body: bytes, secret: bytes = SECRET) -> dict[str, Any]:
    return event(body, {"X-Vercel-Signature": signature(secret, body)})


@pytest.fixture
def logs() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("logs", region_name="us-east-1")
        client.create_log_group(logGroupName=GROUP)
        yield client


@pytest.fixture
def emitted() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def receiver(logs: Any, emitted: list[dict[str, Any]]) -> Receiver:
    settings = Settings(secret=SECRET, log_group=GROUP, verify_code="verify-code-123", stack="prod")
    return Receiver(settings, logs=logs, clock=lambda: NOW, emit=lambda line: emitted.append(json.loads(line)))


def stored(logs: Any) -> list[dict[str, Any]]:
    streams = logs.describe_log_streams(logGroupName=GROUP)["logStreams"]
    return [
        json.loads(e["message"])
        for s in streams
        for e in logs.get_log_events(logGroupName=GROUP, logStreamName=s["logStreamName"])["events"]
    ]


def test_a_signed_batch_is_kept_and_measured(receiver: Receiver, logs: Any, emitted: list[dict[str, Any]]) -> None:
    entries = [request_entry(1, 200, 120.0), request_entry(2, 503, 2400.0), request_entry(3, 200, 80.0)]
    answer = receiver.handle(signed(json.dumps(entries).encode()), "stream-1")
    assert answer["statusCode"] == 200
    assert stored(logs) == entries
    (record,) = emitted
    assert record["Requests"] == 3 and record["Errors5xx"] == 1 and record["Duration"] == [120.0, 2400.0, 80.0]
    (directive,) = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "NewCool/App" and directive["Dimensions"] == [["Stack"]]
    assert record["Stack"] == "prod"


def test_ndjson_batches_are_read_too(receiver: Receiver, logs: Any) -> None:
    entries = [request_entry(1, 200, 10.0), request_entry(2, 200, 11.0)]
    body = "\n".join(json.dumps(e) for e in entries).encode()
    assert receiver.handle(signed(body), "stream-1")["statusCode"] == 200
    assert stored(logs) == entries


def test_log_lines_of_one_request_count_it_once(receiver: Receiver, emitted: list[dict[str, Any]]) -> None:
    first, second = request_entry(1, 500, 900.0), {**request_entry(1, 500, 900.0), "id": "log-1b"}
    receiver.handle(signed(json.dumps([first, second]).encode()), "stream-1")
    assert emitted[0]["Requests"] == 1 and emitted[0]["Errors5xx"] == 1


@pytest.mark.parametrize(
    ("case", "headers"),
    [
        ("unsigned", {}),
        ("forged", {"x-vercel-signature": signature(b"someone-elses-secret", b"[]")}),
        ("signed with another secret", None),
    ],
)
def test_unsigned_or_forged_batches_are_refused_and_write_nothing(
    receiver: Receiver, logs: Any, emitted: list[dict[str, Any]], case: str, headers: dict[str, str] | None
) -> None:
    body = json.dumps([request_entry(1, 500, 100.0)]).encode()
    request = signed(body, b"another-secret") if headers is None else event(body, headers)
    answer = receiver.handle(request, "stream-1")
    assert answer["statusCode"] == 403, case
    assert logs.describe_log_streams(logGroupName=GROUP)["logStreams"] == [] and emitted == []


def test_a_tampered_body_fails_its_signature(receiver: Receiver, logs: Any) -> None:
    body = json.dumps([request_entry(1, 200, 100.0)]).encode()
    request = signed(body)
    request["body"] = base64.b64encode(body.replace(b"200", b"500")).decode()
    assert receiver.handle(request, "stream-1")["statusCode"] == 403
    assert logs.describe_log_streams(logGroupName=GROUP)["logStreams"] == []


@pytest.mark.parametrize(
    "at_ms", [NOW_MS - REPLAY_WINDOW_MS - 1, NOW_MS + 10 * 60 * 1000], ids=["replayed", "future-dated"]
)
def test_a_correctly_signed_batch_outside_the_clock_window_is_refused(
    receiver: Receiver, logs: Any, emitted: list[dict[str, Any]], at_ms: int
) -> None:
    body = json.dumps([request_entry(1, 200, 100.0, at_ms=at_ms)]).encode()
    assert receiver.handle(signed(body), "stream-1")["statusCode"] == 403
    assert logs.describe_log_streams(logGroupName=GROUP)["logStreams"] == [] and emitted == []


def test_vercel_endpoint_verification_is_answered_and_changes_nothing(receiver: Receiver, logs: Any) -> None:
    answer = receiver.handle(event(b"", method="GET"), "stream-1")
    assert answer["statusCode"] == 200 and answer["headers"]["x-vercel-verify"] == "verify-code-123"
    assert logs.describe_log_streams(logGroupName=GROUP)["logStreams"] == []


def test_an_empty_unsigned_post_is_answered_as_a_verification_and_writes_nothing(
    receiver: Receiver, logs: Any, emitted: list[dict[str, Any]]
) -> None:
    answer = receiver.handle(event(b""), "stream-1")
    assert answer["statusCode"] == 200 and answer["headers"]["x-vercel-verify"] == "verify-code-123"
    assert logs.describe_log_streams(logGroupName=GROUP)["logStreams"] == [] and emitted == []


def test_the_handler_refuses_to_start_without_its_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log_drain_receiver, "_receiver", None)
    for name in ("DRAIN_LOG_GROUP", "VERCEL_VERIFY_CODE", "STACK"):
        monkeypatch.setenv(name, "set")
    monkeypatch.delenv("LOG_DRAIN_SECRET", raising=False)
    with pytest.raises(log_drain_receiver.MisconfiguredError, match="LOG_DRAIN_SECRET not set"):
        log_drain_receiver.handler(event(b"[]", {"x-vercel-signature": "anything"}), None)


def test_durations_are_split_into_records_of_at_most_100_values(
    receiver: Receiver, emitted: list[dict[str, Any]]
) -> None:
    entries = [request_entry(i, 200, float(i)) for i in range(250)]
    receiver.handle(signed(json.dumps(entries).encode()), "stream-1")
    assert [len(r.get("Duration", [])) for r in emitted] == [100, 100, 50]
    assert sum(r.get("Requests", 0) for r in emitted) == 250, "counted once"


def test_the_pack_requires_the_variable_the_handler_refuses_to_start_without() -> None:
    from policies.guardrails import drains  # noqa: PLC0415 (the pack, read as the auditors run it)

    assert drains.SIGNING_SECRET_VARIABLE == log_drain_receiver.SECRET_ENVIRONMENT
    assert log_drain_receiver.SECRET_ENVIRONMENT in log_drain_receiver.REQUIRED_ENVIRONMENT
