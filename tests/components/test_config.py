"""Bad stack config stops the program before any resource, with one message naming key and file."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import ConfigError, parse_stack_config
from tools import mock_engine
from tools.mock_engine import run_program

PROD_BUCKETS = {
    "cdn": "newcool-streaming-platform-cdn",
    "assets": "newcool-assets",
    "uploads": "newcool-uploads",
    "logs": "newcool-access-logs",
}

BAD_CONFIG: list[tuple[str, dict[str, Any], str]] = [
    ("prod", {"buckets": None}, "Pulumi.prod.yaml: newcool-infra:buckets is required but not set"),
    (
        "prod",
        {"buckets": {**PROD_BUCKETS, "cdn": "newcool-cdn-renamed"}},
        "Pulumi.prod.yaml: newcool-infra:buckets.cdn must be 'newcool-streaming-platform-cdn' in prod",
    ),
    (
        "dev",
        {"buckets": {**PROD_BUCKETS, "cdn": "newcool-dev-cdn"}},
        "Pulumi.dev.yaml: newcool-infra:buckets.assets is a prod bucket name ('newcool-assets')",
    ),
    (
        "dev",
        {"buckets": {"cdn": "a", "assets": "newcool-dev-assets", "uploads": "x-up", "logs": "x-logs"}},
        "Pulumi.dev.yaml: newcool-infra:buckets.cdn is not a valid S3 bucket name: 'a'",
    ),
    ("dev", {"buckets": {"cdn": "newcool-dev-cdn"}}, "Pulumi.dev.yaml: newcool-infra:buckets.assets is required"),
    (
        "dev",
        {"buckets": {"cdn": "x-cdn", "assets": "x-a", "uploads": "x-u", "logs": "x-l", "backup": "x-b"}},
        "Pulumi.dev.yaml: newcool-infra:buckets.backup is not a known key",
    ),
    ("dev", {"appOrigins": ["*"]}, "Pulumi.dev.yaml: newcool-infra:appOrigins entries must be"),
    (
        "prod",
        {"appOrigins": ["http://localhost:3000"]},
        "Pulumi.prod.yaml: newcool-infra:appOrigins must be https in prod",
    ),
    (
        "dev",
        {"appOrigins": "https://dev.newcool.io"},
        "Pulumi.dev.yaml: newcool-infra:appOrigins must be a list of strings",
    ),
    ("dev", {"appOrigins": []}, "Pulumi.dev.yaml: newcool-infra:appOrigins must not be an empty"),
    (
        "prod",
        {"uploadAllowedOrigins": ["https://newcool.io"]},
        "Pulumi.prod.yaml: newcool-infra:uploadAllowedOrigins was renamed to appOrigins",
    ),
    (
        "dev",
        {"noncurrentVersionDays": "soon"},
        "Pulumi.dev.yaml: newcool-infra:noncurrentVersionDays must be a whole number, got 'soon'",
    ),
    (
        "dev",
        {"logRetentionDays": 0},
        "Pulumi.dev.yaml: newcool-infra:logRetentionDays must be between 1 and 3650, got 0",
    ),
    (
        "prod",
        {"cdnPriceClass": "PriceClass_Cheap"},
        "Pulumi.prod.yaml: newcool-infra:cdnPriceClass must be one of PriceClass_100, PriceClass_200, PriceClass_All",
    ),
    ("prod", {"dnsZoneId": None}, "Pulumi.prod.yaml: newcool-infra:dnsZoneId is required when cdnDomains is set"),
    (
        "prod",
        {"cdnDomains": {"cdn": "media.newcool.io"}},
        "Pulumi.prod.yaml: newcool-infra:cdnDomains.assets is required when cdnDomains is set",
    ),
    (
        "prod",
        {"cdnDomains": {"cdn": "media newcool", "assets": "assets.newcool.io"}},
        "Pulumi.prod.yaml: newcool-infra:cdnDomains.cdn is not a valid domain name",
    ),
    (
        "prod",
        {"adopt": {"buckets": {"cdn": "some-other-bucket"}}, "placeholders": []},
        "Pulumi.prod.yaml: newcool-infra:adopt.buckets.cdn must name the configured bucket",
    ),
    (
        "prod",
        {"importBuckets": {"cdn": "newcool-streaming-platform-cdn"}},
        "Pulumi.prod.yaml: newcool-infra:importBuckets is no longer read: adopt.buckets replaces it",
    ),
    (
        "prod",
        {
            "adopt": {"vercelProject": "prj_abc", "redisCache": {"id": "not-a-uuid", "databaseName": "x"}},
            "placeholders": [],
        },
        "Pulumi.prod.yaml: newcool-infra:adopt.redisCache.id must be the live database's Upstash id",
    ),
    (
        "prod",
        {"adopt": {"vercelProject": "team_Other000000/prj_abc"}, "placeholders": []},
        "Pulumi.prod.yaml: newcool-infra:adopt.vercelProject belongs to another team than vercel.teamId",
    ),
    (
        "prod",
        {
            "adopt": {"vercelProject": "prj_abc", "vercelDomains": {"api.newcool.io": "prj_other/api.newcool.io"}},
            "placeholders": [],
        },
        "Pulumi.prod.yaml: newcool-infra:adopt.vercelDomains.api.newcool.io must be prj_abc/api.newcool.io",
    ),
    (
        "prod",
        {"adopt": {"bukets": {}}, "placeholders": []},
        "Pulumi.prod.yaml: newcool-infra:adopt.bukets is not something this stack adopts (did you mean buckets?)",
    ),
    (
        "prod",
        {"placeholders": ["vercel.teamid"]},
        "Pulumi.prod.yaml: newcool-infra:placeholders lists 'vercel.teamid', which the stack file does not set",
    ),
    (
        "prod",
        {"mediaPublicReadUntil": {"cdn": "2099-01-01"}},
        "Pulumi.prod.yaml: newcool-infra:mediaPublicReadUntil.cdn may be at most 120 days ahead",
    ),
    (
        "prod",
        {"mediaPublicReadUntil": {"uploads": "2027-01-01"}},
        "Pulumi.prod.yaml: newcool-infra:mediaPublicReadUntil.uploads is not a known key",
    ),
    (
        "dev",
        {"bukets": {"cdn": "x"}},
        "Pulumi.dev.yaml: newcool-infra:bukets is not a setting of this project (did you mean buckets?)",
    ),
]


@pytest.mark.parametrize(("stack", "overrides", "message"), BAD_CONFIG, ids=[m[2].split(" ")[1] for m in BAD_CONFIG])
def test_bad_config_stops_the_program_with_one_clear_message(
    stack: str, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        run_program(stack, overrides)
    assert str(error.value).startswith(message), str(error.value)
    assert "\n" not in str(error.value)


def test_bad_config_registers_no_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    recorded: list[Any] = []
    original = mock_engine.RecordingMonitor.RegisterResource

    def spy(self: Any, request: Any) -> Any:
        recorded.append(request.type)
        return original(self, request)

    monkeypatch.setattr(mock_engine.RecordingMonitor, "RegisterResource", spy)
    with pytest.raises(ConfigError):
        run_program("prod", {"buckets": None})
    assert recorded == ["pulumi:pulumi:Stack"]


def test_an_unknown_stack_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"Pulumi.staging.yaml: unknown stack 'staging'"):
        parse_stack_config("staging", {})


def test_numbers_and_defaults_are_typed() -> None:
    config = parse_stack_config(
        "dev",
        {
            "buckets": '{"cdn": "d-cdn", "assets": "d-assets", "uploads": "d-uploads", "logs": "d-logs"}',
            "appOrigins": '["https://dev.newcool.io"]',
            "noncurrentVersionDays": "14",
            "vercel": '{"team": "t", "teamId": "team_abcdefgh", "project": "p", "gitRepository": "o/r", '
            '"productionBranch": "main", "domain": "api.dev.example.com"}',
            "supabaseUrl": "https://abcdefghijklmnopqrst.supabase.co",
            "supabaseAccessToken": "sbp_0123456789abcdef0123456789",
            "databaseUrl": "postgresql://postgres.abcdefghijklmnopqrst@aws-0-us-east-1.pooler.supabase.com:5432/postgres",
            "onCallEmail": "oncall@example.com",
            "githubRepository": "o/infra",
        },
        secret_keys=frozenset({"supabaseAccessToken", "databaseUrl"}),
    )
    assert config.storage.noncurrent_version_days == 14
    assert config.storage.log_retention_days == 90
    assert config.storage.price_class == "PriceClass_100"
    assert config.storage.cdn_domains is None
    assert config.storage.import_buckets == {}
    assert config.cache.primary_region == "us-east-1"
    assert config.cache.budget is None
    assert config.hosting.aws_access == "oidc"
    assert config.hosting.upload_prefixes == ("avatars/",)
    assert config.monitoring.vercel_error_rate_alert is False


def test_a_real_up_of_prod_refuses_while_placeholders_are_listed() -> None:
    with pytest.raises(ConfigError) as raised:
        run_program("prod", preview=False)
    message = str(raised.value)
    assert message.startswith("Pulumi.prod.yaml: newcool-infra:placeholders still lists vercel.teamId, dnsZoneId")
    assert "adopt.vercelProject" in message and "before `pulumi up -s prod`" in message


def test_once_the_placeholders_are_filled_in_prod_runs_and_dev_never_blocks_on_them() -> None:
    assert run_program("prod", {"placeholders": []}, preview=False).stack == "prod"
    assert run_program("dev", preview=False).stack == "dev"
