"""SNS: topics are encrypted with a customer-managed KMS key."""

from __future__ import annotations

from pulumi_policy import Severity, StackValidationArgs

from .common import Report, fsbp, stack_policy

TOPIC = "aws:sns/topic:Topic"
KMS_TYPES = ("aws:kms/key:Key", "aws:kms/alias:Alias")
# AWS-managed keys are named alias/aws/<service>; their key policy cannot admit CloudWatch.
AWS_MANAGED_ALIAS = "alias/aws/"


def _customer_managed_key(args: StackValidationArgs, report: Report) -> None:
    for topic in (r for r in args.resources if r.resource_type == TOPIC):
        # In a preview a key being created has no ARN yet; the property dependency names it.
        if any(d.resource_type in KMS_TYPES for d in topic.property_dependencies.get("kmsMasterKeyId", [])):
            continue
        key = str(topic.props.get("kmsMasterKeyId") or "")
        if not key:
            report("topic is not encrypted (kms_master_key_id is unset).", topic.urn)
        elif AWS_MANAGED_ALIAS in key:
            report(
                f"topic uses the AWS-managed key {key!r}: its key policy cannot admit CloudWatch alarms, which are "
                "then dropped.",
                topic.urn,
            )


POLICIES = [
    stack_policy(
        "sns-topic-customer-managed-key",
        "SNS topics are encrypted at rest with a customer-managed KMS key.",
        "Alert messages name the failing systems; a customer-managed key encrypts them at rest with a policy this "
        "repository controls, and is the only kind of key CloudWatch alarms can publish through.",
        Severity.MEDIUM,
        "Set kms_master_key_id to a kms.Key whose policy admits cloudwatch.amazonaws.com (components.monitoring).",
        _customer_managed_key,
        fsbp("SNS.1"),
    ),
]
