"""How a component takes over a live resource on the stack's first `up`.

The engine refuses an ``import`` whose declared inputs differ from what the provider reads live
("inputs to import do not match the existing resource"), and by then every step that does not
depend on it has been applied: a half-changed prod. So the first `up` imports each live resource
with every property this project will change under ``ignore_changes``: the engine compares only
the rest (the names that identify it, declared equal to live) and keeps the live values of the
ignored ones. The second `up`, once ``adopt:`` is gone, applies the changes as ordinary updates
or replacements, which ``make preview`` lists from the recorded live state
(docs/runbooks/adopting.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

# What the first `up` leaves as it runs today, per adopted resource (the Python names).
BUCKET_CHANGES = ("tags",)
CACHE_CHANGES = ("eviction", "budget", "read_regions")
VERCEL_PROJECT_CHANGES = (
    "framework",
    "git_repository",
    "resource_config",
    "oidc_token_config",
    "vercel_authentication",
)
VERCEL_DOMAIN_CHANGES: tuple[str, ...] = ()
VERCEL_VARIABLE_CHANGES = ("value", "targets", "sensitive", "comment")


def adopting(import_id: str | None, changes: Sequence[str]) -> pulumi.ResourceOptions:
    """Import ``import_id`` with ``changes`` left as they run live; nothing when not adopting."""
    if not import_id:
        return pulumi.ResourceOptions()
    return pulumi.ResourceOptions(import_=import_id, ignore_changes=list(changes))
