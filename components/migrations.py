"""The migration runner: applies ``migrations/NNN_name.sql`` to a Postgres database with psycopg.

Each pending file runs in one transaction together with its history row, under a session
advisory lock so that concurrent runs serialize. History goes where the Supabase CLI keeps it
(``supabase_migrations.schema_migrations``), so ``supabase migration list`` stays truthful; a
checksum per file, kept beside it, refuses a file that changed after it was applied.

Usable from Python (``Runner``), from Pulumi (``components.database``) and from the command line:
``python -m components.migrations migrate|status|baseline`` with ``DATABASE_URL`` set.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import pglast
import psycopg
from pglast import ast
from psycopg import conninfo

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
FILE_NAME = re.compile(r"^(?P<version>[0-9]+)_(?P<name>[a-z0-9_]+)\.sql$")
# Session advisory lock key shared by every runner of this project ("newcool" in ASCII).
ADVISORY_LOCK_KEY = 0x6E6577636F6F6C
CONNECT_TIMEOUT_SECONDS = 10

HISTORY_DDL = (
    "create schema if not exists supabase_migrations",
    # The Supabase CLI's own table, in its own shape.
    """create table if not exists supabase_migrations.schema_migrations (
         version text not null primary key,
         statements text[],
         name text
       )""",
    """create table if not exists supabase_migrations.newcool_checksums (
         version text primary key
           references supabase_migrations.schema_migrations (version) on delete cascade,
         checksum text not null,
         baselined boolean not null default false,
         applied_at timestamptz not null default now(),
         applied_by text not null default current_user
       )""",
)


class MigrationError(Exception):
    """A migration could not be applied; nothing of the failing file was kept."""


@dataclass(frozen=True)
class Statement:
    sql: str
    # 1-based line of the statement's first character in its file.
    line: int


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path
    sql: str

    @property
    def file_name(self) -> str:
        return self.path.name

    @cached_property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @cached_property
    def statements(self) -> tuple[Statement, ...]:
        try:
            slices = pglast.split(self.sql, only_slices=True)
        except pglast.parser.ParseError as error:
            message, location = error.args[0], int(error.args[1]) if len(error.args) > 1 else 0
            line = self.sql[:location].count("\n") + 1
            raise MigrationError(f"{self.file_name}:{line}: {message}") from None
        return tuple(Statement(sql=self.sql[part], line=self.sql[: part.start].count("\n") + 1) for part in slices)

    def as_input(self) -> dict[str, str]:
        """What the Pulumi resource records for this file; the SQL is there for the policy pack."""
        return {"version": self.version, "name": self.name, "checksum": self.checksum, "sql": self.sql}


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Every migration file in version order; a stray or misnamed file is an error."""
    migrations: dict[str, Migration] = {}
    for path in sorted(directory.iterdir()):
        if path.is_dir() or path.name.startswith("."):
            continue
        match = FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named <digits>_<name>.sql (lowercase name)")
        version = match["version"]
        if version in migrations:
            raise MigrationError(f"{path.name}: version {version} is also used by {migrations[version].file_name}")
        migration = Migration(version=version, name=match["name"], path=path, sql=path.read_text())
        migration.statements  # noqa: B018 (parses now, so a syntax error names its file up front)
        migrations[version] = migration
    # Supabase compares versions as strings.
    return [migrations[version] for version in sorted(migrations)]


State = Literal["applied", "baselined", "pending", "changed", "missing-file"]


@dataclass(frozen=True)
class MigrationStatus:
    version: str
    name: str
    state: State


def redact(database_url: str) -> str:
    """The URL without its password, for messages."""
    try:
        params = conninfo.conninfo_to_dict(database_url)
    except psycopg.ProgrammingError:
        return "<unparseable database URL>"
    user = params.get("user", "?")
    host = params.get("host", "localhost")
    port = params.get("port", "5432")
    return f"{user}@{host}:{port}/{params.get('dbname', '?')}"


def _with_tls_by_default(database_url: str) -> str:
    """TLS is required unless the URL says otherwise (local test clusters say sslmode=disable)."""
    params = conninfo.conninfo_to_dict(database_url)
    if "sslmode" in params:
        return database_url
    return conninfo.make_conninfo(database_url, sslmode="require")


