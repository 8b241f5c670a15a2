"""What the migration-runner tests share: versions after the real ones, and questions asked of a
database."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from db_migrations import discover
from localdb.cluster import PostgresCluster

REAL = discover()
ALL_VERSIONS = [m.version for m in REAL]


def later(step: int = 1) -> str:
    """A version after every real one (same width, since versions compare as strings)."""
    newest = ALL_VERSIONS[-1]
    return str(int(newest) + step).zfill(len(newest))


def write(directory: Path, name: str, sql: str) -> Path:
    path = directory / name
    path.write_text(sql)
    return path


def history(url: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as connection:
        return connection.execute(
            "select m.version, m.name, m.statements, c.checksum, c.baselined "
            "from supabase_migrations.schema_migrations m "
            "left join supabase_migrations.newcool_checksums c using (version) order by m.version"
        ).fetchall()


def table_exists(url: str, name: str) -> bool:
    with psycopg.connect(url) as connection:
        row = connection.execute("select to_regclass(%s) is not null", (name,)).fetchone()
    return bool(row and row[0])


def wait_for(condition: Callable[[], bool], seconds: float = 20) -> bool:
    """Polls a condition until it holds or the bound runs out (never an assertion on time)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def runner_backends(cluster: PostgresCluster, dbname: str, query_like: str = "%") -> list[int]:
    with cluster.admin() as admin:
        rows = admin.execute(
            "select pid from pg_stat_activity where application_name = 'newcool-migrations' "
            "and datname = %s and query like %s",
            (dbname, query_like),
        ).fetchall()
    return [int(row[0]) for row in rows]  # type: ignore[call-overload]


def dbname_of(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]
