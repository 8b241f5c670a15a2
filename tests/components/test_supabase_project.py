"""The Supabase project as declared: Supabase's production checklist as settings resources, the
app's keys from the project to Vercel, and migrations that wait until the database admits them."""

from __future__ import annotations

from typing import Any

import pytest

from preview.plan import Plan, Secret
from stack_config import ALL_PASSWORD_CHARACTERS, ConfigError
from tests.program_runs import run_program

PREFIX = "pulumi-python:dynamic/supabase:"
REFS = {"dev": "devnewcoolprojectaaa", "prod": "prodnewcoolprojectbb"}


def settings(plan: Plan, kind: str, name: str) -> dict[str, Any]:
    return dict(plan.named(PREFIX + kind, name).props["settings"])


def test_every_settings_resource_targets_this_stacks_project(plan: Plan) -> None:
    component = plan.named("newcool:supabase:SupabaseProject", "supabase-project")
    resources = [r for r in plan if r.type.startswith(PREFIX) and not r.type.endswith("SchemaMigrations")]
    assert {r.type.removeprefix(PREFIX) for r in resources} == {
        "AuthConfig", "DataApiConfig", "NetworkRestrictions", "SslEnforcement", "LegacyApiKeys", "ApiKey", "Backups",
        "PitrAddon",
    }  # fmt: skip
    for registration in resources:
        assert registration.props["project_ref"] == REFS[plan.stack], registration.name
        assert registration.parent == component.urn, registration.name


def test_auth_follows_the_production_checklist(plan: Plan) -> None:
    auth = settings(plan, "AuthConfig", "auth")
    assert auth["mailer_autoconfirm"] is False
    assert auth["password_min_length"] >= 12
    assert auth["password_required_characters"] == ALL_PASSWORD_CHARACTERS
    # Leaked-password protection: both projects are on Pro (dev since review branches came).
    assert auth["password_hibp_enabled"] is True
    assert auth["mailer_otp_exp"] <= 3600 and auth["jwt_exp"] <= 3600
    assert auth["refresh_token_rotation_enabled"] is True
    site = {"dev": "https://dev.newcool.io", "prod": "https://newcool.io"}[plan.stack]
    assert auth["site_url"] == site
    redirects = auth["uri_allow_list"].split(",")
    assert redirects[0] == f"{site}/**"
    if plan.stack == "prod":
        assert all(r.startswith("https://") and "*." not in r for r in redirects)


def test_the_data_api_exposes_two_schemas_and_bounded_pages(plan: Plan) -> None:
    assert settings(plan, "DataApiConfig", "data-api") == {"db_schema": "public,graphql_public", "max_rows": 1000}


def test_ssl_is_enforced_before_the_network_list_and_both_before_migrations(plan: Plan) -> None:
    assert settings(plan, "SslEnforcement", "ssl") == {"requestedConfig": {"database": True}}
    ssl = plan.named(PREFIX + "SslEnforcement", "ssl")
    network = plan.named(PREFIX + "NetworkRestrictions", "network")
    assert ssl.urn in network.dependencies
    schema = plan.named("newcool:database:SupabaseSchema", "supabase")
    assert {ssl.urn, network.urn} <= set(schema.dependencies)


def test_prod_admits_only_listed_networks_including_where_migrations_run(prod_plan: Plan) -> None:
    network = settings(prod_plan, "NetworkRestrictions", "network")
    assert "0.0.0.0/0" not in network["dbAllowedCidrs"] and "::/0" not in network["dbAllowedCidrsV6"]
    assert "203.0.113.10/32" in network["dbAllowedCidrs"], "the deploy runner's egress (migrationSourceCidrs)"


def test_the_app_keys_are_created_here_and_revoked_on_delete_only_in_dev(plan: Plan) -> None:
    keys = {r.name: r.props for r in plan.of_type(PREFIX + "ApiKey")}
    assert keys["publishable-key"]["type"] == "publishable" and keys["secret-key"]["type"] == "secret"
    assert keys["publishable-key"]["name"] == "newcool_app_1" and keys["secret-key"]["name"] == "newcool_server_1"
    assert all(k["revoke_on_delete"] is (plan.stack == "dev") for k in keys.values())
    secret_key = plan.named(PREFIX + "ApiKey", "secret-key")
    assert isinstance(secret_key.outputs.get("api_key"), Secret) or "api_key" in secret_key.outputs


def test_legacy_keys_are_switched_off_only_after_the_new_keys_exist(plan: Plan) -> None:
    legacy = plan.named(PREFIX + "LegacyApiKeys", "legacy-keys")
    keys = {r.urn for r in plan.of_type(PREFIX + "ApiKey")}
    assert keys <= set(legacy.dependencies)
    assert legacy.props["settings"] == {"enabled": plan.stack == "prod"}


def test_raising_one_key_generation_renames_that_key_only(dev_plan: Plan) -> None:
    rotated = run_program("dev", {"supabaseSecretKeyGeneration": 2})
    names = {r.name: r.props["name"] for r in rotated.of_type(PREFIX + "ApiKey")}
    assert names == {"publishable-key": "newcool_app_1", "secret-key": "newcool_server_2"}


