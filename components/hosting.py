"""The Vercel project, its domain, every environment variable, and the app's AWS access.

Each variable's value comes from the resource that produces it (bucket names from the buckets,
Redis URLs and tokens from the databases, AWS credentials from IAM), so a rotated token or a
renamed bucket reaches the app on the next ``pulumi up`` with nobody copying strings.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumiverse_vercel as vercel

from components import policy_documents as docs
from components.adoption import (
    VERCEL_DOMAIN_CHANGES,
    VERCEL_PROJECT_CHANGES,
    VERCEL_VARIABLE_CHANGES,
    adopting,
)
from components.cache import RedisCache
from providers.vercel_redeploy import ProductionRedeploy, variables_version
from stack_config import (
    CDN_ROLES,
    DATA_BUCKET_ROLES,
    STORAGE_REGION,
    UPLOAD_ROLES,
    BucketRole,
    Environment,
    HostingConfig,
)
from stack_config.app_variables import ALL_TARGETS, app_variables, preview_output
from stack_config.vocabulary import AwsAccessMode

# Vercel deploys functions next to Upstash's us-east-1 primary.
FUNCTION_REGION = "iad1"
OIDC_ISSUER_HOST = "oidc.vercel.com"


@dataclass(frozen=True)
class HostingArgs:
    config: HostingConfig
    environment: Environment
    supabase_url: str
    # The managed keys (components.supabase_project), secrets end to end.
    supabase_publishable_key: pulumi.Output[str]
    supabase_secret_key: pulumi.Output[str]
    buckets: Mapping[BucketRole, aws.s3.Bucket]
    redis: RedisCache
    tags: Mapping[str, str]


def oidc_subjects(
    team: str, project: str, environment: Environment, serves_previews_of: str | None = None
) -> list[str]:
    """The `sub` claims of Vercel's OIDC tokens that may assume the app role: the stack's own
    project, and the preview deployments of the project whose previews use this stack (prod's)."""
    environments = ["production"] if environment == "prod" else list(ALL_TARGETS)
    subjects = [f"owner:{team}:project:{project}:environment:{env}" for env in environments]
    if serves_previews_of is not None:
        subjects.append(f"owner:{team}:project:{serves_previews_of}:environment:preview")
    return subjects


def app_access_statements(
    read_arns: Sequence[str], upload_arns: Sequence[str], upload_prefixes: tuple[str, ...]
) -> list[docs.Statement]:
    """What the app does with S3, and nothing more: sign GETs from the CDN-served buckets, PUT/GET
    in the upload buckets under its prefixes."""
    return [
        {
            "Sid": "SignMediaAndAssetReads",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": [f"{arn}/*" for arn in read_arns],
        },
        {
            "Sid": "ReadWriteUserUploads",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": [f"{arn}/{prefix}*" for arn in upload_arns for prefix in upload_prefixes],
        },
    ]


def oidc_trust_statement(provider_arn: str, team: str, subjects: list[str]) -> docs.Statement:
    issuer = f"{OIDC_ISSUER_HOST}/{team}"
    return {
        "Sid": "VercelOidcFederation",
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {
                f"{issuer}:aud": f"https://vercel.com/{team}",
                f"{issuer}:sub": subjects,
            }
        },
    }


@dataclass(frozen=True)
class VariableDeclaration:
    """One environment variable of the app: where it is present, how it is stored, and which
    resource produces its value (``value_from``, a key of the component's values)."""

    key: str
    value_from: str
    sensitive: bool
    targets: tuple[str, ...]
    source: str

    @property
    def name(self) -> str:
        """The resource name: the key, and the target when a key has one variable per target."""
        suffixes: dict[tuple[str, ...], str] = {("development",): "-development", ("preview",): "-preview"}
        suffix = suffixes.get(self.targets, "")
        return self.key.lower().replace("_", "-") + suffix


def declared_variables(
    environment: Environment, aws_access: AwsAccessMode, preview_backend: bool = False
) -> list[VariableDeclaration]:
    """Every variable the app gets, from the table (``stack_config.app_variables``), in its order;
    values are wired by the component from the resources that produce them. Pure data, so the
    preflight, drift and rotation read it without running the program."""
    return [
        VariableDeclaration(row.key, row.value_from, row.sensitive, row.targets[environment], row.source)
        for row in app_variables(environment, aws_access, preview_backend)
    ]


def declared_targets(
    environment: Environment, aws_access: AwsAccessMode, preview_backend: bool = False
) -> dict[str, set[str]]:
    """Each declared key and every target it is present in (what a live project is compared with)."""
    targets: dict[str, set[str]] = {}
    for variable in declared_variables(environment, aws_access, preview_backend):
        targets.setdefault(variable.key, set()).update(variable.targets)
    return targets


class VercelHosting(pulumi.ComponentResource):
    project: vercel.Project
    domain: vercel.ProjectDomain
    variables: list[VariableDeclaration]
    redeploy: ProductionRedeploy
    role_arn: pulumi.Output[str] | None
    # Whoever the app acts as in AWS (its role, or its user in access-key mode).
    app_principal_arn: pulumi.Output[str]

    def __init__(self, name: str, args: HostingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("newcool:hosting:VercelHosting", name, None, opts)
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        config = args.config
        team_id = config.vercel.team_id
        # What runs today (api.newcool.io) is imported, and in prod never replaced or deleted.
        live = pulumi.ResourceOptions(parent=self, protect=args.environment == "prod")

        self.project = vercel.Project(
            "project",
            name=config.vercel.project_name,
            team_id=team_id,
            framework="nextjs",
            git_repository={
                "type": "github",
                "repo": config.vercel.git_repository,
                "production_branch": config.vercel.production_branch,
            },
            # serverless_function_region is deprecated for this (pulumiverse-vercel 5.x).
            resource_config={"function_default_regions": [FUNCTION_REGION]},
            # Team-scoped issuer https://oidc.vercel.com/<team>, which the IAM trust names.
            oidc_token_config={"issuer_mode": "team"},
            vercel_authentication={"deployment_type": "standard_protection_new"},
            # The app may read VERCEL_ENV, VERCEL_URL and VERCEL_GIT_* (the live project exposes
            # them, and nothing shows the app does without): hiding them could break it silently.
            automatically_expose_system_environment_variables=True,
            opts=pulumi.ResourceOptions.merge(live, adopting(config.adopt_project, VERCEL_PROJECT_CHANGES)),
        )
        self.domain = vercel.ProjectDomain(
            "domain",
            project_id=self.project.id,
            domain=config.vercel.domain,
            team_id=team_id,
            opts=pulumi.ResourceOptions.merge(
                live, adopting(config.adopt_domains.get(config.vercel.domain), VERCEL_DOMAIN_CHANGES)
            ),
        )
        access_policy = aws.iam.Policy(
            "app-s3-access",
            name=f"newcool-{args.environment}-app-s3-access",
            description="The app's S3 access: signed reads of media/assets, uploads under its prefixes",
            policy=docs.render(
                pulumi.Output.all(
                    *(args.buckets[role].arn for role in CDN_ROLES), *(args.buckets[role].arn for role in UPLOAD_ROLES)
                ).apply(
                    lambda arns: app_access_statements(
                        arns[: len(CDN_ROLES)], arns[len(CDN_ROLES) :], config.upload_prefixes
                    )
                )
            ),
            tags=dict(args.tags),
            opts=self._child,
        )
        aws_values = (
            self._oidc_access(access_policy) if config.aws_access == "oidc" else self._access_key(access_policy)
        )
        self.variables = declared_variables(args.environment, config.aws_access, config.preview_stack is not None)
        values = self._values(aws_values)
        adopted_keys: set[str] = set()
        deployed: dict[str, vercel.ProjectEnvironmentVariable] = {}
        for variable in self.variables:
            if variable.targets == ("preview",) and config.adopt_variables:
                # Live variables still hold preview on the first `up` (their targets are left as
                # they run): the preview set comes whole with the second, never half of it now.
                continue
            # One live variable per key is adopted: the one holding production.
            adopt = variable.key not in adopted_keys and "production" in variable.targets
            import_id = config.adopt_variables.get(variable.key) if adopt else None
            if import_id:
                adopted_keys.add(variable.key)
            after = [deployed[variable.key]] if variable.targets == ("preview",) and variable.key in deployed else []
            resource = vercel.ProjectEnvironmentVariable(
                variable.name,
                project_id=self.project.id,
                team_id=team_id,
                key=variable.key,
                value=values[variable.value_from],
                sensitive=variable.sensitive,
                targets=list(variable.targets),
                comment=f"managed by newcool-infra: {variable.source}",
                # Vercel refuses a second variable with the same key and target
                # (ENV_ALREADY_EXISTS): a replacement must delete the old one first.
                opts=pulumi.ResourceOptions.merge(
                    pulumi.ResourceOptions(parent=self, delete_before_replace=True, depends_on=after),
                    adopting(import_id, VERCEL_VARIABLE_CHANGES),
                ),
            )
            if "production" in variable.targets:
                deployed[variable.key] = resource
        self.redeploy = self._redeploy_on_change(list(deployed.values()))
        self.register_outputs({"projectId": self.project.id, "domain": config.vercel.domain})

    def _redeploy_on_change(self, production: list[vercel.ProjectEnvironmentVariable]) -> ProductionRedeploy:
        """Production is redeployed when one of its variables changes (Vercel applies a variable only to
        new deployments), after every variable is written."""
        facts = [pulumi.Output.all(v.key, v.targets, v.value) for v in production]
        digest: pulumi.Output[str] = pulumi.Output.all(*facts).apply(
            lambda rows: variables_version([(k, t or [], val or "") for k, t, val in rows])
        )
        version: pulumi.Output[str] = pulumi.Output.secret(digest)
        config = self._args.config.vercel
        return ProductionRedeploy(
            "production-redeploy",
            project_id=self.project.id,
            project_name=config.project_name,
            team_id=config.team_id,
            variables_version=version,
            opts=pulumi.ResourceOptions(parent=self, depends_on=production),
        )

    def _oidc_access(self, access_policy: aws.iam.Policy) -> dict[str, pulumi.Input[str]]:
        """Vercel OIDC federation: short-lived credentials, no long-lived key anywhere."""
        args = self._args
        team = args.config.vercel.team_slug
        if args.config.oidc_provider_arn:
            provider_arn: pulumi.Output[str] = pulumi.Output.from_input(args.config.oidc_provider_arn)
        else:
            provider = aws.iam.OpenIdConnectProvider(
                "vercel-oidc",
                url=f"https://{OIDC_ISSUER_HOST}/{team}",
                client_id_lists=[f"https://vercel.com/{team}"],
                tags=dict(args.tags),
                opts=self._child,
            )
            provider_arn = provider.arn
        subjects = oidc_subjects(
            team, args.config.vercel.project_name, args.environment, args.config.serves_previews_of
        )
        role = aws.iam.Role(
            "app-role",
            name=f"newcool-{args.environment}-vercel-app",
            description="Assumed by the Vercel app through OIDC",
            assume_role_policy=docs.render(provider_arn.apply(lambda arn: [oidc_trust_statement(arn, team, subjects)])),
            max_session_duration=3600,
            tags=dict(args.tags),
            opts=self._child,
        )
        aws.iam.RolePolicyAttachment(
            "app-role-s3-access", role=role.name, policy_arn=access_policy.arn, opts=self._child
        )
        self.role_arn = role.arn
        self.app_principal_arn = role.arn
        return {"aws_role_arn": role.arn}

    def _access_key(self, access_policy: aws.iam.Policy) -> dict[str, pulumi.Input[str]]:
        """What the seed's app code uses today: an IAM user's access key, kept a Pulumi secret."""
        args = self._args
        user = aws.iam.User(
            "app-user", name=f"newcool-{args.environment}-vercel-app", tags=dict(args.tags), opts=self._child
        )
        aws.iam.UserPolicyAttachment(
            "app-user-s3-access", user=user.name, policy_arn=access_policy.arn, opts=self._child
        )
        key = aws.iam.AccessKey("app-user-key", user=user.name, opts=self._child)
        self.role_arn = None
        self.app_principal_arn = user.arn
        return {
            "aws_access_key_id": pulumi.Output.secret(key.id),
            "aws_secret_access_key": pulumi.Output.secret(key.secret),
        }

    def _values(self, aws_values: Mapping[str, pulumi.Input[str]]) -> dict[str, pulumi.Input[str]]:
        """Each variable's value, from the resource that produces it."""
        args = self._args
        return {
            "supabase_url": args.supabase_url,
            "supabase_publishable_key": args.supabase_publishable_key,
            "supabase_secret_key": args.supabase_secret_key,
            "cache_rest_url": args.redis.cache.rest_url,
            "cache_rest_token": args.redis.cache.rest_token,
            "ratelimit_rest_url": args.redis.ratelimit.rest_url,
            "ratelimit_rest_token": args.redis.ratelimit.rest_token,
            **aws_values,
            "storage_region": STORAGE_REGION,
            **{f"bucket_{role}": args.buckets[role].bucket for role in DATA_BUCKET_ROLES},
            "production": "production",
            "development": "development",
            **self._preview_values(),
        }

    def _preview_values(self) -> dict[str, pulumi.Input[str]]:
        """Prod's previews' values, every one read from the preview stack's outputs (never prod's):
        one backend, whole. Secret there stays secret here, and each sensitive one is made secret."""
        config = self._args.config
        reads = {v.value_from: v for v in self.variables if preview_output(v.value_from) is not None}
        if config.preview_stack is None or config.adopt_variables or not reads:
            return {}
        backend = pulumi.StackReference("preview-backend", stack_name=config.preview_stack, opts=self._child)
        values: dict[str, pulumi.Input[str]] = {}
        for value_from, variable in reads.items():
            output = preview_output(value_from) or ""
            name, _, key = output.partition(".")
            value: pulumi.Output[str] = backend.get_output(name).apply(
                functools.partial(_exported, key=key, output=output)
            )
            values[value_from] = pulumi.Output.secret(value) if variable.sensitive else value
        return values


def _exported(found: object, key: str, output: str) -> str:
    """One exported value (``key`` of a mapping output); a missing one stops the `up` naming it."""
    value = (found.get(key) if isinstance(found, dict) else None) if key else found
    if not isinstance(value, str) or not value:
        raise ValueError(f"previewStack: the stack exports no {output} (prod's previews read it; export it there)")
    return value
