"""The log drain receiver on moto's CloudWatch Logs: signed batches are kept and measured;
unsigned, forged, replayed and future-dated ones are refused and leave nothing behind."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from lambdas import log_drain_receiver
from lambdas.log_drain_receiver import REPLAY_WINDOW_MS, Receiver, Settings, signature
from tests.standins.cloudwatch_logs import LimitedLogs

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
    answer = receiver.handle(signed(json.dumps(entries).encode()))
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
    assert receiver.handle(signed(body))["statusCode"] == 200
    assert stored(logs) == entries


def test_log_lines_of_one_request_count_it_once(receiver: Receiver, emitted: list[dict[str, Any]]) -> None:
    first, second = request_entry(1, 500, 900.0), {**request_entry(1, 500, 900.0), "id": "log-1b"}
    receiver.handle(signed(json.dumps([first, second]).encode()))
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
    answer = receiver.handle(request)
    assert answer["statusCode"] == 403, case
    assert logs.describe_log_streams(logGroupName=GROUP)["logStreams"] == [] and emitted == []


def test_a_tampered_body_fails_its_signature(receiver: Receiver, logs: Any) -> None:
    body = json.dumps([request_entry(1, 200, 100.0)]).encode()
    request = signed(body)
    request["body"] = base64.b64encode(body.replace(b"200", b"500")).decode()
    assert receiver.handle(request)["statusCode"] == 403
    assert logs.describe_log_streams(logGroupName=GROUP)["logStreams"] == []


@pytest.mark.parametrize(
    "at_ms", [NOW_MS - REPLAY_WINDOW_MS - 1, NOW_MS + 10 * 60 * 1000], ids=["replayed", "future-dated"]
)
def test_a_correctly_signed_batch_outside_the_clock_window_is_refused(
    receiver: Receiver, logs: Any, emitted: list[dict[str, Any]], at_ms: int
) -> None:
    body = json.dumps([request_entry(1, 200, 100.0, at_ms=at_ms)]).encode()
    assert receiver.handle(signed(body))["statusCode"] == 403
    assert logs.describe_log_streams(logGroupName=GROUP)["logStreams"] == [] and emitted == []


def test_vercel_endpoint_verification_is_answered_and_changes_nothing(receiver: Receiver, logs: Any) -> None:
    answer = receiver.handle(event(b"", method="GET"))
    assert answer["statusCode"] == 200 and answer["headers"]["x-vercel-verify"] == "verify-code-123"
    assert logs.describe_log_streams(logGroupName=GROUP)["logStreams"] == []


def test_an_empty_unsigned_post_is_answered_as_a_verification_and_writes_nothing(
    receiver: Receiver, logs: Any, emitted: list[dict[str, Any]]
) -> None:
    answer = receiver.handle(event(b""))
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
    receiver.handle(signed(json.dumps(entries).encode()))
    assert [len(r.get("Duration", [])) for r in emitted] == [100, 100, 50]
    assert sum(r.get("Requests", 0) for r in emitted) == 250, "counted once"


def test_the_pack_requires_the_variable_the_handler_refuses_to_start_without() -> None:
    from policies.guardrails import drains  # noqa: PLC0415 (the pack, read as the auditors run it)

    assert drains.SIGNING_SECRET_VARIABLE == log_drain_receiver.SECRET_ENVIRONMENT
    assert log_drain_receiver.SECRET_ENVIRONMENT in log_drain_receiver.REQUIRED_ENVIRONMENT


def big_batch(count: int = 6_000, huge: int = 300 * 1024) -> list[dict[str, Any]]:
    """About 4 MB: requests with some logged text, one message past the event size limit, and a
    few entries from 30 hours before the rest (a batch Vercel held back)."""
    entries = []
    for index in range(count):
        entry = request_entry(index, 200, 10.0, at_ms=NOW_MS - 60_000 + index)
        entry["message"] = f"GET /api/modules/{index} " + "x" * 560
        entries.append(entry)
    entries[10]["message"] = "y" * huge
    for index in range(3):
        entries[20 + index]["timestamp"] = NOW_MS - 30 * 3600 * 1000 + index
    return entries


def test_a_batch_larger_than_one_call_is_kept_whole_and_written_once(logs: Any, emitted: list[dict[str, Any]]) -> None:
    limited = LimitedLogs(logs)
    settings = Settings(secret=SECRET, log_group=GROUP, verify_code="verify-code-123", stack="prod")
    receiver = Receiver(settings, logs=limited, clock=lambda: NOW, emit=lambda line: emitted.append(json.loads(line)))
    entries = big_batch()
    body = json.dumps(entries).encode()
    assert len(body) > 4_000_000
    assert receiver.handle(signed(body))["statusCode"] == 200
    assert len(limited.calls) >= 5 and sum(limited.calls) == len(entries), "every entry, in calls within the limits"
    streams = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=GROUP)["logStreams"]]
    batch = hashlib.sha256(body).hexdigest()
    assert sorted(streams) == sorted(f"{batch}-{index}" for index in range(len(limited.calls))), "a stream a chunk"
    kept = [json.loads(m) if not m.endswith("bytes]") else m for s in streams for m in all_messages(logs, s)]
    assert len(kept) == len(entries)
    (truncated,) = [m for m in kept if isinstance(m, str)]
    assert truncated.endswith(f"[truncated by the log drain receiver: {len(json.dumps(entries[10]).encode())} bytes]")
    assert len(truncated.encode()) + 26 <= 256 * 1024
    whole = sorted(e["id"] for i, e in enumerate(entries) if i != 10)
    assert sorted(m["id"] for m in kept if isinstance(m, dict)) == whole
    measured = sum(record.get("Requests", 0) for record in emitted)
    # Vercel delivers the same batch again (its reply was lost): nothing is written or measured twice.
    answer = receiver.handle(signed(body))
    assert answer["statusCode"] == 200 and json.loads(answer["body"])["alreadyWritten"] is True
    assert sum(limited.calls) == len(entries) and sum(r.get("Requests", 0) for r in emitted) == measured == 6_000


def all_messages(logs: Any, stream: str) -> list[str]:
    messages: list[str] = []
    token: str | None = None
    while True:
        page = logs.get_log_events(
            logGroupName=GROUP, logStreamName=stream, startFromHead=True, **({"nextToken": token} if token else {})
        )
        messages += [e["message"] for e in page["events"]]
        if not page["events"] or page["nextForwardToken"] == token:
            return messages
        token = page["nextForwardToken"]


def test_a_message_within_the_limit_is_kept_as_it_is_and_one_past_it_is_cut_at_a_character() -> None:
    assert log_drain_receiver.fitted("é" * 10) == "é" * 10
    cut = log_drain_receiver.fitted("é" * 200_000)  # 400,000 bytes
    assert cut.endswith("[truncated by the log drain receiver: 400000 bytes]")
    assert len(cut.encode()) <= log_drain_receiver.MAX_MESSAGE_BYTES


class FailingOnce(LimitedLogs):
    """CloudWatch refuses one PutLogEvents call (or the function dies there): the batch fails midway."""

    def __init__(self, moto: Any, failing_call: int) -> None:
        super().__init__(moto)
        self.failing_call, self.tried = failing_call, 0

    def put_log_events(self, **kwargs: Any) -> Any:
        self.tried += 1
        if self.tried == self.failing_call:
            error = {"Error": {"Code": "ServiceUnavailableException", "Message": "try again"}}
            raise ClientError(error, "PutLogEvents")
        return super().put_log_events(**kwargs)


def test_a_batch_that_fails_midway_is_completed_by_vercels_retry_and_measured_once(
    logs: Any, emitted: list[dict[str, Any]]
) -> None:
    """The third chunk's call fails after two were written (its stream already made): the function
    errs, Vercel delivers the batch again, and the retry writes exactly the chunks still missing."""
    failing = FailingOnce(logs, failing_call=3)
    settings = Settings(secret=SECRET, log_group=GROUP, verify_code="verify-code-123", stack="prod")
    receiver = Receiver(settings, logs=failing, clock=lambda: NOW, emit=lambda line: emitted.append(json.loads(line)))
    entries = big_batch()
    body = json.dumps(entries).encode()
    with pytest.raises(ClientError):
        receiver.handle(signed(body))
    assert emitted == [], "a batch not yet whole is not measured"
    written_before = sum(failing.calls)
    assert 0 < written_before < len(entries)
    answer = receiver.handle(signed(body))  # Vercel's retry
    assert answer["statusCode"] == 200 and "alreadyWritten" not in json.loads(answer["body"])
    assert sum(failing.calls) == len(entries), "every entry written, none twice"
    streams = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=GROUP)["logStreams"]]
    stored_ids = [json.loads(m)["id"] for s in streams for m in all_messages(logs, s) if not m.endswith("bytes]")]
    assert len(stored_ids) == len(set(stored_ids)) == len(entries) - 1  # one is the truncated message
    assert sum(record.get("Requests", 0) for record in emitted) == 6_000, (
        "measured once, by the delivery that completed it"
    )
    again = receiver.handle(signed(body))  # and once more: nothing left to write or measure
    assert json.loads(again["body"])["alreadyWritten"] is True and sum(failing.calls) == len(entries)
    assert sum(record.get("Requests", 0) for record in emitted) == 6_000


def test_an_entry_without_a_timestamp_is_written_at_the_receive_time(receiver: Receiver, logs: Any) -> None:
    timed = request_entry(1, 200, 12.0)
    untimed = {key: value for key, value in request_entry(2, 200, 15.0).items() if key != "timestamp"}
    assert receiver.handle(signed(json.dumps([untimed, timed]).encode()))["statusCode"] == 200
    (stream,) = logs.describe_log_streams(logGroupName=GROUP)["logStreams"]
    written = logs.get_log_events(logGroupName=GROUP, logStreamName=stream["logStreamName"], startFromHead=True)
    stamps = {json.loads(e["message"])["id"]: e["timestamp"] for e in written["events"]}
    assert stamps == {"log-1": timed["timestamp"], "log-2": NOW_MS}, "never at 0, which CloudWatch refuses as too old"
