"""The Supabase schema as a Pulumi resource: a dynamic provider over the migration runner.

The resource's inputs are the database URL (a secret) and each migration file (version, name,
checksum, SQL), so ``pulumi preview`` shows which files would apply without touching the
database, and the provider applies exactly those files. Create and update apply pending files;
a new file is a diff; delete never drops the schema (the data outlives the stack). The
provider holds no connection and opens none at import time, so Pulumi can pickle it into the
state. Every failure reaches Pulumi as the runner's one-line message (file and line, never a
driver traceback or a password).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

from db_migrations import Migration, MigrationError, Runner

RESOURCE_ID = "supabase-schema"


class SchemaMigrationsProvider(ResourceProvider):
    """Applies pending migrations; never drops anything."""

    def _apply(self, props: dict[str, Any]) -> dict[str, Any]:
        try:
            migrations = [Migration.from_input(value) for value in props.get("migrations") or []]
            applied = Runner(props["database_url"], migrations=migrations).migrate()
        except MigrationError as error:
            # Pulumi prints the message; the file and line are in it.
            raise RuntimeError(f"migrations: {error}") from None
        return {**props, "last_applied": applied}

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=RESOURCE_ID, outs=self._apply(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in ("database_url", "migrations") if olds.get(key) != news.get(key)]
        # Never a replacement: replacing would mean deleting, and the schema is never dropped.
        return DiffResult(changes=bool(changed), replaces=[], stables=[], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=self._apply(news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # Removing the resource from the stack leaves the schema and its data in place.
        pulumi.log.info("newcool: the Supabase schema is left in place; drop it by hand if that is really meant")


class SchemaMigrations(pulumi.dynamic.Resource, module="supabase", name="SchemaMigrations"):
    last_applied: pulumi.Output[list[str]]

    def __init__(
        self,
        name: str,
        database_url: pulumi.Input[str],
        migrations: Sequence[dict[str, str]],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(
            SchemaMigrationsProvider(),
            name,
            {"database_url": database_url, "migrations": list(migrations), "last_applied": None},
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["database_url"])),
        )
