"""The receiver of the Vercel log drain: an AWS Lambda function behind a function URL.

Vercel POSTs batches of log entries (a JSON array, or NDJSON) signed with the drain's secret:
``x-vercel-signature`` is the hex HMAC-SHA1 of the raw body. The receiver
- answers Vercel's endpoint verification (a GET, or an empty POST) with ``x-vercel-verify``, and
  changes nothing;
- refuses (403, no effect) a POST that is unsigned, whose signature does not match, or whose
  newest entry is older than ``REPLAY_WINDOW_MS`` (the signature has no timestamp of its own, so
  a replayed batch is recognised by its entries' age) or too far in the future;
- writes the entries of an accepted batch to the drain's CloudWatch log group, whole: in as many
  ``PutLogEvents`` calls (chunks) as the call's limits need, a message over the event size
  truncated with a marker rather than dropped, an entry without a timestamp at the time it was
  received. Each chunk has its own stream, named by the batch's hash and the chunk's index; a
  chunk whose stream holds events is written. A batch Vercel delivers again (a call or the
  function failed midway, or its reply was lost) writes only the chunks not yet written, so
  nothing is lost and nothing written twice (a retry within the seconds CloudWatch takes to show
  a write could write that one chunk again: at least once, never lost);
- prints one CloudWatch embedded-metric-format (EMF) record per batch of request metrics:
  ``Requests`` and ``Errors5xx`` (counts) and ``Duration`` (milliseconds, one value per request,
  so CloudWatch's p95 is over requests). Lambda's log group extracts them into ``NewCool/App``.
  The delivery that writes the batch's last missing chunk emits them, so a batch is never
  counted twice (the 5xx alarm reads these counts); a function that dies between that write and
  the print loses that one batch's metrics, never its entries.

It refuses to start without its secret: ``LOG_DRAIN_SECRET`` (and ``DRAIN_LOG_GROUP``,
``VERCEL_VERIFY_CODE``, ``STACK``) must be set, so a deployment that forgot the secret fails
every request instead of accepting unsigned ones. It imports nothing of this repository: the
file is the function's whole package (with the runtime's boto3).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass
from typing import Any

SECRET_ENVIRONMENT = "LOG_DRAIN_SECRET"  # noqa: S105 (a variable's name)
REQUIRED_ENVIRONMENT = (SECRET_ENVIRONMENT, "DRAIN_LOG_GROUP", "VERCEL_VERIFY_CODE", "STACK")
SIGNATURE_HEADER = "x-vercel-signature"
VERIFY_HEADER = "x-vercel-verify"
METRIC_NAMESPACE = "NewCool/App"
# Vercel delivers within seconds; a batch whose newest entry is older than this is a replay.
REPLAY_WINDOW_MS = 5 * 60 * 1000
FUTURE_SKEW_MS = 60 * 1000
# EMF takes at most 100 values per metric in one record.
EMF_MAX_VALUES = 100
# PutLogEvents' limits (CloudWatch Logs API reference): per call 10,000 events and 1,048,576 bytes,
# counting each event's UTF-8 message plus 26 bytes, spanning at most 24 hours; each event at most
# 256 KB, its 26 bytes included (newer revisions of the reference allow 1 MB: this fits both).
MAX_CALL_EVENTS = 10_000
MAX_CALL_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26
MAX_CALL_SPAN_MS = 24 * 60 * 60 * 1000
MAX_MESSAGE_BYTES = 256 * 1024 - EVENT_OVERHEAD_BYTES
TRUNCATED = " [truncated by the log drain receiver: {size} bytes]"
# The runtime's boto3 with stated retries and timeouts (this file imports nothing of the
# repository, so it cannot use clients/aws.py; the values are the same).
BOTO_CONFIG = {
    "retries": {"mode": "standard", "max_attempts": 4},
    "connect_timeout": 10,
    "read_timeout": 60,
}


class MisconfiguredError(RuntimeError):
    """The function was deployed without what it needs: it serves nothing."""


@dataclass(frozen=True)
class Settings:
    secret: bytes
    log_group: str
    verify_code: str
    stack: str

    @classmethod
    def from_environment(cls) -> Settings:
        missing = [name for name in REQUIRED_ENVIRONMENT if not os.environ.get(name)]
        if missing:
            raise MisconfiguredError(f"refusing to start: {', '.join(missing)} not set")
        return cls(
            secret=os.environ[SECRET_ENVIRONMENT].encode(),
            log_group=os.environ["DRAIN_LOG_GROUP"],
            verify_code=os.environ["VERCEL_VERIFY_CODE"],
            stack=os.environ["STACK"],
        )


def signature(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha1).hexdigest()


def entries_of(body: bytes) -> list[dict[str, Any]]:
    """A JSON array or NDJSON; anything else is no entries."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return []
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = [json.loads(line) for line in text.splitlines() if line.strip()]
    items = parsed if isinstance(parsed, list) else [parsed]
    return [item for item in items if isinstance(item, dict)]


