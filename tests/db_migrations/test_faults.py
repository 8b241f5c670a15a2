"""The runner under faults, on a real PostgreSQL 15: locks, lost connections, killed runs and
settings that would leak from one file to the next."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

from db_migrations import MigrationError, Runner
from db_migrations.runner import ADVISORY_LOCK_KEY
from localdb.cluster import PostgresCluster
from tests.conftest import ROOT
from tests.db_migrations.support import (
    ALL_VERSIONS,
    dbname_of,
    history,
    later,
    runner_backends,
    table_exists,
    wait_for,
    write,
)

pytestmark = pytest.mark.sql


# --- faults ------------------------------------------------------------------------------------


def test_settings_made_by_one_file_do_not_leak_into_the_next(unmigrated_db: str, migrations_copy: Path) -> None:
    # `supabase db pull` output starts like this; the next file names its table unqualified.
    write(migrations_copy, f"{later(1)}_pulled.sql", "set search_path = '';\nselect 1;\n")
    write(
        migrations_copy,
        f"{later(2)}_genres.sql",
        "create table test_genres (id int primary key);\nalter table test_genres enable row level security;\n",
    )
    assert Runner(unmigrated_db, migrations_copy).migrate()[-2:] == [later(1), later(2)]
    assert table_exists(unmigrated_db, "public.test_genres")


def test_each_file_runs_with_the_default_lock_timeout(unmigrated_db: str, migrations_copy: Path) -> None:
    write(
        migrations_copy,
        f"{later()}_probe.sql",
        "create table public.seen (lock_timeout text primary key);\n"
        "alter table public.seen enable row level security;\n"
        "insert into public.seen values (current_setting('lock_timeout'));\n",
    )
    Runner(unmigrated_db, migrations_copy).migrate()
    with psycopg.connect(unmigrated_db) as connection:
        assert connection.execute("select lock_timeout from public.seen").fetchall() == [("4s",)]


def test_a_migration_waiting_on_a_lock_fails_instead_of_queueing_every_reader(
    cluster: PostgresCluster, unmigrated_db: str, migrations_copy: Path
) -> None:
    Runner(unmigrated_db, migrations_copy).migrate()
    blocked = write(
        migrations_copy, f"{later()}_nickname.sql", "alter table public.profiles add column nickname text;\n"
    )
    with cluster.admin(dbname_of(unmigrated_db)) as holder:
        holder.autocommit = False
        holder.execute("lock table public.profiles in access share mode")
        with pytest.raises(MigrationError) as error:
            Runner(unmigrated_db, migrations_copy, lock_timeout="300ms").migrate()
        holder.rollback()
    assert str(error.value).startswith(f"{blocked.name}:1: canceling statement due to lock timeout")
    assert [row[0] for row in history(unmigrated_db)] == ALL_VERSIONS


def test_a_connection_killed_mid_file_is_one_line_and_records_nothing(
    cluster: PostgresCluster, unmigrated_db: str, migrations_copy: Path
) -> None:
    Runner(unmigrated_db, migrations_copy).migrate()
    slow = write(
        migrations_copy,
        f"{later()}_slow.sql",
        "create table public.slow (id int primary key);\nalter table public.slow enable row level security;\n"
        "select pg_sleep(30);\n",
    )
    errors: list[BaseException] = []

    def run() -> None:
        try:
            Runner(unmigrated_db, migrations_copy).migrate()
        except BaseException as error:  # inspected below
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    assert wait_for(lambda: bool(runner_backends(cluster, dbname_of(unmigrated_db), "%pg_sleep%")))
    with cluster.admin() as admin:
        for pid in runner_backends(cluster, dbname_of(unmigrated_db)):
            admin.execute("select pg_terminate_backend(%s)", (pid,))
    thread.join(timeout=30)
    (error,) = errors
    assert isinstance(error, MigrationError)
    message = str(error)
    assert message.startswith(f"lost the connection to postgres@127.0.0.1:{cluster.port}/{dbname_of(unmigrated_db)}")
    assert f"applying {slow.name}:3; nothing of it was recorded" in message
    assert "terminating connection due to administrator command" in message
    assert "\n" not in message
    assert not table_exists(unmigrated_db, "public.slow")
    assert [row[0] for row in history(unmigrated_db)] == ALL_VERSIONS


def test_a_connection_killed_while_waiting_for_the_lock_is_one_line(
    cluster: PostgresCluster, unmigrated_db: str
) -> None:
    errors: list[BaseException] = []
    with cluster.admin(dbname_of(unmigrated_db)) as holder:
        holder.execute("select pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))

        def run() -> None:
            try:
                Runner(unmigrated_db, lock_wait_seconds=30).migrate()
            except BaseException as error:  # inspected below
                errors.append(error)

        thread = threading.Thread(target=run)
        thread.start()
        # Until it polls for the lock, a kill would interrupt its session set-up instead.
        assert wait_for(lambda: bool(runner_backends(cluster, dbname_of(unmigrated_db), "%pg_try_advisory_lock%")))
        holder.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'newcool-migrations'"
        )
        thread.join(timeout=30)
    (error,) = errors
    assert isinstance(error, MigrationError)
    assert "while waiting for the migration lock; nothing was applied" in str(error)
    assert not table_exists(unmigrated_db, "public.profiles")


def test_a_run_gives_up_on_a_lock_another_run_keeps(cluster: PostgresCluster, unmigrated_db: str) -> None:
    with cluster.admin(dbname_of(unmigrated_db)) as holder:
        holder.execute("select pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        with pytest.raises(MigrationError, match=r"another migration run holds the lock .* nothing was applied"):
            Runner(unmigrated_db, lock_wait_seconds=0.5).migrate()


def test_a_killed_runners_statement_does_not_keep_running_on_the_server(
    cluster: PostgresCluster, unmigrated_db: str, migrations_copy: Path
) -> None:
    write(migrations_copy, f"{later()}_slow.sql", "select pg_sleep(60);\n")
    runner = subprocess.Popen(
        [sys.executable, "-m", "db_migrations", "migrate", "--directory", str(migrations_copy)],
        env={**os.environ, "DATABASE_URL": unmigrated_db},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for(lambda: bool(runner_backends(cluster, dbname_of(unmigrated_db), "%pg_sleep%")))
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=10)
        # client_connection_check_interval: the server notices the runner is gone and cancels
        # the statement instead of sleeping (or holding locks) for the rest of the minute.
        assert wait_for(lambda: not runner_backends(cluster, dbname_of(unmigrated_db)), seconds=20)
    finally:
        if runner.poll() is None:
            runner.kill()


def test_two_concurrent_runs_serialize(unmigrated_db: str) -> None:
    results: list[list[str]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait()
            results.append(Runner(unmigrated_db).migrate())
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(results, key=len) == [[], ALL_VERSIONS]
    assert [row[0] for row in history(unmigrated_db)] == ALL_VERSIONS
