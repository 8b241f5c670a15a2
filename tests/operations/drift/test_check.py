"""`make drift`: a fake `pulumi` on PATH answers as the CLI does, the vendors are stand-ins held
to their OpenAPI documents; drift is named line by line, and a vendor without credentials is
reported as not checked."""

from __future__ import annotations

import datetime
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from operations.drift import check as drift_check
from stack_config.loader import offline_stack_config
from tests.standins.openapi import supabase_management_spec, upstash_spec, vercel_spec
from tests.standins.supabase_management import SupabaseProjectStandIn
from tests.standins.vendors import UpstashAccountStandIn, VercelTeamStandIn

PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ENDED = "2026-11-29T03:00:00.000Z"
ENDED_MS = int(datetime.datetime(2026, 11, 29, 3, tzinfo=datetime.UTC).timestamp() * 1000)


def fake_pulumi(tmp_path: Path, answers: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """A `pulumi` that prints the JSON the real CLI prints for each subcommand."""
    for name, answer in answers.items():
        (tmp_path / f"{name}.json").write_text(answer if isinstance(answer, str) else json.dumps(answer))
    script = tmp_path / "pulumi"
    script.write_text(
        "#!/bin/sh\n"
        f'case "$1 $2" in\n'
        f'  "preview --refresh") cat {tmp_path}/preview.json; exit 255 ;;\n'
        f'  "stack history") cat {tmp_path}/history.json ;;\n'
        f'  "stack output") cat {tmp_path}/outputs.json ;;\n'
        '  *) echo "error: unknown command" >&2; exit 1 ;;\n'
        "esac\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")


def answers(steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "preview": {"steps": steps, "changeSummary": {}},
        "history": [
            {"kind": "preview", "result": "succeeded", "startTime": ENDED, "endTime": ENDED},
            {"kind": "update", "result": "succeeded", "startTime": ENDED, "endTime": ENDED},
        ],
        "outputs": {"vercelProjectId": "prj_live"},
    }


def test_the_last_deploy_is_the_newest_successful_update() -> None:
    history = [
        {"kind": "update", "result": "failed", "endTime": "2026-11-30T03:00:00.000Z"},
        {"kind": "refresh", "result": "succeeded", "endTime": "2026-11-30T02:00:00.000Z"},
        {"kind": "update", "result": "succeeded", "endTime": ENDED},
    ]
    assert drift_check.last_deploy_ms(history) == ENDED_MS
    assert drift_check.last_deploy_ms([]) == 0


def test_without_the_pulumi_cli_it_cannot_check_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert drift_check.main(["--stack", "prod"]) == 2
    assert capsys.readouterr().err == "cannot check prod: no Pulumi CLI on PATH\n"


def test_a_stack_whose_vendors_were_not_checked_is_incomplete_never_clean(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pulumi(tmp_path, answers([{"op": "same", "urn": "urn:pulumi:prod::newcool-infra::x::y"}]), monkeypatch)
    for name in ("VERCEL_API_TOKEN", "SUPABASE_ACCESS_TOKEN", "UPSTASH_EMAIL", "UPSTASH_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert drift_check.main(["--stack", "prod"]) == 3
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "not checked: Vercel variables (VERCEL_API_TOKEN)",
        "not checked: Supabase API keys (SUPABASE_ACCESS_TOKEN)",
        "not checked: Upstash databases (UPSTASH_EMAIL, UPSTASH_API_KEY)",
        "incomplete: no drift in what was checked, but prod was not checked whole",
    ]
    assert "clean" not in out


ERROR_PREVIEW = {
    "steps": [],
    "diagnostics": [
        {"message": "error: refreshing urn:pulumi:prod::newcool-infra::supabase:ApiKey::secret: Supabase refused "
                    "GET /v1/projects/x/api-keys: 429 Too many requests", "severity": "error"},
    ],
    "changeSummary": {},
}  # fmt: skip


@pytest.mark.parametrize(
    ("preview", "reason"),
    [
        (ERROR_PREVIEW, "pulumi preview reported an error: error: refreshing urn:pulumi:prod"),
        ("error: could not load the stack", "pulumi preview answered no JSON: "),
    ],
)
def test_a_preview_that_errs_reads_as_cannot_check_exit_2_never_clean(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], preview: object, reason: str
) -> None:
    """The CLI exits 255 both for changes and errors (pulumi/pulumi#8992): only its JSON tells."""
    fake_pulumi(tmp_path, {**answers([]), "preview": preview}, monkeypatch)
    assert drift_check.main(["--stack", "prod"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith(f"cannot check prod: {reason}")
    assert len(captured.err.splitlines()) == 1


def test_a_pulumi_that_runs_past_its_timeout_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pulumi(tmp_path, answers([]), monkeypatch)
    (tmp_path / "pulumi").write_text("#!/bin/sh\nsleep 5\n")
    monkeypatch.setattr(drift_check, "PULUMI_TIMEOUT_SECONDS", 0.2)
    assert drift_check.main(["--stack", "prod"]) == 2
    assert capsys.readouterr().err == "cannot check prod: pulumi preview ran past 0.2 s\n"


def test_drift_of_every_kind_is_named_and_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = offline_stack_config("prod")
    team_id, ref = config.hosting.vercel.team_id, config.supabase.project_ref
    steps = [
        {
            "op": "update",
            "urn": f"urn:pulumi:prod::newcool-infra::newcool:storage:Storage${PAB}::cdn-public-access",
            "diffReasons": ["blockPublicPolicy"],
        }
    ]
    fake_pulumi(tmp_path, answers(steps), monkeypatch)
    team = VercelTeamStandIn(vercel_spec(), token="vercel-token", team_id=team_id)
    team.projects["newcool-api"] = {
        "id": "prj_live",
        "domains": [],
        "envs": [
            {"id": "e1", "key": "SUPABASE_SERVICE_KEY", "target": ["production"], "type": "sensitive",
             "updatedAt": ENDED_MS + 1},
            {"id": "e2", "key": "AWS_REGION", "target": ["production"], "type": "plain", "updatedAt": ENDED_MS - 1},
        ],
    }  # fmt: skip
    supabase = SupabaseProjectStandIn(supabase_management_spec(), ref, "sbp-token")
    supabase.api_keys.append(supabase._key("secret", "laptop_debug"))
    supabase.api_keys.append(supabase._key("secret", "newcool_server_1"))
    account = UpstashAccountStandIn(upstash_spec(), email="ops@newcool.io", api_key="upstash-key")
    account.databases.append({"database_id": "db1", "database_name": "newcool-prod-ratelimit", "state": "active"})
    vercel_url = team.install(httpserver)
    supabase.install(httpserver)
    upstash_url = account.install(httpserver)
    environ = {
        "VERCEL_API_TOKEN": "vercel-token",
        "VERCEL_API_URL": vercel_url,
        "SUPABASE_ACCESS_TOKEN": "sbp-token",
        "SUPABASE_API_URL": httpserver.url_for("/").rstrip("/"),
        "UPSTASH_EMAIL": "ops@newcool.io",
        "UPSTASH_API_KEY": "upstash-key",
        "UPSTASH_API_URL": upstash_url,
    }
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    report = tmp_path / "drift.json"
    assert drift_check.main(["--stack", "prod", "--json", str(report)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines() == [
        f"drift: [security] {PAB} cdn-public-access: update (blockPublicPolicy)",
        "drift: [security] Vercel variable SUPABASE_SERVICE_KEY (production): edited after the last deploy by this "
        "repository",
        "drift: [security] Supabase API key laptop_debug (secret): managed by no stack",
    ]
    assert json.loads(report.read_text())["notChecked"] == []
    assert "vercel-token" not in out and "sbp-token" not in out
    assert team.broken_answers == [] and supabase.broken_answers == [] and account.broken_answers == []
