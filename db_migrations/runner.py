"""The migration runner: applies ``supabase/migrations`` with psycopg, interchangeably with the CLI.

One history for both tools (``history.py``): a file either tool applied counts as applied by the
other, and a file edited after it was applied no longer matches its row (drift, refused by name).

Faults: each file runs in one transaction with its history row, after ``RESET ALL`` (no setting
leaks from the previous file) and with a default ``lock_timeout``; concurrent runs serialize on
an advisory lock; a lost connection is one line, never a traceback, and records nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pglast
import psycopg
from pglast import ast

from db_migrations import history
from db_migrations.connection import Connection, connect, describe, scrub
from db_migrations.errors import MigrationError
from db_migrations.files import MIGRATIONS_DIR, Migration, discover
from db_migrations.history import DEFAULT_LOCK_TIMEOUT

# Session advisory lock key shared by every runner of this project ("newcool" in ASCII).
ADVISORY_LOCK_KEY = 0x6E6577636F6F6C
# How long a run waits for another run's advisory lock.
DEFAULT_LOCK_WAIT_SECONDS = 60.0
# The server checks this often whether the runner is still there, so a killed run's statement
# does not go on holding locks.
CLIENT_CHECK_INTERVAL = "2s"

State = Literal["applied", "baselined", "pending", "out-of-order", "changed", "missing-file"]


@dataclass(frozen=True)
class MigrationStatus:
    version: str
    name: str
    state: State


def _lost(database_url: str, error: psycopg.Error, doing: str) -> MigrationError:
    reason = scrub(error.diag.message_primary or str(error), database_url) or type(error).__name__
    return MigrationError(f"lost the connection to {describe(database_url)} while {doing}: {reason}")


class Runner:
    def __init__(
        self,
        database_url: str,
        directory: Path = MIGRATIONS_DIR,
        *,
        migrations: Sequence[Migration] | None = None,
        include_all: bool = False,
        lock_timeout: str = DEFAULT_LOCK_TIMEOUT,
        lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
    ):
        self._database_url = database_url
        self._directory = directory
        # Given files (the Pulumi resource's inputs) instead of the directory's.
        self._given = None if migrations is None else list(migrations)
        self._include_all = include_all
        self._lock_timeout = lock_timeout
        self._lock_wait_seconds = lock_wait_seconds

    def _migrations(self) -> list[Migration]:
        if self._given is None:
            return discover(self._directory)
        for migration in self._given:
            migration.statements  # noqa: B018 (parses now: a bad file is refused before anything runs)
        return sorted(self._given, key=lambda m: m.file_name)

    # --- session -------------------------------------------------------------------------

    @contextmanager
    def _locked_connection(self) -> Iterator[Connection]:
        connection = connect(self._database_url)
        try:
            with connection:
                self._reset_session(connection)
                self._acquire_lock(connection)
                try:
                    yield connection
                finally:
                    if not connection.closed:
                        connection.execute("select pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
        except psycopg.OperationalError as error:
            raise _lost(self._database_url, error, "migrating; nothing more was applied") from None
        except psycopg.Error as error:
            reason = scrub(str(error), self._database_url)
            raise MigrationError(f"{describe(self._database_url)}: {reason}") from None

    def _reset_session(self, connection: Connection) -> None:
        """No setting of a previous file leaks into the next (a `db pull` file sets search_path)."""
        connection.execute("reset all")
        connection.execute(f"set lock_timeout = '{self._lock_timeout}'".encode())
        connection.execute(f"set client_connection_check_interval = '{CLIENT_CHECK_INTERVAL}'".encode())

    def _acquire_lock(self, connection: Connection) -> None:
        deadline = time.monotonic() + self._lock_wait_seconds
        try:
            while True:
                row = connection.execute("select pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()
                if row and row[0]:
                    return
                if time.monotonic() >= deadline:
                    raise MigrationError(
                        f"another migration run holds the lock on {describe(self._database_url)} "
                        f"(waited {self._lock_wait_seconds:g} s); nothing was applied"
                    )
                time.sleep(0.2)
        except psycopg.OperationalError as error:
            raise _lost(self._database_url, error, "waiting for the migration lock; nothing was applied") from None

    # --- status --------------------------------------------------------------------------

    @staticmethod
    def _state_of(migration: Migration, applied: history.Applied) -> State:
        if applied.statements is None:
            # The CLI's older one-column history: applied, with nothing to compare against.
            return "applied"
        # A row from either tool holds the CLI's split; rows the runner wrote before it shared
        # the CLI's split are recognised by their checksum.
        unchanged = applied.statements == migration.history_statements or applied.checksum == migration.checksum
        if not unchanged:
            return "changed"
        return "baselined" if applied.baselined else "applied"

    def _statuses(self, migrations: Sequence[Migration], applied: dict[str, history.Applied]) -> list[MigrationStatus]:
        # Versions compare as strings, as `supabase db push` compares them.
        newest_applied = max(applied, default="")
        statuses: list[MigrationStatus] = []
        for migration in migrations:
            if migration.version in applied:
                state = self._state_of(migration, applied[migration.version])
            else:
                state = "out-of-order" if migration.version < newest_applied else "pending"
            statuses.append(MigrationStatus(migration.version, migration.name, state))
        on_disk = {m.version for m in migrations}
        statuses += [MigrationStatus(v, "", "missing-file") for v in sorted(set(applied) - on_disk)]
        return statuses

    def _refuse_drift(self, statuses: Sequence[MigrationStatus], migrations: Sequence[Migration]) -> None:
        files = {m.version: m.file_name for m in migrations}
        for status in statuses:
            if status.state == "changed":
                raise MigrationError(
                    f"{files[status.version]} was changed after it was applied; applied migrations are never "
                    "edited: restore it and put the change in a new file"
                )
            if status.state == "missing-file":
                raise MigrationError(
                    f"the database has migration {status.version} but supabase/migrations/ has no file for it; "
                    "restore the file (or pull the branch that added it) before migrating"
                )
        late = [files[s.version] for s in statuses if s.state == "out-of-order"]
        if late and not self._include_all:
            raise MigrationError(
                f"{', '.join(late)} is older than the newest applied migration; `supabase db push` refuses it too. "
                "Rename it after the newest version, or apply it anyway with --include-all (make migrate INCLUDE_ALL=1)"
            )

    def inspect(self) -> list[MigrationStatus]:
        """The status without changing anything (no history table created, no lock taken): for
        preflights against a live database."""
        migrations = self._migrations()
        connection = connect(self._database_url)
        try:
            with connection:
                applied = history.read_without_changing(connection)
        except psycopg.Error as error:
            raise MigrationError(f"{describe(self._database_url)}: {scrub(str(error), self._database_url)}") from None
        return self._statuses(migrations, applied)

    def status(self) -> list[MigrationStatus]:
        migrations = self._migrations()
        with self._locked_connection() as connection:
            history.ensure(connection)
            return self._statuses(migrations, history.read(connection))

    # --- migrate -------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Applies every pending migration in order; returns the versions it applied."""
        migrations = self._migrations()
        with self._locked_connection() as connection:
            history.ensure(connection)
            statuses = self._statuses(migrations, history.read(connection))
            self._refuse_drift(statuses, migrations)
            pending = {s.version for s in statuses if s.state in ("pending", "out-of-order")}
            applied: list[str] = []
            for migration in migrations:
                if migration.version in pending:
                    self._apply(connection, migration)
                    applied.append(migration.version)
            return applied

    def _apply(self, connection: Connection, migration: Migration) -> None:
        self._reset_session(connection)
        try:
            with connection.transaction():
                for statement in migration.statements:
                    if not statement.executable:
                        continue
                    try:
                        # bytes: the file's SQL is sent as written, never as a query template.
                        connection.execute(statement.sql.encode())
                    except psycopg.OperationalError as error:
                        if connection.broken or connection.closed:
                            raise _lost(
                                self._database_url,
                                error,
                                f"applying {migration.file_name}:{statement.line}; nothing of it was recorded",
                            ) from None
                        raise self._failed(migration, statement.line, statement.sql, error) from None
                    except psycopg.Error as error:
                        raise self._failed(migration, statement.line, statement.sql, error) from None
                history.record(connection, migration, baselined=False)
        except psycopg.OperationalError as error:
            # The statements ran; the commit's outcome is unknown.
            raise _lost(
                self._database_url,
                error,
                f"committing {migration.file_name}; run `make migrate-status` to see whether it was recorded",
            ) from None

    def _failed(self, migration: Migration, line: int, sql: str, error: psycopg.Error) -> MigrationError:
        position = error.diag.statement_position
        if position:
            line += sql[: int(position) - 1].count("\n")
        message = scrub(error.diag.message_primary or str(error), self._database_url)
        return MigrationError(
            f"{migration.file_name}:{line}: {message} (the whole file was rolled back; nothing recorded)"
        )

    # --- baseline ------------------------------------------------------------------------

    def baseline(self, up_to: str | None = None) -> list[str]:
        """Records files as applied without running them, after checking their objects exist.

        For databases where the files were applied by hand. ``up_to`` limits it to versions up
        to and including that one. All or nothing: one missing object records no file.
        """
        migrations = [m for m in self._migrations() if up_to is None or m.version <= up_to]
        if up_to is not None and not any(m.version == up_to for m in migrations):
            raise MigrationError(f"no migration file has version {up_to}")
        with self._locked_connection() as connection:
            history.ensure(connection)
            statuses = self._statuses(migrations, history.read(connection))
            self._refuse_drift(statuses, migrations)
            pending = [m for m, s in zip(migrations, statuses, strict=False) if s.state in ("pending", "out-of-order")]
            missing = [
                f"{migration.file_name}: {what}"
                for migration in pending
                for what in _missing_objects(connection, migration)
            ]
            if missing:
                raise MigrationError("cannot baseline, objects are missing from the database: " + "; ".join(missing))
            with connection.transaction():
                for migration in pending:
                    history.record(connection, migration, baselined=True)
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


def _missing_objects(connection: Connection, migration: Migration) -> list[str]:
    """The objects a migration creates (tables, indexes, functions, policies, triggers,
    constraints; found by parsing the file with pglast) that the database lacks."""
    missing: list[str] = []
    for raw in pglast.parse_sql(migration.sql):
        for what, query, params in _expectations(raw.stmt):
            row = connection.execute(query.encode(), params).fetchone()
            if not (row and row[0]):
                missing.append(what)
    return missing
