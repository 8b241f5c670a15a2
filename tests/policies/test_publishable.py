"""The pack stands alone: published, it is installed as a directory of its own, where no
package of this repository exists; only its own requirements.txt is installed beside it."""

from __future__ import annotations

import ast
import importlib.metadata
import shutil
import sys
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from policies.guardrails.common import PACK_NAME
from preview.analyzer import POLICIES_DIR, PackProcess, analyze, launched_pack
from preview.plan import Plan
from tests.conftest import ROOT


def install_directory(tmp_path: Path) -> Path:
    """Where the CLI installs a published pack: <policies dir>/<org>/pulumi-analyzer-<name>-v<version>
    (pkg/workspace GetPolicyPath); the pack's own directory is the only import root."""
    version = yaml.safe_load((POLICIES_DIR / "PulumiPolicy.yaml").read_text())["version"]
    target = tmp_path / "policies" / "newcool" / f"pulumi-analyzer-{PACK_NAME}-v{version}"
    shutil.copytree(POLICIES_DIR, target, ignore=shutil.ignore_patterns("__pycache__", "venv"))
    return target


def test_the_pack_copied_alone_serves_the_same_verdict_over_grpc(
    tmp_path: Path, prod_plan: Plan, running_pack: PackProcess
) -> None:
    installed = install_directory(tmp_path)
    with launched_pack(installed) as pack:
        alone = analyze(prod_plan, None, pack.stub())
    in_repository = analyze(prod_plan, None, running_pack.stub())
    assert alone.pack == PACK_NAME and alone.version == in_repository.version
    assert alone.policies == in_repository.policies and len(alone.policies) > 30
    assert alone.violations == in_repository.violations


def third_party_imports(directory: Path) -> set[str]:
    own = {path.stem for path in directory.rglob("*.py")} | {
        path.name for path in directory.rglob("*") if path.is_dir()
    }
    found: set[str] = set()
    for source in directory.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names and name not in own and name != "__future__"}


def pins(requirements: Path) -> dict[str, str]:
    lines = (line.split(" #", 1)[0].strip() for line in requirements.read_text().splitlines())
    parsed = [Requirement(line) for line in lines if line and not line.startswith(("#", "-"))]
    return {canonicalize_name(r.name): str(r.specifier) for r in parsed}


def test_the_packs_requirements_pin_every_distribution_it_imports_as_the_repository_does() -> None:
    distributions = importlib.metadata.packages_distributions()
    imported = {canonicalize_name(distributions[module][0]) for module in third_party_imports(POLICIES_DIR)}
    assert imported == {"pulumi-policy", "pglast"}, imported
    own = pins(POLICIES_DIR / "requirements.txt")
    # pulumi-policy runs on the pulumi SDK: pinned too, so the pack never resolves another one.
    assert set(own) == imported | {"pulumi"}
    repository = pins(ROOT / "requirements.txt") | pins(ROOT / "requirements-dev.txt")
    assert {name: repository.get(name) for name in own} == own, "the pack and the repository pin different versions"
