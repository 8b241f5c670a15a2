"""Every policy of the pack, by service, and the enforcement each stack gets."""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, Policy

from . import (
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
from .common import STACKS, enforcement_for

POLICIES: list[Policy] = [
    *s3.POLICIES,
    *cloudfront.POLICIES,
    *iam.POLICIES,
    *kms.POLICIES,
    *sns.POLICIES,
    *vercel.POLICIES,
    *drains.POLICIES,
    *upstash.POLICIES,
    *supabase.POLICIES,
    *supabase_settings.POLICIES,
    *supabase_backups.POLICIES,
    *review.POLICIES,
]


# Where a stack deliberately differs from the rule, said here so the config file shows auditors.
STACK_OPTIONS: dict[str, dict[str, dict[str, Any]]] = {
    "dev": {
        # Developers sign in to the dev project from their laptops.
        "supabase-auth-redirects": {"allowLocalhost": True},
        # The dev project holds dev data only: PITR would protect nothing worth its price.
        "supabase-point-in-time-recovery": {"required": False},
        # The dev database holds dev data only and is reached from anywhere.
        "supabase-network-restricted": {"allowAnyAddress": True},
        # Dev's one backend holds dev data only; its previews share it.
        "vercel-preview-isolated": {"sharedBackendAllowed": True},
    },
    "prod": {},
}


def stack_config(stack: str) -> dict[str, dict[str, Any]]:
    """The policy pack config for one stack: `--policy-pack-config policies/config.<stack>.json`."""
    if stack not in STACKS:
        raise ValueError(f"unknown stack {stack!r}")
    return {
        policy.name: {
            "enforcementLevel": enforcement_for(policy, stack).value,
            **STACK_OPTIONS[stack].get(policy.name, {}),
        }
        for policy in POLICIES
    }


def review_config(prod_markers: list[str]) -> dict[str, dict[str, Any]]:
    """The pack config every review stack (pr-<N>) is judged with: dev's enforcement, the review
    rules on with prod's identifiers to refuse (tools/docs.py reads them from prod's stack file)."""
    config: dict[str, dict[str, Any]] = {
        policy.name: {"enforcementLevel": enforcement_for(policy, "dev").value} for policy in POLICIES
    }
    for policy in review.POLICIES:
        config[policy.name]["reviewStack"] = True
    config["review-no-prod-backend"]["prodMarkers"] = sorted(set(prod_markers))
    # A branch's network, SSL and key settings are Supabase's branch defaults: it holds seed data only.
    # A branch has no add-ons and no backups of its own: it holds seed data for days.
    for name in ("supabase-settings-declared", "supabase-point-in-time-recovery"):
        config[name]["enforcementLevel"] = "disabled"
    return config


def enforcement_table() -> dict[str, dict[str, EnforcementLevel]]:
    return {policy.name: {stack: enforcement_for(policy, stack) for stack in STACKS} for policy in POLICIES}
