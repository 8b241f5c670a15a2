"""A review stack's configuration: the stack ``pr-<N>`` of this program, one per pull request.

Its stack file is ``Pulumi.pr-<N>.yaml`` as the review workflow writes it from the committed
``Pulumi.pr-template.yaml`` (offline, the template itself). It names the parent Supabase project
to branch (``supabaseUrl``: a Pro project), dev's Vercel project and buckets, and the cache's
region and budget. It holds no key of dev's or prod's own resources: everything else a platform
stack reads is refused here, so nothing can be adopted into a review stack by config.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env, is_config_secret

from stack_config.accounts import pinned_accounts
from stack_config.keys import KNOWN_KEYS
from stack_config.model import VercelConfig
from stack_config.namespaces import check_config_namespaces
from stack_config.reader import ConfigError, Reader
from stack_config.sections import hosting, storage
from stack_config.sections.cache import cache
from stack_config.stack_file import offline_config, stack_file_config, stack_file_path
from stack_config.vocabulary import (
    PLANS_WITH_BRANCHING,
    PROD_API_DOMAIN,
    PROJECT,
    REVIEW_STACK,
    BucketRole,
    supabase_project_ref,
)

# What a review stack reads, and what Pulumi.yaml makes every stack set (read, and unused here).
REVIEW_KEYS = frozenset(
    {"supabaseUrl", "supabaseAccessToken", "vercel", "buckets", "redisPrimaryRegion", "redisBudget"}
    | {"maxReviewEnvironments", "reviewEnvironmentTtlHours", "reviewGitBranch", "placeholders"}
)
REQUIRED_BY_PROJECT = frozenset(
    {"appOrigins", "onCallEmail", "githubRepository", "databaseUrl", "vercelLogDrainSecret"}
    | {"supabaseLegacyKeysEnabled", "cdnPriceClass", "noncurrentVersionDays", "logRetentionDays"}
    | {"wafRateLimit", "wafMode", "awsAccess", "appUploadPrefixes", "vercelErrorRateAlert"}
)
# A review cache never costs more than this a month (Upstash's budget cap).
MAX_REVIEW_CACHE_BUDGET = 20
_SUPABASE_URL = re.compile(r"^https://[a-z]{20}\.supabase\.co$")
_GIT_BRANCH = re.compile(r"^[A-Za-z0-9._/-]{1,250}$")
# What review environments are named: the branch and stack pr-<N>, the cache newcool-pr-<N>.
REVIEW_NAME = REVIEW_STACK
REVIEW_CACHE_NAME = re.compile(r"^newcool-pr-([1-9][0-9]{0,6})$")


def review_number(stack: str) -> int | None:
    """The pull request number of a review stack's name, None for any other stack."""
    match = REVIEW_STACK.match(stack)
    return int(match[1]) if match else None


def is_review_stack(stack: str) -> bool:
    return review_number(stack) is not None


def branch_url_slug(git_branch: str) -> str:
    """The git branch as Vercel writes it in a branch URL: lower case, anything else a dash."""
    return re.sub(r"[^a-z0-9]+", "-", git_branch.lower()).strip("-")


@dataclass(frozen=True)
class ReviewConfig:
    stack: str
    number: int
    stack_file: str
    # The Pro project whose branch this is (its reference is the only parent fact the stack holds).
    parent_url: str
    parent_ref: str
    access_token: pulumi.Output[str]
    git_branch: str
    vercel: VercelConfig
    # Dev's buckets: the review environment writes under media_prefix in them.
    buckets: Mapping[BucketRole, str]
    cache_region: str
    cache_budget: int
    max_environments: int
    ttl_hours: int

    @property
    def name(self) -> str:
        """pr-<N>: the branch's name, and the marker of everything the environment owns."""
        return f"pr-{self.number}"

    @property
    def cache_name(self) -> str:
        return f"newcool-pr-{self.number}"

    @property
    def media_prefix(self) -> str:
        return f"pr-{self.number}/"

    @property
    def preview_url(self) -> str:
        """The project's URL for the branch's newest preview (Vercel's branch alias)."""
        vercel = self.vercel
        return f"https://{vercel.project_name}-git-{branch_url_slug(self.git_branch)}-{vercel.team_slug}.vercel.app"


