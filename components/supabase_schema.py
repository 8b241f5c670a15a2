"""The Supabase schema: the migration files of ``supabase/migrations`` as one Pulumi resource."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi

from db_migrations import MIGRATIONS_DIR, MigrationError, discover
from providers.schema_migrations import SchemaMigrations


@dataclass(frozen=True)
class SupabaseSchemaArgs:
    database_url: pulumi.Output[str]
    migrations_dir: Path = MIGRATIONS_DIR


class SupabaseSchema(pulumi.ComponentResource):
    migrations: SchemaMigrations

    def __init__(self, name: str, args: SupabaseSchemaArgs, opts: pulumi.ResourceOptions | None = None):
        # The type token is part of every child URN in deployed state: it keeps its first name.
        super().__init__("newcool:database:SupabaseSchema", name, None, opts)
        # Parsed now: a misnamed file or a syntax error stops the program before any change.
        try:
            files = discover(args.migrations_dir)
        except MigrationError as error:
            raise pulumi.RunError(f"supabase/migrations/{error}") from None
        self.migrations = SchemaMigrations(
            "migrations",
            database_url=args.database_url,
            migrations=[migration.as_input() for migration in files],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"migrations": [m.version for m in files]})
