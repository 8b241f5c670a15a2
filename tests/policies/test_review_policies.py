"""The review rules fire on a review stack's plan broken one way, pass on the real one (and on
the branch's own parent reference), and stay silent in dev and prod (tests/policies/test_policies.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pulumi.runtime.proto import analyzer_pb2_grpc

from policies.guardrails.pack import review_config
from preview.analyzer import PackProcess, analyze, stack_policy_config
from preview.engine import run_program
from preview.plan import Plan
from stack_config.review import prod_markers
from tests.policies.breaking import edited, setter
from tests.policies.cases import REVIEW_FIRING
from tests.policies.cases.review import BRANCH, VARIABLE


@pytest.fixture(scope="module")
def stub(running_pack: PackProcess) -> analyzer_pb2_grpc.AnalyzerStub:
    return running_pack.stub()


@pytest.fixture(scope="module")
def review_plan() -> Plan:
    return run_program("pr-123")


def test_the_real_review_plan_passes_every_rule(stub: analyzer_pb2_grpc.AnalyzerStub, review_plan: Plan) -> None:
    verdict = analyze(review_plan, stub=stub)
    assert verdict.analyzed == len(review_plan.registrations) > 10
    assert [(v.policy, v.message) for v in verdict.violations] == []


@pytest.mark.parametrize(
    ("policy", "breaks", "message"), REVIEW_FIRING, ids=[f"{p}-{i}" for i, (p, _, _) in enumerate(REVIEW_FIRING)]
)
def test_review_rule_fires_on_a_review_plan_that_breaks_it(
    stub: analyzer_pb2_grpc.AnalyzerStub, review_plan: Plan, policy: str, breaks: Callable[[Plan], Plan], message: str
) -> None:
    verdict = analyze(breaks(review_plan), stub=stub)
    fired = [v for v in verdict.violations if v.policy == policy]
    assert any(message in v.message for v in fired), [v.message for v in verdict.violations]
    assert {v.policy for v in verdict.violations} == {policy}
    assert {v.enforcement for v in fired} == {"mandatory"}


# The app's variable rules (policies/guardrails/vercel.py) judge a branch's variables as they
# judge the project's: a review's service key is a credential like production's.
BRANCH_VARIABLE_FIRING = [
    (
        "vercel-secrets-sensitive",
        lambda p: edited(p, VARIABLE, "supabase-service-key", setter("sensitive", False)),
        "SUPABASE_SERVICE_KEY: holds a credential",
    ),
    (
        "vercel-nothing-secret-public",
        lambda p: edited(p, VARIABLE, "supabase-service-key", setter("key", "NEXT_PUBLIC_SUPABASE_SERVICE_KEY")),
        "NEXT_PUBLIC_SUPABASE_SERVICE_KEY: NEXT_PUBLIC_ values are inlined",
    ),
    ("vercel-reserved-names", lambda p: edited(p, VARIABLE, "s3-key-prefix", setter("key", "TZ")), "TZ: is reserved"),
]


@pytest.mark.parametrize(
    ("policy", "breaks", "message"),
    BRANCH_VARIABLE_FIRING,
    ids=[policy for policy, _, _ in BRANCH_VARIABLE_FIRING],
)
def test_the_app_variable_rules_fire_on_a_review_branchs_variables(
    stub: analyzer_pb2_grpc.AnalyzerStub, review_plan: Plan, policy: str, breaks: Callable[[Plan], Plan], message: str
) -> None:
    verdict = analyze(breaks(review_plan), stub=stub)
    assert [(v.policy, v.enforcement) for v in verdict.violations if message in v.message] == [(policy, "mandatory")]
    assert {v.policy for v in verdict.violations} == {policy}


def test_prod_as_the_branch_parent_fires(stub: analyzer_pb2_grpc.AnalyzerStub, review_plan: Plan) -> None:
    """A review branch's parent is dev's project: prod's reference there is prod's backend too."""
    parent_is_prod = edited(review_plan, BRANCH, "branch", setter("parent_ref", "prodnewcoolprojectbb"))
    fired = analyze(parent_is_prod, stub=stub).violations
    assert [v.policy for v in fired] == ["review-no-prod-backend"]
    assert fired[0].message.endswith("branch: parent_ref carries prod's 'prodnewcoolprojectbb'.")


def test_the_committed_review_config_matches_the_pack_and_names_prods_backend() -> None:
    assert stack_policy_config("pr-7") == review_config(prod_markers()), "run `make docs`"
    markers = stack_policy_config("pr-7")["review-no-prod-backend"]["prodMarkers"]
    assert {"api.newcool.io", "newcool-uploads", "prodnewcoolprojectbb"} <= set(markers)
