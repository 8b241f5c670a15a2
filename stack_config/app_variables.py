"""The app's Vercel environment variables: one table, declared once.

Read by the hosting component (one ``ProjectEnvironmentVariable`` per row and stack), the config
validation (``adopt.vercelVariables`` may only name a declared key), ``make adopt-plan``,
``make drift`` and ``make rotate`` (through ``components.hosting.declared_variables``) and the
generated table in docs/architecture.md.

Why the targets: prod's preview deployments build any pushed branch, so nothing of prod (no
secret, no backend, no bucket name, no role) targets ``preview``. With ``previewStack`` they get
that stack's whole backend, every value read from its outputs (``PREVIEW_OUTPUTS``), so a preview
never runs half on one backend and half on another; without it they get no variable at all.
Nothing of prod goes to ``development``, so ``vercel env pull`` never brings prod values to a
laptop. Dev holds dev data only: everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from stack_config.vocabulary import DATA_BUCKET_ROLES, ENVIRONMENTS, AwsAccessMode, Environment

ALL_TARGETS = ("production", "preview", "development")
# Deployments build for production (preview builds included); laptops get `development`.
DEPLOYED = ("production", "preview")
PRODUCTION = ("production",)

# Where a variable is present, per stack; () means the stack does not have it.
Targets = Mapping[Environment, tuple[str, ...]]
# A stack's own values: everywhere in dev, production only in prod (its previews get the preview stack's).
OWN: Targets = {"dev": ALL_TARGETS, "prod": PRODUCTION}
PROD_PREVIEWS_ONLY: Targets = {"dev": (), "prod": ("preview",)}
# Prod's preview values, read from the preview stack's outputs (`name` or `name.key` of a mapping
# output), keyed by the value prod's own variable holds: the dev stack must export each of them.
PREVIEW_OUTPUT = "previewStack:"
PREVIEW_OUTPUTS: Mapping[str, str] = {
    "supabase_url": "supabaseUrl",
    "supabase_publishable_key": "supabasePublishableKey",
    "supabase_secret_key": "supabaseSecretKey",
    "cache_rest_url": "redisRestUrls.cache",
    "cache_rest_token": "redisRestTokens.cache",
    "ratelimit_rest_url": "redisRestUrls.ratelimit",
    "ratelimit_rest_token": "redisRestTokens.ratelimit",
    # Previews assume the preview stack's role whatever prod's own awsAccess: that stack exports no key.
    "aws_role_arn": "appRoleArn",
    "storage_region": "storageRegion",
    **{f"bucket_{role}": f"bucketNames.{role}" for role in DATA_BUCKET_ROLES},
}

# What else a row needs to be declared: always, one AWS access mode, or prod's previewStack.
Needs = Literal["always", "oidc", "access-key", "previewStack"]


@dataclass(frozen=True)
class AppVariable:
    key: str
    # Which produced value it holds (a key of the hosting component's values).
    value_from: str
    # Where the value comes from, for people (the variable's comment in Vercel, the docs).
    source: str
    # Stored write-only by Vercel; also what the pack checks credentials against.
    sensitive: bool
    targets: Targets
    needs: Needs = "always"

    @property
    def preview_output(self) -> str | None:
        return preview_output(self.value_from)


def preview_output(value_from: str) -> str | None:
    """The preview stack's output a value is read from (prod's previews), if it is one."""
    return value_from.removeprefix(PREVIEW_OUTPUT) if value_from.startswith(PREVIEW_OUTPUT) else None


def _bucket_variables() -> list[AppVariable]:
    """One per data bucket of the role table: the app names its buckets from these."""
    return [
        AppVariable(f"S3_BUCKET_{role.upper().replace('-', '_')}", f"bucket_{role}", f"S3 bucket {role}", False, OWN)
        for role in DATA_BUCKET_ROLES
    ]


def _preview_twins(rows: tuple[AppVariable, ...]) -> list[AppVariable]:
    """Prod's preview variables: the same keys as production, sensitive alike, every value read
    from the preview stack's outputs (NODE_ENV, a fixed word, stays fixed)."""
    twins = []
    for row in rows:
        if row.value_from == "production":
            twins.append(
                AppVariable(row.key, row.value_from, row.source, row.sensitive, PROD_PREVIEWS_ONLY, "previewStack")
            )
        elif row.value_from in PREVIEW_OUTPUTS:
            output = PREVIEW_OUTPUTS[row.value_from]
            twins.append(
                AppVariable(
                    row.key,
                    PREVIEW_OUTPUT + output,
                    f"the preview stack's output {output} (StackReference)",
                    row.sensitive,
                    PROD_PREVIEWS_ONLY,
                    "previewStack",
                )
            )
    return twins


