"""The review workflows do what docs/runbooks/review-environments.md promises (actionlint and
zizmor, in make test, check syntax and hardening)."""

from __future__ import annotations

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
        "tools.pr_comment --review",
        'test "${TESTS_PASSED}" = true',
    ]
    positions = [commands.index(step) for step in order]
    assert positions == sorted(positions)
    assert "policies/config.review.json" in commands
    # Beyond the cap: a comment, and nothing is created.
    steps = {step.get("name"): step for step in job["steps"]}
    assert "gh pr comment" in steps["The cap"]["run"]
    assert steps["Up"]["if"] == "steps.cap.outputs.allowed == 'true'"


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
