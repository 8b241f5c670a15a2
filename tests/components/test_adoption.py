"""Adopting the live system: the first `up` imports each live resource with what the project
will change left as it runs (ignore_changes), so the engine's import check compares only the
properties declared equal to live; without `adopt:` nothing is imported or ignored."""

from __future__ import annotations

import pytest

from preview.adoption import run_second_up
from preview.plan import Plan

ENV_VAR = "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable"

# The engine's (camelCase) names each adopted type leaves as it runs live on the first `up`.
EXPECTED_IGNORED = {
    "aws:s3/bucket:Bucket": ["tags"],
    "upstash:index/redisDatabase:RedisDatabase": ["eviction", "budget", "readRegions"],
    "vercel:index/project:Project": [
        "framework",
        "gitRepository",
        "resourceConfig",
        "oidcTokenConfig",
        "vercelAuthentication",
    ],
    "vercel:index/projectDomain:ProjectDomain": [],
    "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable": ["value", "targets", "sensitive", "comment"],
}


@pytest.fixture(scope="module")
def second_up(prod_plan: Plan) -> Plan:
    """The prod plan once adopt: is removed (the second `up`)."""
    return run_second_up(prod_plan)


def test_every_adopted_resource_is_imported_with_what_will_change_ignored(prod_plan: Plan) -> None:
    adopted = [r for r in prod_plan if r.import_id]
    assert len(adopted) == 16
    for registration in adopted:
        assert registration.ignore_changes == EXPECTED_IGNORED[registration.type], registration.name


def test_what_is_not_adopted_ignores_nothing(prod_plan: Plan, dev_plan: Plan, second_up: Plan) -> None:
    for plan in (prod_plan, dev_plan, second_up):
        assert [r.name for r in plan if r.ignore_changes and not r.import_id] == []
    assert [r.name for r in second_up if r.import_id] == []


def test_the_second_up_updates_what_the_first_imported_and_adds_only_the_preview_variables(
    prod_plan: Plan, second_up: Plan
) -> None:
    # Same URNs: the second `up` updates what the first imported, never creates beside it.
    first = {r.urn for r in prod_plan}
    assert first <= {r.urn for r in second_up}
    added = [r for r in second_up if r.urn not in first]
    # The preview variables wait, whole, for the second `up`: on the first, the live variables
    # still hold preview, and Vercel refuses a second one (ENV_ALREADY_EXISTS); half a set beside
    # them would mix backends. Then they come after the live ones are production-only.
    assert sorted(r.name for r in added) == sorted(
        r.name for r in second_up.of_type(ENV_VAR) if r.props["targets"] == ["preview"]
    )
    assert {r.props["key"] for r in added} == {
        r.props["key"] for r in second_up.of_type(ENV_VAR) if r.props["targets"] == ["production"]
    }
    for variable in added:
        production = second_up.named(variable.type, variable.name.removesuffix("-preview"))
        assert production.urn in variable.dependencies
        assert production.props["targets"] == ["production"]


def test_the_vercel_project_keeps_system_variables_and_uses_function_default_regions(prod_plan: Plan) -> None:
    project = prod_plan.named("vercel:index/project:Project", "project").props
    assert project["automaticallyExposeSystemEnvironmentVariables"] is True
    assert project["resourceConfig"] == {"functionDefaultRegions": ["iad1"]}
    assert "serverlessFunctionRegion" not in project
