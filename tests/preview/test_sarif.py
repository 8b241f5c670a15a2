"""The verdict as SARIF 2.1.0 for code scanning: valid against the vendored schema, one rule per
policy, each result at the line of the program that declared the resource."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from policies.guardrails.pack import POLICIES
from preview import __main__ as preview_command
from preview.analyzer import PackProcess, analyze
from preview.plan import Plan
from preview.sarif import sarif_log
from tests.conftest import ROOT
from tests.program_runs import run_program

SCHEMA = json.loads((ROOT / "specs" / "sarif-schema-2.1.0.json").read_text())


def located(result: dict[str, Any], root: Path = ROOT) -> tuple[str, int, str]:
    location = result["locations"][0]["physicalLocation"]
    path, line = location["artifactLocation"]["uri"], location["region"]["startLine"]
    return path, line, (root / path).read_text().splitlines()[line - 1]


@pytest.fixture(scope="module")
def prod_sarif(prod_plan: Plan, running_pack: PackProcess) -> dict[str, Any]:
    return sarif_log(prod_plan, analyze(prod_plan, stub=running_pack.stub()))


def test_the_prod_log_is_valid_sarif_with_one_rule_per_policy(prod_sarif: dict[str, Any]) -> None:
    jsonschema.validate(prod_sarif, SCHEMA)
    (run,) = prod_sarif["runs"]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert len(rules) == len(POLICIES)
    assert (
        "AWS Foundational Security Best Practices S3.8"
        in rules["s3-public-access-block-complete"]["properties"]["tags"]
    )
    assert rules["s3-public-access-block-complete"]["properties"]["security-severity"] == "9.5"


def test_the_cutover_results_point_at_each_buckets_own_declaration(prod_sarif: dict[str, Any]) -> None:
    (run,) = prod_sarif["runs"]
    cutover = [r for r in run["results"] if r["ruleId"] == "s3-public-read-cutover-open"]
    assert len(cutover) == 2 and {r["level"] for r in cutover} == {"warning"}
    for result in cutover:
        path, _, line = located(result)
        assert path == "components/storage.py" and "aws.s3.Bucket(" in line


def test_a_resource_broken_in_a_copy_of_the_program_is_found_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    program = (ROOT / "__main__.py").read_text()
    stray = 'aws.s3.Bucket("stray", bucket="newcool-stray-uploads", region="us-west-2")\n'
    (tmp_path / "__main__.py").write_text(
        program.replace("import pulumi\n", "import pulumi\nimport pulumi_aws as aws\n", 1) + stray
    )
    monkeypatch.setattr(
        preview_command, "run_program", lambda stack, **options: run_program(stack, root=tmp_path, **options)
    )
    sarif = tmp_path / "dev.sarif"
    assert preview_command.main(["--stack", "dev", "--sarif", str(sarif)]) == 1
    log = json.loads(sarif.read_text())
    jsonschema.validate(log, SCHEMA)
    found = [r for r in log["runs"][0]["results"] if r["ruleId"] == "s3-approved-region"]
    assert len(found) == 1 and found[0]["level"] == "error"
    path, line_number, line = located(found[0], tmp_path)
    assert path == "__main__.py" and line.startswith('aws.s3.Bucket("stray"')
    assert line_number == len((tmp_path / "__main__.py").read_text().splitlines())