def test_the_stack_config_may_tighten_a_setting_field_by_field() -> None:
    plan = run_program("prod", {"supabaseAuth": {"password_min_length": 16, "disable_signup": True}})
    auth = settings(plan, "AuthConfig", "auth")
    assert auth["password_min_length"] == 16 and auth["disable_signup"] is True
    assert auth["password_hibp_enabled"] is True, "the other defaults stay"


POOLER = "aws-0-us-east-1.pooler.supabase.com"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"supabaseAuth": {"password_min_lenght": 16}},
            "newcool-infra:supabaseAuth.password_min_lenght is not a "
            "setting this project manages (did you mean password_min_length?)",
        ),
        ({"supabaseAuth": {"password_min_length": "16"}}, "supabaseAuth.password_min_length must be a int, got '16'"),
        ({"supabaseAuth": {"mailer_autoconfirm": 1}}, "supabaseAuth.mailer_autoconfirm must be a bool, got 1"),
        ({"supabaseDataApi": {"db_schemas": "public"}}, "supabaseDataApi.db_schemas is not a setting"),
        (
            {"supabaseNetworkRestrictions": {"dbAllowedCidrs": ["0.0.0.0/0"]}},
            "opens the database to the whole internet",
        ),
        ({"supabaseNetworkRestrictions": {"dbAllowedCidrs": ["10.0.0.300/32"]}}, "must hold CIDRs like"),
        ({"supabaseNetworkRestrictions": None}, "supabaseNetworkRestrictions is required in prod"),
        ({"migrationSourceCidrs": ["::/0"]}, "migrationSourceCidrs opens the database to the whole internet"),
        (
            {"databaseUrl": Secret(f"postgresql://postgres.prodnewcoolprojectbb:pw@{POOLER}:6543/postgres")},
            "uses the transaction pooler (port 6543)",
        ),
        (
            {"databaseUrl": Secret(f"postgresql://postgres.devnewcoolprojectaaa:pw@{POOLER}:5432/postgres")},
            "must log in to the pooler as postgres.prodnewcoolprojectbb",
        ),
        (
            {"databaseUrl": Secret("postgresql://postgres:pw@db.devnewcoolprojectaaa.supabase.co:5432/postgres")},
            "points at another project than prodnewcoolprojectbb",
        ),
        ({"supabaseAccessToken": Secret("eyJnot-a-token")}, "supabaseAccessToken must be a personal access token"),
        ({"supabaseAccessToken": "sbp_0123456789abcdef0123456789"}, "supabaseAccessToken holds a secret in plain text"),
        ({"supabaseAnonKey": Secret("eyJ")}, "supabaseAnonKey is no longer read: the publishable key is now created"),
        (
            {"supabaseUrl": "https://prodnewcoolproject0b.supabase.co"},
            "supabaseUrl must be https://<ref>.supabase.co with a ref of 20 lowercase letters",
        ),
        (
            {"supabasePlan": "free", "supabasePitr": "none", "supabaseAuth": {"password_hibp_enabled": True}},
            "supabaseAuth.password_hibp_enabled needs the Pro plan or above; supabasePlan is 'free'",
        ),
        ({"supabasePlan": "hobby"}, "supabasePlan must be one of free, pro, team, enterprise"),
        (
            {"supabasePlan": "free", "supabaseAuth": {"password_hibp_enabled": False}},
            "supabasePitr needs the Pro plan or above; supabasePlan is 'free'",
        ),
        (
            {"supabasePitrWaiver": {"reason": "cost", "until": "2027-01-31"}},
            "supabasePitrWaiver accepts running without PITR, but supabasePitr is 'pitr_7'",
        ),
        (
            {"supabasePitr": "none", "supabasePitrWaiver": {"reason": "cost", "until": "2099-01-31"}},
            "supabasePitrWaiver.until may be at most 365 days ahead",
        ),
        ({"supabasePitr": "none", "supabasePitrWaiver": {"reason": "cost"}}, "supabasePitrWaiver needs both"),
    ],
)
def test_bad_supabase_config_is_one_line_naming_the_key(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        run_program("prod", overrides)
    assert message in str(raised.value)
    assert str(raised.value).startswith("Pulumi.prod.yaml: newcool-infra:")
    assert ":pw@" not in str(raised.value), "the database URL is never echoed"


def test_prod_buys_seven_days_of_point_in_time_recovery_and_dev_buys_none(plan: Plan) -> None:
    pitr = plan.named(PREFIX + "PitrAddon", "pitr").props
    assert pitr["variant"] == {"dev": "none", "prod": "pitr_7"}[plan.stack]
    assert pitr.get("waiver") is None


def test_a_dated_acceptance_travels_with_the_resource_for_the_pack_to_judge() -> None:
    waiver = {"reason": "daily backups and a nightly dump suffice until launch", "until": "2027-01-31"}
    plan = run_program("prod", {"supabasePitr": "none", "supabasePitrWaiver": waiver})
    props = plan.named(PREFIX + "PitrAddon", "pitr").props
    assert (props["project_ref"], props["variant"], props["waiver"]) == (REFS["prod"], "none", waiver)
