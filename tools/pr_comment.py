"""One sticky pull-request comment per stack: the plan's summary, the policy verdict, the cost diff.

The comment carries a hidden marker naming its stack. A push that changes what the comment says
updates it in place; a push that changes nothing leaves it alone (no new comment, no edit, no
notification). GitHub's REST API, with the workflow's own token.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

API_URL = "https://api.github.com"


def marker(stack: str) -> str:
    return f"<!-- newcool-infra preview: {stack} -->"


def render(report: Mapping[str, Any], cost_markdown: str) -> str:
    """The comment for one stack, from `make preview JSON=…` and `make cost-diff MARKDOWN=…`."""
    stack = report["stack"]
    resources = report["resources"]
    imports = sum(1 for r in resources if r.get("import"))
    violations = report["violations"]
    mandatory = [v for v in violations if v["enforcement"] == "mandatory"]
    verdict = "passes" if report["passed"] else f"**fails**: {len(mandatory)} mandatory violation(s)"
    lines = [
        marker(stack),
        f"### `{stack}`: {len(resources) - imports} to create, {imports} to import",
        "",
        f"Policy pack `{report['policyPack']['name']}` {report['policyPack']['version']}: {verdict}, "
        f"{len(violations) - len(mandatory)} advisory.",
        *[f"- {v['enforcement']} `{v['policy']}`: {v['message'].splitlines()[-1]}" for v in violations],
        "",
        cost_markdown.strip(),
    ]
    return "\n".join(lines) + "\n"


def render_review(
    stack: str, preview_url: str, tests_passed: bool, tests_summary: str, plan: Any, app_preview: str = ""
) -> str:
    """The review environment's one comment: where to click (or that the app has no preview of
    the branch yet), whether the branch's tests passed, and what the environment costs while it
    lives (from its plan, at list prices)."""
    from preview import costs  # noqa: PLC0415 (only for review comments)

    fixed, caps = costs.fixed_charges(plan), costs.budget_caps(plan)
    verdict = "passed" if tests_passed else "**failed**"
    lines = [
        marker(f"review {stack}"),
        f"### Review environment `{stack}`",
        "",
        f"- Preview: {preview_url}"
        if app_preview
        else f"- Preview: none yet. The app repository has no preview of a branch named as this pull request's "
        f"(`{preview_url}` stays empty): push the app change on a branch of the same name, then push here again "
        "(docs/runbooks/review-environments.md).",
        f"- pgTAP on the database branch: {verdict} ({tests_summary.strip()})",
        f"- Cost while it lives: {costs.total(fixed):.2f} USD a month of branch compute (billed hourly until the "
        f"pull request closes), plus Upstash usage capped at {costs.total(caps):.2f} USD",
        "",
        "Removed when the pull request closes (and by `make review-sweep` if anything is left).",
    ]
    return "\n".join(lines) + "\n"


def render_refusal(stack: str, refusal: str) -> str:
    """The same sticky comment when the cap refuses the pull request (replaced once it gets one)."""
    lines = [
        marker(f"review {stack}"),
        f"### Review environment `{stack}`: none",
        "",
        refusal.strip(),
        "",
        "The `review environment up` check fails until one is free; a later push tries again.",
    ]
    return "\n".join(lines) + "\n"


def upsert(client: httpx.Client, repository: str, pull_request: int, stack: str, body: str) -> str:
    """Creates, updates or leaves the stack's comment; says which."""
    comments = client.get(f"/repos/{repository}/issues/{pull_request}/comments", params={"per_page": 100})
    comments.raise_for_status()
    mine = next((c for c in comments.json() if str(c.get("body", "")).startswith(marker(stack))), None)
    if mine is None:
        client.post(f"/repos/{repository}/issues/{pull_request}/comments", json={"body": body}).raise_for_status()
        return "created"
    if mine["body"] == body:
        return "unchanged"
    client.patch(f"/repos/{repository}/issues/comments/{mine['id']}", json={"body": body}).raise_for_status()
    return "updated"


def main(argv: Sequence[str] | None = None, api_url: str = API_URL) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--report", type=Path, help="make preview's JSON report")
    parser.add_argument("--cost", type=Path, help="make cost-diff's Markdown")
    parser.add_argument("--review", help="a review stack (pr-<N>): its environment's comment instead")
    parser.add_argument("--preview-url", default="")
    parser.add_argument("--tests-summary", default="not run")
    parser.add_argument("--tests-passed", choices=["true", "false"], default="false")
    parser.add_argument("--refused", type=Path, help="with --review: the cap's refusal, instead of the environment")
    parser.add_argument("--app-preview", default="", help="with --review: the rebuilt app preview (empty: none)")
    parser.add_argument("--repository", required=True, help="owner/name")
    parser.add_argument("--pull-request", type=int, required=True)
    args = parser.parse_args(argv)
    token = os.environ.get("GITHUB_TOKEN", "")
    if not token:
        print("error: GITHUB_TOKEN is not set", file=sys.stderr)
        return 2
    if args.review and args.refused:
        body = render_refusal(args.review, args.refused.read_text())
        report = {"stack": f"review {args.review}"}
    elif args.review:
        from preview.engine import run_program  # noqa: PLC0415 (the review's plan, for its cost)

        plan = run_program(args.review)
        body = render_review(
            args.review, args.preview_url, args.tests_passed == "true", args.tests_summary, plan, args.app_preview
        )
        report = {"stack": f"review {args.review}"}
    else:
        if args.report is None or args.cost is None:
            parser.error("--report and --cost are required without --review")
        report = json.loads(args.report.read_text())
        body = render(report, args.cost.read_text())
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
    try:
        with httpx.Client(base_url=api_url, headers=headers, timeout=30) as client:
            outcome = upsert(client, args.repository, args.pull_request, report["stack"], body)
    except httpx.HTTPError as error:
        status = getattr(getattr(error, "response", None), "status_code", "unreachable")
        print(f"error: GitHub refused the comment ({status})", file=sys.stderr)
        return 1
    print(f"{report['stack']}: comment {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
