"""The review stack pr-<N>: from the committed template, what `make preview STACK=pr-123` shows,
and what a review environment must never hold."""

from __future__ import annotations

import pytest

from components.review_environment import REVIEW_VARIABLES
from policies.guardrails.vercel import BACKEND_PREFIXES
from preview.costs import budget_caps, fixed_charges
from preview.engine import run_program
from preview.plan import Plan
from stack_config import ConfigError, review
from stack_config.app_variables import OWN_VARIABLES
from stack_config.review import offline_review_config, parse_review_config
from stack_config.stack_file import offline_config, stack_file_config

VARIABLE = "pulumi-python:dynamic/vercel:BranchVariable"
BRANCH = "pulumi-python:dynamic/supabase:Branch"
CACHE = "pulumi-python:dynamic/upstash:Database"


@pytest.fixture(scope="module")
def review_plan() -> Plan:
    return run_program("pr-123")


def test_the_review_stack_holds_a_branch_a_cache_and_branch_scoped_preview_variables(review_plan: Plan) -> None:
    branch = review_plan.named(BRANCH, "branch").props
    assert branch["branch_name"] == "pr-123" and branch["git_branch"] == "pr-123"
    assert branch["parent_ref"] == "devnewcoolprojectaaa" and branch["instance_size"] == "micro"
    cache = review_plan.named(CACHE, "cache").props
    assert cache["database_name"] == "newcool-pr-123" and cache["eviction"] is True and cache["budget"] == 20
    variables = list(review_plan.of_type(VARIABLE))
    # Exactly the declared set, each as sensitive as the app's own variable of that key
    # (stack_config/app_variables.py); S3_KEY_PREFIX is the review's own, a path and public.
    table = {row.key: row.sensitive for row in OWN_VARIABLES}
    expected = {d.key: table.get(d.key, False) for d in REVIEW_VARIABLES}
    assert set(expected) - set(table) == {"S3_KEY_PREFIX"}
    # Every value of a backend (Supabase, the cache) is the branch's own, never dev's.
    assert {row.key for row in OWN_VARIABLES if row.key.startswith(BACKEND_PREFIXES)} == set(expected) - {
        "S3_KEY_PREFIX"
    }
    assert {v.props["key"]: v.props["sensitive"] for v in variables} == expected
    for variable in variables:
        assert variable.props["git_branch"] == "pr-123" and variable.props["targets"] == ["preview"]
    # Nothing else in a review stack: no AWS, no project-wide Vercel variable, no second database.
    types = {r.type for r in review_plan if r.custom}
    assert not any(t.startswith(("aws:", "vercel:", "upstash:")) for t in types), types


def test_the_review_stacks_values_come_from_its_own_branch_and_cache(review_plan: Plan) -> None:
    url = review_plan.named(VARIABLE, "next-public-supabase-url")
    branch = review_plan.named(BRANCH, "branch")
    assert branch.urn in url.property_dependencies["value"]
    token = review_plan.named(VARIABLE, "upstash-redis-rest-token")
    assert review_plan.named(CACHE, "cache").urn in token.property_dependencies["value"]
    rebuild = review_plan.named("pulumi-python:dynamic/vercel:BranchRebuild", "preview-rebuild")
    assert {v.urn for v in review_plan.of_type(VARIABLE)} <= set(rebuild.dependencies)


def test_nothing_in_a_review_stack_is_adopted_protected_or_retained(review_plan: Plan) -> None:
    assert [r.name for r in review_plan if r.import_id or r.protect or r.retain_on_delete] == []


def test_the_branch_is_priced_and_the_cache_shows_its_cap(review_plan: Plan) -> None:
    charges = {c.resource: c for c in fixed_charges(review_plan)}
    assert charges["branch"].monthly_usd == pytest.approx(0.01344 * 730, abs=0.01)
    assert [(c.resource, c.monthly_usd) for c in budget_caps(review_plan)] == [("cache", 20.0)]


def test_a_review_stack_refuses_what_it_does_not_read_and_a_budget_above_20() -> None:
    config, secrets = offline_config("pr-5")
    raw = {key.split(":", 1)[1]: value for key, value in config.items() if key.startswith("newcool-infra:")}
    secret_keys = frozenset(key.split(":", 1)[1] for key in secrets)
    with pytest.raises(ConfigError, match=r"newcool-infra:adopt is not read by review stacks"):
        parse_review_config("pr-5", {**raw, "adopt": "{}"}, secret_keys)
    with pytest.raises(ConfigError, match=r"redisBudget must be at most 20"):
        parse_review_config("pr-5", {**raw, "redisBudget": "21"}, secret_keys)
    assert offline_review_config("pr-5").cache_name == "newcool-pr-5"


def test_a_review_branchs_parent_is_devs_project_on_a_plan_that_branches(monkeypatch: pytest.MonkeyPatch) -> None:
    config, secrets = offline_config("pr-5")
    raw = {key.split(":", 1)[1]: value for key, value in config.items() if key.startswith("newcool-infra:")}
    secret_keys = frozenset(key.split(":", 1)[1] for key in secrets)
    prod_url = "https://prodnewcoolprojectbb.supabase.co"
    with pytest.raises(ConfigError, match=r"supabaseUrl must be dev's project, as Pulumi.dev.yaml names it"):
        parse_review_config("pr-5", {**raw, "supabaseUrl": prod_url}, secret_keys)
    dev, dev_secrets = stack_file_config("dev")
    on_free = {**dev, "newcool-infra:supabasePlan": "free"}
    monkeypatch.setattr(review, "stack_file_config", lambda stack: (on_free, dev_secrets))
    with pytest.raises(ConfigError, match=r"^Pulumi.dev.yaml: newcool-infra:supabasePlan is 'free': review branches"):
        parse_review_config("pr-5", raw, secret_keys)
