"""The Vercel project, every variable's source, targets and sensitivity, and the app's AWS access."""

from __future__ import annotations

import re
from typing import Any

import pytest

from preview.plan import Plan, Registration, Secret
from providers.vercel_redeploy import variables_version
from stack_config import CDN_ROLES, DATA_BUCKET_ROLES, UPLOAD_ROLES, ConfigError
from stack_config.app_variables import ALL_TARGETS
from tests.plan_queries import as_list, bucket, statements
from tests.program_runs import run_program

ENV_VAR = "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable"
REDIS = "upstash:index/redisDatabase:RedisDatabase"
SEED_VARIABLES = {
    "NEXT_PUBLIC_SUPABASE_URL",
    "NEXT_PUBLIC_SUPABASE_ANON_KEY",
    "SUPABASE_SERVICE_KEY",
    "UPSTASH_REDIS_REST_URL",
    "UPSTASH_REDIS_REST_TOKEN",
    "AWS_REGION",
    "S3_BUCKET_CDN",
    "S3_BUCKET_ASSETS",
    "S3_BUCKET_UPLOADS",
    "NODE_ENV",
}
SECRET_VARIABLES = {
    "SUPABASE_SERVICE_KEY",
    "UPSTASH_REDIS_REST_URL",
    "UPSTASH_REDIS_REST_TOKEN",
    "UPSTASH_RATELIMIT_REST_URL",
    "UPSTASH_RATELIMIT_REST_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
}


def variables(plan: Plan) -> dict[str, Registration]:
    """Each key's variable for deployed builds (production); a key may have another for laptops."""
    pairs = [(r.props["key"], target) for r in plan.of_type(ENV_VAR) for target in r.props["targets"]]
    # Vercel refuses two variables with the same key and target (ENV_ALREADY_EXISTS).
    assert len(pairs) == len(set(pairs)), "a key is declared twice for one target"
    return {r.props["key"]: r for r in plan.of_type(ENV_VAR) if "production" in r.props["targets"]}


@pytest.fixture(scope="module")
def access_key_plan() -> Plan:
    return run_program("prod", {"awsAccess": "access-key"})


def test_every_seed_variable_is_set_on_the_project(plan: Plan) -> None:
    project = plan.named("vercel:index/project:Project", "project")
    found = variables(plan)
    assert set(found) >= SEED_VARIABLES
    for registration in found.values():
        assert registration.props["projectId"] == project.id
        assert registration.props["teamId"] == "team_N3wC00lT3amId"


def test_every_variable_sets_sensitive_explicitly_and_every_secret_is_sensitive(plan: Plan) -> None:
    for key, registration in variables(plan).items():
        assert isinstance(registration.props["sensitive"], bool), key
        assert registration.props["sensitive"] is (key in SECRET_VARIABLES), key


def test_only_the_supabase_url_and_anon_key_are_public_to_the_browser(plan: Plan) -> None:
    public = {key for key in variables(plan) if key.startswith("NEXT_PUBLIC_")}
    assert public == {"NEXT_PUBLIC_SUPABASE_URL", "NEXT_PUBLIC_SUPABASE_ANON_KEY"}


def test_secret_values_stay_pulumi_secrets(plan: Plan) -> None:
    found = variables(plan)
    for key in SECRET_VARIABLES & set(found):
        assert isinstance(found[key].inputs["value"], Secret), key
    # The publishable key is public by design, yet kept encrypted in the state too.
    assert isinstance(found["NEXT_PUBLIC_SUPABASE_ANON_KEY"].inputs["value"], Secret)


def test_values_come_from_the_resources_that_produce_them(plan: Plan) -> None:
    found = {key: r.props["value"] for key, r in variables(plan).items()}
    for role in DATA_BUCKET_ROLES:
        assert found[f"S3_BUCKET_{role.upper()}"] == bucket(plan, role).props["bucket"]
    cache = plan.named(REDIS, "cache").outputs
    ratelimit = plan.named(REDIS, "ratelimit").outputs
    assert found["UPSTASH_REDIS_REST_URL"] == f"https://{cache['endpoint']}"
    assert found["UPSTASH_RATELIMIT_REST_URL"] == f"https://{ratelimit['endpoint']}"
    assert found["UPSTASH_REDIS_REST_TOKEN"] == cache["restToken"]
    assert found["AWS_REGION"] == "us-east-2"
    assert found["NODE_ENV"] == "production"
    supabase_url = {
        "dev": "https://devnewcoolprojectaaa.supabase.co",
        "prod": "https://prodnewcoolprojectbb.supabase.co",
    }
    assert found["NEXT_PUBLIC_SUPABASE_URL"] == supabase_url[plan.stack]
    # The managed keys, not hand-set config: the secret key for the server, the publishable one for the browser.
    secret_key = plan.named("pulumi-python:dynamic/supabase:ApiKey", "secret-key")
    publishable_key = plan.named("pulumi-python:dynamic/supabase:ApiKey", "publishable-key")
    assert found["SUPABASE_SERVICE_KEY"] == secret_key.outputs["api_key"]
    assert str(found["SUPABASE_SERVICE_KEY"]).startswith("sb_secret_")
    assert found["NEXT_PUBLIC_SUPABASE_ANON_KEY"] == publishable_key.outputs["api_key"]
    assert str(found["NEXT_PUBLIC_SUPABASE_ANON_KEY"]).startswith("sb_publishable_")
    assert secret_key.props["type"] == "secret" and publishable_key.props["type"] == "publishable"


