"""Firing cases of ``policies/guardrails/vercel.py``: each breaks one thing in the real prod plan."""

from __future__ import annotations

from tests.policies.breaking import ENV_VAR, Case, dropping, edited, plus, setter, variable, without

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
]
