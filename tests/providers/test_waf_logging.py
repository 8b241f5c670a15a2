"""WAF logging retries the first-time permission race, and only that: against moto's WAFv2, with a
client that refuses the destination while the log group's policy propagates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from providers import waf_logging
from providers.waf_logging import PROPAGATION_ERROR, WebAclLoggingProvider

REGION = "us-east-1"
GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-newcool-prod-cdn"


@pytest.fixture
def web_acl_arn(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr(waf_logging, "FIRST_WAIT_SECONDS", 0.0)
    with mock_aws():
        acl = boto3.client("wafv2", region_name=REGION).create_web_acl(
            Name="newcool-prod-cdn",
            Scope="CLOUDFRONT",
            DefaultAction={"Allow": {}},
            VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "cdn"},
        )
        yield acl["Summary"]["ARN"]


def props(arn: str) -> dict[str, Any]:
    return {
        "resource_arn": arn,
        "log_destination_configs": [GROUP],
        "redacted_headers": ["authorization", "cookie"],
        "region": REGION,
    }


class RefusingFirst:
    """moto's client, refusing the destination ``refusals`` times first, as WAF does while the
    resource policy propagates."""

    def __init__(self, refusals: int, code: str = PROPAGATION_ERROR):
        self.real = boto3.client("wafv2", region_name=REGION)
        self.refusals, self.code, self.calls = refusals, code, 0

    def put_logging_configuration(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls <= self.refusals:
            raise ClientError({"Error": {"Code": self.code, "Message": "no permission yet"}}, "PutLoggingConfiguration")
        return self.real.put_logging_configuration(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_the_first_time_refusal_is_retried_until_waf_takes_the_destination(
    web_acl_arn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = RefusingFirst(refusals=2)
    monkeypatch.setattr(waf_logging, "waf_client", lambda region, arn: client)
    created = WebAclLoggingProvider().create(props(web_acl_arn))
    assert client.calls == 3
    live = boto3.client("wafv2", region_name=REGION).get_logging_configuration(ResourceArn=web_acl_arn)
    assert live["LoggingConfiguration"]["LogDestinationConfigs"] == [GROUP]
    assert WebAclLoggingProvider().read(created.id, created.outs or {}).outs == props(web_acl_arn)


def test_any_other_refusal_fails_at_once_in_one_line(web_acl_arn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    client = RefusingFirst(refusals=1, code="WAFInvalidParameterException")
    monkeypatch.setattr(waf_logging, "waf_client", lambda region, arn: client)
    with pytest.raises(RuntimeError) as raised:
        WebAclLoggingProvider().create(props(web_acl_arn))
    assert client.calls == 1
    assert str(raised.value) == f"WAF logging for {web_acl_arn}: WAFInvalidParameterException after 1 attempt(s)"


def test_a_race_that_never_ends_gives_up_after_the_bounded_attempts(
    web_acl_arn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = RefusingFirst(refusals=100)
    monkeypatch.setattr(waf_logging, "waf_client", lambda region, arn: client)
    with pytest.raises(RuntimeError, match=f"{PROPAGATION_ERROR} after {waf_logging.ATTEMPTS} attempt"):
        WebAclLoggingProvider().create(props(web_acl_arn))
    assert client.calls == waf_logging.ATTEMPTS


def test_deleted_by_hand_reads_as_gone_and_delete_is_idempotent(web_acl_arn: str) -> None:
    provider = WebAclLoggingProvider()
    created = provider.create(props(web_acl_arn))
    provider.delete(created.id, created.outs or {})
    assert provider.read(created.id, created.outs or {}).id == ""
    provider.delete(created.id, created.outs or {})


def test_credentials_of_another_account_stop_before_any_change_in_one_line(
    web_acl_arn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A shell still holding another account's credentials: sts names that account.
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "999999999999")
    with pytest.raises(RuntimeError) as raised:
        WebAclLoggingProvider().create(props(web_acl_arn))
    assert str(raised.value) == (
        f"WAF logging for {web_acl_arn}: the AWS credentials are for account 999999999999, not the stack's "
        "123456789012 (aws:allowedAccountIds); nothing was changed"
    )
    monkeypatch.delenv("MOTO_ACCOUNT_ID")
    with pytest.raises(ClientError, match="WAFNonexistentItemException"):
        boto3.client("wafv2", region_name=REGION).get_logging_configuration(ResourceArn=web_acl_arn)


def test_a_region_other_than_the_web_acls_stops_before_any_change(web_acl_arn: str) -> None:
    with pytest.raises(RuntimeError, match=r"the web ACL is in us-east-1, not us-west-2$"):
        WebAclLoggingProvider().create({**props(web_acl_arn), "region": "us-west-2"})
