"""Serves the newcool-guardrails pack to the Pulumi engine (or to `make preview`): prints its port.

The engine runs this directory (`python -m pulumi.policy <engine> <pack dir>`), which puts the
directory itself first on sys.path: the rules import as `guardrails`, from here only.
"""

from guardrails.common import PACK_NAME
from guardrails.pack import POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=PACK_NAME,
    policies=POLICIES,
    # Stacks lower this per policy through policies/config.<stack>.json; unconfigured is strict.
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Guardrails for newcool-infra: S3, CloudFront, IAM, Vercel, Upstash, Supabase.",
)
