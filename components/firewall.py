"""The web application firewall in front of every CloudFront distribution (AWS WAF).

One web ACL, scope ``CLOUDFRONT`` (which AWS only accepts in us-east-1), shared by every
distribution of the CDN-served bucket roles. Rules, in the order WAF evaluates them:

1. Amazon IP reputation list: sources AWS threat intelligence has seen attacking.
2. Known bad inputs: request patterns of known exploits (Log4j and the like).
3. Common rule set: the OWASP-style baseline (oversized or malformed requests, bad bots).
4. A rate limit per client IP over 5 minutes, so one client cannot scrape or flood the CDN.

``wafMode: count`` makes every rule only record what it would block: for a first rollout on
live traffic. Logs go to CloudWatch Logs (WAF requires the ``aws-waf-logs-`` name prefix) and
are kept as long as the other logs, with the credentials a request may carry redacted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from providers.waf_logging import WebAclLogging
from stack_config import Environment, FirewallConfig

WAF_REGION = "us-east-1"
# The rate-based rule's window: a client's requests are counted over this many seconds.
RATE_WINDOW_SECONDS = 300
# AWS managed rule groups, in evaluation order (name -> why).
MANAGED_RULE_GROUPS: Mapping[str, str] = {
    "AWSManagedRulesAmazonIpReputationList": "sources AWS threat intelligence saw attacking",
    "AWSManagedRulesKnownBadInputsRuleSet": "request patterns of known exploits",
    "AWSManagedRulesCommonRuleSet": "the common baseline: malformed, oversized or hostile requests",
}
# CloudWatch Logs keeps log events for one of these numbers of days only.
LOG_RETENTION_DAYS = (
    *(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731),
    *(1096, 1827, 2192, 2557, 2922, 3288, 3653),
)
# Request headers that carry credentials: never written to the WAF logs.
REDACTED_HEADERS = ("authorization", "cookie")


def log_retention(days: int) -> int:
    """The shortest retention CloudWatch Logs accepts that keeps logs at least ``days`` days."""
    return next(allowed for allowed in LOG_RETENTION_DAYS if allowed >= days)


@dataclass(frozen=True)
class FirewallArgs:
    config: FirewallConfig
    environment: Environment
    log_retention_days: int
    tags: Mapping[str, str]


def _visibility(metric_name: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgsDict:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric_name, "sampled_requests_enabled": True}


class CdnFirewall(pulumi.ComponentResource):
    web_acl: aws.wafv2.WebAcl

    def __init__(self, name: str, args: FirewallArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("newcool:firewall:CdnFirewall", name, None, opts)
        prefix = f"newcool-{args.environment}"
        counting = args.config.mode == "count"
        rules: list[aws.wafv2.WebAclRuleArgsDict] = [
            {
                "name": group,
                "priority": priority,
                # A rule group's own actions apply unless overridden to count.
                "override_action": {"count": {}} if counting else {"none": {}},
                "statement": {"managed_rule_group_statement": {"vendor_name": "AWS", "name": group}},
                "visibility_config": _visibility(f"{prefix}-{group}"),
            }
            for priority, group in enumerate(MANAGED_RULE_GROUPS)
        ]
        rules.append(
            {
                "name": "rate-limit-per-ip",
                "priority": len(rules),
                "action": {"count": {}} if counting else {"block": {}},
                "statement": {
                    "rate_based_statement": {
                        "aggregate_key_type": "IP",
                        "limit": args.config.rate_limit,
                        "evaluation_window_sec": RATE_WINDOW_SECONDS,
                    }
                },
                "visibility_config": _visibility(f"{prefix}-rate-limit-per-ip"),
            }
        )
        self.web_acl = aws.wafv2.WebAcl(
            "cdn-web-acl",
            name=f"{prefix}-cdn",
            description=f"newcool {args.environment}: managed rules and a per-IP rate limit for the CDN",
            scope="CLOUDFRONT",
            region=WAF_REGION,
            default_action={"allow": {}},
            rules=rules,
            visibility_config=_visibility(f"{prefix}-cdn"),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._logging(args, prefix)
        self.register_outputs({"webAclArn": self.web_acl.arn, "mode": args.config.mode})

    def _logging(self, args: FirewallArgs, prefix: str) -> None:
        log_group = aws.cloudwatch.LogGroup(
            "cdn-waf-logs",
            name=f"aws-waf-logs-{prefix}-cdn",
            retention_in_days=log_retention(args.log_retention_days),
            region=WAF_REGION,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        # Declared rather than left to WAF's implicit PutResourcePolicy, narrowed to this account,
        # and attached to the log group itself: account-wide resource policies are limited to 10
        # a region, and this one takes none of them.
        delivery_policy = aws.cloudwatch.LogResourcePolicy(
            "cdn-waf-log-delivery",
            resource_arn=log_group.arn,
            policy_document=docs.render(
                pulumi.Output.all(log_group.arn, account_id).apply(
                    lambda values: [docs.allow_waf_log_delivery(values[0], values[1], WAF_REGION)]
                )
            ),
            region=WAF_REGION,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # WAF may refuse the destination once while the new policy propagates: this resource
        # retries that refusal (providers/waf_logging.py), where pulumi-aws's would fail the `up`.
        WebAclLogging(
            "cdn-waf-logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[log_group.arn],
            redacted_headers=list(REDACTED_HEADERS),
            region=WAF_REGION,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[delivery_policy]),
        )
