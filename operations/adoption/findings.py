"""What the preflight says of each live resource, and what the stack declares (its input)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from stack_config import BucketRole


@dataclass
class Finding:
    resource: str
    exists: bool
    import_id: str | None = None
    changes: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)


@dataclass
class StackFacts:
    """What the stack declares, read from its file and its program (offline)."""

    stack: str
    buckets: Mapping[BucketRole, str]
    team_slug: str
    team_id: str
    project_name: str
    domain: str
    # key -> targets of every variable the program declares
    variables: Mapping[str, set[str]]
    adopted_cache_id: str | None
    cache_name: str
    cutover_roles: set[BucketRole]
    supabase_ref: str = ""
    # The plan the stack says the Supabase organization is on, and whether it asks for
    # leaked-password protection (Pro and above only).
    supabase_plan: str = "free"
    breach_check: bool = False
    # The Vercel custom alert rule (needs Observability Plus, which Vercel's API does not show).
    vercel_alert_rule: bool = False
    # The log drain (needs a Pro or Enterprise team, which the project's deployments show).
    log_drain: bool = False
