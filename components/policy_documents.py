"""IAM and bucket policy documents as typed data, rendered to JSON once all ARNs are known.

Documents are built as plain dicts (not with the ``aws.iam.getPolicyDocument`` invoke) so the
tests can parse and assert them exactly, and so a preview needs no AWS call.
"""

from __future__ import annotations

import json
from typing import Any, NotRequired, TypedDict

import pulumi

CLOUDFRONT_SERVICE = "cloudfront.amazonaws.com"
S3_LOGGING_SERVICE = "logging.s3.amazonaws.com"
LOG_DELIVERY_SERVICE = "delivery.logs.amazonaws.com"
CLOUDWATCH_SERVICE = "cloudwatch.amazonaws.com"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"


class Statement(TypedDict):
    Sid: str
    Effect: str
    Action: str | list[str]
    # Absent only in trust (assume-role) policies, where IAM refuses a Resource.
    Resource: NotRequired[str | list[str]]
    Principal: NotRequired[str | dict[str, Any]]
    Condition: NotRequired[dict[str, dict[str, Any]]]


def document(statements: list[Statement]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def render(statements: pulumi.Output[list[Statement]]) -> pulumi.Output[str]:
    return statements.apply(document)


def deny_insecure_transport(bucket_arn: str) -> Statement:
    """AWS FSBP S3.5: every request must use TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def allow_cloudfront_read(bucket_arn: str, distribution_arn: str) -> Statement:
    """Origin Access Control: only this one distribution may read objects."""
    return {
        "Sid": "AllowCloudFrontOriginAccessControlRead",
        "Effect": "Allow",
        "Principal": {"Service": CLOUDFRONT_SERVICE},
        "Action": "s3:GetObject",
        "Resource": f"{bucket_arn}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
    }


def allow_cloudfront_read_from_account(bucket_arn: str, account_id: str) -> Statement:
    """Origin Access Control during a media cut-over: this account's distributions may read.

    While the bucket is readable by anyone, naming the one distribution protects nothing more,
    and not naming it lets the policy land before the distribution exists: the public-read
    statement is in place before ACLs stop counting, with nothing slow in between.
    """
    return {
        "Sid": "AllowCloudFrontOriginAccessControlRead",
        "Effect": "Allow",
        "Principal": {"Service": CLOUDFRONT_SERVICE},
        "Action": "s3:GetObject",
        "Resource": f"{bucket_arn}/*",
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": account_id},
            "ArnLike": {"AWS:SourceArn": f"arn:aws:cloudfront::{account_id}:distribution/*"},
        },
    }


def allow_s3_server_access_logs(
    logs_bucket_arn: str, prefix: str, source_bucket_arns: list[str], account_id: str
) -> Statement:
    """S3 server access logging into a bucket that has ACLs disabled (BucketOwnerEnforced)."""
    return {
        "Sid": "AllowS3ServerAccessLogs",
        "Effect": "Allow",
        "Principal": {"Service": S3_LOGGING_SERVICE},
        "Action": "s3:PutObject",
        "Resource": f"{logs_bucket_arn}/{prefix}*",
        "Condition": {
            "ArnLike": {"aws:SourceArn": sorted(source_bucket_arns)},
            "StringEquals": {"aws:SourceAccount": account_id},
        },
    }


def allow_cloudfront_log_delivery(logs_bucket_arn: str, prefix: str, account_id: str) -> Statement:
    """CloudFront standard logging (v2) through CloudWatch Logs delivery, from this account only."""
    return {
        "Sid": "AllowCloudFrontLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": LOG_DELIVERY_SERVICE},
        "Action": "s3:PutObject",
        "Resource": f"{logs_bucket_arn}/{prefix}*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account_id, "s3:x-amz-acl": "bucket-owner-full-control"},
            "ArnLike": {"aws:SourceArn": f"arn:aws:logs:us-east-1:{account_id}:delivery-source:*"},
        },
    }


def allow_waf_log_delivery(log_group_arn: str, account_id: str, region: str) -> Statement:
    """AWS WAF logging into a CloudWatch Logs group, only on behalf of this account."""
    return {
        "Sid": "AllowWafLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": LOG_DELIVERY_SERVICE},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": f"{log_group_arn}:*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{region}:{account_id}:*"},
        },
    }


def key_administration(account_id: str) -> Statement:
    """The account administers its key through IAM (without it a key can become unmanageable)."""
    return {
        "Sid": "AccountAdministersKeyThroughIam",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": "kms:*",
        # In a key policy "*" means this key only.
        "Resource": "*",
    }


def allow_cloudwatch_alarms_to_encrypt(account_id: str, region: str, alarm_name_prefix: str) -> Statement:
    """CloudWatch alarms publishing to a topic encrypted with this key (the AWS-managed SNS key
    cannot admit them); only this account's alarms with the given name prefix."""
    return {
        "Sid": "AllowCloudWatchAlarmsToPublish",
        "Effect": "Allow",
        "Principal": {"Service": CLOUDWATCH_SERVICE},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{alarm_name_prefix}*"},
        },
    }


def allow_public_read_until(bucket_arn: str, until: str) -> Statement:
    """The cut-over's exception: anyone may GET objects while direct S3 URLs are still in use.

    ``until`` is named in the Sid for whoever reads the policy; the date itself is enforced by
    the policy pack (the bucket's ``newcool:public-read-until`` tag), not by S3.
    """
    return {
        "Sid": f"PublicReadUntil{until.replace('-', '')}",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"{bucket_arn}/*",
    }


# The GitHub environment prod's scheduled jobs (db-metrics, backup, drift) name: its secrets are
# prod's, its deployment branches `main` only (docs/secrets.md). A job naming it gets this OIDC subject.
PROD_SCHEDULED_ENVIRONMENT = "production-scheduled"


def github_subject(repository: str, environment: str) -> str:
    """The OIDC subject a stack's scheduled workflow jobs present: prod's name their GitHub
    environment (where prod's secrets live), dev's run on this repository's main branch."""
    if environment == "prod":
        return f"repo:{repository}:environment:{PROD_SCHEDULED_ENVIRONMENT}"
    return f"repo:{repository}:ref:refs/heads/main"


def github_trust_statement(provider_arn: str, repository: str, environment: str) -> Statement:
    return {
        "Sid": "GitHubActionsOnMain",
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {
                f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
                f"{GITHUB_OIDC_HOST}:sub": github_subject(repository, environment),
            }
        },
    }


def allow_cloudwatch_logs_to_encrypt(account_id: str, region: str, log_group_names: list[str]) -> Statement:
    """CloudWatch Logs encrypting these log groups only (the encryption context names each group)."""
    return {
        "Sid": "AllowCloudWatchLogsForTheseGroups",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        "Resource": "*",
        "Condition": {
            "ArnEquals": {
                "kms:EncryptionContext:aws:logs:arn": [
                    f"arn:aws:logs:{region}:{account_id}:log-group:{name}" for name in log_group_names
                ]
            }
        },
    }


def lambda_trust_statement(account_id: str) -> Statement:
    """Lambda assuming a function's role, for this account's functions only."""
    return {
        "Sid": "LambdaOfThisAccount",
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }
