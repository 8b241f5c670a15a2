"""Shared fixtures: the stacks' programs on Pulumi's mock runtime, and a real PostgreSQL 15
cluster (started only when a test asks for a database) with databases made from a migrated
template."""

from __future__ import annotations

import gc
import itertools
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import botocore.loaders
import botocore.session
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The mock runtime makes many short-lived cycles (futures, tasks, outputs) in a worker's heap of a
# few hundred MB: at Python's default thresholds (700, 10, 10) the two workers spent about 17 of a
# run's CPU-seconds in the cycle collector, mostly traversing the same long-lived objects. The
# objects loaded until tests run are frozen out of it (pytest_collection_finish).
gc.set_threshold(50_000, 20, 100)

from localdb.cluster import SCRATCH_VARIABLE, TEMPLATE_DB, PostgresCluster, running_cluster  # noqa: E402
from preview.analyzer import PackProcess, launched_pack  # noqa: E402
from preview.plan import Plan  # noqa: E402
from tests.program_runs import run_program, shared_by_the_programs_callers  # noqa: E402

# The tests' clusters (and those of the commands and nested runs they start) live in memory when
# there is room: initdb took 0.4 s there against 1.1 s on this machine's disk, a database copied
# from the template 0.03 s against 0.25 s. A container's default /dev/shm (64 MiB) is too small.
MEMORY = Path("/dev/shm")
if MEMORY.is_dir() and os.access(MEMORY, os.W_OK) and shutil.disk_usage(MEMORY).free >= 2 * 1024**3:
    os.environ.setdefault(SCRATCH_VARIABLE, str(MEMORY))


@pytest.fixture(scope="session", autouse=True)
def shared_program_runs() -> Iterator[None]:
    """Each distinct run of a stack's program happens once per process (tests/program_runs.py),
    for the tests and for the commands they call."""
    with shared_by_the_programs_callers():
        yield


@pytest.fixture(scope="session", autouse=True)
def aws_models_parsed_once() -> Iterator[None]:
    """moto's ``mock_aws`` gives boto3 a new default session each time, and each session parses
    the service models' JSON again (0.07 to 0.13 s for a client's first use, in most AWS tests).
    One loader for the process parses each model once; what a client does is unchanged."""
    loader = botocore.loaders.create_loader()
    with pytest.MonkeyPatch.context() as patch:
        original = botocore.loaders.create_loader

        def create_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
            return loader if search_path_string is None else original(search_path_string)

        patch.setattr(botocore.session, "create_loader", create_loader)
        yield


@pytest.fixture(scope="session")
def running_pack() -> Iterator[PackProcess]:
    """The policy pack as the engine runs it (its own process, over gRPC), one per pytest process
    for every test that judges a plan that way: each start is a second Python importing the SDKs.
    The pack keeps nothing between analyses; each one configures it afresh, as the engine does."""
    with launched_pack() as pack:
        yield pack


@pytest.fixture(scope="session")
def prod_plan() -> Plan:
    return run_program("prod")


@pytest.fixture(scope="session")
def dev_plan() -> Plan:
    return run_program("dev")


@pytest.fixture(scope="session", params=["dev", "prod"])
def plan(request: pytest.FixtureRequest, dev_plan: Plan, prod_plan: Plan) -> Plan:
    return dev_plan if request.param == "dev" else prod_plan


pytest_plugins = ["tests.skip_policy", "pytester"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slowest tests, each in its own xdist group, first: the other workers fill in around
    them instead of one of them starting last and running alone."""
    items.sort(key=lambda item: item.get_closest_marker("xdist_group") is None)


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.collect()
    gc.freeze()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # The mock runtime's event loops, freed while they can still close cleanly (see run_program).
    gc.unfreeze()
    gc.collect()


_names = itertools.count()


@pytest.fixture(scope="session")
def cluster() -> Iterator[PostgresCluster]:
    with running_cluster() as started:
        yield started


@pytest.fixture(scope="session")
def migrated_template(cluster: PostgresCluster) -> str:
    """Compat fixture plus every migration, applied once by the runner; copied per test module."""
    cluster.supabase_database(TEMPLATE_DB)
    return TEMPLATE_DB


@pytest.fixture
def unmigrated_db(cluster: PostgresCluster) -> str:
    """A Supabase-like database with no migration applied yet."""
    return cluster.supabase_database(f"unmigrated_{next(_names)}", migrate=False)


@pytest.fixture(scope="module")
def app_db(cluster: PostgresCluster, migrated_template: str) -> str:
    return cluster.create_database(f"app_{next(_names)}", template=migrated_template)
