"""Firing cases of ``policies/guardrails/supabase.py``: each breaks one thing in the real prod plan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from db_migrations import discover
from tests.policies.breaking import DYNAMIC, Case, edited

# A version after every real migration, so adding one keeps these cases meaningful.
_NEWEST = discover()[-1].version
LATER_VERSION = str(int(_NEWEST) + 1).zfill(len(_NEWEST))


def _add_migration(sql: str) -> Callable[[dict[str, Any]], None]:
    def apply(props: dict[str, Any]) -> None:
        props["migrations"] = [
            *props["migrations"],
            {"version": LATER_VERSION, "name": "later", "checksum": "x", "sql": sql},
        ]

    return apply


CASES: list[Case] = [
    (
        "supabase-rls-on-every-table",
        lambda p: edited(
            p, DYNAMIC, "migrations", _add_migration("create table public.test_genres (id bigint primary key);")
        ),
        f"{LATER_VERSION}_later.sql: creates public.test_genres without enabling row level security",
    ),
    (
        "supabase-definer-search-path",
        lambda p: edited(
            p,
            DYNAMIC,
            "migrations",
            _add_migration(
                "create function public.grant_all() returns void language sql security definer as $$ select 1 $$;"
            ),
        ),
        "security definer function public.grant_all does not fix its search_path",
    ),
]
