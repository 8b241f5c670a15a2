"""Migration files as the Supabase CLI reads them: ``supabase/migrations/<digits>_<name>.sql``.

Every file is parsed (pglast, PostgreSQL's own parser) when it is discovered, so a syntax error
or a statement the runner refuses is reported with its file and line before anything runs.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pglast
from pglast import ast

from db_migrations.errors import MigrationError
from db_migrations.split import split

ROOT = Path(__file__).resolve().parent.parent
# Where `supabase db push` and `supabase migration new` look, relative to the project.
MIGRATIONS_DIR = ROOT / "supabase" / "migrations"
# The CLI's own pattern: any digits, then anything (timestamps, hyphens, capitals).
FILE_NAME = re.compile(r"^(?P<version>[0-9]+)_(?P<name>.*)\.sql$")


@dataclass(frozen=True)
class Statement:
    # As the CLI stores it: comments kept, trailing ';' and surrounding space trimmed.
    sql: str
    # 1-based line of the statement's first character in its file.
    line: int
    # False for a piece holding only comments (stored in the history, never sent).
    executable: bool


def _line_at(sql: str, offset: int) -> int:
    return sql.count("\n", 0, offset) + 1


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path
    sql: str

    @property
    def file_name(self) -> str:
        return self.path.name

    @cached_property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @cached_property
    def statements(self) -> tuple[Statement, ...]:
        """The CLI's split, each piece checked by PostgreSQL's parser."""
        try:
            parsed = pglast.parse_sql(self.sql)
        except pglast.parser.ParseError as error:
            location = int(error.args[1]) if len(error.args) > 1 else 0
            raise MigrationError(f"{self.file_name}:{_line_at(self.sql, location)}: {error.args[0]}") from None
        for raw in parsed:
            # begin/commit/rollback/savepoint would end or split the one transaction that the runner
            # and `db push` wrap each file and its history row in.
            if isinstance(raw.stmt, ast.TransactionStmt):
                start = raw.stmt_location or 0
                keyword = self.sql[start:].split(None, 1)[0].rstrip(";").upper()
                raise MigrationError(
                    f"{self.file_name}:{_line_at(self.sql, start)}: transaction control ({keyword}) is not allowed: "
                    "the runner and `supabase db push` run each file in one transaction with its history row"
                )
        pieces = split(self.sql)
        return tuple(
            Statement(sql=piece.sql, line=_line_at(self.sql, piece.offset), executable=bool(pglast.split(piece.sql)))
            for piece in pieces
        )

    @property
    def history_statements(self) -> list[str]:
        """What `supabase db push` writes into the history row for this file."""
        return [statement.sql for statement in self.statements]

    def as_input(self) -> dict[str, str]:
        """What the Pulumi resource records for this file: the SQL is what its provider applies
        and what the policy pack reads."""
        return {"version": self.version, "name": self.name, "checksum": self.checksum, "sql": self.sql}

    @classmethod
    def from_input(cls, value: dict[str, str]) -> Migration:
        name = f"{value['version']}_{value['name']}.sql"
        migration = cls(version=value["version"], name=value["name"], path=Path(name), sql=value["sql"])
        if migration.checksum != value.get("checksum", migration.checksum):
            raise MigrationError(f"{name}: its SQL does not match its recorded checksum")
        return migration


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Every migration file, in the CLI's order (by file name); a misnamed .sql file is an error.

    Other files (a README, .gitkeep) are ignored, as the CLI ignores them.
    """
    if not directory.is_dir():
        raise MigrationError(f"{directory} does not exist: migrations live in supabase/migrations/")
    migrations: list[Migration] = []
    versions: dict[str, str] = {}
    for path in sorted(directory.iterdir(), key=lambda p: p.name):
        if path.is_dir() or path.suffix != ".sql":
            continue
        match = FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(
                f"{path.name}: migration files are named <digits>_<name>.sql (as `supabase migration new` "
                "makes them); the CLI would skip this file silently"
            )
        version = match["version"]
        if version in versions:
            raise MigrationError(f"{path.name}: version {version} is also used by {versions[version]}")
        migration = Migration(version=version, name=match["name"], path=path, sql=path.read_text())
        migration.statements  # noqa: B018 (parses now, so an error names its file up front)
        versions[version] = path.name
        migrations.append(migration)
    return migrations
