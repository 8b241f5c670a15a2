"""`make cost-diff`: what a change adds to the monthly bill, resource by resource."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from preview import cost_diff
from preview.cost_diff import Line, compare, monthly_by_resource, usage_of
from preview.costs import (
    CLOUDFRONT_EGRESS_PER_GB,
    KMS_KEY_MONTHLY,
    LOGS_INGESTION_PER_GB,
    LOGS_STORAGE_PER_GB_MONTH,
    usage_charges,
)
from preview.plan import Plan
from stack_config import BUCKET_ROLES, CDN_ROLES
from tests.conftest import ROOT
from tests.program_runs import run_program

NOT_THE_TREE = shutil.ignore_patterns(".venv", "node_modules", ".git", "*_cache", "__pycache__", "backups")


@pytest.mark.xdist_group("cost-diff-end-to-end")  # among the slowest: started first (tests/conftest.py)
def test_against_head_of_a_clean_tree_it_reports_no_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(ROOT, tree, ignore=NOT_THE_TREE)
    identity = ["-c", "user.email=ci@newcool.io", "-c", "user.name=ci"]
    for command in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-qm", "the tree"]):
        subprocess.run(["git", *command], cwd=tree, check=True, capture_output=True)
    markdown = tmp_path / "cost.md"
    # The command as make runs it, in that tree: its worktree of HEAD and both trees' own previews
    # (each a process of its own) are real; only the command's own process is this one.
    monkeypatch.setattr(cost_diff, "ROOT", tree)
    assert cost_diff.main(["--base", "HEAD", "--stack", "dev", "--markdown", str(markdown)]) == 0
    printed = capsys.readouterr()
    assert "cannot compare" not in printed.err
    assert "dev:" in printed.out and "(+0.00)" in printed.out and "no change" in printed.out
    assert "`dev`:" in markdown.read_text() and "(+0.00)" in markdown.read_text()


def test_a_resource_the_change_adds_shows_with_its_cost(prod_plan: Plan, tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "usage.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    program = (
        (ROOT / "__main__.py").read_text().replace("import pulumi\n", "import pulumi\nimport pulumi_aws as aws\n", 1)
    )
    (tmp_path / "__main__.py").write_text(program + 'aws.kms.Key("extra-key", enable_key_rotation=True)\n')
    usage = usage_of(ROOT, "prod")
    changes = compare(
        monthly_by_resource(prod_plan, usage), monthly_by_resource(run_program("prod", root=tmp_path), usage)
    )
    assert changes == [Line("extra-key", 0.0, KMS_KEY_MONTHLY)]


def test_more_traffic_in_usage_yml_shows_on_the_distribution(prod_plan: Plan) -> None:
    usage = dict(usage_of(ROOT, "prod"))
    busier = {**usage, "cdn": {**usage["cdn"], "egress_gb": usage["cdn"]["egress_gb"] + 1000}}
    (change,) = compare(monthly_by_resource(prod_plan, usage), monthly_by_resource(prod_plan, busier))
    assert change.resource == "cdn-distribution"
    assert change.delta == pytest.approx(1000 * CLOUDFRONT_EGRESS_PER_GB)


def test_more_app_logs_in_usage_yml_show_on_the_log_group_with_its_retention(prod_plan: Plan) -> None:
    usage = dict(usage_of(ROOT, "prod"))
    (change,) = compare(
        monthly_by_resource(prod_plan, usage),
        monthly_by_resource(prod_plan, {**usage, "app_logs_gb": usage["app_logs_gb"] + 10}),
    )
    assert change.resource == "app-logs"
    # Prod keeps 365 days: each extra GB a month is ingested once and stored about 12 months.
    assert change.delta == pytest.approx(
        10 * LOGS_INGESTION_PER_GB + 10 * (365 / 30) * LOGS_STORAGE_PER_GB_MONTH, abs=0.01
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_usage_yml_states_traffic_for_every_distribution_and_storage_for_every_bucket(stack: str) -> None:
    # Roles come from the role table: a new bucket is priced once usage.yml says how it is used.
    usage = usage_of(ROOT, stack)
    assert [role for role in CDN_ROLES if not usage.get(role)] == []
    assert [role for role in BUCKET_ROLES if role not in usage["storage_gb"]] == []


def test_every_distribution_of_the_plan_is_priced_by_its_role(prod_plan: Plan) -> None:
    usage = usage_of(ROOT, "prod")
    priced = {charge.resource for charge in usage_charges(prod_plan, usage) if charge.monthly_usd > 0}
    distributions = {r.name for r in prod_plan.of_type("aws:cloudfront/distribution:Distribution")}
    assert distributions == {f"{role}-distribution" for role in CDN_ROLES}
    assert distributions <= priced
