"""The preview predicts the engine from a recorded live state: NewCool as it runs today (variables
made in the dashboard, a console-made cache, buckets public through ACLs, system variables
exposed). The project's own first `up` imports everything; an input made to differ is an import
the engine refuses; the second `up` is updates, and replacements only where a provider forces one."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from live_state import LiveState, load
from preview import __main__ as preview_command
from preview.adoption import Prediction, check_imports, predict
from preview.plan import Plan
from stack_config.stack_file import SECRET_PLACEHOLDER
from tests.conftest import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "live_state.prod.json"
SECRET_VARIABLES = {"SUPABASE_SERVICE_KEY", "UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN"}


@pytest.fixture(scope="module")
def newcool_today() -> LiveState:
    return load(FIXTURE)


@pytest.fixture(scope="module")
def prediction(prod_plan: Plan, newcool_today: LiveState) -> Prediction:
    return predict(prod_plan, newcool_today)


def with_live(tmp_path: Path, change: dict[tuple[str, str], dict[str, object]]) -> Path:
    """A copy of the fixture with some recorded inputs changed, by (type suffix, import id suffix)."""
    document = json.loads(FIXTURE.read_text())
    for resource in document["resources"]:
        for (type_suffix, id_suffix), inputs in change.items():
            if resource["type"].endswith(type_suffix) and resource["importId"].endswith(id_suffix):
                resource["inputs"].update(inputs)
    path = tmp_path / "live.json"
    path.write_text(json.dumps(document))
    return path


def test_the_first_up_imports_every_live_resource_with_inputs_equal_to_live(prediction: Prediction) -> None:
    assert len(prediction.imports) == 16
    assert prediction.unrecorded == []
    assert prediction.import_failures == []


def test_without_ignore_changes_the_same_imports_would_fail(prod_plan: Plan, newcool_today: LiveState) -> None:
    careless = copy.deepcopy(prod_plan)
    for registration in careless:
        registration.ignore_changes = []
    failing = {
        check.registration.name: [d.property for d in check.differences]
        for check in check_imports(careless, newcool_today)
        if check.fails
    }
    assert failing["cdn"] == ["tags"]
    assert failing["cache"] == ["budget", "eviction"]
    assert set(failing["supabase-service-key"]) == {"comment", "sensitive", "targets", "value"}
    assert len(failing) == 15  # all but the domain, which declares only what identifies it


def test_a_declared_input_that_differs_from_live_fails_the_preview_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live = with_live(tmp_path, {("redisDatabase:RedisDatabase", ""): {"primaryRegion": "eu-west-1"}})
    assert preview_command.main(["--stack", "prod", "--live-state", str(live)]) == 1
    out = " ".join(capsys.readouterr().out.split())  # as one line, whatever the terminal's width
    assert "1 import(s) the engine would refuse" in out
    assert "error: upstash:index/redisDatabase:RedisDatabase cache: inputs to import do not match the existing" in out
    assert "primaryRegion (declared us-east-1, live eu-west-1)" in out


def test_the_projects_own_first_up_passes_the_preview_and_reports_the_second(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    assert preview_command.main(["--stack", "prod", "--live-state", str(FIXTURE), "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert "0 import(s) the engine would refuse, 16 accepted" in out
    engine = json.loads(report.read_text())["engine"]
    assert [i for i in engine["imports"] if i["fails"]] == []
    # No secret, nor the offline stand-in for one, reaches the output.
    assert SECRET_PLACEHOLDER not in out + report.read_text()
    assert "sb_secret_" not in out + report.read_text()


def test_the_second_up_replaces_only_the_variables_that_become_sensitive_and_deletes_them_first(
    prediction: Prediction,
) -> None:
    replaced = {c.registration.props["key"]: c for c in prediction.second_up if c.kind == "replace"}
    assert set(replaced) == SECRET_VARIABLES
    assert all(c.forcing == ("sensitive",) and c.delete_first for c in replaced.values())
    assert not any(c.blocked_by_protect for c in prediction.second_up)


def test_the_second_up_updates_buckets_cache_and_project_in_place(prediction: Prediction) -> None:
    updates = {
        c.registration.name: [d.property for d in c.differences] for c in prediction.second_up if c.kind == "update"
    }
    assert updates["cdn"] == updates["assets"] == updates["uploads"] == ["tags"]
    # The live name stays (redisCacheName), so the cache is never replaced: budget and eviction only.
    assert updates["cache"] == ["budget", "eviction"]
    assert updates["project"] == ["oidcTokenConfig", "resourceConfig", "vercelAuthentication"]
    assert "domain" not in updates


def test_a_malformed_live_state_is_one_line_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "prod.json"
    broken.write_text('{"format": "something else"}')
    assert preview_command.main(["--stack", "prod", "--live-state", str(broken)]) == 2
    assert "prod.json: is not a recorded live state" in capsys.readouterr().out
