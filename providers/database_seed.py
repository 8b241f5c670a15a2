"""The reviewers' seed on a review branch as a Pulumi resource (``supabase/seed.sql``).

Create and update load it (one transaction; the file converges, so loading it again changes
nothing); a changed file is a diff; delete leaves the rows (the branch goes with the stack).
This module's path is in deployed state: it stays where it is (providers/__init__.py).
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

from db_migrations import MigrationError
from db_migrations.seed import load_seed, seed_checksum


class DatabaseSeedProvider(ResourceProvider):
    def _load(self, props: dict[str, Any]) -> dict[str, Any]:
        try:
            load_seed(props["database_url"], props["sql"])
        except MigrationError as error:
            raise RuntimeError(f"seed: {error}") from None
        return props

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_="supabase-seed", outs=self._load(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in ("database_url", "checksum") if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(changed), replaces=[], stables=[], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=self._load(news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """The rows go with the branch."""


class DatabaseSeed(pulumi.dynamic.Resource, module="supabase", name="Seed"):
    def __init__(
        self, name: str, database_url: pulumi.Input[str], sql: str, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(
            DatabaseSeedProvider(),
            name,
            {"database_url": database_url, "sql": sql, "checksum": seed_checksum(sql)},
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["database_url"])),
        )
