"""A pull request's review environment (the stack pr-<N>): its own database branch, cache and
preview wiring, all named pr-<N>, none of it shared, adopted, protected or retained.

Order comes from the data: the branch's create returns only once it is usable, and everything
else takes an output of it (its ref, URL or database URL), so keys, auth redirects, migrations,
seed and variables all wait for it; the rebuild waits for every variable.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumiverse_vercel as vercel

from components.supabase_schema import SupabaseSchema, SupabaseSchemaArgs
from db_migrations.seed import seed_text
from providers.database_seed import DatabaseSeed
from providers.supabase_branch import SupabaseBranch
from providers.supabase_keys import ApiKey
from providers.supabase_settings import AuthConfig
from providers.upstash_database import UpstashDatabase
from providers.vercel_branch import BranchRebuild, BranchVariable
from providers.vercel_redeploy import variables_version
from stack_config.review import ReviewConfig
from stack_config.sections.supabase import CHECKLIST_AUTH


@dataclass(frozen=True)
class BranchVariableDeclaration:
    key: str
    value_from: str
    sensitive: bool


# What a review preview gets on top of dev's generic preview values (bucket names, AWS role):
# its own database, keys and cache, and where in dev's buckets its media go.
REVIEW_VARIABLES = (
    BranchVariableDeclaration("NEXT_PUBLIC_SUPABASE_URL", "supabase_url", False),
    BranchVariableDeclaration("NEXT_PUBLIC_SUPABASE_ANON_KEY", "publishable_key", False),
    BranchVariableDeclaration("SUPABASE_SERVICE_KEY", "secret_key", True),
    BranchVariableDeclaration("UPSTASH_REDIS_REST_URL", "cache_rest_url", True),
    BranchVariableDeclaration("UPSTASH_REDIS_REST_TOKEN", "cache_rest_token", True),
    # One database for both: a review needs no separate rate-limit store.
    BranchVariableDeclaration("UPSTASH_RATELIMIT_REST_URL", "cache_rest_url", True),
    BranchVariableDeclaration("UPSTASH_RATELIMIT_REST_TOKEN", "cache_rest_token", True),
    BranchVariableDeclaration("S3_KEY_PREFIX", "media_prefix", False),
)


def _secret_if(sensitive: bool, value: pulumi.Input[str]) -> pulumi.Input[str]:
    return pulumi.Output.secret(value) if sensitive else value


@dataclass(frozen=True)
class ReviewEnvironmentArgs:
    config: ReviewConfig


class ReviewEnvironment(pulumi.ComponentResource):
    branch: SupabaseBranch
    cache: UpstashDatabase
    variables: list[BranchVariable]
    rebuild: BranchRebuild

    def __init__(self, name: str, args: ReviewEnvironmentArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("newcool:review:ReviewEnvironment", name, None, opts)
        config = args.config
        child = pulumi.ResourceOptions(parent=self)
        self.branch = SupabaseBranch(
            "branch", parent_ref=config.parent_ref, branch_name=config.name, git_branch=config.git_branch, opts=child
        )
        ref = self.branch.branch_ref
        publishable = ApiKey(
            "publishable-key", ref, "publishable", "newcool_review_app", f"{config.name}: the preview app",
            revoke_on_delete=False, opts=child,
        )  # fmt: skip
        secret = ApiKey(
            "secret-key", ref, "secret", "newcool_review_server", f"{config.name}: the preview's server code",
            revoke_on_delete=False, opts=child,
        )  # fmt: skip
        # The checklist's auth (dev's plan branches, so it has breach checks: stack_config/review.py),
        # redirects to the preview only.
        redirects = {"site_url": config.preview_url, "uri_allow_list": f"{config.preview_url}/**"}
        AuthConfig("auth", ref, {**CHECKLIST_AUTH, "password_hibp_enabled": True, **redirects}, opts=child)
        schema = SupabaseSchema("schema", SupabaseSchemaArgs(database_url=self.branch.database_url), opts=child)
        DatabaseSeed(
            "seed",
            self.branch.database_url,
            seed_text(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[schema.migrations]),
        )
        self.cache = UpstashDatabase(
            "cache", config.cache_name, config.cache_region, budget=config.cache_budget, eviction=True, opts=child
        )
        project = vercel.get_project_output(name=config.vercel.project_name, team_id=config.vercel.team_id)
        values: dict[str, pulumi.Input[str]] = {
            "supabase_url": self.branch.url,
            "publishable_key": publishable.api_key,
            "secret_key": secret.api_key,
            "cache_rest_url": self.cache.rest_url,
            "cache_rest_token": self.cache.rest_token,
            "media_prefix": config.media_prefix,
        }
        self.variables = [
            BranchVariable(
                declared.key.lower().replace("_", "-"),
                project_id=project.id,
                team_id=config.vercel.team_id,
                key=declared.key,
                value=_secret_if(declared.sensitive, values[declared.value_from]),
                git_branch=config.git_branch,
                sensitive=declared.sensitive,
                review=config.name,
                opts=child,
            )
            for declared in REVIEW_VARIABLES
        ]
        digest = pulumi.Output.all(*[values[d.value_from] for d in REVIEW_VARIABLES]).apply(
            lambda resolved: variables_version(
                [(d.key, ["preview"], str(v or "")) for d, v in zip(REVIEW_VARIABLES, resolved, strict=True)]
            )
        )
        self.rebuild = BranchRebuild(
            "preview-rebuild",
            project_id=project.id,
            project_name=config.vercel.project_name,
            team_id=config.vercel.team_id,
            git_branch=config.git_branch,
            variables_version=pulumi.Output.secret(digest),
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.variables),
        )
        self.register_outputs({"branch": config.name, "previewUrl": config.preview_url})
