"""What every policy module shares: severity-driven enforcement per stack, and document helpers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol, cast

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

PACK_NAME = "newcool-guardrails"
STACKS = ("dev", "prod")
# A rule that only recommends: reported, never blocking, in every stack.
RECOMMENDATION = "recommendation"
# policy name -> why the rule exists, for the auditors' document (pulumi_policy has no field for it).
RATIONALE: dict[str, str] = {}


def fsbp(control: str) -> PolicyComplianceFramework:
    return PolicyComplianceFramework(
        name="AWS Foundational Security Best Practices",
        version="1.0.0",
        reference=control,
        specification=(
            "https://docs.aws.amazon.com/securityhub/latest/userguide/"
            f"{control.split('.', maxsplit=1)[0].lower()}-controls.html"
        ),
    )


def supabase_lint(lint: str) -> PolicyComplianceFramework:
    return PolicyComplianceFramework(
        name="Supabase database linter",
        version="2025",
        reference=lint,
        specification="https://supabase.com/docs/guides/database/database-linter",
    )


def enforcement_for(policy: Policy, stack: str) -> EnforcementLevel:
    """Mandatory in prod; in dev, mandatory for high and critical rules; recommendations advisory."""
    if RECOMMENDATION in (policy.tags or []):
        return EnforcementLevel.ADVISORY
    if stack == "prod" or policy.severity in (Severity.HIGH, Severity.CRITICAL):
        return EnforcementLevel.MANDATORY
    return EnforcementLevel.ADVISORY


class Report(Protocol):
    """ReportViolation as it is called: the URN is optional (stack policies name the resource)."""

    def __call__(self, message: str, urn: str | None = None) -> None: ...


ResourceCheck = Callable[[ResourceValidationArgs, Report], None]
StackCheck = Callable[[StackValidationArgs, Report], None]


def _attributes(
    name: str,
    description: str,
    why: str,
    severity: Severity,
    remediation: str,
    framework: PolicyComplianceFramework | None,
    recommendation: bool,
    config_schema: PolicyConfigSchema | None,
) -> dict[str, Any]:
    """What every policy declares, whatever it validates; records why it exists for the docs."""
    RATIONALE[name] = why
    return {
        "name": name,
        "description": description,
        "severity": severity,
        "framework": framework,
        "remediation_steps": remediation,
        "tags": [RECOMMENDATION] if recommendation else [],
        "config_schema": config_schema,
    }


def resource_policy(
    name: str,
    description: str,
    why: str,
    severity: Severity,
    remediation: str,
    validate: ResourceCheck,
    framework: PolicyComplianceFramework | None = None,
    recommendation: bool = False,
    config_schema: PolicyConfigSchema | None = None,
) -> ResourceValidationPolicy:
    def run(args: ResourceValidationArgs, report: ReportViolation) -> None:
        validate(args, cast(Report, report))

    attributes = _attributes(name, description, why, severity, remediation, framework, recommendation, config_schema)
    return ResourceValidationPolicy(validate=run, **attributes)


def stack_policy(
    name: str,
    description: str,
    why: str,
    severity: Severity,
    remediation: str,
    validate: StackCheck,
    framework: PolicyComplianceFramework | None = None,
    recommendation: bool = False,
    config_schema: PolicyConfigSchema | None = None,
) -> StackValidationPolicy:
    def run(args: StackValidationArgs, report: ReportViolation) -> None:
        validate(args, cast(Report, report))

    attributes = _attributes(name, description, why, severity, remediation, framework, recommendation, config_schema)
    return StackValidationPolicy(validate=run, **attributes)


def statements(policy_json: Any) -> list[dict[str, Any]]:
    """The statements of a policy document given as JSON text or a dict."""
    document = json.loads(policy_json) if isinstance(policy_json, str) else policy_json
    found = document.get("Statement", []) if isinstance(document, Mapping) else []
    return as_list(found)


def as_list(value: Any) -> list[Any]:
    """A property as a list (the analyzer hands lists over as read-only Sequence proxies)."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    return [value]


def condition_keys(statement: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(operator, lower-cased key, value) for every condition of a statement."""
    for operator, entries in (statement.get("Condition") or {}).items():
        for key, value in (entries or {}).items():
            yield operator, key.lower(), value
