"""Health check, alarms and the alert topic: what they watch, where they live, whom they page."""

from __future__ import annotations

import pytest

from components.monitoring import DB_METRIC_NAME, DB_METRIC_NAMESPACE, REPORTER_HEARTBEAT_METRIC
from preview.plan import Plan
from stack_config import CDN_ROLES, ConfigError
from tests.plan_queries import statements
from tests.program_runs import run_program

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def alarm(plan: Plan, name: str) -> dict:  # type: ignore[type-arg]
    return plan.named(ALARM, name).props


@pytest.fixture(scope="module")
def dev_with_dns() -> Plan:
    """Dev once api.dev.newcool.io resolves: the same watch as prod."""
    return run_program("dev", {"apiHealthCheck": True})


@pytest.fixture(params=["prod", "dev-with-dns"])
def watched(request: pytest.FixtureRequest, prod_plan: Plan, dev_with_dns: Plan) -> Plan:
    return prod_plan if request.param == "prod" else dev_with_dns


def test_health_check_probes_the_api_over_https_with_latency(watched: Plan) -> None:
    plan = watched
    check = plan.named("aws:route53/healthCheck:HealthCheck", "api-health").props
    assert check["type"] == "HTTPS"
    assert check["fqdn"] == {"dev": "api.dev.newcool.io", "prod": "api.newcool.io"}[plan.stack]
    assert check["resourcePath"] == "/api/health"
    assert check["port"] == 443
    assert check["measureLatency"] is True
    assert check["enableSni"] is True


def test_topic_in_us_east_1_pages_the_on_call_address(plan: Plan) -> None:
    topic = plan.named("aws:sns/topic:Topic", "alerts")
    assert topic.props["region"] == "us-east-1"
    subscription = plan.named("aws:sns/topicSubscription:TopicSubscription", "alerts-on-call").props
    assert subscription["protocol"] == "email"
    assert subscription["endpoint"] == {"dev": "oncall-dev@newcool.io", "prod": "oncall@newcool.io"}[plan.stack]
    assert subscription["topic"] == topic.outputs["arn"]


def test_every_alarm_lives_in_us_east_1_and_notifies_the_topic(watched: Plan) -> None:
    plan = watched
    topic_arn = plan.named("aws:sns/topic:Topic", "alerts").outputs["arn"]
    alarms = plan.of_type(ALARM)
    assert {a.name for a in alarms} == {
        *("api-down", "api-slow", "db-connections", "supabase-errors"),
        *("app-5xx", "app-p95", "log-drain-silent", "db-metrics-reporter"),
        *(f"{role}-cdn-5xx" for role in CDN_ROLES),
    }
    for registration in alarms:
        assert registration.props["region"] == "us-east-1", registration.name
        assert registration.props["alarmActions"] == [topic_arn], registration.name
        assert registration.props["okActions"] == [topic_arn], registration.name


def test_dev_without_dns_has_no_api_alarm_that_could_only_page(dev_plan: Plan) -> None:
    assert dev_plan.of_type("aws:route53/healthCheck:HealthCheck") == []
    assert {a.name for a in dev_plan.of_type(ALARM)} == {
        *("db-connections", "supabase-errors"),
        *("app-5xx", "app-p95", "log-drain-silent", "db-metrics-reporter"),
        *(f"{role}-cdn-5xx" for role in CDN_ROLES),
    }
    silent = alarm(dev_plan, "log-drain-silent")
    assert [q["id"] for q in silent["metricQueries"]] == ["requests", "silent"], "no health check to ask"
    assert dev_plan.outputs["healthCheckId"] is None


def test_api_alarms_watch_the_health_check(watched: Plan) -> None:
    plan = watched
    check_id = plan.named("aws:route53/healthCheck:HealthCheck", "api-health").id
    down = alarm(plan, "api-down")
    assert (down["namespace"], down["metricName"], down["dimensions"]) == (
        "AWS/Route53",
        "HealthCheckStatus",
        {"HealthCheckId": check_id},
    )
    assert (down["comparisonOperator"], down["threshold"]) == ("LessThanThreshold", 1)
    assert down["treatMissingData"] == "breaching"
    slow = alarm(plan, "api-slow")
    assert (slow["metricName"], slow["dimensions"]) == ("TimeToFirstByte", {"HealthCheckId": check_id})
    assert (slow["comparisonOperator"], slow["threshold"]) == ("GreaterThanThreshold", 2000)


@pytest.mark.parametrize("role", CDN_ROLES)
def test_cdn_alarms_fire_above_one_percent_5xx(plan: Plan, role: str) -> None:
    distribution = plan.named("aws:cloudfront/distribution:Distribution", f"{role}-distribution")
    props = alarm(plan, f"{role}-cdn-5xx")
    assert (props["namespace"], props["metricName"]) == ("AWS/CloudFront", "5xxErrorRate")
    assert props["dimensions"] == {"DistributionId": distribution.id, "Region": "Global"}
    assert (props["comparisonOperator"], props["threshold"]) == ("GreaterThanThreshold", 1)


def test_database_connection_alarm_fires_above_80_percent_measured_never_on_silence(plan: Plan) -> None:
    props = alarm(plan, "db-connections")
    assert (props["namespace"], props["metricName"]) == (DB_METRIC_NAMESPACE, DB_METRIC_NAME)
    assert props["dimensions"] == {"Stack": plan.stack}
    assert (props["comparisonOperator"], props["threshold"]) == ("GreaterThanThreshold", 80)
    # A reporter that cannot reach the database is not a database with too many connections.
    assert props["treatMissingData"] == "notBreaching"


