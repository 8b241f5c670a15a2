"""The preflight's read of the live Vercel project: the project, its domain and its variables,
each with its import id and what the first `up` changes or cannot do."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from clients.http import ApiError
from clients.vercel import VercelApi, live_targets
from live_state import LiveResource
from operations.adoption import live_record
from operations.adoption.findings import Finding, StackFacts


def check_vercel(
    api: VercelApi, facts: StackFacts, records: list[LiveResource]
) -> tuple[list[Finding], dict[str, Any]]:
    adopt: dict[str, Any] = {}
    try:
        project = api.project(facts.project_name)
    except ApiError as error:
        if error.status == 404:
            return [
                Finding(f"Vercel project {facts.project_name}", exists=False, changes=["created by the first up"])
            ], adopt
        raise
    project_id = f"{facts.team_id}/{project['id']}"
    adopt["vercelProject"] = project_id
    records.append(live_record.vercel_project(project, facts.team_id))
    findings = [
        Finding(
            f"Vercel project {facts.project_name}",
            exists=True,
            import_id=project_id,
            changes=["its settings (git repository, function region, OIDC, protection) take the declared values"],
        )
    ]
    if facts.log_drain or facts.vercel_alert_rule:
        findings.append(_plan_allows(project, facts))
    domains = {d["name"]: d for d in api.domains(project["id"])}
    if facts.domain in domains:
        adopt["vercelDomains"] = {facts.domain: f"{project_id}/{facts.domain}"}
        records.append(live_record.vercel_domain(project["id"], facts.team_id, facts.domain))
        findings.append(Finding(f"Vercel domain {facts.domain}", exists=True, import_id=f"{project_id}/{facts.domain}"))
    else:
        findings.append(Finding(f"Vercel domain {facts.domain}", exists=False, changes=["added by the first up"]))
    for other in sorted(set(domains) - {facts.domain}):
        findings.append(
            Finding(f"Vercel domain {other}", exists=True, changes=["not in the code: stays attached, unmanaged"])
        )
    live_variables = api.variables(project["id"])
    variables, variable_findings = _variables(live_variables, facts.variables, project_id)
    adopted_ids = {import_id.rsplit("/", 1)[1] for import_id in variables.values()}
    records += [
        live_record.vercel_variable(entry, project["id"], facts.team_id)
        for entry in live_variables
        if entry["id"] in adopted_ids
    ]
    if variables:
        adopt["vercelVariables"] = variables
    return findings + variable_findings, adopt


def _plan_allows(project: Mapping[str, Any], facts: StackFacts) -> Finding:
    """Log drains, and Observability Plus (the alert rule's add-on), need a Pro or Enterprise team;
    each deployment getProject lists records the plan it was made on."""
    plan = next((d["plan"] for d in project.get("latestDeployments") or [] if d.get("plan")), None)
    needs = [
        what
        for what, wanted in (("log drains", facts.log_drain), ("Observability Plus", facts.vercel_alert_rule))
        if wanted
    ]
    if plan == "hobby":
        return Finding(
            "Vercel plan (hobby)",
            exists=True,
            blockers=[f"{' and '.join(needs)} need Pro or Enterprise: upgrade the team, or turn them off in dev"],
        )
    if plan is None:
        return Finding(
            "Vercel plan", exists=False, changes=[f"not shown (no deployment yet): {' and '.join(needs)} need Pro"]
        )
    return Finding(f"Vercel plan ({plan})", exists=True, changes=[f"allows {' and '.join(needs)}"])


def _variables(
    live: Iterable[Mapping[str, Any]], declared: Mapping[str, set[str]], project_id: str
) -> tuple[dict[str, str], list[Finding]]:
    adopted: dict[str, str] = {}
    findings: list[Finding] = []
    by_key: dict[str, list[Mapping[str, Any]]] = {}
    for entry in live:
        by_key.setdefault(str(entry["key"]), []).append(entry)
    for key, entries in sorted(by_key.items()):
        if key not in declared:
            findings.append(
                Finding(
                    f"Vercel variable {key}",
                    exists=True,
                    changes=["not in the code: stays on the project, unmanaged (remove it once nothing reads it)"],
                )
            )
            continue
        production = next((e for e in entries if "production" in live_targets(e)), None)
        for entry in entries:
            targets = live_targets(entry)
            if entry is production:
                import_id = f"{project_id}/{entry['id']}"
                adopted[key] = import_id
                findings.append(
                    Finding(
                        f"Vercel variable {key} ({', '.join(sorted(targets))})",
                        exists=True,
                        import_id=import_id,
                        changes=["its value, targets and sensitivity take the declared ones"],
                    )
                )
            elif targets & declared[key]:
                findings.append(
                    Finding(
                        f"Vercel variable {key} ({', '.join(sorted(targets))})",
                        exists=True,
                        blockers=[
                            f"a second entry for a target the stack declares: Vercel refuses the stack's variable "
                            f"(ENV_ALREADY_EXISTS); delete this entry ({entry['id']}) first"
                        ],
                    )
                )
            else:
                findings.append(
                    Finding(
                        f"Vercel variable {key} ({', '.join(sorted(targets))})",
                        exists=True,
                        changes=["a target the stack does not declare: stays, unmanaged"],
                    )
                )
    return adopted, findings
