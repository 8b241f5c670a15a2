"""The sticky pull-request comment: created once per stack, updated in place when what it says
changes, left alone when nothing does (a stand-in of GitHub's issue-comments API)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tools import pr_comment

REPOSITORY = "newcool/newcool-infra"
TOKEN = "ghs_not_to_print"


class Comments:
    """GitHub's issue comments for one pull request, as far as the tool uses them."""

    def __init__(self) -> None:
        self.comments: list[dict[str, Any]] = [{"id": 1, "body": "LGTM"}]
        self.writes: list[str] = []

    def handle(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Response(json.dumps({"message": "Bad credentials"}), status=401, content_type="application/json")
        if request.method == "GET":
            return Response(json.dumps(self.comments), content_type="application/json")
        body = json.loads(request.get_data())["body"]
        self.writes.append(request.method)
        if request.method == "POST":
            self.comments.append({"id": len(self.comments) + 1, "body": body})
        else:
            comment_id = int(request.path.rsplit("/", 1)[1])
            next(c for c in self.comments if c["id"] == comment_id)["body"] = body
        return Response(json.dumps({"ok": True}), status=201 if request.method == "POST" else 200)


@pytest.fixture
def github(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> tuple[Comments, str]:
    comments = Comments()
    httpserver.expect_request(re.compile(r"^/repos/.*$")).respond_with_handler(comments.handle)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    return comments, httpserver.url_for("/").rstrip("/")


def report(stack: str, violations: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "stack": stack,
        "resources": [{"type": "aws:s3/bucket:Bucket", "import": "newcool-assets"}, {"type": "aws:kms/key:Key"}],
        "violations": violations,
        "passed": not any(v["enforcement"] == "mandatory" for v in violations),
        "policyPack": {"name": "newcool-guardrails", "version": "1.0.0"},
    }


def post(tmp_path: Path, url: str, stack: str, violations: list[dict[str, str]], cost: str) -> int:
    (tmp_path / "report.json").write_text(json.dumps(report(stack, violations)))
    (tmp_path / "cost.md").write_text(cost)
    argv = ["--report", str(tmp_path / "report.json"), "--cost", str(tmp_path / "cost.md"),
            "--repository", REPOSITORY, "--pull-request", "7"]  # fmt: skip
    return pr_comment.main(argv, api_url=url)


def test_one_comment_per_stack_updated_in_place_and_quiet_when_nothing_changes(
    github: tuple[Comments, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    comments, url = github
    clean = "- `prod`: 16.25 → 16.25 USD (+0.00)"
    assert post(tmp_path, url, "prod", [], clean) == 0
    assert post(tmp_path, url, "dev", [], clean.replace("prod", "dev")) == 0
    assert post(tmp_path, url, "prod", [], clean) == 0  # the same push again
    violation = {"enforcement": "mandatory", "policy": "s3-tls-only", "message": "uploads-policy: needs a Deny"}
    assert post(tmp_path, url, "prod", [violation], "- `prod`: 16.25 → 17.25 USD (+1.00)") == 0
    assert comments.writes == ["POST", "POST", "PATCH"]
    prod = [c for c in comments.comments if c["body"].startswith(pr_comment.marker("prod"))]
    assert len(prod) == 1 and "**fails**: 1 mandatory violation(s)" in prod[0]["body"] and "+1.00" in prod[0]["body"]
    assert "prod: comment unchanged" in capsys.readouterr().out


def test_a_refused_token_is_one_line_without_it(
    github: tuple[Comments, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, url = github
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_wrong")
    assert post(tmp_path, url, "dev", [], "no change") == 1
    err = capsys.readouterr().err
    assert err == "error: GitHub refused the comment (401)\n" and "ghs_" not in err


def test_a_refusal_by_the_cap_is_the_review_environments_one_sticky_comment(
    github: tuple[Comments, str], tmp_path: Path
) -> None:
    comments, url = github
    refusal = tmp_path / "cap.txt"
    refusal.write_text("pr-9 gets no review environment: 5 of maxReviewEnvironments 5 are live\n")
    argv = ["--review", "pr-9", "--refused", str(refusal), "--repository", REPOSITORY, "--pull-request", "9"]
    for _push in range(3):
        assert pr_comment.main(argv, api_url=url) == 0
    assert comments.writes == ["POST"]
    mine = [c for c in comments.comments if c["body"].startswith(pr_comment.marker("review pr-9"))]
    assert len(mine) == 1 and "5 of maxReviewEnvironments 5 are live" in mine[0]["body"]
    assert "check fails" in mine[0]["body"]


def test_the_review_comment_says_when_the_app_has_no_preview_of_the_branch() -> None:
    from preview.engine import run_program  # noqa: PLC0415

    plan = run_program("pr-123")
    url = "https://newcool-api-dev-git-feature-login-newcool.vercel.app"
    none_yet = pr_comment.render_review("pr-123", url, True, "1 file", plan, app_preview="")
    assert "- Preview: none yet." in none_yet and "branch of the same name" in none_yet
    built = pr_comment.render_review("pr-123", url, True, "1 file", plan, app_preview="dpl_123")
    assert f"- Preview: {url}" in built and "none yet" not in built
