"""Firing cases of ``policies/guardrails/sns.py``: each breaks one thing in the real prod plan."""

from __future__ import annotations

from tests.policies.breaking import TOPIC, Case, detached

CASES: list[Case] = [
    (
        "sns-topic-customer-managed-key",
        lambda p: detached(p, TOPIC, "alerts", "kmsMasterKeyId", "alias/aws/sns"),
        "uses the AWS-managed key 'alias/aws/sns'",
    ),
    (
        "sns-topic-customer-managed-key",
        lambda p: detached(p, TOPIC, "alerts", "kmsMasterKeyId"),
        "topic is not encrypted",
    ),
]
