"""Serves the newcool-guardrails pack to the Pulumi engine (or to `make preview`): prints its port."""

import sys
from pathlib import Path

# The engine runs this file from policies/; the policy modules import as the `policies` package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.common import PACK_NAME
from policies.pack import POLICIES

PolicyPack(
    name=PACK_NAME,
    policies=POLICIES,
    # Stacks lower this per policy through policies/config.<stack>.json; unconfigured is strict.
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Guardrails for newcool-infra: S3, CloudFront, IAM, Vercel, Upstash, Supabase.",
)
