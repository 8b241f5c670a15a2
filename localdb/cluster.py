"""A throwaway PostgreSQL 15 cluster for the SQL tests, the RLS benchmark and the access matrix.

PostgreSQL refuses to run as root, and these machines run as root: the server then runs as the
``postgres`` system user (``runuser -u postgres --``), and as the current user otherwise.
pytest-postgresql's executor starts the server as the current user, so it cannot be used here.

As on Supabase, the cluster's superuser is ``supabase_admin`` and ``postgres`` is not a
superuser (``localdb/supabase_compat.sql`` makes the rest); migrations run as ``postgres``.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from db_migrations import Runner

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
COMPAT_SQL = Path(__file__).resolve().parent / "supabase_compat.sql"
TEMPLATE_DB = "newcool_template"
SUPERUSER = "supabase_admin"
# Who migrations and the Supabase CLI connect as (Supabase's `postgres`, not a superuser).
MIGRATION_USER = "postgres"


# Where a cluster's data directory goes: the temp directory, unless this variable names another.
# The tests name /dev/shm when it has room (tests/conftest.py); the commands (the restore drill,
# whose RTO is a figure the runbook quotes, db-drift, the docs) run on disk, as a restore would.
SCRATCH_VARIABLE = "NEWCOOL_PG_SCRATCH"


def scratch_directory() -> str | None:
    return os.environ.get(SCRATCH_VARIABLE) or None


def _owned_directory(prefix: str) -> Path:
    """A new private directory the server's user owns (postgres, when this is root)."""
    directory = Path(tempfile.mkdtemp(prefix=prefix, dir=scratch_directory()))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    return directory


@functools.cache
def _initdb_output() -> Path:
    """A data directory as initdb leaves it, kept until the process exits, for its later clusters
    to copy (0.05 s in memory against initdb's 0.4 s)."""
    holder = _owned_directory("newcool-pg-initdb-")
    atexit.register(shutil.rmtree, holder, ignore_errors=True)
    _initdb(holder / "data")
    return holder / "data"


def _initdb(data: Path) -> None:
    _run_as_owner(
        str(PG_BIN / "initdb"),
        *("-D", str(data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8"),
        *("--no-sync", "--no-instructions"),
    )


_clusters_started = itertools.count()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresCluster:
    def __init__(self, settings: dict[str, str] | None = None):
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(f"PostgreSQL 15 server binaries not found in {PG_BIN} (apt-get install postgresql-15)")
        self.directory = _owned_directory("newcool-pg-")
        self.data = self.directory / "data"
        self.port = _free_port()
        self.settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.directory),
            # Throwaway data: durability costs time and buys nothing.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "60",
            **(settings or {}),
        }

    def start(self) -> None:
        if next(_clusters_started) == 0:
            # A command starts one cluster: initdb straight into it, nothing kept.
            _initdb(self.data)
        else:
            # The tests start many: from the second on, copies of one initdb output.
            _run_as_owner("cp", "-a", str(_initdb_output()), str(self.data))
        options = " ".join(f"-c {key}={value}" for key, value in self.settings.items())
        _run_as_owner(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.directory / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self) -> None:
        try:
            _run_as_owner(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def url(self, dbname: str = "postgres", user: str = MIGRATION_USER) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}?sslmode=disable"

    def admin(self, dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        """A superuser connection (supabase_admin): fixtures only, never the migrations."""
        return psycopg.connect(self.url(dbname, SUPERUSER), autocommit=True)

    def create_database(self, name: str, template: str = "template0") -> str:
        """A database owned by postgres (as Supabase's is); returns postgres's URL for it."""
        with self.admin() as connection:
            # The first database's fixture creates the roles; supabase_database hands it over then.
            owner = MIGRATION_USER if _role_exists(connection, MIGRATION_USER) else SUPERUSER
            connection.execute(f'create database "{name}" owner "{owner}" template "{template}"'.encode())
        return self.url(name)

    def supabase_database(self, name: str, migrate: bool = True) -> str:
        """A database with the Supabase fixture (and the migrations, by default, run as postgres)."""
        url = self.create_database(name)
        with self.admin(name) as connection:
            connection.execute(COMPAT_SQL.read_bytes())
            # public belongs to pg_database_owner, so postgres owns it too from here.
            connection.execute(f'alter database "{name}" owner to {MIGRATION_USER}'.encode())
        if migrate:
            Runner(url).migrate()
        return url


def _run_as_owner(*command: str) -> None:
    """A server tool run as the user owning the data (postgres, when this is root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    result = subprocess.run([*prefix, *command], capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"{Path(command[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")


def _role_exists(connection: psycopg.Connection[tuple[object, ...]], role: str) -> bool:
    row = connection.execute("select exists (select from pg_roles where rolname = %s)", (role,)).fetchone()
    return bool(row and row[0])


@contextmanager
def running_cluster(settings: dict[str, str] | None = None) -> Iterator[PostgresCluster]:
    cluster = PostgresCluster(settings)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
