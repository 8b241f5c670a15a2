"""The CDN web ACL's logging configuration, as a dynamic resource that outlasts WAF's first-time race.

Right after the log group's resource policy is created, WAF's ``PutLoggingConfiguration`` may
refuse the destination once (``WAFLogDestinationPermissionIssueException``) while the policy
propagates. pulumi-aws's ``WebAclLoggingConfiguration`` gives up at the first refusal, failing
the `up` after every independent step has run. This provider retries that refusal, bounded, and
nothing else; every other error is one line naming the web ACL.

AWS credentials are the ambient ones (as the AWS provider's, in CI from GitHub OIDC), guarded as
the AWS provider guards its own: before any call, ``sts:GetCallerIdentity`` must name the account
that owns the web ACL (which the AWS provider made under the stack's ``aws:allowedAccountIds``),
and the client is bound to the web ACL's region (``clients.aws.guarded_client``).
This module's path is in deployed state: it stays where it is (docs/architecture.md).
"""

from __future__ import annotations

import time
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from clients import aws
from clients.aws_errors import error_code

# What WAF answers while the destination's resource policy is not visible to it yet.
PROPAGATION_ERROR = "WAFLogDestinationPermissionIssueException"
ATTEMPTS = 6
FIRST_WAIT_SECONDS = 2.0
REPLACING = ("resource_arn", "region")


def waf_client(region: str, resource_arn: str) -> Any:
    """A WAF client in the web ACL's own account and region, or one line saying why not."""
    parts = resource_arn.split(":")
    account, arn_region = (parts[4], parts[3]) if len(parts) > 5 else ("", "")
    if arn_region and arn_region != region:
        raise RuntimeError(f"WAF logging for {resource_arn}: the web ACL is in {arn_region}, not {region}")
    try:
        return aws.guarded_client("wafv2", region, [account] if account else [], what=f"WAF logging for {resource_arn}")
    except aws.AccountGuardError as error:
        raise RuntimeError(str(error)) from None


def _configuration(props: dict[str, Any]) -> dict[str, Any]:
    """The API's LoggingConfiguration from the resource's inputs."""
    return {
        "ResourceArn": props["resource_arn"],
        "LogDestinationConfigs": list(props["log_destination_configs"]),
        "RedactedFields": [{"SingleHeader": {"Name": name}} for name in props.get("redacted_headers") or []],
    }


class WebAclLoggingProvider(ResourceProvider):
    def _put(self, props: dict[str, Any]) -> None:
        client = waf_client(props["region"], props["resource_arn"])
        wait = FIRST_WAIT_SECONDS
        for attempt in range(1, ATTEMPTS + 1):
            try:
                client.put_logging_configuration(LoggingConfiguration=_configuration(props))
                return
            except Exception as error:  # botocore's ClientError; its code says which
                if error_code(error) != PROPAGATION_ERROR or attempt == ATTEMPTS:
                    raise RuntimeError(
                        f"WAF logging for {props['resource_arn']}: {error_code(error)} after {attempt} attempt(s)"
                    ) from None
                time.sleep(wait)
                wait *= 2

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._put(props)
        return CreateResult(id_=props["resource_arn"], outs=props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in REPLACING if olds.get(key) != news.get(key)]
        changed = replaces or [
            key for key in ("log_destination_configs", "redacted_headers") if olds.get(key) != news.get(key)
        ]
        return DiffResult(changes=bool(changed), replaces=replaces, stables=[], delete_before_replace=True)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._put(news)
        return UpdateResult(outs=news)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = waf_client(props["region"], id_)
        try:
            live = client.get_logging_configuration(ResourceArn=id_)["LoggingConfiguration"]
        except Exception as error:
            if error_code(error) == "WAFNonexistentItemException":
                return ReadResult(id_="", outs={})
            raise RuntimeError(f"WAF logging for {id_}: {error_code(error)}") from None
        headers = [
            field["SingleHeader"]["Name"] for field in live.get("RedactedFields") or [] if "SingleHeader" in field
        ]
        return ReadResult(
            id_=id_,
            outs={**props, "log_destination_configs": live["LogDestinationConfigs"], "redacted_headers": headers},
        )

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client = waf_client(props["region"], id_)
        try:
            client.delete_logging_configuration(ResourceArn=id_)
        except Exception as error:
            if error_code(error) != "WAFNonexistentItemException":
                raise RuntimeError(f"WAF logging for {id_}: {error_code(error)}") from None


class WebAclLogging(pulumi.dynamic.Resource, module="aws", name="WebAclLogging"):
    def __init__(
        self,
        name: str,
        resource_arn: pulumi.Input[str],
        log_destination_configs: pulumi.Input[list[pulumi.Input[str]]],
        redacted_headers: list[str],
        region: str,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(
            WebAclLoggingProvider(),
            name,
            {
                "resource_arn": resource_arn,
                "log_destination_configs": log_destination_configs,
                "redacted_headers": redacted_headers,
                "region": region,
            },
            opts,
        )
