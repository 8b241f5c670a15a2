"""A throwaway PostgreSQL 15 cluster for the SQL tests, the RLS benchmark and the access matrix.

PostgreSQL refuses to run as root, and these machines run as root: the server then runs as the
``postgres`` system user (``runuser -u postgres --``), and as the current user otherwise.
pytest-postgresql's executor starts the server as the current user, so it cannot be used here.

As on Supabase, the cluster's superuser is ``supabase_admin`` and ``postgres`` is not a
superuser (``localdb/supabase_compat.sql`` makes the rest); migrations run as ``postgres``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
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


# A throwaway cluster lives in memory where the machine has room for it: on this kind of machine
# initdb takes 0.4 s there against 1.1 s on disk, and copying a database from the template 0.03 s
# against 0.25 s (fsync is off either way; the disk's write path is what costs). A container's
# default /dev/shm (64 MiB) is too small for a cluster, so it is used only with room to spare.
MEMORY_SCRATCH = Path("/dev/shm")  # noqa: S108 (a directory made private by mkdtemp below)
MEMORY_SCRATCH_ROOM = 2 * 1024**3


def scratch_directory() -> str | None:
    """Where the cluster's data directory goes: memory with room to spare, else the temp dir."""
    try:
        usage = shutil.disk_usage(MEMORY_SCRATCH)
    except OSError:
        return None
    return str(MEMORY_SCRATCH) if usage.free >= MEMORY_SCRATCH_ROOM and os.access(MEMORY_SCRATCH, os.W_OK) else None


# initdb writes the same files for every cluster of a process: it runs once, and each cluster
# starts from a copy (0.05 s in memory against 0.4 s); the original goes when the process exits.
_initialized: dict[str, Path] = {}
_initializing = threading.Lock()


def _initialized_data_directory(run: Callable[..., None], as_root: bool) -> Path:
    with _initializing:
        if "data" not in _initialized:
            holder = Path(tempfile.mkdtemp(prefix="newcool-pg-initdb-", dir=scratch_directory()))
            atexit.register(shutil.rmtree, holder, ignore_errors=True)
            if as_root:
                shutil.chown(holder, "postgres", "postgres")
            data = holder / "data"
            run(
                str(PG_BIN / "initdb"),
                *("-D", str(data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8"),
                *("--no-sync", "--no-instructions"),
            )
            _initialized["data"] = data
        return _initialized["data"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresCluster:
    def __init__(self, settings: dict[str, str] | None = None):
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(f"PostgreSQL 15 server binaries not found in {PG_BIN} (apt-get install postgresql-15)")
        self.as_root = os.geteuid() == 0
        self.directory = Path(tempfile.mkdtemp(prefix="newcool-pg-", dir=scratch_directory()))
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

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        result = subprocess.run([*prefix, *command], capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise RuntimeError(f"{Path(command[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")

    def start(self) -> None:
        if self.as_root:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run("cp", "-a", str(_initialized_data_directory(self._run, self.as_root)), str(self.data))
        options = " ".join(f"-c {key}={value}" for key, value in self.settings.items())
        self._run(
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
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
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
