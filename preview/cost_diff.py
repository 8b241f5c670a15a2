"""`make cost-diff BASE=<git ref>`: what a change adds to each stack's monthly bill.

Both plans are computed offline: the base's in a git worktree of ``BASE`` (its own program and
stack files, run by its own ``make preview``'s engine through ``--json``), the working tree's
here. Each resource's fixed charges and its usage-based charges (the usage each tree's
``usage.yml`` states, at the prices in ``preview/costs.py``) are compared; what changes is printed
per resource with the stack's totals. It always exits 0: a cost is a fact for review, not a
failure. With ``--markdown`` it writes the pull-request comment's table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from preview import costs
from preview.plan import Plan, Registration
from stack_config.stack_file import ROOT

STACKS = ("dev", "prod")


@dataclass(frozen=True)
class Line:
    resource: str
    base_usd: float
    head_usd: float

    @property
    def delta(self) -> float:
        return round(self.head_usd - self.base_usd, 2)


def usage_of(root: Path, stack: str) -> Mapping[str, Any]:
    path = root / "usage.yml"
    document = yaml.safe_load(path.read_text()) if path.exists() else {}
    return dict((document or {}).get(stack) or {})


def monthly_by_resource(plan: Plan, usage: Mapping[str, Any]) -> dict[str, float]:
    """Every charge of the plan, fixed and usage-based, summed per resource."""
    by_resource: dict[str, float] = {}
    for charge in [*costs.fixed_charges(plan), *costs.usage_charges(plan, usage)]:
        by_resource[charge.resource] = round(by_resource.get(charge.resource, 0.0) + charge.monthly_usd, 2)
    return by_resource


def compare(base: Mapping[str, float], head: Mapping[str, float]) -> list[Line]:
    return [
        Line(resource, base.get(resource, 0.0), head.get(resource, 0.0))
        for resource in sorted(set(base) | set(head))
        if round(base.get(resource, 0.0) - head.get(resource, 0.0), 2) != 0
    ]


def plan_from_report(stack: str, report: Mapping[str, Any]) -> Plan:
    """A plan rebuilt from ``make preview``'s JSON report (what costs need: type, name, inputs)."""
    registrations = [
        Registration(
            type=r["type"],
            name=r["name"],
            urn=r["urn"],
            id="",
            parent=r.get("parent", ""),
            custom=True,
            protect=False,
            retain_on_delete=False,
            import_id=r.get("import") or "",
            dependencies=[],
            property_dependencies={},
            inputs=r.get("inputs") or {},
            outputs={},
        )
        for r in report["resources"]
    ]
    return Plan(stack, registrations, {})


def git(arguments: list[str], check: bool) -> None:
    subprocess.run(["git", *arguments], cwd=ROOT, check=check, capture_output=True)  # noqa: S603, S607 (git from PATH)


@contextmanager
def worktree(ref: str) -> Iterator[Path]:
    """``ref`` checked out beside the repository, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="newcool-cost-base-") as directory:
        path = Path(directory) / "base"
        git(["worktree", "add", "--detach", str(path), ref], check=True)
        try:
            yield path
        finally:
            git(["worktree", "remove", "--force", str(path)], check=False)


def plan_of_tree(root: Path, stack: str) -> Plan:
    """The tree's plan, computed by the tree's own engine (``preview --plan-json``)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        subprocess.run(  # noqa: S603 (this interpreter, the tree's own preview)
            [sys.executable, "-m", "preview", "--stack", stack, "--plan-json", report.name],
            cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, capture_output=True, check=False,
        )  # fmt: skip
        text = Path(report.name).read_text()
    if not text:
        raise RuntimeError(f"the {stack} preview of that tree wrote no plan (it predates make cost-diff?)")
    return plan_from_report(stack, json.loads(text))


def markdown(results: Mapping[str, tuple[list[Line], float, float]], base: str) -> str:
    lines = [f"**Monthly cost against `{base}`** (fixed charges, and usage as `usage.yml` states it)", ""]
    for stack, (changes, base_total, head_total) in results.items():
        lines.append(f"- `{stack}`: {base_total:.2f} → {head_total:.2f} USD ({head_total - base_total:+.2f})")
        lines += [f"  - `{c.resource}`: {c.base_usd:.2f} → {c.head_usd:.2f} ({c.delta:+.2f})" for c in changes]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make cost-diff", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--base", required=True, help="the git ref to compare with, e.g. origin/main or HEAD")
    parser.add_argument("--markdown", type=Path, help="also write the comparison as Markdown to this file")
    parser.add_argument("--stack", choices=STACKS, action="append", help="only these stacks (default: both)")
    args = parser.parse_args(argv)
    results: dict[str, tuple[list[Line], float, float]] = {}
    try:
        with worktree(args.base) as base_root:
            for stack in args.stack or STACKS:
                # Both sides through the same path (each tree's own preview, its JSON report).
                base = monthly_by_resource(plan_of_tree(base_root, stack), usage_of(base_root, stack))
                head = monthly_by_resource(plan_of_tree(ROOT, stack), usage_of(ROOT, stack))
                results[stack] = (compare(base, head), round(sum(base.values()), 2), round(sum(head.values()), 2))
    except (subprocess.CalledProcessError, RuntimeError) as error:
        print(f"cost-diff: cannot compare with {args.base}: {getattr(error, 'stderr', b'') or error}", file=sys.stderr)
        return 0
    for stack, (changes, base_total, head_total) in results.items():
        print(f"{stack}: {base_total:.2f} -> {head_total:.2f} USD a month ({head_total - base_total:+.2f})")
        for change in changes:
            print(f"  {change.resource}: {change.base_usd:.2f} -> {change.head_usd:.2f} ({change.delta:+.2f})")
        if not changes:
            print("  no change")
    if args.markdown:
        args.markdown.write_text(markdown(results, args.base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
