"""Each stack pins its AWS account, and two stacks in one account never both create the Vercel
OIDC provider (IAM holds one per account and URL: the second `up` would fail on it)."""

from __future__ import annotations

import pytest

from preview.plan import Plan
from stack_config import ConfigError
from tests.program_runs import run_program

PROD_ACCOUNT = ["111122223333"]
ARN = "arn:aws:iam::111122223333:oidc-provider/oidc.vercel.com/newcool"


def test_a_stack_without_a_pinned_account_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^Pulumi\.dev\.yaml: aws:allowedAccountIds is required"):
        run_program("dev", {"aws:allowedAccountIds": None})


def test_a_malformed_account_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"aws:allowedAccountIds must list 12-digit AWS account ids"):
        run_program("prod", {"aws:allowedAccountIds": ["prod"]})


def test_dev_and_prod_in_one_account_cannot_both_create_the_oidc_provider() -> None:
    with pytest.raises(ConfigError) as raised:
        run_program("dev", {"aws:allowedAccountIds": PROD_ACCOUNT})
    message = str(raised.value)
    assert message.startswith("Pulumi.dev.yaml: newcool-infra:awsOidcProviderArn is required")
    assert "dev and prod share AWS account 111122223333" in message
    assert "oidc.vercel.com/newcool" in message


def test_in_one_account_the_second_stack_reuses_the_first_ones_provider() -> None:
    plan = run_program("dev", {"aws:allowedAccountIds": PROD_ACCOUNT, "awsOidcProviderArn": ARN})
    assert plan.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []


def test_the_committed_stacks_deploy_to_two_accounts_and_each_creates_its_provider(
    dev_plan: Plan, prod_plan: Plan
) -> None:
    for plan in (dev_plan, prod_plan):
        assert len(plan.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")) == 1
