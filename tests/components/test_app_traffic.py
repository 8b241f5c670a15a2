"""The log drain, its receiver, its logs and the alarms on real traffic: what the plan declares,
and the alarms evaluated on the metric data the receiver emitted from recorded traffic."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from components.app_traffic import MIN_REQUESTS
from components.firewall import log_retention
from lambdas.log_drain_receiver import SECRET_ENVIRONMENT, Receiver, Settings, signature
from preview.plan import Plan, Secret
from tests.components import alarm_math
from tests.plan_queries import statements

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
PERIOD_START = datetime.datetime(2026, 11, 28, 3, 0, tzinfo=datetime.UTC)  # a Saturday night
SECRET = b"recorded-traffic-drain-secret-0123456789"


def alarm(plan: Plan, name: str) -> dict[str, Any]:
    return dict(plan.named(ALARM, name).props)


def test_prod_drains_production_logs_to_its_own_receiver_with_a_secret(prod_plan: Plan) -> None:
    drain = prod_plan.named("vercel:index/logDrain:LogDrain", "log-drain")
    url = prod_plan.named("aws:lambda/functionUrl:FunctionUrl", "log-drain-url")
    assert drain.props["environments"] == ["production"]
    assert drain.props["endpoint"] == url.outputs["functionUrl"]
    assert drain.props["projectIds"] == [prod_plan.named("vercel:index/project:Project", "project").id]
    assert isinstance(drain.inputs["secret"], Secret), "the signing secret stays a secret"
    # Vercel calls the URL to verify it when the drain is created: the grants exist first.
    permissions = {r.urn for r in prod_plan.of_type("aws:lambda/permission:Permission")}
    assert len(permissions) == 2 and permissions <= set(drain.dependencies)


def test_the_receiver_gets_the_same_secret_encrypted_and_only_writes_its_logs(prod_plan: Plan) -> None:
    function = prod_plan.named("aws:lambda/function:Function", "log-drain-receiver")
    drain = prod_plan.named("vercel:index/logDrain:LogDrain", "log-drain")
    assert isinstance(function.inputs["environment"], Secret)
    variables = function.props["environment"]["variables"]
    assert variables[SECRET_ENVIRONMENT] == drain.props["secret"]
    key = prod_plan.named("aws:kms/key:Key", "app-logs-key")
    assert function.props["kmsKeyArn"] == key.outputs["arn"]
    assert function.props["handler"] == "log_drain_receiver.handler"
    write = prod_plan.named("aws:iam/rolePolicy:RolePolicy", "log-drain-receiver-write")
    policy = statements(write.json_input("policy"))
    actions = sorted(a for s in policy for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))
    assert actions == ["kms:Decrypt", "logs:CreateLogStream", "logs:GetLogEvents", "logs:PutLogEvents"]
    (read_back,) = [s for s in policy if s["Action"] == "logs:GetLogEvents"]
    drain_group = prod_plan.named("aws:cloudwatch/logGroup:LogGroup", "app-logs")
    assert read_back["Resource"] == f"{drain_group.outputs['arn']}:*", "reads only the drain's own group"


def test_both_log_groups_keep_the_retention_and_are_encrypted_with_a_key_only_they_may_use(prod_plan: Plan) -> None:
    key = prod_plan.named("aws:kms/key:Key", "app-logs-key")
    assert key.props["enableKeyRotation"] is True
    groups = [prod_plan.named("aws:cloudwatch/logGroup:LogGroup", n) for n in ("app-logs", "log-drain-receiver-logs")]
    for group in groups:
        assert group.props["retentionInDays"] == log_retention(365), "prod's logRetentionDays"
        assert group.props["kmsKeyId"] == key.outputs["arn"]
    (logs_grant,) = [s for s in statements(key.json_input("policy")) if "Service" in s["Principal"]]
    assert logs_grant["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    allowed = logs_grant["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    assert [arn.rsplit(":", 1)[1] for arn in allowed] == [g.props["name"] for g in groups]


def test_the_three_traffic_alarms_page_the_on_call_topic(prod_plan: Plan) -> None:
    topic = prod_plan.named("aws:sns/topic:Topic", "alerts").outputs["arn"]
    for name in ("app-5xx", "app-p95", "log-drain-silent"):
        declared = alarm(prod_plan, name)
        assert declared["alarmActions"] == [topic] and declared["region"] == "us-east-1", name
    check = prod_plan.named("aws:route53/healthCheck:HealthCheck", "api-health").id
    up = next(q for q in alarm(prod_plan, "log-drain-silent")["metricQueries"] if q["id"] == "up")
    assert up["metric"]["dimensions"] == {"HealthCheckId": check}


# --- the alarms on recorded traffic ----------------------------------------------------------


def recorded_traffic(requests: int, errors: int, slow: int, slow_ms: float) -> list[dict[str, Any]]:
    """Five minutes of requests as the drain delivers them: ``errors`` of them 5xx, ``slow`` of
    them taking ``slow_ms``, the rest 300 ms."""
    base = int(PERIOD_START.timestamp() * 1000) + 10_000
    return [
        {
            "id": f"log-{i}",
            "requestId": f"req-{i}",
            "source": "lambda",
            "timestamp": base + i * 100,
            "durationMs": slow_ms if i >= requests - slow else 300.0,
            "proxy": {"statusCode": 503 if i < errors else 200},
        }
        for i in range(requests)
    ]


@pytest.fixture
def cloudwatch() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("logs", region_name="us-east-1")
        client.create_log_group(logGroupName="/newcool/prod/vercel")
        yield boto3.client("cloudwatch", region_name="us-east-1")


def drain(entries: list[dict[str, Any]], cloudwatch: Any) -> list[dict[str, Any]]:
    """Delivers the entries to the receiver in signed batches of 100; puts what it emitted."""
    emitted: list[dict[str, Any]] = []
    settings = Settings(secret=SECRET, log_group="/newcool/prod/vercel", verify_code="v", stack="prod")
    clock = PERIOD_START.timestamp() + 120
    receiver = Receiver(settings, logs=boto3.client("logs", region_name="us-east-1"), clock=lambda: clock,
                        emit=lambda line: emitted.append(json.loads(line)))  # fmt: skip
    for index in range(0, len(entries), 100):
        body = json.dumps(entries[index : index + 100]).encode()
        headers = {"x-vercel-signature": signature(SECRET, body)}
        event = {"requestContext": {"http": {"method": "POST"}}, "headers": headers, "body": body.decode()}
        assert receiver.handle(event)["statusCode"] == 200
    alarm_math.put_emf(cloudwatch, emitted)
    return emitted


@pytest.mark.parametrize(("errors", "pages"), [(12, True), (8, False)], ids=["1.2% pages", "0.8% is quiet"])
def test_the_5xx_share_alarm_on_recorded_traffic(prod_plan: Plan, cloudwatch: Any, errors: int, pages: bool) -> None:
    traffic = recorded_traffic(1000, errors, 0, 0)
    assert sum(e["proxy"]["statusCode"] >= 500 for e in traffic) == errors
    drain(traffic, cloudwatch)
    declared = alarm(prod_plan, "app-5xx")
    share = alarm_math.math_alarm_value(declared, cloudwatch, PERIOD_START)
    assert share == pytest.approx(errors / 10)
    assert alarm_math.fires(declared, share) is pages


def test_one_error_at_night_does_not_page(prod_plan: Plan, cloudwatch: Any) -> None:
    drain(recorded_traffic(5, 1, 0, 0), cloudwatch)
    declared = alarm(prod_plan, "app-5xx")
    assert alarm_math.fetch(cloudwatch, declared["metricQueries"][1], PERIOD_START) == 1, "the error was measured"
    assert MIN_REQUESTS > 5
    assert alarm_math.fires(declared, alarm_math.math_alarm_value(declared, cloudwatch, PERIOD_START)) is False


@pytest.mark.parametrize(("slow_ms", "pages"), [(2500.0, True), (1500.0, False)], ids=["p95 2.5 s", "p95 1.5 s"])
def test_the_p95_alarm_on_recorded_traffic(prod_plan: Plan, cloudwatch: Any, slow_ms: float, pages: bool) -> None:
    emitted = drain(recorded_traffic(1000, 0, 60, slow_ms), cloudwatch)
    declared = alarm(prod_plan, "app-p95")
    # The alarm reads what the receiver emits: same namespace, metric and dimensions.
    directive = emitted[0]["_aws"]["CloudWatchMetrics"][0]
    assert declared["namespace"] == directive["Namespace"] and declared["metricName"] == "Duration"
    assert declared["dimensions"] == {name: emitted[0][name] for name in directive["Dimensions"][0]}
    durations = [value for record in emitted for value in record.get("Duration", [])]
    assert len(durations) == 1000
    p95 = alarm_math.percentile(durations, float(declared["extendedStatistic"].removeprefix("p")))
    assert p95 == slow_ms
    assert alarm_math.fires(declared, p95) is pages


@pytest.mark.parametrize(
    ("requests", "health", "pages"),
    [(0, 1.0, True), (40, 1.0, False), (0, 0.0, False)],
    ids=["silent while up pages", "traffic is quiet", "silent while down is api-down's"],
)
def test_the_silence_alarm(prod_plan: Plan, requests: int, health: float, pages: bool) -> None:
    declared = alarm(prod_plan, "log-drain-silent")
    (returned,) = [q for q in declared["metricQueries"] if q.get("returnData")]
    value = alarm_math.evaluate(returned["expression"], {"requests": requests or None, "up": health})
    assert alarm_math.fires(declared, value) is pages
    assert declared["evaluationPeriods"] == declared["datapointsToAlarm"] == 3, "15 minutes of silence"
