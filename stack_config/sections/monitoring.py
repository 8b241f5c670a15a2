"""Who is paged, and what is watched."""

from __future__ import annotations

import re

from stack_config.model import MonitoringConfig
from stack_config.reader import Reader
from stack_config.sections.hosting import GIT_REPOSITORY
from stack_config.vocabulary import Environment

_EMAIL = re.compile(r"^[^@\s]+@[a-z0-9.-]+\.[a-z]{2,}$")
_DRAIN_SECRET = re.compile(r"^\S{32,}$")


def monitoring(reader: Reader, environment: Environment) -> MonitoringConfig:
    email = reader.string("onCallEmail")
    if not _EMAIL.match(email):
        raise reader.fail("onCallEmail", f"must be an email address, got {email!r}")
    repository = reader.string("githubRepository")
    if not GIT_REPOSITORY.match(repository):
        raise reader.fail("githubRepository", f"must be owner/repository, got {repository!r}")
    health_check = reader.boolean("apiHealthCheck")
    if environment == "prod" and not health_check:
        raise reader.fail("apiHealthCheck", "must be true in prod: api.newcool.io is watched from day one")
    error_rate_alert = reader.boolean("vercelErrorRateAlert")
    if error_rate_alert and not reader.boolean("vercelObservabilityPlus"):
        raise reader.fail(
            "vercelErrorRateAlert",
            "needs Observability Plus on the Vercel team: confirm it, then set vercelObservabilityPlus: true",
        )
    log_drain = reader.boolean("vercelLogDrain")
    if environment == "prod" and not log_drain:
        raise reader.fail("vercelLogDrain", "must be true in prod: its logs outlive Vercel's and its traffic pages")
    drain_secret = reader.secret("vercelLogDrainSecret", _DRAIN_SECRET, "at least 32 characters") if log_drain else None
    return MonitoringConfig(
        on_call_email=email,
        vercel_error_rate_alert=error_rate_alert,
        github_repository=repository,
        api_health_check=health_check,
        log_drain=log_drain,
        log_drain_secret=drain_secret,
        supabase_error_spike=reader.integer("supabaseErrorSpike"),
    )
