"""Health check and alerts (spec: Monitoring), as code.

- API health: a Route 53 HTTPS health check on ``/api/health`` with latency measured; alarms on
  its status and on time to first byte > 2 s.
- CDN error rate: CloudFront ``5xxErrorRate`` > 1 % per distribution.
- App error rate > 1 %: a Vercel custom alert rule (needs Observability Plus; behind a flag).
- Supabase errors: the same scheduled job counts Postgres and auth errors in Supabase's logs
  (``operations/reporters/supabase_errors.py``); an alarm pages on a spike (``supabaseErrorSpike``).
- Real traffic (5xx share, p95, the drain's silence): ``components/app_traffic.py``.
- Database connections > 80 %: Supabase's metrics are not in AWS. The closest thing that is code:
  a scheduled workflow (``.github/workflows/db-metrics.yml``, ``operations/reporters/db_metrics.py``) publishes
  the usage as a CloudWatch metric, through a role that may only put metrics in one namespace,
  and an alarm fires above 80 %. The reporter's failures and silence page through its own
  heartbeat alarm (``db-metrics-reporter``), never as "connections above 80 %".

Route 53 and CloudFront publish their metrics in us-east-1, so the alarms and the SNS topic
live there. Every alarm notifies the on-call address (the subscription must be confirmed once).
The topic is encrypted with a customer-managed KMS key (rotated yearly) whose policy admits this
stack's alarms: the AWS-managed ``alias/aws/sns`` key cannot, and alarms would be dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumiverse_vercel as vercel

from components import policy_documents as docs
from components.kms_keys import customer_managed_key
from stack_config import BucketRole, Environment, MonitoringConfig

METRICS_REGION = "us-east-1"
HEALTH_PATH = "/api/health"
TTFB_THRESHOLD_MS = 2000
ERROR_RATE_PERCENT = 1
DB_CONNECTIONS_PERCENT = 80
DB_METRIC_NAMESPACE = "NewCool/Supabase"
DB_METRIC_NAME = "DatabaseConnectionsUsedPercent"
# 1 per run that measured, 0 per run that could not (operations/reporters/db_metrics.py).
REPORTER_HEARTBEAT_METRIC = "ReporterHeartbeat"
# Postgres and auth errors in Supabase's logs, per 5 minutes (operations/reporters/supabase_errors.py).
LOG_ERRORS_METRIC_NAME = "LogErrors"


@dataclass(frozen=True)
class MonitoringArgs:
    config: MonitoringConfig
    environment: Environment
    api_domain: str
    distributions: Mapping[BucketRole, aws.cloudfront.Distribution]
    vercel_project_id: pulumi.Output[str]
    vercel_team_id: str
    tags: Mapping[str, str]


def paging_alarm(
    name: str,
    *,
    environment: str,
    topic_arn: pulumi.Input[str],
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
    **alarm: Any,
) -> aws.cloudwatch.MetricAlarm:
    """An alarm that pages on-call, on alarm and on recovery: named ``newcool-<stack>-<name>``
    (the topic's key admits only those) and in us-east-1 beside the topic. ``alarm`` is the rest
    of the MetricAlarm's arguments (what it watches and when it fires)."""
    return aws.cloudwatch.MetricAlarm(
        name,
        name=f"newcool-{environment}-{name}",
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        region=METRICS_REGION,
        tags=dict(tags),
        opts=opts,
        **alarm,
    )


def db_metrics_statements() -> list[docs.Statement]:
    """PutMetricData has no resource-level permissions: the namespace condition is the limit."""
    return [
        {
            "Sid": "PutSupabaseConnectionMetric",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": DB_METRIC_NAMESPACE}},
        }
    ]


class Monitoring(pulumi.ComponentResource):
    topic: aws.sns.Topic
    topic_key: aws.kms.Key
    # None where the API's domain does not resolve yet (a check that cannot pass only pages).
    health_check: aws.route53.HealthCheck | None
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    metrics_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("newcool:monitoring:Monitoring", name, None, opts)
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        prefix = f"newcool-{args.environment}"
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id

        self.topic_key = self._topic_key(prefix, account_id)
        self.topic = aws.sns.Topic(
            "alerts",
            name=f"{prefix}-alerts",
            kms_master_key_id=self.topic_key.arn,
            region=METRICS_REGION,
            tags=dict(args.tags),
            opts=self._child,
        )
        aws.sns.TopicSubscription(
            "alerts-on-call",
            topic=self.topic.arn,
            protocol="email",
            endpoint=args.config.on_call_email,
            region=METRICS_REGION,
            opts=self._child,
        )
        self.health_check, self.alarms = self._api_health(prefix) if args.config.api_health_check else (None, {})
        self.alarms |= {
            "db-connections": self._alarm(
                "db-connections",
                f"Supabase connections above {DB_CONNECTIONS_PERCENT}% of max_connections (as measured)",
                namespace=DB_METRIC_NAMESPACE,
                metric=DB_METRIC_NAME,
                dimensions={"Stack": args.environment},
                statistic="Maximum",
                comparison="GreaterThanThreshold",
                threshold=DB_CONNECTIONS_PERCENT,
                period=300,
                evaluation_periods=3,
                datapoints_to_alarm=2,
                # Silence is the reporter's failure, paged once by its own alarm below.
                treat_missing_data="notBreaching",
            ),
            "db-metrics-reporter": self._alarm(
                "db-metrics-reporter",
                "The db-metrics reporter failed or went silent: Supabase connections and log errors are not "
                "being measured (the reporter, not the database)",
                namespace=DB_METRIC_NAMESPACE,
                metric=REPORTER_HEARTBEAT_METRIC,
                dimensions={"Stack": args.environment},
                statistic="Minimum",
                comparison="LessThanThreshold",
                threshold=1,
                period=300,
                evaluation_periods=3,
                datapoints_to_alarm=2,
                treat_missing_data="breaching",
            ),
        }
        self.alarms["supabase-errors"] = self._alarm(
            "supabase-errors",
            f"More than {args.config.supabase_error_spike} Postgres or auth errors in Supabase's logs in 5 minutes",
            namespace=DB_METRIC_NAMESPACE,
            metric=LOG_ERRORS_METRIC_NAME,
            dimensions={"Stack": args.environment},
            statistic="Sum",
            comparison="GreaterThanThreshold",
            threshold=args.config.supabase_error_spike,
            period=300,
            evaluation_periods=1,
            # The reporter's silence pages through db-metrics-reporter (one job reports both).
            treat_missing_data="notBreaching",
        )
        for role, distribution in args.distributions.items():
            self.alarms[f"{role}-cdn-5xx"] = self._alarm(
                f"{role}-cdn-5xx",
                f"CloudFront {role}: more than {ERROR_RATE_PERCENT}% of requests end in 5xx",
                namespace="AWS/CloudFront",
                metric="5xxErrorRate",
                dimensions={"DistributionId": distribution.id, "Region": "Global"},
                statistic="Average",
                comparison="GreaterThanThreshold",
                threshold=ERROR_RATE_PERCENT,
                period=300,
                evaluation_periods=2,
                # No requests, no errors.
                treat_missing_data="notBreaching",
            )
        self.metrics_role_arn = self._db_metrics_role(account_id)
        if args.config.vercel_error_rate_alert:
            self._vercel_error_rate_rule()
        self.register_outputs(
            {"topicArn": self.topic.arn, "healthCheckId": self.health_check.id if self.health_check else None}
        )

    def _api_health(self, prefix: str) -> tuple[aws.route53.HealthCheck, dict[str, aws.cloudwatch.MetricAlarm]]:
        """The API's health check and its two alarms (down, slow)."""
        args = self._args
        health_check = aws.route53.HealthCheck(
            "api-health",
            type="HTTPS",
            fqdn=args.api_domain,
            port=443,
            resource_path=HEALTH_PATH,
            enable_sni=True,
            measure_latency=True,
            request_interval=30,
            failure_threshold=3,
            reference_name=f"{prefix}-api"[:64],
            tags={**args.tags, "Name": f"{prefix} {args.api_domain}{HEALTH_PATH}"},
            opts=self._child,
        )
        health_dimensions = {"HealthCheckId": health_check.id}
        return health_check, {
            "api-down": self._alarm(
                "api-down",
                f"{args.api_domain}{HEALTH_PATH} is failing Route 53 health checks",
                namespace="AWS/Route53",
                metric="HealthCheckStatus",
                dimensions=health_dimensions,
                statistic="Minimum",
                comparison="LessThanThreshold",
                threshold=1,
                period=60,
                evaluation_periods=2,
                # No data from the health checkers means nobody can see the API either.
                treat_missing_data="breaching",
            ),
            "api-slow": self._alarm(
                "api-slow",
                f"{args.api_domain} time to first byte above {TTFB_THRESHOLD_MS} ms",
                namespace="AWS/Route53",
                metric="TimeToFirstByte",
                dimensions=health_dimensions,
                statistic="Average",
                comparison="GreaterThanThreshold",
                threshold=TTFB_THRESHOLD_MS,
                period=60,
                evaluation_periods=5,
                datapoints_to_alarm=3,
                treat_missing_data="missing",
            ),
        }

    def _alarm(
        self,
        name: str,
        description: str,
        *,
        namespace: str,
        metric: str,
        dimensions: Mapping[str, pulumi.Input[str]],
        statistic: str,
        comparison: str,
        threshold: float,
        period: int,
        evaluation_periods: int,
        treat_missing_data: str,
        datapoints_to_alarm: int | None = None,
    ) -> aws.cloudwatch.MetricAlarm:
        return paging_alarm(
            name,
            environment=self._args.environment,
            topic_arn=self.topic.arn,
            tags=self._args.tags,
            opts=self._child,
            alarm_description=description,
            namespace=namespace,
            metric_name=metric,
            dimensions=dict(dimensions),
            statistic=statistic,
            comparison_operator=comparison,
            threshold=threshold,
            period=period,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm or evaluation_periods,
            treat_missing_data=treat_missing_data,
        )

    def _topic_key(self, prefix: str, account_id: pulumi.Output[str]) -> aws.kms.Key:
        """The alert topic's key: administered by the account, usable by this stack's alarms."""
        return customer_managed_key(
            "alerts-key",
            description=f"{prefix}: encrypts the alert topic; CloudWatch alarms {prefix}-* may publish",
            account_id=account_id,
            grants=lambda account: [docs.allow_cloudwatch_alarms_to_encrypt(account, METRICS_REGION, f"{prefix}-")],
            alias=f"alias/{prefix}-alerts",
            region=METRICS_REGION,
            tags=self._args.tags,
            opts=self._child,
        )

    def _db_metrics_role(self, account_id: pulumi.Output[str]) -> pulumi.Output[str]:
        """The role the scheduled workflow assumes to publish the connection metric, and nothing else."""
        args = self._args
        # The deploy workflow signs in through GitHub's OIDC provider, so the account has it.
        provider_arn = account_id.apply(lambda account: f"arn:aws:iam::{account}:oidc-provider/{docs.GITHUB_OIDC_HOST}")
        role = aws.iam.Role(
            "db-metrics-role",
            name=f"newcool-{args.environment}-db-metrics",
            description="Assumed by the db-metrics workflow on main to publish Supabase connection usage",
            assume_role_policy=docs.render(
                provider_arn.apply(
                    lambda arn: [docs.github_trust_statement(arn, args.config.github_repository, args.environment)]
                )
            ),
            max_session_duration=3600,
            tags=dict(args.tags),
            opts=self._child,
        )
        aws.iam.RolePolicy(
            "db-metrics-put",
            role=role.name,
            policy=docs.document(db_metrics_statements()),
            opts=self._child,
        )
        return role.arn

    def _vercel_error_rate_rule(self) -> None:
        args = self._args
        vercel.CustomAlertRule(
            "app-error-rate",
            name=f"newcool {args.environment}: 5xx above {ERROR_RATE_PERCENT}% of requests",
            project_id=args.vercel_project_id,
            team_id=args.vercel_team_id,
            severity="high",
            evaluation={
                "window": "5m",
                "query": {
                    "metrics": {
                        "errors": {
                            "metric": "vercel.request.count",
                            "aggregation": "count",
                            "filter": "httpStatus >= 500",
                        },
                        "requests": {"metric": "vercel.request.count", "aggregation": "count"},
                    },
                    "formulas": {"formula": "errors / requests"},
                    "outputs": ["formula"],
                },
            },
            trigger={"type": "threshold", "output": "formula", "operator": "gt", "threshold": ERROR_RATE_PERCENT / 100},
            notification_settings={"enable_team_owner_notifications": True},
            opts=self._child,
        )
