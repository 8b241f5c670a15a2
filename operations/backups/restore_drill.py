"""`make restore-drill BACKUP=path`: restore a backup into a throwaway PostgreSQL 15 and prove it.

The archive is restored into a database as strict as Supabase (``localdb``), then checked:
the archives are the ones the manifest names (SHA-256), every table the manifest lists is in
the archive's table of contents, the migration history matches ``supabase/migrations``, the
pgTAP suite passes, every table's row count and checksum equal the manifest's, and row level
security is on for every table in ``public``. It prints the time the restore and the checks took
(this path's RTO) and the backup's age (its RPO). A damaged, truncated or foreign archive fails
with one line; the throwaway cluster is removed whatever happens.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from db_migrations import Runner
from localdb import pgtap
from localdb.cluster import PostgresCluster, running_cluster
from operations.backups.backup import MANIFEST_FORMAT, run_tool, server_tool, sha256, table_facts

DRILL_DB = "restore_drill"
# What a new Supabase database already has: the public schema, its grants, and the platform's
# default privileges there (set by supabase_admin, which the restoring role may not act for).
PLATFORM_ENTRY = re.compile(r"\b(SCHEMA|COMMENT|ACL) - (SCHEMA )?public\b|\bDEFAULT ACL\b")
# Supabase grants anon, authenticated and service_role everything on what postgres creates in
# public (default privileges). pg_dump writes a table's grants relative to PostgreSQL's own
# defaults, so a restore as postgres would reopen to anon every table the migrations closed:
# the defaults are suspended while the archive is restored, then put back.
API_ROLES = "anon, authenticated, service_role"
DEFAULTS = "alter default privileges for role postgres in schema public"
OBJECT_KINDS = ("tables", "sequences", "functions")


@contextmanager
def default_privileges_suspended(cluster: PostgresCluster, database: str) -> Iterator[None]:
    with cluster.admin(database) as admin:
        for kind in OBJECT_KINDS:
            admin.execute(f"{DEFAULTS} revoke all on {kind} from {API_ROLES}".encode())
    try:
        yield
    finally:
        with cluster.admin(database) as admin:
            for kind in OBJECT_KINDS:
                admin.execute(f"{DEFAULTS} grant all on {kind} to {API_ROLES}".encode())


# The pgTAP suite seeds its own rows and counts them: it runs on the restored schema alone.
SCHEMA_DB = "restore_drill_schema"


class DrillError(RuntimeError):
    """The backup did not restore to what its manifest promises (one line)."""


@dataclass(frozen=True)
class DrillReport:
    tables: dict[str, tuple[int, str]]
    seconds: float
    age: datetime.timedelta
    history_version: str


def load_manifest(backup: Path) -> tuple[dict[str, Any], Path, Path]:
    """The manifest beside ``backup`` (the main archive or the manifest), and the two archives."""
    name = backup.name.removesuffix(".manifest.json").removesuffix(".auth-users.dump").removesuffix(".dump")
    manifest_path = backup.parent / f"{name}.manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, json.JSONDecodeError):
        raise DrillError(f"{backup.name}: no readable manifest {manifest_path.name} beside it") from None
    if manifest.get("format") != MANIFEST_FORMAT:
        raise DrillError(f"{manifest_path.name}: not a NewCool backup manifest")
    main, users = backup.parent / f"{name}.dump", backup.parent / f"{name}.auth-users.dump"
    for archive in (main, users):
        if not archive.exists():
            raise DrillError(f"{archive.name}: missing")
        if sha256(archive) != manifest["archives"].get(archive.name):
            raise DrillError(f"{archive.name}: damaged or truncated (its SHA-256 differs from the manifest's)")
    return manifest, main, users


def table_of_contents(pg_restore: str, archive: Path) -> set[str]:
    """The tables whose data the archive holds (pg_restore --list)."""
    result = run_tool([pg_restore, "--list", str(archive)])
    if result.returncode != 0:
        raise DrillError(f"{archive.name}: not a pg_dump archive ({result.stderr.strip().splitlines()[-1]})")
    tables = set()
    for line in result.stdout.splitlines():
        parts = line.split()
        if "TABLE DATA" in line and len(parts) >= 7:
            tables.add(f"{parts[-3]}.{parts[-2]}")
    return tables


def _restore(
    pg_restore: str, cluster: PostgresCluster, database: str, archive: Path, *options: str, user: str = "postgres"
) -> None:
    target = f"--dbname={cluster.url(database, user)}"
    # Restore what the project made, not what every Supabase database already has.
    listing = run_tool([pg_restore, "--list", str(archive)])
    if listing.returncode != 0:
        raise DrillError(f"{archive.name}: pg_restore --list failed")
    kept = [line for line in listing.stdout.splitlines() if not PLATFORM_ENTRY.search(line)]
    with tempfile.NamedTemporaryFile("w", suffix=".list") as use_list:
        use_list.write("\n".join(kept) + "\n")
        use_list.flush()
        command = [
            pg_restore,
            "--exit-on-error",
            "--no-owner",
            target,
            f"--use-list={use_list.name}",
            *options,
            str(archive),
        ]
        result = run_tool(command)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        reason = next((line for line in lines if "error:" in line), lines[-1] if lines else "failed")
        raise DrillError(f"{archive.name}: pg_restore failed: {reason}")


def drill(backup: Path, now: datetime.datetime | None = None) -> DrillReport:
    manifest, main, users = load_manifest(backup)
    pg_restore = server_tool("pg_restore", int(manifest["serverMajor"]))
    expected = set(manifest["tables"])
    missing = sorted(expected - table_of_contents(pg_restore, main) - table_of_contents(pg_restore, users))
    if missing:
        raise DrillError(f"{main.name}: its table of contents lacks {', '.join(missing)}")
    started = time.monotonic()
    with running_cluster() as cluster:
        cluster.supabase_database(DRILL_DB, migrate=False)
        # The users first (the project's tables reference them), as the owner of auth, and without
        # the sign-up trigger: the profiles it would make are restored from the archive itself.
        _restore(pg_restore, cluster, DRILL_DB, users, "--data-only", "--disable-triggers", user="supabase_admin")
        with default_privileges_suspended(cluster, DRILL_DB):
            _restore(pg_restore, cluster, DRILL_DB, main)
        cluster.supabase_database(SCHEMA_DB, migrate=False)
        with default_privileges_suspended(cluster, SCHEMA_DB):
            _restore(pg_restore, cluster, SCHEMA_DB, main, "--schema-only")
        # Triggers on auth.users (the sign-up trigger) live in Supabase's schema, outside the
        # archive: the manifest holds their definitions, re-created once the functions exist.
        for database in (DRILL_DB, SCHEMA_DB):
            with cluster.admin(database) as admin:
                for definition in manifest.get("authUsersTriggers", []):
                    admin.execute(definition.encode())
        url = cluster.url(DRILL_DB)
        statuses = Runner(url).inspect()
        off = [f"{s.version} {s.state}" for s in statuses if s.state not in ("applied", "baselined")]
        if off:
            raise DrillError(f"the restored migration history disagrees with supabase/migrations: {', '.join(off)}")
        tap = pgtap.pg_prove(cluster, SCHEMA_DB)
        if not tap.passed:
            failed = [description for passed, description in tap.assertions if not passed]
            raise DrillError(f"the pgTAP suite fails on the restored database: {failed[:3] or tap.output[-200:]}")
        with psycopg.connect(cluster.url(DRILL_DB, "supabase_admin"), autocommit=True) as connection:
            restored = table_facts(connection, sorted(expected))
            unprotected = [
                str(row[0])
                for row in connection.execute(
                    "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                    "where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity order by 1"
                ).fetchall()
            ]
    for table, facts in manifest["tables"].items():
        got = restored[table]
        if (got.rows, got.checksum) != (facts["rows"], facts["checksum"]):
            raise DrillError(
                f"{table}: restored {got.rows} rows (checksum {got.checksum[:12]}), the backup had {facts['rows']} "
                f"(checksum {facts['checksum'][:12]})"
            )
    if unprotected:
        raise DrillError(f"row level security is off on restored public tables: {', '.join(unprotected)}")
    created = datetime.datetime.fromisoformat(manifest["createdAt"])
    return DrillReport(
        tables={table: (f.rows, f.checksum) for table, f in restored.items()},
        seconds=time.monotonic() - started,
        age=(now or datetime.datetime.now(datetime.UTC)) - created,
        history_version=str(manifest["historyVersion"]),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make restore-drill", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("backup", type=Path, help="the backup's .dump (or .manifest.json)")
    args = parser.parse_args(argv)
    try:
        report = drill(args.backup)
    except (DrillError, RuntimeError) as error:
        print(f"restore drill failed: {error}", file=sys.stderr)
        return 1
    for table, (rows, checksum) in sorted(report.tables.items()):
        print(f"  {table}: {rows} rows, checksum {checksum[:12]} (as backed up)")
    print(f"restore drill passed: history v{report.history_version}, pgTAP green, RLS on every public table")
    print(f"RTO (this path, restore and checks): {report.seconds:.1f} s; RPO (backup age): {report.age}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
