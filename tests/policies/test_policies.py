"""Every policy fires on a plan that breaks it and passes on the real stacks.

Each firing case takes a stack's real plan and breaks exactly one thing, the way a careless
change to the program would. The real stacks are judged as the engine judges them: the pack runs
as its own process, called over gRPC. The many broken plans are judged by the same pack code in
this process (``tests/policies/in_process.py``), held equal to the gRPC path by a test below.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any, cast

import pytest
from pulumi.runtime.proto import analyzer_pb2_grpc

from policies import guardrails
from policies.guardrails.common import enforcement_for
from policies.guardrails.pack import POLICIES, stack_config
from preview.adoption import run_second_up
from preview.analyzer import AnswerMemo, PackProcess, Verdict, analyze, stack_policy_config
from preview.plan import Plan
from tests.policies.breaking import (
    AUTH,
    BUCKET,
    ENV_VAR,
    LEGACY_KEYS,
    LIFECYCLE,
    NETWORK,
    PUBLIC_READ_UNTIL_TAG_KEY,
    VERSIONING,
    dropping,
    edited,
    lifecycle_without_abort,
    setter,
    without,
)
from tests.policies.cases import FIRING, MODULES, REVIEW_FIRING
from tests.policies.in_process import InProcessPack

POLICY_NAMES = sorted(policy.name for policy in POLICIES)
# Every module of the pack but its plumbing: a new module cannot be left without cases.
GUARDRAIL_MODULES = {
    info.name: importlib.import_module(f"policies.guardrails.{info.name}")
    for info in pkgutil.iter_modules(guardrails.__path__)
    if info.name not in ("common", "pack", "bucket_roles")
}
# The in-process pack's answers to resource analyses, shared by every test judging through it:
# each changes a resource or two of a real plan, and only those are sent to the pack again
# (stack analysis always runs; the key holds the stack and its policy config).
ANSWERS: AnswerMemo = {}
# Reported while prod's legacy keys are on, and during the media cut-over (advisory): expected
# in the real prod plan.
EXPECTED_ADVISORIES = {"dev": set(), "prod": {"supabase-legacy-keys-disabled", "s3-public-read-cutover-open"}}


@pytest.fixture(scope="module")
def grpc_stub(running_pack: PackProcess) -> analyzer_pb2_grpc.AnalyzerStub:
    return running_pack.stub()


@pytest.fixture(scope="module")
def stub() -> analyzer_pb2_grpc.AnalyzerStub:
    return cast(analyzer_pb2_grpc.AnalyzerStub, InProcessPack())


@pytest.fixture(scope="module")
def verdicts(grpc_stub: analyzer_pb2_grpc.AnalyzerStub, dev_plan: Plan, prod_plan: Plan) -> dict[str, Verdict]:
    """Each real stack, end to end: the pack in its own process, over gRPC."""
    return {"dev": analyze(dev_plan, stub=grpc_stub), "prod": analyze(prod_plan, stub=grpc_stub)}


def test_the_pack_in_process_gives_the_verdict_it_gives_over_grpc(
    stub: analyzer_pb2_grpc.AnalyzerStub, grpc_stub: analyzer_pb2_grpc.AnalyzerStub, prod_plan: Plan
) -> None:
    # A resource policy and a stack policy broken, and one policy configured differently.
    broken = edited(legacy_keys_off(prod_plan), ENV_VAR, "supabase-service-key", setter("sensitive", False))
    broken = edited(broken, VERSIONING, "cdn-versioning", setter("versioningConfiguration.status", "Suspended"))
    config: dict[str, Any] = {**stack_config("prod"), "s3-buckets-versioned": "advisory"}
    for plan, policy_config in ((prod_plan, None), (broken, None), (broken, config)):
        in_process, over_grpc = analyze(plan, policy_config, stub), analyze(plan, policy_config, grpc_stub)
        assert in_process.violations and sorted(map(repr, in_process.violations)) == sorted(
            map(repr, over_grpc.violations)
        )
        assert in_process.policies == over_grpc.policies and in_process.rules == over_grpc.rules


# --- ways to break a plan ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "breaks", "message"), FIRING, ids=[f"{p}-{i}" for i, (p, _, _) in enumerate(FIRING)]
)
def test_policy_fires_on_a_plan_that_breaks_it(
    stub: analyzer_pb2_grpc.AnalyzerStub, prod_plan: Plan, policy: str, breaks: Callable[[Plan], Plan], message: str
) -> None:
    broken = breaks(prod_plan if policy != "supabase-legacy-keys-disabled" else legacy_keys_off(prod_plan))
    verdict = analyze(broken, stub=stub, memo=ANSWERS)
    fired = [v for v in verdict.violations if v.policy == policy]
    assert fired, f"{policy} did not fire; got {[v.policy for v in verdict.violations]}"
    assert any(message in v.message for v in fired), [v.message for v in fired]
    recommendation = policy in RECOMMENDATIONS
    assert all(v.enforcement == ("advisory" if recommendation else "mandatory") for v in fired)
    # Exactly the broken rule fires: every other policy still passes.
    assert {v.policy for v in verdict.violations} - (EXPECTED_ADVISORIES["prod"] - {policy}) == {policy}


RECOMMENDATIONS = ("s3-abort-incomplete-uploads", "supabase-legacy-keys-disabled", "s3-public-read-cutover-open")


def test_every_policy_has_a_firing_case() -> None:
    assert sorted({policy for policy, _, _ in FIRING + REVIEW_FIRING}) == POLICY_NAMES


def test_the_cases_mirror_the_guardrail_modules() -> None:
    """Each guardrail module's policies are broken in the cases module of the same name."""
    assert set(MODULES) == {name for name, module in GUARDRAIL_MODULES.items() if module.POLICIES}
    for name, cases in MODULES.items():
        declared = {policy.name for policy in GUARDRAIL_MODULES[name].POLICIES}
        assert {policy for policy, _, _ in cases.CASES} == declared, name


