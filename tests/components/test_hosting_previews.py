"""Prod's preview deployments: the dev stack's whole backend, read from its outputs, or nothing.

A preview builds any pushed branch. Each of its variables is read from dev's StackReference (the
plan records which resource a value was computed from), the set is production's whole set, and
every name prod reads is one dev's own plan exports.
"""

from __future__ import annotations

import pytest

from preview.adoption import run_second_up
from preview.engine import STACK_REFERENCE_SECRETS, stack_reference_outputs
from preview.plan import Plan, Registration, Secret
from stack_config.app_variables import app_variables
from stack_config.stack_file import ROOT
from tests.program_runs import run_program

STACK_REFERENCE = "pulumi:pulumi:StackReference"
ENV_VAR = "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable"
# Credentials and backends: what a preview must never share with production.
BACKEND = ("NEXT_PUBLIC_SUPABASE_", "SUPABASE_", "UPSTASH_", "AWS_ROLE_ARN", "S3_BUCKET_")


@pytest.fixture(scope="module")
def second_up(prod_plan: Plan) -> Plan:
    """Prod once adopted: the preview set is written by the second `up` (tests/components/test_hosting.py)."""
    return run_second_up(prod_plan)


def previews(plan: Plan) -> dict[str, Registration]:
    """The generic preview variables (a gitBranch one belongs to one branch's review environment)."""
    found = [r for r in plan.of_type(ENV_VAR) if "preview" in r.props["targets"] and not r.props.get("gitBranch")]
    assert len({r.props["key"] for r in found}) == len(found), "a key twice for preview"
    return {r.props["key"]: r for r in found}


def production(plan: Plan) -> dict[str, Registration]:
    return {r.props["key"]: r for r in plan.of_type(ENV_VAR) if "production" in r.props["targets"]}


def test_every_preview_variable_reads_devs_outputs_and_nothing_of_prods(second_up: Plan) -> None:
    # The one StackReference (a read: the engine keeps no registration of it, only the URN values
    # were computed from); its values below are dev's, so it names dev.
    reference = "urn:pulumi:prod::newcool-infra::newcool:hosting:VercelHosting$" + STACK_REFERENCE + "::preview-backend"
    found = previews(second_up)
    assert found
    own = production(second_up)
    for key, variable in found.items():
        assert variable.props["targets"] == ["preview"], key
        sources = variable.property_dependencies.get("value", [])
        if key == "NODE_ENV":
            # A fixed word, computed from nothing.
            assert sources == [] and variable.props["value"] == "production"
            continue
        assert sources == [reference], key
        if key.startswith(BACKEND):
            assert variable.props["value"] != own[key].props["value"], key
    # Dev's values, where its stack file states them.
    assert found["NEXT_PUBLIC_SUPABASE_URL"].props["value"] == "https://devnewcoolprojectaaa.supabase.co"
    assert found["S3_BUCKET_UPLOADS"].props["value"] == "newcool-dev-uploads"
    assert found["AWS_ROLE_ARN"].props["value"].endswith(":role/newcool-dev-vercel-app")
    assert found["UPSTASH_RATELIMIT_REST_URL"].props["value"].startswith("https://dev-ratelimit")


def test_the_preview_set_is_productions_whole_set(second_up: Plan) -> None:
    assert set(previews(second_up)) == set(production(second_up))


def test_secret_preview_variables_are_sensitive_and_stay_secrets(second_up: Plan) -> None:
    own = production(second_up)
    for key, variable in previews(second_up).items():
        assert variable.props["sensitive"] is own[key].props["sensitive"], key
        if variable.props["sensitive"]:
            assert isinstance(variable.inputs["value"], Secret), key
    sensitive = {key for key, variable in previews(second_up).items() if variable.props["sensitive"]}
    assert sensitive == {
        "SUPABASE_SERVICE_KEY",
        "UPSTASH_REDIS_REST_URL",
        "UPSTASH_REDIS_REST_TOKEN",
        "UPSTASH_RATELIMIT_REST_URL",
        "UPSTASH_RATELIMIT_REST_TOKEN",
    }


def test_without_preview_stack_prod_declares_no_preview_variable() -> None:
    plan = run_program("prod", {"previewStack": None, "adopt": None, "placeholders": []})
    assert production(plan)
    assert previews(plan) == {}
    assert [r for r in plan.of_type(ENV_VAR) if "preview" in r.props["targets"]] == []
    assert not [r for r in plan.of_type(ENV_VAR) if any(STACK_REFERENCE in u for u in r.dependencies)]


def test_the_first_up_of_an_adoption_writes_no_preview_variable(prod_plan: Plan) -> None:
    """Adopted variables keep their live targets on the first `up`: the preview set comes whole
    with the second, never half of it beside them."""
    assert previews(prod_plan) == {}


def test_every_output_prod_reads_is_one_devs_plan_exports(second_up: Plan, dev_plan: Plan) -> None:
    reads = {row.preview_output for row in app_variables("prod", "oidc", True) if row.preview_output}
    assert reads
    for output in reads:
        name, _, key = output.partition(".")
        assert name in dev_plan.outputs, name
        exported = dev_plan.outputs[name]
        value = exported.value if isinstance(exported, Secret) else exported
        assert value, output
        if key:
            assert isinstance(value, dict) and value.get(key), output
    # Dev's secrets are exported as secrets, as the stand-in reads them.
    for name in STACK_REFERENCE_SECRETS:
        assert isinstance(dev_plan.outputs[name], Secret), name


def test_the_stand_in_reads_what_devs_plan_exports(dev_plan: Plan) -> None:
    """The offline StackReference is held to dev's real plan: the same names, the same keys, and
    the same values wherever dev's own config states them."""
    standin = stack_reference_outputs("dev", ROOT)
    for name, value in standin.items():
        exported = dev_plan.outputs[name]
        exported = exported.value if isinstance(exported, Secret) else exported
        if isinstance(value, dict):
            assert set(value) <= set(exported), name
    for name in ("supabaseUrl", "appRoleArn", "storageRegion", "bucketNames"):
        assert standin[name] == dev_plan.outputs[name], name


def test_devs_role_trusts_prods_preview_deployments_and_no_other_of_prods(dev_plan: Plan, prod_plan: Plan) -> None:
    role = dev_plan.named("aws:iam/role:Role", "app-role")
    (statement,) = role.json_input("assumeRolePolicy")["Statement"]
    subjects = statement["Condition"]["StringEquals"]["oidc.vercel.com/newcool:sub"]
    prod_project = prod_plan.named("vercel:index/project:Project", "project").props["name"]
    assert [s for s in subjects if f":project:{prod_project}:" in s] == [
        f"owner:newcool:project:{prod_project}:environment:preview"
    ]
