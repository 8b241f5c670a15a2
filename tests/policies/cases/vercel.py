"""Firing cases of ``policies/guardrails/vercel.py``: each breaks one thing in the real prod plan."""

from __future__ import annotations

import dataclasses

from preview.plan import Plan
from tests.policies.breaking import BUCKET, ENV_VAR, Case, dropping, edited, plus, setter, variable, without


def preview_from_prod(plan: Plan) -> Plan:
    """A preview bucket name computed from prod's own bucket (not read from the preview stack)."""
    bucket = plan.named(BUCKET, "cdn")
    added = plus(plan, ENV_VAR, "s3-bucket-cdn-preview", {**variable("S3_BUCKET_CDN"), "targets": ["preview"]})
    last = dataclasses.replace(added.registrations[-1], property_dependencies={"value": [bucket.urn]})
    return Plan(added.stack, [*added.registrations[:-1], last], added.outputs)


CASES: list[Case] = [
    (
        "vercel-secrets-sensitive",
        lambda p: edited(p, ENV_VAR, "supabase-service-key", setter("sensitive", False)),
        "SUPABASE_SERVICE_KEY: holds a credential",
    ),
    (
        "vercel-secrets-sensitive",
        lambda p: edited(p, ENV_VAR, "node-env", dropping("sensitive")),
        "NODE_ENV: sensitive must be set explicitly",
    ),
    (
        "vercel-nothing-secret-public",
        lambda p: plus(p, ENV_VAR, "leak", variable("NEXT_PUBLIC_SUPABASE_SERVICE_KEY")),
        "NEXT_PUBLIC_SUPABASE_SERVICE_KEY: NEXT_PUBLIC_ values are inlined",
    ),
    (
        "vercel-reserved-names",
        lambda p: plus(p, ENV_VAR, "lambda", variable("AWS_LAMBDA_FUNCTION_NAME")),
        "AWS_LAMBDA_FUNCTION_NAME: is reserved",
    ),
    ("vercel-reserved-names", lambda p: plus(p, ENV_VAR, "tz", variable("TZ")), "TZ: is reserved"),
    (
        "vercel-required-variables",
        lambda p: without(p, ENV_VAR, "s3-bucket-cdn"),
        "S3_BUCKET_CDN is not set for production",
    ),
    ("vercel-required-variables", lambda p: without(p, ENV_VAR, "aws-role-arn"), "the app has no AWS credentials"),
    (
        "vercel-preview-isolated",
        lambda p: edited(p, ENV_VAR, "next-public-supabase-url", setter("targets", ["production", "preview"])),
        "NEXT_PUBLIC_SUPABASE_URL: one variable serves production and preview",
    ),
    (
        "vercel-preview-isolated",
        lambda p: plus(
            p,
            ENV_VAR,
            "copied",
            {
                **variable("NEXT_PUBLIC_SUPABASE_URL"),
                "targets": ["preview"],
                "value": p.named(ENV_VAR, "next-public-supabase-url").inputs["value"],
            },
        ),
        "NEXT_PUBLIC_SUPABASE_URL: the preview value is production's value",
    ),
    (
        "vercel-preview-isolated",
        preview_from_prod,
        "S3_BUCKET_CDN: the preview value is computed from this stack's",
    ),
    (
        # Half a backend: dev's Supabase, and nothing for the cache, buckets or role.
        "vercel-preview-isolated",
        lambda p: plus(
            p,
            ENV_VAR,
            "half",
            {
                **variable("NEXT_PUBLIC_SUPABASE_URL"),
                "targets": ["preview"],
                "value": "https://devnewcoolprojectaaa.supabase.co",
            },
        ),
        "previews get half a backend: no preview value for AWS_REGION, NEXT_PUBLIC_SUPABASE_ANON_KEY",
    ),
]