def fitted(message: str) -> str:
    """The message within the event size limit: whole, or cut at a character with a marker saying
    how large it was."""
    encoded = message.encode()
    if len(encoded) <= MAX_MESSAGE_BYTES:
        return message
    marker = TRUNCATED.format(size=len(encoded))
    kept = encoded[: MAX_MESSAGE_BYTES - len(marker.encode())].decode("utf-8", errors="ignore")
    return kept + marker


def calls(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Events in time order, cut into PutLogEvents calls that each keep within the call's limits."""
    batches: list[list[dict[str, Any]]] = []
    size = 0
    for event in sorted(events, key=lambda e: int(e["timestamp"])):
        cost = len(str(event["message"]).encode()) + EVENT_OVERHEAD_BYTES
        current = batches[-1] if batches else None
        if (
            current is None
            or len(current) >= MAX_CALL_EVENTS
            or size + cost > MAX_CALL_BYTES
            or int(event["timestamp"]) - int(current[0]["timestamp"]) >= MAX_CALL_SPAN_MS
        ):
            batches.append([])
            size = 0
        batches[-1].append(event)
        size += cost
    return batches


def request_metrics(entries: list[dict[str, Any]]) -> tuple[int, int, list[float]]:
    """(requests, 5xx, durations): one request per requestId that carries a proxy (the edge's
    record of the request), its status from the proxy; durations where Vercel gives one."""
    requests: dict[str, tuple[int, float | None]] = {}
    for entry in entries:
        proxy = entry.get("proxy")
        if not isinstance(proxy, dict):
            continue
        key = str(entry.get("requestId") or entry.get("id"))
        status = int(proxy.get("statusCode") or entry.get("statusCode") or 0)
        duration = entry.get("durationMs", proxy.get("durationMs"))
        known = requests.get(key)
        requests[key] = (max(status, known[0] if known else 0), float(duration) if duration is not None else None)
    durations = [duration for _, duration in requests.values() if duration is not None]
    return len(requests), sum(1 for status, _ in requests.values() if status >= 500), durations


def emf_records(stack: str, now_ms: int, requests: int, errors: int, durations: list[float]) -> list[dict[str, Any]]:
    """The EMF records of one batch: counts in the first, durations 100 to a record."""
    chunks = [durations[i : i + EMF_MAX_VALUES] for i in range(0, len(durations), EMF_MAX_VALUES)] or [[]]
    records = []
    for index, chunk in enumerate(chunks):
        values: dict[str, Any] = {"Requests": requests, "Errors5xx": errors} if index == 0 else {}
        if chunk:
            values["Duration"] = chunk
        if not values:
            continue
        units = {"Requests": "Count", "Errors5xx": "Count", "Duration": "Milliseconds"}
        records.append(
            {
                "_aws": {
                    "Timestamp": now_ms,
                    "CloudWatchMetrics": [
                        {
                            "Namespace": METRIC_NAMESPACE,
                            "Dimensions": [["Stack"]],
                            "Metrics": [{"Name": name, "Unit": units[name]} for name in values],
                        }
                    ],
                },
                "Stack": stack,
                **values,
            }
        )
    return records


def _answer(status: int, body: dict[str, Any], settings: Settings) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", VERIFY_HEADER: settings.verify_code},
        "body": json.dumps(body),
    }


