"""`make preview`: the offline plan, the policy verdict, exit codes and the JSON report."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from policies.guardrails.pack import POLICIES
from preview import __main__ as preview_command
from preview import costs
from preview.plan import Plan, Secret
from stack_config import CDN_ROLES
from stack_config.stack_file import SECRET_PLACEHOLDER
from tests.conftest import ROOT
from tests.program_runs import run_program


@pytest.mark.xdist_group("preview-end-to-end")  # among the slowest: started first (tests/conftest.py)
def test_prod_preview_lists_the_plan_and_a_clean_verdict_without_secrets() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "preview", "--stack", "prod"],
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
        "pulumi-python:dynamic/supabase:SchemaMigrations migrations",
        "aws:wafv2/webAcl:WebAcl cdn-web-acl",
        "aws:kms/key:Key alerts-key",
        # What providers compute is unknown before apply, as in `pulumi preview`.
        "kmsMasterKeyId: (known after apply)",
        "Fixed: 18.95 USD a month; Upstash budget caps: at most 200.00 USD",
        f"Policy pack newcool-guardrails 1.0.0: {len(POLICIES)} policies",
        "pulumi-python:dynamic/supabase:AuthConfig auth",
        "pulumi-python:dynamic/supabase:ApiKey secret-key",
        "password_min_length",
        # Reported, never blocking: the legacy keys are on and the media cut-over is open.
        "supabase-legacy-keys-disabled",
        "s3-public-read-cutover-open",
        "0 mandatory, 3 advisory violation(s).",
        # Every live resource is adopted, by its provider's import id.
        "= vercel:index/project:Project project: team_N3wC00lT3amId/prj_",
        "= upstash:index/redisDatabase:RedisDatabase cache: 00000000-0000-4000-8000-000000000000",
        "placeholder values, to replace before a real `up`: vercel.teamId",
    ):
        assert expected in out, expected
    # The verdict comes before the long tree.
    assert out.index("Policy pack: 0 mandatory, 3 advisory") < out.index("aws:s3/bucket:Bucket cdn (")
    # No invented value: a distribution's domain name, a key's value, an endpoint are the providers'.
    assert "cloudfront.net" not in out and "upstash.io" not in out and "sb_secret_" not in out
    assert "value: [secret]" in out
    assert SECRET_PLACEHOLDER not in out and "offline-placeholder" not in out
    assert result.stderr == ""


def test_json_report_lists_resources_and_verdict(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    assert preview_command.main(["--stack", "dev", "--json", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert report["stack"] == "dev"
    assert report["passed"] is True and report["violations"] == []
    assert report["policyPack"]["name"] == "newcool-guardrails"
    assert len(report["policyPack"]["policies"]) == len(POLICIES)
    cost = report["monthlyCost"]
    assert cost["fixedUsd"] == round(sum(c["usd"] for c in cost["charges"] if c["what"] != "Upstash budget cap"), 2)
    assert cost["budgetCapsUsd"] == 40.0
    types = {r["type"] for r in report["resources"]}
    expected = {
        "aws:s3/bucket:Bucket",
        "vercel:index/project:Project",
        "pulumi-python:dynamic/supabase:SchemaMigrations",
    }
    assert expected <= types
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
    def open_uploads_public_access_block(stack: str, **options: Any) -> Plan:
        plan = run_program(stack, **options)
        for registration in plan:
            if registration.name == "uploads-public-access-block":
                registration.inputs["blockPublicAcls"] = registration.outputs["blockPublicAcls"] = False
        return plan

    monkeypatch.setattr(preview_command, "run_program", open_uploads_public_access_block)
    report_path = tmp_path / "report.json"
    assert preview_command.main(["--stack", "prod", "--json", str(report_path)]) == 1
    out = capsys.readouterr().out
    assert "s3-public-access-block-complete" in out and "1 mandatory" in out
    report: dict[str, Any] = json.loads(report_path.read_text())
    assert report["passed"] is False
    mandatory = [v["policy"] for v in report["violations"] if v["enforcement"] == "mandatory"]
    assert mandatory == ["s3-public-access-block-complete"]


def test_an_advisory_violation_does_not_fail_the_preview(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def suspended_versioning(stack: str, **options: Any) -> Plan:
        plan = run_program(stack, **options)
        for registration in plan:
            if registration.name == "cdn-versioning":
                registration.outputs["versioningConfiguration"] = {"status": "Suspended"}
        return plan

    monkeypatch.setattr(preview_command, "run_program", suspended_versioning)
    assert preview_command.main(["--stack", "dev"]) == 0
    assert "0 mandatory, 1 advisory" in capsys.readouterr().out


def test_bad_config_exits_2_with_the_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        preview_command,
        "run_program",
        lambda stack, **options: run_program(stack, {"databaseUrl": Secret("nope")}, **options),
    )
    assert preview_command.main(["--stack", "dev"]) == 2
    assert (
        "Pulumi.dev.yaml: newcool-infra:databaseUrl must be a postgresql:// connection string"
        in capsys.readouterr().out
    )


def _without_edge_protection(what: str) -> Any:
    """run_program, with the web ACL, the alert key or the topic's encryption taken out."""

    def run(stack: str, **options: Any) -> Plan:
        plan = run_program(stack, **options)
        for registration in plan:
            key = {"web-acl": "webAclId"}.get(what, "kmsMasterKeyId")
            target = "aws:cloudfront/distribution:Distribution" if what == "web-acl" else "aws:sns/topic:Topic"
            if registration.type == target:
                for props in (registration.inputs, registration.outputs, registration.property_dependencies):
                    props.pop(key)
        if what == "kms-key":
            plan.registrations = [r for r in plan if not r.type.startswith("aws:kms/")]
        return plan

    return run


