"""Which AWS account each stack deploys to, and what two stacks in one account must not both create.

Each stack file pins its account (``aws:allowedAccountIds``), so a run with another account's
credentials stops before any change. IAM holds one OIDC provider per account and URL: if dev and
prod share an account and a Vercel team, only one stack may create the provider for
``oidc.vercel.com/<team>``; the other names it with ``awsOidcProviderArn``, or its first `up`
fails on an entity that already exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stack_config.reader import ConfigError
from stack_config.stack_file import ROOT, stack_file_config
from stack_config.vocabulary import ENVIRONMENTS, PROJECT

ACCOUNT_KEY = "aws:allowedAccountIds"
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")


def pinned_accounts(stack: str, config: Mapping[str, str]) -> frozenset[str]:
    """The account ids the stack file pins; refused when missing or malformed."""
    where = f"Pulumi.{stack}.yaml: {ACCOUNT_KEY}"
    if ACCOUNT_KEY not in config:
        raise ConfigError(f"{where} is required: the AWS account this stack deploys to, e.g. ['123456789012']")
    try:
        accounts: Any = json.loads(config[ACCOUNT_KEY])
    except json.JSONDecodeError:
        accounts = config[ACCOUNT_KEY]
    if not isinstance(accounts, list) or not accounts or not all(_ACCOUNT_ID.match(str(a)) for a in accounts):
        raise ConfigError(f"{where} must list 12-digit AWS account ids, got {config[ACCOUNT_KEY]!r}")
    return frozenset(str(account) for account in accounts)


def allowed_accounts(stack: str, root: Path = ROOT) -> frozenset[str]:
    """The accounts the stack file pins, for an operator command's AWS account guard
    (``clients.aws.guarded_client``)."""
    return pinned_accounts(stack, stack_file_config(stack, root)[0])


def _creates_oidc_provider(config: Mapping[str, str]) -> str | None:
    """The Vercel team whose OIDC provider the stack creates (None when it reuses one, or uses keys)."""
    if f"{PROJECT}:awsOidcProviderArn" in config or config.get(f"{PROJECT}:awsAccess", "oidc") != "oidc":
        return None
    try:
        team = json.loads(config.get(f"{PROJECT}:vercel", "{}")).get("team")
    except (json.JSONDecodeError, AttributeError):
        return None
    return str(team) if team else None


def check_accounts(stack: str, config: Mapping[str, str], other_stack_config: Mapping[str, Mapping[str, str]]) -> None:
    """Refuses a stack without a pinned account, or one whose OIDC provider collides with another
    stack's in the same account (``other_stack_config``: the other stack files' flat config)."""
    accounts = pinned_accounts(stack, config)
    team = _creates_oidc_provider(config)
    for other, other_config in sorted(other_stack_config.items()):
        if other == stack or ACCOUNT_KEY not in other_config:
            continue
        shared = accounts & pinned_accounts(other, other_config)
        if shared and team is not None and _creates_oidc_provider(other_config) == team:
            raise ConfigError(
                f"Pulumi.{stack}.yaml: {PROJECT}:awsOidcProviderArn is required: {stack} and {other} share AWS "
                f"account {min(shared)} and both would create the IAM OIDC provider oidc.vercel.com/{team}, which "
                "exists once per account; let one stack create it and name its ARN in the other"
            )


def other_stacks(stack: str, root: Path = ROOT) -> dict[str, dict[str, str]]:
    """The flat config of the other stack files beside this one (read as the CLI would)."""
    return {
        other: stack_file_config(other, root)[0]
        for other in ENVIRONMENTS
        if other != stack and (root / f"Pulumi.{other}.yaml").exists()
    }
