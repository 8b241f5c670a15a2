"""Supabase's own test format on a real PostgreSQL: the pgTAP files of ``supabase/tests`` run
with ``pg_prove`` against the strict Supabase fixture, as ``supabase test db`` runs them.

Plus the fixture's own emulation of the API's JWT handling, which the files rely on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from localdb import pgtap
from localdb.cluster import PostgresCluster

pytestmark = pytest.mark.sql
OPERATIONS = ("select", "insert", "update", "delete")
USER_A = "aaaaaaaa-0000-4000-8000-00000000000a"
USER_B = "bbbbbbbb-0000-4000-8000-00000000000b"


def dbname_of(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


@pytest.fixture(scope="module")
def result(cluster: PostgresCluster, app_db: str) -> pgtap.TapResult:
    return pgtap.pg_prove(cluster, dbname_of(app_db))


def planned(path: Path) -> int:
    match = re.search(r"select plan\((\d+)\);", path.read_text())
    assert match, f"{path.name} declares no plan"
    return int(match[1])


def test_every_pgtap_file_passes_on_the_supabase_fixture(result: pgtap.TapResult) -> None:
    assert result.passed, result.output
    failed = [description for passed, description in result.assertions if not passed]
    assert failed == []
    # Every planned assertion ran (a file that stops early shows fewer).
    assert len(result.assertions) == sum(planned(path) for path in pgtap.test_files()) > 100


def public_tables(cluster: PostgresCluster, app_db: str) -> set[str]:
    """The tables the migrations made, read from the catalog."""
    with cluster.admin(dbname_of(app_db)) as admin:
        rows = admin.execute(
            "select relname from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p')"
        ).fetchall()
    return {str(row[0]) for row in rows}


def test_the_access_tests_cover_every_operation_and_actor_on_each_table_they_test(
    result: pgtap.TapResult, cluster: PostgresCluster, app_db: str
) -> None:
    cells = pgtap.access_assertions(result)
    tested = {c.table for c in cells}
    # Only tables the migrations make (a dropped or renamed one is noticed); the schema tests
    # (02_schema) hold every table of the catalog, tested here or not, to RLS and the grants.
    assert tested and tested <= public_tables(cluster, app_db)
    for table in tested:
        for operation in OPERATIONS:
            assert any(c.table == table and c.operation == operation for c in cells), (table, operation)
    attempts: dict[tuple[str, str], dict[str, str]] = {}
    for cell in cells:
        attempts.setdefault((cell.table, cell.attempt), {})[cell.who] = cell.outcome
    for attempt, outcomes in attempts.items():
        assert set(outcomes) == set(pgtap.ACTORS), attempt
        # Some actor gets rows from every attempt, so none passes by touching nothing.
        assert any(o not in ("denied", "0 rows (RLS)") for o in outcomes.values()), attempt


def test_a_wrong_expectation_fails_the_run(cluster: PostgresCluster, app_db: str, tmp_path: Path) -> None:
    source = pgtap.TESTS_DIR / "database" / "01_access.test.sql"
    wrong = tmp_path / source.name
    text = source.read_text()
    # User A may edit their own display name: claim instead that it is refused.
    line = next(each for each in text.splitlines() if "| edit own display name | user A | 1 row" in each)
    broken = (
        "select throws_ok($$ update public.profiles set display_name = 'New' "
        f"where id = '{USER_A}' $$, '42501', null, 'profiles | update | edit own display name | user A | denied');"
    )
    wrong.write_text(text.replace(line, broken))
    run = pgtap.pg_prove(cluster, dbname_of(app_db), [wrong])
    assert not run.passed
    assert [d for passed, d in run.assertions if not passed] == [
        "profiles | update | edit own display name | user A | denied"
    ]
    denied = [c for c in pgtap.access_assertions(run) if c.outcome == "denied" and c.who == "user A"]
    assert all(c.attempt != "edit own display name" for c in denied), "a failed assertion is never a matrix cell"


@pytest.fixture(scope="module")
def api(cluster: PostgresCluster, app_db: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with psycopg.connect(cluster.url(dbname_of(app_db), user="authenticator")) as connection:
        yield connection


def test_auth_uid_reads_claims_and_is_null_when_unset_or_after_a_transaction(
    api: psycopg.Connection[tuple[object, ...]],
) -> None:
    def uid_as_authenticated(setting: str | None = None, value: str = "") -> object:
        with api.transaction(force_rollback=True):
            api.execute("select set_config('role', 'authenticated', true)")
            if setting:
                api.execute("select set_config(%s, %s, true)", (setting, value))
            row = api.execute("select auth.uid()::text").fetchone()
            return row[0] if row else None

    assert uid_as_authenticated() is None
    assert uid_as_authenticated("request.jwt.claims", json.dumps({"sub": USER_A})) == USER_A
    # The claims setting now exists on this session and reads back as '' outside the transaction.
    assert uid_as_authenticated() is None
    assert uid_as_authenticated("request.jwt.claims", json.dumps({"role": "anon"})) is None
    assert uid_as_authenticated("request.jwt.claim.sub", USER_B) == USER_B


def test_the_fixture_is_as_strict_as_supabase(cluster: PostgresCluster, app_db: str) -> None:
    with cluster.admin(dbname_of(app_db)) as admin:
        roles = {
            str(row[0]): tuple(bool(flag) for flag in row[1:])
            for row in admin.execute(
                "select rolname, rolsuper, rolinherit, rolcanlogin, rolbypassrls, rolcreaterole, rolcreatedb, "
                "rolreplication from pg_roles where rolname in "
                "('postgres', 'anon', 'authenticated', 'service_role', 'authenticator')"
            ).fetchall()
        }
        members = {
            str(row[0])
            for row in admin.execute(
                "select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid "
                "where m.member = 'postgres'::regrole"
            ).fetchall()
        }
        owner = admin.execute("select nspowner::regrole::text from pg_namespace where nspname = 'auth'").fetchone()
        users = admin.execute(
            "select relrowsecurity, (select count(*) from pg_attribute where attrelid = c.oid and attnum > 0) "
            "from pg_class c where oid = 'auth.users'::regclass"
        ).fetchone()
    # (superuser, inherit, login, bypassrls, createrole, createdb, replication)
    assert roles["postgres"] == (False, True, True, True, True, True, True)
    assert roles["anon"] == roles["authenticated"] == (False, True, False, False, False, False, False)
    assert roles["service_role"] == (False, True, False, True, False, False, False)
    assert roles["authenticator"][:3] == (False, False, True), "authenticator does not inherit its roles' rights"
    assert {"anon", "authenticated", "service_role"} <= members
    assert owner == ("supabase_admin",)
    assert users is not None and users[0] is True and int(str(users[1])) >= 35
