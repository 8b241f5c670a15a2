"""Firing cases of ``policies/guardrails/iam.py``: each breaks one thing in the real prod plan."""

from __future__ import annotations

from typing import Any

from tests.policies.breaking import Case, edit_document, edited


def _wildcard_action(document: dict[str, Any]) -> None:
    document["Statement"][0]["Action"] = "s3:*"


def _wildcard_resource(document: dict[str, Any]) -> None:
    document["Statement"][1]["Resource"] = "*"


def _unpinned_subject(document: dict[str, Any]) -> None:
    document["Statement"][0]["Condition"]["StringEquals"].pop("oidc.vercel.com/newcool:sub")


def _no_audience(document: dict[str, Any]) -> None:
    document["Statement"][0]["Condition"]["StringEquals"].pop("oidc.vercel.com/newcool:aud")


def _team_wide_subject(document: dict[str, Any]) -> None:
    document["Statement"][0]["Condition"]["StringEquals"]["oidc.vercel.com/newcool:sub"] = "owner:newcool:*"


CASES: list[Case] = [
    (
        "iam-no-wildcards",
        lambda p: edited(p, "aws:iam/policy:Policy", "app-s3-access", edit_document("policy", _wildcard_action)),
        "wildcard action 's3:*'",
    ),
    (
        "iam-no-wildcards",
        lambda p: edited(p, "aws:iam/policy:Policy", "app-s3-access", edit_document("policy", _wildcard_resource)),
        "applies to every resource ('*')",
    ),
    (
        "iam-oidc-trust-restricted",
        lambda p: edited(p, "aws:iam/role:Role", "app-role", edit_document("assumeRolePolicy", _unpinned_subject)),
        "no condition on the token subject",
    ),
    (
        "iam-oidc-trust-restricted",
        lambda p: edited(p, "aws:iam/role:Role", "app-role", edit_document("assumeRolePolicy", _no_audience)),
        "no StringEquals condition on the token audience",
    ),
    (
        "iam-oidc-trust-restricted",
        lambda p: edited(p, "aws:iam/role:Role", "app-role", edit_document("assumeRolePolicy", _team_wide_subject)),
        "does not pin one project/repository and environment",
    ),
]
