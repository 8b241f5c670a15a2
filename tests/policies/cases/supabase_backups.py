"""Firing cases of ``policies/guardrails/supabase_backups.py``: each breaks one thing in the real prod plan."""

from __future__ import annotations

from tests.policies.breaking import PITR, Case, edited, setter, without

CASES: list[Case] = [
    (
        "supabase-point-in-time-recovery",
        lambda p: edited(p, PITR, "pitr", setter("variant", "none")),
        "pitr: no point-in-time recovery and no dated acceptance",
    ),
    (
        "supabase-point-in-time-recovery",
        lambda p: edited(
            p,
            PITR,
            "pitr",
            lambda props: props.update(variant="none", waiver={"reason": "cost", "until": "2026-01-31"}),
        ),
        "the acceptance of running without point-in-time recovery ended on 2026-01-31",
    ),
    (
        "supabase-point-in-time-recovery",
        lambda p: without(p, PITR, "pitr"),
        "the stack declares no PitrAddon",
    ),
]
