"""`make adopt-plan`: the read-only preflight against a live account, here moto's S3 and IAM and
stand-ins of Vercel and Upstash held to the vendors' own API descriptions."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import psycopg
import pytest
import yaml
from moto import mock_aws
from pytest_httpserver import HTTPServer

import live_state
from live_state import load
from operations.adoption import adopt_plan
from operations.adoption.findings import StackFacts
from operations.verify import PUBLIC_ACCESS_FLAGS
from preview.adoption import check_imports, predict
from tests.program_runs import run_program
from tests.standins.openapi import answer_schema, minimal, supabase_management_spec, upstash_spec, vercel_spec
from tests.standins.supabase_management import SupabaseProjectStandIn
from tests.standins.vendors import UpstashAccountStandIn, VercelTeamStandIn

VERCEL_TOKEN = "vercel-token-not-to-print"
UPSTASH_KEY = "upstash-key-not-to-print"
SUPABASE_TOKEN = "sbp_token_not_to_print_0123456789"
TEAM_ID = "team_N3wC00lT3amId"
LIVE_PROJECT_ID = "prj_L1v3Pr0j3ct00000000000000000"
CACHE_ID = str(uuid.UUID("7d3c7e0a-1b2c-4d5e-8f90-123456789abc"))


@pytest.fixture(scope="module")
def facts() -> StackFacts:
    return adopt_plan.stack_facts("prod")


def open_bucket(s3: Any, name: str, ownership: str) -> None:
    """A bucket as the seed left it: in us-east-2, ACLs honoured, no public access blocked."""
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]})
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict.fromkeys(PUBLIC_ACCESS_FLAGS, False))


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any]]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-2")
        iam = boto3.client("iam", region_name="us-east-1")
        # cdn: the app's direct URLs work through a public-read policy and object ACLs.
        open_bucket(s3, "newcool-streaming-platform-cdn", "ObjectWriter")
        public_read = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::newcool-streaming-platform-cdn/*",
                }
            ],
        }
        s3.put_bucket_policy(Bucket="newcool-streaming-platform-cdn", Policy=json.dumps(public_read))
        s3.put_object(Bucket="newcool-streaming-platform-cdn", Key="music/track.mp3", Body=b"id3", ACL="public-read")
        # assets: its bucket ACL grants everyone read, which BucketOwnerEnforced refuses.
        open_bucket(s3, "newcool-assets", "BucketOwnerPreferred")
        s3.put_bucket_acl(Bucket="newcool-assets", ACL="public-read")
        s3.create_bucket(Bucket="newcool-uploads", CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
        iam.create_open_id_connect_provider(
            Url="https://oidc.vercel.com/newcool",
            ClientIDList=["https://vercel.com/newcool"],
            ThumbprintList=["0" * 40],
        )
        yield s3, iam


def deployment_made_on(plan: str) -> dict[str, Any]:
    """One of the project's latest deployments as getProject lists it, made on ``plan``."""
    spec = vercel_spec()
    project = spec._resolve(answer_schema(spec, "GET", "/v9/projects/newcool-api"))
    return {**minimal(spec, project["properties"]["latestDeployments"]["items"]), "plan": plan}


def live_vercel(httpserver: HTTPServer, plan: str = "pro") -> tuple[VercelTeamStandIn, str]:
    team = VercelTeamStandIn(vercel_spec(), token=VERCEL_TOKEN, team_id=TEAM_ID)
    everywhere = ["production", "preview", "development"]
    team.projects["newcool-api"] = {
        "id": LIVE_PROJECT_ID,
        # As the dashboard made it: Next.js, from GitHub, system variables exposed.
        "fields": {
            "framework": "nextjs",
            "autoExposeSystemEnvs": True,
            "ssoProtection": {"deploymentType": "all_except_custom_domains"},
            "latestDeployments": [deployment_made_on(plan)],
        },
        "domains": ["api.newcool.io", "newcool-api.vercel.app"],
        "envs": [
            {"id": "envSupaUrl1", "key": "NEXT_PUBLIC_SUPABASE_URL", "target": everywhere, "type": "plain"},
            {"id": "envSupaSvc1", "key": "SUPABASE_SERVICE_KEY", "target": ["production"], "type": "encrypted"},
            {"id": "envSupaSvc2", "key": "SUPABASE_SERVICE_KEY", "target": ["preview"], "type": "encrypted"},
            {"id": "envCdn1", "key": "S3_BUCKET_CDN", "target": ["production"], "type": "plain"},
            {"id": "envCdn2", "key": "S3_BUCKET_CDN", "target": ["preview"], "type": "plain"},
            {"id": "envAwsKey1", "key": "AWS_ACCESS_KEY_ID", "target": ["production"], "type": "encrypted"},
            {"id": "envNode1", "key": "NODE_ENV", "target": everywhere, "type": "plain"},
        ],
    }  # fmt: skip
    return team, team.install(httpserver)


