"""The AWS Foundational Security Best Practices controls this platform falls under, for auditors:
the rule of the pack that enforces each, or why it does not apply here.

The rules are found from the pack itself (each policy's compliance framework); what is written
here is only which controls exist for the services used and, for those no rule enforces, why.
"""

from __future__ import annotations

from dataclasses import dataclass

from policies.guardrails.pack import POLICIES


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    # Why no rule enforces it (empty when one does).
    otherwise: str = ""


CONTROLS = (
    Control(
        "S3.1",
        "account-level Block Public Access",
        "set once per account outside the stacks; every bucket here also blocks public access itself (S3.8)",
    ),
    Control("S3.2", "no public read access"),
    Control("S3.4", "server-side encryption enabled"),
    Control("S3.5", "requests must use SSL"),
    Control("S3.8", "bucket-level Block Public Access"),
    Control(
        "S3.9",
        "server access logging",
        "declared for every data bucket (components/storage.py, BucketLogging to "
        "the log bucket) and tested there; the log bucket itself cannot log to itself",
    ),
    Control("S3.12", "ACLs not used to manage access"),
    Control("S3.13", "lifecycle configurations"),
    Control("S3.14", "versioning enabled"),
    Control(
        "S3.15",
        "Object Lock enabled",
        "on the dumps' and the deploy records' buckets (components/locked_vault.py); "
        "server access logs cannot target a locked bucket and media are replaced by design, so the others use "
        "versioning",
    ),
    Control(
        "S3.17",
        "encrypted at rest with KMS keys",
        "the locked buckets use KMS; media and logs use SSE-S3 because S3 "
        "server access logging cannot write to SSE-KMS and OAC reads need no key policy",
    ),
    Control(
        "S3.20",
        "MFA delete",
        "needs the root account's MFA on every change; Object Lock and versioning protect the evidence instead",
    ),
    Control("CloudFront.1", "default root object", "no distribution serves a site root: media and assets by key only"),
    Control("CloudFront.3", "HTTPS to viewers"),
    Control("CloudFront.4", "origin failover", "one S3 origin per distribution; S3's own durability is the failover"),
    Control("CloudFront.5", "access logging"),
    Control("CloudFront.6", "WAF enabled"),
    Control(
        "CloudFront.7",
        "custom SSL/TLS certificates",
        "declared with cdnDomains (ACM in us-east-1, sni-only) and judged by cloudfront-modern-tls",
    ),
    Control("CloudFront.9", "encrypted traffic to custom origins", "no custom origins: S3 origins through OAC, signed"),
    Control("CloudFront.13", "origin access control"),
    Control("CloudFront.15", "modern TLS policy to viewers"),
    Control("IAM.21", "no wildcard actions in customer managed policies"),
    Control("KMS.4", "key rotation enabled"),
    Control("SNS.1", "topics encrypted at rest with KMS"),
)


def enforcing_rules() -> dict[str, list[str]]:
    """Control id -> the pack's rules that map to it."""
    rules: dict[str, list[str]] = {}
    for policy in POLICIES:
        framework = policy.framework
        if framework and framework.reference and str(framework.name).startswith("AWS Foundational"):
            rules.setdefault(framework.reference, []).append(policy.name)
    return rules


def coverage_markdown() -> str:
    rules = enforcing_rules()
    lines = [
        "## Control coverage (AWS Foundational Security Best Practices)",
        "",
        "| control | what | enforced by | or why not |",
        "|---|---|---|---|",
    ]
    for control in CONTROLS:
        enforced = ", ".join(f"`{name}`" for name in sorted(rules.get(control.id, [])))
        lines.append(f"| {control.id} | {control.title} | {enforced} | {control.otherwise} |")
    return "\n".join(lines) + "\n"
