"""The house rules a newcomer relies on: each concern has one home, imports only go down, and no
module grows past what one reading can hold."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Higher layers may import lower ones, never the reverse: operations and tools act on the live
# accounts or the repository; preview runs the program; components compose the resources from
# the providers, clients and config below them.
LAYERS: dict[str, int] = {
    "operations": 5,
    "tools": 5,
    "preview": 4,
    "components": 3,
    "providers": 2,
    "localdb": 2,
    "clients": 1,
    "db_migrations": 1,
    "stack_config": 1,
    "live_state": 1,
    # Deployed as Lambda functions whole: they import nothing of the repository.
    "lambdas": 0,
}
MAX_LINES = 500


def source_files() -> list[Path]:
    skipped = {".venv", "node_modules", ".git", "venv"}
    found: list[Path] = []
    # os.walk pruned at the top: rglob would read all of .venv before the filter drops it.
    for folder, directories, files in os.walk(ROOT):
        directories[:] = [d for d in directories if d not in skipped]
        found += [Path(folder) / name for name in files if name.endswith(".py")]
    return sorted(found)


def repository_imports(path: Path) -> set[str]:
    """The repository's top-level packages this module imports."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & (set(LAYERS) | {"policies", "preview", "tests"})


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_imports_only_go_down(package: str) -> None:
    upward = [
        f"{path.relative_to(ROOT)} imports {imported}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for imported in repository_imports(path)
        if imported != package
        and (imported in ("tests", "policies") or LAYERS.get(imported, 0) >= LAYERS[package])
        and not (package == "tools" and imported == "policies")
    ]
    assert upward == []


def test_the_policy_pack_imports_nothing_of_the_repository() -> None:
    # Published alone (`pulumi policy publish`): only its own modules and installed packages.
    leaks = [
        f"{path.relative_to(ROOT)} imports {imported}"
        for path in sorted((ROOT / "policies").rglob("*.py"))
        if "venv" not in path.parts
        for imported in repository_imports(path)
        if imported != "policies"
    ]
    assert leaks == []


def test_no_module_is_over_500_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in source_files()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_program_entry_point_only_composes() -> None:
    tree = ast.parse((ROOT / "__main__.py").read_text())
    classes = [node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    functions = [node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]
    assert classes == [] and functions == []


# A newcomer finds an operator command's home from the folder names: one package per concern
# (adoption, drift, backups, rotation, evidence, reporters), and few loose modules beside them.
MAX_LOOSE_OPERATIONS_MODULES = 8


def test_operations_are_grouped_by_concern() -> None:
    loose = sorted(path.name for path in (ROOT / "operations").glob("*.py") if path.name != "__init__.py")
    packages = sorted(path.parent.name for path in (ROOT / "operations").glob("*/__init__.py"))
    assert len(loose) <= MAX_LOOSE_OPERATIONS_MODULES, loose
    assert {"adoption", "drift", "backups", "rotation", "evidence", "reporters"} <= set(packages)


def test_tests_mirror_the_operations_packages() -> None:
    for package in (ROOT / "operations").glob("*/__init__.py"):
        assert (ROOT / "tests" / "operations" / package.parent.name / "__init__.py").is_file(), package.parent.name
