"""How the offline plan reads: the summary, the verdict, the costs and the tree (secrets masked,
what providers compute shown as ``(known after apply)``), and the machine-readable report."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from preview import costs
from preview.adoption import Prediction, shown
from preview.analyzer import SEVERITY_ORDER, Verdict, policy_config_name
from preview.plan import Plan, Registration, Secret, Unknown

MASK = "[secret]"
KNOWN_AFTER_APPLY = "(known after apply)"
MAX_VALUE_WIDTH = 110


def masked(value: Any) -> Any:  # noqa: PLR0911 (one return per kind of value)
    """The value as it may be shown: every secret replaced by a mask, JSON documents parsed."""
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, Unknown):
        return KNOWN_AFTER_APPLY
    if isinstance(value, float) and value.is_integer():
        # Numbers cross Pulumi's wire as doubles; show 12, as the stack file says, not 12.0.
        return int(value)
    if isinstance(value, dict):
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= MAX_VALUE_WIDTH else text[: MAX_VALUE_WIDTH - 1] + "…"


def _flags(registration: Registration) -> str:
    flags = []
    if registration.protect:
        flags.append("protect")
    if registration.retain_on_delete:
        flags.append("retainOnDelete")
    if registration.import_id:
        flags.append(f"import={registration.import_id}")
    return f" [yellow]({escape(', '.join(flags))})[/]" if flags else ""


def render_plan(plan: Plan, console: Console) -> None:
    tree = Tree(f"[bold]newcool-infra[/] stack [bold]{plan.stack}[/] (offline plan on Pulumi's mock runtime)")
    nodes: dict[str, Tree] = {}
    by_urn = {r.urn: r for r in plan}

    def depth(registration: Registration) -> int:
        parent = by_urn.get(registration.parent)
        return 0 if parent is None else depth(parent) + 1

    # Registration order is concurrent and varies run to run; sort for a stable, diffable plan.
    for registration in sorted(plan, key=lambda r: (depth(r), r.type, r.name)):
        parent = nodes.get(registration.parent, tree)
        label = (
            f"[green]{'=' if registration.import_id else '+'}[/] [cyan]{registration.type}[/] "
            f"[bold]{registration.name}[/]{_flags(registration)}"
        )
        node = parent.add(label)
        nodes[registration.urn] = node
        for key, value in sorted(masked(registration.inputs).items()):
            if key.startswith("__") or value in (None, [], {}):
                continue
            if isinstance(value, dict) and len(_short(value)) >= MAX_VALUE_WIDTH:
                # Settings objects (Supabase's, a distribution's behaviour) read field by field.
                branch = node.add(f"[dim]{key}:[/]", highlight=False)
                for field, item in sorted(value.items()):
                    branch.add(f"[dim]{field}:[/] {escape(_short(item))}", highlight=False)
                continue
            node.add(f"[dim]{key}:[/] {escape(_short(value))}", highlight=False)
    console.print(tree)
    console.print("\nOutputs:")
    for name, value in sorted(masked(plan.outputs).items()):
        console.print(f"  {name}: {escape(_short(value))}", highlight=False)


def render_summary(plan: Plan, verdict: Verdict, warnings: list[str], console: Console) -> None:
    """What matters first: what the first `up` creates and imports, placeholders, the verdict."""
    creates = sum(1 for r in plan if r.custom and not r.import_id)
    imports = [r for r in plan if r.custom and r.import_id]
    mandatory = len(verdict.mandatory)
    advisory = len(verdict.violations) - mandatory
    colour = "red" if mandatory else ("yellow" if advisory else "green")
    console.print(f"[bold]Stack {plan.stack}[/]: [green]{creates} to create[/], [yellow]{len(imports)} to import[/]")
    console.print(
        f"Policy pack: [bold {colour}]{mandatory} mandatory, {advisory} advisory violation(s)[/] "
        f"({len(verdict.policies)} policies; details below)"
    )
    for warning in warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    console.print(escape(plan.secret_sources))
    if imports:
        console.print("Adopted (imported, not created):")
        for registration in sorted(imports, key=lambda r: (r.type, r.name)):
            console.print(f"  [yellow]=[/] {registration.type} {registration.name}: {escape(registration.import_id)}")
    console.print("[dim]Values a provider computes show as (known after apply), as in `pulumi preview`.[/]\n")


def render_prediction(prediction: Prediction, console: Console) -> None:
    """What the engine will do with the imports, and what the second `up` changes."""
    console.print(
        f"[bold]Engine prediction[/] from the recorded live state ({escape(prediction.recorded_at)}, "
        f"{escape(prediction.recorded_by)}):"
    )
    failures = prediction.import_failures
    ok = len(prediction.imports) - len(failures) - len(prediction.unrecorded)
    colour = "red" if failures else "green"
    console.print(f"  first up: [{colour}]{len(failures)} import(s) the engine would refuse[/], {ok} accepted")
    for check in failures:
        props = ", ".join(
            f"{d.property} (declared {escape(shown(d.declared))}, live {escape(shown(d.live))})"
            for d in check.differences
        )
        console.print(
            f"  [red]error:[/] {check.registration.type} {check.registration.name}: inputs to import do not "
            f"match the existing resource: {props}"
        )
    for check in prediction.unrecorded:
        console.print(f"  [yellow]not recorded:[/] {check.registration.type} {check.registration.name}")
    console.print(f"  second up (adopt: removed): {len(prediction.second_up)} adopted resource(s) change")
    for change in prediction.second_up:
        what = ", ".join(d.property for d in change.differences)
        line = f"    {change.kind} {change.registration.type} {change.registration.name}: {what}"
        if change.forcing:
            line += f" (replacement forced by {', '.join(change.forcing)})"
        if change.delete_first:
            line += "; deleted before it is re-created: builds started in between miss it"
        if change.blocked_by_protect:
            line += "; [red]refused: the resource is protected[/]"
        console.print(escape(line) if not change.blocked_by_protect else line, highlight=False)
    console.print()


def render_costs(plan: Plan, console: Console) -> None:
    """The stack's fixed monthly cost at list prices; what depends on usage is only named."""
    fixed = costs.fixed_charges(plan)
    caps = costs.budget_caps(plan)
    title = f"Fixed monthly cost (list prices checked {costs.PRICES_CHECKED})"
    table = Table("resource", "what", "USD / month", title=title)
    for charge in [*fixed, *caps]:
        table.add_row(charge.resource, charge.what, f"{charge.monthly_usd:.2f}")
    console.print(table)
    console.print(f"Fixed: [bold]{costs.total(fixed):.2f} USD[/] a month", end="")
    console.print(f"; Upstash budget caps: at most {costs.total(caps):.2f} USD" if caps else "")
    console.print(f"[dim]Usage-based, not estimated: {'; '.join(costs.USAGE_BASED)}.[/]")


