"""Reaching the database, on a real PostgreSQL 15: unreachable hosts, bad credentials, malformed
URLs (no part of a password is ever printed), TLS, and the command line's one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from db_migrations import MigrationError, Runner
from localdb.cluster import PostgresCluster
from tests.conftest import ROOT
from tests.db_migrations.support import (
    ALL_VERSIONS,
    REAL,
    later,
    write,
)

pytestmark = pytest.mark.sql


# --- connections and secrets -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://postgres@127.0.0.1:1/postgres?sslmode=disable",
            "cannot connect to postgres@127.0.0.1:1/postgres",
        ),
        ("not a url at all", "the database URL cannot be parsed"),
    ],
)
def test_an_unreachable_database_gives_one_clear_error(url: str, expected: str) -> None:
    with pytest.raises(MigrationError) as error:
        Runner(url).migrate()
    assert str(error.value).startswith(expected)
    assert "\n" not in str(error.value)


def test_bad_credentials_give_one_clear_error_without_the_password(cluster: PostgresCluster) -> None:
    url = f"postgresql://intruder:hunter2@127.0.0.1:{cluster.port}/postgres?sslmode=disable"
    with pytest.raises(MigrationError) as error:
        Runner(url).migrate()
    message = str(error.value)
    assert message.startswith(f"cannot connect to intruder@127.0.0.1:{cluster.port}/postgres")
    assert 'role "intruder" does not exist' in message
    assert "hunter2" not in message


MALFORMED_SECRET_URLS = [
    # An unescaped '@' makes libpq read "w0rd-secret@127.0.0.1" as the host and quote it.
    "postgresql://postgres:p@ssw0rd-secret@127.0.0.1:{port}/postgres?sslmode=disable",
    # '/', '?' and '#' end the authority early: libpq would read part of the password as a port.
    "postgresql://postgres:pa/ssw0rd-secret@127.0.0.1:{port}/postgres?sslmode=disable",
    "postgresql://postgres:pa?ssw0rd-secret@127.0.0.1:{port}/postgres",
    "postgresql://postgres:pa#ssw0rd-secret@127.0.0.1:{port}/postgres",
    # Not a URL at all, with the password in it.
    "host=127.0.0.1 port={port} password='ssw0rd-secret",
]


@pytest.mark.parametrize("template", MALFORMED_SECRET_URLS)
def test_no_part_of_a_password_is_printed_however_malformed_the_url(cluster: PostgresCluster, template: str) -> None:
    url = template.format(port=cluster.port)
    result = subprocess.run(
        [sys.executable, "-m", "db_migrations", "migrate"],
        env={**os.environ, "DATABASE_URL": url},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert output.startswith("error: ") and output.count("\n") == 1, output
    for fragment in ("ssw0rd", "w0rd-secret", "secret", "p@ss", "pa/ss", "pa?ss", "pa#ss"):
        assert fragment not in output, (fragment, output)
    assert "Traceback" not in output


def test_tls_is_required_unless_the_url_says_otherwise(cluster: PostgresCluster) -> None:
    url = f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres"
    with pytest.raises(MigrationError, match=r"cannot connect .*SSL"):
        Runner(url).status()


# --- command line ------------------------------------------------------------------------------


def test_command_line_status_and_migrate(unmigrated_db: str) -> None:
    env = {**os.environ, "DATABASE_URL": unmigrated_db}
    command = [sys.executable, "-m", "db_migrations"]
    migrate = subprocess.run([*command, "migrate"], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    assert migrate.returncode == 0, migrate.stderr
    assert migrate.stdout.strip() == f"applied {len(REAL)} migration(s): {', '.join(ALL_VERSIONS)}"
    status = subprocess.run([*command, "status"], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    assert [line.split() for line in status.stdout.splitlines()] == [[m.version, "applied", m.name] for m in REAL]
    missing = subprocess.run(
        [*command, "migrate"], env={**env, "DATABASE_URL": ""}, cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert missing.returncode == 2 and "set DATABASE_URL" in missing.stderr


def test_command_line_failure_is_one_line_without_a_traceback(unmigrated_db: str, migrations_copy: Path) -> None:
    broken = write(migrations_copy, f"{later()}_broken.sql", "select 1;\nselect 1/0;\n")
    result = subprocess.run(
        [sys.executable, "-m", "db_migrations", "migrate", "--directory", str(migrations_copy)],
        env={**os.environ, "DATABASE_URL": unmigrated_db},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"error: {broken.name}:2: division by zero (the whole file was rolled back; nothing recorded)\n"
    )
