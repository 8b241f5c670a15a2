"""A skipped test proves nothing, so a skip fails the run unless ``tests/skips-allowed.txt`` lists
its test id with the reason it may skip. The list is meant to stay empty: every test runs on a
fresh clone with nothing beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

SKIPS_ALLOWED = Path(__file__).resolve().parent / "skips-allowed.txt"
_skipped: dict[str, str] = {}


def allowed_skips() -> set[str]:
    lines = SKIPS_ALLOWED.read_text().splitlines() if SKIPS_ALLOWED.exists() else []
    return {line.split(" ", 1)[0] for line in lines if line.strip() and not line.startswith("#")}


def _reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    return str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)


def _unexpected() -> dict[str, str]:
    allowed = allowed_skips()
    return {node: reason for node, reason in _skipped.items() if node not in allowed}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped[report.nodeid] = _reason(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.skipped:
        _skipped[report.nodeid] = _reason(report)


def pytest_sessionstart(session: pytest.Session) -> None:
    _skipped.clear()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _unexpected() and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    unexpected = _unexpected()
    if unexpected:
        terminalreporter.section("skipped tests are failures here", sep="=", red=True)
        for node, reason in sorted(unexpected.items()):
            terminalreporter.line(f"{node}: {reason}")
        terminalreporter.line(f"(list a test id in tests/{SKIPS_ALLOWED.name} with its reason to allow it)")