def render_verdict(plan: Plan, verdict: Verdict, console: Console) -> None:
    names = {r.urn: f"{r.type} {r.name}" for r in plan}
    console.print(
        f"\nPolicy pack [bold]{verdict.pack}[/] {verdict.version}: {len(verdict.policies)} policies, "
        f"{verdict.analyzed} resources analyzed over gRPC, "
        f"stack config policies/config.{policy_config_name(plan.stack)}.json"
    )
    if not verdict.violations:
        console.print("[bold green]No policy violations.[/]")
        return
    table = Table("severity", "enforcement", "policy", "resource", "message", show_lines=True)
    ordered = sorted(verdict.violations, key=lambda v: (SEVERITY_ORDER.index(v.severity), v.policy, v.urn))
    for violation in ordered:
        colour = "red" if violation.enforcement == "mandatory" else "yellow"
        table.add_row(
            violation.severity,
            f"[{colour}]{violation.enforcement}[/]",
            violation.policy,
            escape(names.get(violation.urn, violation.urn or "(stack)")),
            escape(violation.message.split("\n", 1)[-1]),
        )
    console.print(table)
    mandatory = len(verdict.mandatory)
    console.print(
        f"[bold {'red' if mandatory else 'yellow'}]{mandatory} mandatory, "
        f"{len(verdict.violations) - mandatory} advisory violation(s).[/]"
    )


def plan_resources(plan: Plan) -> dict[str, Any]:
    """The plan's resources as the reports carry them (secrets masked)."""
    return {
        "stack": plan.stack,
        "resources": [
            {
                "type": r.type,
                "name": r.name,
                "urn": r.urn,
                "parent": r.parent,
                "protect": r.protect,
                "retainOnDelete": r.retain_on_delete,
                "import": r.import_id or None,
                "inputs": masked(r.inputs),
            }
            for r in plan
        ],
    }


def report(plan: Plan, verdict: Verdict) -> dict[str, Any]:
    """The machine-readable form of the plan and its verdict (secrets masked)."""
    fixed, caps = costs.fixed_charges(plan), costs.budget_caps(plan)
    return {
        "stack": plan.stack,
        "policyPack": {"name": verdict.pack, "version": verdict.version, "policies": verdict.policies},
        "violations": [
            {
                "policy": v.policy,
                "severity": v.severity,
                "enforcement": v.enforcement,
                "urn": v.urn,
                "message": v.message,
            }
            for v in verdict.violations
        ],
        "passed": not verdict.mandatory,
        "resources": plan_resources(plan)["resources"],
        "outputs": masked(plan.outputs),
        "monthlyCost": {
            "pricesChecked": costs.PRICES_CHECKED,
            "fixedUsd": costs.total(fixed),
            "budgetCapsUsd": costs.total(caps),
            "charges": [{"resource": c.resource, "what": c.what, "usd": c.monthly_usd} for c in [*fixed, *caps]],
            "usageBased": list(costs.USAGE_BASED),
        },
    }
