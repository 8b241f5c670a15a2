"""The policy verdict as a SARIF 2.1.0 log, for GitHub code scanning.

One rule per policy (its description, why, remediation, severity and the control it maps to),
one result per violation, located at the line of the program that declared the resource (the
source position the SDK sends with each registration). A stack-wide finding that names no
resource points at the stack file. Mandatory violations are errors, advisory ones warnings.
"""

from __future__ import annotations

from typing import Any

from preview.analyzer import Verdict
from preview.plan import Plan

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/"
# GitHub code scanning's severity scale for security results.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "unspecified": "1.0"}
LEVEL = {"mandatory": "error", "advisory": "warning", "remediate": "warning", "disabled": "none"}


def _rule(verdict: Verdict, name: str) -> dict[str, Any]:
    rule = verdict.rules.get(name)
    if rule is None:
        return {"id": name, "name": name, "shortDescription": {"text": name}}
    tags = ["security", *([rule.control] if rule.control else [])]
    return {
        "id": name,
        "name": name,
        "shortDescription": {"text": rule.description},
        "help": {"text": rule.remediation or rule.description},
        "properties": {"tags": tags, "security-severity": SECURITY_SEVERITY[rule.severity], "severity": rule.severity},
    }


def sarif_log(plan: Plan, verdict: Verdict) -> dict[str, Any]:
    names = sorted(verdict.policies)
    index = {name: position for position, name in enumerate(names)}
    by_urn = {r.urn: r for r in plan}
    results = []
    for violation in sorted(verdict.violations, key=lambda v: (v.policy, v.urn, v.message)):
        registration = by_urn.get(violation.urn)
        if registration is not None and registration.source is not None:
            path, line = registration.source
        else:
            path, line = f"Pulumi.{plan.stack}.yaml", 1
        result: dict[str, Any] = {
            "ruleId": violation.policy,
            "ruleIndex": index.get(violation.policy, -1),
            "level": LEVEL.get(violation.enforcement, "warning"),
            "message": {"text": violation.message.split("\n", 1)[-1]},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": line},
                    },
                    **(
                        {"logicalLocations": [{"name": registration.name, "fullyQualifiedName": registration.urn}]}
                        if registration is not None
                        else {}
                    ),
                }
            ],
            "partialFingerprints": {"policyResource/v1": f"{plan.stack}:{violation.policy}:{violation.urn or 'stack'}"},
        }
        if result["ruleIndex"] < 0:
            del result["ruleIndex"]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": verdict.pack,
                        "version": verdict.version,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(verdict, name) for name in names],
                    }
                },
                "automationDetails": {"id": f"newcool-infra/{plan.stack}/"},
                "results": results,
            }
        ],
    }
