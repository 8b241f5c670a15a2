"""`make backup` then `make restore-drill`, on a real PostgreSQL 15 with the migrations applied and
rows in the app's tables: the drill restores into a throwaway cluster and proves it; a damaged,
truncated or foreign archive fails with one line. Which tables there are is read from the
catalog, so a new migration's table is backed up, counted and restored with no edit here."""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

import psycopg
import pytest

from db_migrations.files import MIGRATIONS_DIR
from localdb.cluster import PostgresCluster
from operations.backups import backup as backup_command
from operations.backups import restore_drill
from operations.backups.backup import BackupError, backup

pytestmark = pytest.mark.sql
MOMENT = datetime.datetime(2026, 11, 30, 3, 0, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def populated(cluster: PostgresCluster, migrated_template: str) -> str:
    """The migrated schema with rows in every table, as the app writes them."""
    url = cluster.create_database("backup_source", template=migrated_template)
    with cluster.admin("backup_source") as admin:
        admin.execute(
            """insert into auth.users (id, email, raw_user_meta_data)
               select ('00000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, 'u' || n || '@example.com',
                      jsonb_build_object('display_name', 'User ' || n)
               from generate_series(1, 40) n"""
        )
        admin.execute(
            """insert into public.modules (slug, title, is_published)
               select 'module-' || n, 'Module ' || n, n % 2 = 0 from generate_series(1, 12) n"""
        )
        admin.execute(
            """insert into public.user_modules (user_id, module_id)
               select u.id, m.id from auth.users u cross join (select id from public.modules limit 3) m"""
        )
        admin.execute("insert into public.sessions (user_id) select id from auth.users")
    return url


def catalog_tables(url: str) -> dict[str, int]:
    """Every table the backup must hold (the project's schemas, and auth.users), with its rows now."""
    with psycopg.connect(url, autocommit=True) as connection:
        names = [
            str(row[0])
            for row in connection.execute(
                "select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where c.relkind in ('r', 'p') and n.nspname in ('public', 'supabase_migrations')"
            ).fetchall()
        ] + ["auth.users"]
        counts = {}
        for name in names:
            schema, table = name.split(".")
            row = connection.execute(f'select count(*) from "{schema}"."{table}"'.encode()).fetchone()
            counts[name] = int(row[0]) if row else -1
        return counts


@pytest.fixture(scope="module")
def manifest(populated: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return backup(populated, tmp_path_factory.mktemp("backups"), MOMENT)


def test_the_backup_names_its_time_and_history_and_counts_every_table(populated: str, manifest: Path) -> None:
    document = json.loads(manifest.read_text())
    assert manifest.name.startswith("newcool-20261130T030000Z-v")
    assert manifest.name.removesuffix(".manifest.json").endswith(document["historyVersion"])
    rows = {table: facts["rows"] for table, facts in document["tables"].items()}
    # Every table the catalog holds, each with the rows it holds: a new migration's table too.
    assert rows == catalog_tables(populated)
    assert rows["auth.users"] == 40 and rows["public.profiles"] == 40 and rows["public.sessions"] == 40
    assert rows["public.user_modules"] == 120 and rows["public.modules"] == 12
    assert rows["supabase_migrations.schema_migrations"] == len(list(MIGRATIONS_DIR.glob("*.sql")))
    # The sign-up trigger lives on auth.users, outside both archives: the manifest carries it.
    assert any("handle_new_user" in trigger for trigger in document["authUsersTriggers"])
    assert set(document["archives"]) == {
        manifest.name.replace(".manifest.json", ".dump"),
        manifest.name.replace(".manifest.json", ".auth-users.dump"),
    }


def test_the_drill_restores_and_proves_the_backup(
    populated: str, manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert restore_drill.main([str(manifest.with_name(manifest.name.replace(".manifest.json", ".dump")))]) == 0
    out = capsys.readouterr().out
    for table, rows in catalog_tables(populated).items():
        assert f"  {table}: {rows} rows, checksum" in out, table
    assert "restore drill passed" in out and "pgTAP green" in out
    assert "RTO (this path, restore and checks):" in out and "RPO (backup age):" in out


def copy_of(manifest: Path, destination: Path) -> Path:
    for path in manifest.parent.iterdir():
        (destination / path.name).write_bytes(path.read_bytes())
    return destination / manifest.name.replace(".manifest.json", ".dump")


def test_a_truncated_archive_fails_the_drill_in_one_line(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = copy_of(manifest, tmp_path)
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    assert restore_drill.main([str(archive)]) == 1
    err = capsys.readouterr().err.strip()
    assert (
        err == f"restore drill failed: {archive.name}: damaged or truncated (its SHA-256 differs from the manifest's)"
    )


def test_a_foreign_archive_fails_the_drill_in_one_line(
    manifest: Path, cluster: PostgresCluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another database's dump, with a manifest that vouches for it: its contents give it away."""
    foreign_url = cluster.create_database("foreign_db")
    with psycopg.connect(foreign_url, autocommit=True) as connection:
        connection.execute("create table public.invoices (id int primary key)")
    archive = copy_of(manifest, tmp_path)
    made = backup_command.server_tool("pg_dump", 15)
    os.system(f"{made} --format=custom --dbname='{foreign_url}' --file={archive}")
    document = json.loads((tmp_path / manifest.name).read_text())
    document["archives"][archive.name] = backup_command.sha256(archive)
    (tmp_path / manifest.name).write_text(json.dumps(document))
    assert restore_drill.main([str(archive)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"restore drill failed: {archive.name}: its table of contents lacks ")
    assert "public.profiles" in err and "\n" not in err


def test_a_pg_dump_of_another_major_version_is_refused_and_nothing_is_written(
    populated: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "bin" / "pg_dump"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 17.2'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PG_BIN", str(fake.parent))
    with pytest.raises(BackupError) as raised:
        backup(populated, tmp_path / "out", MOMENT)
    assert "is PostgreSQL 17, the server 15" in str(raised.value) and "nothing was written" in str(raised.value)
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_an_unreachable_database_is_one_line_without_the_password(capsys: pytest.CaptureFixture[str]) -> None:
    os.environ["DATABASE_URL"] = "postgresql://postgres:s3cret-pw@127.0.0.1:1/postgres?sslmode=disable"
    try:
        assert backup_command.main(["--directory", "/tmp/none"]) == 1
    finally:
        del os.environ["DATABASE_URL"]
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "s3cret" not in err


def test_a_client_tool_that_runs_past_its_timeout_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hung = tmp_path / "pg_dump"
    hung.write_text("#!/bin/sh\nsleep 5\n")
    hung.chmod(0o755)
    monkeypatch.setattr(backup_command, "TOOL_TIMEOUT_SECONDS", 0.2)
    with pytest.raises(BackupError) as stopped:
        backup_command.run_tool([str(hung), "--format=custom"])
    assert str(stopped.value) == "pg_dump ran past 0.2 s and was stopped"