def test_a_failing_or_silent_reporter_pages_through_its_own_heartbeat_alarm(plan: Plan) -> None:
    props = alarm(plan, "db-metrics-reporter")
    assert (props["namespace"], props["metricName"]) == (DB_METRIC_NAMESPACE, REPORTER_HEARTBEAT_METRIC)
    assert props["dimensions"] == {"Stack": plan.stack}
    # A run that failed publishes 0, a run that never happened nothing: both breach.
    assert (props["statistic"], props["comparisonOperator"], props["threshold"]) == ("Minimum", "LessThanThreshold", 1)
    assert props["treatMissingData"] == "breaching"
    assert "reporter" in props["alarmDescription"] and "connections above" not in props["alarmDescription"]
    assert props["name"] == f"newcool-{plan.stack}-db-metrics-reporter"


def test_the_metrics_role_may_only_put_one_namespace_from_main(plan: Plan) -> None:
    role = plan.named("aws:iam/role:Role", "db-metrics-role")
    (trust,) = statements(role.json_input("assumeRolePolicy"))
    host = "token.actions.githubusercontent.com"
    assert trust["Principal"] == {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{host}"}
    assert trust["Condition"] == {
        "StringEquals": {
            f"{host}:aud": "sts.amazonaws.com",
            f"{host}:sub": "repo:newcool/newcool-infra:environment:production-scheduled"
            if plan.stack == "prod"
            else "repo:newcool/newcool-infra:ref:refs/heads/main",
        }
    }
    policy = plan.named("aws:iam/rolePolicy:RolePolicy", "db-metrics-put")
    assert policy.props["role"] == role.props["name"]
    (grant,) = statements(policy.json_input("policy"))
    assert grant["Action"] == "cloudwatch:PutMetricData"
    assert grant["Condition"] == {"StringEquals": {"cloudwatch:namespace": DB_METRIC_NAMESPACE}}


def test_vercel_error_rate_rule_only_when_enabled(prod_plan: Plan, dev_plan: Plan) -> None:
    assert dev_plan.of_type("vercel:index/customAlertRule:CustomAlertRule") == []
    rule = prod_plan.named("vercel:index/customAlertRule:CustomAlertRule", "app-error-rate").props
    assert rule["projectId"] == prod_plan.named("vercel:index/project:Project", "project").id
    assert rule["evaluation"]["query"]["formulas"] == {"formula": "errors / requests"}
    assert rule["evaluation"]["query"]["metrics"]["errors"]["filter"] == "httpStatus >= 500"
    assert rule["trigger"] == {"type": "threshold", "output": "formula", "operator": "gt", "threshold": 0.01}


def test_stack_outputs_name_the_monitoring_resources(prod_plan: Plan) -> None:
    assert prod_plan.outputs["alertsTopicArn"] == prod_plan.named("aws:sns/topic:Topic", "alerts").outputs["arn"]
    assert prod_plan.outputs["healthCheckId"] == prod_plan.named("aws:route53/healthCheck:HealthCheck", "api-health").id


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"onCallEmail": None}, "newcool-infra:onCallEmail is required but not set"),
        ({"onCallEmail": "on-call"}, "newcool-infra:onCallEmail must be an email address"),
        ({"vercelErrorRateAlert": "yes"}, "newcool-infra:vercelErrorRateAlert must be true or false"),
        (
            {"vercelErrorRateAlert": True, "vercelObservabilityPlus": False},
            "newcool-infra:vercelErrorRateAlert needs Observability Plus on the Vercel team",
        ),
        ({"githubRepository": "newcool"}, "newcool-infra:githubRepository must be owner/repository"),
    ],
)
def test_bad_monitoring_config_is_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=f"^Pulumi.dev.yaml: {message}"):
        run_program("dev", overrides)


def test_prod_always_watches_its_api() -> None:
    with pytest.raises(ConfigError, match=r"^Pulumi\.prod\.yaml: newcool-infra:apiHealthCheck must be true in prod"):
        run_program("prod", {"apiHealthCheck": False})


def test_the_alert_topic_is_encrypted_with_a_rotating_key_its_alarms_may_use(plan: Plan) -> None:
    key = plan.named("aws:kms/key:Key", "alerts-key")
    topic = plan.named("aws:sns/topic:Topic", "alerts")
    assert topic.props["kmsMasterKeyId"] == key.outputs["arn"]
    assert topic.property_dependencies["kmsMasterKeyId"] == [key.urn]
    assert key.props["enableKeyRotation"] is True
    assert key.props["region"] == "us-east-1", "the key must live beside the topic"
    by_sid = {s["Sid"]: s for s in statements(key.json_input("policy"))}
    admin = by_sid["AccountAdministersKeyThroughIam"]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    alarms = by_sid["AllowCloudWatchAlarmsToPublish"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(alarms["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    # Only this stack's alarms in this account (confused deputy): every alarm's name fits the pattern.
    assert alarms["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    pattern = alarms["Condition"]["ArnLike"]["aws:SourceArn"]
    prefix = f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:newcool-{plan.stack}-"
    assert pattern == f"{prefix}*"
    for registration in plan.of_type(ALARM):
        assert registration.props["name"].startswith(f"newcool-{plan.stack}-"), registration.name
    assert set(by_sid) == {"AccountAdministersKeyThroughIam", "AllowCloudWatchAlarmsToPublish"}
