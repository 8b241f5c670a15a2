"""The drift classifier on `pulumi preview --json` digests, and the checks refresh cannot make,
against the Vercel and Upstash stand-ins held to the vendors' OpenAPI documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from clients.upstash import UpstashApi
from clients.vercel import VercelApi
from components.hosting import declared_targets
from operations.drift.classify import Drift, classify_preview, load_noise, unmanaged_redis, vercel_variable_drift
from preview.plan import Plan
from tests.standins.openapi import upstash_spec, vercel_spec
from tests.standins.vendors import UpstashAccountStandIn, VercelTeamStandIn

STACK = "urn:pulumi:prod::newcool-infra::"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET = "aws:s3/bucket:Bucket"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
LAST_DEPLOY_MS = 1_764_000_000_000


def step(op: str, type_: str, name: str, *changed: str) -> dict[str, object]:
    return {
        "op": op,
        "urn": f"{STACK}newcool:storage:Storage${type_}::{name}",
        "diffReasons": list(changed),
        "detailedDiff": {path: {"kind": "update", "inputDiff": False} for path in changed},
    }


def test_a_clean_refresh_of_the_real_plan_is_no_drift(prod_plan: Plan) -> None:
    digest = {
        "steps": [{"op": "same", "urn": r.urn} for r in prod_plan],
        "changeSummary": {"same": len(prod_plan.registrations)},
    }
    assert classify_preview(digest, load_noise()) == []


def test_each_change_is_named_and_guards_are_security_relevant() -> None:
    digest = {
        "steps": [
            step("same", BUCKET, "cdn"),
            step("update", PAB, "cdn-public-access", "blockPublicPolicy"),
            step("update", BUCKET, "assets", "tags.owner"),
            step("delete", BUCKET, "uploads"),
        ]
    }
    assert classify_preview(digest, {}) == [
        Drift(f"{PAB} cdn-public-access", "update (blockPublicPolicy)", security=True),
        Drift(f"{BUCKET} assets", "update (tags)", security=False),
        Drift(f"{BUCKET} uploads", "delete", security=True),
    ]


def test_known_noise_alone_is_left_out_but_noise_beside_a_real_change_is_not() -> None:
    noise = {DISTRIBUTION: {"etag", "status"}}
    digest = {
        "steps": [
            step("update", DISTRIBUTION, "cdn", "etag", "status"),
            step("update", DISTRIBUTION, "assets", "etag", "defaultCacheBehavior.viewerProtocolPolicy"),
        ]
    }
    assert [d.line() for d in classify_preview(digest, noise)] == [
        f"[security] {DISTRIBUTION} assets: update (defaultCacheBehavior, etag)"
    ]


def test_the_committed_noise_list_loads_and_every_entry_must_say_why(tmp_path: Path) -> None:
    assert isinstance(load_noise(), dict)
    unexplained = tmp_path / "noise.json"
    unexplained.write_text(json.dumps({"noise": [{"type": BUCKET, "properties": ["tags"], "why": ""}]}))
    with pytest.raises(ValueError, match="aws:s3/bucket:Bucket says no why"):
        load_noise(unexplained)


def test_vercel_variables_not_in_code_or_edited_since_the_last_deploy(httpserver: HTTPServer) -> None:
    team = VercelTeamStandIn(vercel_spec(), token="vercel-token", team_id="team_newcool")
    before, after = LAST_DEPLOY_MS - 60_000, LAST_DEPLOY_MS + 60_000
    team.projects["newcool-api"] = {
        "id": "prj_1",
        "domains": [],
        "envs": [
            {"id": "e1", "key": "SUPABASE_SERVICE_KEY", "target": ["production"], "type": "sensitive",
             "updatedAt": after},
            {"id": "e2", "key": "AWS_REGION", "target": ["production"], "type": "plain", "updatedAt": before},
            {"id": "e3", "key": "DEBUG_TOKEN", "target": ["production"], "type": "encrypted", "updatedAt": before},
            {"id": "e4", "key": "UPSTASH_REDIS_REST_TOKEN", "target": ["preview"], "type": "encrypted",
             "updatedAt": before},
            # A review environment's variables (scoped to its git branch, marked pr-<N>): the
            # sweep's, not this stack's drift, even edited after the last deploy.
            *({"id": f"r{i}", "key": key, "target": ["preview"], "type": "encrypted", "updatedAt": after,
               "gitBranch": "feature/login", "comment": "newcool-review pr-7"}
              for i, key in enumerate(("UPSTASH_REDIS_REST_TOKEN", "S3_KEY_PREFIX"))),
            # The marker alone proves nothing: one reaching production is drift.
            {"id": "e5", "key": "S3_KEY_PREFIX", "target": ["production", "preview"], "type": "plain",
             "updatedAt": before, "gitBranch": "feature/login", "comment": "newcool-review pr-7"},
        ],
    }  # fmt: skip
    url = team.install(httpserver)
    declared = declared_targets("prod", "oidc")
    with VercelApi("vercel-token", "team_newcool", url) as api:
        live = api.variables("prj_1")
    assert [d.line() for d in vercel_variable_drift(live, declared, LAST_DEPLOY_MS)] == [
        "[security] Vercel variable SUPABASE_SERVICE_KEY (production): edited after the last deploy by this repository",
        "[security] Vercel variable DEBUG_TOKEN (production): not in the code",
        # Prod never declares a secret for preview: a prod secret there is drift.
        "[security] Vercel variable UPSTASH_REDIS_REST_TOKEN (preview): not in the code",
        "[security] Vercel variable S3_KEY_PREFIX (preview, production): not in the code",
    ]
    assert team.broken_answers == []


def test_upstash_databases_no_stack_manages(httpserver: HTTPServer) -> None:
    account = UpstashAccountStandIn(upstash_spec(), email="ops@newcool.io", api_key="upstash-key")
    # newcool-pr-7 is a review environment's cache: the sweep's, not drift; newcool-pr-x is no such name.
    for name in ("newcool-prod-cache", "newcool-prod-ratelimit", "newcool-scratch", "newcool-pr-7", "newcool-pr-x"):
        account.databases.append({"database_id": name, "database_name": name, "state": "active"})
    url = account.install(httpserver)
    with UpstashApi("ops@newcool.io", "upstash-key", url) as api:
        live = api.databases()
    managed = {"newcool-prod-cache", "newcool-prod-ratelimit", "newcool-dev-cache", "newcool-dev-ratelimit"}
    assert [d.line() for d in unmanaged_redis(live, managed)] == [
        "Upstash database newcool-scratch: managed by no stack",
        "Upstash database newcool-pr-x: managed by no stack",
    ]
    assert account.broken_answers == []
