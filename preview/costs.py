"""The fixed monthly cost of a plan, from the vendors' published prices (dated below).

Only resources with a price per month are counted (web ACLs and their rules, KMS keys, health
checks, alarms); Upstash's per-database budgets are monthly caps, shown apart. What depends on
traffic or storage is priced only against the usage a stack states in ``usage.yml``
(``make cost-diff``), never guessed. Prices are US East list prices in USD; re-check
them at the sources when the date below is more than a few months old.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from preview.plan import Plan, Registration
from stack_config import CDN_ROLES

PRICES_CHECKED = "2026-11"
SOURCES = (
    "https://aws.amazon.com/waf/pricing/",
    "https://aws.amazon.com/kms/pricing/",
    "https://aws.amazon.com/route53/pricing/",
    "https://aws.amazon.com/cloudwatch/pricing/",
    "https://upstash.com/pricing/redis",
    "https://supabase.com/docs/guides/platform/manage-your-usage/branching",
)
WAF_WEB_ACL_MONTHLY = 5.00
WAF_RULE_MONTHLY = 1.00  # each rule or managed rule group in a web ACL
KMS_KEY_MONTHLY = 1.00  # each of the first two automatic rotations adds another 1.00
# Route 53 health checks of endpoints outside AWS (the API runs on Vercel).
HEALTH_CHECK_MONTHLY = 0.75
HEALTH_CHECK_OPTION_MONTHLY = 2.00  # HTTPS, string matching, fast interval, latency measurement
ALARM_STANDARD_MONTHLY = 0.10  # per metric, period of 60 s or more
ALARM_HIGH_RESOLUTION_MONTHLY = 0.30
# A review environment's Supabase branch: Micro compute's list price, billed per hour until the
# branch is deleted and not covered by the organization's spend cap (checked 2026-12).
SUPABASE_BRANCH_MICRO_HOURLY = 0.01344
HOURS_PER_MONTH = 730
# Priced by use, never estimated here.
USAGE_BASED = (
    "CloudFront requests and data transfer",
    "S3 storage (noncurrent versions included) and requests",
    "WAF requests (0.60 USD per million)",
    "CloudWatch Logs ingestion and storage (the app's logs: usage.yml), log deliveries",
    "Lambda requests and duration (the log drain receiver: a batch every few seconds)",
    "SNS notifications",
    "Route 53 queries",
    "Upstash commands, storage and bandwidth (up to each database's budget)",
    "Vercel plan and Observability Plus (per team, not per stack)",
)


# Usage-based list prices (US East / North America), for the usage assumed in usage.yml.
CLOUDFRONT_REQUEST_PER_MILLION = 1.00  # HTTPS, 0.0100 USD per 10,000
CLOUDFRONT_EGRESS_PER_GB = 0.085  # first 10 TB a month
S3_STANDARD_PER_GB_MONTH = 0.023
WAF_REQUEST_PER_MILLION = 0.60
UPSTASH_COMMAND_PER_MILLION = 2.00  # pay as you go, 0.2 USD per 100,000
LOGS_INGESTION_PER_GB = 0.50  # CloudWatch Logs, standard class
LOGS_STORAGE_PER_GB_MONTH = 0.03


# A review environment's cache (providers/upstash_database.py).
REVIEW_CACHE = "pulumi-python:dynamic/upstash:Database"


@dataclass(frozen=True)
class Charge:
    resource: str
    what: str
    monthly_usd: float


def _health_check(registration: Registration) -> Charge:
    props = registration.props
    options = [
        name
        for name, on in (
            ("HTTPS", str(props.get("type", "")).startswith("HTTPS")),
            ("string matching", "STR_MATCH" in str(props.get("type", ""))),
            ("fast interval", props.get("requestInterval") == 10),
            ("latency measurement", bool(props.get("measureLatency"))),
        )
        if on
    ]
    what = "health check (non-AWS endpoint)" + (f" + {', '.join(options)}" if options else "")
    return Charge(registration.name, what, HEALTH_CHECK_MONTHLY + HEALTH_CHECK_OPTION_MONTHLY * len(options))


def _charge(registration: Registration) -> Charge | None:
    kind = registration.type
    if kind == "aws:wafv2/webAcl:WebAcl":
        rules = len(registration.props.get("rules") or [])
        return Charge(registration.name, f"web ACL + {rules} rules", WAF_WEB_ACL_MONTHLY + WAF_RULE_MONTHLY * rules)
    if kind == "pulumi-python:dynamic/supabase:Branch":
        hourly = SUPABASE_BRANCH_MICRO_HOURLY
        what = f"Supabase branch, {registration.props.get('instance_size')} compute ({hourly} USD/h, no spend cap)"
        return Charge(registration.name, what, round(hourly * HOURS_PER_MONTH, 2))
    if kind == "aws:kms/key:Key":
        return Charge(registration.name, "KMS key", KMS_KEY_MONTHLY)
    if kind == "aws:route53/healthCheck:HealthCheck":
        return _health_check(registration)
    if kind == "aws:cloudwatch/metricAlarm:MetricAlarm":
        # A metric-math alarm is charged per metric it reads (expressions are free).
        queries = registration.props.get("metricQueries") or []
        metrics = sum(1 for query in queries if query.get("metric")) or 1
        periods = [query["metric"].get("period", 60) for query in queries if query.get("metric")]
        high = min(periods or [registration.props.get("period") or 60]) < 60
        unit = ALARM_HIGH_RESOLUTION_MONTHLY if high else ALARM_STANDARD_MONTHLY
        per_metric = f", {metrics} metrics" if metrics > 1 else ""
        return Charge(
            registration.name, f"alarm ({'high' if high else 'standard'} resolution{per_metric})", unit * metrics
        )
    return None


def fixed_charges(plan: Plan) -> list[Charge]:
    return [charge for registration in plan if (charge := _charge(registration)) is not None]


def budget_caps(plan: Plan) -> list[Charge]:
    """Upstash pay-as-you-go budgets: the most each database may bill in a month."""
    databases = [*plan.of_type("upstash:index/redisDatabase:RedisDatabase"), *plan.of_type(REVIEW_CACHE)]
    return [Charge(r.name, "Upstash budget cap", float(r.props["budget"])) for r in databases if r.props.get("budget")]


def usage_charges(plan: Plan, usage: Mapping[str, Any]) -> list[Charge]:
    """What the stack's assumed monthly usage (usage.yml) costs, per resource."""
    charges: list[Charge] = []
    for role in CDN_ROLES:
        traffic = usage.get(role) or {}
        for r in plan.of_type("aws:cloudfront/distribution:Distribution"):
            if r.name == f"{role}-distribution":
                requests, egress = float(traffic.get("requests_millions", 0)), float(traffic.get("egress_gb", 0))
                cost = requests * CLOUDFRONT_REQUEST_PER_MILLION + egress * CLOUDFRONT_EGRESS_PER_GB
                charges.append(Charge(r.name, f"{requests:g} M requests, {egress:g} GB out", round(cost, 2)))
    storage = usage.get("storage_gb") or {}
    for r in plan.of_type("aws:s3/bucket:Bucket"):
        role = str((r.props.get("tags") or {}).get("newcool:bucket-role", r.name))
        if role in storage:
            gigabytes = float(storage[role])
            charges.append(Charge(r.name, f"{gigabytes:g} GB stored", round(gigabytes * S3_STANDARD_PER_GB_MONTH, 2)))
    for r in plan.of_type("aws:wafv2/webAcl:WebAcl"):
        requests = float(usage.get("waf_requests_millions", 0))
        charges.append(
            Charge(r.name, f"{requests:g} M requests inspected", round(requests * WAF_REQUEST_PER_MILLION, 2))
        )
    ingested = float(usage.get("app_logs_gb", 0))
    for r in plan.of_type("aws:cloudwatch/logGroup:LogGroup"):
        if r.name == "app-logs" and ingested:
            # Steady state: a month's ingestion, and as many months kept as the retention says.
            months = float(r.props.get("retentionInDays") or 30) / 30
            cost = ingested * LOGS_INGESTION_PER_GB + ingested * months * LOGS_STORAGE_PER_GB_MONTH
            charges.append(
                Charge(r.name, f"{ingested:g} GB of app logs a month, kept {months:g} months", round(cost, 2))
            )
    commands = usage.get("upstash_commands_millions") or {}
    for r in plan.of_type("upstash:index/redisDatabase:RedisDatabase"):
        if r.name in commands:
            count = float(commands[r.name])
            charges.append(Charge(r.name, f"{count:g} M commands", round(count * UPSTASH_COMMAND_PER_MILLION, 2)))
    return charges


def total(charges: Iterable[Charge]) -> float:
    return round(sum(charge.monthly_usd for charge in charges), 2)
