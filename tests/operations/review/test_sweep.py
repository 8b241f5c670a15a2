"""make review-sweep and the cap against stand-ins of Supabase branching, Vercel and Upstash
(held to specs/): what goes (a closed PR's leftovers, an expired environment), what stays (open
PRs, anything not named pr-<N>), the dry run, the refusal without credentials."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from operations.review import gate, sweep
from operations.review.inventory import InventoryError, pulumi_stacks
from stack_config.stack_file import ROOT
from stack_config.vocabulary import REVIEW_TEMPLATE
from tests.standins.openapi import upstash_spec
from tests.standins.review_vendors import (
    Branch,
    ReviewUpstashStandIn,
    ReviewVercelStandIn,
    SupabaseBranchingStandIn,
    vercel_review_spec,
)
from tests.standins.supabase_management import SupabaseProjectStandIn

PARENT = "devnewcoolprojectaaa"
TOKEN = "sbp_0123456789abcdef0123456789abcdef01234567"
TEAM = "team_N3wC00lT3amId"
NOW = datetime.datetime(2026, 12, 2, 10, tzinfo=datetime.UTC)
ENV = {"VERCEL_API_TOKEN": "vercel-token", "UPSTASH_EMAIL": "ops@newcool.io", "UPSTASH_API_KEY": "key"}


@dataclass
class Accounts:
    supabase: SupabaseBranchingStandIn
    vercel: ReviewVercelStandIn
    upstash: ReviewUpstashStandIn
    environ: dict[str, str]


def _branch(standin: SupabaseBranchingStandIn, name: str, ref: str, created: str) -> None:
    project = SupabaseProjectStandIn(standin.spec, ref, TOKEN)
    standin.branches[ref] = Branch(name, ref, name, project, created_at=created)


@pytest.fixture
def accounts(httpserver: HTTPServer) -> Iterator[Accounts]:
    supabase = SupabaseBranchingStandIn(PARENT, TOKEN, {"db_host": "127.0.0.1", "db_port": 5432})
    _branch(supabase, "pr-1", "aaaaaaaaaaaaaaaaaaaa", "2026-12-01T10:00:00Z")  # open, fresh
    _branch(supabase, "pr-2", "bbbbbbbbbbbbbbbbbbbb", "2026-12-01T10:00:00Z")  # closed
    _branch(supabase, "pr-3", "cccccccccccccccccccc", "2026-11-28T10:00:00Z")  # open, 96 h old
    _branch(supabase, "feature-x", "dddddddddddddddddddd", "2026-11-01T10:00:00Z")  # not ours
    vercel = ReviewVercelStandIn(vercel_review_spec(), token=ENV["VERCEL_API_TOKEN"], team_id=TEAM)
    envs = [
        {"id": f"env_{n}", "key": "NEXT_PUBLIC_SUPABASE_URL", "target": ["preview"], "type": "plain",
         "gitBranch": f"feature/{n}", "comment": f"newcool-review pr-{n}", "createdAt": 1796119200000}
        for n in (1, 2)
    ] + [{"id": "env_other", "key": "FLAG", "target": ["preview"], "type": "plain", "gitBranch": "someone-else",
          "comment": "set by hand", "createdAt": 1796119200000}]  # fmt: skip
    vercel.projects["newcool-api-dev"] = {"id": "prj_dev", "domains": [], "envs": envs}
    upstash = ReviewUpstashStandIn(upstash_spec(), email=ENV["UPSTASH_EMAIL"], api_key=ENV["UPSTASH_API_KEY"])
    upstash.databases = [
        {"database_id": f"db-{name}", "database_name": name, "creation_time": 1796119200}
        for name in ("newcool-pr-1", "newcool-pr-2", "newcool-dev-cache")
    ]
    environ = {**ENV, "SUPABASE_ACCESS_TOKEN": TOKEN}
    for key, standin in (("SUPABASE_API_URL", supabase), ("VERCEL_API_URL", vercel)):
        environ[key] = standin.install(httpserver)
    environ["UPSTASH_API_URL"] = upstash.install(httpserver)
    yield Accounts(supabase, vercel, upstash, environ)
    assert supabase.broken_answers == vercel.broken_answers == upstash.broken_answers == []
    assert f"DELETE /v1/projects/{PARENT}/branches" not in supabase.log


class FakePulumi:
    """The Pulumi CLI as the sweeper calls it (the engine is the one thing stood in here)."""

    def __init__(self, stacks: list[str], updated: dict[str, str] | None = None) -> None:
        self.stacks = stacks
        self.updated = updated or {}
        self.calls: list[str] = []

    def __call__(self, args: list[str]) -> str:
        self.calls.append(" ".join(args))
        if args[:2] == ["stack", "ls"]:
            return json.dumps([{"name": f"newcool/newcool-infra/{s}",
                                "lastUpdate": self.updated.get(s, "2026-12-01T10:00:00Z")}
                               for s in self.stacks])  # fmt: skip
        if args[:2] == ["stack", "rm"]:
            self.stacks.remove(args[2])
        return ""


def run(accounts: Accounts, tmp_path: Path, pulumi: FakePulumi, *args: str) -> int:
    open_prs = tmp_path / "open.json"
    open_prs.write_text("[1, 3]")
    return sweep.main(
        ["--open-prs", str(open_prs), *args], accounts.environ, NOW, lambda: pulumi_stacks(pulumi, tmp_path)
    )


def test_the_sweeper_removes_closed_and_expired_and_leaves_open_and_foreign(
    accounts: Accounts, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pulumi = FakePulumi(["dev", "prod", "pr-1", "pr-2"])
    assert run(accounts, tmp_path, pulumi, "--apply") == 0
    assert sorted(b.name for b in accounts.supabase.branches.values()) == ["feature-x", "pr-1"]
    assert sorted(d["database_name"] for d in accounts.upstash.databases) == ["newcool-dev-cache", "newcool-pr-1"]
    assert sorted(e["id"] for e in accounts.vercel.variables("prj_dev")) == ["env_1", "env_other"]
    assert pulumi.stacks == ["dev", "prod", "pr-1"]
    assert "destroy --stack pr-2 --yes --skip-preview" in pulumi.calls
    # The stack file the CLI needed was written in the given root, and is gone with the stack.
    assert list(tmp_path.glob("Pulumi.pr-*.yaml")) == []
    out = capsys.readouterr().out
    assert "removed branch pr-3 (cccccccccccccccccccc) (pr-3): no activity for 72 h" in out
    assert "removed cache newcool-pr-2 (pr-2): pull request closed" in out


def test_an_open_pull_request_older_than_the_ttl_but_still_updated_keeps_its_whole_environment(
    accounts: Accounts, tmp_path: Path
) -> None:
    # pr-3's branch is 96 h old, but its stack's last `up` (a push) was 2 h ago.
    pulumi = FakePulumi(["pr-3"], {"pr-3": "2026-12-02T08:00:00Z"})
    assert run(accounts, tmp_path, pulumi, "--apply") == 0
    assert "cccccccccccccccccccc" in accounts.supabase.branches
    assert pulumi.stacks == ["pr-3"]
    # The pull request's own last update counts the same way.
    open_prs = tmp_path / "open.json"
    open_prs.write_text('[{"number": 3, "updatedAt": "2026-12-02T09:00:00Z"}, 1]')
    assert sweep.main(["--open-prs", str(open_prs), "--apply"], accounts.environ, NOW, lambda: []) == 0
    assert "cccccccccccccccccccc" in accounts.supabase.branches


def test_an_expired_environment_goes_whole_through_its_stack_then_what_it_left(
    accounts: Accounts, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # pr-3: open, its stack last updated 96 h ago, like its branch; the destroy takes the branch.
    pulumi = FakePulumi(["pr-3"], {"pr-3": "2026-11-28T10:00:00Z"})

    def destroying(args: list[str]) -> str:
        if args[0] == "destroy":
            # The CLI finds the stack's file, written from the template in the given root.
            assert (tmp_path / "Pulumi.pr-3.yaml").read_text() == (ROOT / REVIEW_TEMPLATE).read_text()
            del accounts.supabase.branches["cccccccccccccccccccc"]
        return pulumi(args)

    open_prs = tmp_path / "open.json"
    open_prs.write_text("[1, 3]")
    argv = ["--open-prs", str(open_prs), "--apply"]
    assert sweep.main(argv, accounts.environ, NOW, lambda: pulumi_stacks(destroying, tmp_path)) == 0
    assert pulumi.stacks == [] and "cccccccccccccccccccc" not in accounts.supabase.branches
    assert not (tmp_path / "Pulumi.pr-3.yaml").exists() and not (ROOT / "Pulumi.pr-3.yaml").exists()
    out = capsys.readouterr().out
    assert out.index("removed stack pr-3") < out.index("already gone: branch pr-3")


def test_a_stack_that_cannot_be_removed_keeps_its_pieces_for_the_next_sweep(
    accounts: Accounts, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # pr-3 expired, but an `up` holds its stack's lock: the destroy fails, and its branch, cache
    # and variables are not pulled from under that run.
    pulumi = FakePulumi(["pr-3"], {"pr-3": "2026-11-28T10:00:00Z"})

    def locked(args: list[str]) -> str:
        if args[0] == "destroy":
            raise InventoryError("pulumi destroy failed: the stack is currently locked")
        return pulumi(args)

    open_prs = tmp_path / "open.json"
    open_prs.write_text("[1, 3]")
    argv = ["--open-prs", str(open_prs), "--apply"]
    assert sweep.main(argv, accounts.environ, NOW, lambda: pulumi_stacks(locked, tmp_path)) == 1
    assert "cccccccccccccccccccc" in accounts.supabase.branches
    assert "DELETE /v1/branches/cccccccccccccccccccc" not in accounts.supabase.log
    assert "left pr-3's other pieces for the next sweep" in capsys.readouterr().out


def test_without_apply_the_sweep_only_says_what_would_go(
    accounts: Accounts, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pulumi = FakePulumi(["pr-2"])
    assert run(accounts, tmp_path, pulumi) == 0
    assert len(accounts.supabase.branches) == 4 and len(accounts.upstash.databases) == 3
    assert pulumi.stacks == ["pr-2"] and not any(c.startswith("destroy") for c in pulumi.calls)
    out = capsys.readouterr().out
    assert "would remove stack pr-2 (pr-2): pull request closed" in out and "APPLY=1" in out


def test_without_credentials_the_sweep_says_so_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert sweep.main([], {"VERCEL_API_TOKEN": "x"}) == 2
    err = capsys.readouterr().err
    assert err.startswith("cannot sweep: SUPABASE_ACCESS_TOKEN, UPSTASH_EMAIL, UPSTASH_API_KEY not set")
    assert err.count("\n") == 1 and "x" not in err.split("not set")[0].replace("UPSTASH", "")


def test_the_cap_refuses_a_pull_request_beyond_it_in_one_line(
    accounts: Accounts, capsys: pytest.CaptureFixture[str]
) -> None:
    for number in (4, 5):  # five live: pr-1, 2, 3, 4, 5
        _branch(accounts.supabase, f"pr-{number}", chr(ord("e") + number) * 20, "2026-12-01T10:00:00Z")
    assert gate.main(["--pr", "9"], accounts.environ) == gate.REFUSED
    line = capsys.readouterr().out
    assert line.count("\n") == 1
    assert line.startswith("pr-9 gets no review environment: 5 of maxReviewEnvironments 5 are live")
    # A pull request that has one already keeps it; below the cap a new one may start.
    assert gate.main(["--pr", "3"], accounts.environ) == 0
    # A branch already scheduled for deletion is on its way out: it frees its place.
    accounts.supabase.branches["aaaaaaaaaaaaaaaaaaaa"].deletion_scheduled_at = "2026-12-01T11:00:00Z"
    assert gate.main(["--pr", "9"], accounts.environ) == 0


def test_after_a_close_the_check_names_what_a_pull_request_left(
    accounts: Accounts, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pulumi = FakePulumi([])
    assert sweep.main(["--left-of", "2"], accounts.environ, NOW, lambda: pulumi_stacks(pulumi, tmp_path)) == 1
    assert "left behind: cache newcool-pr-2 (pr-2)" in capsys.readouterr().out
    assert sweep.main(["--left-of", "8"], accounts.environ, NOW, lambda: pulumi_stacks(pulumi, tmp_path)) == 0
