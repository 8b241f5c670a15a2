"""Deployed state names each dynamic provider by its import path: those paths must keep working."""

from __future__ import annotations

import ast
import importlib
import pickle

import dill
import pytest
from pulumi.dynamic import ResourceProvider

from providers import DEPLOYED_PROVIDER_PATHS
from tests.conftest import ROOT


def resolve(path: str) -> object:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("path", DEPLOYED_PROVIDER_PATHS)
def test_every_deployed_provider_path_still_imports_a_provider(path: str) -> None:
    provider = resolve(path)
    assert isinstance(provider, type) and issubclass(provider, ResourceProvider), path


# Shared bases: never a resource's provider themselves.
BASES = {"TokenProvider", "RuntimeTokenProvider"}


def test_every_provider_class_is_on_the_list_so_a_move_is_caught() -> None:
    declared = set()
    for module in sorted((ROOT / "providers").glob("*.py")):
        for node in ast.parse(module.read_text()).body:
            if isinstance(node, ast.ClassDef) and node.name.endswith("Provider") and node.name not in BASES:
                declared.add(f"providers.{module.stem}.{node.name}")
    assert declared == set(DEPLOYED_PROVIDER_PATHS)


@pytest.mark.parametrize("path", DEPLOYED_PROVIDER_PATHS)
def test_the_state_refers_to_the_class_by_its_path(path: str) -> None:
    # As Pulumi pickles a provider into the state: the class is a reference to module.name.
    provider_class = resolve(path)
    assert isinstance(provider_class, type)
    pickled = dill.dumps(provider_class, recurse=True)
    module, _, name = path.rpartition(".")
    assert module.encode() in pickled and name.encode() in pickled
    assert pickle.loads(pickled) is provider_class
