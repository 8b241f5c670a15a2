"""Runs ``supabase/tests`` (pgTAP, Supabase's own test format) with ``pg_prove``, and reads the
access matrix out of the results.

``supabase test db`` runs the same files on a developer's machine (it needs Docker); here
Debian's ``postgresql-15-pgtap`` provides pgTAP and ``pg_prove`` (``make test`` installs it).
The access tests are named ``table | operation | attempt | who | outcome``, so the auditors'
matrix (``docs/access-matrix.md``) is read from the assertions that just passed, never from a
second copy of them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from localdb.cluster import MIGRATION_USER, PostgresCluster

TESTS_DIR = Path(__file__).resolve().parent.parent / "supabase" / "tests"
ACTORS = ("anon", "user A", "user B", "service_role")
# The whole suite takes seconds; a branch that stops answering must not hold the job for hours.
PG_PROVE_TIMEOUT_SECONDS = 300
_TAP_LINE = re.compile(r"^(?P<ok>ok|not ok) (?P<number>\d+) - (?P<description>.*)$")


@dataclass(frozen=True)
class TapResult:
    passed: bool
    # (passed, description) of every assertion, in order, across the files.
    assertions: list[tuple[bool, str]]
    output: str


def test_files(directory: Path = TESTS_DIR) -> list[Path]:
    return sorted(directory.rglob("*.sql"))


class PgProveError(RuntimeError):
    """pg_prove could not run, or did not finish: one line."""


def _prove(
    host: str, port: str, user: str, dbname: str, files: list[Path], environment: dict[str, str] | None = None
) -> TapResult:
    binary = shutil.which("pg_prove")
    if binary is None:
        raise PgProveError("pg_prove is not installed: apt-get install postgresql-15-pgtap (make test does it as root)")
    try:
        result = subprocess.run(  # noqa: S603 (pg_prove from PATH, our own test files)
            [
                binary,
                "--verbose",
                *("--host", host, "--port", port, "--username", user, "--dbname", dbname),
                *(str(path) for path in files),
            ],
            capture_output=True,
            text=True,
            timeout=PG_PROVE_TIMEOUT_SECONDS,
            check=False,
            env=environment,
        )
    except subprocess.TimeoutExpired:
        raise PgProveError(f"pg_prove did not finish within {PG_PROVE_TIMEOUT_SECONDS} s (host {host})") from None
    assertions = [
        (match["ok"] == "ok", match["description"])
        for line in result.stdout.splitlines()
        if (match := _TAP_LINE.match(line.strip()))
    ]
    return TapResult(result.returncode == 0, assertions, result.stdout + result.stderr)


def pg_prove(cluster: PostgresCluster, dbname: str, files: list[Path] | None = None) -> TapResult:
    """The files run one session each, as ``postgres`` (as ``supabase test db`` runs them)."""
    chosen = files if files is not None else test_files()
    return _prove("127.0.0.1", str(cluster.port), MIGRATION_USER, dbname, chosen)


def pg_prove_url(database_url: str, files: list[Path] | None = None, set_aside: str = "") -> TapResult:
    """The files run against any database (a review branch), one session each; the password goes
    through the environment, never the command line. ``set_aside`` runs first inside each file's
    own transaction, which the file rolls back (rows a test must not count, left as they were)."""
    import os  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    from psycopg import conninfo  # noqa: PLC0415

    parts = conninfo.conninfo_to_dict(database_url)
    environment = {**os.environ, "PGPASSWORD": str(parts.get("password") or ""),
                   "PGSSLMODE": str(parts.get("sslmode") or "require")}  # fmt: skip
    chosen = files if files is not None else test_files()
    with tempfile.TemporaryDirectory(prefix="newcool-pgtap-") as scratch:
        if set_aside:
            wrapped = []
            for path in chosen:
                wrapper = Path(scratch) / path.name
                wrapper.write_text(f"begin;\n{set_aside};\n\\i {path}\n")
                wrapped.append(wrapper)
            chosen = wrapped
        return _prove(
            str(parts.get("host", "")),
            str(parts.get("port", "5432")),
            str(parts.get("user", "postgres")),
            str(parts.get("dbname", "postgres")),
            chosen,
            environment,
        )


@dataclass(frozen=True)
class Access:
    table: str
    operation: str
    attempt: str
    who: str
    outcome: str


def access_assertions(result: TapResult) -> list[Access]:
    """The passed assertions that are access-matrix cells."""
    cells = []
    for passed, description in result.assertions:
        parts = [part.strip() for part in description.split(" | ")]
        if passed and len(parts) == 5 and parts[3] in ACTORS:
            cells.append(Access(*parts))
    return cells


def _cell(outcome: str) -> str:
    return "**denied**" if outcome == "denied" else outcome


def markdown(cells: list[Access]) -> str:
    """One row per attempt (in the files' order), one column per actor."""
    rows: dict[tuple[str, str, str], dict[str, str]] = {}
    for cell in cells:
        rows.setdefault((cell.table, cell.operation, cell.attempt), {})[cell.who] = cell.outcome
    lines = ["| table | operation | attempt | " + " | ".join(ACTORS) + " |", "|" + "---|" * (3 + len(ACTORS))]
    for (table, operation, attempt), outcomes in rows.items():
        lines.append(
            f"| `{table}` | {operation} | {attempt} | "
            + " | ".join(_cell(outcomes.get(actor, "(not tested)")) for actor in ACTORS)
            + " |"
        )
    return "\n".join(lines)