@pytest.mark.parametrize(
    ("removed", "policy"),
    [
        ("web-acl", "cloudfront-web-acl"),
        ("topic-key", "sns-topic-customer-managed-key"),
        ("kms-key", "sns-topic-customer-managed-key"),
    ],
)
def test_prod_preview_fails_without_the_web_acl_or_the_encrypted_topic(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], removed: str, policy: str
) -> None:
    monkeypatch.setattr(preview_command, "run_program", _without_edge_protection(removed))
    assert preview_command.main(["--stack", "prod"]) == 1
    out = capsys.readouterr().out
    assert policy in out and "mandatory" in out


def test_the_fixed_monthly_cost_counts_priced_resources_and_only_names_usage(prod_plan: Plan) -> None:
    charges = {c.resource: c for c in costs.fixed_charges(prod_plan)}
    # One web ACL with 3 managed rule groups and a rate rule; one key; one health check with
    # HTTPS and latency measurement (a non-AWS endpoint); eight standard alarms (the reporter's
    # heartbeat among them) and one per distribution, two of them metric math over two metrics
    # (charged per metric).
    assert charges["cdn-web-acl"].monthly_usd == costs.WAF_WEB_ACL_MONTHLY + 4 * costs.WAF_RULE_MONTHLY
    assert charges["alerts-key"].monthly_usd == costs.KMS_KEY_MONTHLY
    assert charges["api-health"].monthly_usd == costs.HEALTH_CHECK_MONTHLY + 2 * costs.HEALTH_CHECK_OPTION_MONTHLY
    assert sum(1 for c in charges.values() if c.what.startswith("alarm")) == 8 + len(CDN_ROLES)
    assert charges["app-5xx"].monthly_usd == 2 * costs.ALARM_STANDARD_MONTHLY
    assert charges["app-logs-key"].monthly_usd == costs.KMS_KEY_MONTHLY
    assert charges["backups-key"].monthly_usd == costs.KMS_KEY_MONTHLY
    assert charges["evidence-key"].monthly_usd == costs.KMS_KEY_MONTHLY
    assert costs.total(charges.values()) == 18.95
    assert {c.resource: c.monthly_usd for c in costs.budget_caps(prod_plan)} == {"cache": 100.0, "ratelimit": 100.0}
    # Buckets and distributions cost by use: never counted as fixed.
    assert not any(c.resource.endswith(("-distribution", "cdn", "uploads")) for c in charges.values())


def test_a_yaml_error_in_a_stack_file_is_one_line_naming_file_and_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shutil.copy(ROOT / "__main__.py", tmp_path / "__main__.py")
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    stack_file = (ROOT / "Pulumi.dev.yaml").read_text().splitlines()
    # A tab-indented line, as an editor slips one in.
    stack_file.insert(4, "\tnewcool-infra:wafMode: count")
    (tmp_path / "Pulumi.dev.yaml").write_text("\n".join(stack_file) + "\n")
    monkeypatch.setattr(
        preview_command, "run_program", lambda stack, **options: run_program(stack, root=tmp_path, **options)
    )
    assert preview_command.main(["--stack", "dev"]) == 2
    out = capsys.readouterr().out
    assert "config error: Pulumi.dev.yaml:5: found character '\\t' that cannot start any token" in out
    assert "Traceback" not in out


CIPHERTEXT = "v1:7mZ1qW0dJ2kAAAAA:gUe4lVbd0SkDpQkYkYfQpPh0SwS3f9mKzN2pyTMe1vLJ"


def test_preview_runs_with_ciphertext_in_the_stack_file_as_pulumi_config_set_secret_writes_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shutil.copy(ROOT / "__main__.py", tmp_path / "__main__.py")
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    document = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    # A team without ESC: every secret encrypted by the stack's secrets provider.
    del document["environment"]
    for key in ("newcool-infra:databaseUrl", "newcool-infra:supabaseAccessToken", "vercel:apiToken", "upstash:apiKey"):
        document["config"][key] = {"secure": CIPHERTEXT}
    (tmp_path / "Pulumi.prod.yaml").write_text(yaml.safe_dump(document))
    monkeypatch.setattr(
        preview_command, "run_program", lambda stack, **options: run_program(stack, root=tmp_path, **options)
    )
    assert preview_command.main(["--stack", "prod"]) == 0
    out = capsys.readouterr().out
    assert "Secrets from 4 ciphertext value(s) in Pulumi.prod.yaml, not opened offline" in out
    assert "placeholders stand in for apiToken" not in out  # provider keys keep their namespace
    assert "vercel:apiToken" in out and "databaseUrl" in out
    assert CIPHERTEXT not in out and CIPHERTEXT[3:20] not in out
    assert "0 mandatory" in out


def test_the_stack_files_esc_environment_is_named_and_not_opened_offline(prod_plan: Plan) -> None:
    assert prod_plan.secret_sources == (
        "Secrets from ESC environment newcool-infra/prod, not opened offline: "
        "placeholders stand in for databaseUrl, supabaseAccessToken, vercelLogDrainSecret."
    )


def test_a_malformed_esc_import_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shutil.copy(ROOT / "__main__.py", tmp_path / "__main__.py")
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    text = (ROOT / "Pulumi.dev.yaml").read_text().replace("  - newcool-infra/dev", "  - dev environment")
    (tmp_path / "Pulumi.dev.yaml").write_text(text)
    monkeypatch.setattr(
        preview_command, "run_program", lambda stack, **options: run_program(stack, root=tmp_path, **options)
    )
    assert preview_command.main(["--stack", "dev"]) == 2
    out = capsys.readouterr().out
    assert "config error: Pulumi.dev.yaml: environment must list ESC environments as <project>/<name>" in out
