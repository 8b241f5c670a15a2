"""One way to make an AWS client: retries and timeouts stated here, never whatever defaults the
installed botocore happens to have.

Standard retry mode retries throttling and transient errors with backoff; the timeouts bound a
call that would otherwise hang an operator command or a dynamic provider's step.
"""

from __future__ import annotations

from typing import Any

RETRY_MODE = "standard"
MAX_RETRIES = 4  # botocore counts retries after the first attempt: five calls in all
CONNECT_TIMEOUT_SECONDS = 10
READ_TIMEOUT_SECONDS = 60


def client_config() -> Any:
    from botocore.config import Config  # noqa: PLC0415 (boto3 loads only where AWS is called)

    return Config(
        retries={"mode": RETRY_MODE, "max_attempts": MAX_RETRIES},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
    )


def client(service: str, region: str | None = None, session: Any = None) -> Any:
    """A boto3 client for ``service`` in ``region`` (the session's default when None)."""
    if session is None:
        import boto3  # noqa: PLC0415 (see client_config)

        session = boto3.Session()
    return session.client(service, region_name=region, config=client_config())