@pytest.mark.parametrize("policy", POLICY_NAMES)
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_policy_passes_on_the_real_stack(verdicts: dict[str, Verdict], stack: str, policy: str) -> None:
    assert policy in verdicts[stack].policies
    reported = [v for v in verdicts[stack].violations if v.policy == policy]
    if policy in EXPECTED_ADVISORIES[stack]:
        assert reported and {v.enforcement for v in reported} == {"advisory"}
    else:
        assert [v.message for v in reported] == []


def legacy_keys_off(plan: Plan) -> Plan:
    return edited(plan, LEGACY_KEYS, "legacy-keys", setter("settings.enabled", False))


def test_the_legacy_keys_rule_passes_once_they_are_off(stub: analyzer_pb2_grpc.AnalyzerStub, prod_plan: Plan) -> None:
    reported = {v.policy for v in analyze(legacy_keys_off(prod_plan), stub=stub, memo=ANSWERS).violations}
    assert reported == EXPECTED_ADVISORIES["prod"] - {"supabase-legacy-keys-disabled"}


@pytest.mark.parametrize(
    ("policy", "breaks"),
    [
        (
            "supabase-auth-redirects",
            lambda p: edited(p, AUTH, "auth", setter("settings.uri_allow_list", "http://localhost:3000/**")),
        ),
        (
            "supabase-network-restricted",
            lambda p: edited(p, NETWORK, "network", setter("settings.dbAllowedCidrs", ["0.0.0.0/0"])),
        ),
    ],
)
def test_dev_may_use_localhost_redirects_and_an_open_network_and_prod_may_not(
    stub: analyzer_pb2_grpc.AnalyzerStub, dev_plan: Plan, prod_plan: Plan, policy: str, breaks: Callable[[Plan], Plan]
) -> None:
    assert [v.policy for v in analyze(breaks(dev_plan), stub=stub, memo=ANSWERS).violations] == []
    assert policy in {v.policy for v in analyze(breaks(prod_plan), stub=stub, memo=ANSWERS).mandatory}


