"""The two vocabulary tables (bucket roles, app variables): an unknown role is an error, the
tables refuse what the derived resources could not honour, and the copies follow them."""

from __future__ import annotations

import dataclasses

import pytest

from policies.guardrails import bucket_roles as pack_roles
from stack_config import (
    BUCKET_TABLE,
    CDN_ROLES,
    CUTOVER_ROLES,
    DATA_BUCKET_ROLES,
    PROD_CDN_DOMAINS,
    CdnDomains,
    UnknownBucketRoleError,
    bucket_role,
    vocabulary,
)
from stack_config import app_variables as variables


def test_an_unknown_bucket_role_is_an_error_never_a_default() -> None:
    assert bucket_role("uploads").data is True
    with pytest.raises(UnknownBucketRoleError, match=r"unknown bucket role 'no-such-role' \(the roles: cdn, "):
        bucket_role("no-such-role")


def test_a_cdn_domain_is_answered_only_for_its_own_role() -> None:
    domains = CdnDomains(by_role=dict(PROD_CDN_DOMAINS), zone_id="Z0NEWCOOL00PROD")
    assert [domains.for_role(role) for role in CDN_ROLES] == [PROD_CDN_DOMAINS[role] for role in CDN_ROLES]
    # It once answered the assets domain for any other role, so a new bucket got assets.newcool.io.
    for role in ("uploads", "no-such-role"):
        with pytest.raises(UnknownBucketRoleError, match=f"no custom CDN domain for bucket role '{role}'"):
            domains.for_role(role)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"uploads": {"cutover": True}}, "uploads: a cut-over ends in CloudFront, so cutover needs cdn"),
        ({"uploads": {"data": False}}, "exactly one role must be the log bucket (data=False), got ['uploads', 'logs']"),
        ({"cdn": {"custom_domain": None}}, "cdn: a custom_domain is given exactly for the roles CloudFront serves"),
        ({"assets": {"prod_name": "newcool-uploads"}}, "each role needs its own prod_name"),
    ],
)
def test_the_bucket_table_refuses_what_the_derived_resources_could_not_honour(
    change: dict[str, dict[str, object]], problem: str
) -> None:
    assert vocabulary._table_problems(BUCKET_TABLE) == []
    table = {role: dataclasses.replace(facts, **change.get(role, {})) for role, facts in BUCKET_TABLE.items()}  # type: ignore[arg-type]
    assert problem in vocabulary._table_problems(table)


def test_the_packs_copy_of_the_roles_is_the_tables() -> None:
    # The pack is published alone; make docs writes its copy, and this holds it to the table.
    assert pack_roles.DATA_ROLES == DATA_BUCKET_ROLES
    assert pack_roles.CUTOVER_ROLES == CUTOVER_ROLES


def test_every_data_bucket_gets_its_name_variable_and_only_those() -> None:
    keys = variables.declared_keys("prod", "oidc", preview_stack=True)
    buckets = {key for key in keys if key.startswith("S3_BUCKET_")}
    assert buckets == {f"S3_BUCKET_{role.upper()}" for role in DATA_BUCKET_ROLES}


def test_a_variable_twice_for_one_target_is_refused_as_vercel_does() -> None:
    assert variables._table_problems(variables.APP_VARIABLES) == []
    doubled = (*variables.APP_VARIABLES, variables.AppVariable("AWS_REGION", "x", "x", False, variables.OWN))
    assert "AWS_REGION twice for prod's production" in variables._table_problems(doubled)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_what_a_stack_declares_follows_its_access_mode_and_preview_stack(stack: str) -> None:
    oidc = variables.declared_keys(stack, "oidc", preview_stack=False)  # type: ignore[arg-type]
    keys = variables.declared_keys(stack, "access-key", preview_stack=False)  # type: ignore[arg-type]
    assert "AWS_ROLE_ARN" in oidc and not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} & oidc
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= keys and "AWS_ROLE_ARN" not in keys
    rows = variables.app_variables(stack, "oidc", preview_stack=True)  # type: ignore[arg-type]
    preview_only = [row for row in rows if row.needs == "previewStack"]
    # Only prod's previews take another stack's backend; dev has its own everywhere.
    assert {row.targets[stack] for row in preview_only} == ({("preview",)} if stack == "prod" else set())  # type: ignore[index]


def test_nothing_of_prod_reaches_a_preview_or_a_laptop() -> None:
    for row in variables.app_variables("prod", "access-key", preview_stack=True):
        if row.needs != "previewStack":
            assert row.targets["prod"] == ("production",), row.key
        assert "development" not in row.targets["prod"], row.key
    assert not [
        row for row in variables.app_variables("prod", "oidc", preview_stack=False) if "preview" in row.targets["prod"]
    ]


@pytest.mark.parametrize("access", ["oidc", "access-key"])
def test_prods_previews_get_the_whole_set_from_the_preview_stack(access: str) -> None:
    """Every key production has, sensitive alike, read from the preview stack's outputs (NODE_ENV
    fixed); the AWS credentials are always the preview stack's role."""
    rows = variables.app_variables("prod", access, preview_stack=True)  # type: ignore[arg-type]
    production = {row.key: row for row in rows if row.targets["prod"] == ("production",)}
    previews = {row.key: row for row in rows if row.targets["prod"] == ("preview",)}
    credentials = {"AWS_ROLE_ARN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    assert set(previews) - {"AWS_ROLE_ARN"} == set(production) - credentials
    assert "AWS_ROLE_ARN" in previews
    for key, row in previews.items():
        assert row.sensitive is (production[key].sensitive if key in production else False), key
        assert row.preview_output is not None or (key == "NODE_ENV" and row.value_from == "production"), key
