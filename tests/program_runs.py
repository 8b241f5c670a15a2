"""The stacks' programs on the mock runtime, run once per pytest process for each distinct stack,
config and options, and shared by every test that reads that plan.

A run costs about half a second and the plans are pure data, so a test gets its own deep copy
(it may break it as it likes) and the program's messages on stderr replayed, as a fresh run gives
both. Runs that raise (bad config) are never kept: they stop early and cost little, and their
error must come from the program each time. A copy of the program elsewhere (``root``) always runs.
"""

from __future__ import annotations

import contextlib
import copy
import io
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from preview import __main__ as preview_command
from preview import adoption as preview_adoption
from preview import engine
from preview.plan import Plan, Secret
from stack_config.stack_file import ROOT
from tools import docs as docs_tool

_runs: dict[str, tuple[Plan, str]] = {}
# The modules that call the program themselves; the tests reach them through these names.
CALLERS = (preview_command, preview_adoption, docs_tool)


def _canonical(value: Any) -> Any:
    if isinstance(value, Secret):
        return ("secret", _canonical(value.value))
    if isinstance(value, Mapping):
        return tuple(sorted((repr(_canonical(k)), _canonical(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        items = [_canonical(v) for v in value]
        return tuple(sorted(items, key=repr) if isinstance(value, set | frozenset) else items)
    return value


def run_program(stack: str, overrides: Mapping[str, Any] | None = None, **options: Any) -> Plan:
    """``preview.engine.run_program``, remembered for the rest of the pytest process."""
    if options.get("root", ROOT) != ROOT:
        return engine.run_program(stack, overrides, **options)
    # ``collect`` only frees memory; the rest decides the plan.
    key = repr((stack, _canonical(overrides or {}), _canonical({k: v for k, v in options.items() if k != "collect"})))
    if key not in _runs:
        messages = io.StringIO()
        with contextlib.redirect_stderr(messages):
            plan = engine.run_program(stack, overrides, **options)
        _runs[key] = (plan, messages.getvalue())
    plan, printed = _runs[key]
    sys.stderr.write(printed)
    return copy.deepcopy(plan)


@contextlib.contextmanager
def shared_by_the_programs_callers() -> Iterator[None]:
    """The preview command, the adoption prediction and the docs generator use the shared runs."""
    with pytest.MonkeyPatch.context() as patch:
        for module in CALLERS:
            patch.setattr(module, "run_program", run_program)
        yield