def test_prod_keeps_its_own_values_out_of_preview_and_development(prod_plan: Plan) -> None:
    """Prod's own variables serve production only; its previews' are tests/components/test_hosting_previews.py."""
    for key, registration in variables(prod_plan).items():
        assert registration.props["targets"] == ["production"], key


def test_dev_variables_reach_every_dev_environment(dev_plan: Plan) -> None:
    targets: dict[str, set[str]] = {}
    for registration in dev_plan.of_type(ENV_VAR):
        targets.setdefault(registration.props["key"], set()).update(registration.props["targets"])
    for key, found in targets.items():
        assert found == {"production", "preview", "development"}, key


def test_project_is_nextjs_from_the_configured_repository_with_team_oidc(plan: Plan) -> None:
    project = plan.named("vercel:index/project:Project", "project").props
    assert project["framework"] == "nextjs"
    assert project["gitRepository"]["repo"] == "newcool/newcool-api"
    assert project["gitRepository"]["productionBranch"] == {"dev": "develop", "prod": "main"}[plan.stack]
    assert project["oidcTokenConfig"] == {"issuerMode": "team"}
    assert project["name"] == {"dev": "newcool-api-dev", "prod": "newcool-api"}[plan.stack]
    assert project["vercelAuthentication"]["deploymentType"] != "none"


def test_prod_serves_the_api_domain(prod_plan: Plan, dev_plan: Plan) -> None:
    domains = prod_plan.of_type("vercel:index/projectDomain:ProjectDomain")
    assert [d.props["domain"] for d in domains] == ["api.newcool.io"]
    assert [d.props["domain"] for d in dev_plan.of_type("vercel:index/projectDomain:ProjectDomain")] == [
        "api.dev.newcool.io"
    ]
    assert prod_plan.outputs["apiDomain"] == "api.newcool.io"


def app_policy(plan: Plan) -> dict[str, Any]:
    return plan.named("aws:iam/policy:Policy", "app-s3-access").json_input("policy")


def test_app_policy_allows_only_what_the_app_does_on_its_buckets(plan: Plan) -> None:
    arns = {role: bucket(plan, role).outputs["arn"] for role in DATA_BUCKET_ROLES}
    granted: set[tuple[str, str]] = set()
    for statement in statements(app_policy(plan)):
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            assert "*" not in action, action
            for resource in as_list(statement["Resource"]):
                granted.add((action, resource))
    # Signed reads from what CloudFront serves; reads and writes under the prefix of the others.
    assert granted == {("s3:GetObject", f"{arns[role]}/*") for role in CDN_ROLES} | {
        (action, f"{arns[role]}/avatars/*") for role in UPLOAD_ROLES for action in ("s3:GetObject", "s3:PutObject")
    }
    for _, resource in granted:
        assert resource != "*" and not resource.startswith("arn:aws:s3:::*")


def test_upload_prefixes_come_from_config() -> None:
    plan = run_program("dev", {"appUploadPrefixes": ["avatars/", "covers/"]})
    resources = {r for s in statements(app_policy(plan)) for r in as_list(s["Resource"])}
    uploads = bucket(plan, "uploads").outputs["arn"]
    assert {f"{uploads}/avatars/*", f"{uploads}/covers/*"} <= resources


def trust(plan: Plan) -> dict[str, Any]:
    (statement,) = statements(plan.named("aws:iam/role:Role", "app-role").json_input("assumeRolePolicy"))
    return statement


