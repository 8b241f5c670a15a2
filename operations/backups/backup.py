"""`make backup` (DATABASE_URL from the environment): an independent dump of the project's data.

Supabase's own backups and restores are not enough to rely on alone (restores have hung for
hours), so this writes, from one consistent snapshot:

- ``<name>.dump``: a ``pg_dump`` custom-format archive of the project's own schemas (``public``)
  and the migration history (``supabase_migrations``), schema and data;
- ``<name>.auth-users.dump``: the data of ``auth.users``, which the project's tables reference
  (Supabase owns the ``auth`` schema itself; a new project already has it);
- ``<name>.manifest.json``: when, from which server and history version, each archive's SHA-256,
  each table's row count and checksum (which ``make restore-drill`` checks the restore against),
  and the definitions of the project's triggers on ``auth.users`` (the sign-up trigger), which
  live in Supabase's schema and so in neither archive.

``<name>`` is ``newcool-<UTC time>-v<newest applied migration>``. The ``pg_dump`` used must have the
server's major version (a newer one writes archives an older ``pg_restore`` cannot read, an older
one refuses a newer server): otherwise one line, and nothing written.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from db_migrations.connection import connect, describe, scrub
from db_migrations.errors import MigrationError

SCHEMAS = ("public", "supabase_migrations")
AUTH_USERS = "auth.users"
MANIFEST_FORMAT = "newcool-backup/1"
_VERSION = re.compile(r"\(PostgreSQL\) (\d+)")
# Bounds on the client tools: a dump or restore that hangs (a stalled connection, a lock) ends in
# one line instead of holding the job until CI kills it.
TOOL_TIMEOUT_SECONDS = 3600
VERSION_TIMEOUT_SECONDS = 30


class BackupError(RuntimeError):
    """The backup could not be made (one line; nothing is left behind)."""


@dataclass(frozen=True)
class TableFacts:
    rows: int
    checksum: str


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def server_tool(name: str, major: int) -> str:
    """The PostgreSQL client tool of this major version: $PG_BIN, Debian's, then PATH."""
    candidates = [Path(os.environ["PG_BIN"]) / name] if os.environ.get("PG_BIN") else []
    candidates.append(Path(f"/usr/lib/postgresql/{major}/bin/{name}"))
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    return shutil.which(name) or name


