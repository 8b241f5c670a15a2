"""Bad stack config stops the program before any resource, with one message naming key and file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from preview import engine as mock_engine
from preview.plan import Secret
from stack_config import (
    BUCKET_ROLES,
    PROD_BUCKET_NAMES,
    PROD_CDN_DOMAINS,
    SECRET_KEYS,
    ConfigError,
    keys,
    parse_stack_config,
)
from stack_config.keys import KNOWN_KEYS
from stack_config.namespaces import check_config_namespaces, provider_config_keys
from stack_config.stack_file import check_project_schema, set_stack_value
from tests.conftest import ROOT
from tests.program_runs import run_program

PROD_BUCKETS = dict(PROD_BUCKET_NAMES)
# Valid dev names for every role of the table.
DEV_BUCKETS = {role: f"x-{role}" for role in BUCKET_ROLES}

BAD_CONFIG: list[tuple[str, dict[str, Any], str]] = [
    # The stack whose role prod's previews assume trusts them only with OIDC, and prod serves no previews.
    (
        "dev",
        {"awsAccess": "access-key"},
        "Pulumi.dev.yaml: newcool-infra:servesPreviewsOf needs awsAccess: oidc",
    ),
    (
        "prod",
        {"servesPreviewsOf": "newcool-api-dev"},
        "Pulumi.prod.yaml: newcool-infra:servesPreviewsOf names prod's project",
    ),
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
        {"buckets": {**DEV_BUCKETS, "cdn": "a"}},
        "Pulumi.dev.yaml: newcool-infra:buckets.cdn is not a valid S3 bucket name: 'a'",
    ),
    ("dev", {"buckets": {"cdn": "newcool-dev-cdn"}}, "Pulumi.dev.yaml: newcool-infra:buckets.assets is required"),
    (
        "dev",
        {"buckets": {**DEV_BUCKETS, "backup": "x-b"}},
        "Pulumi.dev.yaml: newcool-infra:buckets.backup is not a known key",
    ),
    (
        "prod",
        {"cdnDomains": {**PROD_CDN_DOMAINS, "cdn": "cdn.example.com"}},
        f"Pulumi.prod.yaml: newcool-infra:cdnDomains.cdn must be {PROD_CDN_DOMAINS['cdn']!r} in prod",
    ),
    (
        "prod",
        {"mediaPublicReadUntil": {"uploads": "2027-01-31"}},
        "Pulumi.prod.yaml: newcool-infra:mediaPublicReadUntil.uploads is not a known key",
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
        "Pulumi.dev.yaml: newcool-infra:logRetentionDays must be between 2 and 3650, got 0",
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
        {"cdnDomains": {**PROD_CDN_DOMAINS, "cdn": "media newcool"}},
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
            "adopt": {"vercelProject": "prj_abc", "redisCache": {"id": "not-a-uuid"}},
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
    # The provider would ignore a key it does not read and deploy with its default instead.
    (
        "prod",
        {"aws:regoin": "us-east-2"},
        "Pulumi.prod.yaml: aws:regoin is not a setting of the aws provider (did you mean aws:region?)",
    ),
    (
        "dev",
        {"vercel:token": Secret("x")},
        "Pulumi.dev.yaml: vercel:token is not a setting of the vercel provider (did you mean vercel:apiToken?)",
    ),
    (
        "prod",
        {"vercel:apiToken": "vcp_plaintexttoken"},
        "Pulumi.prod.yaml: vercel:apiToken is a credential and is set in plain text; put it in the stack's ESC "
        "environment or set it with `pulumi config set --secret vercel:apiToken`",
    ),
    (
        "prod",
        {"awss:region": "us-east-2"},
        "Pulumi.prod.yaml: awss:region: 'awss' is not a config namespace of this project "
        "(aws, newcool-infra, pulumi, upstash, vercel); did you mean aws:region?",
    ),
    (
        "dev",
        {"newcool:wafMode": "count"},
        "Pulumi.dev.yaml: newcool:wafMode: 'newcool' is not a config namespace of this project",
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
            "buckets": json.dumps(DEV_BUCKETS),
            "appOrigins": '["https://dev.newcool.io"]',
            "noncurrentVersionDays": "14",
            "vercel": '{"team": "t", "teamId": "team_abcdefgh", "project": "p", "gitRepository": "o/r", '
            '"productionBranch": "main", "domain": "api.dev.example.com"}',
            "supabaseUrl": "https://abcdefghijklmnopqrst.supabase.co",
            "supabaseAccessToken": "sbp_0123456789abcdef0123456789",
            "databaseUrl": "postgresql://postgres.abcdefghijklmnopqrst@aws-0-us-east-1.pooler.supabase.com:5432/postgres",
            "onCallEmail": "oncall@example.com",
            "githubRepository": "o/infra",
            "deployRoleArn": "arn:aws:iam::444455556666:role/newcool-deploy",
            "vercelLogDrainSecret": "0123456789abcdef0123456789abcdef",
        },
        secret_keys=frozenset({"supabaseAccessToken", "databaseUrl", "vercelLogDrainSecret"}),
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


def test_every_provider_key_the_stacks_set_and_the_credentials_are_known_to_their_providers() -> None:
    assert {"region", "defaultTags", "allowedAccountIds"} <= provider_config_keys("aws")
    assert provider_config_keys("vercel") == {"apiToken", "team"}
    assert provider_config_keys("upstash") == {"email", "apiKey"}
    check_config_namespaces(
        "prod", ["aws:region", "vercel:apiToken", "upstash:apiKey", "pulumi:tags"], is_secret=lambda _key: True
    )


def test_provider_credentials_pass_as_secrets_and_no_message_shows_a_plain_one() -> None:
    plan = run_program("prod", {"vercel:apiToken": Secret("vcp_token"), "upstash:apiKey": Secret("key")})
    assert plan.registrations
    with pytest.raises(ConfigError) as error:
        run_program("dev", {"upstash:apiKey": "plain-upstash-key"})
    assert "upstash:apiKey is a credential" in str(error.value) and "plain-upstash-key" not in str(error.value)


def project_schema() -> dict[str, Any]:
    declared: dict[str, Any] = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    return declared


def test_pulumi_yaml_declares_the_keys_every_stack_sets_and_which_are_secret() -> None:
    declared = project_schema()
    # One declaration per key: Pulumi.yaml's block is the key table's, word for word.
    assert declared == keys.project_schema()
    assert set(declared) <= KNOWN_KEYS
    assert {key for key, d in declared.items() if d.get("secret")} == SECRET_KEYS
    # Declared without a default means required: every stack file sets each one (secrets come
    # from the stack's ESC environment).
    for stack in ("dev", "prod"):
        values = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        assert {key for key in declared if f"newcool-infra:{key}" in values} == set(declared) - SECRET_KEYS
    assert all(d["type"] in ("string", "integer", "boolean", "array") and d["description"] for d in declared.values())
    assert not any("default" in d for d in declared.values()), "defaults live in stack_config/keys.py only"


def stack_with(tmp_path: Path, stack: str, change: dict[str, Any]) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    for key, value in change.items():
        if value is None:
            del document["config"][f"newcool-infra:{key}"]
        else:
            document["config"][f"newcool-infra:{key}"] = value
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(document))
    return tmp_path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"onCallEmail": None}, "Pulumi.prod.yaml: Stack 'prod' is missing configuration value 'onCallEmail'"),
        (
            {"databaseUrl": "postgresql://postgres.x:pw@aws-0-us-east-1.pooler.supabase.com:5432/postgres"},
            "Pulumi.prod.yaml: Stack 'prod' with configuration key 'databaseUrl' must be encrypted as it's secret",
        ),
        (
            {"wafRateLimit": "2k"},
            "Pulumi.prod.yaml: Stack 'prod' with configuration key 'wafRateLimit' must be of type 'integer'",
        ),
        ({"appOrigins": "https://newcool.io"}, "with configuration key 'appOrigins' must be of type 'List<string>'"),
        (
            {"supabaseLegacyKeysEnabled": "yes"},
            "with configuration key 'supabaseLegacyKeysEnabled' must be of type 'boolean'",
        ),
    ],
)
def test_the_offline_run_refuses_what_the_cli_refuses_against_pulumi_yaml(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        check_project_schema("prod", stack_with(tmp_path, "prod", change))
    assert message in str(error.value)
    # The secret's value is never part of the message.
    assert "pw@" not in str(error.value)


def test_a_secret_as_ciphertext_and_the_committed_stack_files_pass_the_schema(tmp_path: Path) -> None:
    check_project_schema("prod", stack_with(tmp_path, "prod", {"databaseUrl": {"secure": "v1:abc"}}))
    check_project_schema("dev")
    check_project_schema("prod")


def test_setting_a_stack_value_keeps_the_files_comments_and_replaces_in_place(tmp_path: Path) -> None:
    shutil.copy(ROOT / "Pulumi.prod.yaml", tmp_path / "Pulumi.prod.yaml")
    before = (tmp_path / "Pulumi.prod.yaml").read_text()
    set_stack_value("prod", "supabaseSecretKeyGeneration", 2, tmp_path)
    set_stack_value("prod", "supabaseSecretKeyGeneration", 3, tmp_path)
    after = (tmp_path / "Pulumi.prod.yaml").read_text()
    assert after.count("supabaseSecretKeyGeneration") == 1, "replaced where it is, not added twice"
    assert [line for line in after.splitlines() if line.lstrip().startswith("#")] == [
        line for line in before.splitlines() if line.lstrip().startswith("#")
    ]
    config = yaml.safe_load(after)["config"]
    assert config["newcool-infra:supabaseSecretKeyGeneration"] == 3
    assert {k: v for k, v in config.items() if "Generation" not in k} == yaml.safe_load(before)["config"]
