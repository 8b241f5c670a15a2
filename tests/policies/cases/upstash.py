"""Firing cases of ``policies/guardrails/upstash.py``: each breaks one thing in the real prod plan."""

from __future__ import annotations

from tests.policies.breaking import REDIS, Case, edited, setter

CASES: list[Case] = [
    ("upstash-cache-eviction", lambda p: edited(p, REDIS, "cache", setter("eviction", False)), "a cache must evict"),
    (
        "upstash-global-region",
        lambda p: edited(p, REDIS, "ratelimit", setter("region", "us-east-1")),
        "region must be 'global'",
    ),
]