def run_tool(command: Sequence[str], timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """A PostgreSQL client tool, bounded: running past ``timeout`` (``TOOL_TIMEOUT_SECONDS``) is
    one BackupError line."""
    timeout = TOOL_TIMEOUT_SECONDS if timeout is None else timeout
    try:
        return subprocess.run(list(command), capture_output=True, text=True, check=False, timeout=timeout)  # noqa: S603
    except subprocess.TimeoutExpired:
        raise BackupError(f"{Path(command[0]).name} ran past {timeout:g} s and was stopped") from None
    except OSError:
        raise BackupError(f"{command[0]} cannot be run: install the PostgreSQL client tools") from None


def tool_major(tool: str) -> int:
    result = run_tool([tool, "--version"], VERSION_TIMEOUT_SECONDS)
    if result.returncode != 0:
        raise BackupError(f"{tool} cannot be run: install the PostgreSQL client tools")
    output = result.stdout
    match = _VERSION.search(output)
    if match is None:
        raise BackupError(f"{tool} --version says {output.strip()!r}, not a PostgreSQL version")
    return int(match[1])


def table_facts(connection: psycopg.Connection[Any], tables: Sequence[str]) -> dict[str, TableFacts]:
    """Row count and a checksum of every row's text, in a stable order, per table."""
    facts = {}
    for table in tables:
        schema, name = table.split(".", 1)
        query = (
            f"select count(*), coalesce(md5(string_agg(t::text, E'\\n' order by t::text)), '') "  # noqa: S608
            f'from "{schema}"."{name}" t'
        )
        row = connection.execute(query.encode()).fetchone()
        assert row is not None
        facts[table] = TableFacts(int(row[0]), str(row[1]))
    return facts


def dumped_tables(connection: psycopg.Connection[Any]) -> list[str]:
    rows = connection.execute(
        "select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where c.relkind in ('r', 'p') and n.nspname = any(%s) order by 1",
        (list(SCHEMAS),),
    ).fetchall()
    return [str(row[0]) for row in rows] + [AUTH_USERS]


def backup(database_url: str, directory: Path, now: datetime.datetime | None = None) -> Path:
    """Writes the archives and their manifest; returns the manifest's path."""
    now = now or datetime.datetime.now(datetime.UTC)
    try:
        connection = connect(database_url)
    except MigrationError as error:
        raise BackupError(str(error)) from None
    written: list[Path] = []
    try:
        with connection:
            major = int(str(connection.execute("show server_version_num").fetchone()[0])) // 10000  # type: ignore[index]
            pg_dump = server_tool("pg_dump", major)
            if (dump_major := tool_major(pg_dump)) != major:
                raise BackupError(
                    f"{pg_dump} is PostgreSQL {dump_major}, the server {major}: use a pg_dump of the server's major "
                    "version (PG_BIN=/usr/lib/postgresql/<major>/bin); nothing was written"
                )
            # One snapshot for the facts and both archives: they describe the same moment.
            connection.execute("begin isolation level repeatable read, read only")
            snapshot = str(connection.execute("select pg_export_snapshot()").fetchone()[0])  # type: ignore[index]
            history = connection.execute(
                "select coalesce(max(version), 'none') from supabase_migrations.schema_migrations"
            ).fetchone()
            version = str(history[0]) if history else "none"
            facts = table_facts(connection, dumped_tables(connection))
            # Triggers the project put on auth.users (Supabase's schema, not in the archives).
            triggers = [
                str(row[0])
                for row in connection.execute(
                    "select pg_get_triggerdef(oid) from pg_trigger "
                    "where tgrelid = 'auth.users'::regclass and not tgisinternal order by tgname"
                ).fetchall()
            ]
            name = f"newcool-{now:%Y%m%dT%H%M%SZ}-v{version}"
            directory.mkdir(parents=True, exist_ok=True)
            main, users = directory / f"{name}.dump", directory / f"{name}.auth-users.dump"
            base = [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--dbname={database_url}"]
            for target, selection in (
                (main, [f"--schema={schema}" for schema in SCHEMAS]),
                (users, [f"--table={AUTH_USERS}", "--data-only"]),
            ):
                written.append(target)
                _run([*base, *selection, f"--file={target}"], database_url)
            connection.execute("commit")
    except (psycopg.Error, BackupError) as error:
        for path in written:
            path.unlink(missing_ok=True)
        message = scrub(str(error), database_url)
        raise BackupError(
            message if isinstance(error, BackupError) else f"{describe(database_url)}: {message}"
        ) from None
    manifest = directory / f"{name}.manifest.json"
    document = {
        "format": MANIFEST_FORMAT,
        "createdAt": now.isoformat(timespec="seconds"),
        "serverMajor": major,
        "historyVersion": version,
        "schemas": list(SCHEMAS),
        "archives": {path.name: sha256(path) for path in (main, users)},
        "tables": {table: {"rows": f.rows, "checksum": f.checksum} for table, f in facts.items()},
        "authUsersTriggers": triggers,
    }
    manifest.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return manifest


def _run(command: list[str], database_url: str) -> None:
    result = run_tool(command)
    if result.returncode != 0:
        lines = scrub(result.stderr, database_url).strip().splitlines() or ["failed"]
        raise BackupError(f"{Path(command[0]).name}: {lines[-1]}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make backup", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--directory", type=Path, default=Path("backups"), help="where to write (default backups/)")
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        print("error: set DATABASE_URL (the session pooler URL, as make migrate reads it)", file=sys.stderr)
        return 2
    try:
        manifest = backup(database_url, args.directory)
    except BackupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    document = json.loads(manifest.read_text())
    rows = sum(table["rows"] for table in document["tables"].values())
    print(f"wrote {manifest.name} and its archives: {len(document['tables'])} tables, {rows} rows, "
          f"history version {document['historyVersion']}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