def parse_review_config(stack: str, raw: Mapping[str, str], secret_keys: frozenset[str] = frozenset()) -> ReviewConfig:
    number = review_number(stack)
    if number is None:
        raise ConfigError(f"Pulumi.{stack}.yaml: {stack!r} is not a review stack (pr-<N>)")
    stack_file = stack_file_path(stack).name
    reader = Reader(stack_file, raw, secret_keys)
    for key in sorted(raw):
        if key not in KNOWN_KEYS:
            raise reader.fail(key, "is not a setting of this project")
        if key not in REVIEW_KEYS | REQUIRED_BY_PROJECT:
            raise reader.fail(key, "is not read by review stacks (pr-<N>): remove it from the template")
    url = reader.string("supabaseUrl")
    if not _SUPABASE_URL.match(url):
        raise reader.fail("supabaseUrl", f"must be the parent project's https://<ref>.supabase.co, got {url!r}")
    _check_parent_is_dev(reader, url)
    git_branch = reader.string("reviewGitBranch") if reader.has("reviewGitBranch") else f"pr-{number}"
    if not _GIT_BRANCH.match(git_branch):
        raise reader.fail("reviewGitBranch", f"must be a git branch name of at most 250 characters, got {git_branch!r}")
    cached = cache(reader, {})
    budget = cached.budget if cached.budget is not None else MAX_REVIEW_CACHE_BUDGET
    if budget > MAX_REVIEW_CACHE_BUDGET:
        raise reader.fail("redisBudget", f"must be at most {MAX_REVIEW_CACHE_BUDGET} (USD a month) in a review stack")
    return ReviewConfig(
        stack=stack,
        number=number,
        stack_file=stack_file,
        parent_url=url,
        parent_ref=supabase_project_ref(url),
        access_token=reader.secret(
            "supabaseAccessToken", re.compile(r"^sbp_[A-Za-z0-9_]{20,}$"), "a personal access token (sbp_…)"
        ),
        git_branch=git_branch,
        vercel=hosting.vercel(reader, "dev"),
        buckets=storage.bucket_names(reader, "dev"),
        cache_region=cached.primary_region,
        cache_budget=budget,
        max_environments=reader.integer("maxReviewEnvironments"),
        ttl_hours=reader.integer("reviewEnvironmentTtlHours"),
    )


def _check_parent_is_dev(reader: Reader, url: str) -> None:
    """The branches' parent is dev's project, on a plan that branches: both facts are dev's stack
    file's (docs/runbooks/review-environments.md), so a review stack cannot name another parent
    or a plan of its own."""
    dev, _ = stack_file_config("dev")
    dev_file = stack_file_path("dev").name
    if url != dev.get(f"{PROJECT}:supabaseUrl"):
        raise reader.fail("supabaseUrl", f"must be dev's project, as {dev_file} names it, got {url!r}")
    plan = dev.get(f"{PROJECT}:supabasePlan", "")
    if plan not in PLANS_WITH_BRANCHING:
        raise ConfigError(
            f"{dev_file}: newcool-infra:supabasePlan is {plan!r}: review branches need dev's project on "
            f"{', '.join(PLANS_WITH_BRANCHING)} (branching is a paid feature)"
        )


def prod_markers() -> list[str]:
    """What identifies prod's backend in a value: its Supabase ref, API domain, buckets, its Redis
    endpoint, and the live Vercel project and Upstash database it adopts (the pack refuses them in
    review stacks)."""
    config, _ = stack_file_config("prod")
    markers = [supabase_project_ref(config.get(f"{PROJECT}:supabaseUrl", "")), PROD_API_DOMAIN]
    markers += json.loads(config.get(f"{PROJECT}:buckets", "{}")).values()
    adopt = json.loads(config.get(f"{PROJECT}:adopt", "{}"))
    project = str(adopt.get("vercelProject") or "").rsplit("/", 1)[-1]
    markers += [project, str((adopt.get("redisCache") or {}).get("id") or "")]
    # Prod's REST URL is https://<endpoint>: its host marks prod's Redis after adopt: is gone too.
    markers.append(config.get(f"{PROJECT}:redisEndpoint", ""))
    return sorted({marker for marker in markers if marker})


def _split(config: Mapping[str, str], is_secret: object) -> tuple[dict[str, str], frozenset[str]]:
    prefix = f"{PROJECT}:"
    raw = {key[len(prefix) :]: value for key, value in config.items() if key.startswith(prefix)}
    check = is_secret if callable(is_secret) else (lambda _key: False)
    return raw, frozenset(key for key in raw if check(prefix + key))


def load_review_config() -> ReviewConfig:
    """The running review stack's configuration (the program's entry for pr-<N>)."""
    stack = pulumi.get_stack()
    config = {**get_config_env(), **CONFIG.get()}
    check_config_namespaces(stack, list(config), is_config_secret)
    pinned_accounts(stack, config)
    raw, secrets = _split(config, is_config_secret)
    return parse_review_config(stack, raw, secrets)


def offline_review_config(stack: str) -> ReviewConfig:
    """A review stack's config from its stack file (or the template), outside any Pulumi run."""
    config, secret_keys = offline_config(stack)
    raw, secrets = _split(config, secret_keys.__contains__)
    return parse_review_config(stack, raw, secrets)
