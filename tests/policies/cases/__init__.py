"""One cases module per guardrail module (``policies/guardrails/<module>.py``), each listing how to
break the real prod plan so that exactly its policies fire."""

from __future__ import annotations

from types import ModuleType

from tests.policies.breaking import Case
from tests.policies.cases import (
    cloudfront,
    drains,
    iam,
    kms,
    review,
    s3,
    sns,
    supabase,
    supabase_backups,
    supabase_settings,
    upstash,
    vercel,
)

MODULES: dict[str, ModuleType] = {
    module.__name__.rsplit(".", 1)[1]: module
    for module in (
        s3,
        cloudfront,
        iam,
        kms,
        sns,
        vercel,
        drains,
        upstash,
        supabase,
        supabase_settings,
        supabase_backups,
        review,
    )
}
# Broken in the real prod plan; the review rules are broken in a review stack's plan
# (tests/policies/test_review_policies.py), judged with the review config.
FIRING: list[Case] = [case for name, module in MODULES.items() if name != "review" for case in module.CASES]
REVIEW_FIRING: list[Case] = list(review.CASES)
