"""The app's real traffic, kept and watched: a Vercel log drain into a receiver this stack owns.

- **Receiver**: a Lambda function behind a function URL (``lambdas/log_drain_receiver.py``). It
  checks each batch's signature with the drain's secret, which it is deployed with (and refuses
  to start without), writes the entries to ``/newcool/<stack>/vercel`` and prints request metrics
  in embedded metric format into its own log group, from which CloudWatch takes them.
- **Logs**: both log groups keep ``logRetentionDays`` and are encrypted with this component's KMS
  key, whose policy admits CloudWatch Logs for these two groups only; the key also encrypts the
  function's environment (the secret).
- **Alarms**, to the on-call topic: 5xx above 1 % of requests over 5 minutes (only from
  ``MIN_REQUESTS`` requests on, so one error at night does not page); p95 duration above 2 s; and
  the receiver going silent for 15 minutes while the Route 53 health check says the API is up.

Everything lives in us-east-1 beside the health check and the topic: a metric-math alarm cannot
combine metrics from two regions, and the silence alarm combines the receiver's with Route 53's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumiverse_vercel as vercel

from components import policy_documents as docs
from components.firewall import log_retention
from components.kms_keys import customer_managed_key
from components.monitoring import ERROR_RATE_PERCENT, METRICS_REGION, TTFB_THRESHOLD_MS, paging_alarm
from lambdas import log_drain_receiver as receiver
from stack_config import Environment

HANDLER_FILE = Path(receiver.__file__)
RUNTIME = "python3.12"
# Below this many requests in 5 minutes the 5xx share does not page (one error in 20 is 5 %).
MIN_REQUESTS = 100
PERIOD_SECONDS = 300
SILENT_PERIODS = 3  # 15 minutes
# Sources of request logs: what the app serves (build logs carry no request).
DRAIN_SOURCES = ("lambda", "edge", "static", "external", "firewall")


@dataclass(frozen=True)
class AppTrafficArgs:
    environment: Environment
    log_retention_days: int
    vercel_project_id: pulumi.Input[str]
    vercel_team_id: str
    drain_secret: pulumi.Output[str]
    alarm_topic_arn: pulumi.Input[str]
    # The Route 53 check on /api/health, when the stack has one: the silence alarm asks it.
    health_check_id: pulumi.Input[str] | None
    tags: Mapping[str, str]


def _metric(query_id: str, metric: str, stat: str, dimensions: Mapping[str, pulumi.Input[str]], namespace: str) -> Any:
    return {
        "id": query_id,
        "return_data": False,
        "metric": {
            "namespace": namespace,
            "metric_name": metric,
            "dimensions": dict(dimensions),
            "period": PERIOD_SECONDS,
            "stat": stat,
        },
    }


def error_share_expression() -> str:
    return f"IF(requests >= {MIN_REQUESTS}, 100 * errors / requests, 0)"


def silence_expression(with_health_check: bool) -> str:
    quiet = "FILL(requests, 0) == 0"
    return f"IF(up == 1 AND {quiet}, 1, 0)" if with_health_check else f"IF({quiet}, 1, 0)"


class AppTraffic(pulumi.ComponentResource):
    drain: vercel.LogDrain
    function: aws.lambda_.Function
    url: aws.lambda_.FunctionUrl
    log_group: aws.cloudwatch.LogGroup
    key: aws.kms.Key
    alarms: dict[str, aws.cloudwatch.MetricAlarm]

    def __init__(self, name: str, args: AppTrafficArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("newcool:monitoring:AppTraffic", name, None, opts)
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        prefix = f"newcool-{args.environment}"
        function_name = f"{prefix}-log-drain"
        group_names = [f"/newcool/{args.environment}/vercel", f"/aws/lambda/{function_name}"]
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        self.key = customer_managed_key(
            "app-logs-key",
            description=f"{prefix}: encrypts the app's drained logs and the receiver's environment",
            account_id=account_id,
            grants=lambda account: [docs.allow_cloudwatch_logs_to_encrypt(account, METRICS_REGION, group_names)],
            alias=f"alias/{prefix}-app-logs",
            region=METRICS_REGION,
            tags=args.tags,
            opts=self._child,
        )
        self.log_group, function_group = (
            aws.cloudwatch.LogGroup(
                resource_name,
                name=group_name,
                retention_in_days=log_retention(args.log_retention_days),
                kms_key_id=self.key.arn,
                region=METRICS_REGION,
                tags=dict(args.tags),
                opts=self._child,
            )
            for resource_name, group_name in zip(("app-logs", "log-drain-receiver-logs"), group_names, strict=True)
        )
        self.function = self._receiver(function_name, account_id, self.log_group, function_group)
        self.url = aws.lambda_.FunctionUrl(
            "log-drain-url",
            function_name=self.function.name,
            # Vercel cannot sign with AWS credentials: the handler's signature check is the gate.
            authorization_type="NONE",
            region=METRICS_REGION,
            opts=self._child,
        )
        # A public function URL needs both grants since October 2025.
        invoke_url = aws.lambda_.Permission(
            "log-drain-invoke-url",
            action="lambda:InvokeFunctionUrl",
            function=self.function.name,
            principal="*",
            function_url_auth_type="NONE",
            region=METRICS_REGION,
            opts=self._child,
        )
        invoke = aws.lambda_.Permission(
            "log-drain-invoke",
            action="lambda:InvokeFunction",
            function=self.function.name,
            principal="*",
            invoked_via_function_url=True,
            region=METRICS_REGION,
            opts=self._child,
        )
        # Vercel verifies the endpoint when the drain is created: the URL must answer by then.
        self.drain = vercel.LogDrain(
            "log-drain",
            name=f"{prefix}-receiver",
            delivery_format="json",
            endpoint=self.url.function_url,
            environments=["production"],
            sources=list(DRAIN_SOURCES),
            project_ids=[args.vercel_project_id],
            secret=args.drain_secret,
            team_id=args.vercel_team_id,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[invoke_url, invoke]),
        )
        self.alarms = self._alarms()
        self.register_outputs({"logDrainEndpoint": self.url.function_url, "logGroup": self.log_group.name})

    def _receiver(
        self,
        function_name: str,
        account_id: pulumi.Output[str],
        log_group: aws.cloudwatch.LogGroup,
        function_group: aws.cloudwatch.LogGroup,
    ) -> aws.lambda_.Function:
        args = self._args
        role = aws.iam.Role(
            "log-drain-receiver-role",
            name=function_name,
            description="The log drain receiver: writes to its two log groups and nothing else",
            assume_role_policy=docs.render(account_id.apply(lambda account: [docs.lambda_trust_statement(account)])),
            tags=dict(args.tags),
            opts=self._child,
        )
        write = aws.iam.RolePolicy(
            "log-drain-receiver-write",
            role=role.name,
            policy=docs.render(
                pulumi.Output.all(log_group.arn, function_group.arn, self.key.arn).apply(
                    lambda arns: [
                        {
                            "Sid": "WriteItsLogGroups",
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": [f"{arns[0]}:*", f"{arns[1]}:*"],
                        },
                        {
                            # A redelivered batch reads its chunks' streams back to skip the written ones.
                            "Sid": "ReadBackTheDrainsStreams",
                            "Effect": "Allow",
                            "Action": "logs:GetLogEvents",
                            "Resource": f"{arns[0]}:*",
                        },
                        {
                            "Sid": "ReadItsEnvironment",
                            "Effect": "Allow",
                            "Action": "kms:Decrypt",
                            "Resource": arns[2],
                        },
                    ]
                )
            ),
            opts=self._child,
        )
        verification = vercel.get_endpoint_verification_output(
            team_id=args.vercel_team_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        return aws.lambda_.Function(
            "log-drain-receiver",
            name=function_name,
            description="Receives the Vercel log drain: checks signatures, keeps logs, measures requests",
            runtime=RUNTIME,
            handler=f"{HANDLER_FILE.stem}.handler",
            code=pulumi.AssetArchive({HANDLER_FILE.name: pulumi.FileAsset(str(HANDLER_FILE))}),
            role=role.arn,
            timeout=15,
            memory_size=256,
            # No reserved concurrency: AWS refuses any reservation that leaves the account fewer
            # than 10 unreserved executions, which is every account still on the default quota.
            environment={
                "variables": {
                    receiver.SECRET_ENVIRONMENT: args.drain_secret,
                    "DRAIN_LOG_GROUP": log_group.name,
                    "VERCEL_VERIFY_CODE": verification.verification_code,
                    "STACK": args.environment,
                }
            },
            kms_key_arn=self.key.arn,
            logging_config={"log_format": "Text", "log_group": function_group.name},
            region=METRICS_REGION,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[write]),
        )

    def _alarms(self) -> dict[str, aws.cloudwatch.MetricAlarm]:
        args = self._args
        stack = {"Stack": args.environment}
        requests = _metric("requests", "Requests", "Sum", stack, receiver.METRIC_NAMESPACE)
        errors = _metric("errors", "Errors5xx", "Sum", stack, receiver.METRIC_NAMESPACE)
        alarms = {
            "app-5xx": self._math_alarm(
                "app-5xx",
                f"More than {ERROR_RATE_PERCENT}% of the app's requests end in 5xx over 5 minutes "
                f"(from {MIN_REQUESTS} requests on)",
                [requests, errors, {"id": "share", "expression": error_share_expression(), "return_data": True}],
                threshold=ERROR_RATE_PERCENT,
                periods=1,
                treat_missing_data="notBreaching",
            ),
            "app-p95": self._alarm(
                "app-p95",
                alarm_description=f"The app's p95 request duration above {TTFB_THRESHOLD_MS} ms over 5 minutes",
                namespace=receiver.METRIC_NAMESPACE,
                metric_name="Duration",
                dimensions=stack,
                extended_statistic="p95",
                comparison_operator="GreaterThanThreshold",
                threshold=TTFB_THRESHOLD_MS,
                period=PERIOD_SECONDS,
                evaluation_periods=1,
                datapoints_to_alarm=1,
                treat_missing_data="notBreaching",
            ),
        }
        queries = [requests]
        if args.health_check_id is not None:
            health = {"HealthCheckId": args.health_check_id}
            queries.append(_metric("up", "HealthCheckStatus", "Minimum", health, "AWS/Route53"))
        queries.append(
            {"id": "silent", "expression": silence_expression(args.health_check_id is not None), "return_data": True}
        )
        alarms["log-drain-silent"] = self._math_alarm(
            "log-drain-silent",
            "No request reached the log drain receiver for 15 minutes while the API's health check is up",
            queries,
            threshold=0,
            periods=SILENT_PERIODS,
            treat_missing_data="breaching",
        )
        return alarms

    def _math_alarm(
        self,
        name: str,
        description: str,
        queries: list[Any],
        *,
        threshold: float,
        periods: int,
        treat_missing_data: str,
    ) -> aws.cloudwatch.MetricAlarm:
        return self._alarm(
            name,
            alarm_description=description,
            metric_queries=queries,
            comparison_operator="GreaterThanThreshold",
            threshold=threshold,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            treat_missing_data=treat_missing_data,
        )

    def _alarm(self, name: str, **alarm: Any) -> aws.cloudwatch.MetricAlarm:
        args = self._args
        return paging_alarm(
            name,
            environment=args.environment,
            topic_arn=args.alarm_topic_arn,
            tags=args.tags,
            opts=self._child,
            **alarm,
        )
