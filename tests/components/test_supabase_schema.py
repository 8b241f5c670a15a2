"""The Supabase schema resource: what a preview shows, and what create/update/delete do."""

from __future__ import annotations

import re
from pathlib import Path

import dill
import psycopg
import pytest

from db_migrations import MIGRATIONS_DIR, discover
from localdb.cluster import PostgresCluster
from preview.plan import Plan, Secret
from providers.schema_migrations import SchemaMigrationsProvider
from stack_config import ConfigError
from tests.program_runs import run_program

DYNAMIC = "pulumi-python:dynamic/supabase:SchemaMigrations"


def test_the_resource_lists_each_migration_with_its_checksum_and_hides_the_url(plan: Plan) -> None:
    resource = plan.named(DYNAMIC, "migrations")
    component = plan.named("newcool:database:SupabaseSchema", "supabase")
    assert resource.parent == component.urn
    assert resource.props["migrations"] == [m.as_input() for m in discover()]
    assert [m["version"] for m in resource.props["migrations"]] == [m.version for m in discover()]
    assert isinstance(resource.inputs["database_url"], Secret)
    assert "__provider" in resource.props, "the pickled provider travels with the resource"


def test_a_new_migration_file_changes_the_resource_inputs(tmp_path: Path) -> None:
    before = [m.as_input() for m in discover()]
    directory = tmp_path / "migrations"
    directory.mkdir()
    for path in MIGRATIONS_DIR.iterdir():
        (directory / path.name).write_text(path.read_text())
    newest = before[-1]["version"]
    (directory / f"{int(newest) + 1:0{len(newest)}d}_genres.sql").write_text(
        "create table public.test_genres (id bigint primary key);\n"
    )
    after = [m.as_input() for m in discover(directory)]
    provider = SchemaMigrationsProvider()
    diff = provider.diff(
        "supabase-schema", {"database_url": "u", "migrations": before}, {"database_url": "u", "migrations": after}
    )
    assert diff.changes is True
    assert diff.replaces == []
    same = provider.diff(
        "supabase-schema", {"database_url": "u", "migrations": before}, {"database_url": "u", "migrations": before}
    )
    assert same.changes is False


def test_the_provider_pickles_without_a_connection() -> None:
    restored = dill.loads(dill.dumps(SchemaMigrationsProvider(), recurse=True))
    assert isinstance(restored, SchemaMigrationsProvider)
    assert vars(restored) == {}


@pytest.mark.sql
def test_create_applies_update_applies_new_files_and_delete_keeps_the_schema(
    unmigrated_db: str, tmp_path: Path
) -> None:
    provider = SchemaMigrationsProvider()
    props = {"database_url": unmigrated_db, "migrations": [m.as_input() for m in discover()]}
    created = provider.create(props)
    assert created.outs is not None and created.outs["last_applied"] == [m.version for m in discover()]
    updated = provider.update("supabase-schema", created.outs, props)
    assert updated.outs is not None and updated.outs["last_applied"] == []
    provider.delete("supabase-schema", updated.outs)
    with psycopg.connect(unmigrated_db) as connection:
        row = connection.execute("select count(*) from supabase_migrations.schema_migrations").fetchone()
        tables = connection.execute("select to_regclass('public.profiles') is not null").fetchone()
    assert row == (len(discover()),) and tables == (True,)


@pytest.mark.sql
def test_a_failing_apply_reports_the_runner_error(cluster: PostgresCluster) -> None:
    provider = SchemaMigrationsProvider()
    url = f"postgresql://postgres@127.0.0.1:{cluster.port}/no_such_db?sslmode=disable"
    with pytest.raises(
        RuntimeError, match=re.escape(f"migrations: cannot connect to postgres@127.0.0.1:{cluster.port}/no_such_db")
    ):
        provider.create({"database_url": url, "migrations": []})


def test_database_url_must_be_a_postgres_url_and_is_never_echoed() -> None:
    with pytest.raises(ConfigError) as error:
        run_program("dev", {"databaseUrl": Secret("mysql://root:s3cret@db/x")})
    assert str(error.value) == "Pulumi.dev.yaml: newcool-infra:databaseUrl must be a postgresql:// connection string"


@pytest.mark.sql
def test_a_failing_migration_reaches_pulumi_as_one_line_naming_file_and_line(
    unmigrated_db: str, tmp_path: Path
) -> None:
    directory = tmp_path / "migrations"
    directory.mkdir()
    for path in MIGRATIONS_DIR.iterdir():
        (directory / path.name).write_text(path.read_text())
    newest = discover()[-1].version
    broken = directory / f"{int(newest) + 1:0{len(newest)}d}_broken.sql"
    broken.write_text("select 1;\nselect 1/0;\n")
    provider = SchemaMigrationsProvider()
    with pytest.raises(RuntimeError) as error:
        provider.create({"database_url": unmigrated_db, "migrations": [m.as_input() for m in discover(directory)]})
    assert str(error.value) == (
        f"migrations: {broken.name}:2: division by zero (the whole file was rolled back; nothing recorded)"
    )
    assert error.value.__cause__ is None and error.value.__suppress_context__
