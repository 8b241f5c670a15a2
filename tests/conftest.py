"""Shared fixtures: the stacks' programs run once per session on Pulumi's mock runtime."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.mock_engine import Plan, run_program  # noqa: E402


@pytest.fixture(scope="session")
def prod_plan() -> Plan:
    return run_program("prod")


@pytest.fixture(scope="session")
def dev_plan() -> Plan:
    return run_program("dev")


@pytest.fixture(scope="session", params=["dev", "prod"])
def plan(request: pytest.FixtureRequest, dev_plan: Plan, prod_plan: Plan) -> Plan:
    return dev_plan if request.param == "dev" else prod_plan
