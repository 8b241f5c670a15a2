"""`make preview`: the offline plan, the policy verdict, exit codes and the JSON report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tools import preview
from tools.mock_engine import SECRET_PLACEHOLDER, Plan, Secret, run_program


def test_prod_preview_lists_the_plan_and_a_clean_verdict_without_secrets() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tools.preview", "--stack", "prod"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "no Pulumi CLI, no credentials, no network" in out
    for expected in (
        "aws:s3/bucket:Bucket cdn (protect, retainOnDelete, import=newcool-streaming-platform-cdn)",
        "aws:cloudfront/distribution:Distribution cdn-distribution",
        "upstash:index/redisDatabase:RedisDatabase cache",
        "vercel:index/projectDomain:ProjectDomain domain",
        "SUPABASE_SERVICE_KEY",
        "pulumi-python:dynamic:Resource migrations",
        "Policy pack newcool-guardrails 1.0.0: 24 policies",
        "No policy violations.",
    ):
        assert expected in out, expected
    assert "value: [secret]" in out
    assert SECRET_PLACEHOLDER not in out and "offline-placeholder" not in out
    assert result.stderr == ""


def test_json_report_lists_resources_and_verdict(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    assert preview.main(["--stack", "dev", "--json", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert report["stack"] == "dev"
    assert report["passed"] is True and report["violations"] == []
    assert report["policyPack"]["name"] == "newcool-guardrails"
    assert len(report["policyPack"]["policies"]) == 24
    types = {r["type"] for r in report["resources"]}
    assert {"aws:s3/bucket:Bucket", "vercel:index/project:Project", "pulumi-python:dynamic:Resource"} <= types
    secret_values = [
        r["inputs"]["value"]
        for r in report["resources"]
        if r["type"].startswith("vercel:index/projectEnvironmentVariable") and r["inputs"]["sensitive"]
    ]
    assert secret_values and set(secret_values) == {"[secret]"}
    assert SECRET_PLACEHOLDER not in report_path.read_text()


def test_a_mandatory_violation_fails_the_preview(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def open_uploads_public_access_block(stack: str) -> Plan:
        plan = run_program(stack)
        for registration in plan:
            if registration.name == "uploads-public-access-block":
                registration.inputs["blockPublicAcls"] = False
        return plan

    monkeypatch.setattr(preview, "run_program", open_uploads_public_access_block)
    report_path = tmp_path / "report.json"
    assert preview.main(["--stack", "prod", "--json", str(report_path)]) == 1
    out = capsys.readouterr().out
    assert "s3-public-access-block-complete" in out and "1 mandatory" in out
    report: dict[str, Any] = json.loads(report_path.read_text())
    assert report["passed"] is False
    assert [v["policy"] for v in report["violations"]] == ["s3-public-access-block-complete"]


def test_an_advisory_violation_does_not_fail_the_preview(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def suspended_versioning(stack: str) -> Plan:
        plan = run_program(stack)
        for registration in plan:
            if registration.name == "cdn-versioning":
                registration.outputs["versioningConfiguration"] = {"status": "Suspended"}
        return plan

    monkeypatch.setattr(preview, "run_program", suspended_versioning)
    assert preview.main(["--stack", "dev"]) == 0
    assert "0 mandatory, 1 advisory" in capsys.readouterr().out


def test_bad_config_exits_2_with_the_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(preview, "run_program", lambda stack: run_program(stack, {"databaseUrl": Secret("nope")}))
    assert preview.main(["--stack", "dev"]) == 2
    assert (
        "Pulumi.dev.yaml: newcool-infra:databaseUrl must be a postgresql:// connection string"
        in capsys.readouterr().out
    )