def live_upstash(httpserver: HTTPServer, region: str = "global") -> tuple[UpstashAccountStandIn, str]:
    account = UpstashAccountStandIn(upstash_spec(), email="ops@newcool.io", api_key=UPSTASH_KEY)
    account.databases.append(
        {
            "database_id": CACHE_ID,
            "database_name": "newcool",
            "region": region,
            "primary_region": "us-east-1",
            "tls": True,
            "eviction": False,
            "state": "active",
        }
    )
    return account, account.install(httpserver)


def environment(vercel_url: str, upstash_url: str, **extra: str) -> dict[str, str]:
    return {
        "VERCEL_API_TOKEN": VERCEL_TOKEN,
        "VERCEL_API_URL": vercel_url,
        "UPSTASH_EMAIL": "ops@newcool.io",
        "UPSTASH_API_KEY": UPSTASH_KEY,
        "UPSTASH_API_URL": upstash_url,
        **extra,
    }


@pytest.fixture(autouse=True)
def recorded_here(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Where the preflight records the live state: the test's folder, never the repository's."""
    monkeypatch.setattr(live_state, "path_for", lambda stack: tmp_path / f"{stack}.json")
    return tmp_path


def preflight(
    capsys: pytest.CaptureFixture[str], aws: tuple[Any, Any], facts: StackFacts, env: dict[str, str]
) -> tuple[int, str]:
    s3, iam = aws
    code = adopt_plan.main(["--stack", "prod"], environ=env, s3=s3, iam=iam, facts=facts)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def pasted_block(out: str) -> dict[str, Any]:
    block = out.split("take the adopt.* entries off placeholders):", 1)[1].split("\nand:", 1)[0]
    return dict(yaml.safe_load(block)["newcool-infra:adopt"])


def test_the_live_prod_is_listed_with_import_ids_and_what_the_first_up_breaks(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], aws: tuple[Any, Any], facts: StackFacts
) -> None:
    vercel, vercel_url = live_vercel(httpserver)
    upstash, upstash_url = live_upstash(httpserver)
    code, out = preflight(capsys, aws, facts, environment(vercel_url, upstash_url))
    assert code == 1, out
    # Buckets: what BucketOwnerEnforced and the new policies do to them.
    assert "S3 bucket newcool-assets (assets): exists, import id newcool-assets" in out
    assert "BLOCKER: its ACL grants http://acs.amazonaws.com/groups/global/AllUsers" in out
    assert "aws s3api put-bucket-acl --bucket newcool-assets --acl private" in out
    assert "object ownership ObjectWriter -> BucketOwnerEnforced" in out
    assert "1 of the sampled objects are public by object ACL" in out
    assert "its bucket policy (1 statement(s)) is replaced by the declared one" in out
    assert "public reads stay, through the cut-over's dated policy statement" in out
    assert "S3 bucket newcool-access-logs (logs): absent" in out
    # The Vercel OIDC provider exists once per account: reuse it.
    assert "awsOidcProviderArn: arn:aws:iam::123456789012:oidc-provider/oidc.vercel.com/newcool" in out
    # Vercel: adopted, unknown to the code, and the one collision.
    assert f"Vercel project newcool-api: exists, import id {TEAM_ID}/{LIVE_PROJECT_ID}" in out
    assert "Vercel domain newcool-api.vercel.app: exists" in out and "stays attached, unmanaged" in out
    assert "Vercel variable AWS_ACCESS_KEY_ID: exists" in out and "not in the code" in out
    assert "Vercel variable S3_BUCKET_CDN (preview): exists" in out and "ENV_ALREADY_EXISTS" in out
    # Prod's previews get dev's whole set (previewStack), this key too: the live preview entry
    # (prod's server key in every preview build) must go before the stack writes dev's.
    assert "Vercel variable SUPABASE_SERVICE_KEY (preview): exists" in out and "(envSupaSvc2) first" in out
    # Upstash: the app's database becomes the cache; the rate-limit one is new.
    assert f"Upstash database newcool (becomes the cache): exists, import id {CACHE_ID}" in out
    assert "eviction off -> on" in out
    assert "3 blocker(s) before the first `pulumi up -s prod`." in out
    assert VERCEL_TOKEN not in out and UPSTASH_KEY not in out
    assert vercel.broken_answers == [] and upstash.broken_answers == []
    assert all(line.startswith("GET ") for line in vercel.log + upstash.log), "it only reads"


def test_the_printed_adopt_block_is_what_the_stack_accepts(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], aws: tuple[Any, Any], facts: StackFacts
) -> None:
    _, vercel_url = live_vercel(httpserver)
    _, upstash_url = live_upstash(httpserver)
    _, out = preflight(capsys, aws, facts, environment(vercel_url, upstash_url))
    adopt = pasted_block(out)
    assert adopt["buckets"] == {
        "cdn": "newcool-streaming-platform-cdn",
        "assets": "newcool-assets",
        "uploads": "newcool-uploads",
    }
    project = f"{TEAM_ID}/{LIVE_PROJECT_ID}"
    assert adopt["vercelProject"] == project
    assert adopt["vercelDomains"] == {"api.newcool.io": f"{project}/api.newcool.io"}
    assert adopt["vercelVariables"] == {
        "NEXT_PUBLIC_SUPABASE_URL": f"{project}/envSupaUrl1",
        "NODE_ENV": f"{project}/envNode1",
        "S3_BUCKET_CDN": f"{project}/envCdn1",
        "SUPABASE_SERVICE_KEY": f"{project}/envSupaSvc1",
    }
    assert adopt["redisCache"] == {"id": CACHE_ID}
    # Pasted into the stack file, the program imports exactly those.
    plan = run_program("prod", {"adopt": adopt, "placeholders": ["vercel.teamId", "dnsZoneId", "supabaseUrl"]})
    imported = {r.import_id for r in plan if r.import_id}
    assert f"{project}/envSupaUrl1" in imported and CACHE_ID in imported and project in imported


def test_the_recorded_live_state_lets_the_preview_accept_the_first_up(
    httpserver: HTTPServer,
    capsys: pytest.CaptureFixture[str],
    aws: tuple[Any, Any],
    facts: StackFacts,
    recorded_here: Any,
) -> None:
    _, vercel_url = live_vercel(httpserver)
    _, upstash_url = live_upstash(httpserver)
    _, out = preflight(capsys, aws, facts, environment(vercel_url, upstash_url))
    assert "Recorded what 10 adopted resource(s) read live in prod.json" in out
    live = load(recorded_here / "prod.json")
    assert live.find("aws:s3/bucket:Bucket", "newcool-assets").inputs["tags"] == {}  # type: ignore[union-attr]
    variable = live.find(
        "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable", f"{TEAM_ID}/{LIVE_PROJECT_ID}/envSupaSvc1"
    )
    assert variable is not None and variable.inputs["value"] == {"secret": True}, "values are never recorded"
    assert VERCEL_TOKEN not in (recorded_here / "prod.json").read_text()
    # The stack, with the printed block pasted, imports what was recorded with no difference.
    plan = run_program(
        "prod", {"adopt": pasted_block(out), "placeholders": ["vercel.teamId", "dnsZoneId", "supabaseUrl"]}
    )
    failing = [(c.registration.name, [d.property for d in c.differences]) for c in check_imports(plan, live) if c.fails]
    assert failing == []
    assert all(c.recorded for c in check_imports(plan, live))


def test_a_media_bucket_whose_public_access_block_refuses_public_policies_blocks_the_cutover(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], aws: tuple[Any, Any], facts: StackFacts
) -> None:
    s3, _ = aws
    flags = {**dict.fromkeys(PUBLIC_ACCESS_FLAGS, False), "BlockPublicPolicy": True}
    s3.put_public_access_block(Bucket="newcool-streaming-platform-cdn", PublicAccessBlockConfiguration=flags)
    _, vercel_url = live_vercel(httpserver)
    _, upstash_url = live_upstash(httpserver)
    code, out = preflight(capsys, aws, facts, environment(vercel_url, upstash_url))
    assert code == 1
    cdn = out.split("- S3 bucket newcool-streaming-platform-cdn", 1)[1].split("\n- ", 1)[0]
    assert "BLOCKER: its public access block refuses public bucket policies (BlockPublicPolicy)" in cdn


@pytest.mark.parametrize(
    ("plan", "blocker"),
    [("pro", None), ("free", "the organization is on 'free'; set newcool-infra:supabasePlan: free")],
)
def test_the_supabase_plan_is_read_and_held_to_the_stack(
    httpserver: HTTPServer,
    capsys: pytest.CaptureFixture[str],
    aws: tuple[Any, Any],
    facts: StackFacts,
    plan: str,
    blocker: str | None,
) -> None:
    _, vercel_url = live_vercel(httpserver)
    _, upstash_url = live_upstash(httpserver)
    supabase = SupabaseProjectStandIn(supabase_management_spec(), facts.supabase_ref, SUPABASE_TOKEN, plan=plan)
    env = environment(
        vercel_url, upstash_url, SUPABASE_ACCESS_TOKEN=SUPABASE_TOKEN, SUPABASE_API_URL=supabase.install(httpserver)
    )
    _, out = preflight(capsys, aws, facts, env)
    line = next(line for line in out.splitlines() if line.startswith(f"- Supabase project {facts.supabase_ref}"))
    assert f"(plan {plan})" in line
    assert (blocker in out) if blocker else ("supabasePlan" not in out.split(line, 1)[1].split("\n- ", 1)[0])
    assert SUPABASE_TOKEN not in out
    assert supabase.broken_answers == []


def test_the_vercel_alert_rule_asks_for_observability_plus_to_be_confirmed(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], aws: tuple[Any, Any], facts: StackFacts
) -> None:
    _, vercel_url = live_vercel(httpserver)
    _, upstash_url = live_upstash(httpserver)
    _, out = preflight(capsys, aws, facts, environment(vercel_url, upstash_url))
    assert "- Vercel Observability Plus: absent" in out
    assert "Vercel's API does not show it: confirm it under the team's billing" in out


def test_the_vercel_plan_must_allow_the_log_drain(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], aws: tuple[Any, Any], facts: StackFacts
) -> None:
    _, vercel_url = live_vercel(httpserver, plan="hobby")
    _, upstash_url = live_upstash(httpserver)
    _, out = preflight(capsys, aws, facts, environment(vercel_url, upstash_url))
    assert "log drains and Observability Plus need Pro or Enterprise" in out


def test_a_pro_team_allows_the_log_drain(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], aws: tuple[Any, Any], facts: StackFacts
) -> None:
    _, vercel_url = live_vercel(httpserver)
    _, upstash_url = live_upstash(httpserver)
    _, out = preflight(capsys, aws, facts, environment(vercel_url, upstash_url))
    assert "Vercel plan (pro): exists" in out and "need Pro or Enterprise" not in out


def test_a_regional_database_cannot_become_the_global_cache(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], aws: tuple[Any, Any], facts: StackFacts
) -> None:
    _, vercel_url = live_vercel(httpserver)
    _, upstash_url = live_upstash(httpserver, region="us-east-1")
    code, out = preflight(capsys, aws, facts, environment(vercel_url, upstash_url))
    assert code == 1
    assert "it is regional (us-east-1): Upstash replaces a database whose region changes" in out
    assert "redisCache" not in pasted_block(out)


def test_without_credentials_it_checks_nothing_and_says_which(
    capsys: pytest.CaptureFixture[str], aws: tuple[Any, Any], facts: StackFacts
) -> None:
    code, out = preflight(capsys, aws, facts, {"VERCEL_API_TOKEN": VERCEL_TOKEN})
    assert code == 2
    assert (
        out.strip() == "error: nothing was checked: missing credentials for Upstash (UPSTASH_EMAIL and UPSTASH_API_KEY)"
    )


def test_a_refused_token_is_one_line_without_the_token(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], aws: tuple[Any, Any], facts: StackFacts
) -> None:
    _, vercel_url = live_vercel(httpserver)
    _, upstash_url = live_upstash(httpserver)
    env = environment(vercel_url, upstash_url)
    env["VERCEL_API_TOKEN"] = "wrong-token-secret"
    code, out = preflight(capsys, aws, facts, env)
    assert code == 2
    assert out.startswith("error: Vercel refused GET /v9/projects/newcool-api: 403")
    assert "wrong-token-secret" not in out and out.count("\n") == 1


@pytest.mark.sql
def test_the_migration_history_is_read_without_creating_anything(
    httpserver: HTTPServer,
    capsys: pytest.CaptureFixture[str],
    aws: tuple[Any, Any],
    facts: StackFacts,
    unmigrated_db: str,
) -> None:
    _, vercel_url = live_vercel(httpserver)
    _, upstash_url = live_upstash(httpserver)
    _, out = preflight(capsys, aws, facts, environment(vercel_url, upstash_url, DATABASE_URL=unmigrated_db))
    assert "Supabase migration history: exists" in out and "pending" in out
    assert "nothing recorded: if the files were applied by hand, run make migrate-baseline first" in out
    with psycopg.connect(unmigrated_db) as connection:
        row = connection.execute("select to_regnamespace('supabase_migrations') is null").fetchone()
    assert row == (True,), "a preflight creates nothing"


def test_the_live_supabase_settings_are_recorded_and_the_preview_shows_the_second_ups_changes(
    httpserver: HTTPServer,
    capsys: pytest.CaptureFixture[str],
    aws: tuple[Any, Any],
    facts: StackFacts,
    recorded_here: Any,
) -> None:
    _, vercel_url = live_vercel(httpserver)
    _, upstash_url = live_upstash(httpserver)
    supabase = SupabaseProjectStandIn(supabase_management_spec(), facts.supabase_ref, SUPABASE_TOKEN)
    env = environment(
        vercel_url, upstash_url, SUPABASE_ACCESS_TOKEN=SUPABASE_TOKEN, SUPABASE_API_URL=supabase.install(httpserver)
    )
    _, out = preflight(capsys, aws, facts, env)
    assert {r.method for r in supabase.log} == {"GET"}, "the preflight only reads"
    live = load(recorded_here / "prod.json")
    ref = facts.supabase_ref
    auth = live.find("pulumi-python:dynamic/supabase:AuthConfig", f"{ref}/auth")
    ssl = live.find("pulumi-python:dynamic/supabase:SslEnforcement", f"{ref}/ssl")
    network = live.find("pulumi-python:dynamic/supabase:NetworkRestrictions", f"{ref}/network")
    data_api = live.find("pulumi-python:dynamic/supabase:DataApiConfig", f"{ref}/postgrest")
    assert auth is not None and auth.inputs["settings"]["site_url"] == "http://localhost:3000"
    assert ssl is not None and ssl.inputs["settings"] == {"requestedConfig": {"database": False}}
    assert network is not None and network.inputs["settings"]["dbAllowedCidrs"] == ["0.0.0.0/0"]
    assert data_api is not None and data_api.inputs["settings"]["max_rows"] == 1000
    assert SUPABASE_TOKEN not in (recorded_here / "prod.json").read_text()
    # The pasted block adopts the settings; the preview says what the second up writes.
    adopt = pasted_block(out)
    assert adopt["supabaseSettings"] == ref
    first = run_program("prod", {"adopt": adopt, "placeholders": ["vercel.teamId", "dnsZoneId", "supabaseUrl"]})
    changes = {c.registration.name: {d.property for d in c.differences} for c in predict(first, live).second_up}
    assert "settings.requestedConfig" in changes["ssl"], "the SSL restart is shown before it happens"
    assert {"settings.site_url", "settings.password_min_length"} <= changes["auth"]
    assert "settings.dbAllowedCidrs" in changes["network"]