def test_oidc_trust_is_limited_to_this_team_project_and_environment(prod_plan: Plan, dev_plan: Plan) -> None:
    provider = prod_plan.named("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "vercel-oidc")
    assert provider.props["url"] == "https://oidc.vercel.com/newcool"
    assert provider.props["clientIdLists"] == ["https://vercel.com/newcool"]
    statement = trust(prod_plan)
    assert statement["Principal"] == {"Federated": provider.outputs["arn"]}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            "oidc.vercel.com/newcool:aud": "https://vercel.com/newcool",
            "oidc.vercel.com/newcool:sub": ["owner:newcool:project:newcool-api:environment:production"],
        }
    }
    dev_subjects = trust(dev_plan)["Condition"]["StringEquals"]["oidc.vercel.com/newcool:sub"]
    assert dev_subjects == [
        *(f"owner:newcool:project:newcool-api-dev:environment:{env}" for env in ALL_TARGETS),
        # Prod's preview deployments, which use dev's whole backend (servesPreviewsOf).
        "owner:newcool:project:newcool-api:environment:preview",
    ]


def test_oidc_mode_has_no_long_lived_key_and_hands_vercel_the_role(prod_plan: Plan) -> None:
    assert prod_plan.of_type("aws:iam/accessKey:AccessKey") == []
    assert prod_plan.of_type("aws:iam/user:User") == []
    found = variables(prod_plan)
    assert "AWS_ACCESS_KEY_ID" not in found and "AWS_SECRET_ACCESS_KEY" not in found
    role = prod_plan.named("aws:iam/role:Role", "app-role")
    assert found["AWS_ROLE_ARN"].props["value"] == role.outputs["arn"]
    attachment = prod_plan.named("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "app-role-s3-access")
    assert attachment.props["role"] == role.props["name"]
    assert attachment.props["policyArn"] == prod_plan.named("aws:iam/policy:Policy", "app-s3-access").outputs["arn"]
    assert prod_plan.outputs["appRoleArn"] == role.outputs["arn"]


def test_an_existing_oidc_provider_is_reused_instead_of_created() -> None:
    arn = "arn:aws:iam::123456789012:oidc-provider/oidc.vercel.com/newcool"
    plan = run_program("dev", {"awsOidcProviderArn": arn})
    assert plan.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    assert trust(plan)["Principal"] == {"Federated": arn}


def test_access_key_mode_sends_the_key_as_sensitive_secrets(access_key_plan: Plan) -> None:
    assert sorted(r.name for r in access_key_plan.of_type("aws:iam/role:Role")) == [
        "backups-writer-role",
        "db-metrics-role",
        "log-drain-receiver-role",
    ], "no app role: the app signs in with the access key"
    found = variables(access_key_plan)
    key = access_key_plan.named("aws:iam/accessKey:AccessKey", "app-user-key")
    user = access_key_plan.named("aws:iam/user:User", "app-user")
    assert key.props["user"] == user.props["name"]
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert found[name].props["sensitive"] is True
        assert isinstance(found[name].inputs["value"], Secret)
        assert found[name].props["targets"] == ["production"]
    assert found["AWS_ACCESS_KEY_ID"].props["value"] == key.id
    assert found["AWS_SECRET_ACCESS_KEY"].props["value"] == key.outputs["secret"]
    assert "AWS_ROLE_ARN" not in found
    attachment = access_key_plan.named("aws:iam/userPolicyAttachment:UserPolicyAttachment", "app-user-s3-access")
    assert attachment.props["user"] == user.props["name"]


@pytest.mark.parametrize(
    ("stack", "overrides", "message"),
    [
        ("prod", {"vercel": None}, "Pulumi.prod.yaml: newcool-infra:vercel is required but not set"),
        (
            "prod",
            {
                "vercel": {
                    "team": "newcool",
                    "teamId": "team_N3wC00lT3amId",
                    "project": "newcool-api",
                    "gitRepository": "newcool/newcool-api",
                    "productionBranch": "main",
                    "domain": "www.newcool.io",
                }
            },
            "Pulumi.prod.yaml: newcool-infra:vercel.domain must be 'api.newcool.io' in prod",
        ),
        (
            "dev",
            {
                "vercel": {
                    "team": "newcool",
                    "teamId": "bad",
                    "project": "p",
                    "gitRepository": "a/b",
                    "productionBranch": "main",
                    "domain": "api.dev.newcool.io",
                }
            },
            "Pulumi.dev.yaml: newcool-infra:vercel.teamId must be a Vercel team id",
        ),
        ("dev", {"awsAccess": "iam-user"}, "Pulumi.dev.yaml: newcool-infra:awsAccess must be one of oidc, access-key"),
        (
            "dev",
            {"appUploadPrefixes": ["*"]},
            "Pulumi.dev.yaml: newcool-infra:appUploadPrefixes entries must look like",
        ),
        (
            "dev",
            {"supabaseUrl": "http://localhost:54321"},
            "Pulumi.dev.yaml: newcool-infra:supabaseUrl must be https://<ref>.supabase.co with a ref of 20 lowercase",
        ),
        (
            "prod",
            {"supabaseServiceKey": Secret("eyJhand-set")},
            "Pulumi.prod.yaml: newcool-infra:supabaseServiceKey is no longer read: the secret key is now created",
        ),
        (
            "dev",
            {"awsOidcProviderArn": "arn:aws:iam::1:role/x"},
            "Pulumi.dev.yaml: newcool-infra:awsOidcProviderArn must be",
        ),
    ],
)
def test_bad_hosting_config_is_refused(stack: str, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        run_program(stack, overrides)


def test_node_env_is_development_only_where_vercel_env_pull_brings_it_to_a_laptop(plan: Plan) -> None:
    values = {
        target: r.props["value"]
        for r in plan.of_type(ENV_VAR)
        if r.props["key"] == "NODE_ENV"
        for target in r.props["targets"]
    }
    # Prod's previews get NODE_ENV with the rest of their set, from the second up (test_hosting_previews.py).
    expected = {"production": "production"}
    if plan.stack == "dev":
        expected.update(preview="production", development="development")
    assert values == expected


def test_variables_are_replaced_delete_first_since_vercel_refuses_a_duplicate_key(plan: Plan) -> None:
    # Without it a replacement (a sensitive flag flipped) would create the new variable first
    # and fail with ENV_ALREADY_EXISTS.
    variables = plan.of_type(ENV_VAR)
    assert {r.props["key"] for r in variables} >= SEED_VARIABLES
    assert all(r.delete_before_replace for r in variables)


def test_prod_adopts_the_live_project_domain_and_variables_and_protects_them(prod_plan: Plan) -> None:
    project = prod_plan.named("vercel:index/project:Project", "project")
    domain = prod_plan.named("vercel:index/projectDomain:ProjectDomain", "domain")
    assert project.import_id == "team_N3wC00lT3amId/prj_N3wC00lPr0dPr0j3ct000000000"
    assert domain.import_id == f"{project.import_id}/api.newcool.io"
    assert project.protect and domain.protect
    adopted = {r.props["key"]: r.import_id for r in prod_plan.of_type(ENV_VAR) if r.import_id}
    # Every live seed variable the code declares is adopted: none would collide (ENV_ALREADY_EXISTS).
    assert set(adopted) == SEED_VARIABLES & set(variables(prod_plan))
    assert all(import_id.startswith(f"{project.import_id}/") for import_id in adopted.values())


def test_dev_creates_its_project_unless_told_to_adopt(dev_plan: Plan) -> None:
    assert not any(r.import_id for r in dev_plan if r.type.startswith("vercel:"))


def test_adopting_a_variable_the_code_does_not_declare_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"adopt\.vercelVariables\.AWS_ACCESS_KEY_ID is not a variable this stack"):
        run_program(
            "prod",
            {
                "adopt": {
                    "vercelProject": "team_N3wC00lT3amId/prj_abc",
                    "vercelVariables": {"AWS_ACCESS_KEY_ID": "team_N3wC00lT3amId/prj_abc/envAwsKey1"},
                },
                "placeholders": [],
            },
        )


REDEPLOY = "pulumi-python:dynamic/vercel:ProductionRedeploy"


def test_production_is_redeployed_after_its_variables_are_written(plan: Plan) -> None:
    redeploy = plan.named(REDEPLOY, "production-redeploy")
    production = {r.urn for r in plan.of_type(ENV_VAR) if "production" in r.props["targets"]}
    previews_only = {r.urn for r in plan.of_type(ENV_VAR)} - production
    # depends_on is the only order: it runs once every production variable is written.
    assert production and production <= set(redeploy.dependencies)
    assert not previews_only & set(redeploy.dependencies)
    # The digest is over secret values: it stays a secret in the state.
    assert isinstance(redeploy.inputs["variables_version"], Secret)
    # It redeploys the stack's own project, the one it was computed from.
    assert redeploy.property_dependencies["project_id"] == [plan.named("vercel:index/project:Project", "project").urn]


def test_the_variables_version_changes_exactly_when_a_production_variable_does() -> None:
    base = [("SUPABASE_SERVICE_KEY", ["production"], "sb_secret_old"), ("AWS_REGION", ["production"], "us-east-2")]
    assert variables_version(base) == variables_version(list(reversed(base)))
    rotated = [("SUPABASE_SERVICE_KEY", ["production"], "sb_secret_new"), base[1]]
    assert variables_version(rotated) != variables_version(base)
    retargeted = [("SUPABASE_SERVICE_KEY", ["production", "preview"], "sb_secret_old"), base[1]]
    assert variables_version(retargeted) != variables_version(base)
