"""Firing cases of ``policies/guardrails/kms.py``: each breaks one thing in the real prod plan."""

from __future__ import annotations

from tests.policies.breaking import Case, edited, setter

CASES: list[Case] = [
    (
        "kms-key-rotation",
        lambda p: edited(p, "aws:kms/key:Key", "alerts-key", setter("enableKeyRotation", False)),
        "enable_key_rotation must be true",
    ),
]