def test_only_a_stack_on_a_plan_without_breach_checks_may_leave_them_off(
    stub: analyzer_pb2_grpc.AnalyzerStub, dev_plan: Plan
) -> None:
    """Both stacks' plans have leaked-password checks; planWithoutBreachCheck is for a Free one."""
    unchecked = edited(dev_plan, AUTH, "auth", setter("settings.password_hibp_enabled", False))
    fired = {v.policy for v in analyze(unchecked, stub=stub, memo=ANSWERS).violations}
    assert "supabase-auth-password-policy" in fired
    free: dict[str, Any] = {**stack_config("dev"), "supabase-auth-password-policy": {"planWithoutBreachCheck": True}}
    assert "supabase-auth-password-policy" not in {
        v.policy for v in analyze(unchecked, free, stub=stub, memo=ANSWERS).violations
    }


def test_both_stacks_analyze_every_resource(verdicts: dict[str, Verdict], dev_plan: Plan, prod_plan: Plan) -> None:
    assert verdicts["dev"].analyzed == len(dev_plan.registrations) > 50
    assert verdicts["prod"].analyzed == len(prod_plan.registrations) > 50
    assert verdicts["prod"].pack == "newcool-guardrails"


def test_dev_reports_medium_rules_as_advisory_and_prod_blocks_them(
    stub: analyzer_pb2_grpc.AnalyzerStub, dev_plan: Plan, prod_plan: Plan
) -> None:
    def break_versioning(plan: Plan) -> Plan:
        return edited(plan, VERSIONING, "cdn-versioning", setter("versioningConfiguration.status", "Suspended"))

    dev = analyze(break_versioning(dev_plan), stub=stub, memo=ANSWERS)
    prod = analyze(break_versioning(legacy_keys_off(prod_plan)), stub=stub, memo=ANSWERS)
    assert [v.enforcement for v in dev.violations] == ["advisory"]
    assert [v.enforcement for v in prod.violations if v.policy == "s3-buckets-versioned"] == ["mandatory"]
    assert prod.mandatory == [v for v in prod.violations if v.policy == "s3-buckets-versioned"]


def test_a_recommendation_never_blocks(stub: analyzer_pb2_grpc.AnalyzerStub, prod_plan: Plan) -> None:
    broken = edited(legacy_keys_off(prod_plan), LIFECYCLE, "uploads-lifecycle", lifecycle_without_abort)
    verdict = analyze(broken, stub=stub, memo=ANSWERS)
    reported = [(v.policy, v.enforcement) for v in verdict.violations if v.policy == "s3-abort-incomplete-uploads"]
    assert reported == [("s3-abort-incomplete-uploads", "advisory")]
    assert verdict.mandatory == []


