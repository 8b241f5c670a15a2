"""The migration history: ``supabase_migrations.schema_migrations``, created, read and written
exactly as the Supabase CLI does (its ``history.go``), plus the runner's own record beside it.

One history for both tools: each row holds the file's statements split as the CLI splits them,
so a file either tool applied counts as applied by the other. The runner's record (checksum,
who, when, baselined) has no foreign key to the CLI's table, so the CLI's ``migration repair``
(which deletes or truncates history rows) keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass

from db_migrations.connection import Connection
from db_migrations.files import Migration

# What `supabase db push` waits for a lock before giving up (it sets the same for its history).
DEFAULT_LOCK_TIMEOUT = "4s"

# The CLI's history DDL, in its order, then the runner's own record.
HISTORY_DDL = (
    f"set local lock_timeout = '{DEFAULT_LOCK_TIMEOUT}'",
    "create schema if not exists supabase_migrations",
    "create table if not exists supabase_migrations.schema_migrations (version text not null primary key)",
    "alter table supabase_migrations.schema_migrations add column if not exists statements text[]",
    "alter table supabase_migrations.schema_migrations add column if not exists name text",
    """create table if not exists supabase_migrations.newcool_checksums (
         version text primary key,
         checksum text not null,
         baselined boolean not null default false,
         applied_at timestamptz not null default now(),
         applied_by text not null default current_user
       )""",
    # Databases migrated before the runner shared its history with the CLI had a foreign key
    # here, which made `supabase migration repair` fail.
    "alter table supabase_migrations.newcool_checksums drop constraint if exists newcool_checksums_version_fkey",
)


@dataclass(frozen=True)
class Applied:
    """One history row with the runner's record of it, when the runner wrote it."""

    statements: list[str] | None
    checksum: str | None
    baselined: bool

    @classmethod
    def from_row(cls, statements: object, checksum: object = None, baselined: object = False) -> Applied:
        return cls(
            statements=None if statements is None else [str(s) for s in statements],  # type: ignore[attr-defined]
            checksum=None if checksum is None else str(checksum),
            baselined=bool(baselined),
        )


def ensure(connection: Connection) -> None:
    """Creates or upgrades the history tables, as `supabase db push` does before pushing."""
    with connection.transaction():
        for ddl in HISTORY_DDL:
            connection.execute(ddl.encode())


def read(connection: Connection) -> dict[str, Applied]:
    """Every applied version with its row and the runner's record (the tables must exist)."""
    rows = connection.execute(
        """select m.version, m.statements, c.checksum, coalesce(c.baselined, false)
             from supabase_migrations.schema_migrations m
             left join supabase_migrations.newcool_checksums c using (version)"""
    ).fetchall()
    return {
        str(version): Applied.from_row(statements, checksum, baselined)
        for version, statements, checksum, baselined in rows
    }


def read_without_changing(connection: Connection) -> dict[str, Applied]:
    """The history as it is, creating nothing: empty when the CLI's table does not exist yet, and
    rows with no statements from the CLI's older one-column table."""
    columns = {
        str(row[0])
        for row in connection.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'supabase_migrations' and table_name = 'schema_migrations'"
        ).fetchall()
    }
    if not columns:
        return {}
    query = (
        "select version, statements from supabase_migrations.schema_migrations"
        if "statements" in columns
        else "select version, null::text[] from supabase_migrations.schema_migrations"
    )
    return {str(version): Applied.from_row(stored) for version, stored in connection.execute(query.encode())}


def record(connection: Connection, migration: Migration, baselined: bool) -> None:
    """The file's history row (the CLI's columns) and the runner's record, in the caller's transaction."""
    connection.execute(
        "insert into supabase_migrations.schema_migrations (version, name, statements) values (%s, %s, %s)",
        (migration.version, migration.name, migration.history_statements),
    )
    connection.execute(
        """insert into supabase_migrations.newcool_checksums (version, checksum, baselined)
           values (%s, %s, %s)
           on conflict (version) do update
             set checksum = excluded.checksum, baselined = excluded.baselined,
                 applied_at = now(), applied_by = current_user""",
        (migration.version, migration.checksum, baselined),
    )
