"""The Vercel project and the app's AWS access."""

from __future__ import annotations

import re

from stack_config.app_variables import declared_keys
from stack_config.model import Adoption, HostingConfig, VercelConfig
from stack_config.reader import Reader
from stack_config.sections.storage import HOSTNAME
from stack_config.vocabulary import PROD_API_DOMAIN, VERCEL_KEYS, AwsAccessMode, Environment

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
_TEAM_ID = re.compile(r"^team_[A-Za-z0-9]{8,}$")
GIT_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_IAM_OIDC_PROVIDER_ARN = re.compile(r"^arn:aws:iam::[0-9]{12}:oidc-provider/oidc\.vercel\.com/[a-z0-9-]+$")
_UPLOAD_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]*/$")


def vercel(reader: Reader, environment: Environment) -> VercelConfig:
    raw = reader.mapping("vercel", VERCEL_KEYS)
    checks = {
        "team": (_SLUG, "a Vercel team slug"),
        "teamId": (_TEAM_ID, "a Vercel team id (team_...)"),
        "project": (_SLUG, "a Vercel project name"),
        "gitRepository": (GIT_REPOSITORY, "owner/repository"),
        "productionBranch": (re.compile(r"^[A-Za-z0-9._/-]+$"), "a branch name"),
        "domain": (HOSTNAME, "a domain name"),
    }
    for key, (pattern, what) in checks.items():
        if not pattern.match(raw[key]):
            raise reader.fail(f"vercel.{key}", f"must be {what}, got {raw[key]!r}")
    if environment == "prod" and raw["domain"] != PROD_API_DOMAIN:
        raise reader.fail("vercel.domain", f"must be {PROD_API_DOMAIN!r} in prod, got {raw['domain']!r}")
    if environment != "prod" and raw["domain"] == PROD_API_DOMAIN:
        raise reader.fail("vercel.domain", f"is the prod API domain; {environment} needs its own")
    return VercelConfig(
        team_slug=raw["team"],
        team_id=raw["teamId"],
        project_name=raw["project"],
        git_repository=raw["gitRepository"],
        production_branch=raw["productionBranch"],
        domain=raw["domain"],
    )


def _previews(
    reader: Reader, environment: Environment, vercel_config: VercelConfig, aws_access: AwsAccessMode
) -> tuple[str | None, str | None]:
    """Prod's previewStack, and the other side: the project whose previews a stack serves."""
    preview_stack = reader.string("previewStack") if reader.has("previewStack") else None
    if preview_stack is not None:
        parts = preview_stack.split("/")
        if len(parts) != 3 or not all(_SLUG.match(part) for part in parts):
            raise reader.fail("previewStack", f"must be <org>/<project>/<stack>, got {preview_stack!r}")
        if environment != "prod" or parts[2] == "prod":
            raise reader.fail("previewStack", "is for prod's previews only, and never names prod itself")
    serves_previews_of = reader.string("servesPreviewsOf") if reader.has("servesPreviewsOf") else None
    if serves_previews_of is not None:
        if not _SLUG.match(serves_previews_of):
            raise reader.fail("servesPreviewsOf", f"must be a Vercel project name, got {serves_previews_of!r}")
        if environment == "prod" or serves_previews_of == vercel_config.project_name:
            raise reader.fail("servesPreviewsOf", "names prod's project, in the stack prod's previewStack names")
        if aws_access != "oidc":
            raise reader.fail("servesPreviewsOf", "needs awsAccess: oidc (previews assume this stack's app role)")
    return preview_stack, serves_previews_of


def hosting(reader: Reader, environment: Environment, vercel_config: VercelConfig, adoption: Adoption) -> HostingConfig:
    access = reader.choice("awsAccess")
    prefixes = reader.string_list("appUploadPrefixes")
    if not prefixes:
        raise reader.fail("appUploadPrefixes", "must not be an empty list")
    for prefix in prefixes:
        if not _UPLOAD_PREFIX.match(prefix):
            raise reader.fail("appUploadPrefixes", f"entries must look like 'avatars/' (no wildcard), got {prefix!r}")
    provider_arn = reader.string("awsOidcProviderArn") if reader.has("awsOidcProviderArn") else None
    if provider_arn is not None and not _IAM_OIDC_PROVIDER_ARN.match(provider_arn):
        raise reader.fail("awsOidcProviderArn", f"must be a Vercel IAM OIDC provider ARN, got {provider_arn!r}")
    aws_access: AwsAccessMode = "oidc" if access == "oidc" else "access-key"
    preview_stack, serves_previews_of = _previews(reader, environment, vercel_config, aws_access)
    declared = declared_keys(environment, aws_access, preview_stack is not None)
    for key in adoption.vercel_variables:
        if key not in declared:
            raise reader.fail(
                f"adopt.vercelVariables.{key}",
                "is not a variable this stack declares; leave it out (make adopt-plan lists it among those the code "
                "does not know)",
            )
    return HostingConfig(
        vercel=vercel_config,
        preview_stack=preview_stack,
        serves_previews_of=serves_previews_of,
        aws_access=aws_access,
        upload_prefixes=tuple(prefixes),
        oidc_provider_arn=provider_arn,
        adopt_project=adoption.vercel_project,
        adopt_domains=adoption.vercel_domains,
        adopt_variables=adoption.vercel_variables,
    )