# Each stack's own variables, in the order they are declared.
OWN_VARIABLES: tuple[AppVariable, ...] = (
    AppVariable("NEXT_PUBLIC_SUPABASE_URL", "supabase_url", "config supabaseUrl", False, OWN),
    # The variable names stay: supabase-js v2 takes the new keys where it took the JWTs.
    AppVariable(
        "NEXT_PUBLIC_SUPABASE_ANON_KEY",
        "supabase_publishable_key",
        "Supabase publishable key (public by design: RLS guards the data)",
        False,
        OWN,
    ),
    AppVariable("SUPABASE_SERVICE_KEY", "supabase_secret_key", "Supabase secret key (server only)", True, OWN),
    AppVariable("UPSTASH_REDIS_REST_URL", "cache_rest_url", "Upstash cache database", True, OWN),
    AppVariable("UPSTASH_REDIS_REST_TOKEN", "cache_rest_token", "Upstash cache database", True, OWN),
    AppVariable("UPSTASH_RATELIMIT_REST_URL", "ratelimit_rest_url", "Upstash rate-limit database", True, OWN),
    AppVariable("UPSTASH_RATELIMIT_REST_TOKEN", "ratelimit_rest_token", "Upstash rate-limit database", True, OWN),
    # Not a secret, but only the environments the role's trust admits get it.
    AppVariable("AWS_ROLE_ARN", "aws_role_arn", "IAM role assumed through Vercel OIDC", False, OWN, "oidc"),
    AppVariable("AWS_ACCESS_KEY_ID", "aws_access_key_id", "IAM access key id", True, OWN, "access-key"),
    AppVariable("AWS_SECRET_ACCESS_KEY", "aws_secret_access_key", "IAM access key secret", True, OWN, "access-key"),
    AppVariable("AWS_REGION", "storage_region", "the buckets' region", False, OWN),
    *_bucket_variables(),
    AppVariable(
        "NODE_ENV",
        "production",
        "fixed: Vercel builds are production builds",
        False,
        {"dev": DEPLOYED, "prod": PRODUCTION},
    ),
    # `vercel env pull` on a laptop gets development, so `next dev` behaves as it should.
    AppVariable(
        "NODE_ENV", "development", "fixed: `next dev` on a laptop", False, {"dev": ("development",), "prod": ()}
    ),
)
# The one table: the stacks' own variables, then prod's previews' (with previewStack).
APP_VARIABLES: tuple[AppVariable, ...] = (*OWN_VARIABLES, *_preview_twins(OWN_VARIABLES))


def _table_problems(table: tuple[AppVariable, ...]) -> list[str]:
    """Vercel refuses two variables with one key and one target (ENV_ALREADY_EXISTS)."""
    problems = []
    for environment in ENVIRONMENTS:
        for needs in ("oidc", "access-key"):
            seen: set[tuple[str, str]] = set()
            for row in table:
                if row.needs not in ("always", "previewStack", needs):
                    continue
                for target in row.targets[environment]:
                    if (row.key, target) in seen:
                        problems.append(f"{row.key} twice for {environment}'s {target}")
                    seen.add((row.key, target))
    return problems


if _problems := _table_problems(APP_VARIABLES):
    raise ValueError(f"stack_config/app_variables.py APP_VARIABLES: {'; '.join(_problems)}")


def app_variables(environment: Environment, aws_access: AwsAccessMode, preview_stack: bool) -> list[AppVariable]:
    """The rows a stack declares: present in one of its targets, and what each needs is there."""
    present = {"always", aws_access, *(("previewStack",) if preview_stack else ())}
    return [row for row in APP_VARIABLES if row.targets[environment] and row.needs in present]


def declared_keys(environment: Environment, aws_access: AwsAccessMode, preview_stack: bool) -> set[str]:
    return {row.key for row in app_variables(environment, aws_access, preview_stack)}