class Runner:
    def __init__(self, database_url: str, directory: Path = MIGRATIONS_DIR):
        self._database_url = database_url
        self._directory = directory

    @contextmanager
    def _locked_connection(self) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
        try:
            connection = psycopg.connect(
                _with_tls_by_default(self._database_url),
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                application_name="newcool-migrations",
            )
        except (psycopg.OperationalError, psycopg.ProgrammingError) as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            raise MigrationError(f"cannot connect to {redact(self._database_url)}: {reason}") from None
        with connection:
            connection.execute("select pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
            try:
                yield connection
            finally:
                connection.execute("select pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))

    @staticmethod
    def _ensure_history(connection: psycopg.Connection[tuple[object, ...]]) -> None:
        with connection.transaction():
            for ddl in HISTORY_DDL:
                connection.execute(ddl)

    @staticmethod
    def _history(connection: psycopg.Connection[tuple[object, ...]]) -> dict[str, tuple[str | None, bool, list[str]]]:
        """version -> (checksum or None when another tool applied it, baselined, statements)."""
        rows = connection.execute(
            """select m.version, c.checksum, coalesce(c.baselined, false), coalesce(m.statements, '{}')
                 from supabase_migrations.schema_migrations m
                 left join supabase_migrations.newcool_checksums c using (version)"""
        ).fetchall()
        return {str(r[0]): (r[1] if r[1] is None else str(r[1]), bool(r[2]), list(r[3])) for r in rows}  # type: ignore[call-overload]

    def _statuses(
        self, migrations: Sequence[Migration], history: dict[str, tuple[str | None, bool, list[str]]]
    ) -> list[MigrationStatus]:
        statuses: list[MigrationStatus] = []
        on_disk = {m.version for m in migrations}
        for migration in migrations:
            state: State = "pending"
            if migration.version in history:
                checksum, baselined, statements = history[migration.version]
                unchanged = (
                    checksum == migration.checksum
                    if checksum is not None
                    else statements == [s.sql for s in migration.statements]
                )
                state = "changed" if not unchanged else ("baselined" if baselined else "applied")
            statuses.append(MigrationStatus(migration.version, migration.name, state))
        for version in sorted(set(history) - on_disk):
            statuses.append(MigrationStatus(version, "", "missing-file"))
        return statuses

    @staticmethod
    def _refuse_drift(statuses: Sequence[MigrationStatus], migrations: Sequence[Migration]) -> None:
        files = {m.version: m.file_name for m in migrations}
        for status in statuses:
            if status.state == "changed":
                raise MigrationError(
                    f"{files[status.version]} was changed after it was applied; applied migrations are never "
                    "edited: restore it and put the change in a new file"
                )
            if status.state == "missing-file":
                raise MigrationError(
                    f"the database has migration {status.version} but migrations/ has no file for it; "
                    "restore the file (or pull the branch that added it) before migrating"
                )

    def status(self) -> list[MigrationStatus]:
        migrations = discover(self._directory)
        with self._locked_connection() as connection:
            self._ensure_history(connection)
            return self._statuses(migrations, self._history(connection))

    def migrate(self) -> list[str]:
        """Applies every pending migration in order; returns the versions it applied."""
        migrations = discover(self._directory)
        with self._locked_connection() as connection:
            self._ensure_history(connection)
            statuses = self._statuses(migrations, self._history(connection))
            self._refuse_drift(statuses, migrations)
            pending = {s.version for s in statuses if s.state == "pending"}
            applied: list[str] = []
            for migration in migrations:
                if migration.version in pending:
                    self._apply(connection, migration)
                    applied.append(migration.version)
            return applied

    @staticmethod
    def _record(connection: psycopg.Connection[tuple[object, ...]], migration: Migration, baselined: bool) -> None:
        connection.execute(
            "insert into supabase_migrations.schema_migrations (version, name, statements) values (%s, %s, %s)",
            (migration.version, migration.name, [s.sql for s in migration.statements]),
        )
        connection.execute(
            "insert into supabase_migrations.newcool_checksums (version, checksum, baselined) values (%s, %s, %s)",
            (migration.version, migration.checksum, baselined),
        )

    def _apply(self, connection: psycopg.Connection[tuple[object, ...]], migration: Migration) -> None:
        with connection.transaction():
            for statement in migration.statements:
                try:
                    # bytes: the file's SQL is sent as written, never as a query template.
                    connection.execute(statement.sql.encode())
                except psycopg.Error as error:
                    line = statement.line
                    position = error.diag.statement_position
                    if position:
                        line += statement.sql[: int(position) - 1].count("\n")
                    message = error.diag.message_primary or str(error).strip()
                    raise MigrationError(
                        f"{migration.file_name}:{line}: {message} (the whole file was rolled back; nothing recorded)"
                    ) from None
            self._record(connection, migration, baselined=False)

    def baseline(self, up_to: str | None = None) -> list[str]:
        """Records files as applied without running them, after checking their objects exist.

        For databases where the files were applied by hand. ``up_to`` limits it to versions up
        to and including that one. All or nothing: one missing object records no file.
        """
        migrations = [m for m in discover(self._directory) if up_to is None or m.version <= up_to]
        if up_to is not None and not any(m.version == up_to for m in migrations):
            raise MigrationError(f"no migration file has version {up_to}")
        with self._locked_connection() as connection:
            self._ensure_history(connection)
            statuses = self._statuses(migrations, self._history(connection))
            self._refuse_drift(statuses, migrations)
            pending = [m for m, s in zip(migrations, statuses, strict=False) if s.state == "pending"]
            missing = [
                f"{migration.file_name}: {what}"
                for migration in pending
                for what in _missing_objects(connection, migration)
            ]
            if missing:
                raise MigrationError("cannot baseline, objects are missing from the database: " + "; ".join(missing))
            with connection.transaction():
                for migration in pending:
                    self._record(connection, migration, baselined=True)
            return [m.version for m in pending]


def _qualified(relation: ast.RangeVar | None) -> str:
    if relation is None:
        return "?"
    return f"{relation.schemaname or 'public'}.{relation.relname}"


# (what it is, a query that returns true when it exists, the query's parameters)
Expectation = tuple[str, str, tuple[object, ...]]
_RELATION_EXISTS = "select to_regclass(%s) is not null"


def _expectations(node: ast.Node | None) -> list[Expectation]:  # noqa: PLR0911 (one return per statement kind)
    """The objects one parsed statement creates, each with the catalog query proving it exists."""
    if isinstance(node, ast.CreateStmt):
        name = _qualified(node.relation)
        return [(f"table {name}", _RELATION_EXISTS, (name,))]
    if isinstance(node, ast.IndexStmt) and node.idxname and node.relation is not None:
        name = f"{node.relation.schemaname or 'public'}.{node.idxname}"
        return [(f"index {name}", _RELATION_EXISTS, (name,))]
    if isinstance(node, ast.CreateFunctionStmt):
        parts = [part.sval for part in node.funcname or ()]
        schema, function = (parts[0], parts[1]) if len(parts) == 2 else ("public", parts[-1])
        query = (
            "select exists (select from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
            "where n.nspname = %s and p.proname = %s)"
        )
        return [(f"function {schema}.{function}", query, (schema, function))]
    if isinstance(node, ast.CreatePolicyStmt):
        table = _qualified(node.table)
        query = "select exists (select from pg_policy where polname = %s and polrelid = to_regclass(%s))"
        return [(f"policy {node.policy_name!r} on {table}", query, (node.policy_name, table))]
    if isinstance(node, ast.CreateTrigStmt):
        table = _qualified(node.relation)
        query = "select exists (select from pg_trigger where tgname = %s and tgrelid = to_regclass(%s))"
        return [(f"trigger {node.trigname} on {table}", query, (node.trigname, table))]
    if isinstance(node, ast.AlterTableStmt):
        table = _qualified(node.relation)
        query = "select exists (select from pg_constraint where conname = %s and conrelid = to_regclass(%s))"
        constraints = [getattr(command, "def_", None) for command in node.cmds or ()]
        return [
            (f"constraint {c.conname} on {table}", query, (c.conname, table))
            for c in constraints
            if isinstance(c, ast.Constraint) and c.conname
        ]
    return []


def _missing_objects(connection: psycopg.Connection[tuple[object, ...]], migration: Migration) -> list[str]:
    """The objects a migration creates (tables, indexes, functions, policies, triggers,
    constraints; found by parsing the file with pglast) that the database lacks."""
    missing: list[str] = []
    for raw in pglast.parse_sql(migration.sql):
        for what, query, params in _expectations(raw.stmt):
            row = connection.execute(query.encode(), params).fetchone()
            if not (row and row[0]):
                missing.append(what)
    return missing


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m components.migrations", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["migrate", "status", "baseline"])
    parser.add_argument("--up-to", help="baseline: only files up to and including this version")
    parser.add_argument("--directory", type=Path, default=MIGRATIONS_DIR)
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        print("error: set DATABASE_URL (for example DATABASE_URL=postgresql://... make migrate)", file=sys.stderr)
        return 2
    runner = Runner(database_url, args.directory)
    try:
        if args.command == "migrate":
            applied = runner.migrate()
            print(f"applied {len(applied)} migration(s){': ' + ', '.join(applied) if applied else ''}")
        elif args.command == "baseline":
            recorded = runner.baseline(args.up_to)
            print(f"baselined {len(recorded)} migration(s){': ' + ', '.join(recorded) if recorded else ''}")
        else:
            for status in runner.status():
                print(f"{status.version}  {status.state:<12}  {status.name}")
    except MigrationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
