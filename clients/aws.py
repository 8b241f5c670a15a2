"""One way to make an AWS client: retries and timeouts stated here, never whatever defaults the
installed botocore happens to have.

Standard retry mode retries throttling and transient errors with backoff; the timeouts bound a
call that would otherwise hang an operator command or a dynamic provider's step. Anything that
changes AWS takes its client from ``guarded_client``: the stack's account and region, checked
before the first change.
"""

from __future__ import annotations

from collections.abc import Iterable
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


class AccountGuardError(RuntimeError):
    """AWS credentials for another account or region than the stack's (one line, before any change)."""


def guarded_client(
    service: str, region: str, allowed_accounts: Iterable[str], *, what: str, session: Any = None
) -> Any:
    """A boto3 client for a change, made only once ``sts:GetCallerIdentity`` says the credentials
    belong to one of ``allowed_accounts`` (the stack's ``aws:allowedAccountIds``) and the client
    is bound to ``region``, never the profile's or ``AWS_REGION``'s default.

    The AWS provider refuses to run outside ``allowedAccountIds``; a dynamic provider or an
    operator command calling boto3 with ambient credentials gets the same guard here, so a shell
    still holding another account's credentials stops before it changes anything.
    """
    from clients.aws_errors import error_code  # noqa: PLC0415 (see client_config)

    allowed = sorted(set(allowed_accounts))
    if not region or not allowed:
        raise AccountGuardError(f"{what}: no region or no allowed AWS account given; nothing was changed")
    if session is None:
        import boto3  # noqa: PLC0415 (see client_config)

        session = boto3.Session()
    try:
        account = str(client("sts", region, session).get_caller_identity()["Account"])
    except Exception as error:  # botocore's errors: one line, the code
        code = error_code(error)
        raise AccountGuardError(
            f"{what}: cannot tell which AWS account the credentials belong to ({code}); nothing was changed"
        ) from None
    if account not in allowed:
        raise AccountGuardError(
            f"{what}: the AWS credentials are for account {account}, not the stack's "
            f"{', '.join(allowed)} (aws:allowedAccountIds); nothing was changed"
        )
    made = client(service, region, session)
    if made.meta.region_name != region:
        raise AccountGuardError(f"{what}: the client is in {made.meta.region_name}, not {region}; nothing was changed")
    return made
