"""The review workflows do what docs/runbooks/review-environments.md promises (actionlint and
zizmor, in make test, check syntax and hardening)."""

from __future__ import annotations

from tests.conftest import ROOT
from tests.test_workflows import load, runs, triggers, uses


def test_review_runs_on_every_pull_request_event_and_skips_forks() -> None:
    workflow = load("review.yml")
    assert triggers(workflow)["pull_request"]["types"] == ["opened", "synchronize", "reopened", "closed"]
    assert workflow["permissions"] == {}
    for job in workflow["jobs"].values():
        assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]
        assert job["environment"] == "review"


def test_one_group_per_pull_request_never_cancelled_mid_up() -> None:
    assert load("review.yml")["concurrency"] == {
        "group": "review-${{ github.event.pull_request.number }}",
        "cancel-in-progress": False,
    }


def test_open_or_push_checks_the_cap_then_up_then_branch_tests_then_one_comment() -> None:
    job = load("review.yml")["jobs"]["up"]
    assert "github.event.action != 'closed'" in job["if"]
    commands = "\n".join(runs(job))
    order = [
        "operations.review.gate",
        'pulumi up --stack "pr-${PR}"',
        "operations.review.branch_tests",
        "--tests-passed",
        'test "${TESTS_PASSED}" = true',
    ]
    positions = [commands.index(step) for step in order]
    assert positions == sorted(positions)
    # Beyond the cap: the environment's one sticky comment says so, nothing is created, and the
    # required check fails rather than passing without tests.
    steps = {step.get("name"): step for step in job["steps"]}
    assert 'tools.pr_comment --review "pr-${PR}" --refused cap.txt' in steps["The cap"]["run"]
    assert "gh pr comment" not in commands
    assert steps["Up"]["if"] == "steps.cap.outputs.allowed == 'true'"
    refused = steps["Refused by the cap"]
    assert refused["if"] == "steps.cap.outputs.allowed != 'true'" and "exit 1" in refused["run"]
    # A push after something was removed by hand recreates it.
    assert "--refresh" in steps["Up"]["run"]


def test_the_review_up_is_judged_by_the_base_branchs_pack_not_the_pull_requests() -> None:
    job = load("review.yml")["jobs"]["up"]
    steps = {step.get("name"): step for step in job["steps"]}
    base = steps["The policy pack from the base branch"]["with"]
    assert base["ref"] == "${{ github.event.pull_request.base.sha }}" and base["path"] == "base"
    assert base["sparse-checkout"] == "policies" and base["persist-credentials"] is False
    up = steps["Up"]["run"]
    assert "--policy-pack base/policies --policy-pack-config base/policies/config.review.json" in up
    assert " policies/" not in up.replace("base/policies/", "")
    # The review stack's config (template, and dev's file naming the parent) from the base too.
    assert 'cp base/Pulumi.pr-template.yaml "Pulumi.pr-${PR}.yaml"' in up
    assert "cp base/Pulumi.dev.yaml Pulumi.dev.yaml" in up


def test_close_destroys_removes_the_stack_and_checks_nothing_is_left() -> None:
    job = load("review.yml")["jobs"]["down"]
    assert "github.event.action == 'closed'" in job["if"]
    commands = "\n".join(runs(job))
    positions = [commands.index(s) for s in ("pulumi destroy", "pulumi stack rm", "operations.review.sweep --left-of")]
    assert positions == sorted(positions)


def test_the_sweep_runs_every_six_hours_and_applies() -> None:
    workflow = load("review-sweep.yml")
    assert triggers(workflow)["schedule"] == [{"cron": "41 */6 * * *"}]
    job = workflow["jobs"]["sweep"]
    assert "make review-sweep APPLY=1" in runs(job)
    assert job["permissions"] == {"contents": "read", "pull-requests": "read"}
    assert uses(job, "pulumi/actions")


def test_review_credentials_reach_a_pull_requests_code_only_after_a_reviewer_and_the_sweep_runs_from_main() -> None:
    # The review Vercel token is team-wide (docs/runbooks/review-environments.md, "Known limits"):
    # the `review` environment requires a reviewer; the schedule, which cannot wait for one, reads
    # the same credentials from `review-sweep`, limited to main. The reviewer rule itself is a
    # GitHub setting no file holds: this holds the jobs to the environments and the secrets page
    # to stating the rule each environment must be given.
    secrets_page = (ROOT / "docs" / "secrets.md").read_text()
    assert "- `review`: required reviewers" in secrets_page
    assert "- `review-sweep`: the same review credentials, deployment branches `main` only" in secrets_page
    (sweep,) = load("review-sweep.yml")["jobs"].values()
    assert sweep["environment"] == "review-sweep"
    assert sweep["if"] == "github.ref == 'refs/heads/main'"
