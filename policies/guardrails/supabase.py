"""Supabase: the schema migrations, read as SQL (parsed with pglast, never with regexes)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pglast
from pglast import ast, enums
from pulumi_policy import ResourceValidationArgs, Severity

from .common import Report, as_list, resource_policy, supabase_lint

SCHEMA_MIGRATIONS = "pulumi-python:dynamic/supabase:SchemaMigrations"


def _migrations(args: ResourceValidationArgs) -> list[dict[str, Any]] | None:
    """The migration files of the schema resource (each with version, name and sql), else None."""
    if args.resource_type != SCHEMA_MIGRATIONS or "migrations" not in args.props:
        return None
    return [dict(m) for m in as_list(args.props["migrations"]) if isinstance(m, Mapping) and "sql" in m]


def _statements(migrations: list[dict[str, Any]], report: Report) -> Iterator[tuple[str, ast.Node]]:
    for migration in migrations:
        file_name = f"{migration.get('version')}_{migration.get('name')}.sql"
        try:
            parsed = pglast.parse_sql(str(migration["sql"]))
        except pglast.parser.ParseError as error:
            report(f"{file_name}: does not parse: {error.args[0]}")
            continue
        for raw in parsed:
            if raw.stmt is not None:
                yield file_name, raw.stmt


def _in_public(relation: ast.RangeVar | None) -> bool:
    return relation is not None and relation.schemaname in (None, "public")


def _rls_on_every_public_table(args: ResourceValidationArgs, report: Report) -> None:
    migrations = _migrations(args)
    if migrations is None:
        return
    created: dict[str, str] = {}
    enabled: set[str] = set()
    for file_name, node in _statements(migrations, report):
        if isinstance(node, ast.CreateStmt) and node.relation is not None and _in_public(node.relation):
            created[str(node.relation.relname)] = file_name
        elif (
            isinstance(node, ast.AlterTableStmt)
            and node.relation is not None
            and _in_public(node.relation)
            and any(getattr(c, "subtype", None) == enums.AlterTableType.AT_EnableRowSecurity for c in node.cmds or ())
        ):
            enabled.add(str(node.relation.relname))
    for table, file_name in sorted(created.items()):
        if table not in enabled:
            report(f"{file_name}: creates public.{table} without enabling row level security.")


def _definer_search_path(args: ResourceValidationArgs, report: Report) -> None:
    migrations = _migrations(args)
    if migrations is None:
        return
    for file_name, node in _statements(migrations, report):
        if not isinstance(node, ast.CreateFunctionStmt):
            continue
        options = {option.defname: option.arg for option in node.options or ()}
        security = options.get("security")
        definer = isinstance(security, ast.Boolean) and security.boolval
        search_path = [
            option.arg
            for option in node.options or ()
            if option.defname == "set"
            and isinstance(option.arg, ast.VariableSetStmt)
            and option.arg.name == "search_path"
            and option.arg.kind == enums.VariableSetKind.VAR_SET_VALUE
        ]
        if definer and not search_path:
            name = ".".join(part.sval for part in node.funcname or ())
            report(
                f"{file_name}: security definer function {name} does not fix its search_path (set search_path = '')."
            )


POLICIES = [
    resource_policy(
        "supabase-rls-on-every-table",
        "Every table the migrations create in public has row level security enabled.",
        "Supabase exposes every public table through its API; without RLS the anon key reads and writes everything.",
        Severity.CRITICAL,
        "Add `alter table public.<table> enable row level security;` in the same migration, with policies.",
        _rls_on_every_public_table,
        supabase_lint("0013_rls_disabled_in_public"),
    ),
    resource_policy(
        "supabase-definer-search-path",
        "No security definer function is created without a fixed search_path.",
        "A security definer function with a mutable search_path can be made to call an attacker's object with the "
        "owner's rights.",
        Severity.HIGH,
        "Add `set search_path = ''` to the function and schema-qualify every name it uses.",
        _definer_search_path,
        supabase_lint("0011_function_search_path_mutable"),
    ),
]
