"""Firing cases of ``policies/guardrails/drains.py``: each breaks one thing in the real prod plan."""

from __future__ import annotations

from tests.policies.breaking import Case, detached, edited, setter

LOG_DRAIN = "vercel:index/logDrain:LogDrain"
FUNCTION = "aws:lambda/function:Function"

CASES: list[Case] = [
    ("vercel-log-drain-signed", lambda p: detached(p, LOG_DRAIN, "log-drain", "secret"), "has no secret"),
    (
        "vercel-log-drain-signed",
        lambda p: edited(p, LOG_DRAIN, "log-drain", setter("secret", "short-secret")),
        "shorter than 32 characters",
    ),
    (
        "vercel-log-drain-signed",
        lambda p: detached(p, LOG_DRAIN, "log-drain", "endpoint", "http://logs.example.com/drain"),
        "not over HTTPS",
    ),
    (
        "lambda-url-checks-signatures",
        lambda p: edited(p, FUNCTION, "log-drain-receiver", setter("environment", {"variables": {"STACK": "prod"}})),
        "has no LOG_DRAIN_SECRET",
    ),
]