def test_policy_config_can_allow_another_public_variable(stub: analyzer_pb2_grpc.AnalyzerStub, prod_plan: Plan) -> None:
    renamed = edited(prod_plan, ENV_VAR, "s3-bucket-cdn", setter("key", "NEXT_PUBLIC_CDN_BUCKET"))
    config: dict[str, Any] = dict(stack_config("prod"))
    assert any(
        v.policy == "vercel-nothing-secret-public" for v in analyze(renamed, config, stub=stub, memo=ANSWERS).violations
    )
    config["vercel-nothing-secret-public"] = {
        "enforcementLevel": "mandatory",
        "allowedPublic": ["NEXT_PUBLIC_SUPABASE_URL", "NEXT_PUBLIC_SUPABASE_ANON_KEY", "NEXT_PUBLIC_CDN_BUCKET"],
    }
    assert not any(
        v.policy == "vercel-nothing-secret-public" for v in analyze(renamed, config, stub=stub, memo=ANSWERS).violations
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_committed_policy_config_matches_the_pack(stack: str) -> None:
    assert stack_policy_config(stack) == stack_config(stack), "run `make docs` to regenerate policies/config.*.json"


def test_every_policy_is_described_for_auditors() -> None:
    for policy in POLICIES:
        assert policy.description and policy.remediation_steps and policy.severity, policy.name
        assert enforcement_for(policy, "prod").value in ("mandatory", "advisory")


def test_without_its_dated_tag_a_public_media_bucket_is_no_cutover(
    stub: analyzer_pb2_grpc.AnalyzerStub, prod_plan: Plan
) -> None:
    broken = edited(prod_plan, BUCKET, "cdn", dropping(f"tags.{PUBLIC_READ_UNTIL_TAG_KEY}"))
    fired = {(v.policy, v.enforcement) for v in analyze(broken, stub=stub, memo=ANSWERS).mandatory}
    assert fired == {("s3-public-access-block-complete", "mandatory"), ("s3-no-public-grant", "mandatory")}


def test_the_cutover_is_advisory_until_its_date_and_mandatory_after_it_in_prod(
    stub: analyzer_pb2_grpc.AnalyzerStub, prod_plan: Plan
) -> None:
    config: dict[str, Any] = dict(stack_config("prod"))
    config["s3-public-read-cutover-open"] = {**config["s3-public-read-cutover-open"], "asOf": "2027-02-28"}
    config["s3-public-read-cutover-expired"] = {**config["s3-public-read-cutover-expired"], "asOf": "2027-02-28"}
    on_the_day = analyze(prod_plan, config, stub=stub, memo=ANSWERS)
    assert {v.policy for v in on_the_day.violations} >= {"s3-public-read-cutover-open"}
    assert on_the_day.mandatory == []
    for key in ("s3-public-read-cutover-open", "s3-public-read-cutover-expired"):
        config[key] = {**config[key], "asOf": "2027-03-01"}
    after = analyze(prod_plan, config, stub=stub, memo=ANSWERS)
    assert sorted(v.policy for v in after.mandatory) == ["s3-public-read-cutover-expired"] * 2
    assert not any(v.policy == "s3-public-read-cutover-open" for v in after.violations)


def test_remembered_answers_give_the_verdict_the_pack_gives_afresh(
    stub: analyzer_pb2_grpc.AnalyzerStub, prod_plan: Plan
) -> None:
    memo: AnswerMemo = {}
    analyze(prod_plan, stub=stub, memo=memo)
    broken = edited(prod_plan, ENV_VAR, "supabase-service-key", setter("sensitive", False))
    remembered, afresh = analyze(broken, stub=stub, memo=memo), analyze(broken, stub=stub)
    assert "vercel-secrets-sensitive" in {v.policy for v in remembered.violations}
    assert sorted(map(repr, remembered.violations)) == sorted(map(repr, afresh.violations))


def test_prods_previews_with_devs_whole_set_pass_and_half_of_it_fires(
    stub: analyzer_pb2_grpc.AnalyzerStub, prod_plan: Plan
) -> None:
    """Once adopted (the second up) prod's previews get every variable from dev's outputs: the
    rule passes; one of them left out is half a backend, and it fires."""
    second = run_second_up(prod_plan, collect=False)
    assert any("preview" in r.props["targets"] for r in second.of_type(ENV_VAR))
    passing = analyze(second, stub=stub, memo=ANSWERS)
    assert [v.message for v in passing.violations if v.policy == "vercel-preview-isolated"] == []
    half = analyze(without(second, ENV_VAR, "upstash-ratelimit-rest-token-preview"), stub=stub, memo=ANSWERS)
    fired = [v.message for v in half.violations if v.policy == "vercel-preview-isolated"]
    assert len(fired) == 1
    assert "previews get half a backend: no preview value for UPSTASH_RATELIMIT_REST_TOKEN (" in fired[0]
