"""The CDN's web application firewall: where it lives, what it blocks, how it is switched and logged."""

from __future__ import annotations

from typing import Any

import pytest

from components.firewall import LOG_RETENTION_DAYS, MANAGED_RULE_GROUPS, log_retention
from preview.plan import Plan
from stack_config import CDN_ROLES, ConfigError
from tests.plan_queries import statements
from tests.program_runs import run_program

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
WAF_LOGGING = "pulumi-python:dynamic/aws:WebAclLogging"


def web_acl(plan: Plan) -> dict[str, Any]:
    return plan.named(WEB_ACL, "cdn-web-acl").props


def rules_by_name(plan: Plan) -> dict[str, dict[str, Any]]:
    return {rule["name"]: rule for rule in web_acl(plan)["rules"]}


def test_one_cloudfront_scope_web_acl_in_us_east_1_guards_every_distribution(plan: Plan) -> None:
    (acl,) = plan.of_type(WEB_ACL)
    assert acl.props["scope"] == "CLOUDFRONT"
    assert acl.props["region"] == "us-east-1", "AWS accepts CLOUDFRONT-scope web ACLs in us-east-1 only"
    for role in CDN_ROLES:
        distribution = plan.named(DISTRIBUTION, f"{role}-distribution")
        assert distribution.props["webAclId"] == acl.outputs["arn"]
        assert distribution.property_dependencies["webAclId"] == [acl.urn]


def test_managed_rule_groups_run_first_and_enforce_their_own_actions(plan: Plan) -> None:
    rules = rules_by_name(plan)
    for group in MANAGED_RULE_GROUPS:
        rule = rules[group]
        assert rule["statement"]["managedRuleGroupStatement"] == {"vendorName": "AWS", "name": group}
        assert rule["overrideAction"] == {"none": {}}, "block mode must not override the groups to count"
        assert rule["visibilityConfig"]["sampledRequestsEnabled"] is True
    # The IP reputation list decides before the (costlier) content inspections.
    ordered = sorted(web_acl(plan)["rules"], key=lambda r: r["priority"])
    assert [r["name"] for r in ordered] == [*MANAGED_RULE_GROUPS, "rate-limit-per-ip"]
    assert ordered[0]["name"] == "AWSManagedRulesAmazonIpReputationList"
    assert len({r["priority"] for r in ordered}) == len(ordered)


def test_a_single_client_ip_is_rate_limited_and_blocked(plan: Plan) -> None:
    rule = rules_by_name(plan)["rate-limit-per-ip"]
    assert rule["action"] == {"block": {}}
    statement = rule["statement"]["rateBasedStatement"]
    assert statement == {"aggregateKeyType": "IP", "limit": 2000, "evaluationWindowSec": 300}
    # Unmatched requests pass: the ACL filters, it does not gate the CDN.
    assert web_acl(plan)["defaultAction"] == {"allow": {}}


def test_count_mode_only_records_what_every_rule_would_block() -> None:
    plan = run_program("prod", {"wafMode": "count", "wafRateLimit": 500})
    rules = rules_by_name(plan)
    assert all(rules[group]["overrideAction"] == {"count": {}} for group in MANAGED_RULE_GROUPS)
    assert rules["rate-limit-per-ip"]["action"] == {"count": {}}
    assert rules["rate-limit-per-ip"]["statement"]["rateBasedStatement"]["limit"] == 500
    assert "block" not in str(web_acl(plan))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"wafMode": "off"}, "Pulumi.prod.yaml: newcool-infra:wafMode must be one of block, count, got 'off'"),
        ({"wafRateLimit": 5}, "Pulumi.prod.yaml: newcool-infra:wafRateLimit must be between 10 and 2000000000"),
        ({"wafRateLimit": "lots"}, "Pulumi.prod.yaml: newcool-infra:wafRateLimit must be a whole number"),
    ],
)
def test_bad_firewall_config_names_the_key(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        run_program("prod", overrides)
    assert str(raised.value).startswith(message)


def test_waf_logs_go_to_a_log_group_kept_as_long_as_the_other_logs(plan: Plan) -> None:
    group = plan.named("aws:cloudwatch/logGroup:LogGroup", "cdn-waf-logs")
    assert group.props["name"].startswith("aws-waf-logs-"), "WAF refuses log destinations without this prefix"
    assert group.props["region"] == "us-east-1"
    assert group.props["retentionInDays"] == {"dev": 30, "prod": 365}[plan.stack]
    logging = plan.named(WAF_LOGGING, "cdn-waf-logging")
    assert logging.props["resource_arn"] == plan.named(WEB_ACL, "cdn-web-acl").outputs["arn"]
    assert logging.props["log_destination_configs"] == [group.outputs["arn"]]
    assert set(logging.props["redacted_headers"]) == {"authorization", "cookie"}
    assert logging.props["region"] == "us-east-1"


def test_only_this_accounts_log_delivery_may_write_the_waf_log_group(plan: Plan) -> None:
    policy = plan.named("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "cdn-waf-log-delivery")
    (statement,) = statements(policy.json_input("policyDocument"))
    group_arn = plan.named("aws:cloudwatch/logGroup:LogGroup", "cdn-waf-logs").outputs["arn"]
    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert statement["Resource"] == f"{group_arn}:*"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    # Scoped to the log group: account-wide resource policies are limited to 10 a region.
    assert policy.props["resourceArn"] == group_arn
    assert policy.property_dependencies["resourceArn"] == [
        plan.named("aws:cloudwatch/logGroup:LogGroup", "cdn-waf-logs").urn
    ]
    assert "policyName" not in policy.props
    logging = plan.named(WAF_LOGGING, "cdn-waf-logging")
    assert policy.urn in logging.dependencies, "logging must wait until the delivery is admitted"


@pytest.mark.parametrize(("days", "kept"), [(1, 1), (30, 30), (31, 60), (365, 365), (366, 400), (3650, 3653)])
def test_log_retention_rounds_up_to_a_value_cloudwatch_accepts(days: int, kept: int) -> None:
    assert log_retention(days) == kept
    assert kept in LOG_RETENTION_DAYS


def test_every_firewall_resource_is_parented_to_the_component(plan: Plan) -> None:
    component = plan.named("newcool:firewall:CdnFirewall", "edge")
    for registration in plan:
        if registration.type.startswith("aws:wafv2/") or registration.name.startswith("cdn-waf"):
            assert registration.parent == component.urn, registration.name