class Receiver:
    def __init__(self, settings: Settings, logs: Any = None, clock: Any = time.time, emit: Any = print) -> None:
        self.settings = settings
        self._logs = logs
        self._clock = clock
        self._emit = emit

    def logs(self) -> Any:
        if self._logs is None:
            import boto3  # noqa: PLC0415 (the runtime's; only once a batch is accepted)
            from botocore.config import Config  # noqa: PLC0415 (see above)

            self._logs = boto3.client("logs", config=Config(**BOTO_CONFIG))
        return self._logs

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        method = event.get("requestContext", {}).get("http", {}).get("method", "")
        if method in ("GET", "HEAD"):
            return _answer(200, {"verify": True}, self.settings)  # Vercel's endpoint verification
        if method != "POST":
            return _answer(405, {"error": "method not allowed"}, self.settings)
        status, answer = self._receive(event)
        return _answer(status, answer, self.settings)

    def _receive(self, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """A POSTed batch: refused with no effect, or kept and measured."""
        raw = event.get("body") or ""
        body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode()
        if not body.strip():
            # An empty POST carries nothing to write: answered like the verification GET, in case
            # Vercel verifies with one.
            return 200, {"verify": True}
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        sent = headers.get(SIGNATURE_HEADER, "")
        if not sent or not hmac.compare_digest(signature(self.settings.secret, body), sent):
            return 403, {"error": "signature missing or wrong"}
        try:
            entries = entries_of(body)
        except ValueError:
            return 400, {"error": "not JSON"}
        now_ms = int(self._clock() * 1000)
        stamps = [int(e["timestamp"]) for e in entries if _timed(e)]
        if not stamps:
            return 200, {"accepted": 0}
        newest = max(stamps)
        if now_ms - newest > REPLAY_WINDOW_MS or newest - now_ms > FUTURE_SKEW_MS:
            return 403, {"error": "outside the replay window"}
        return self._keep(entries, hashlib.sha256(body).hexdigest(), now_ms)

    def _keep(self, entries: list[dict[str, Any]], batch: str, now_ms: int) -> tuple[int, dict[str, Any]]:
        """Written whole, and measured by the delivery that completes it (``batch``: its hash)."""
        if not self._write(entries, batch, now_ms):
            return 200, {"accepted": len(entries), "alreadyWritten": True}
        for record in emf_records(self.settings.stack, now_ms, *request_metrics(entries)):
            self._emit(json.dumps(record))
        return 200, {"accepted": len(entries)}

    def _write(self, entries: list[dict[str, Any]], batch: str, now_ms: int) -> bool:
        """Writes the chunks not yet written, each to its own stream; False when all were."""
        # An entry without a timestamp is written at the receive time (not before the batch's newest
        # entry, to keep the order). Chunks are cut on the latest such time an accepted batch can
        # have, so every delivery of a batch cuts the same chunks.
        latest = max(int(e["timestamp"]) for e in entries if _timed(e))
        received = max(now_ms, latest)
        planned = [
            {
                "timestamp": int(e["timestamp"]) if _timed(e) else latest + REPLAY_WINDOW_MS,
                "message": fitted(json.dumps(e)),
                "untimed": not _timed(e),
            }
            for e in entries
        ]
        wrote = False
        for index, chunk in enumerate(calls(planned)):
            stream = f"{batch}-{index}"
            if self._chunk_written(stream):
                continue
            events = [
                {"timestamp": received if e["untimed"] else e["timestamp"], "message": e["message"]} for e in chunk
            ]
            self.logs().put_log_events(logGroupName=self.settings.log_group, logStreamName=stream, logEvents=events)
            wrote = True
        return wrote

    def _chunk_written(self, stream: str) -> bool:
        """The chunk's stream exists and holds events (else it is made, or was made by a delivery
        that failed before writing to it)."""
        logs = self.logs()
        try:
            logs.create_log_stream(logGroupName=self.settings.log_group, logStreamName=stream)
        except Exception as error:  # botocore's ClientError, from the runtime's boto3
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            if code != "ResourceAlreadyExistsException":
                raise
            page = logs.get_log_events(
                logGroupName=self.settings.log_group, logStreamName=stream, limit=1, startFromHead=True
            )
            return bool(page.get("events"))
        return False


def _timed(entry: dict[str, Any]) -> bool:
    return isinstance(entry.get("timestamp"), int | float)


_receiver: Receiver | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point: settings read once per cold start (and refused when missing)."""
    global _receiver  # noqa: PLW0603 (one receiver per execution environment)
    if _receiver is None:
        _receiver = Receiver(Settings.from_environment())
    return _receiver.handle(event)
