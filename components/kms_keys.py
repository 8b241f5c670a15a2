"""A customer-managed KMS key as every component here makes one: rotated yearly, 30 days to
cancel a deletion, administered by the account through IAM, plus the grants its users need."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs


def customer_managed_key(
    resource_name: str,
    *,
    description: str,
    account_id: pulumi.Output[str],
    region: str,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
    grants: Callable[[str], list[docs.Statement]] = lambda _account: [],
    alias: str | None = None,
) -> aws.kms.Key:
    """The key (and its alias ``<resource_name>-alias`` when one is named); ``grants`` gets the
    account id and returns the statements that admit the services using the key."""
    key = aws.kms.Key(
        resource_name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=docs.render(account_id.apply(lambda account: [docs.key_administration(account), *grants(account)])),
        region=region,
        tags=dict(tags),
        opts=opts,
    )
    if alias is not None:
        aws.kms.Alias(f"{resource_name}-alias", name=alias, target_key_id=key.key_id, region=region, opts=opts)
    return key
