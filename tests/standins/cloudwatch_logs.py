"""CloudWatch Logs on moto, with the limits of ``PutLogEvents`` that moto does not enforce: per
call at most 10,000 events and 1,048,576 bytes (each event's UTF-8 message plus 26 bytes), in time
order, spanning at most 24 hours; each event at most 256 KB, its 26 bytes included (the API
reference; later revisions allow 1 MB, the stricter figure is held here). A call that breaks one
is refused as the service refuses it (``InvalidParameterException``), and nothing of it is kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

MAX_EVENTS = 10_000
MAX_BYTES = 1_048_576
OVERHEAD = 26
MAX_SPAN_MS = 24 * 60 * 60 * 1000
MAX_EVENT_BYTES = 256 * 1024


def _refused(message: str) -> ClientError:
    return ClientError({"Error": {"Code": "InvalidParameterException", "Message": message}}, "PutLogEvents")


@dataclass
class LimitedLogs:
    moto: Any
    calls: list[int] = field(default_factory=list)  # events per accepted call

    def put_log_events(self, **kwargs: Any) -> Any:
        events = kwargs["logEvents"]
        sizes = [len(str(e["message"]).encode()) + OVERHEAD for e in events]
        stamps = [int(e["timestamp"]) for e in events]
        if len(events) > MAX_EVENTS:
            raise _refused(f"{len(events)} events in one call (at most {MAX_EVENTS})")
        if sum(sizes) > MAX_BYTES:
            raise _refused(f"{sum(sizes)} bytes in one call (at most {MAX_BYTES})")
        if max(sizes, default=0) > MAX_EVENT_BYTES:
            raise _refused(f"an event of {max(sizes)} bytes (at most {MAX_EVENT_BYTES})")
        if stamps != sorted(stamps):
            raise _refused("log events not in chronological order")
        if stamps and stamps[-1] - stamps[0] > MAX_SPAN_MS:
            raise _refused("a batch of log events cannot span more than 24 hours")
        self.calls.append(len(events))
        return self.moto.put_log_events(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.moto, name)
